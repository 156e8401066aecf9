#include "lightshuttle/runtime/memory_runtime.hpp"

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <set>
#include <tuple>
#include <utility>
#include <variant>

#include "core/asio_fwd.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/sha256.hpp"

namespace asio = boost::asio;

namespace ls::runtime {

namespace detail {
struct GateState {
  bool reached = false;
  bool released = false;
  std::optional<Failure> failure;
  std::function<void()> wake;  // wakes the runtime's waiters; a no-op once the runtime is gone
};
}  // namespace detail

namespace {

using Duration = std::chrono::nanoseconds;
using SteadyTime = Clock::SteadyTime;
using SystemTime = Clock::SystemTime;

constexpr std::size_t kMaxEventBacklog = 1024;
constexpr std::size_t kLastLogLines = 10;
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

Error cancelledError() {
  return Error(Errc::Cancelled, "operation cancelled");
}

std::string quote(const std::string& s) {
  return "'" + s + "'";
}

Error noSuchContainer(const std::string& nameOrId) {
  return Error(Errc::NotFound, "no such container " + quote(nameOrId));
}

std::string formatDuration(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) {
    return std::to_string(ns / 1'000'000'000) + "s";
  }
  if (ns % 1'000'000 == 0) {
    return std::to_string(ns / 1'000'000) + "ms";
  }
  if (ns % 1'000 == 0) {
    return std::to_string(ns / 1'000) + "us";
  }
  return std::to_string(ns) + "ns";
}

SteadyTime addClamped(SteadyTime t, Duration d) {
  if (d <= Duration::zero()) {
    return t;
  }
  if (d >= SteadyTime::max() - t) {
    return SteadyTime::max();
  }
  return t + d;
}

Duration nonNegative(Duration d) {
  return std::max(d, Duration::zero());
}

// "postgres" and "postgres:16" name different images; a reference without tag or digest means
// ":latest", as for the engine.
std::string normalizeRef(const std::string& ref) {
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

// The engine's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters).
bool validContainerName(const std::string& name) {
  if (name.size() < 2) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-'))) {
      return false;
    }
  }
  return true;
}

bool isKillSignal(const std::string& signal) {
  return signal == "SIGKILL" || signal == "KILL" || signal == "9";
}

std::string_view healthName(Health h) {
  switch (h) {
    case Health::Starting:
      return "starting";
    case Health::Healthy:
      return "healthy";
    case Health::Unhealthy:
      return "unhealthy";
  }
  return "starting";
}

bool addressesOverlap(const std::string& a, const std::string& b) {
  auto wildcard = [](const std::string& s) { return s == "0.0.0.0" || s == "::"; };
  return a == b || wildcard(a) || wildcard(b);
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

  static void complete(Entry entry, boost::system::error_code ec) {
    auto ex = entry.ex;
    asio::post(ex, [h = std::move(entry.handler), ec]() mutable { std::move(h)(ec); });
  }

  std::shared_ptr<State> state_;
};

asio::awaitable<Result<void>> Waiters::wait() {
  std::weak_ptr<State> weak = state_;
  // NOTE: a named local, never a temporary inside the co_await expression (GCC 12).
  auto initiation = [weak](auto handler) {
    asio::any_io_executor ex = asio::get_associated_executor(handler);
    Handler wrapped(std::move(handler));
    auto state = weak.lock();
    if (!state) {
      complete(Entry{ex, std::move(wrapped)},
               boost::system::error_code(asio::error::operation_aborted));
      return;
    }
    const std::uint64_t id = state->nextId++;
    // NOTE: any_completion_handler forwards its handler's slot to its own; ours goes on the
    // wrapper's slot.
    auto slot = wrapped.get_cancellation_slot();
    if (slot.is_connected()) {
      slot.assign([weak, id](asio::cancellation_type) {
        auto s = weak.lock();
        if (!s) {
          return;
        }
        auto it = s->entries.find(id);
        if (it != s->entries.end()) {
          auto node = s->entries.extract(it);
          complete(std::move(node.mapped()),
                   boost::system::error_code(asio::error::operation_aborted));
        }
      });
    }
    state->entries.emplace(id, Entry{ex, std::move(wrapped)});
  };
  auto [ec] = co_await asio::async_initiate<decltype(ls::detail::kUseTuple),
                                            void(boost::system::error_code)>(std::move(initiation),
                                                                             ls::detail::kUseTuple);
  if (ec) {
    co_return cancelledError();
  }
  co_return ok();
}

void Waiters::notifyAll() {
  auto entries = std::move(state_->entries);
  state_->entries.clear();
  while (!entries.empty()) {
    auto node = entries.extract(entries.begin());
    complete(std::move(node.mapped()), {});
  }
}

}  // namespace

std::string_view opName(Op op) noexcept {
  switch (op) {
    case Op::Start:
      return "start";
    case Op::Stop:
      return "stop";
    case Op::Remove:
      return "remove";
    case Op::Inspect:
      return "inspect";
    case Op::WaitHealthy:
      return "wait_healthy";
    case Op::Logs:
      return "logs";
    case Op::EnsureNetwork:
      return "ensure_network";
    case Op::TeardownNetwork:
      return "teardown_network";
    case Op::ListManaged:
      return "list_managed";
    case Op::Events:
      return "events";
    case Op::Pull:
      return "pull";
    case Op::Build:
      return "build";
    case Op::Exec:
      return "exec";
    case Op::Kill:
      return "kill";
    case Op::Wait:
      return "wait";
    case Op::Rename:
      return "rename";
    case Op::Pause:
      return "pause";
    case Op::Unpause:
      return "unpause";
    case Op::PortMappings:
      return "port_mappings";
    case Op::InspectDetailed:
      return "inspect_detailed";
    case Op::PruneContainers:
      return "prune_containers";
    case Op::ExecStream:
      return "exec_stream";
    case Op::ListImages:
      return "list_images";
    case Op::TagImage:
      return "tag_image";
    case Op::RemoveImage:
      return "remove_image";
    case Op::Ping:
      return "ping";
  }
  return "unknown";
}

// --- Gate ----------------------------------------------------------------------------------

void Gate::release() {
  if (!state_ || state_->released) {
    return;
  }
  state_->released = true;
  if (state_->wake) {
    state_->wake();
  }
}

void Gate::fail(Failure failure) {
  if (!state_ || state_->released || state_->failure) {
    return;
  }
  state_->failure = std::move(failure);
  if (state_->wake) {
    state_->wake();
  }
}

bool Gate::reached() const {
  return state_ && state_->reached;
}

// --- Impl ----------------------------------------------------------------------------------

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

  Container* find(const std::string& nameOrId) {
    if (Container* c = findById(nameOrId)) {
      return c;
    }
    for (auto& [id, c] : containers) {
      if (c.spec.name == nameOrId) {
        return &c;
      }
    }
    return nullptr;
  }

  std::string describe(const std::string& nameOrId) {
    const Container* c = find(nameOrId);
    return c != nullptr ? c->spec.name : nameOrId;
  }

  /// settle(), then the container `nameOrId` names; NotFound when there is none.
  Result<Container*> settledContainer(const std::string& nameOrId) {
    settle();
    Container* c = find(nameOrId);
    if (c == nullptr) {
      return noSuchContainer(nameOrId);
    }
    return c;
  }

  SystemTime systemAt(SteadyTime at) const {
    return clock.system() - std::chrono::duration_cast<SystemTime::duration>(clock.steady() - at);
  }

  // Whether the container `id` is frozen (its scripted actions wait until it is thawed).
  bool frozen(const std::string& id) const {
    auto it = containers.find(id);
    return it != containers.end() && it->second.paused;
  }

  SteadyTime nextActionTime() const {
    for (const auto& [at, action] : agenda) {
      if (!frozen(action.containerId)) {
        return at;
      }
    }
    return SteadyTime::max();
  }

  void notify() { changed.notifyAll(); }

  void schedule(SteadyTime at, Action action) { agenda.emplace(at, std::move(action)); }

  void purgeActions(const std::string& id) {
    std::erase_if(agenda, [&](const auto& entry) { return entry.second.containerId == id; });
  }

  static RuntimeEvent reconnectedEvent(const std::string& project, SystemTime time) {
    RuntimeEvent e;
    e.kind = RuntimeEvent::Kind::Reconnected;
    e.project = project;
    e.time = time;
    return e;
  }

  void pushEvent(Subscriber& sub, RuntimeEvent event) {
    if (engineDown) {
      sub.held.push_back(std::move(event));
      return;
    }
    if (sub.backlog.size() >= kMaxEventBacklog) {
      // A slow consumer never blocks the runtime: it loses the backlog and must reconcile.
      const SystemTime time = event.time;
      sub.backlog.clear();
      sub.backlog.push_back(reconnectedEvent(sub.filter.project, time));
      return;
    }
    sub.backlog.push_back(std::move(event));
  }

  void publish(RuntimeEvent::Kind kind, const Container& c, SteadyTime at,
               std::optional<int> exitCode = std::nullopt, std::string health = {}) {
    RuntimeEvent e;
    e.kind = kind;
    e.id = c.id;
    e.name = c.spec.name;
    e.project = c.spec.project;
    e.resource = c.spec.resource;
    e.exitCode = exitCode;
    e.health = std::move(health);
    e.time = systemAt(at);
    for (auto& [id, sub] : subscribers) {
      if (!sub.filter.project.empty() && sub.filter.project != c.spec.project) {
        continue;
      }
      pushEvent(sub, e);
    }
    notify();
  }

  void appendLog(Container& c, LogChunk::Stream stream, const std::string& line, SteadyTime at) {
    LogChunk chunk;
    chunk.stream = stream;
    chunk.timestamp = systemAt(at);
    chunk.bytes = line + "\n";
    c.logs.push_back(std::move(chunk));
    notify();
  }

  void setHealthOf(Container& c, Health h, SteadyTime at) {
    if (c.health == h) {
      return;
    }
    c.health = h;
    publish(RuntimeEvent::Kind::HealthStatus, c, at, std::nullopt, std::string(healthName(h)));
  }

  void markRunning(Container& c, SteadyTime at) {
    c.phase = Phase::Running;
    c.startedAt = systemAt(at);
    c.pid = nextPid++;
    publish(RuntimeEvent::Kind::Start, c, at);
  }

  void exitContainer(Container& c, int code, SteadyTime at, bool oom) {
    c.phase = Phase::Stopped;
    c.exitCode = code;
    c.oomKilled = oom;
    c.finishedAt = systemAt(at);
    c.ports.clear();
    c.sigtermExitScheduled = false;
    c.pid = 0;
    c.ipv4.clear();
    c.paused = false;
    c.stoppedBySignal = false;
    c.pendingSignal.reset();
    ++c.exits;
    purgeActions(c.id.value);
    if (oom) {
      publish(RuntimeEvent::Kind::Oom, c, at);
    }
    publish(RuntimeEvent::Kind::Die, c, at, code);
  }

  void destroyContainer(Container& c, SteadyTime at) {
    if (c.phase != Phase::Stopped) {
      exitContainer(c, kKilledExitCode, at, false);
    }
    publish(RuntimeEvent::Kind::Destroy, c, at);
    const std::string id = c.id.value;
    purgeActions(id);
    removedExitCodes[id] = c.exitCode.value_or(kKilledExitCode);
    containers.erase(id);
    notify();
  }

  void apply(const Action& a, SteadyTime at) {
    Container* c = findById(a.containerId);
    if (c == nullptr || c->phase == Phase::Stopped) {
      return;
    }
    switch (a.kind) {
      case Action::Kind::Running:
        if (c->phase == Phase::Starting) {
          markRunning(*c, at);
        }
        break;
      case Action::Kind::SetHealth:
        setHealthOf(*c, a.health, at);
        break;
      case Action::Kind::Log:
        appendLog(*c, a.stream, a.line, at);
        break;
      case Action::Kind::Exit:
        for (const auto& line : a.lastLines) {
          appendLog(*c, LogChunk::Stream::Stderr, line, at);
        }
        exitContainer(*c, a.exitCode, at, false);
        break;
      case Action::Kind::Oom:
        exitContainer(*c, kKilledExitCode, at, true);
        break;
    }
  }

  /// Applies every scripted action that became due, in time order, at its own time (those of
  /// frozen containers stay in the agenda until they are thawed).
  void settle() {
    const SteadyTime now = clock.steady();
    for (;;) {
      auto due = agenda.begin();
      while (due != agenda.end() && due->first <= now && frozen(due->second.containerId)) {
        ++due;
      }
      if (due == agenda.end() || due->first > now) {
        return;
      }
      auto node = agenda.extract(due);
      apply(node.mapped(), node.key());
    }
  }

  /// Freezes a running container: its scripted actions wait until `thaw`.
  void freeze(Container& c, SteadyTime at, bool bySignal) {
    c.paused = true;
    c.stoppedBySignal = bySignal;
    c.pausedAt = at;
    notify();
  }

  /// Thaws a frozen container: its scripted actions move later by the time it was frozen, and a
  /// signal that arrived meanwhile is delivered.
  void thaw(Container& c, SteadyTime at) {
    const Duration frozenFor = at - c.pausedAt;
    std::vector<std::pair<SteadyTime, Action>> moved;
    for (auto it = agenda.begin(); it != agenda.end();) {
      if (it->second.containerId == c.id.value) {
        moved.emplace_back(addClamped(it->first, frozenFor), std::move(it->second));
        it = agenda.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [when, action] : moved) {
      agenda.emplace(when, std::move(action));
    }
    c.paused = false;
    c.stoppedBySignal = false;
    const std::optional<int> pending = std::exchange(c.pendingSignal, std::nullopt);
    notify();
    if (pending) {
      deliverSignal(c, *pending, at);
    }
  }

  /// What a signal does to the running main process of `c` (see MemoryRuntime::kill).
  void deliverSignal(Container& c, int signal, SteadyTime at) {
    if (signal == SIGCHLD || signal == SIGWINCH || signal == SIGURG) {
      return;
    }
    if (signal == SIGCONT) {
      if (c.paused && c.stoppedBySignal) {
        thaw(c, at);
      }
      return;
    }
    if (signal == SIGSTOP) {
      if (!c.paused) {
        freeze(c, at, true);
      }
      return;
    }
    if (signal == SIGKILL) {
      exitContainer(c, kKilledExitCode, at, false);
      return;
    }
    if (c.paused) {
      c.pendingSignal = signal;  // delivered when thawed
      return;
    }
    if (signal == SIGTERM && c.behaviour.ignoresSigterm) {
      return;
    }
    exitContainer(c, 128 + signal, at, false);
  }

  static bool isReady(const Container& c) {
    if (c.phase != Phase::Running || c.paused) {
      return false;
    }
    return !c.hasHealthcheck || c.health == Health::Healthy;
  }

  static std::string describeState(const Container& c) {
    switch (c.phase) {
      case Phase::Starting:
        return "starting";
      case Phase::Stopped:
        return "exited";
      case Phase::Running:
        break;
    }
    if (c.paused) {
      return "paused";
    }
    if (!c.hasHealthcheck) {
      return "running";
    }
    return "running, health " + std::string(healthName(c.health));
  }

  static ContainerStatus statusOf(const Container& c) {
    ContainerStatus s;
    s.hasHealthcheck = c.hasHealthcheck;
    s.startedAt = c.startedAt;
    s.finishedAt = c.finishedAt;
    s.ports = c.ports;
    switch (c.phase) {
      case Phase::Starting:
        s.state = ContainerState::Starting;
        break;
      case Phase::Stopped:
        s.state = ContainerState::Stopped;
        s.exitCode = c.exitCode;
        s.oomKilled = c.oomKilled;
        break;
      case Phase::Running:
        s.state = ContainerState::Running;
        if (c.paused) {
          s.state = ContainerState::Starting;  // as the engine's paused: not running for now
          s.paused = true;
        } else if (c.hasHealthcheck && c.health == Health::Healthy) {
          s.state = ContainerState::Healthy;
        } else if (c.hasHealthcheck && c.health == Health::Unhealthy) {
          s.state = ContainerState::Unhealthy;
        }
        break;
    }
    return s;
  }

  Behaviour scriptFor(const ContainerSpec& spec) const {
    if (auto it = scripts.find(spec.name); it != scripts.end()) {
      return it->second;
    }
    if (auto it = scripts.find(spec.resource); it != scripts.end()) {
      return it->second;
    }
    return Behaviour{};
  }

  const ExecScript* execScriptFor(const ContainerSpec& spec) const {
    if (auto it = execScripts.find(spec.name); it != execScripts.end()) {
      return &it->second;
    }
    if (auto it = execScripts.find(spec.resource); it != execScripts.end()) {
      return &it->second;
    }
    return nullptr;
  }

  // --- images ---

  static std::string defaultImageId(const std::string& ref) {
    return "sha256:" + sha256Hex("memory-image/" + ref);
  }

  /// Points the local reference `ref` (normalized) at image `id`, creating the image record.
  void tagLocal(const std::string& ref, const std::string& id) {
    images.emplace(id, clock.system());
    tags[ref] = id;
  }

  std::vector<std::string> tagsOf(const std::string& id) const {
    std::vector<std::string> out;
    for (const auto& [ref, target] : tags) {
      if (target == id) {
        out.push_back(ref);
      }
    }
    return out;
  }

  /// The containers created from image `id`, running (or starting) ones first.
  std::vector<const Container*> usersOf(const std::string& id) const {
    std::vector<const Container*> out;
    for (const auto& [cid, c] : containers) {
      if (c.imageId == id) {
        out.push_back(&c);
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const Container* a, const Container* b) {
      return (a->phase != Phase::Stopped) > (b->phase != Phase::Stopped);
    });
    return out;
  }

  /// The image a reference names: a local tag first, then an image id (with or without
  /// "sha256:", or a unique prefix of its hex digits), as the engine resolves them.
  std::optional<std::string> resolveImage(const std::string& reference) const {
    if (auto it = tags.find(normalizeRef(reference)); it != tags.end()) {
      return it->second;
    }
    std::string hex = reference;
    if (hex.rfind("sha256:", 0) == 0) {
      hex.erase(0, 7);
    }
    if (hex.empty() || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return std::nullopt;
    }
    std::optional<std::string> found;
    for (const auto& [id, created] : images) {
      if (id.compare(7, hex.size(), hex) == 0) {
        if (found) {
          return std::nullopt;  // ambiguous
        }
        found = id;
      }
    }
    return found;
  }

  /// Removes the local reference `ref`; the image goes too once it has no tag and no container.
  void untagLocal(const std::string& ref) {
    auto it = tags.find(ref);
    if (it == tags.end()) {
      return;
    }
    const std::string id = it->second;
    tags.erase(it);
    if (tagsOf(id).empty() && usersOf(id).empty()) {
      images.erase(id);
    }
  }

  std::string newContainerId() {
    return sha256Hex("memory-container/" + std::to_string(nextContainerSeq++));
  }

  // The name of the container (not stopped) holding `address:port/protocol`, if any.
  std::optional<std::string> portHolder(const std::string& address, std::uint16_t port,
                                        Protocol protocol) const {
    for (const auto& [id, c] : containers) {
      if (c.phase == Phase::Stopped) {
        continue;
      }
      for (const auto& p : c.ports) {
        if (p.hostPort == port && p.protocol == protocol &&
            addressesOverlap(p.hostAddress, address)) {
          return c.spec.name;
        }
      }
    }
    return std::nullopt;
  }

  Result<std::vector<PortBinding>> allocatePorts(const ContainerSpec& spec) {
    std::vector<PortBinding> out = spec.ports;
    for (auto& p : out) {
      if (p.hostAddress.empty()) {
        p.hostAddress = "127.0.0.1";
      }
    }
    auto clashesWithin = [&out](std::size_t upTo, const std::string& address, std::uint16_t port,
                                Protocol protocol) {
      for (std::size_t j = 0; j < upTo; ++j) {
        if (out[j].hostPort == port && out[j].protocol == protocol &&
            addressesOverlap(out[j].hostAddress, address)) {
          return true;
        }
      }
      return false;
    };
    const std::string who = spec.resource.empty() ? spec.name : spec.resource;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const PortBinding& p = out[i];
      if (!p.hostPort) {
        continue;
      }
      std::optional<std::string> holder = portHolder(p.hostAddress, *p.hostPort, p.protocol);
      if (!holder && clashesWithin(i, p.hostAddress, *p.hostPort, p.protocol)) {
        holder = spec.name;
      }
      if (holder) {
        return Error(Errc::Conflict, "cannot publish port " + std::to_string(p.containerPort) +
                                         " of resource " + quote(who) + ": bind for " +
                                         p.hostAddress + ":" + std::to_string(*p.hostPort) +
                                         " failed: port is already allocated (held by " +
                                         quote(*holder) + ")")
            .withReason("port_allocated");
      }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      PortBinding& p = out[i];
      if (p.hostPort) {
        continue;
      }
      constexpr int kRange = kLastEphemeralPort - kFirstEphemeralPort + 1;
      for (int tries = 0; tries < kRange && !p.hostPort; ++tries) {
        const std::uint16_t candidate = nextEphemeralPort;
        nextEphemeralPort = candidate == kLastEphemeralPort
                                ? kFirstEphemeralPort
                                : static_cast<std::uint16_t>(candidate + 1);
        if (!portHolder(p.hostAddress, candidate, p.protocol) &&
            !clashesWithin(out.size(), p.hostAddress, candidate, p.protocol)) {
          p.hostPort = candidate;
        }
      }
      if (!p.hostPort) {
        return Error(Errc::Conflict, "no free host port for port " +
                                         std::to_string(p.containerPort) + " of resource " +
                                         quote(who))
            .withReason("port_allocated");
      }
    }
    return out;
  }

  // Existing network outcome, or nullopt when the network does not exist.
  std::optional<Result<NetworkOutcome>> existingNetwork(const std::string& name,
                                                        const std::string& project) const {
    auto it = networks.find(name);
    if (it == networks.end()) {
      return std::nullopt;
    }
    auto label = it->second.find(kLabelProject);
    if (label != it->second.end() && label->second == project) {
      return Result<NetworkOutcome>(NetworkOutcome::AlreadyExisted);
    }
    return Result<NetworkOutcome>(
        Error(Errc::FailedPrecondition, "network " + quote(name) +
                                            " exists but is not owned by project " +
                                            quote(project) + " (left untouched)")
            .withReason("foreign_network"));
  }

  Error injected(Op op, std::size_t nth, const Failure& failure, bool overall) const {
    std::string message = failure.message;
    if (message.empty()) {
      message = "injected failure of " + std::string(opName(op)) + " (call " + std::to_string(nth) +
                (overall ? " overall)" : ")");
    }
    Error e(failure.code, std::move(message));
    if (!failure.reason.empty()) {
      e.withReason(failure.reason);
    }
    return e;
  }

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
  asio::awaitable<Result<PreparedImage>> prepare(const ImageSource& image,
                                                 const ProgressCallback& onProgress);
  asio::awaitable<Result<std::string>> acquireImage(const ContainerSpec& spec,
                                                    const ProgressCallback& onProgress);

  asio::awaitable<Result<ContainerId>> start(const ContainerSpec& spec,
                                             const StartOptions& options);
  asio::awaitable<Result<StopOutcome>> stop(const ContainerId& id, Duration grace);
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

  static std::vector<PortMapping> portMappingsOf(const Container& c) {
    std::vector<PortMapping> out;
    for (const auto& p : c.ports) {
      PortMapping m;
      m.containerPort = p.containerPort;
      m.protocol = p.protocol;
      m.hostIp = p.hostAddress;
      m.hostPort = p.hostPort;
      out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(), [](const PortMapping& a, const PortMapping& b) {
      return std::tie(a.containerPort, a.protocol, a.hostIp) <
             std::tie(b.containerPort, b.protocol, b.hostIp);
    });
    return out;
  }
};

// Suspends until a notification, `wake` (a deadline or the next scripted action), or
// cancellation (Errc::Cancelled).
asio::awaitable<Result<void>> MemoryRuntime::Impl::waitOnce(SteadyTime wake) {
  using namespace asio::experimental::awaitable_operators;
  if (wake == SteadyTime::max()) {
    Result<void> woke = co_await changed.wait();
    co_return woke;
  }
  auto notified = changed.wait();
  auto timer = clock.sleepUntil(wake);
  std::variant<Result<void>, Result<void>> first =
      co_await (std::move(notified) || std::move(timer));
  if (first.index() == 0) {
    co_return std::get<0>(std::move(first));
  }
  co_return std::get<1>(std::move(first));
}

// Waits, applying scripted actions as virtual time passes, until `ready()` holds or `deadline`
// passes. Errc::Cancelled when the caller is cancelled first.
asio::awaitable<Result<MemoryRuntime::Impl::WaitEnd>> MemoryRuntime::Impl::waitFor(
    const std::function<bool()>& ready, SteadyTime deadline) {
  for (;;) {
    settle();
    if (ready()) {
      co_return WaitEnd::Ready;
    }
    if (clock.steady() >= deadline) {
      co_return WaitEnd::Deadline;
    }
    LS_MEM_RETURN_IF_CANCELLED();
    const SteadyTime wake = std::min(deadline, nextActionTime());
    Result<void> woke = co_await waitOnce(wake);
    if (!woke) {
      co_return std::move(woke).error();
    }
  }
}

// Every operation starts here: logs and counts the call, then applies its injected fault.
asio::awaitable<Result<void>> MemoryRuntime::Impl::enter(Op op, const std::string& argument) {
  calls.push_back(Call{op, argument});
  const std::size_t nth = ++opCounts[op];
  const std::size_t overall = ++totalCalls;
  std::optional<Fault> fault;
  if (auto it = opFaults.find({op, nth}); it != opFaults.end()) {
    fault = std::move(it->second);
    opFaults.erase(it);
  }
  std::optional<Failure> callFailure;
  if (auto it = callFaults.find(overall); it != callFaults.end()) {
    callFailure = std::move(it->second);
    callFaults.erase(it);
  }
  if (fault && fault->kind == Fault::Kind::Hold) {
    std::shared_ptr<detail::GateState> gate = fault->gate;
    gate->reached = true;
    std::function<bool()> opened = [gate] { return gate->released || gate->failure.has_value(); };
    Result<WaitEnd> waited = co_await waitFor(opened, SteadyTime::max());
    if (!waited) {
      co_return std::move(waited).error();
    }
    if (gate->failure) {
      co_return injected(op, nth, *gate->failure, false);
    }
  }
  if (fault && fault->kind == Fault::Kind::Hang) {
    LS_MEM_RETURN_IF_CANCELLED();
    Result<void> woke = co_await hung.wait();
    if (!woke) {
      co_return std::move(woke).error();
    }
    co_return cancelledError();
  }
  if (fault && fault->kind == Fault::Kind::Fail) {
    co_return injected(op, nth, fault->failure, false);
  }
  if (engineDown) {
    co_return Error(Errc::Unavailable, "cannot reach the engine (it is stopped)")
        .withReason("engine_unavailable");
  }
  if (callFailure) {
    co_return injected(op, overall, *callFailure, true);
  }
  co_return ok();
}

// The start of most operations on one container: enter(op) with the container's name as the
// call's argument, then the container as of now (settledContainer).
asio::awaitable<Result<MemoryRuntime::Impl::Container*>> MemoryRuntime::Impl::enterContainer(
    Op op, const std::string& nameOrId) {
  const std::string argument = describe(nameOrId);
  Result<void> entered = co_await enter(op, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  co_return settledContainer(nameOrId);
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::pullStep(const std::string& reference,
                                                            PullPolicy policy,
                                                            const ProgressCallback& onProgress,
                                                            bool explicitCall) {
  const std::string ref = normalizeRef(reference);
  const bool needsRegistry =
      policy == PullPolicy::Always || (policy == PullPolicy::Missing && !tags.contains(ref));
  if (explicitCall || needsRegistry) {
    Result<void> entered = co_await enter(Op::Pull, reference);
    if (!entered) {
      co_return std::move(entered).error();
    }
  }
  const bool local = tags.contains(ref);
  if (policy == PullPolicy::Never || (policy == PullPolicy::Missing && local)) {
    if (!local) {
      co_return Error(Errc::NotFound, "image " + quote(reference) +
                                          " is not present locally and the pull policy is never");
    }
    co_return ok();
  }
  if (!registryImages.contains(ref)) {
    co_return Error(Errc::NotFound, "image " + quote(reference) + " not found in the registry");
  }
  if (onProgress) {
    ImageProgress pulling;
    pulling.image = reference;
    pulling.status = "Pulling from " + reference;
    onProgress(pulling);
    ImageProgress done;
    done.image = reference;
    done.id = sha256Hex("memory-layer/" + ref).substr(0, 12);
    done.status = "Pull complete";
    done.current = 1;
    done.total = 1;
    onProgress(done);
  }
  tagLocal(ref, defaultImageId(ref));
  co_return ok();
}

asio::awaitable<Result<std::string>> MemoryRuntime::Impl::buildStep(
    const BuildImage& build, const ProgressCallback& onProgress) {
  Result<void> entered = co_await enter(Op::Build, build.tag);
  if (!entered) {
    co_return std::move(entered).error();
  }
  const std::string tag = build.tag.empty() ? std::string() : normalizeRef(build.tag);
  if (auto it = buildFailures.find(tag); !tag.empty() && it != buildFailures.end()) {
    co_return Error(Errc::FailedPrecondition,
                    "build of image " + quote(build.tag) + " failed: " + it->second)
        .withReason("build_failed");
  }
  std::string id =
      "sha256:" + sha256Hex("memory-image/" + tag + "/" + std::to_string(nextImageSeq++));
  if (onProgress) {
    ImageProgress step;
    step.image = build.tag;
    step.status = "Step 1/1 : FROM scratch";
    onProgress(step);
    ImageProgress built;
    built.image = build.tag;
    built.status = "Successfully built " + id.substr(7, 12);
    onProgress(built);
  }
  images.emplace(id, clock.system());
  if (!tag.empty()) {
    tagLocal(tag, id);
  }
  co_return id;
}

// The id of the image `spec` runs, pulled or built first as its source says.
asio::awaitable<Result<std::string>> MemoryRuntime::Impl::acquireImage(
    const ContainerSpec& spec, const ProgressCallback& onProgress) {
  if (const auto* pull = std::get_if<PullImage>(&spec.image)) {
    Result<void> pulled = co_await pullStep(pull->reference, pull->policy, onProgress, false);
    if (!pulled) {
      co_return std::move(pulled).error();
    }
    co_return tags.at(normalizeRef(pull->reference));
  }
  const auto& build = std::get<BuildImage>(spec.image);
  Result<std::string> built = co_await buildStep(build, onProgress);
  co_return built;
}

// The id of the image `spec` runs when the caller prepared it: NotFound when it is absent.
Result<std::string> MemoryRuntime::Impl::presentImage(const ContainerSpec& spec) const {
  const auto* pull = std::get_if<PullImage>(&spec.image);
  const std::string& ref = pull ? pull->reference : std::get<BuildImage>(spec.image).tag;
  auto it = ref.empty() ? tags.end() : tags.find(normalizeRef(ref));
  if (it == tags.end()) {
    return Error(Errc::NotFound, "image " + quote(ref) + " is not present (it was to be prepared)");
  }
  return it->second;
}

asio::awaitable<Result<PreparedImage>> MemoryRuntime::Impl::prepare(
    const ImageSource& image, const ProgressCallback& onProgress) {
  PreparedImage out;
  if (const auto* build = std::get_if<BuildImage>(&image)) {
    out.reference = build->tag;
    out.built = true;
    LS_CO_ASSIGN_OR_RETURN(out.id, co_await buildStep(*build, onProgress));
    co_return out;
  }
  const auto& pull = std::get<PullImage>(image);
  out.reference = pull.reference;
  const std::string ref = normalizeRef(pull.reference);
  out.pulled = pull.policy == PullPolicy::Always ||
               (pull.policy == PullPolicy::Missing && !tags.contains(ref));
  LS_CO_TRY(co_await pullStep(pull.reference, pull.policy, onProgress, false));
  out.id = tags.at(ref);
  co_return out;
}

asio::awaitable<Result<ContainerId>> MemoryRuntime::Impl::start(const ContainerSpec& spec,
                                                                const StartOptions& options) {
  Result<void> entered = co_await enter(Op::Start, spec.name);
  if (!entered) {
    co_return std::move(entered).error();
  }
  if (!validContainerName(spec.name)) {
    co_return Error(Errc::InvalidArgument, "invalid container name " + quote(spec.name) +
                                               ": only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed");
  }
  const std::string context = "starting container " + quote(spec.name);
  LS_MEM_RETURN_IF_CANCELLED();
  // NOTE (GCC 12): no `?:` around the co_await (class-type operands double-free).
  Result<std::string> image = presentImage(spec);
  if (!options.imagePrepared) {
    image = co_await acquireImage(spec, options.onProgress);
  }
  if (!image) {
    co_return std::move(image).error().context(context);
  }
  if (!spec.project.empty()) {
    LS_MEM_RETURN_IF_CANCELLED();
    Result<NetworkOutcome> network = co_await ensureNetwork(spec.project);
    if (!network) {
      co_return std::move(network).error().context(context);
    }
  }
  settle();
  for (const auto& [id, c] : containers) {
    if (c.spec.name == spec.name) {
      co_return Error(Errc::Conflict, "container name " + quote(spec.name) +
                                          " is already in use by container " +
                                          quote(id.substr(0, 12)))
          .withReason("name_in_use");
    }
  }
  Result<std::vector<PortBinding>> ports = allocatePorts(spec);
  if (!ports) {
    co_return std::move(ports).error().context(context);
  }

  Container fresh;
  fresh.id = ContainerId{newContainerId()};
  fresh.spec = spec;
  fresh.behaviour = scriptFor(spec);
  fresh.hasHealthcheck = spec.healthcheck.has_value() && !spec.healthcheck->test.empty() &&
                         spec.healthcheck->test.front() != "NONE";
  fresh.ports = std::move(ports).value();
  fresh.imageId = std::move(image).value();
  if (!spec.project.empty()) {
    fresh.ipv4 =
        "172.30." + std::to_string(nextIp / 250 % 256) + "." + std::to_string(nextIp % 250 + 2);
    ++nextIp;
  }
  const ContainerId id = fresh.id;
  Container& c = containers.emplace(id.value, std::move(fresh)).first->second;
  const Behaviour& b = c.behaviour;
  const SteadyTime now = clock.steady();
  c.createdSteady = now;
  auto at = [now](Duration d) { return addClamped(now, nonNegative(d)); };
  auto action = [&id](Action::Kind kind) {
    Action a;
    a.containerId = id.value;
    a.kind = kind;
    return a;
  };

  if (b.runningAfter && *b.runningAfter > Duration::zero()) {
    c.phase = Phase::Starting;
    schedule(at(*b.runningAfter), action(Action::Kind::Running));
  } else {
    markRunning(c, now);
  }
  if (c.hasHealthcheck) {
    auto health = [&](Health h) {
      Action a = action(Action::Kind::SetHealth);
      a.health = h;
      return a;
    };
    if (b.healthyAfter) {
      schedule(at(*b.healthyAfter), health(Health::Healthy));
    }
    if (b.unhealthyAt) {
      schedule(at(*b.unhealthyAt), health(Health::Unhealthy));
    }
    if (b.failHealthAfter) {
      const HealthcheckSpec& hc = *spec.healthcheck;
      const Duration probes = nonNegative(hc.interval) * std::max(hc.retries, 1);
      schedule(at(nonNegative(*b.failHealthAfter) + probes), health(Health::Unhealthy));
    }
  }
  for (const auto& log : b.logs) {
    Action a = action(Action::Kind::Log);
    a.line = log.line;
    a.stream = log.stream;
    schedule(at(log.at), std::move(a));
  }
  if (b.exit) {
    Action a = action(Action::Kind::Exit);
    a.exitCode = b.exit->code;
    a.lastLines = b.exit->lastLines;
    schedule(at(b.exit->after), std::move(a));
  }
  if (b.oomAt) {
    schedule(at(*b.oomAt), action(Action::Kind::Oom));
  }
  settle();
  notify();
  co_return id;
}

asio::awaitable<Result<StopOutcome>> MemoryRuntime::Impl::stop(const ContainerId& id,
                                                               Duration grace) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Stop, id.value));
  if (c->phase == Phase::Stopped) {
    co_return StopOutcome::AlreadyStopped;
  }
  const std::string incarnation = c->id.value;
  const SteadyTime now = clock.steady();
  const Behaviour& b = c->behaviour;
  if (isKillSignal(c->spec.stopSignal)) {
    exitContainer(*c, kKilledExitCode, now, false);
  } else if (!b.ignoresSigterm && !c->paused) {  // a frozen process cannot act on it
    if (b.shutdownTime <= Duration::zero()) {
      exitContainer(*c, b.sigtermExitCode, now, false);
    } else if (!c->sigtermExitScheduled) {
      c->sigtermExitScheduled = true;
      Action a;
      a.containerId = incarnation;
      a.kind = Action::Kind::Exit;
      a.exitCode = b.sigtermExitCode;
      schedule(addClamped(now, b.shutdownTime), std::move(a));
    }
  }
  std::function<bool()> down = [this, &incarnation] {
    const Container* x = findById(incarnation);
    return x == nullptr || x->phase == Phase::Stopped;
  };
  LS_MEM_RETURN_IF_CANCELLED();
  Result<WaitEnd> waited = co_await waitFor(down, addClamped(now, nonNegative(grace)));
  if (!waited) {
    co_return std::move(waited).error();
  }
  Container* after = findById(incarnation);
  if (after == nullptr) {
    co_return StopOutcome::Stopped;  // removed while we waited
  }
  if (after->phase != Phase::Stopped) {
    exitContainer(*after, kKilledExitCode, clock.steady(), false);
  }
  if (!after->stopEventSent) {
    after->stopEventSent = true;
    publish(RuntimeEvent::Kind::Stop, *after, clock.steady());
  }
  co_return StopOutcome::Stopped;
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::Impl::remove(const std::string& nameOrId) {
  const std::string argument = describe(nameOrId);
  Result<void> entered = co_await enter(Op::Remove, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  Container* c = find(nameOrId);
  if (c == nullptr) {
    co_return RemoveOutcome::AlreadyRemoved;
  }
  destroyContainer(*c, clock.steady());
  co_return RemoveOutcome::Removed;
}

asio::awaitable<Result<ContainerStatus>> MemoryRuntime::Impl::inspect(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::Inspect, id.value));
  co_return statusOf(*c);
}

asio::awaitable<Result<ExecResult>> MemoryRuntime::Impl::exec(const ContainerId& id,
                                                              const ExecRequest& request) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::Exec, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  Result<ExecResult> ran = runExecScript(id.value, request);
  if (!ran) {
    co_return std::move(ran).error();
  }
  ExecResult result = std::move(ran).value();
  if (result.stdoutText.size() > kExecOutputCap) {
    result.stdoutText.resize(kExecOutputCap);
  }
  if (result.stderrText.size() > kExecOutputCap) {
    result.stderrText.resize(kExecOutputCap);
  }
  co_return result;
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::waitHealthy(const ContainerId& id,
                                                               Duration timeout) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::WaitHealthy, id.value));
  const std::string incarnation = c->id.value;
  const std::string name = c->spec.name;
  const SteadyTime deadline = addClamped(clock.steady(), nonNegative(timeout));
  std::function<bool()> settled = [this, &incarnation] {
    const Container* x = findById(incarnation);
    return x == nullptr || x->phase == Phase::Stopped || isReady(*x);
  };
  LS_MEM_RETURN_IF_CANCELLED();
  Result<WaitEnd> waited = co_await waitFor(settled, deadline);
  if (!waited) {
    co_return std::move(waited).error();
  }
  const Container* after = findById(incarnation);
  if (after == nullptr) {
    co_return Error(Errc::NotFound,
                    "container " + quote(name) + " was removed before it was ready");
  }
  if (isReady(*after)) {
    co_return ok();
  }
  if (after->phase == Phase::Stopped) {
    std::string message =
        "container " + quote(name) +
        (after->oomKilled ? " was killed (out of memory) with code " : " exited with code ") +
        std::to_string(after->exitCode.value_or(-1)) + " before it was ready";
    const std::size_t n = std::min(after->logs.size(), kLastLogLines);
    if (n > 0) {
      message += "; last log lines:";
      for (std::size_t i = after->logs.size() - n; i < after->logs.size(); ++i) {
        std::string line = after->logs[i].bytes;
        if (!line.empty() && line.back() == '\n') {
          line.pop_back();
        }
        message += "\n  " + line;
      }
    }
    co_return Error(Errc::FailedPrecondition, std::move(message)).withReason("exited_before_ready");
  }
  co_return Error(Errc::Timeout, "container " + quote(name) + " was not ready after " +
                                     formatDuration(nonNegative(timeout)) +
                                     " (last state: " + describeState(*after) + ")");
}

Result<ExecResult> MemoryRuntime::Impl::runExecScript(const std::string& nameOrId,
                                                      const ExecRequest& request) {
  LS_ASSIGN_OR_RETURN(const auto* c, settledContainer(nameOrId));
  const ExecScript* script = execScriptFor(c->spec);
  if (script == nullptr || !*script) {
    return Error(Errc::Unsupported, "exec is not scripted for container '" + c->spec.name + "'");
  }
  if (c->phase != Phase::Running) {
    return Error(Errc::Conflict, "container '" + c->spec.name + "' is not running");
  }
  if (c->paused) {
    return Error(Errc::Conflict,
                 "container '" + c->spec.name + "' is paused, unpause the container before exec");
  }
  if (request.cmd.empty()) {
    return Error(Errc::InvalidArgument, "exec: empty command");
  }
  const ExecScript run = *script;  // a copy: the script may rescript the runtime
  const Duration sinceStart = clock.steady() - c->createdSteady;
  return run(request.cmd, sinceStart);
}

// --- the wider surface ---------------------------------------------------------------------

asio::awaitable<Result<void>> MemoryRuntime::Impl::kill(const ContainerId& id,
                                                        const std::string& signal) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::Kill, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  int number = SIGKILL;
  if (!signal.empty()) {
    Result<Signal> sig = validateSignal(signal);
    if (!sig) {
      co_return std::move(sig).error().context("kill container " + quote(argument));
    }
    number = sig->number;
  }
  LS_CO_ASSIGN_OR_RETURN(auto* c, settledContainer(id.value));
  if (c->phase != Phase::Running) {
    co_return Error(Errc::Conflict,
                    "cannot kill container " + quote(c->spec.name) + ": it is not running");
  }
  deliverSignal(*c, number, clock.steady());
  co_return ok();
}

asio::awaitable<Result<WaitOutcome>> MemoryRuntime::Impl::wait(const ContainerId& id,
                                                               WaitCondition condition) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::Wait, id.value));
  const std::string incarnation = c->id.value;
  const std::uint64_t exitsBefore = c->exits;
  std::function<bool()> done = [this, &incarnation, condition, exitsBefore] {
    const Container* x = findById(incarnation);
    switch (condition) {
      case WaitCondition::NotRunning:
        return x == nullptr || x->phase == Phase::Stopped;
      case WaitCondition::NextExit:
        return x == nullptr || x->exits > exitsBefore;
      case WaitCondition::Removed:
        return x == nullptr;
    }
    return x == nullptr;
  };
  LS_MEM_RETURN_IF_CANCELLED();
  Result<WaitEnd> waited = co_await waitFor(done, SteadyTime::max());
  if (!waited) {
    co_return std::move(waited).error();
  }
  const Container* after = findById(incarnation);
  if (after == nullptr) {
    // As DockerRuntime: a removed container has only its exit code left.
    co_return classifyExit(removedExitCodes.at(incarnation), false, "", std::nullopt);
  }
  co_return classifyExit(after->exitCode.value_or(0), after->oomKilled, "", after->finishedAt);
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::rename(const ContainerId& id,
                                                          const std::string& newName) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::Rename, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  const std::string name = !newName.empty() && newName.front() == '/' ? newName.substr(1) : newName;
  if (!validContainerName(name)) {
    co_return Error(Errc::InvalidArgument, "rename container " + quote(argument) +
                                               ": invalid container name " + quote(newName) +
                                               ": only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed");
  }
  LS_CO_ASSIGN_OR_RETURN(auto* c, settledContainer(id.value));
  if (c->spec.name == name) {
    co_return Error(Errc::InvalidArgument,
                    "rename container " + quote(argument) + ": the new name is its current name");
  }
  for (const auto& [otherId, other] : containers) {
    if (other.spec.name == name) {
      co_return Error(Errc::Conflict, "rename container " + quote(argument) + ": the name " +
                                          quote(name) + " is already in use by container " +
                                          quote(otherId.substr(0, 12)));
    }
  }
  c->spec.name = name;
  notify();
  co_return ok();
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::pause(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Pause, id.value));
  if (c->phase != Phase::Running) {
    co_return Error(Errc::Conflict, "container " + quote(c->spec.name) + " is not running");
  }
  if (c->paused) {
    co_return Error(Errc::Conflict, "container " + quote(c->spec.name) + " is already paused");
  }
  freeze(*c, clock.steady(), false);
  co_return ok();
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::unpause(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Unpause, id.value));
  if (!c->paused) {
    co_return Error(Errc::Conflict, "container " + quote(c->spec.name) + " is not paused");
  }
  thaw(*c, clock.steady());
  co_return ok();
}

asio::awaitable<Result<std::vector<PortMapping>>> MemoryRuntime::Impl::portMappings(
    const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::PortMappings, id.value));
  co_return portMappingsOf(*c);
}

asio::awaitable<Result<ContainerDetails>> MemoryRuntime::Impl::inspectDetailed(
    const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::InspectDetailed, id.value));
  ContainerDetails d;
  d.status = statusOf(*c);
  d.name = c->spec.name;
  if (const auto* pull = std::get_if<PullImage>(&c->spec.image)) {
    d.image = pull->reference;
  } else {
    d.image = std::get<BuildImage>(c->spec.image).tag;
  }
  d.ports = portMappingsOf(*c);
  if (!c->spec.project.empty()) {
    NetworkAttachment net;
    net.network = projectNetworkName(c->spec.project);
    if (!c->spec.resource.empty()) {
      net.aliases.push_back(c->spec.resource);
    }
    net.ipv4 = c->ipv4;
    d.networks.push_back(std::move(net));
  }
  if (c->hasHealthcheck) {
    d.health.status = std::string(healthName(c->health));
    if (c->health == Health::Unhealthy) {
      d.health.failingStreak = std::max(c->spec.healthcheck->retries, 1);
    }
  }
  if (c->phase == Phase::Running) {
    d.pid = c->pid;
  }
  d.labels = c->spec.labels;
  d.labels[kLabelProject] = c->spec.project;
  d.labels[kLabelResource] = c->spec.resource;
  d.labels[kLabelConfigHash] = configHash(c->spec);
  co_return d;
}

asio::awaitable<Result<PruneReport>> MemoryRuntime::Impl::pruneContainers() {
  Result<void> entered = co_await enter(Op::PruneContainers, "");
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  PruneReport report;
  std::vector<std::string> stopped;
  for (const auto& [id, c] : containers) {
    if (c.phase == Phase::Stopped) {
      stopped.push_back(id);
    }
  }
  for (const auto& id : stopped) {
    if (Container* c = findById(id)) {
      destroyContainer(*c, clock.steady());
      report.deleted.push_back(id);
    }
  }
  co_return report;
}

/// A streamed exec of a scripted command: its outputs, then its exit, all ready at once.
class MemoryRuntime::Impl::ExecEvents final : public ExecEventStream {
 public:
  explicit ExecEvents(std::deque<ExecEvent> events) : events_(std::move(events)) {}

  asio::awaitable<Result<std::optional<ExecEvent>>> next() override {
    if (closed_ && !events_.empty()) {
      co_return Error(Errc::Cancelled, "exec stream closed");
    }
    if (events_.empty()) {
      co_return std::optional<ExecEvent>();
    }
    ExecEvent e = std::move(events_.front());
    events_.pop_front();
    co_return std::optional<ExecEvent>(std::move(e));
  }

  void close() override { closed_ = true; }

 private:
  std::deque<ExecEvent> events_;
  bool closed_ = false;
};

asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> MemoryRuntime::Impl::execStream(
    const ContainerId& id, const ExecRequest& request) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::ExecStream, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  Result<ExecResult> ran = runExecScript(id.value, request);
  if (!ran) {
    co_return std::move(ran).error();
  }
  std::deque<ExecEvent> events;
  if (!ran->stdoutText.empty()) {
    ExecEvent out;
    out.kind = ExecEvent::Kind::Stdout;
    out.bytes = std::move(ran->stdoutText);
    events.push_back(std::move(out));
  }
  if (!ran->stderrText.empty()) {
    ExecEvent err;
    err.kind = ExecEvent::Kind::Stderr;
    err.bytes = std::move(ran->stderrText);
    events.push_back(std::move(err));
  }
  ExecEvent exit;
  exit.kind = ExecEvent::Kind::Exit;
  exit.exitCode = ran->exitCode;
  events.push_back(std::move(exit));
  std::unique_ptr<ExecEventStream> stream = std::make_unique<ExecEvents>(std::move(events));
  co_return std::move(stream);
}

asio::awaitable<Result<std::vector<ImageSummary>>> MemoryRuntime::Impl::listImages() {
  Result<void> entered = co_await enter(Op::ListImages, "");
  if (!entered) {
    co_return std::move(entered).error();
  }
  std::vector<ImageSummary> out;
  for (const auto& [id, created] : images) {
    ImageSummary s;
    s.id = id;
    s.repoTags = tagsOf(id);
    s.created = created;
    out.push_back(std::move(s));
  }
  co_return out;
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::tagImage(const std::string& source,
                                                            const std::string& target) {
  Result<void> entered = co_await enter(Op::TagImage, source);
  if (!entered) {
    co_return std::move(entered).error();
  }
  const std::string what = "tag image " + quote(source) + " as " + quote(target);
  if (source.empty() || target.empty()) {
    co_return Error(Errc::InvalidArgument, what + ": empty image reference");
  }
  if (target.find('@') != std::string::npos) {
    co_return Error(Errc::InvalidArgument, what + ": a digest reference cannot be a tag");
  }
  const std::string ref = normalizeRef(target);
  const auto colon = ref.rfind(':');
  if (colon == 0 || colon + 1 == ref.size() || ref.front() == '/' || ref[colon - 1] == '/') {
    co_return Error(Errc::InvalidArgument, what + ": not a repository[:tag] reference");
  }
  std::optional<std::string> id = resolveImage(source);
  if (!id) {
    co_return Error(Errc::NotFound, what + ": no such image " + quote(source));
  }
  tagLocal(ref, *id);
  co_return ok();
}

asio::awaitable<Result<std::vector<std::string>>> MemoryRuntime::Impl::removeImage(
    const std::string& reference, bool force) {
  Result<void> entered = co_await enter(Op::RemoveImage, reference);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  const std::string what = "remove image " + quote(reference);
  std::optional<std::string> resolved = resolveImage(reference);
  if (!resolved) {
    co_return Error(Errc::NotFound, what + ": no such image");
  }
  const std::string id = *resolved;
  const std::vector<const Container*> users = usersOf(id);
  const bool running = !users.empty() && users.front()->phase != Phase::Stopped;
  auto usedBy = [&](const Container* c) {
    return std::string(c->phase != Phase::Stopped ? "running" : "stopped") + " container " +
           quote(c->id.value.substr(0, 12));
  };
  std::vector<std::string> out;
  const std::string ref = normalizeRef(reference);
  if (tags.contains(ref)) {
    // A tag: untag it; the image goes with its last tag unless a container needs it.
    const bool lastTag = tagsOf(id).size() == 1;
    if (lastTag && !users.empty() && !force) {
      co_return Error(Errc::Conflict, what + ": it is used by " + usedBy(users.front()) +
                                          " (remove it first, or force)");
    }
    tags.erase(ref);
    out.push_back(ref);
    if (!lastTag || running) {
      co_return out;  // still tagged elsewhere, or kept (untagged) for a running container
    }
  } else {
    const std::vector<std::string> refs = tagsOf(id);
    if (refs.size() > 1 && !force) {
      co_return Error(Errc::Conflict, what + ": it is referenced by " +
                                          std::to_string(refs.size()) +
                                          " tags (remove them, or force)");
    }
    if (running) {
      co_return Error(Errc::Conflict,
                      what + ": it is used by " + usedBy(users.front()) + " (cannot be forced)");
    }
    if (!users.empty() && !force) {
      co_return Error(Errc::Conflict, what + ": it is used by " + usedBy(users.front()) +
                                          " (remove it first, or force)");
    }
    for (const auto& r : refs) {
      tags.erase(r);
      out.push_back(r);
    }
  }
  images.erase(id);
  out.push_back(id);
  co_return out;
}

// --- streams -------------------------------------------------------------------------------

class MemoryRuntime::Impl::LogStream final : public LogChunkStream {
 public:
  LogStream(std::weak_ptr<Impl> impl, std::string containerId, LogOptions options,
            std::size_t cursor, std::size_t end)
      : impl_(std::move(impl)),
        containerId_(std::move(containerId)),
        options_(std::move(options)),
        cursor_(cursor),
        end_(end) {}
  ~LogStream() override { close(); }

  asio::awaitable<Result<std::optional<LogChunk>>> next() override;

  void close() override {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (auto impl = impl_.lock()) {
      impl->notify();
    }
  }

 private:
  bool matches(const LogChunk& chunk) const {
    const bool isStdout = chunk.stream == LogChunk::Stream::Stdout;
    if ((isStdout && !options_.stdoutStream) || (!isStdout && !options_.stderrStream)) {
      return false;
    }
    return !options_.since || chunk.timestamp >= *options_.since;
  }

  std::weak_ptr<Impl> impl_;
  std::string containerId_;
  LogOptions options_;
  std::size_t cursor_;
  std::size_t end_;  // one past the last chunk to deliver (max when following)
  bool closed_ = false;
  bool done_ = false;
};

asio::awaitable<Result<std::optional<LogChunk>>> MemoryRuntime::Impl::LogStream::next() {
  Impl* impl = nullptr;
  if (auto locked = impl_.lock()) {
    impl = locked.get();
  }
  if (impl == nullptr || closed_ || done_) {
    co_return std::nullopt;
  }
  for (;;) {
    impl->settle();
    const Container* c = impl->findById(containerId_);
    if (c == nullptr) {
      done_ = true;
      co_return std::nullopt;
    }
    while (cursor_ < std::min(end_, c->logs.size())) {
      const LogChunk& chunk = c->logs[cursor_++];
      if (options_.until && chunk.timestamp > *options_.until) {
        done_ = true;
        co_return std::nullopt;
      }
      if (matches(chunk)) {
        co_return std::optional<LogChunk>(chunk);
      }
    }
    if (!options_.follow || c->phase == Phase::Stopped) {
      done_ = true;
      co_return std::nullopt;
    }
    const std::size_t seen = cursor_;
    std::function<bool()> moved = [this, impl, seen] {
      const Container* x = impl->findById(containerId_);
      return closed_ || x == nullptr || x->phase == Phase::Stopped || x->logs.size() > seen;
    };
    LS_MEM_RETURN_IF_CANCELLED();
    Result<WaitEnd> waited = co_await impl->waitFor(moved, SteadyTime::max());
    if (!waited) {
      co_return std::move(waited).error();
    }
    if (closed_) {
      co_return std::nullopt;
    }
  }
}

class MemoryRuntime::Impl::EventStreamImpl final : public EventStream {
 public:
  EventStreamImpl(std::weak_ptr<Impl> impl, std::uint64_t id) : impl_(std::move(impl)), id_(id) {}
  ~EventStreamImpl() override { close(); }

  asio::awaitable<Result<RuntimeEvent>> next() override;

  void close() override {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (auto impl = impl_.lock()) {
      impl->subscribers.erase(id_);
      impl->notify();
    }
  }

 private:
  static Error closedError() { return Error(Errc::Cancelled, "event stream closed"); }

  std::weak_ptr<Impl> impl_;
  std::uint64_t id_;
  bool closed_ = false;
};

asio::awaitable<Result<RuntimeEvent>> MemoryRuntime::Impl::EventStreamImpl::next() {
  Impl* impl = nullptr;
  if (auto locked = impl_.lock()) {
    impl = locked.get();
  }
  if (impl == nullptr) {
    co_return Error(Errc::Unavailable, "event stream broken: the runtime is gone");
  }
  const std::uint64_t id = id_;
  for (;;) {
    impl->settle();
    auto it = impl->subscribers.find(id);
    if (closed_ || it == impl->subscribers.end()) {
      co_return closedError();
    }
    if (!it->second.backlog.empty()) {
      RuntimeEvent e = std::move(it->second.backlog.front());
      it->second.backlog.pop_front();
      co_return e;
    }
    std::function<bool()> arrived = [impl, id] {
      auto sub = impl->subscribers.find(id);
      return sub == impl->subscribers.end() || !sub->second.backlog.empty();
    };
    LS_MEM_RETURN_IF_CANCELLED();
    Result<WaitEnd> waited = co_await impl->waitFor(arrived, SteadyTime::max());
    if (!waited) {
      co_return std::move(waited).error();
    }
  }
}

asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> MemoryRuntime::Impl::logs(
    const ContainerId& id, const LogOptions& options) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::Logs, id.value));
  std::size_t cursor = 0;
  if (options.tail) {
    // Start so that the last `tail` lines this stream would deliver are included.
    cursor = c->logs.size();
    std::size_t kept = 0;
    while (cursor > 0 && kept < *options.tail) {
      const LogChunk& chunk = c->logs[cursor - 1];
      const bool isStdout = chunk.stream == LogChunk::Stream::Stdout;
      if ((isStdout ? options.stdoutStream : options.stderrStream) &&
          (!options.since || chunk.timestamp >= *options.since)) {
        ++kept;
      }
      --cursor;
    }
  }
  const std::size_t end = options.follow ? std::numeric_limits<std::size_t>::max() : c->logs.size();
  std::unique_ptr<LogChunkStream> stream =
      std::make_unique<LogStream>(weak_from_this(), c->id.value, options, cursor, end);
  co_return std::move(stream);
}

asio::awaitable<Result<NetworkOutcome>> MemoryRuntime::Impl::ensureNetwork(
    const std::string& project) {
  Result<void> entered = co_await enter(Op::EnsureNetwork, project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  if (project.empty()) {
    co_return Error(Errc::InvalidArgument, "project name is empty");
  }
  const std::string name = projectNetworkName(project);
  if (auto existing = existingNetwork(name, project)) {
    co_return std::move(*existing);
  }
  // The engine round-trip between the lookup and the create: concurrent callers race here, as
  // they do against the engine.
  LS_MEM_RETURN_IF_CANCELLED();
  co_await asio::post(ex, asio::use_awaitable);
  LS_MEM_RETURN_IF_CANCELLED();
  if (auto raced = existingNetwork(name, project)) {
    co_return std::move(*raced);
  }
  networks[name] = {{kLabelProject, project}};
  notify();
  co_return NetworkOutcome::Created;
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::Impl::teardownNetwork(
    const std::string& project) {
  Result<void> entered = co_await enter(Op::TeardownNetwork, project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  const std::string name = projectNetworkName(project);
  auto it = networks.find(name);
  if (it == networks.end()) {
    co_return RemoveOutcome::AlreadyRemoved;
  }
  auto label = it->second.find(kLabelProject);
  if (label == it->second.end() || label->second != project) {
    co_return Error(Errc::FailedPrecondition, "network " + quote(name) +
                                                  " is not owned by project " + quote(project) +
                                                  " (left untouched)")
        .withReason("foreign_network");
  }
  std::string attached;
  for (const auto& [id, c] : containers) {
    if (c.spec.project == project && c.phase != Phase::Stopped) {
      attached += (attached.empty() ? "" : ", ") + quote(c.spec.name);
    }
  }
  if (!attached.empty()) {
    co_return Error(Errc::FailedPrecondition,
                    "network " + quote(name) + " still has containers attached: " + attached)
        .withReason("network_in_use");
  }
  networks.erase(it);
  notify();
  co_return RemoveOutcome::Removed;
}

asio::awaitable<Result<std::vector<ManagedContainer>>> MemoryRuntime::Impl::listManaged(
    const std::string& project) {
  Result<void> entered = co_await enter(Op::ListManaged, project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  std::vector<ManagedContainer> out;
  for (const auto& [id, c] : containers) {
    if (c.spec.project != project) {
      continue;
    }
    ManagedContainer m;
    m.id = c.id;
    m.name = c.spec.name;
    m.resource = c.spec.resource;
    m.configHash = configHash(c.spec);
    if (const auto* pull = std::get_if<PullImage>(&c.spec.image)) {
      m.image = pull->reference;
    } else {
      m.image = std::get<BuildImage>(c.spec.image).tag;
    }
    for (const auto& v : c.spec.volumes) {
      if (v.kind == VolumeBinding::Kind::Named) {
        m.namedVolumes.push_back(v.source);
      }
    }
    m.status = statusOf(c);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const ManagedContainer& a, const ManagedContainer& b) {
    return std::tie(a.resource, a.name) < std::tie(b.resource, b.name);
  });
  co_return std::move(out);
}

asio::awaitable<Result<std::unique_ptr<EventStream>>> MemoryRuntime::Impl::events(
    const EventFilter& filter) {
  Result<void> entered = co_await enter(Op::Events, filter.project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  const std::uint64_t id = nextSubscriberId++;
  Subscriber sub;
  sub.filter = filter;
  subscribers.emplace(id, std::move(sub));
  std::unique_ptr<EventStream> stream = std::make_unique<EventStreamImpl>(weak_from_this(), id);
  co_return std::move(stream);
}

// --- MemoryRuntime -------------------------------------------------------------------------

MemoryRuntime::MemoryRuntime(asio::any_io_executor ex, Clock& clock)
    : impl_(std::make_shared<Impl>(std::move(ex), clock)) {}

MemoryRuntime::~MemoryRuntime() = default;

asio::awaitable<Result<ContainerId>> MemoryRuntime::start(const ContainerSpec& spec,
                                                          const StartOptions& options) {
  return impl_->start(spec, options);
}

asio::awaitable<Result<StopOutcome>> MemoryRuntime::stop(const ContainerId& id,
                                                         std::chrono::nanoseconds grace) {
  return impl_->stop(id, grace);
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::remove(const std::string& nameOrId) {
  return impl_->remove(nameOrId);
}

asio::awaitable<Result<ContainerStatus>> MemoryRuntime::inspect(const ContainerId& id) {
  return impl_->inspect(id);
}

asio::awaitable<Result<void>> MemoryRuntime::waitHealthy(const ContainerId& id,
                                                         std::chrono::nanoseconds timeout) {
  return impl_->waitHealthy(id, timeout);
}

asio::awaitable<Result<ExecResult>> MemoryRuntime::exec(const ContainerId& id,
                                                        const ExecRequest& request) {
  return impl_->exec(id, request);
}

asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> MemoryRuntime::logs(
    const ContainerId& id, const LogOptions& options) {
  return impl_->logs(id, options);
}

asio::awaitable<Result<NetworkOutcome>> MemoryRuntime::ensureProjectNetwork(
    const std::string& project) {
  return impl_->ensureNetwork(project);
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::teardownProjectNetwork(
    const std::string& project) {
  return impl_->teardownNetwork(project);
}

asio::awaitable<Result<std::vector<ManagedContainer>>> MemoryRuntime::listManaged(
    const std::string& project) {
  return impl_->listManaged(project);
}

asio::awaitable<Result<std::unique_ptr<EventStream>>> MemoryRuntime::events(
    const EventFilter& filter) {
  return impl_->events(filter);
}

asio::awaitable<Result<void>> MemoryRuntime::ping() {
  co_return co_await impl_->enter(Op::Ping, "");
}

asio::awaitable<Result<void>> MemoryRuntime::pullImage(const std::string& reference,
                                                       PullPolicy policy,
                                                       const ProgressCallback& onProgress) {
  return impl_->pullStep(reference, policy, onProgress, true);
}

asio::awaitable<Result<PreparedImage>> MemoryRuntime::prepareImage(
    const ImageSource& image, const ProgressCallback& onProgress) {
  return impl_->prepare(image, onProgress);
}

asio::awaitable<Result<std::string>> MemoryRuntime::buildImage(const BuildImage& build,
                                                               const ProgressCallback& onProgress) {
  return impl_->buildStep(build, onProgress);
}

asio::awaitable<Result<void>> MemoryRuntime::kill(const ContainerId& id,
                                                  const std::string& signal) {
  return impl_->kill(id, signal);
}

asio::awaitable<Result<WaitOutcome>> MemoryRuntime::wait(const ContainerId& id,
                                                         WaitCondition condition) {
  return impl_->wait(id, condition);
}

asio::awaitable<Result<void>> MemoryRuntime::rename(const ContainerId& id,
                                                    const std::string& newName) {
  return impl_->rename(id, newName);
}

asio::awaitable<Result<void>> MemoryRuntime::pause(const ContainerId& id) {
  return impl_->pause(id);
}

asio::awaitable<Result<void>> MemoryRuntime::unpause(const ContainerId& id) {
  return impl_->unpause(id);
}

asio::awaitable<Result<std::vector<PortMapping>>> MemoryRuntime::portMappings(
    const ContainerId& id) {
  return impl_->portMappings(id);
}

asio::awaitable<Result<ContainerDetails>> MemoryRuntime::inspectDetailed(const ContainerId& id) {
  return impl_->inspectDetailed(id);
}

asio::awaitable<Result<PruneReport>> MemoryRuntime::pruneContainers() {
  return impl_->pruneContainers();
}

asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> MemoryRuntime::execStream(
    const ContainerId& id, const ExecRequest& request) {
  return impl_->execStream(id, request);
}

asio::awaitable<Result<std::vector<ImageSummary>>> MemoryRuntime::listImages() {
  return impl_->listImages();
}

asio::awaitable<Result<void>> MemoryRuntime::tagImage(const std::string& source,
                                                      const std::string& target) {
  return impl_->tagImage(source, target);
}

asio::awaitable<Result<std::vector<std::string>>> MemoryRuntime::removeImage(
    const std::string& reference, bool force) {
  return impl_->removeImage(reference, force);
}

void MemoryRuntime::addLocalImage(const std::string& reference) {
  const std::string ref = normalizeRef(reference);
  if (!impl_->tags.contains(ref)) {
    impl_->tagLocal(ref, Impl::defaultImageId(ref));
  }
}

void MemoryRuntime::addRegistryImage(const std::string& reference) {
  impl_->registryImages.insert(normalizeRef(reference));
}

void MemoryRuntime::removeLocalImage(const std::string& reference) {
  impl_->untagLocal(normalizeRef(reference));
}

bool MemoryRuntime::hasLocalImage(const std::string& reference) const {
  return impl_->tags.contains(normalizeRef(reference));
}

void MemoryRuntime::failBuild(const std::string& tag, std::string message) {
  impl_->buildFailures[normalizeRef(tag)] = std::move(message);
}

void MemoryRuntime::addNetwork(const std::string& name, std::map<std::string, std::string> labels) {
  impl_->networks[name] = std::move(labels);
  impl_->notify();
}

std::vector<std::string> MemoryRuntime::networkNames() const {
  std::vector<std::string> out;
  for (const auto& [name, labels] : impl_->networks) {
    out.push_back(name);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> MemoryRuntime::networkLabels(
    const std::string& name) const {
  auto it = impl_->networks.find(name);
  if (it == impl_->networks.end()) {
    return std::nullopt;
  }
  return it->second;
}

void MemoryRuntime::script(const std::string& nameOrResource, Behaviour behaviour) {
  impl_->scripts[nameOrResource] = std::move(behaviour);
}

void MemoryRuntime::clearScript(const std::string& nameOrResource) {
  impl_->scripts.erase(nameOrResource);
}

void MemoryRuntime::scriptExec(const std::string& nameOrResource, ExecScript script) {
  impl_->execScripts[nameOrResource] = std::move(script);
}

void MemoryRuntime::clearExecScript(const std::string& nameOrResource) {
  impl_->execScripts.erase(nameOrResource);
}

bool MemoryRuntime::externalStop(const std::string& nameOrId) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  const SteadyTime now = impl_->clock.steady();
  const int code = c->behaviour.ignoresSigterm ? kKilledExitCode : c->behaviour.sigtermExitCode;
  impl_->exitContainer(*c, code, now, false);
  c->stopEventSent = true;
  impl_->publish(RuntimeEvent::Kind::Stop, *c, now);
  return true;
}

bool MemoryRuntime::externalRemove(const std::string& nameOrId) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr) {
    return false;
  }
  impl_->destroyContainer(*c, impl_->clock.steady());
  return true;
}

bool MemoryRuntime::crash(const std::string& nameOrId, int exitCode) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  impl_->exitContainer(*c, exitCode, impl_->clock.steady(), false);
  return true;
}

bool MemoryRuntime::oomKill(const std::string& nameOrId) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  impl_->exitContainer(*c, kKilledExitCode, impl_->clock.steady(), true);
  return true;
}

bool MemoryRuntime::setHealth(const std::string& nameOrId, Health health) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped || !c->hasHealthcheck) {
    return false;
  }
  impl_->setHealthOf(*c, health, impl_->clock.steady());
  return true;
}

bool MemoryRuntime::writeLog(const std::string& nameOrId, const std::string& line,
                             LogChunk::Stream stream) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  impl_->appendLog(*c, stream, line, impl_->clock.steady());
  return true;
}

void MemoryRuntime::restartEngine() {
  impl_->settle();
  const SystemTime now = impl_->clock.system();
  for (auto& [id, sub] : impl_->subscribers) {
    sub.backlog.push_back(Impl::reconnectedEvent(sub.filter.project, now));
  }
  impl_->notify();
}

void MemoryRuntime::stopEngine(std::optional<int> exitCode) {
  impl_->settle();
  if (impl_->engineDown) {
    return;
  }
  // As dockerd does on SIGTERM: its API stops answering, it stops the containers (their `die`
  // and `stop` still reach open streams), then the streams break.
  if (exitCode) {
    for (const std::string& name : containerNames()) {
      (void)crash(name, *exitCode);
    }
  }
  const SystemTime now = impl_->clock.system();
  for (auto& [id, sub] : impl_->subscribers) {
    RuntimeEvent e;
    e.kind = RuntimeEvent::Kind::Disconnected;
    e.project = sub.filter.project;
    e.time = now;
    sub.backlog.push_back(std::move(e));
  }
  impl_->engineDown = true;
  impl_->notify();
}

void MemoryRuntime::startEngine() {
  impl_->settle();
  if (!impl_->engineDown) {
    return;
  }
  impl_->engineDown = false;
  const SystemTime now = impl_->clock.system();
  for (auto& [id, sub] : impl_->subscribers) {
    sub.backlog.push_back(Impl::reconnectedEvent(sub.filter.project, now));
    for (RuntimeEvent& e : sub.held) {
      sub.backlog.push_back(std::move(e));
    }
    sub.held.clear();
  }
  impl_->notify();
}

bool MemoryRuntime::engineStopped() const {
  return impl_->engineDown;
}

void MemoryRuntime::failOn(Op op, std::size_t nthCall, Failure failure, std::size_t times) {
  LS_CHECK(nthCall >= 1);
  for (std::size_t k = 0; k < times; ++k) {
    Impl::Fault fault;
    fault.kind = Impl::Fault::Kind::Fail;
    fault.failure = failure;
    impl_->opFaults[{op, nthCall + k}] = std::move(fault);
  }
}

void MemoryRuntime::failCall(std::size_t nthCall, Failure failure) {
  LS_CHECK(nthCall >= 1);
  impl_->callFaults[nthCall] = std::move(failure);
}

void MemoryRuntime::hangOn(Op op, std::size_t nthCall) {
  LS_CHECK(nthCall >= 1);
  Impl::Fault fault;
  fault.kind = Impl::Fault::Kind::Hang;
  impl_->opFaults[{op, nthCall}] = std::move(fault);
}

Gate MemoryRuntime::hold(Op op) {
  return hold(op, callCount(op) + 1);
}

Gate MemoryRuntime::hold(Op op, std::size_t nthCall) {
  LS_CHECK(nthCall >= 1);
  auto state = std::make_shared<detail::GateState>();
  std::weak_ptr<Impl> weak = impl_;
  state->wake = [weak] {
    if (auto impl = weak.lock()) {
      impl->notify();
    }
  };
  Impl::Fault fault;
  fault.kind = Impl::Fault::Kind::Hold;
  fault.gate = state;
  impl_->opFaults[{op, nthCall}] = std::move(fault);
  return Gate(std::move(state));
}

void MemoryRuntime::clearFaults() {
  impl_->opFaults.clear();
  impl_->callFaults.clear();
  impl_->opCounts.clear();
  impl_->totalCalls = 0;
}

std::size_t MemoryRuntime::callCount(Op op) const {
  auto it = impl_->opCounts.find(op);
  return it == impl_->opCounts.end() ? 0 : it->second;
}

std::size_t MemoryRuntime::callCount() const {
  return impl_->totalCalls;
}

const std::vector<Call>& MemoryRuntime::calls() const {
  return impl_->calls;
}

void MemoryRuntime::clearCalls() {
  impl_->calls.clear();
}

std::vector<std::string> MemoryRuntime::containerNames() const {
  std::vector<std::string> out;
  for (const auto& [id, c] : impl_->containers) {
    out.push_back(c.spec.name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t MemoryRuntime::pendingWaiters() const {
  return impl_->changed.size() + impl_->hung.size();
}

std::size_t MemoryRuntime::eventSubscribers() const {
  return impl_->subscribers.size();
}

}  // namespace ls::runtime
