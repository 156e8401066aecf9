// File: lightshuttle/runtime/types.hpp
//
// Value types shared by the runtime library, the spec resolver and the lifecycle manager. No I/O,
// no engine wire format: `ContainerSpec` is what a manifest resource resolves to and what every
// `Runtime` backend starts.
//
//   ls::runtime::ContainerSpec spec;
//   spec.name = "demo_db";  spec.project = "demo";  spec.resource = "db";
//   spec.image = ls::runtime::PullImage{.reference = "lightshuttle-test/postgres:15"};
//   spec.env["POSTGRES_PASSWORD"] = generated;  spec.secretEnvKeys.insert("POSTGRES_PASSWORD");
//   spec.ports.push_back({.containerPort = 5432, .hostPort = 5432});   // 127.0.0.1:5432
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace ls::runtime {

/// Label keys that mark what LightShuttle owns on the engine.
inline constexpr const char* kLabelProject = "lightshuttle.project";
inline constexpr const char* kLabelResource = "lightshuttle.resource";
inline constexpr const char* kLabelConfigHash = "lightshuttle.config-hash";

enum class PullPolicy {
  Missing,  ///< pull only when the image is not present locally (default)
  Always,   ///< pull before every start
  Never,    ///< never pull; a missing image is NotFound
};

struct PullImage {
  std::string reference;  ///< "postgres:16-alpine", "127.0.0.1:5000/x/y:tag", "repo@sha256:..."
  PullPolicy policy = PullPolicy::Missing;
};

struct BuildImage {
  std::string context;     ///< absolute directory of the build context
  std::string dockerfile;  ///< relative to the context; empty = "Dockerfile"
  std::map<std::string, std::string> buildArgs;
  std::string target;  ///< multi-stage target; empty = last stage
  std::string tag;     ///< e.g. "lightshuttle/demo_api:dev"
  std::map<std::string, std::string> labels;
};

using ImageSource = std::variant<PullImage, BuildImage>;

/// Sctp only comes from the engine (a port the image exposes, `portMappings`, `inspectDetailed`):
/// manifests publish tcp and udp.
enum class Protocol { Tcp, Udp, Sctp };

/// "tcp", "udp", "sctp".
constexpr const char* protocolName(Protocol p) noexcept {
  return p == Protocol::Udp ? "udp" : p == Protocol::Sctp ? "sctp" : "tcp";
}

struct PortBinding {
  std::uint16_t containerPort = 0;
  std::string hostAddress;                ///< empty = 127.0.0.1 (never 0.0.0.0 unless asked)
  std::optional<std::uint16_t> hostPort;  ///< nullopt = the engine picks a free port
  Protocol protocol = Protocol::Tcp;
};

struct VolumeBinding {
  enum class Kind {
    HostPath,   ///< `source` is an absolute host path
    Named,      ///< `source` is a volume name (kept by `down`, removed by `down --volumes`)
    Anonymous,  ///< no source; removed with the container
  };
  Kind kind = Kind::Anonymous;
  std::string source;
  std::string target;  ///< absolute path inside the container
  bool readOnly = false;
};

/// A healthcheck test that the orchestrator can also run natively, over the container's own
/// network address, with no process started in the container (native_check.hpp): what the
/// test's command asks of the server, spoken in the server's protocol.
struct NativeCheck {
  enum class Protocol {
    Postgres,  ///< `pg_isready`: a startup message is answered (57P03 "starting up" is not)
    Redis,     ///< `redis-cli ping`: PONG (after AUTH when `password` is set)
  };
  Protocol protocol = Protocol::Postgres;
  std::uint16_t port = 0;
  std::string user;      ///< Postgres: the startup message's user
  std::string password;  ///< Redis: AUTH first when not empty (a secret: never logged)
};

struct HealthcheckSpec {
  /// ["CMD", arg...] or ["CMD-SHELL", "command"]; ["NONE"] disables the image's healthcheck.
  std::vector<std::string> test;
  std::chrono::nanoseconds interval{std::chrono::seconds(5)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(3)};
  int retries = 5;
  std::chrono::nanoseconds startPeriod{std::chrono::seconds(5)};
  /// The same test as a native check, for built-in healthchecks only: the engine still runs
  /// `test`; the lifecycle's readiness probe runs this instead of an exec when it can.
  std::optional<NativeCheck> native;
};

struct RestartPolicy {
  enum class Mode { No, OnFailure, Always };
  Mode mode = Mode::No;
  std::optional<int> maxRetries;  ///< on-failure:N
};

/// Everything needed to create and start one container of a stack.
struct ContainerSpec {
  std::string name;  ///< container name, "<project>_<resource>"
  std::string project;
  std::string resource;  ///< also the container's DNS alias on the project network
  ImageSource image;
  std::map<std::string, std::string> env;
  /// Keys of `env` whose values are secrets: never logged, printed, or put in errors/events.
  std::set<std::string> secretEnvKeys;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> command;
  std::optional<std::string> workingDir;
  std::vector<PortBinding> ports;
  std::vector<VolumeBinding> volumes;
  std::optional<HealthcheckSpec> healthcheck;
  /// User labels; the runtime adds lightshuttle.project/resource/config-hash.
  std::map<std::string, std::string> labels;
  RestartPolicy restart;
  std::string stopSignal;  ///< empty = the image's (SIGTERM by default)
  std::chrono::nanoseconds stopGracePeriod{std::chrono::seconds(10)};
};

enum class ContainerState {
  Starting,   ///< created, restarting or paused: not running yet
  Running,    ///< running; without a healthcheck, or its first probe has not passed yet
  Healthy,    ///< running and its healthcheck passes
  Unhealthy,  ///< running and its healthcheck failed `retries` times in a row
  Stopped,    ///< exited or dead
};

struct ContainerStatus {
  ContainerState state = ContainerState::Starting;
  bool hasHealthcheck = false;
  std::optional<int> exitCode;  ///< set when Stopped
  bool oomKilled = false;
  /// Frozen by `ContainerOps::pause` (state is then Starting: not running until unpaused).
  bool paused = false;
  std::optional<std::chrono::system_clock::time_point> startedAt;
  std::optional<std::chrono::system_clock::time_point> finishedAt;
  /// Published ports as the engine allocated them (host port filled in).
  std::vector<PortBinding> ports;
  /// The container's address on each network it is attached to (network name → IP), when the
  /// backend has addresses.
  std::map<std::string, std::string> addresses;
};

/// Progress of a pull or a build.
struct ImageProgress {
  std::string image;
  std::string id;      ///< layer id (pull) or empty
  std::string status;  ///< "Downloading", "Step 2/5 : RUN ...", ...
  std::int64_t current = 0;
  std::int64_t total = 0;
};
using ProgressCallback = std::function<void(const ImageProgress&)>;

}  // namespace ls::runtime
