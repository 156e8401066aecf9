// File: lightshuttle/engine/api.hpp
//
// Typed calls of the Docker Engine API over a `Client`. Raw JSON never leaves engine/: these
// value types are what the runtime layer maps its specs to and from.
//
//   ls::engine::Api api(*client);
//   auto created = co_await api.createContainer("demo_db", {.image = "lightshuttle-test/busybox",
//                                                           .cmd = {"sleep", "60"}});
//   co_await api.startContainer(created->id);
//
// Thread safety: as the Client (one loop thread). Idempotent outcomes (already running, already
// stopped, already removed) are values, not errors.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/engine/types.hpp"

namespace ls::engine {

class FrameDecoder;

struct VersionInfo {
  std::string version;     ///< "20.10.24"
  std::string apiVersion;  ///< the engine's maximum
  std::string minApiVersion;
  std::string os;
  std::string arch;
  std::string kernelVersion;
  std::vector<std::string> components;  ///< "Engine", "containerd", "runc", "Podman Engine", ...
};

struct EngineInfo {
  std::string name;
  std::string serverVersion;
  std::string operatingSystem;
  std::string storageDriver;
  std::string cgroupDriver;
  std::string cgroupVersion;
  std::vector<std::string> securityOptions;
  bool rootless = false;  ///< "name=rootless" among the security options
  int containers = 0;
  int containersRunning = 0;
  int images = 0;
  int ncpu = 0;
  std::int64_t memTotal = 0;
};

struct PortPublish {
  std::uint16_t containerPort = 0;
  std::string protocol = "tcp";      ///< tcp | udp
  std::string hostIp = "127.0.0.1";  ///< loopback unless asked otherwise
  std::string hostPort;              ///< empty = the engine picks a free port
};

struct HealthConfig {
  std::vector<std::string> test;  ///< ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"]
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds startPeriod{0};
  std::chrono::nanoseconds startInterval{0};  ///< sent only when the API is >= 1.44
  int retries = 0;
};

/// The body of POST /containers/create (the fields LightShuttle uses).
struct ContainerCreate {
  std::string image;
  std::vector<std::string> cmd;
  std::optional<std::vector<std::string>> entrypoint;  ///< nullopt: the image's; {} clears it
  std::vector<std::string> env;                        ///< "KEY=value"
  std::map<std::string, std::string> labels;
  std::string workingDir;
  std::string user;
  std::string hostname;
  bool tty = false;
  bool openStdin = false;
  std::string stopSignal;
  std::optional<int> stopTimeoutSeconds;
  std::optional<HealthConfig> healthcheck;
  std::vector<PortPublish> ports;
  std::vector<std::string> binds;             ///< "src:/dst[:ro]"
  std::vector<std::string> anonymousVolumes;  ///< container paths backed by fresh anonymous volumes
  std::string networkMode;                    ///< "" = default bridge, or a network name
  std::vector<std::string> networkAliases;    ///< on networkMode's network
  bool autoRemove = false;
  bool init = false;
  std::string restartPolicy;  ///< "", "no", "always", "on-failure", "unless-stopped"
  int restartMaxRetries = 0;
};

struct CreatedContainer {
  std::string id;
  std::vector<std::string> warnings;
};

enum class StartOutcome { Started, AlreadyRunning };
enum class StopOutcome { Stopped, AlreadyStopped };
enum class RemoveOutcome { Removed, AlreadyRemoved };

struct ContainerState {
  std::string status;  ///< created | running | paused | restarting | removing | exited | dead
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oomKilled = false;
  bool dead = false;
  int pid = 0;
  int exitCode = 0;
  std::string error;
  std::optional<Timestamp> startedAt;   ///< absent when never started
  std::optional<Timestamp> finishedAt;  ///< absent when never finished
  std::string health;                   ///< "" (no healthcheck) | starting | healthy | unhealthy
  int failingStreak = 0;
};

struct PublishedPort {
  std::uint16_t containerPort = 0;
  std::string protocol;
  std::string hostIp;
  std::uint16_t hostPort = 0;
};

struct NetworkAttachment {
  std::string networkId;
  std::string ipAddress;
  std::vector<std::string> aliases;
};

struct ContainerInfo {
  std::string id;
  std::string name;     ///< without the leading '/'
  std::string image;    ///< as configured
  std::string imageId;  ///< sha256:...
  std::map<std::string, std::string> labels;
  bool tty = false;
  std::string stopSignal;       ///< Config.StopSignal ("" = SIGTERM)
  bool hasHealthcheck = false;  ///< Config.Healthcheck with a test other than NONE
  int restartCount = 0;
  ContainerState state;
  std::vector<std::string> binds;  ///< HostConfig.Binds as created ("name:/path", "/host:/path:ro")
  std::vector<PublishedPort> ports;
  std::map<std::string, NetworkAttachment> networks;
};

struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;
  std::string image;
  std::string state;
  std::string status;
  std::map<std::string, std::string> labels;
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> repoTags;
  std::vector<std::string> repoDigests;
  std::map<std::string, std::string> labels;
  std::int64_t size = 0;
};

/// GET /containers/{id}/logs parameters.
struct LogsOptions {
  bool follow = false;
  bool stdoutStream = true;
  bool stderrStream = true;
  bool timestamps = false;
  std::optional<std::string> tail;   ///< "all" or a line count
  std::optional<std::string> since;  ///< unix seconds (may have a fraction) or RFC 3339
  std::optional<std::string> until;
};

/// A piece of container output in emission order.
struct LogChunk {
  StreamKind stream = StreamKind::Stdout;
  std::string bytes;
  /// Logs of a multiplexed stream: these bytes begin a frame, one record of the engine's log
  /// (a record starts with its timestamp when timestamps were asked for). Pieces of one frame
  /// may come as several chunks; a chunk never holds the start of a second frame.
  bool frameStart = false;
};

/// Logs as a stream of chunks, demultiplexed (or raw for TTY containers).
class LogStream {
 public:
  LogStream(std::unique_ptr<ResponseStream> body, std::unique_ptr<FrameDecoder> decoder);
  ~LogStream();
  /// The next chunk, or nullopt at the end of the logs (container gone, or not following).
  /// Errors from the daemon's own stream (id 3) become Internal.
  boost::asio::awaitable<Result<std::optional<LogChunk>>> next();
  void close();

 private:
  std::unique_ptr<ResponseStream> body_;
  std::unique_ptr<FrameDecoder> decoder_;
  std::vector<LogChunk> ready_;
  std::size_t readPos_ = 0;
  bool finished_ = false;
};

/// One message of an image pull.
struct PullProgress {
  std::string id;      ///< layer id, or the tag for summary lines
  std::string status;  ///< "Pulling fs layer", "Downloading", "Pull complete", ...
  std::int64_t current = 0;
  std::int64_t total = 0;
};

struct ImageRef {
  std::string repository;  ///< "127.0.0.1:5000/lightshuttle-test/busybox"
  std::string tag;         ///< "latest" when empty
};

/// Splits "repo[:tag][@digest]" as the engine expects fromImage/tag (the registry port is not a
/// tag). A digest stays in `tag` position as "sha256:..." with the repository alone.
ImageRef splitImageRef(std::string_view reference);

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  std::map<std::string, std::string> labels;
  std::vector<std::string> containerIds;  ///< attached containers
};

struct NetworkCreate {
  std::string name;
  std::string driver = "bridge";
  std::map<std::string, std::string> labels;
  bool checkDuplicate = true;
};

/// One message of GET /events.
struct EngineEvent {
  std::string type;    ///< "container", "network", "image", ...
  std::string action;  ///< "start", "die", "health_status: healthy", "exec_create: ...", ...
  std::string actorId;
  std::map<std::string, std::string> attributes;  ///< name, image, labels, exitCode, ...
  std::int64_t timeNano = 0;
};

struct EventsOptions {
  std::optional<std::string> since;  ///< "seconds.nanoseconds" or RFC 3339
  std::optional<std::string> until;
  std::map<std::string, std::vector<std::string>> filters;  ///< {"type":["container"], ...}
};

/// GET /events as a stream of typed messages.
class EventsStream {
 public:
  explicit EventsStream(std::unique_ptr<ResponseStream> body);
  ~EventsStream();
  /// The next event; nullopt when the engine ended the stream (e.g. `until` reached).
  /// Unavailable when the connection drops (e.g. the engine restarts).
  boost::asio::awaitable<Result<std::optional<EngineEvent>>> next();
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// POST /build parameters (classic builder).
struct BuildOptions {
  std::string tag;
  std::string dockerfile;  ///< path inside the context; empty = Dockerfile
  std::string target;
  std::map<std::string, std::string> buildArgs;
  std::map<std::string, std::string> labels;
  bool pull = false;
};

/// One message of a build: a line of output ("stream") or the resulting image id ("aux").
struct BuildProgress {
  std::string stream;
  std::string imageId;
};

/// A terminal size in character cells.
struct TtySize {
  std::uint16_t height = 0;  ///< rows
  std::uint16_t width = 0;   ///< columns
};

/// POST /containers/{id}/exec parameters.
struct ExecCreate {
  std::vector<std::string> cmd;
  std::vector<std::string> env;  ///< "KEY=value"
  std::string workingDir;
  std::string user;
  bool privileged = false;
  bool attachStdin = false;
  bool attachStdout = true;
  bool attachStderr = true;
  bool tty = false;  ///< a pseudo-terminal: output is raw (stdout and stderr merged)
  /// Initial terminal size with `tty`. Sent only to engines speaking API 1.42 or newer (older
  /// ones start the process at 0x0: resize after the start).
  std::optional<TtySize> consoleSize;
};

/// POST /exec/{id}/start parameters for an attached start.
struct ExecStart {
  bool tty = false;                    ///< must match ExecCreate::tty
  std::optional<TtySize> consoleSize;  ///< as ExecCreate::consoleSize (API 1.42+)
};

/// A started exec attached over a hijacked connection: stdin goes in raw, output comes out
/// demultiplexed (without a TTY) or raw on stdout (with one).
///
/// Thread safety: as the Client. One `next` and one `write` may be in flight at the same time.
class ExecStream {
 public:
  ExecStream(std::unique_ptr<UpgradedConnection> conn, bool tty);
  ~ExecStream();
  ExecStream(const ExecStream&) = delete;
  ExecStream& operator=(const ExecStream&) = delete;

  /// The next output chunk in emission order, or nullopt once the engine ended the stream (the
  /// process exited). Errors from the daemon's own stream (id 3) become Internal; a stream cut
  /// inside a frame is Unavailable.
  boost::asio::awaitable<Result<std::optional<LogChunk>>> next();
  /// Writes `bytes` to the process's stdin (raw, no framing). `bytes` must stay alive until the
  /// write completes. Unavailable once the process exited or stdin was closed.
  boost::asio::awaitable<Result<void>> write(std::string_view bytes);
  /// Half-closes the connection: without a TTY the process reads EOF on stdin. With a TTY,
  /// Docker instead ends the whole stream (output included) and the process never learns: type
  /// the terminal's EOF (^D) through `write` there. Idempotent.
  Result<void> closeStdin();
  /// Closes the connection; the process may keep running. Idempotent.
  void close();

 private:
  std::unique_ptr<UpgradedConnection> conn_;
  std::unique_ptr<FrameDecoder> decoder_;
  std::vector<LogChunk> ready_;
  std::size_t readPos_ = 0;
  bool finished_ = false;
};

class Api {
 public:
  explicit Api(Client& client) : client_(client) {}

  Client& client() { return client_; }

  boost::asio::awaitable<Result<VersionInfo>> version();
  boost::asio::awaitable<Result<EngineInfo>> info();

  /// POST /containers/create. Conflict with reason "name_in_use" when the name is in use
  /// (podman 4.3 answers 500 there: a server error is followed by an inspect of the name);
  /// NotFound when the image is missing locally (pull first).
  boost::asio::awaitable<Result<CreatedContainer>> createContainer(const std::string& name,
                                                                   const ContainerCreate& spec);
  boost::asio::awaitable<Result<StartOutcome>> startContainer(const std::string& id);
  /// SIGTERM (or the container's stop signal), then SIGKILL after `timeout`.
  boost::asio::awaitable<Result<StopOutcome>> stopContainer(const std::string& id,
                                                            std::chrono::seconds timeout);
  boost::asio::awaitable<Result<void>> killContainer(const std::string& id,
                                                     const std::string& signal = "SIGKILL");
  /// DELETE /containers/{id}; a missing container is AlreadyRemoved.
  boost::asio::awaitable<Result<RemoveOutcome>> removeContainer(const std::string& id, bool force,
                                                                bool volumes);
  boost::asio::awaitable<Result<ContainerInfo>> inspectContainer(const std::string& id);
  /// GET /containers/json?all=1 with a label filter ("key" or "key=value"); empty = no filter.
  boost::asio::awaitable<Result<std::vector<ContainerSummary>>> listContainers(
      const std::vector<std::string>& labelFilters, bool all = true);
  /// POST /containers/{id}/wait?condition=...; the exit code. Blocks until the condition holds
  /// (no timeout of its own beyond `timeout`).
  boost::asio::awaitable<Result<int>> waitContainer(const std::string& id,
                                                    const std::string& condition,
                                                    std::chrono::milliseconds timeout);
  /// Logs; `tty` selects raw decoding (pass ContainerInfo::tty; default: detect).
  boost::asio::awaitable<Result<std::unique_ptr<LogStream>>> logs(const std::string& id,
                                                                  const LogsOptions& options,
                                                                  std::optional<bool> tty = {});

  /// POST /images/create, reporting progress. An `errorDetail` inside the 200 stream is an
  /// error (NotFound when the registry says the manifest is unknown, by its status code).
  boost::asio::awaitable<Result<void>> pullImage(
      const std::string& reference, const std::function<void(const PullProgress&)>& onProgress,
      const std::string& registryAuth = {});
  boost::asio::awaitable<Result<ImageInfo>> inspectImage(const std::string& reference);
  /// POST /build with a tar context. Returns the image id. An `errorDetail` inside the 200 stream
  /// is FailedPrecondition with reason "build_failed" carrying the engine's message.
  boost::asio::awaitable<Result<std::string>> buildImage(
      std::string contextTar, const BuildOptions& options,
      const std::function<void(const BuildProgress&)>& onProgress);

  /// POST /networks/create; the network id. Conflict when the name exists (checkDuplicate).
  boost::asio::awaitable<Result<std::string>> createNetwork(const NetworkCreate& spec);
  boost::asio::awaitable<Result<NetworkInfo>> inspectNetwork(const std::string& nameOrId);
  /// DELETE /networks/{id}; a missing network is AlreadyRemoved. Conflict while containers are
  /// attached (FailedPrecondition would hide the engine's "active endpoints" message).
  boost::asio::awaitable<Result<RemoveOutcome>> removeNetwork(const std::string& nameOrId);

  /// Creates an exec instance in a running container; its id. Conflict when it is not running.
  boost::asio::awaitable<Result<std::string>> createExec(const std::string& containerId,
                                                         const ExecCreate& spec);
  /// Starts it attached (no TTY) and streams its stdout/stderr until the process exits.
  boost::asio::awaitable<Result<std::unique_ptr<LogStream>>> startExec(const std::string& execId);
  /// Starts it attached on a hijacked connection (stdin, stdout, stderr as created), for
  /// interactive use. The process runs as soon as the engine answered.
  boost::asio::awaitable<Result<std::unique_ptr<ExecStream>>> startExecAttached(
      const std::string& execId, const ExecStart& start);
  /// POST /exec/{id}/resize: the TTY of a running exec instance becomes `size`. NotFound when the
  /// exec instance is unknown; the engine's error (a 5xx, Internal) when it has no TTY or has
  /// exited.
  boost::asio::awaitable<Result<void>> resizeExec(const std::string& execId, const TtySize& size);
  /// POST /containers/{id}/attach?stream=1&stdout=1&stderr=1[&stdin=1] on a hijacked
  /// connection: attach to a created container before starting it and its whole output comes
  /// through (multiplexed unless it was created with a TTY), then the end of the stream once
  /// it exits. NotFound for an unknown container.
  boost::asio::awaitable<Result<std::unique_ptr<ExecStream>>> attachContainer(const std::string& id,
                                                                              bool attachStdin,
                                                                              bool tty);
  /// POST /containers/{id}/resize: the TTY of a running container becomes `size`.
  boost::asio::awaitable<Result<void>> resizeContainer(const std::string& id, const TtySize& size);
  /// The exit code of a finished exec instance (FailedPrecondition while it still runs).
  boost::asio::awaitable<Result<int>> execExitCode(const std::string& execId);

  /// DELETE /volumes/{name}; a missing volume is AlreadyRemoved, one in use is Conflict.
  boost::asio::awaitable<Result<RemoveOutcome>> removeVolume(const std::string& name);

  /// GET /events. Subscribe before acting so nothing is missed.
  boost::asio::awaitable<Result<std::unique_ptr<EventsStream>>> events(
      const EventsOptions& options);
  boost::asio::awaitable<Result<RemoveOutcome>> removeImage(const std::string& reference,
                                                            bool force);

 private:
  Client& client_;
};

}  // namespace ls::engine
