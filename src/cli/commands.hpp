// The commands of the `lightshuttle` executable: each is one file with an options struct and a
// run function; main.cpp maps names, help and flags to them (the only file that sees CLI11).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "lightshuttle/manifest/loader.hpp"

namespace ls::cli {

/// Exit codes, decided here once.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitInterrupted = 130,
};

struct DoctorOptions {
  std::string image;  ///< image for the port-publishing check; empty = the local test image
  bool skipPortCheck = false;
  bool json = false;
};
int runDoctor(const DoctorOptions& options);

/// Finds (`-f`, LIGHTSHUTTLE_FILE, upward search) and loads the manifest, printing every
/// diagnostic to stderr. Returns the report (check `ok()`), or nullopt with `exitCode` set when
/// no manifest could be found. Defined in validate.cpp.
std::optional<manifest::ParseReport> loadManifestForCommand(const std::string& file,
                                                            int& exitCode);

struct ValidateOptions {
  std::string file;     ///< -f; empty = discovery
  bool strict = false;  ///< warnings fail too
};
/// `lightshuttle validate`: 0 valid, 2 invalid (or warnings under --strict), 1 unreadable.
int runValidate(const ValidateOptions& options);

struct ConfigOptions {
  std::string file;  ///< -f; empty = discovery
};
/// `lightshuttle config`: the manifest with defaults materialised and secrets masked, as YAML
/// on stdout. 0 ok, 2 invalid manifest, 1 other failure.
int runConfig(const ConfigOptions& options);

struct SecretsCheckOptions {
  std::string file;     ///< -f; empty = discovery
  std::string envFile;  ///< --env-file; empty = .env next to the manifest
  bool json = false;
};
/// `lightshuttle secrets check`: 0 when every variable is set or defaulted, 1 when some are
/// missing, 2 for an invalid manifest. Values are never printed.
int runSecretsCheck(const SecretsCheckOptions& options);

struct PsOptions {
  std::string file;     ///< -f; empty = discovery
  std::string project;  ///< -p; overrides the manifest's
  std::string format = "table";  ///< table | json
  bool all = false;     ///< -a: stopped containers too
};
/// `lightshuttle ps`: 0 ok, 1 engine failure, 2 no project.
int runPs(const PsOptions& options);

struct DownOptions {
  std::string file;
  std::string project;
  bool volumes = false;  ///< also remove named volumes
  std::chrono::nanoseconds timeout{std::chrono::seconds(10)};  ///< grace before SIGKILL
};
/// `lightshuttle down`: 0 when everything of the project is gone, 1 otherwise.
int runDown(const DownOptions& options);

}  // namespace ls::cli
