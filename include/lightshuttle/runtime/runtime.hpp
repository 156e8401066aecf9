// File: lightshuttle/runtime/runtime.hpp
//
// The abstract container runtime the lifecycle targets: what a stack needs from an engine (its
// containers, network and volumes, their images, events, exec, logs, and the restart, stats and
// archive upload of watch mode and the control plane). The wider engine surface is in small
// interfaces beside it: `ContainerOps` (container_ops.hpp: kill, wait, pause, top, ...),
// `ImageOps` (image_ops.hpp: list, tag, remove, save, push, commit, ...) and `ArchiveOps`
// (archive_ops.hpp: archive stat and download, export). Two backends implement all four:
// `DockerRuntime` (the Docker Engine API; runtime/docker_runtime.hpp) and `MemoryRuntime` (a
// scriptable in-memory fake for lifecycle tests; runtime/memory_runtime.hpp).
//
//   ls::runtime::Runtime& rt = ...;
//   LS_CO_TRY(co_await rt.ensureProjectNetwork("demo"));
//   LS_CO_ASSIGN_OR_RETURN(auto id, co_await rt.start(spec));
//   LS_CO_TRY(co_await rt.waitHealthy(id, std::chrono::seconds(60)));
//   ...
//   co_await rt.stop(id, spec.stopGracePeriod);
//   co_await rt.remove(spec.name);
//
// Threading: every method is a coroutine for the io_context the runtime was created with, which
// runs on one thread; calls may be in flight concurrently on that thread. Cancellation: each
// call honours terminal cancellation of the awaiting coroutine and then returns Errc::Cancelled.
//
// NOTE (GCC 12): never pass a braced-init temporary inside a co_await expression
// (`co_await rt.logs(id, {.follow = true})`); GCC frees it twice. Use a named local.
// NOTE (lifetimes): the awaitables are lazy and take their arguments by reference. Awaiting at
// once (`co_await rt.remove(name)`) is safe; handing one to `co_spawn` is safe only when the
// arguments outlive the spawned work.
//
// Errors (ls::Errc) common to every method: Unavailable (engine unreachable, with the endpoint
// and what to do), Timeout, Cancelled, Internal (engine 5xx), InvalidArgument (engine 400).
// `Error::reason()` refines some categories, identically in every backend:
//   "port_allocated"      Conflict from start: a host port is taken
//   "build_failed"        FailedPrecondition from start/buildImage: a Dockerfile step failed
//   "exited_before_ready" FailedPrecondition from waitHealthy
//   "foreign_network"     FailedPrecondition from the network calls: not ours, left untouched
//   "network_in_use"      FailedPrecondition from teardownProjectNetwork: running containers
//                         are still attached (stopped ones do not count, except on podman)
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/native_check.hpp"
#include "lightshuttle/runtime/operations.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::runtime {

/// Opaque identifier of a container (the engine's id for DockerRuntime).
struct ContainerId {
  std::string value;
  friend bool operator==(const ContainerId&, const ContainerId&) = default;
  friend auto operator<=>(const ContainerId&, const ContainerId&) = default;
};

std::string_view containerStateName(ContainerState s) noexcept;

enum class StopOutcome { Stopped, AlreadyStopped };
enum class RemoveOutcome { Removed, AlreadyRemoved };
enum class NetworkOutcome { Created, AlreadyExisted };

/// A piece of container output with the engine's emission time.
struct LogChunk {
  enum class Stream { Stdout, Stderr };
  Stream stream = Stream::Stdout;
  std::chrono::system_clock::time_point timestamp;
  std::string bytes;
};

struct LogOptions {
  bool follow = false;
  std::optional<std::size_t> tail;  ///< last N lines; nullopt = all
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
  bool stdoutStream = true;
  bool stderrStream = true;
};

/// A stream of log chunks in emission order. `next` returns nullopt at the end (not following,
/// or the container is gone).
class LogChunkStream {
 public:
  virtual ~LogChunkStream() = default;
  virtual boost::asio::awaitable<Result<std::optional<LogChunk>>> next() = 0;
  virtual void close() = 0;
};

/// A container found on the engine by its labels.
struct ManagedContainer {
  ContainerId id;
  std::string name;
  std::string resource;  ///< from the lightshuttle.resource label ("" when absent)
  std::string configHash;
  std::string image;  ///< the image reference it was created from
  /// Named volumes it mounts (kept by `down`, removed by `down --volumes`).
  std::vector<std::string> namedVolumes;
  ContainerStatus status;
};

/// A typed engine event about a container of ours.
struct RuntimeEvent {
  enum class Kind {
    Start,
    Die,  ///< exitCode set
    Oom,
    HealthStatus,  ///< health set: "healthy" | "unhealthy" | "starting"
    Destroy,
    Stop,
    Reconnected,  ///< the stream was re-established: events may have been lost; reconcile
    /// The stream to the engine broke (once per break, before it tries to reconnect): the
    /// engine may be going away. `ping` tells whether it still answers.
    Disconnected,
  };
  Kind kind = Kind::Start;
  ContainerId id;
  std::string name;
  std::string project;
  std::string resource;
  std::optional<int> exitCode;
  std::string health;
  std::chrono::system_clock::time_point time;
};

struct EventFilter {
  std::string project;  ///< only containers labelled with this project; empty = all of ours
};

/// Engine events, in order. Survives an engine restart: on reconnection it resumes with `since=`
/// and yields one `Reconnected` event so the caller re-lists state (a `Disconnected` event marks
/// the moment it broke). A consumer that falls far
/// behind also gets `Reconnected` (the backlog is dropped) instead of slowing the runtime.
/// After `close()`, `next()` returns Cancelled.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual boost::asio::awaitable<Result<RuntimeEvent>> next() = 0;
  virtual void close() = 0;
};

/// A command to run inside a running container (`Runtime::exec`).
struct ExecRequest {
  std::vector<std::string> cmd;  ///< argv; run directly (wrap in /bin/sh -c for a shell)
  std::vector<std::string> env;  ///< extra "KEY=value" entries on top of the container's
  std::string workingDir;        ///< empty: the container's
  std::string user;              ///< empty: the container's
  /// Bound on the whole call (create, run, collect); zero or negative: no bound.
  std::chrono::nanoseconds timeout{0};
};

/// What an exec'd command did. Each captured stream keeps at most `kExecOutputCap` bytes (the
/// rest is read and dropped).
struct ExecResult {
  int exitCode = 0;
  std::string stdoutText;
  std::string stderrText;
};

inline constexpr std::size_t kExecOutputCap = 64 * 1024;

/// A command to run interactively inside a running container (`Runtime::execInteractive`).
struct InteractiveExecRequest {
  std::vector<std::string> cmd;  ///< argv; run directly (wrap in /bin/sh -c for a shell)
  std::vector<std::string> env;  ///< extra "KEY=value" entries on top of the container's
  std::string workingDir;        ///< empty: the container's
  std::string user;              ///< empty: the container's
  bool privileged = false;
  /// Allocate a pseudo-terminal: output is raw terminal bytes, stdout and stderr merged (all
  /// chunks are Stdout), and the terminal can be resized.
  bool tty = false;
  bool attachStdin = false;  ///< feed the process's stdin through ExecSession::write
  bool attachStdout = true;
  bool attachStderr = true;
  /// Initial terminal size with `tty` (rows x columns); 0 leaves the engine's default. Engines
  /// before API 1.42 cannot size the terminal before the process starts: the size is applied
  /// right after the start, so a command that reads it at once may still see 0 0.
  std::uint16_t height = 0;
  std::uint16_t width = 0;
};

/// A piece of an interactive exec's output.
struct ExecChunk {
  using Stream = LogChunk::Stream;
  Stream stream = Stream::Stdout;
  std::string bytes;
};

/// A running interactive exec (`Runtime::execInteractive`). The process runs until it exits on
/// its own: closing the session only detaches (the process may keep running).
///
/// Threading: one `read` and one `write` (or `resize`) may be in flight at the same time, from
/// coroutines on the runtime's loop thread. The session must not outlive the runtime.
class ExecSession {
 public:
  virtual ~ExecSession() = default;
  /// Writes `bytes` to the process's stdin (`bytes` must stay alive until the write completes).
  /// FailedPrecondition when stdin is not attached or already closed; Unavailable once the
  /// process has exited.
  virtual boost::asio::awaitable<Result<void>> write(std::string_view bytes) = 0;
  /// Ends the process's input (it reads EOF); output keeps coming. With a TTY this types the
  /// terminal's end-of-file (^D, twice after a partial line), as a user would: a command that put
  /// its terminal in raw mode reads it as a byte. Idempotent; a no-op when stdin is not attached.
  virtual boost::asio::awaitable<Result<void>> closeStdin() = 0;
  /// The next piece of output in emission order, or nullopt once the process has exited and its
  /// output has been delivered. Unavailable when the connection to the engine breaks.
  virtual boost::asio::awaitable<Result<std::optional<ExecChunk>>> read() = 0;
  /// Resizes the terminal (rows x columns). FailedPrecondition without a TTY; an engine error
  /// when the process has already exited.
  virtual boost::asio::awaitable<Result<void>> resize(std::uint16_t height,
                                                      std::uint16_t width) = 0;
  /// The exit code, once `read` has returned nullopt (waits briefly while the engine still
  /// reports the process as running). FailedPrecondition when it is still running.
  virtual boost::asio::awaitable<Result<int>> exitCode() = 0;
  /// Detaches: pending reads and writes complete with an error. Idempotent.
  virtual void close() = 0;
};

struct StartOptions {
  ProgressCallback onProgress;  ///< pull/build progress; may be empty
  /// The caller made the image available beforehand (`prepareImage`): `start` neither pulls nor
  /// builds. A missing image is then NotFound (after the one retry that ensures the network).
  bool imagePrepared = false;
};

/// An image made available by `Runtime::prepareImage`.
struct PreparedImage {
  std::string reference;  ///< the pull reference, or the build tag
  std::string id;      ///< the engine's image id ("sha256:…"); empty when the backend cannot tell
  bool built = false;  ///< built from a Dockerfile context
  bool pulled = false;  ///< fetched from a registry by this call (false: it was present)
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  /// Makes the image available (pull per policy, or build), ensures the project network, creates
  /// the container named `spec.name` with the resource name as a DNS alias, and starts it.
  /// Not idempotent: an existing container of that name is Conflict (remove it first).
  /// A failed start leaves no container behind.
  /// Errors: NotFound (image missing with policy never, or not in the registry), Conflict (name
  /// in use; a host port already allocated — the message names the port and the resource),
  /// FailedPrecondition (a build failed: the engine's message is kept), InvalidArgument (a name
  /// the engine refuses: [a-zA-Z0-9][a-zA-Z0-9_.-]+; nothing is created).
  virtual boost::asio::awaitable<Result<ContainerId>> start(const ContainerSpec& spec,
                                                            const StartOptions& options) = 0;

  /// Sends the stop signal, then SIGKILL after `grace` (sub-second graces honoured; a negative
  /// grace counts as zero).
  /// Idempotent: a stopped container is AlreadyStopped. NotFound when it does not exist.
  virtual boost::asio::awaitable<Result<StopOutcome>> stop(const ContainerId& id,
                                                           std::chrono::nanoseconds grace) = 0;

  /// Force-removes a container by name or id, with its anonymous volumes; named volumes are kept.
  /// Idempotent: a missing container is AlreadyRemoved.
  virtual boost::asio::awaitable<Result<RemoveOutcome>> remove(const std::string& nameOrId) = 0;

  /// Current state. NotFound when the container does not exist.
  virtual boost::asio::awaitable<Result<ContainerStatus>> inspect(const ContainerId& id) = 0;

  /// Waits, event-driven, until the container is ready: Healthy when it has a healthcheck,
  /// Running otherwise. FailedPrecondition when it exits first (the message has the exit code and
  /// the last log lines); NotFound when it is removed meanwhile; Timeout after `timeout`
  /// (message says the last state seen). Unhealthy does not end the wait: it may recover.
  virtual boost::asio::awaitable<Result<void>> waitHealthy(const ContainerId& id,
                                                           std::chrono::nanoseconds timeout) = 0;

  /// Logs as a stream with the engine's timestamps. NotFound when the container does not exist.
  virtual boost::asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> logs(
      const ContainerId& id, const LogOptions& options) = 0;

  /// Creates the project's bridge network (labelled with the project) if absent. Safe to call
  /// concurrently (a racing create counts as AlreadyExisted). FailedPrecondition when a network of
  /// that name exists but is not ours (it is never touched).
  virtual boost::asio::awaitable<Result<NetworkOutcome>> ensureProjectNetwork(
      const std::string& project) = 0;

  /// Removes the project's network if it is ours. Idempotent (absent = AlreadyRemoved).
  /// FailedPrecondition when it belongs to someone else or still has containers attached
  /// (running ones; on podman, whose network removal refuses them too, stopped ones as well).
  virtual boost::asio::awaitable<Result<RemoveOutcome>> teardownProjectNetwork(
      const std::string& project) = 0;

  /// Every container (running or not) labelled with `project`, sorted by resource name.
  virtual boost::asio::awaitable<Result<std::vector<ManagedContainer>>> listManaged(
      const std::string& project) = 0;

  /// Engine events about our containers (see EventStream).
  virtual boost::asio::awaitable<Result<std::unique_ptr<EventStream>>> events(
      const EventFilter& filter) = 0;

  /// Whether the engine answers now (one cheap request). Unavailable when it does not. The
  /// default lists the containers of a project nobody has.
  virtual boost::asio::awaitable<Result<void>> ping();

  /// Pulls `reference` per `policy` (Missing: only if absent locally; Never: NotFound if absent).
  virtual boost::asio::awaitable<Result<void>> pullImage(const std::string& reference,
                                                         PullPolicy policy,
                                                         const ProgressCallback& onProgress) = 0;

  /// Removes a named volume (a stack's, as `down --volumes` does). Idempotent (absent =
  /// AlreadyRemoved); Conflict while a container uses it. Optional: Unsupported without volumes.
  virtual boost::asio::awaitable<Result<RemoveOutcome>> removeVolume(const std::string& name);

  /// Runs `request.cmd` inside the running container and returns its exit code and output once
  /// it has exited. Timeout when it runs longer than `request.timeout` (the process may keep
  /// running in the container). NotFound when the container does not exist, Conflict when it is
  /// not running. Optional: backends without exec return Unsupported.
  virtual boost::asio::awaitable<Result<ExecResult>> exec(const ContainerId& id,
                                                          const ExecRequest& request);

  /// A native check (native_check.hpp) of the running container `id`, bound to the address it
  /// has now: what the lifecycle's readiness probe runs instead of an exec when it can.
  /// Unsupported when this backend cannot reach its containers' addresses from here (a remote
  /// engine, a VM, rootless networking, or no network): probe with `exec`. NotFound when the
  /// container does not exist, Conflict when it is not running. The default is Unsupported.
  virtual boost::asio::awaitable<Result<std::unique_ptr<NativeProber>>> nativeProber(
      const ContainerId& id, const NativeCheck& check);

  /// Starts `request.cmd` inside the running container attached to stdin (optional), stdout and
  /// stderr, optionally on a TTY, and returns the live session once the process runs. Not
  /// idempotent: every call starts a new process. InvalidArgument for an empty command;
  /// NotFound when the container does not exist, Conflict when it is not running. Optional:
  /// backends without exec return Unsupported.
  virtual boost::asio::awaitable<Result<std::unique_ptr<ExecSession>>> execInteractive(
      const ContainerId& id, const InteractiveExecRequest& request);

  /// Makes `image` available for a start and says which image it is: builds it (`buildImage`;
  /// `built` set), or pulls it per its policy (`preparePull`). What `start` does first when
  /// `StartOptions::imagePrepared` is false. Errors: those of `pullImage` and `buildImage`.
  /// Safe to call concurrently (the lifecycle bounds how many run at once).
  boost::asio::awaitable<Result<PreparedImage>> prepareImage(const ImageSource& image,
                                                             const ProgressCallback& onProgress);

  /// Builds an image from a Dockerfile context (tarred in-process, honouring .dockerignore) and
  /// tags it `build.tag`. Returns the image id. FailedPrecondition with the engine's message when
  /// the build fails.
  virtual boost::asio::awaitable<Result<std::string>> buildImage(
      const BuildImage& build, const ProgressCallback& onProgress) = 0;

  // --- What the lifecycle needs beyond the stack's own containers: the in-place restart of
  // watch mode, the stats the control plane serves, and the archive upload of a watch sync.
  // Optional: the defaults return Unsupported naming the operation, never a silent success.
  // `id` is a name or an id. Common errors: NotFound (no such container), Conflict (wrong
  // state, e.g. stats of a stopped container), InvalidArgument (bad argument, named).

  /// Restarts the same container in place (its filesystem kept): stops it with `grace` (as
  /// `stop`), then starts it again. Returns once the engine reports it started; the engine
  /// sends `die` and `start` events for it meanwhile.
  virtual boost::asio::awaitable<Result<void>> restart(const ContainerId& id,
                                                       std::chrono::nanoseconds grace);
  /// One stats sample (CPU deltas need two: use cpuPercent on consecutive samples).
  virtual boost::asio::awaitable<Result<StatsSample>> stats(const ContainerId& id);
  /// Samples as they come (see StatsStream).
  virtual boost::asio::awaitable<Result<std::unique_ptr<StatsStream>>> statsStream(
      const ContainerId& id);
  /// Extracts `tar` into the directory `path`. InvalidArgument when the path is not a directory
  /// or cannot be written (read-only filesystem), NotFound when it does not exist. The rest of
  /// the archive surface is `ArchiveOps` (archive_ops.hpp).
  virtual boost::asio::awaitable<Result<void>> archivePut(const ContainerId& id,
                                                          const std::string& path,
                                                          const std::string& tar,
                                                          const ArchivePutOptions& options);

 protected:
  /// The pull half of `prepareImage`: makes `pull.reference` available per `pull.policy`.
  /// `pulled` says whether this call fetched it from a registry; `id` is empty when the backend
  /// cannot tell. The default runs `pullImage` (pulled when it reported progress, or always
  /// under PullPolicy::Always) and leaves `id` empty.
  virtual boost::asio::awaitable<Result<PreparedImage>> preparePull(
      const PullImage& pull, const ProgressCallback& onProgress);
};

/// The network name of a project: "lightshuttle-<project>".
std::string projectNetworkName(const std::string& project);

/// A stable hash of everything that defines a container, stored by every backend in the
/// lightshuttle.config-hash label: equal specs give equal hashes, any change gives another.
std::string configHash(const ContainerSpec& spec);

}  // namespace ls::runtime
