// `lightshuttle export compose|kubernetes|helm|swarm`: the library does the conversion; this
// file finds the manifest and the variables, guards the output directory, writes the files and
// prints them with the conversion report and the next steps.
#include "lightshuttle/export/export.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/manifest/env_file.hpp"

namespace ls::cli {
namespace {

namespace fs = std::filesystem;

// Written into every export directory, so `--force` knows which files it may remove.
constexpr const char* kMarker = ".lightshuttle-export";

bool isEmptyDir(const fs::path& dir) {
  std::error_code ec;
  return !fs::exists(dir, ec) || fs::is_empty(dir, ec);
}

Result<void> clearPreviousExport(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    fs::remove_all(e.path(), ec);
    if (ec) {
      return Error(Errc::Internal,
                   fmt::format("cannot remove '{}': {}", e.path().string(), ec.message()));
    }
  }
  return ok();
}

}  // namespace

std::optional<manifest::EnvMap> loadVariables(const manifest::Manifest& m,
                                              const std::string& envFile) {
  manifest::EnvMap dotenv;
  const fs::path envPath = envFile.empty() ? m.directory / ".env" : fs::path(envFile);
  if (auto loaded = manifest::loadEnvFile(envPath)) {
    dotenv = std::move(loaded).value();
  } else if (loaded.error().code() != Errc::NotFound || !envFile.empty()) {
    fmt::print(stderr, "error: {}\n", loaded.error().what());
    return std::nullopt;
  }
  return manifest::overlayEnvironment(manifest::processEnvironment(), dotenv);
}

int runExport(const ExportOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::ParseReport> report = loadManifestForCommand(options.file, exitCode);
  if (!report || !report->ok()) {
    return exitCode == kExitOk ? kExitUsage : exitCode;
  }
  const manifest::Manifest& m = *report->manifest;

  const std::optional<manifest::EnvMap> variables = loadVariables(m, options.envFile);
  if (!variables) {
    return kExitFailure;
  }
  const manifest::EnvMap& env = *variables;

  exporter::ExportOptions eo;
  if (options.target == "compose") {
    eo.target = exporter::Target::Compose;
  } else if (options.target == "kubernetes") {
    eo.target = exporter::Target::Kubernetes;
  } else if (options.target == "helm") {
    eo.target = exporter::Target::Helm;
  } else {
    eo.target = exporter::Target::Swarm;
  }
  const fs::path dir = fs::absolute(options.output.empty() ? fs::path("export") / options.target
                                                           : fs::path(options.output))
                           .lexically_normal();
  eo.outputDirectory = dir;
  eo.env = &env;
  eo.publishMode =
      options.publishMode == "host" ? exporter::PublishMode::Host : exporter::PublishMode::Ingress;
  eo.registry = options.registry;
  if (!eo.registry.empty()) {
    eo.pushed = pushedDigests(m.directory, eo.registry);
  }

  Result<exporter::Artifacts> artifacts = exporter::exportStack(m, eo);
  if (!artifacts) {
    fmt::print(stderr, "error: {}\n", artifacts.error().what());
    return kExitFailure;
  }
  if (artifacts->lossy() && !options.allowLossy) {
    fmt::print("{}", exporter::renderReport(artifacts->report));
    fmt::print(stderr,
               "error: the {} export would drop what is marked DROPPED above; nothing was "
               "written (pass --allow-lossy to write it anyway)\n",
               options.target);
    return kExitFailure;
  }

  std::error_code ec;
  if (!isEmptyDir(dir)) {
    if (!options.force) {
      fmt::print(stderr,
                 "error: '{}' is not empty; pass --force to replace its contents, or choose "
                 "another directory with -o\n",
                 dir.string());
      return kExitFailure;
    }
    if (fs::exists(dir / kMarker, ec)) {
      if (Result<void> cleared = clearPreviousExport(dir); !cleared) {
        fmt::print(stderr, "error: {}\n", cleared.error().what());
        return kExitFailure;
      }
    } else {
      fmt::print(stderr,
                 "warning: '{}' was not written by `lightshuttle export`: files are overwritten, "
                 "nothing else is removed\n",
                 dir.string());
    }
  }
  artifacts->files.push_back(
      exporter::File{kMarker, fmt::format("lightshuttle export {}\n", options.target)});
  for (const exporter::File& f : artifacts->files) {
    const fs::path path = dir / f.path;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      fmt::print(stderr, "error: cannot create '{}': {}\n", path.parent_path().string(),
                 ec.message());
      return kExitFailure;
    }
    if (Result<void> w = writeFileAtomic(path, f.contents, 0644); !w) {
      fmt::print(stderr, "error: {}\n", w.error().what());
      return kExitFailure;
    }
    if (f.path != kMarker) {
      fmt::print("wrote {}\n", path.string());
    }
  }
  fmt::print("\n{}", exporter::renderReport(artifacts->report));
  if (!artifacts->nextSteps.empty()) {
    fmt::print("\nnext, in {}:\n", dir.string());
    for (const std::string& step : artifacts->nextSteps) {
      fmt::print("  {}\n", step);
    }
  }
  if (artifacts->lossy()) {
    fmt::print(stderr, "warning: written with --allow-lossy: what is marked DROPPED is lost\n");
  }
  return kExitOk;
}

void registerExport(Registrar& r) {
  auto o = std::make_shared<ExportOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb(
      "export", "Write the stack for docker compose, Kubernetes, a Helm chart or a docker swarm",
      [o, &g] {
        inherit(o->file, g.file);
        inherit(o->envFile, g.envFile);
        return runExport(*o);
      });
  cmd->add_option("target", o->target, "compose, kubernetes, helm or swarm")
      ->required()
      ->check(CLI::IsMember({"compose", "kubernetes", "helm", "swarm"}));
  addFileFlag(*cmd, o->file);
  addEnvFileFlag(*cmd, o->envFile);
  cmd->add_option("-o,--output", o->output, "Directory to write (default: export/<target>)");
  cmd->add_flag("--force", o->force, "Replace the contents of a non-empty directory");
  cmd->add_flag("--allow-lossy", o->allowLossy,
                "Write the export even when the report marks something DROPPED");
  cmd->add_option("--publish-mode", o->publishMode,
                  "swarm: publish ports through the ingress mesh or on each host")
      ->check(CLI::IsMember({"ingress", "host"}));
  cmd->add_option("--registry", o->registry,
                  "HOST[:PORT] the built images are pushed to (kubernetes, helm, swarm)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle export compose                 # export/compose/docker-compose.yml + "
      ".env.example\n"
      "  lightshuttle export kubernetes -o k8s --force\n"
      "  lightshuttle export helm --registry 127.0.0.1:5000\n"
      "  lightshuttle export swarm --publish-mode host --registry 127.0.0.1:5000\n"
      "Secrets are never written: the export reads them from the target's configuration.\n"
      "Exit status: 0 written, 1 failure or something DROPPED (without --allow-lossy), 2 invalid "
      "manifest.\n");
}

}  // namespace ls::cli
