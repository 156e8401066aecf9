// MemoryRuntime's private state, shared by the files that implement it: scheduler.cpp (the wait
// primitive and the virtual-time agenda), container_state.cpp (a container's transitions),
// containers.cpp, exec.cpp, images.cpp, network.cpp (networks and ports), streams.cpp (events and
// logs), faults.cpp (fault injection, engine outages), facade.cpp (the public methods).
// Private to ls_runtime_memory.
#pragma once

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"

namespace ls::runtime {

namespace asio = boost::asio;

namespace detail {
struct GateState {
  bool reached = false;
  bool released = false;
  std::optional<Failure> failure;
  std::function<void()> wake;  // wakes the runtime's waiters; a no-op once the runtime is gone
};
}  // namespace detail

using Duration = std::chrono::nanoseconds;
using SteadyTime = Clock::SteadyTime;
using SystemTime = Clock::SystemTime;

constexpr std::uint16_t kFirstEphemeralPort = 32768;
constexpr std::uint16_t kLastEphemeralPort = 60999;
constexpr int kKilledExitCode = 137;

// Returns Errc::Cancelled from the enclosing coroutine when its caller has been cancelled.
// NOTE: needed before any co_await that follows a suspension: once the coroutine's cancellation
// state is set, Asio throws from the next co_await instead of letting us return a value.
#define LS_MEM_RETURN_IF_CANCELLED()                                  \
  do {                                                                \
    if ((co_await asio::this_coro::cancellation_state).cancelled() != \
        asio::cancellation_type::none) {                              \
      co_return cancelledError();                                     \
    }                                                                 \
  } while (false)

inline Duration nonNegative(Duration d) { return std::max(d, Duration::zero()); }

inline Error cancelledError() { return Error(Errc::Cancelled, "operation cancelled"); }

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

inline SteadyTime addClamped(SteadyTime t, Duration d) {
  if (d <= Duration::zero()) {
    return t;
  }
  if (d >= SteadyTime::max() - t) {
    return SteadyTime::max();
  }
  return t + d;
}

// "postgres" and "postgres:16" name different images; a reference without tag or digest means
// ":latest", as for the engine.
inline std::string normalizeRef(const std::string& ref) {
  if (ref.find('@') != std::string::npos) {
    return ref;
  }
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return ref;
  }
  return ref + ":latest";
}

inline std::string_view healthName(Health h) {
  switch (h) {
    case Health::Starting: return "starting";
    case Health::Healthy: return "healthy";
    case Health::Unhealthy: return "unhealthy";
  }
  return "starting";
}

// Suspended coroutines waiting for a notification, each resumable by terminal cancellation.
// NOTE: handlers live in map nodes and are only ever move-constructed: Boost 1.81's
// any_completion_handler move assignment recurses (see ManualClock).
class Waiters {
 public:
  Waiters() : state_(std::make_shared<State>()) {}

  /// Suspends until `notifyAll` (ok) or cancellation of the caller (Errc::Cancelled).
  asio::awaitable<Result<void>> wait();
  /// Resumes every current waiter (through its executor, never inline).
  void notifyAll();
  std::size_t size() const { return state_->entries.size(); }

 private:
  using Handler = asio::any_completion_handler<void(boost::system::error_code)>;
  struct Entry {
    asio::any_io_executor ex;
    Handler handler;
  };
  struct State {
    std::map<std::uint64_t, Entry> entries;
    std::uint64_t nextId = 1;
  };

  static void complete(Entry entry, boost::system::error_code ec);

  std::shared_ptr<State> state_;
};

struct MemoryRuntime::Impl : std::enable_shared_from_this<MemoryRuntime::Impl> {
  enum class Phase { Starting, Running, Stopped };

  struct Container {
    ContainerId id;
    ContainerSpec spec;
    Behaviour behaviour;
    Phase phase = Phase::Starting;
    bool hasHealthcheck = false;
    Health health = Health::Starting;
    std::optional<int> exitCode;
    bool oomKilled = false;
    std::optional<SystemTime> startedAt;
    std::optional<SystemTime> finishedAt;
    SteadyTime createdSteady{};      // `start` created it: scripted time 0
    std::vector<PortBinding> ports;  // as allocated; empty once stopped
    std::vector<LogChunk> logs;      // one chunk per line
    bool sigtermExitScheduled = false;
    bool stopEventSent = false;
    std::string imageId;      // what it was created from
    int pid = 0;              // of the main process while running
    std::string ipv4;         // on the project network while not stopped
    std::uint64_t exits = 0;  // exits so far (wait next-exit)
    // Frozen (pause, or SIGSTOP): scripted actions due meanwhile wait until it is thawed.
    bool paused = false;
    bool stoppedBySignal = false;  // frozen by SIGSTOP: SIGCONT thaws it too
    SteadyTime pausedAt{};
    std::optional<int> pendingSignal;  // a terminating signal sent while frozen
  };

  // Something a scripted container does at a virtual time.
  struct Action {
    enum class Kind { Running, SetHealth, Log, Exit, Oom };
    std::string containerId;
    Kind kind = Kind::Log;
    Health health = Health::Starting;
    LogChunk::Stream stream = LogChunk::Stream::Stdout;
    std::string line;
    int exitCode = 0;
    std::vector<std::string> lastLines;
  };

  struct Subscriber {
    EventFilter filter;
    std::deque<RuntimeEvent> backlog;
    std::deque<RuntimeEvent> held;  // published while the engine is stopped
  };

  struct Fault {
    enum class Kind { Fail, Hang, Hold };
    Kind kind = Kind::Fail;
    Failure failure;
    std::shared_ptr<detail::GateState> gate;
  };

  enum class WaitEnd { Ready, Deadline };

  class LogStream;
  class EventStreamImpl;

  Impl(asio::any_io_executor executor, Clock& c) : ex(std::move(executor)), clock(c) {}

  asio::any_io_executor ex;
  Clock& clock;

  std::map<std::string, Container> containers;  // by id
  std::map<std::string, std::map<std::string, std::string>> networks;
  std::map<std::string, std::string> tags;   // local reference (normalized) -> image id
  std::map<std::string, SystemTime> images;  // local image id -> created (tagged or not)
  std::set<std::string> registryImages;
  std::map<std::string, int> removedExitCodes;       // by id: what waiters of a removed one get
  std::map<std::string, std::string> buildFailures;  // tag -> engine message
  std::map<std::string, Behaviour> scripts;
  std::map<std::string, ExecScript> execScripts;
  std::map<std::string, NativeScript> nativeScripts;
  std::multimap<SteadyTime, Action> agenda;  // equal times keep insertion order
  std::map<std::uint64_t, Subscriber> subscribers;
  std::uint64_t nextSubscriberId = 1;
  std::uint64_t nextContainerSeq = 1;
  std::uint64_t nextImageSeq = 1;
  int nextPid = 1000;
  std::uint32_t nextIp = 0;
  std::uint16_t nextEphemeralPort = kFirstEphemeralPort;

  std::vector<Call> calls;
  std::map<Op, std::size_t> opCounts;
  std::size_t totalCalls = 0;
  bool engineDown = false;  // stopEngine: every call fails, events are held
  std::map<std::pair<Op, std::size_t>, Fault> opFaults;
  std::map<std::size_t, Failure> callFaults;

  Waiters changed;  // notified on every state change
  Waiters hung;     // never notified: only cancellation ends these

  // --- state helpers (synchronous) ---

  Container* findById(const std::string& id) {
    auto it = containers.find(id);
    return it == containers.end() ? nullptr : &it->second;
  }

  Container* find(const std::string& nameOrId);
  std::string describe(const std::string& nameOrId);
  /// settle(), then the container `nameOrId` names; NotFound when there is none.
  Result<Container*> settledContainer(const std::string& nameOrId);

  SystemTime systemAt(SteadyTime at) const {
    return clock.system() - std::chrono::duration_cast<SystemTime::duration>(clock.steady() - at);
  }

  // Whether the container `id` is frozen (its scripted actions wait until it is thawed).
  bool frozen(const std::string& id) const {
    auto it = containers.find(id);
    return it != containers.end() && it->second.paused;
  }

  SteadyTime nextActionTime() const;  // scheduler.cpp

  void notify() { changed.notifyAll(); }

  void schedule(SteadyTime at, Action action) { agenda.emplace(at, std::move(action)); }

  void purgeActions(const std::string& id) {
    std::erase_if(agenda, [&](const auto& entry) { return entry.second.containerId == id; });
  }

  // Events to subscribers (streams.cpp).
  static RuntimeEvent reconnectedEvent(const std::string& project, SystemTime time);
  void pushEvent(Subscriber& sub, RuntimeEvent event);
  void publish(RuntimeEvent::Kind kind, const Container& c, SteadyTime at,
               std::optional<int> exitCode = std::nullopt, std::string health = {});

  // The agenda (scheduler.cpp).
  void apply(const Action& a, SteadyTime at);
  /// Applies every scripted action that became due, in time order, at its own time (those of
  /// frozen containers stay in the agenda until they are thawed).
  void settle();

  // A container's transitions (container_state.cpp; find, describe and settledContainer too).
  void appendLog(Container& c, LogChunk::Stream stream, const std::string& line, SteadyTime at);
  void setHealthOf(Container& c, Health h, SteadyTime at);
  void markRunning(Container& c, SteadyTime at);
  /// Runs the main process of a created or stopped container from `at`: running at once or
  /// after `runningAfter`, and its Behaviour scheduled from then on (scripted time 0).
  void runProcess(Container& c, SteadyTime at);
  void exitContainer(Container& c, int code, SteadyTime at, bool oom);
  void destroyContainer(Container& c, SteadyTime at);
  /// Freezes a running container: its scripted actions wait until `thaw`.
  void freeze(Container& c, SteadyTime at, bool bySignal);
  /// Thaws a frozen container: its scripted actions move later by the time it was frozen, and a
  /// signal that arrived meanwhile is delivered.
  void thaw(Container& c, SteadyTime at);
  /// What a signal does to the running main process of `c` (see MemoryRuntime::kill).
  void deliverSignal(Container& c, int signal, SteadyTime at);
  static bool isReady(const Container& c);
  static std::string describeState(const Container& c);
  static ContainerStatus statusOf(const Container& c);
  Behaviour scriptFor(const ContainerSpec& spec) const;
  const ExecScript* execScriptFor(const ContainerSpec& spec) const;      // exec.cpp
  const NativeScript* nativeScriptFor(const ContainerSpec& spec) const;  // exec.cpp

  // --- images (images.cpp) ---

  static std::string defaultImageId(const std::string& ref);
  /// Points the local reference `ref` (normalized) at image `id`, creating the image record.
  void tagLocal(const std::string& ref, const std::string& id);
  std::vector<std::string> tagsOf(const std::string& id) const;
  /// The containers created from image `id`, running (or starting) ones first.
  std::vector<const Container*> usersOf(const std::string& id) const;
  /// The image a reference names: a local tag first, then an image id (with or without
  /// "sha256:", or a unique prefix of its hex digits), as the engine resolves them.
  std::optional<std::string> resolveImage(const std::string& reference) const;
  /// Removes the local reference `ref`; the image goes too once it has no tag and no container.
  void untagLocal(const std::string& ref);

  std::string newContainerId();  // containers.cpp
  /// The next fake address on a project network (containers.cpp).
  std::string nextAddress();

  // --- networks and ports (network.cpp) ---

  // The name of the container (not stopped) holding `address:port/protocol`, if any.
  std::optional<std::string> portHolder(const std::string& address, std::uint16_t port,
                                        Protocol protocol) const;
  Result<std::vector<PortBinding>> allocatePorts(const ContainerSpec& spec);
  // Existing network outcome, or nullopt when the network does not exist.
  std::optional<Result<NetworkOutcome>> existingNetwork(const std::string& name,
                                                        const std::string& project) const;
  static std::vector<PortMapping> portMappingsOf(const Container& c);

  // --- faults (faults.cpp) ---

  Error injected(Op op, std::size_t nth, const Failure& failure, bool overall) const;

  // --- coroutines ---

  asio::awaitable<Result<void>> waitOnce(SteadyTime wake);
  asio::awaitable<Result<WaitEnd>> waitFor(const std::function<bool()>& ready, SteadyTime deadline);
  asio::awaitable<Result<void>> enter(Op op, const std::string& argument);
  asio::awaitable<Result<Container*>> enterContainer(Op op, const std::string& nameOrId);
  asio::awaitable<Result<void>> pullStep(const std::string& reference, PullPolicy policy,
                                         const ProgressCallback& onProgress, bool explicitCall);
  asio::awaitable<Result<std::string>> buildStep(const BuildImage& build,
                                                 const ProgressCallback& onProgress);
  Result<std::string> presentImage(const ContainerSpec& spec) const;
  asio::awaitable<Result<PreparedImage>> preparePull(const PullImage& pull,
                                                     const ProgressCallback& onProgress);
  asio::awaitable<Result<std::string>> acquireImage(const ContainerSpec& spec,
                                                    const ProgressCallback& onProgress);

  asio::awaitable<Result<ContainerId>> start(const ContainerSpec& spec,
                                             const StartOptions& options);
  asio::awaitable<Result<StopOutcome>> stop(const ContainerId& id, Duration grace);
  /// What stop does once the call is admitted (restart too): the container `incarnation` gets
  /// the stop signal and `grace` to exit, then it is killed.
  asio::awaitable<Result<StopOutcome>> stopIncarnation(std::string incarnation, Duration grace);
  asio::awaitable<Result<void>> restart(const ContainerId& id, Duration grace);
  asio::awaitable<Result<RemoveOutcome>> remove(const std::string& nameOrId);
  asio::awaitable<Result<ContainerStatus>> inspect(const ContainerId& id);
  asio::awaitable<Result<void>> waitHealthy(const ContainerId& id, Duration timeout);
  asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> logs(const ContainerId& id,
                                                                const LogOptions& options);
  asio::awaitable<Result<NetworkOutcome>> ensureNetwork(const std::string& project);
  asio::awaitable<Result<RemoveOutcome>> teardownNetwork(const std::string& project);
  asio::awaitable<Result<std::vector<ManagedContainer>>> listManaged(const std::string& project);
  asio::awaitable<Result<std::unique_ptr<EventStream>>> events(const EventFilter& filter);
  asio::awaitable<Result<ExecResult>> exec(const ContainerId& id, const ExecRequest& request);

  class ExecEvents;
  class NativeChecks;
  asio::awaitable<Result<std::unique_ptr<NativeProber>>> nativeProber(const ContainerId& id,
                                                                      const NativeCheck& check);
  /// The checks of exec (NotFound, Unsupported, Conflict, InvalidArgument), then the script.
  Result<ExecResult> runExecScript(const std::string& nameOrId, const ExecRequest& request);
  asio::awaitable<Result<void>> kill(const ContainerId& id, const std::string& signal);
  asio::awaitable<Result<WaitOutcome>> wait(const ContainerId& id, WaitCondition condition);
  asio::awaitable<Result<void>> rename(const ContainerId& id, const std::string& newName);
  asio::awaitable<Result<void>> pause(const ContainerId& id);
  asio::awaitable<Result<void>> unpause(const ContainerId& id);
  asio::awaitable<Result<std::vector<PortMapping>>> portMappings(const ContainerId& id);
  asio::awaitable<Result<ContainerDetails>> inspectDetailed(const ContainerId& id);
  asio::awaitable<Result<PruneReport>> pruneContainers();
  asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> execStream(const ContainerId& id,
                                                                       const ExecRequest& request);
  asio::awaitable<Result<std::vector<ImageSummary>>> listImages();
  asio::awaitable<Result<void>> tagImage(const std::string& source, const std::string& target);
  asio::awaitable<Result<std::vector<std::string>>> removeImage(const std::string& reference,
                                                                bool force);
};

}  // namespace ls::runtime
