// `lightshuttle secrets check`: every `${env.X}` the manifest uses, and whether it is set (in
// `.env` or the environment), defaulted, or missing. Values are never printed.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>
#include <vector>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "lightshuttle/manifest/env_file.hpp"
#include "lightshuttle/manifest/interpolation.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::cli {
namespace {

enum class VarStatus { Set, Defaulted, Missing };

struct VarReport {
  std::string name;
  VarStatus status = VarStatus::Missing;
  std::string source;               // ".env", "environment", "default", ""
  std::vector<std::string> usedBy;  // field paths
  bool everWithoutDefault = false;
};

std::string_view statusName(VarStatus s) {
  switch (s) {
    case VarStatus::Set: return "set";
    case VarStatus::Defaulted: return "defaulted";
    case VarStatus::Missing: return "missing";
  }
  return "?";
}

}  // namespace

int runSecretsCheck(const SecretsCheckOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::ParseReport> report = loadManifestForCommand(options.file, exitCode);
  if (!report || !report->manifest) {
    return exitCode == kExitOk ? kExitUsage : exitCode;
  }
  const manifest::Manifest& m = *report->manifest;
  // .env next to the manifest (or --env-file), laid over the process environment.
  manifest::EnvMap dotenv;
  const std::filesystem::path envPath =
      options.envFile.empty() ? m.directory / ".env" : std::filesystem::path(options.envFile);
  auto loaded = manifest::loadEnvFile(envPath);
  if (loaded) {
    dotenv = std::move(loaded).value();
  } else if (loaded.error().code() != Errc::NotFound || !options.envFile.empty()) {
    fmt::print(stderr, "error: {}\n", loaded.error().what());
    return kExitFailure;
  }
  const manifest::EnvMap process = manifest::processEnvironment();

  std::map<std::string, VarReport> vars;
  std::vector<std::string> order;
  for (const auto& r : m.resources) {
    manifest::forEachInterpolatable(r, [&](const std::string& path, const std::string& text) {
      auto t = manifest::parseTemplate(text);
      if (!t) {
        return;  // validation already reported it
      }
      std::vector<manifest::EnvUse> uses;
      manifest::collectEnvUses(*t, uses);
      for (const auto& u : uses) {
        auto [it, inserted] = vars.try_emplace(u.name);
        if (inserted) {
          it->second.name = u.name;
          order.push_back(u.name);
        }
        if (std::find(it->second.usedBy.begin(), it->second.usedBy.end(), path) ==
            it->second.usedBy.end()) {
          it->second.usedBy.push_back(path);
        }
        if (!u.fallback) {
          it->second.everWithoutDefault = true;
        }
      }
    });
  }
  std::size_t missing = 0;
  for (auto& [name, v] : vars) {
    auto inDotenv = dotenv.find(name);
    auto inProcess = process.find(name);
    if (inDotenv != dotenv.end() && !inDotenv->second.empty()) {
      v.status = VarStatus::Set;
      v.source = ".env";
    } else if (inDotenv == dotenv.end() && inProcess != process.end() &&
               !inProcess->second.empty()) {
      v.status = VarStatus::Set;
      v.source = "environment";
    } else if (!v.everWithoutDefault) {
      v.status = VarStatus::Defaulted;
      v.source = "default";
    } else {
      v.status = VarStatus::Missing;
      ++missing;
    }
  }
  if (options.json) {
    boost::json::array arr;
    for (const auto& name : order) {
      const VarReport& v = vars.at(name);
      boost::json::object o;
      o["name"] = v.name;
      o["status"] = std::string(statusName(v.status));
      o["source"] = v.source;
      boost::json::array used;
      for (const auto& u : v.usedBy) {
        used.emplace_back(u);
      }
      o["used_by"] = std::move(used);
      arr.push_back(std::move(o));
    }
    fmt::print("{}\n", boost::json::serialize(arr));
  } else if (vars.empty()) {
    fmt::print(stderr, "{}: no ${{env.*}} references\n", m.file);
  } else {
    std::size_t width = 8;
    for (const auto& name : order) {
      width = std::max(width, name.size());
    }
    fmt::print("{:<{}}  {:<9}  {:<11}  {}\n", "VARIABLE", width, "STATUS", "SOURCE", "USED BY");
    for (const auto& name : order) {
      const VarReport& v = vars.at(name);
      std::string used;
      for (const auto& u : v.usedBy) {
        used += used.empty() ? u : ", " + u;
      }
      fmt::print("{:<{}}  {:<9}  {:<11}  {}\n", v.name, width, statusName(v.status),
                 v.source.empty() ? "-" : v.source, used);
    }
  }
  if (missing > 0) {
    fmt::print(stderr,
               "error: {} variable(s) missing: set them in {} or the environment, or give "
               "a default with ${{env.NAME:-default}}\n",
               missing, envPath.string());
    return kExitFailure;
  }
  return kExitOk;
}

void registerSecrets(Registrar& r) {
  auto o = std::make_shared<SecretsCheckOptions>();
  const GlobalOptions& g = r.global();
  auto* secrets =
      r.app().add_subcommand("secrets", "Inspect the variables and secrets a manifest needs");
  secrets->require_subcommand(1);
  auto* cmd = secrets->add_subcommand(
      "check",
      "List every ${env.X} the manifest uses: set, defaulted or missing (values are never shown)");
  r.bind(cmd, [o, &g] {
    inherit(o->file, g.file);
    inherit(o->envFile, g.envFile);
    return runSecretsCheck(*o);
  });
  addFileFlag(*cmd, o->file,
              "Manifest to check (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
              "or .yaml in this directory or a parent)");
  cmd->add_option("--env-file", o->envFile,
                  "Variables file laid over the environment (default: .env next to the manifest)");
  cmd->add_flag("--json", o->json, "Print the report as JSON on stdout");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle secrets check\n"
      "  lightshuttle secrets check --env-file ci.env --json\n"
      "Exit status: 0 all set or defaulted, 1 some missing, 2 invalid manifest or none found.\n");
}

}  // namespace ls::cli
