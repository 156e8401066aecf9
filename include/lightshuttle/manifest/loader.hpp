// File: lightshuttle/manifest/loader.hpp
//
// Reading a manifest: YAML text -> validated `Manifest` plus every diagnostic found. The loader
// never throws and never crashes on bad input; YAML syntax errors, duplicate keys, unknown keys
// (with a "did you mean"), bad values, unknown dependencies, bad interpolations and dependency
// cycles are all reported, each with file, line, column and field path.
//
//   auto report = ls::manifest::loadManifestFile("lightshuttle.yml");
//   for (const auto& d : report.diagnostics) std::cerr << renderDiagnostic(d, report.source);
//   if (report.ok()) use(*report.manifest);
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/manifest/diagnostic.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::manifest {

struct ParseReport {
  std::optional<Manifest> manifest;  ///< present when there is no error (warnings allowed)
  std::vector<Diagnostic> diagnostics;
  std::string source;  ///< the text that was parsed, for rendering

  bool ok() const { return manifest.has_value(); }
  /// All diagnostics rendered, errors and warnings in file order.
  std::string render(bool color = false) const;
};

/// Parses and validates manifest text. `file` names it in diagnostics; `directory` is where
/// relative paths (build contexts, host volumes, .env) are resolved from.
ParseReport parseManifest(std::string_view text, std::string file,
                          std::filesystem::path directory = {});

/// Reads `path` and parses it (directory = the file's absolute parent directory). A file that
/// cannot be read gives one diagnostic with no line.
ParseReport loadManifestFile(const std::filesystem::path& path);

struct DiscoveryOptions {
  std::optional<std::filesystem::path> file;  ///< `-f`; wins over everything
  std::optional<std::string> envFile;         ///< the value of LIGHTSHUTTLE_FILE, if set
  std::filesystem::path cwd;                  ///< where the upward search starts
};

/// Finds the manifest: `-f`, else LIGHTSHUTTLE_FILE, else `lightshuttle.yml` or
/// `lightshuttle.yaml` in `cwd` or the nearest parent. Errors: NotFound (naming where it looked).
Result<std::filesystem::path> discoverManifest(const DiscoveryOptions& options);

}  // namespace ls::manifest
