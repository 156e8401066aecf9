// File: lightshuttle/runtime/memory_runtime.hpp
//
// `MemoryRuntime`: the scriptable in-memory backend of `Runtime` (and of `ContainerOps`,
// `ImageOps` and `ArchiveOps`, as far as it models them), the primary fake for lifecycle tests. It
// keeps containers, networks and images in memory, follows the Docker engine wherever the `Runtime`
// contract says so (idempotent outcomes, error categories), and runs entirely on an injected
// `Clock`: every wait (health, exits, stop grace, timeouts) is in virtual time, so tests advance a
// `ManualClock` instead of sleeping.
//
// Three kinds of test hooks sit next to the `Runtime` methods:
//   - scripting: how a container behaves once started (`script`), and actions from outside
//     (`crash`, `externalStop`, `setHealth`, `restartEngine`, ...);
//   - faults: fail the N-th call of an operation, hang it until cancelled, or hold it pending
//     until the test releases a `Gate`;
//   - observation: the call log (`calls`), what exists (`containerNames`, `networkNames`), and
//     suspended waiters (`pendingWaiters`) to prove nothing leaks after cancellation.
//
//   asio::io_context ctx;
//   ls::ManualClock clock;
//   ls::runtime::MemoryRuntime rt(ctx.get_executor(), clock);
//   rt.addRegistryImage("postgres:16");
//   ls::runtime::Behaviour db;
//   db.healthyAfter = std::chrono::seconds(3);
//   rt.script("demo_db", db);
//   auto gate = rt.hold(ls::runtime::Op::Start);   // the next start stays pending
//   ... co_spawn a coroutine that starts "demo_db" and waits until it is healthy ...
//   ctx.poll();  gate.release();  ctx.poll();
//   clock.advance(std::chrono::seconds(3));  ctx.poll();   // now healthy
//
// Scripted time is relative to the moment `start` creates the container (or `restart` runs it
// again). Scripted actions are applied lazily but at their exact virtual time: every call,
// external action and suspended waiter first applies whatever became due, so event and log
// timestamps are the scripted ones.
//
// Threading: like every `Runtime`, single-threaded; the test hooks are plain functions to call on
// the loop thread (between `poll`s). Lifetime: destroy the runtime only once no call and no
// stream `next()` on it is in flight; streams themselves may outlive it (they then end).
//
// Not modelled: restart policies (the supervisor restarts containers; `restart` is only the
// explicit in-place restart), images' own healthchecks, volumes. `exec` runs only what
// `scriptExec` scripts (Unsupported otherwise).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/error.hpp"
#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/archive_ops.hpp"
#include "lightshuttle/runtime/container_ops.hpp"
#include "lightshuttle/runtime/image_ops.hpp"
#include "lightshuttle/runtime/runtime.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls {
class Clock;
}

namespace ls::runtime {

namespace detail {
struct GateState;
}

/// The operations MemoryRuntime counts, logs and can fault. `start` performs its image and
/// network steps as their own calls: a Build (BuildImage sources), a Pull (only when the policy
/// needs the registry) and an EnsureNetwork (when the spec has a project), in that order.
enum class Op {
  Start,
  Stop,
  Remove,
  Inspect,
  WaitHealthy,
  Logs,
  EnsureNetwork,
  TeardownNetwork,
  ListManaged,
  Events,
  Pull,
  Build,
  Exec,
  Kill,
  Wait,
  Rename,
  Pause,
  Unpause,
  PortMappings,
  InspectDetailed,
  PruneContainers,
  ExecStream,
  ListImages,
  TagImage,
  RemoveImage,
  Ping,
  Restart,
  NativeCheck,  ///< each check of a `nativeProber` (its creation counts as an Inspect)
};

/// Lowercase name of an operation ("start", "wait_healthy", ...).
std::string_view opName(Op op) noexcept;

/// Health of a running container that has a healthcheck.
enum class Health { Starting, Healthy, Unhealthy };

/// A log line a scripted container writes `at` after it was started.
struct ScriptedLog {
  std::chrono::nanoseconds at{0};
  std::string line;  ///< without the trailing newline (the runtime adds it)
  LogChunk::Stream stream = LogChunk::Stream::Stdout;
};

/// A scripted exit: the container writes `lastLines` to stderr, then exits with `code`.
struct ScriptedExit {
  std::chrono::nanoseconds after{0};
  int code = 0;
  std::vector<std::string> lastLines;
};

/// How a container behaves once started. Set with `MemoryRuntime::script` before `start`. Times
/// are relative to the start. Health entries apply only to containers with a healthcheck; without
/// any of them, a healthcheck container stays "starting" until `setHealth`.
struct Behaviour {
  /// State Starting (created, not running yet) until then; Running from the start when unset.
  std::optional<std::chrono::nanoseconds> runningAfter;
  /// Health turns "healthy".
  std::optional<std::chrono::nanoseconds> healthyAfter;
  /// Health flips to "unhealthy" at this instant.
  std::optional<std::chrono::nanoseconds> unhealthyAt;
  /// The healthcheck starts failing then; health turns "unhealthy" once `retries` probes have
  /// failed, i.e. after `failHealthAfter + retries × interval` (from the spec's healthcheck).
  std::optional<std::chrono::nanoseconds> failHealthAfter;
  /// Exits on its own.
  std::optional<ScriptedExit> exit;
  /// Killed by the kernel OOM killer: `oom`, then `die` with exit code 137, `oomKilled` set.
  std::optional<std::chrono::nanoseconds> oomAt;
  /// Log lines, emitted at their times while the container runs.
  std::vector<ScriptedLog> logs;
  /// The stop signal is ignored: `stop` waits out its grace, then kills (exit code 137).
  bool ignoresSigterm = false;
  /// Time the container needs to exit after the stop signal (killed at the grace if longer).
  std::chrono::nanoseconds shutdownTime{0};
  /// Exit code after a stop signal it honours.
  int sigtermExitCode = 0;
};

/// What `exec` does in a container: gets the command and the time since the container was
/// started, returns what the command did (at once, in virtual time).
using ExecScript = std::function<ExecResult(const std::vector<std::string>& cmd,
                                            std::chrono::nanoseconds sinceStart)>;

/// What a native check (`nativeProber`) of a container finds: gets the check and the time since
/// the container was started; true when ready, false when not yet, Unsupported when the address
/// is not reachable.
using NativeScript =
    std::function<Result<bool>(const NativeCheck& check, std::chrono::nanoseconds sinceStart)>;

/// An injected error. An empty message becomes "injected failure of <op> (call N)".
struct Failure {
  Errc code = Errc::Unavailable;
  std::string message;
  std::string reason;  ///< becomes `Error::reason()`
};

/// One entry of the call log. `argument` is the container name for container operations (the
/// id or name as given when it names no container; the name before a rename), the project for
/// network, list and event calls, the image reference for pulls, tag and remove (the source for
/// tags), the tag for builds, and empty for listImages and pruneContainers.
struct Call {
  Op op = Op::Start;
  std::string argument;
  friend bool operator==(const Call&, const Call&) = default;
};

/// A promise-style hold on one call (see `MemoryRuntime::hold`). The held call suspends when it
/// arrives and stays pending until `release` (it then proceeds normally) or `fail` (it returns
/// that error), or until its caller is cancelled (Errc::Cancelled). Copies share the hold.
class Gate {
 public:
  Gate() = default;

  /// Lets the held call proceed. Idempotent; may come before the call arrives.
  void release();
  /// Completes the held call with `failure` instead of performing it.
  void fail(Failure failure);
  /// The held call has arrived (it stays suspended on the gate until the gate opens).
  bool reached() const;

 private:
  friend class MemoryRuntime;
  explicit Gate(std::shared_ptr<detail::GateState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::GateState> state_;
};

class MemoryRuntime final : public Runtime,
                            public ContainerOps,
                            public ImageOps,
                            public ArchiveOps {
 public:
  /// `clock` must outlive the runtime; `ex` runs every coroutine of the runtime.
  MemoryRuntime(boost::asio::any_io_executor ex, Clock& clock);
  ~MemoryRuntime() override;
  MemoryRuntime(const MemoryRuntime&) = delete;
  MemoryRuntime& operator=(const MemoryRuntime&) = delete;

  // --- Runtime -------------------------------------------------------------------------------
  // Semantics as documented in runtime.hpp. Specifics of this backend:
  //  - ids are 64 hex digits; every container operation also accepts the container name;
  //  - published ports bind 127.0.0.1 unless an address is given; missing host ports are
  //    assigned from 32768 upward; ports are held while the container is not stopped;
  //  - `stop` sends the stop signal (SIGKILL when `spec.stopSignal` names it); a negative grace
  //    counts as zero; the `stop` event follows `die`;
  //  - `remove` of a running container kills it first (`die` 137, then `destroy`);
  //  - `teardownProjectNetwork` counts containers that are not stopped as attached (like the
  //    engine's active endpoints);
  //  - `waitHealthy` returns NotFound when the container is removed while waiting;
  //  - `exec` checks, in order: NotFound (no such container), Unsupported (no `scriptExec` for
  //    it), Conflict (not running); then returns the script's result with each output capped at
  //    kExecOutputCap. It completes at once (only faults make it hang);
  //  - logs have one chunk per line; a following stream ends once the container stopped (after
  //    its last lines) or was removed; `close` ends it too;
  //  - an event stream more than 1024 events behind drops its backlog and yields `Reconnected`;
  //    after `close`, `next` returns Errc::Cancelled;
  //  - `prepareImage` makes the same Pull (only when the policy needs the registry) or Build
  //    call as `start` makes; `start` with `imagePrepared` makes neither (NotFound when the
  //    image is absent);
  //  - restart: one Restart call (no Stop or Start in the call log, so faults aim at it). The
  //    stop as `stop` (`die`, then `stop` when it was running; none when it was stopped), then
  //    the same container (id, name, logs and image kept) runs again: `start`, its Behaviour
  //    looked up again (`script` may change it) and replayed from the restart, health back to
  //    "starting", ports published anew (Conflict when one was taken meanwhile), a new
  //    address. NotFound when it is removed while stopping. Cancellable while it stops.
  // Not supported (Unsupported): execInteractive, stats, statsStream, archivePut, removeVolume.
  boost::asio::awaitable<Result<ContainerId>> start(const ContainerSpec& spec,
                                                    const StartOptions& options) override;
  boost::asio::awaitable<Result<StopOutcome>> stop(const ContainerId& id,
                                                   std::chrono::nanoseconds grace) override;
  boost::asio::awaitable<Result<RemoveOutcome>> remove(const std::string& nameOrId) override;
  boost::asio::awaitable<Result<ContainerStatus>> inspect(const ContainerId& id) override;
  boost::asio::awaitable<Result<void>> waitHealthy(const ContainerId& id,
                                                   std::chrono::nanoseconds timeout) override;
  boost::asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> logs(
      const ContainerId& id, const LogOptions& options) override;
  boost::asio::awaitable<Result<NetworkOutcome>> ensureProjectNetwork(
      const std::string& project) override;
  boost::asio::awaitable<Result<RemoveOutcome>> teardownProjectNetwork(
      const std::string& project) override;
  boost::asio::awaitable<Result<std::vector<ManagedContainer>>> listManaged(
      const std::string& project) override;
  boost::asio::awaitable<Result<std::unique_ptr<EventStream>>> events(
      const EventFilter& filter) override;
  /// Unavailable while the engine is stopped (stopEngine).
  boost::asio::awaitable<Result<void>> ping() override;
  boost::asio::awaitable<Result<void>> pullImage(const std::string& reference, PullPolicy policy,
                                                 const ProgressCallback& onProgress) override;
  boost::asio::awaitable<Result<std::string>> buildImage(
      const BuildImage& build, const ProgressCallback& onProgress) override;
  boost::asio::awaitable<Result<std::unique_ptr<NativeProber>>> nativeProber(
      const ContainerId& id, const NativeCheck& check) override;
  boost::asio::awaitable<Result<ExecResult>> exec(const ContainerId& id,
                                                  const ExecRequest& request) override;
  boost::asio::awaitable<Result<void>> restart(const ContainerId& id,
                                               std::chrono::nanoseconds grace) override;

  // --- ContainerOps, ImageOps and ArchiveOps (operations.hpp). Specifics of this backend:
  //  - kill: the signal is validated first (InvalidArgument; empty = SIGKILL), then NotFound,
  //    then Conflict unless running. A running container exits with 128+N (SIGKILL: 137) —
  //    except for SIGTERM when its Behaviour ignores SIGTERM, and for the non-terminating
  //    SIGCHLD, SIGWINCH, SIGURG and SIGCONT, which change nothing. SIGSTOP freezes it like
  //    `pause` (SIGCONT or `unpause` thaws it). A frozen container gets SIGKILL at once; other
  //    terminating signals wait until it is thawed;
  //  - wait: NotRunning returns at once for a stopped container, otherwise all conditions wait
  //    (in virtual time) for the exit or the removal; the reason comes from classifyExit. As
  //    with DockerRuntime, a container removed meanwhile gives only its exit code (no OOM, no
  //    finish time). Cancellable;
  //  - rename: InvalidArgument for a name the engine refuses or the current name, Conflict when
  //    another container has it; scripts keyed by the old name no longer apply to exec;
  //  - pause / unpause: Conflict in the wrong state. A frozen container shows `paused` (state
  //    Starting, like the engine's paused) in inspect and listManaged, is not ready for
  //    waitHealthy, refuses exec (Conflict), and its scripted actions (logs, health, exits, a
  //    stop's shutdown) wait: they happen later by the time it was frozen. `stop` cannot reach
  //    a frozen process: it is killed (137) after the grace. Health probes are not modelled;
  //  - portMappings / inspectDetailed: the allocated bindings (none once stopped); one network
  //    attachment (the project's, with the resource as alias and a fake 172.30.x.y address
  //    while not stopped); a pid while running; the labels the engine would carry;
  //  - pruneContainers: removes every stopped container (`destroy` events);
  //  - execStream: the same checks and script as `exec` (paused: Conflict); Stdout then Stderr
  //    (each when not empty, uncapped), then Exit, all at once;
  //  - images: a local image is an id ("sha256:" + 64 hex digits) with tags. listImages lists
  //    them (untagged ones too); tagImage points a reference at the image a source names (a
  //    tag, an id or a unique id prefix); removeImage untags a tag (and deletes the image with
  //    its last tag), or deletes an image by id with every tag, returning the untagged
  //    references and the deleted id. Conflict as the engine: a last tag or an image used by a
  //    container (force overrides it, except by id for a running one), an id with several
  //    tags (without force).
  // Not supported (Unsupported): update, top, changes, every ArchiveOps operation, commit, and
  // the other image operations.
  boost::asio::awaitable<Result<void>> kill(const ContainerId& id,
                                            const std::string& signal) override;
  boost::asio::awaitable<Result<WaitOutcome>> wait(const ContainerId& id,
                                                   WaitCondition condition) override;
  boost::asio::awaitable<Result<void>> rename(const ContainerId& id,
                                              const std::string& newName) override;
  boost::asio::awaitable<Result<void>> pause(const ContainerId& id) override;
  boost::asio::awaitable<Result<void>> unpause(const ContainerId& id) override;
  boost::asio::awaitable<Result<std::vector<PortMapping>>> portMappings(
      const ContainerId& id) override;
  boost::asio::awaitable<Result<ContainerDetails>> inspectDetailed(const ContainerId& id) override;
  boost::asio::awaitable<Result<PruneReport>> pruneContainers() override;
  boost::asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> execStream(
      const ContainerId& id, const ExecRequest& request) override;
  boost::asio::awaitable<Result<std::vector<ImageSummary>>> listImages() override;
  boost::asio::awaitable<Result<void>> tagImage(const std::string& source,
                                                const std::string& target) override;
  boost::asio::awaitable<Result<std::vector<std::string>>> removeImage(const std::string& reference,
                                                                       bool force) override;

  // --- Images --------------------------------------------------------------------------------
  // References without a tag or digest mean ":latest".

  /// An image present locally (no pull needed under policy Missing or Never).
  void addLocalImage(const std::string& reference);
  /// An image the registry has (pulled under Missing when absent locally, and under Always).
  void addRegistryImage(const std::string& reference);
  void removeLocalImage(const std::string& reference);
  bool hasLocalImage(const std::string& reference) const;
  /// Makes builds tagged `tag` fail: FailedPrecondition, reason "build_failed", with `message`
  /// as the engine's.
  void failBuild(const std::string& tag, std::string message);

  // --- Networks ------------------------------------------------------------------------------

  /// Creates a network directly, e.g. a foreign one that `ensureProjectNetwork` must not touch.
  void addNetwork(const std::string& name, std::map<std::string, std::string> labels);
  /// Names of every network, sorted.
  std::vector<std::string> networkNames() const;
  /// Labels of a network; nullopt when it does not exist.
  std::optional<std::map<std::string, std::string>> networkLabels(const std::string& name) const;

  // --- Scripting -----------------------------------------------------------------------------

  /// Sets how containers named `nameOrResource` (matched against the container name first, then
  /// the resource name) behave when started from now on. Replaces an earlier script.
  void script(const std::string& nameOrResource, Behaviour behaviour);
  void clearScript(const std::string& nameOrResource);
  /// Sets what `exec` does in containers named `nameOrResource` (container name first, then
  /// resource name), looked up at each call, so it may be set after the start.
  void scriptExec(const std::string& nameOrResource, ExecScript script);
  void clearExecScript(const std::string& nameOrResource);
  /// Sets what native checks find in containers named `nameOrResource` (container name first,
  /// then resource name); without one, `nativeProber` is Unsupported (probes use exec).
  void scriptNative(const std::string& nameOrResource, NativeScript script);

  // External actions, applied at once (events and waiters see them on the next poll). Each
  // returns false, doing nothing, when the container does not exist or is not in a state where
  // the action applies (e.g. not running).

  /// `docker stop` from outside, with its grace already elapsed: exits with `sigtermExitCode`
  /// (137 when the container ignores SIGTERM); `die` then `stop`.
  bool externalStop(const std::string& nameOrId);
  /// `docker rm -f` from outside: kills a running container (`die` 137), then `destroy`.
  bool externalRemove(const std::string& nameOrId);
  /// The process exits with `exitCode` (`die`).
  bool crash(const std::string& nameOrId, int exitCode);
  /// The OOM killer strikes: `oom`, `die` 137, `oomKilled`.
  bool oomKill(const std::string& nameOrId);
  /// Sets the health of a running container that has a healthcheck (`health_status` on change).
  bool setHealth(const std::string& nameOrId, Health health);
  /// The container writes `line` (a newline is appended).
  bool writeLog(const std::string& nameOrId, const std::string& line,
                LogChunk::Stream stream = LogChunk::Stream::Stdout);
  /// The engine restarts: every open event stream breaks and reconnects, yielding `Reconnected`
  /// after the events it had already received. Containers keep running (live-restore); combine
  /// with `crash` to model a restart that kills them.
  void restartEngine();
  /// The engine goes away (an outage, until startEngine). As dockerd on SIGTERM: with
  /// `exitCode`, running containers exit with it first (their `die`/`stop` reach open streams
  /// although the calls made after it fail); then every open event stream yields
  /// `Disconnected`, and every call (counted and logged) fails with Unavailable, reason
  /// "engine_unavailable"; events published meanwhile are held. Idempotent.
  void stopEngine(std::optional<int> exitCode = std::nullopt);
  /// The engine answers again: streams yield `Reconnected`, then the events held meanwhile.
  void startEngine();
  bool engineStopped() const;

  // --- Faults --------------------------------------------------------------------------------
  // Calls are counted per operation and overall, 1-based, from construction or the last
  // `clearFaults`. A faulted call is logged and counted but has no effect. When several faults
  // meet one call: a hold first, then a hang, then the per-operation and overall failures.

  /// The `nthCall`-th call of `op` (and the `times - 1` calls after it) fail with `failure`.
  void failOn(Op op, std::size_t nthCall, Failure failure, std::size_t times = 1);
  /// The `nthCall`-th call of any operation fails with `failure` (the "fail at step n" hook).
  void failCall(std::size_t nthCall, Failure failure);
  /// The `nthCall`-th call of `op` never completes until its caller is cancelled (Cancelled).
  void hangOn(Op op, std::size_t nthCall);
  /// Holds the next call of `op` (or its `nthCall`-th) pending until the gate is opened.
  Gate hold(Op op);
  Gate hold(Op op, std::size_t nthCall);
  /// Forgets every fault not yet reached and resets the counters. Calls already held stay held
  /// until their gate is opened.
  void clearFaults();
  /// Calls counted so far for `op`, or for all operations.
  std::size_t callCount(Op op) const;
  std::size_t callCount() const;

  // --- Observation ---------------------------------------------------------------------------

  /// Every call in arrival order (faulted ones included).
  const std::vector<Call>& calls() const;
  void clearCalls();
  /// Names of every container (any state), sorted.
  std::vector<std::string> containerNames() const;
  /// Coroutines suspended inside the runtime (waiting for state, a gate, or hung).
  std::size_t pendingWaiters() const;
  /// Open event streams.
  std::size_t eventSubscribers() const;

 protected:
  boost::asio::awaitable<Result<PreparedImage>> preparePull(
      const PullImage& pull, const ProgressCallback& onProgress) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared only so that streams can tell it is gone
};

}  // namespace ls::runtime
