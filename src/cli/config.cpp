// `lightshuttle config [-f FILE]`: the manifest as LightShuttle will run it. Defaults are
// written out (images, ports, volumes, probes, timings, restart, dependencies incl. implicit
// ones); secrets are masked: literal passwords and `secrets:` values, and env values whose key
// looks secret. `${...}` references are printed as written (never resolved here), and a
// generated password shows as "<generated>".
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "lightshuttle/manifest/grammar.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::cli {
namespace {

using manifest::Kind;
using manifest::Resource;

constexpr const char* kMask = "********";

bool looksSecret(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kMarkers{
      "PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "API_KEY", "AUTH"};
  std::string upper;
  for (char c : key) {
    upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  for (std::string_view m : kMarkers) {
    if (upper.find(m) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// A literal secret is masked; a reference without a default (`${env.X}`) holds no value and
// is shown.
std::string masked(const std::string& value) {
  const bool reference = value.find("${") != std::string::npos;
  return reference && value.find(":-") == std::string::npos ? value : kMask;
}

void emitMap(YAML::Emitter& out, const char* key, const manifest::StringMap& m, bool secret) {
  if (m.empty()) {
    return;
  }
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : m) {
    out << YAML::Key << k << YAML::Value << ((secret || looksSecret(k)) ? masked(v) : v);
  }
  out << YAML::EndMap;
}

void emitList(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& i : items) {
    out << i;
  }
  out << YAML::EndSeq;
}

void emitHealthcheck(YAML::Emitter& out, const Resource& r) {
  std::optional<runtime::HealthcheckSpec> h;
  if (r.healthcheck) {
    h = runtime::HealthcheckSpec{.test = r.healthcheck->test};
    h->interval = r.healthcheck->interval.value_or(h->interval);
    h->timeout = r.healthcheck->timeout.value_or(h->timeout);
    h->retries = r.healthcheck->retries.value_or(h->retries);
    h->startPeriod = r.healthcheck->startPeriod.value_or(h->startPeriod);
  } else {
    h = spec::builtinHealthcheck(r.kind, r.user.value_or("postgres"),
                                 r.password.has_value() && !r.password->empty());
  }
  if (!h) {
    out << YAML::Key << "healthcheck" << YAML::Value << YAML::Null;
    out << YAML::Comment("none: ready when running");
    return;
  }
  out << YAML::Key << "healthcheck" << YAML::Value << YAML::BeginMap;
  emitList(out, "test", h->test);
  out << YAML::Key << "interval" << YAML::Value << manifest::formatDuration(h->interval);
  out << YAML::Key << "timeout" << YAML::Value << manifest::formatDuration(h->timeout);
  out << YAML::Key << "retries" << YAML::Value << h->retries;
  out << YAML::Key << "start_period" << YAML::Value << manifest::formatDuration(h->startPeriod);
  out << YAML::EndMap;
}

std::string hostPath(const manifest::Manifest& m, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_relative() && !p.starts_with("~")) {
    path = m.directory / path;
  }
  return path.lexically_normal().string();
}

void emitResource(YAML::Emitter& out, const manifest::Manifest& m, const Resource& r) {
  out << YAML::Key << r.name << YAML::Value << YAML::BeginMap;
  out << YAML::Key << std::string(manifest::kindName(r.kind)) << YAML::Value << YAML::BeginMap;
  const bool builtin = r.kind == Kind::Postgres || r.kind == Kind::Redis;
  if (r.kind == Kind::Dockerfile) {
    out << YAML::Key << "context" << YAML::Value << hostPath(m, r.context);
    out << YAML::Key << "dockerfile" << YAML::Value << r.dockerfile.value_or("Dockerfile");
    emitMap(out, "build_args", r.buildArgs, false);
    if (r.target) {
      out << YAML::Key << "target" << YAML::Value << *r.target;
    }
  }
  out << YAML::Key << "image" << YAML::Value << spec::effectiveImage(m.project.name, r);
  if (r.kind == Kind::Postgres) {
    out << YAML::Key << "database" << YAML::Value << r.database.value_or(r.name);
    out << YAML::Key << "user" << YAML::Value << r.user.value_or("postgres");
  }
  if (builtin) {
    out << YAML::Key << "password" << YAML::Value
        << (r.password ? (r.password->empty() ? std::string() : masked(*r.password))
                       : std::string(r.kind == Kind::Postgres ? "<generated>" : ""));
    const int inside = r.kind == Kind::Postgres ? 5432 : 6379;
    out << YAML::Key << "port" << YAML::Value << static_cast<int>(r.port.value_or(inside));
    out << YAML::Comment(
        fmt::format("host 127.0.0.1:{} -> container {}", r.port.value_or(inside), inside));
    out << YAML::Key << "volume" << YAML::Value;
    switch (r.volume.mode) {
      case manifest::DataVolume::Mode::Default:
        out << spec::dataVolumeName(m.project.name, r.name);
        break;
      case manifest::DataVolume::Mode::Named: out << r.volume.name; break;
      case manifest::DataVolume::Mode::None: out << false; break;
    }
  } else {
    std::vector<std::string> ports;
    for (const manifest::PortMapping& p : r.ports) {
      manifest::PortMapping shown = p;
      if (shown.hostAddress.empty()) {
        shown.hostAddress = "127.0.0.1";
      }
      ports.push_back(shown.str());
    }
    emitList(out, "ports", ports);
    emitMap(out, "env", r.env, false);
    emitMap(out, "secrets", r.secrets, true);
    std::vector<std::string> volumes;
    for (const std::string& v : r.volumes) {
      Result<manifest::VolumeMapping> vm = manifest::parseVolumeMapping(v);
      if (vm && vm->kind == manifest::VolumeMapping::Kind::HostPath) {
        vm->source = hostPath(m, vm->source);
        volumes.push_back(vm->str());
      } else {
        volumes.push_back(v);
      }
    }
    emitList(out, "volumes", volumes);
    if (r.entrypoint) {
      emitList(out, "entrypoint", *r.entrypoint);
    }
    if (r.command) {
      emitList(out, "command", *r.command);
    }
    if (r.workingDir) {
      out << YAML::Key << "working_dir" << YAML::Value << *r.workingDir;
    }
  }
  emitHealthcheck(out, r);
  // Always the map form, so the condition each dependency waits for is visible.
  out << YAML::Key << "depends_on" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const std::string& dep : manifest::dependenciesOf(r)) {
    auto it = r.dependsOnConditions.find(dep);
    const bool completed =
        it != r.dependsOnConditions.end() && it->second == manifest::DependencyCondition::Completed;
    out << YAML::Key << dep << YAML::Value << (completed ? "completed" : "healthy");
  }
  out << YAML::EndMap;
  if (r.restartDependents) {
    out << YAML::Key << "restart_dependents" << YAML::Value << true;
  }
  out << YAML::Key << "restart" << YAML::Value << r.restart.str();
  out << YAML::Key << "stop_grace_period" << YAML::Value
      << manifest::formatDuration(r.stopGracePeriod.value_or(std::chrono::seconds(10)));
  emitMap(out, "labels", r.labels, false);
  out << YAML::EndMap << YAML::EndMap;
}

}  // namespace

int runConfig(const ConfigOptions& options) {
  int exitCode = kExitOk;
  // --services is for scripts and completion: errors only, no warnings.
  std::optional<manifest::ParseReport> report =
      loadManifestForCommand(options.file, exitCode, /*showWarnings=*/!options.services);
  if (!report || !report->ok()) {
    return exitCode;
  }
  const manifest::Manifest& m = *report->manifest;
  if (options.services) {
    for (const Resource& r : m.resources) {
      fmt::print("{}\n", r.name);
    }
    return kExitOk;
  }
  try {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "lightshuttle" << YAML::Value << "v0";
    out << YAML::Key << "project" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << m.project.name;
    if (m.project.version) {
      out << YAML::Key << "version" << YAML::Value << *m.project.version;
    }
    if (m.project.description) {
      out << YAML::Key << "description" << YAML::Value << *m.project.description;
    }
    out << YAML::EndMap;
    out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
    for (const Resource& r : m.resources) {
      emitResource(out, m, r);
    }
    out << YAML::EndMap;
    out << YAML::Key << "dashboard" << YAML::Value << YAML::BeginMap << YAML::Key << "port"
        << YAML::Value;
    if (m.dashboardPort) {
      out << static_cast<int>(*m.dashboardPort);
    } else {
      out << YAML::Null << YAML::Comment("a free port chosen at start");
    }
    out << YAML::EndMap;
    out << YAML::Key << "observability" << YAML::Value << YAML::BeginMap << YAML::Key << "otel"
        << YAML::Value << YAML::BeginMap << YAML::Key << "enabled" << YAML::Value
        << m.otelEnabled.value_or(true) << YAML::EndMap << YAML::EndMap;
    out << YAML::EndMap;
    std::fputs(out.c_str(), stdout);
    std::fputs("\n", stdout);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: cannot print the configuration: {}\n", e.what());
    return kExitFailure;
  }
  return kExitOk;
}

void registerConfig(Registrar& r) {
  auto o = std::make_shared<ConfigOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb(
      "config", "Print the manifest as it will run: defaults filled in, secrets masked", [o, &g] {
        inherit(o->file, g.file);
        return runConfig(*o);
      });
  addFileFlag(*cmd, o->file,
              "Manifest to print (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
              "or .yaml in this directory or a parent)");
  cmd->add_flag("--services", o->services, "Print only the resource names, one per line");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle config\n"
      "  lightshuttle config -f examples/basic/lightshuttle.yml > resolved.yml\n"
      "  lightshuttle config --services\n"
      "Passwords and secrets print as ******** (a generated password as <generated>);\n"
      "${...} references print as written.\n"
      "Exit status: 0 ok, 2 invalid manifest or none found, 1 other failure.\n");
}

}  // namespace ls::cli
