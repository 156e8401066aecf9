// The commands of the `lightshuttle` executable: each is one file with an options struct and a
// run function, and registers its own verb, help and flags (`registerX` in that file, listed in
// table.cpp; see flags.hpp). This header stays free of CLI11.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lightshuttle/manifest/env_file.hpp"
#include "lightshuttle/manifest/loader.hpp"

namespace ls::cli {

/// Exit codes, decided here once.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitInterrupted = 130,  ///< SIGINT (Ctrl+C)
  kExitTerminated = 143,   ///< SIGTERM
};

struct DoctorOptions {
  std::string image;  ///< image for the port-publishing check; empty = the local test image
  bool skipPortCheck = false;
  bool json = false;
};
int runDoctor(const DoctorOptions& options);

/// Finds (`-f`, LIGHTSHUTTLE_FILE, upward search) and loads the manifest, printing its errors
/// (and its warnings unless `showWarnings` is false: commands that only act on a running stack
/// stay quiet, `validate`, `config` and `up` show them) to stderr. Returns the report (check
/// `ok()`), or nullopt with `exitCode` set when no manifest could be found. In validate.cpp.
std::optional<manifest::ParseReport> loadManifestForCommand(const std::string& file, int& exitCode,
                                                            bool showWarnings = true);

struct ValidateOptions {
  std::string file;     ///< -f; empty = discovery
  bool strict = false;  ///< warnings fail too
};
/// `lightshuttle validate`: 0 valid, 2 invalid (or warnings under --strict), 1 unreadable.
int runValidate(const ValidateOptions& options);

struct ConfigOptions {
  std::string file;       ///< -f; empty = discovery
  bool services = false;  ///< --services: only the resource names, one per line
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
  std::string file;              ///< -f; empty = discovery
  std::string project;           ///< -p; overrides the manifest's
  std::string format = "table";  ///< table | json
  bool all = false;              ///< -a: stopped containers too
};
/// `lightshuttle ps`: 0 ok, 1 engine failure, 2 no project.
int runPs(const PsOptions& options);

struct DownOptions {
  std::string file;
  std::string project;
  bool volumes = false;  ///< also remove named volumes
  /// Grace before SIGKILL for every container; nullopt: each resource's stop_grace_period from
  /// the manifest (10 s for resources it does not name, or without a manifest).
  std::optional<std::chrono::nanoseconds> timeout;
};
/// `lightshuttle down`: 0 when everything of the project is gone, 1 otherwise.
int runDown(const DownOptions& options);

struct LogsOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;  ///< empty = all
  bool follow = false;
  std::optional<std::size_t> tail;
  std::optional<std::chrono::system_clock::time_point> since;
  bool timestamps = false;
  bool noColor = false;
  bool noPrefix = false;
};
/// `lightshuttle logs`: 0 ok, 1 failure, 130 interrupted while following.
int runLogs(const LogsOptions& options);

struct ExecOptions {
  std::string file;
  std::string project;
  std::string resource;
  std::vector<std::string> command;
  std::vector<std::string> env;  ///< -e KEY=value
  std::string workdir;
  std::string user;
  bool interactive = false;  ///< -i: our stdin feeds the command
  bool tty = false;  ///< -t: the command gets a terminal (raw mode here with -i on a terminal)
};
/// `lightshuttle exec`: the command's exit code, or 1 when it could not run.
int runExec(const ExecOptions& options);

struct RestartOptions {
  std::string file;
  std::string envFile;
  std::vector<std::string> resources;
  std::optional<std::chrono::nanoseconds> timeout;
};
/// `lightshuttle restart`: 0 when every resource is back and ready, 1 otherwise.
int runRestart(const RestartOptions& options);

struct UpOptions {
  std::string file;
  std::string envFile;
  std::vector<std::string> resources;  ///< a subset (with their dependencies); empty = all
  bool detach = false;                 ///< -d / --wait: return once ready, supervise in background
  std::optional<std::chrono::nanoseconds> timeout;  ///< per-resource start timeout
  bool noColor = false;
  bool keepOnFailure = false;
  std::string progress = "auto";  ///< auto | tty | plain | json
  /// --dashboard-port: the control API's TCP port (0 a free one); nullopt: the manifest's, else 0.
  std::optional<std::uint16_t> dashboardPort;
  /// --watch: once ready, the supervisor watches the manifest's `watch:` rules (cli/watch.cpp).
  bool watch = false;
};
/// `lightshuttle up`: 0 stopped cleanly (by `down`, or detached and ready), 1 boot failed,
/// 2 invalid manifest, 130 after SIGINT, 143 after SIGTERM.
int runUp(const UpOptions& options);

struct WatchCommandOptions {
  std::string file;   ///< -f; empty = discovery
  bool json = false;  ///< --json: every event as a JSON line on stdout
};
/// `lightshuttle watch`: 0 after the supervisor stopped the stack, 130 after Ctrl+C, 1 when no
/// supervisor runs or it failed, 2 without watch rules / an invalid manifest.
int runWatch(const WatchCommandOptions& options);

struct ExportOptions {
  std::string target;   ///< compose | kubernetes | helm | swarm
  std::string file;     ///< -f; empty = discovery
  std::string envFile;  ///< --env-file; empty = .env next to the manifest
  std::string output;   ///< -o; empty = export/<target>
  bool force = false;   ///< replace a non-empty directory
  bool allowLossy = false;
  std::string publishMode = "ingress";  ///< swarm: ingress | host
  std::string registry;                 ///< HOST[:PORT] for built images
};
struct PushOptions {
  std::string file;
  std::string envFile;
  std::string registry;                ///< HOST[:PORT], required
  std::vector<std::string> resources;  ///< dockerfile resources; empty = all of them
};
/// `lightshuttle push`: 0 every image pushed (digests printed and recorded), 1 a build, tag or
/// push failed, 2 usage.
int runPush(const PushOptions& options);
/// The digests `push` recorded for `registry` beside the manifest, by resource (push.cpp).
std::map<std::string, std::string> pushedDigests(const std::filesystem::path& manifestDirectory,
                                                 const std::string& registry);

struct DeployOptions {
  std::string target = "swarm";
  std::string file;
  std::string envFile;
  std::string registry;                 ///< push the built images there first
  std::string publishMode = "ingress";  ///< ingress | host
  bool allowLossy = false;
  std::chrono::nanoseconds timeout{std::chrono::minutes(5)};
};
/// `lightshuttle deploy swarm`: 0 when every service runs all its replicas, 1 otherwise
/// (naming each service that did not converge and its task error). In deploy.cpp.
int runDeploy(const DeployOptions& options);
/// `lightshuttle undeploy swarm`: 0 when the stack's services, containers and networks are gone.
int runUndeploy(const DeployOptions& options);
/// `.env` beside the manifest (or `envFile`) laid over the process environment; prints the
/// error and returns nullopt when the file is unreadable. In export.cpp.
std::optional<manifest::EnvMap> loadVariables(const manifest::Manifest& m,
                                              const std::string& envFile);

/// `lightshuttle export`: 0 written, 1 failure (or something dropped without --allow-lossy),
/// 2 invalid manifest.
int runExport(const ExportOptions& options);

struct DashboardOptions {
  std::string file;
  std::string project;
  bool json = false;
};
/// `lightshuttle dashboard`: prints the login URL of the project's running supervisor. 0 ok,
/// 1 no running supervisor (or it does not answer), 2 no project.
int runDashboard(const DashboardOptions& options);

}  // namespace ls::cli
