// `lightshuttle validate [--strict] [-f FILE]`: every problem of the manifest, rendered like a
// compiler's diagnostics on stderr.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/flags.hpp"

namespace ls::cli {
namespace {

std::string& projectNameOverride() {
  static std::string name;
  return name;
}

bool stderrColor() { return ::isatty(STDERR_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

}  // namespace

std::optional<manifest::ParseReport> loadManifestForCommand(const std::string& file, int& exitCode,
                                                            bool showWarnings) {
  manifest::DiscoveryOptions discovery;
  if (!file.empty()) {
    discovery.file = file;
  }
  if (const char* env = std::getenv("LIGHTSHUTTLE_FILE")) {
    discovery.envFile = env;
  }
  std::error_code ec;
  discovery.cwd = std::filesystem::current_path(ec);
  Result<std::filesystem::path> path = manifest::discoverManifest(discovery);
  if (!path) {
    fmt::print(stderr, "error: {}\n", path.error().what());
    exitCode = kExitUsage;
    return std::nullopt;
  }
  manifest::ParseReport report = manifest::loadManifestFile(*path);
  if (report.manifest && !projectNameOverride().empty()) {
    report.manifest->project.name = projectNameOverride();
  }
  if (showWarnings) {
    std::fputs(report.render(stderrColor()).c_str(), stderr);
  } else {
    std::vector<manifest::Diagnostic> all = std::move(report.diagnostics);
    report.diagnostics.clear();
    for (const auto& d : all) {
      if (d.severity == manifest::Severity::Error) {
        report.diagnostics.push_back(d);
      }
    }
    std::fputs(report.render(stderrColor()).c_str(), stderr);
    report.diagnostics = std::move(all);
  }
  if (!report.ok() && report.source.empty() && report.diagnostics.size() == 1 &&
      report.diagnostics[0].location.line == 0) {
    exitCode = kExitFailure;  // unreadable file, not an invalid one
    return std::nullopt;
  }
  exitCode = report.ok() ? kExitOk : kExitUsage;
  return report;
}

void overrideProjectName(std::string name) { projectNameOverride() = std::move(name); }

int runValidate(const ValidateOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::ParseReport> report = loadManifestForCommand(options.file, exitCode);
  if (!report) {
    return exitCode;
  }
  const std::size_t errors =
      manifest::countSeverity(report->diagnostics, manifest::Severity::Error);
  const std::size_t warnings =
      manifest::countSeverity(report->diagnostics, manifest::Severity::Warning);
  const std::string file =
      report->manifest ? report->manifest->file : report->diagnostics.front().location.file;
  if (errors > 0) {
    fmt::print(stderr, "{}: {} error(s), {} warning(s)\n", file, errors, warnings);
    return kExitUsage;
  }
  if (options.strict && warnings > 0) {
    fmt::print(stderr, "{}: {} warning(s), failing because of --strict\n", file, warnings);
    return kExitUsage;
  }
  fmt::print(stderr, "{}: ok, project '{}' with {} resource(s){}\n", file,
             report->manifest->project.name, report->manifest->resources.size(),
             warnings > 0 ? fmt::format(", {} warning(s)", warnings) : std::string());
  return kExitOk;
}

void registerValidate(Registrar& r) {
  auto o = std::make_shared<ValidateOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb(
      "validate", "Check lightshuttle.yml and report every problem with file:line:column", [o, &g] {
        inherit(o->file, g.file);
        return runValidate(*o);
      });
  addFileFlag(*cmd, o->file,
              "Manifest to check (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
              "or .yaml in this directory or a parent)");
  cmd->add_flag("--strict", o->strict,
                "Fail on warnings too (untagged or latest images, publishing on 0.0.0.0)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle validate\n"
      "  lightshuttle validate --strict -f examples/basic/lightshuttle.yml\n"
      "Exit status: 0 valid, 2 invalid (or warnings with --strict) or no manifest found, "
      "1 unreadable file.\n");
}

}  // namespace ls::cli
