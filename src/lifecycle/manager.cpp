#include "lightshuttle/lifecycle/manager.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <set>
#include <utility>
#include <variant>

#include "core/async.hpp"
#include "lightshuttle/core/text.hpp"

namespace asio = boost::asio;

namespace ls::lifecycle {

namespace {

using Kind = LifecycleEvent::Kind;
using ls::detail::TaskGroup;

constexpr std::size_t kFailureLogLines = 10;
constexpr int kRestartFailureExitCode = 1;
constexpr std::size_t kMinSecretLength = 3;
// Our own readiness probe while a resource starts: first attempt at once, then after 50 ms,
// doubling up to the healthcheck's interval, at most 1 s.
constexpr std::chrono::nanoseconds kProbeFirstDelay = std::chrono::milliseconds(50);
constexpr std::chrono::nanoseconds kProbeMaxDelay = std::chrono::seconds(1);
// How long a first probe defers to creates and starts still in flight (see fastProbe).
constexpr std::chrono::nanoseconds kProbeDeferMax = std::chrono::seconds(2);
// The engine's default probe timeout, for a healthcheck that leaves it unset.
constexpr std::chrono::nanoseconds kProbeDefaultTimeout = std::chrono::seconds(30);

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string imageOf(const runtime::ContainerSpec& spec) {
  if (const auto* pull = std::get_if<runtime::PullImage>(&spec.image)) {
    return pull->reference;
  }
  return std::get<runtime::BuildImage>(spec.image).tag;
}

std::string formatSeconds(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

// The exec request that runs a healthcheck's test like the engine does: ["CMD", args...] runs
// args, ["CMD-SHELL", "cmd"] runs /bin/sh -c cmd. nullopt when there is nothing to run (NONE,
// empty, or a form we do not know: the engine's health then decides alone).
std::optional<runtime::ExecRequest> probeRequest(const runtime::HealthcheckSpec& hc) {
  const std::vector<std::string>& test = hc.test;
  if (test.size() < 2) {
    return std::nullopt;
  }
  runtime::ExecRequest request;
  if (test.front() == "CMD") {
    request.cmd.assign(test.begin() + 1, test.end());
  } else if (test.front() == "CMD-SHELL") {
    std::string command = test[1];
    for (std::size_t k = 2; k < test.size(); ++k) {
      command += " " + test[k];
    }
    request.cmd = {"/bin/sh", "-c", std::move(command)};
  } else {
    return std::nullopt;
  }
  if (request.cmd.empty() || request.cmd.front().empty()) {
    return std::nullopt;
  }
  request.timeout = hc.timeout > std::chrono::nanoseconds::zero() ? hc.timeout
                                                                  : kProbeDefaultTimeout;
  return request;
}

enum class Phase { Idle, Booting, Running, Failed, Stopping, Stopped };

struct Resource {
  ResourceStatus status = ResourceStatus::Pending;
  Health health = Health::None;
  std::optional<runtime::ContainerId> id;
  std::vector<runtime::PortBinding> ports;
  std::optional<std::chrono::system_clock::time_point> startedAt;
  std::optional<std::chrono::system_clock::time_point> readyAt;
  std::optional<Clock::SteadyTime> launchedAt;  // the last launch began
  std::optional<std::chrono::nanoseconds> timeToReady;
  std::optional<std::string> operation;  // the handle operation that owns it (busy)
  int restarts = 0;
  int backoffStep = 0;  // restarts since the backoff was last reset (Backoff::resetAfter)
  std::optional<std::string> lastError;
  std::optional<int> exitCode;
  /// The last `die` seen for this resource: container and exit code.
  std::optional<std::pair<runtime::ContainerId, int>> lastDie;
  bool selected = false;
  bool attempted = false;   // a container of its name may exist
  bool supervised = false;  // ready: the supervisor handles its exits
  bool busy = false;        // a restart/start/stop owns it: events are not acted upon
  bool restartPending = false;  // the supervisor waits out a backoff before recreating it
  bool stoppedOutside = false;
  bool removedOutside = false;
  bool down = false;  // shutdown: its container is stopped (or absent) in this pass
};

}  // namespace

std::string_view statusName(ResourceStatus s) noexcept {
  switch (s) {
    case ResourceStatus::Pending: return "pending";
    case ResourceStatus::Starting: return "starting";
    case ResourceStatus::Running: return "running";
    case ResourceStatus::Completed: return "completed";
    case ResourceStatus::Restarting: return "restarting";
    case ResourceStatus::Exited: return "exited";
    case ResourceStatus::Failed: return "failed";
    case ResourceStatus::Stopped: return "stopped";
  }
  return "unknown";
}

std::string_view stackStatusName(StackStatus s) noexcept {
  switch (s) {
    case StackStatus::Starting: return "starting";
    case StackStatus::Ready: return "ready";
    case StackStatus::Degraded: return "degraded";
    case StackStatus::Stopping: return "stopping";
    case StackStatus::Stopped: return "stopped";
    case StackStatus::Failed: return "failed";
  }
  return "unknown";
}

std::string_view healthName(Health h) noexcept {
  switch (h) {
    case Health::None: return "none";
    case Health::Starting: return "starting";
    case Health::Healthy: return "healthy";
    case Health::Unhealthy: return "unhealthy";
  }
  return "unknown";
}

struct LifecycleManager::Impl {
  Impl(runtime::Runtime& rt, Clock& clock, Rng& rng, Plan plan, Options options)
      : rt(rt),
        clock(clock),
        rng(rng),
        plan(std::move(plan)),
        options(std::move(options)),
        bus(this->options.eventQueueCapacity),
        res(this->plan.size()) {
    for (const PlanNode& n : this->plan.nodes()) {
      for (const std::string& key : n.spec.secretEnvKeys) {
        auto it = n.spec.env.find(key);
        if (it != n.spec.env.end() && it->second.size() >= kMinSecretLength) {
          // Also its URL-encoded and URL-decoded spellings: a password travels inside URLs.
          for (std::string form : {it->second, percentEncode(it->second), percentDecode(it->second)}) {
            if (form.size() >= kMinSecretLength &&
                std::find(secrets.begin(), secrets.end(), form) == secrets.end()) {
              secrets.push_back(std::move(form));
            }
          }
        }
      }
    }
    // Longest first, so that a secret containing another is redacted whole.
    std::sort(secrets.begin(), secrets.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
  }

  runtime::Runtime& rt;
  Clock& clock;
  Rng& rng;
  Plan plan;
  Options options;
  EventBus bus;
  std::vector<Resource> res;
  std::vector<std::string> secrets;

  Phase phase = Phase::Idle;
  std::optional<asio::any_io_executor> ex;
  TaskGroup boot;         // one coroutine per booting resource
  TaskGroup supervision;  // the event pump, restarts, handle operations
  TaskGroup stops;        // one coroutine per resource of a shutdown pass
  ls::detail::Notifier changed;  // any state change
  std::unique_ptr<runtime::EventStream> events;

  std::optional<std::chrono::system_clock::time_point> stackStartedAt;
  std::optional<std::chrono::system_clock::time_point> stackReadyAt;
  std::optional<Error> bootError;
  bool bootAborting = false;   // the boot tasks are being cancelled
  bool stopRequested = false;  // stop()/kill() owns the rollback of an interrupted boot
  bool killRequested = false;
  bool supervisionStopping = false;  // shutdown began: supervision must not start anything
  bool networkGone = false;  // the stop pass removed the project network
  std::size_t startsInFlight = 0;  // launches inside rt.start (first probes defer to them)
  bool shutdownRunning = false;
  std::optional<Error> shutdownError;
  std::vector<Error> passErrors;

  // --- helpers -------------------------------------------------------------------------------

  const PlanNode& node(std::size_t i) const { return plan.nodes()[i]; }

  std::string redact(std::string text) const {
    for (const std::string& secret : secrets) {
      for (std::size_t pos = text.find(secret); pos != std::string::npos;
           pos = text.find(secret, pos + 3)) {
        text.replace(pos, secret.size(), "***");
      }
    }
    return text;
  }

  Error redact(const Error& e) const {
    Error out(e.code(), redact(e.message()));
    for (const std::string& frame : e.contexts()) {
      out.context(redact(frame));
    }
    if (e.engine()) {
      out.withEngine(e.engine()->status, redact(e.engine()->message));
    }
    if (!e.reason().empty()) {
      out.withReason(e.reason());
    }
    return out;
  }

  void emit(Kind kind, std::optional<std::size_t> i, std::string message = {},
            std::optional<int> exitCode = std::nullopt) {
    LifecycleEvent ev;
    ev.kind = kind;
    ev.time = clock.system();
    ev.message = redact(std::move(message));
    ev.exitCode = exitCode;
    if (i) {
      const Resource& r = res[*i];
      ev.resource = node(*i).name;
      ev.restarts = r.restarts;
      if (r.id) {
        ev.containerId = r.id->value;
      }
    }
    bus.publish(ev);
  }

  // Pull/build progress of one start, forwarded as ResourceProgress: every new step or status,
  // and byte counts at most every 250 ms, so a pull of many layers does not flood observers.
  struct ProgressThrottle {
    std::string lastStatus;
    std::optional<Clock::SteadyTime> lastAt;
  };

  void onImageProgress(std::size_t i, const runtime::ImageProgress& p, ProgressThrottle& t) {
    std::string status = p.status;
    while (!status.empty() && (status.back() == '\n' || status.back() == '\r' || status.back() == ' ')) {
      status.pop_back();
    }
    if (status.empty()) {
      return;
    }
    const Clock::SteadyTime now = clock.steady();
    const bool fresh = status != t.lastStatus;
    if (!fresh && t.lastAt && now - *t.lastAt < std::chrono::milliseconds(250)) {
      return;
    }
    t.lastStatus = status;
    t.lastAt = now;
    std::string message = status;
    if (!p.id.empty()) {
      message += " " + p.id;
    }
    if (p.total > 0) {
      char bytes[64];
      std::snprintf(bytes, sizeof(bytes), " %.1f/%.1f MB", static_cast<double>(p.current) / 1e6,
                    static_cast<double>(p.total) / 1e6);
      message += bytes;
    }
    if (message.size() > 160) {
      message.resize(157);
      message += "...";
    }
    emit(Kind::ResourceProgress, i, std::move(message));
  }

  void emitRestarting(std::size_t i, std::chrono::nanoseconds delay, std::string message) {
    LifecycleEvent ev;
    ev.kind = Kind::ResourceRestarting;
    ev.time = clock.system();
    ev.resource = node(i).name;
    ev.restarts = res[i].restarts;
    ev.delay = delay;
    ev.message = redact(std::move(message));
    bus.publish(ev);
  }

  void setStatus(std::size_t i, ResourceStatus s) {
    res[i].status = s;
    changed.notifyAll();
  }

  void fail(std::size_t i, const std::string& message) {
    Resource& r = res[i];
    r.status = ResourceStatus::Failed;
    r.supervised = false;
    r.lastError = redact(message);
    emit(Kind::ResourceFailed, i, message);
    changed.notifyAll();
  }

  std::optional<std::size_t> indexOfResource(std::string_view name) const {
    return plan.indexOf(name);
  }

  // NOTE: besides the cancellation slot, every loop checks these flags: a cancellation emitted
  // before a spawned coroutine first runs does not reach it.
  bool launchAborted() const {
    return (phase == Phase::Booting && bootAborting) || supervisionStopping;
  }

  bool exitedNow(std::size_t i) const {
    const Resource& r = res[i];
    return r.id && r.lastDie && r.lastDie->first == *r.id;
  }

  // The last lines of a container's output, for failure messages; empty when unavailable.
  asio::awaitable<std::string> lastLines(runtime::ContainerId id) {
    runtime::LogOptions logOptions;
    logOptions.tail = kFailureLogLines;
    Result<std::unique_ptr<runtime::LogChunkStream>> stream = co_await rt.logs(id, logOptions);
    if (!stream) {
      co_return std::string();
    }
    std::string out;
    for (;;) {
      Result<std::optional<runtime::LogChunk>> chunk = co_await (*stream)->next();
      if (!chunk || !chunk->has_value()) {
        break;
      }
      std::string line = (*chunk)->bytes;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.pop_back();
      }
      out += "\n  " + line;
    }
    (*stream)->close();
    co_return out;
  }

  // --- starting one resource -----------------------------------------------------------------

  // Waits until the one-shot resource `i` exits (its container `id`), within `timeout`.
  asio::awaitable<Result<void>> waitCompleted(std::size_t i, runtime::ContainerId id,
                                              std::chrono::nanoseconds timeout) {
    const Clock::SteadyTime deadline = clock.steady() + timeout;
    for (;;) {
      Resource& r = res[i];
      if (r.lastDie && r.lastDie->first == id) {
        const int code = r.lastDie->second;
        r.exitCode = code;
        if (code == 0) {
          co_return ok();
        }
        std::string message = "container " + quote(node(i).spec.name) + " exited with code " +
                              std::to_string(code) + " before it completed";
        std::string lines = co_await lastLines(id);
        if (!lines.empty()) {
          message += "; last log lines:" + lines;
        }
        co_return Error(Errc::FailedPrecondition, std::move(message))
            .withReason("exited_before_ready");
      }
      if (clock.steady() >= deadline) {
        co_return Error(Errc::Timeout, "container " + quote(node(i).spec.name) +
                                           " did not complete within " + formatSeconds(timeout));
      }
      if (launchAborted() || co_await ls::detail::cancelled()) {
        co_return Error(Errc::Cancelled, "operation cancelled");
      }
      Result<void> woke = co_await changeOrDeadline(deadline);
      if (!woke) {
        co_return woke;
      }
    }
  }

  // Waits for the next change or until `deadline`, whichever comes first; an error only when
  // the wait was cancelled.
  asio::awaitable<Result<void>> changeOrDeadline(Clock::SteadyTime deadline) {
    using namespace asio::experimental::awaitable_operators;
    auto notified = changed.wait();
    auto timer = clock.sleepUntil(deadline);
    std::variant<Result<void>, Result<void>> first =
        co_await (std::move(notified) || std::move(timer));
    if (first.index() == 0 && !std::get<0>(first)) {
      co_return std::get<0>(std::move(first)).error();
    }
    co_return ok();
  }

  // Our fast probe of a starting resource: runs the healthcheck's test via exec with a backoff
  // until an attempt exits 0 (ok). Never logs or reports the command or its output (it may hold
  // secrets). When exec is unsupported, the container is not running, or it is gone, it stops
  // probing and waits (until cancelled) so that the engine's health decides alone. Records the
  // exit code of the last failed attempt in `lastExit`.
  asio::awaitable<Result<void>> fastProbe(runtime::ContainerId id, runtime::ExecRequest request,
                                          std::chrono::nanoseconds interval,
                                          std::optional<int>& lastExit) {
    co_await asio::this_coro::throw_if_cancelled(false);
    // An exec is costly engine work (a process joined to the container's namespaces), paid on
    // the same 2 cores as the creates and starts of a wide level: the first probe waits until
    // no start is in flight (bounded, so a long pull elsewhere does not hold it). Measured on
    // wide10: all healthy 1.09x the Engine API floor with probes racing the starts.
    const Clock::SteadyTime deferUntil = clock.steady() + kProbeDeferMax;
    while (startsInFlight > 0 && clock.steady() < deferUntil) {
      if (launchAborted() || co_await ls::detail::cancelled()) {
        co_return Error(Errc::Cancelled, "operation cancelled");
      }
      Result<void> woke = co_await changeOrDeadline(deferUntil);
      if (!woke) {
        co_return woke;
      }
    }
    const std::chrono::nanoseconds maxDelay =
        std::clamp(interval, kProbeFirstDelay, kProbeMaxDelay);
    std::chrono::nanoseconds delay = kProbeFirstDelay;
    bool probing = true;
    while (probing) {
      if (launchAborted() || co_await ls::detail::cancelled()) {
        co_return Error(Errc::Cancelled, "operation cancelled");
      }
      Result<runtime::ExecResult> ran = co_await rt.exec(id, request);
      if (ran) {
        if (ran->exitCode == 0) {
          co_return ok();
        }
        lastExit = ran->exitCode;
      } else {
        switch (ran.error().code()) {
          case Errc::Cancelled:
            co_return std::move(ran).error();
          case Errc::Unsupported:  // no exec in this runtime
          case Errc::Conflict:     // not running (yet, or any more)
          case Errc::NotFound:     // gone: waitHealthy reports it
            probing = false;
            continue;
          default:  // a slow or failing engine: try again later
            break;
        }
      }
      if (launchAborted()) {
        co_return Error(Errc::Cancelled, "operation cancelled");
      }
      Result<void> slept = co_await clock.sleepFor(delay);
      if (!slept) {
        co_return slept;
      }
      delay = std::min(delay * 2, maxDelay);
    }
    // Fall back to the engine's health: wait until cancelled (the engine's wait ends first).
    for (;;) {
      if (launchAborted() || co_await ls::detail::cancelled()) {
        co_return Error(Errc::Cancelled, "operation cancelled");
      }
      Result<void> woke = co_await changed.wait();
      if (!woke) {
        co_return woke;
      }
    }
  }

  // Waits until the started resource `i` (container `id`) is ready, within `timeout`: the
  // runtime's event-driven wait, and, when it has a healthcheck we can run, our fast probe in
  // parallel; the first to succeed wins and cancels the other. Exits and timeouts come from
  // the runtime's wait.
  asio::awaitable<Result<void>> waitReady(std::size_t i, runtime::ContainerId id,
                                          std::chrono::nanoseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    const std::optional<runtime::HealthcheckSpec>& hc = node(i).spec.healthcheck;
    std::optional<runtime::ExecRequest> request;
    if (hc) {
      request = probeRequest(*hc);
    }
    if (!request) {
      Result<void> ready = co_await rt.waitHealthy(id, timeout);
      co_return ready;
    }
    std::optional<int> lastExit;
    auto engineWait = rt.waitHealthy(id, timeout);
    auto probe = fastProbe(id, std::move(*request), hc->interval, lastExit);
    std::variant<Result<void>, Result<void>> first =
        co_await (std::move(engineWait) || std::move(probe));
    if (first.index() == 1) {
      co_return std::get<1>(std::move(first));
    }
    Result<void> ready = std::get<0>(std::move(first));
    if (!ready && ready.error().code() == Errc::Timeout && lastExit) {
      Error timedOut(Errc::Timeout, ready.error().message() + "; probe exited with code " +
                                        std::to_string(*lastExit));
      for (const std::string& frame : ready.error().contexts()) {
        timedOut.context(frame);
      }
      co_return timedOut;
    }
    co_return ready;
  }

  // Removes the container holding resource `i`'s name (an exited one, a previous run's).
  asio::awaitable<Result<void>> removeStale(std::size_t i) {
    const PlanNode& n = node(i);
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<runtime::RemoveOutcome> stale = co_await rt.remove(n.spec.name);
    if (!stale) {
      co_return std::move(stale).error().context("removing stale container " +
                                                 quote(n.spec.name));
    }
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    co_return ok();
  }

  // Creates and starts resource `i`'s container. A stale container of the same name (a crashed
  // run, a restart) is removed only when the create says the name is taken, or first when
  // `replacing` (a policy restart knows its exited one is there): one engine call less per
  // resource on the common path.
  asio::awaitable<Result<runtime::ContainerId>> startContainer(
      std::size_t i, const runtime::StartOptions& startOptions, bool replacing) {
    const PlanNode& n = node(i);
    if (replacing) {
      Result<void> removed = co_await removeStale(i);
      if (!removed) {
        co_return std::move(removed).error();
      }
    }
    Result<runtime::ContainerId> started = co_await rt.start(n.spec, startOptions);
    if (!started && !replacing && started.error().reason() == "name_in_use") {
      Result<void> removed = co_await removeStale(i);
      if (!removed) {
        co_return std::move(removed).error();
      }
      started = co_await rt.start(n.spec, startOptions);
    }
    co_return started;
  }

  // Starts a new container for resource `i` (see startContainer for `replacing`) and waits
  // until it is ready (or, for a one-shot resource, completed). Emits the resource's progress
  // events.
  asio::awaitable<Result<void>> launch(std::size_t i, bool replacing = false) {
    const PlanNode& n = node(i);
    Resource& r = res[i];
    r.status = ResourceStatus::Starting;
    r.health = n.spec.healthcheck ? Health::Starting : Health::None;
    r.id.reset();
    r.ports.clear();
    r.exitCode.reset();
    r.supervised = false;
    r.stoppedOutside = false;
    r.removedOutside = false;
    r.attempted = true;
    r.launchedAt = clock.steady();
    emit(Kind::ResourceStarting, i);
    changed.notifyAll();
    if (launchAborted()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }

    runtime::StartOptions startOptions;
    auto throttle = std::make_shared<ProgressThrottle>();
    startOptions.onProgress = [this, i, throttle](const runtime::ImageProgress& p) {
      onImageProgress(i, p, *throttle);
    };
    // Counted without a scope guard: a frame destroyed with the loop must not touch `this`.
    ++startsInFlight;
    Result<runtime::ContainerId> started = co_await startContainer(i, startOptions, replacing);
    --startsInFlight;
    changed.notifyAll();
    if (!started) {
      co_return std::move(started).error();
    }
    const runtime::ContainerId id = *started;
    r.id = id;
    r.startedAt = clock.system();
    emit(Kind::ResourceStarted, i);
    changed.notifyAll();
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }

    const std::chrono::nanoseconds timeout = startTimeout(n.spec, options.startTimeout);
    if (plan.isOneShot(n.name)) {
      Result<void> completed = co_await waitCompleted(i, id, timeout);
      if (!completed) {
        co_return completed;
      }
      r.status = ResourceStatus::Completed;
      r.health = Health::None;
      markReady(r);
      emit(Kind::ResourceCompleted, i, "exited with code 0", 0);
      changed.notifyAll();
      co_return ok();
    }

    Result<void> ready = co_await waitReady(i, id, timeout);
    if (!ready) {
      co_return ready;
    }
    r.status = ResourceStatus::Running;
    r.health = n.spec.healthcheck ? Health::Healthy : Health::None;
    r.supervised = true;
    markReady(r);
    emit(Kind::ResourceHealthy, i);
    changed.notifyAll();

    // Published ports as allocated; cosmetic, so a failure here does not fail the resource.
    // Nothing to learn (and one engine call saved) when the resource publishes none.
    if (!n.spec.ports.empty() && !co_await ls::detail::cancelled()) {
      Result<runtime::ContainerStatus> status = co_await rt.inspect(id);
      if (status && r.id == id) {
        r.ports = status->ports;
      }
    }
    co_return ok();
  }

  void markReady(Resource& r) {
    r.readyAt = clock.system();
    if (r.launchedAt) {
      r.timeToReady = clock.steady() - *r.launchedAt;
    }
  }

  // After a launch owned by someone else (busy) ends: act on an exit that happened meanwhile.
  void afterReady(std::size_t i) {
    Resource& r = res[i];
    if (r.supervised && exitedNow(i)) {
      onExit(i, r.lastDie->second);
    }
  }

  // --- boot ----------------------------------------------------------------------------------

  static bool satisfies(const Resource& dep, DependencyCondition c) {
    if (c == DependencyCondition::Completed) {
      return dep.status == ResourceStatus::Completed;
    }
    return dep.status == ResourceStatus::Running || dep.status == ResourceStatus::Completed;
  }

  static bool hopeless(const Resource& dep) {
    return dep.status == ResourceStatus::Failed || dep.status == ResourceStatus::Exited ||
           dep.status == ResourceStatus::Stopped;
  }

  asio::awaitable<Result<void>> bootResource(std::size_t i) {
    for (const Dependency& d : node(i).dependencies) {
      const std::size_t j = *plan.indexOf(d.name);
      for (;;) {
        if (satisfies(res[j], d.condition)) {
          break;
        }
        if (hopeless(res[j])) {
          co_return Error(Errc::FailedPrecondition, "dependency " + quote(d.name) + " is " +
                                                        std::string(statusName(res[j].status)))
              .withReason("dependency_failed");
        }
        if (bootAborting || co_await ls::detail::cancelled()) {
          co_return Error(Errc::Cancelled, "operation cancelled");
        }
        Result<void> woke = co_await changed.wait();
        if (!woke) {
          co_return woke;
        }
      }
    }
    Result<void> launched = co_await launch(i);
    co_return launched;
  }

  asio::awaitable<void> bootOne(std::size_t i) {
    co_await asio::this_coro::throw_if_cancelled(false);
    Result<void> booted = co_await bootResource(i);
    if (booted) {
      afterReady(i);
      co_return;
    }
    if (bootAborting) {
      co_return;  // cancelled because another resource failed, or by the user
    }
    onBootFailure(i, booted.error());
  }

  void onBootFailure(std::size_t i, const Error& cause) {
    const std::string& name = node(i).name;
    Error error = redact(cause);
    error.context("starting resource " + quote(name));
    fail(i, error.what());
    for (const std::string& dependent : plan.transitiveDependentsOf(name)) {
      const std::size_t j = *plan.indexOf(dependent);
      if (res[j].selected && res[j].status != ResourceStatus::Failed) {
        fail(j, "dependency " + quote(name) + " failed");
      }
    }
    bootError = std::move(error);
    abortBoot();
  }

  void abortBoot() {
    bootAborting = true;
    boot.cancelAll();
    changed.notifyAll();
  }

  asio::awaitable<Result<void>> startStack(std::vector<std::string> selection) {
    if (phase != Phase::Idle) {
      co_return Error(Errc::FailedPrecondition, "the stack was already started");
    }
    std::vector<std::string> names;
    if (selection.empty()) {
      for (const PlanNode& n : plan.nodes()) {
        names.push_back(n.name);
      }
    } else {
      Result<std::vector<std::string>> closure = plan.closureOf(selection);
      if (!closure) {
        co_return std::move(closure).error();
      }
      names = std::move(closure).value();
    }
    ex = co_await asio::this_coro::executor;
    for (const std::string& name : names) {
      res[*plan.indexOf(name)].selected = true;
    }
    phase = Phase::Booting;
    stackStartedAt = clock.system();
    emit(Kind::StackStarting, std::nullopt);

    // Subscribed before any container exists, so no exit is missed.
    runtime::EventFilter filter;
    filter.project = plan.project();
    Result<std::unique_ptr<runtime::EventStream>> stream = co_await rt.events(filter);
    if (!stream) {
      Error error = redact(stream.error());
      error.context("subscribing to the engine's events of project " + quote(plan.project()));
      phase = Phase::Failed;
      emit(Kind::StackFailed, std::nullopt, error.what());
      changed.notifyAll();
      co_return error;
    }
    events = std::move(stream).value();
    supervision.spawn(*ex, pump());

    for (std::size_t i = 0; i < res.size(); ++i) {
      if (res[i].selected) {
        boot.spawn(*ex, bootOne(i));
      }
    }
    Result<void> waited = co_await boot.waitEmpty();
    bool cancelledByCaller = false;
    if (!waited) {
      // Our caller was cancelled (Ctrl+C during boot): cancel the boot, then roll back.
      co_await asio::this_coro::reset_cancellation_state();
      cancelledByCaller = true;
      abortBoot();
      while (!boot.empty()) {
        (void)co_await boot.waitEmpty();
      }
    }
    if (boot.firstException() && !bootError) {
      bootError = Error(Errc::Internal, "a boot coroutine ended with an exception");
    }

    if (stopRequested) {
      // stop()/kill() interrupted the boot and performs the shutdown itself.
      phase = Phase::Failed;
      emit(Kind::StackFailed, std::nullopt, "start interrupted by a shutdown");
      changed.notifyAll();
      co_return Error(Errc::Cancelled, "starting the stack was interrupted by a shutdown");
    }
    if (cancelledByCaller || bootError) {
      Error error = cancelledByCaller ? Error(Errc::Cancelled, "starting the stack was cancelled")
                                      : *bootError;
      emit(Kind::StackFailed, std::nullopt, error.what());
      if (cancelledByCaller || !options.keepOnFailure) {
        shutdownRunning = true;
        (void)co_await shutdownAll();
        shutdownRunning = false;
      } else {
        // Kept for inspection: supervision stays off, `stop` cleans up.
        supervision.cancelAll();
      }
      phase = Phase::Failed;
      changed.notifyAll();
      co_return error;
    }
    phase = Phase::Running;
    stackReadyAt = clock.system();
    emit(Kind::StackReady, std::nullopt);
    changed.notifyAll();
    co_return ok();
  }

  // --- supervision ---------------------------------------------------------------------------

  asio::awaitable<void> pump() {
    co_await asio::this_coro::throw_if_cancelled(false);
    for (;;) {
      if (!events) {
        co_return;
      }
      Result<runtime::RuntimeEvent> ev = co_await events->next();
      if (supervisionStopping || co_await ls::detail::cancelled()) {
        co_return;
      }
      if (ev) {
        if (ev->kind == runtime::RuntimeEvent::Kind::Reconnected) {
          co_await reconcile();
        } else {
          onRuntimeEvent(*ev);
        }
        continue;
      }
      if (ev.error().code() == Errc::Cancelled) {
        co_return;
      }
      // The stream broke for good: subscribe again, then reconcile what was missed.
      Result<void> slept = co_await clock.sleepFor(options.resubscribeDelay);
      if (!slept || supervisionStopping) {
        co_return;
      }
      runtime::EventFilter filter;
      filter.project = plan.project();
      Result<std::unique_ptr<runtime::EventStream>> stream = co_await rt.events(filter);
      if (stream) {
        events = std::move(stream).value();
        co_await reconcile();
      }
    }
  }

  void onRuntimeEvent(const runtime::RuntimeEvent& ev) {
    using RK = runtime::RuntimeEvent::Kind;
    std::optional<std::size_t> found = indexOfResource(ev.resource);
    if (!found || !res[*found].selected) {
      return;
    }
    const std::size_t i = *found;
    Resource& r = res[i];
    if (ev.kind == RK::Die) {
      r.lastDie = std::make_pair(ev.id, ev.exitCode.value_or(-1));
      changed.notifyAll();
    }
    const bool current = r.id && *r.id == ev.id;
    if (!current) {
      return;
    }
    if (r.busy) {
      // A pending policy restart still learns that the container was stopped or removed.
      if (r.restartPending && ev.kind == RK::Stop) {
        r.stoppedOutside = true;
      } else if (r.restartPending && ev.kind == RK::Destroy) {
        r.removedOutside = true;
        r.id.reset();
      }
      return;
    }
    switch (ev.kind) {
      case RK::Die:
        if (r.supervised) {
          onExit(i, ev.exitCode.value_or(-1));
        }
        break;
      case RK::HealthStatus:
        if (r.supervised && ev.health == "healthy" && r.health != Health::Healthy) {
          r.health = Health::Healthy;
          emit(Kind::ResourceHealthy, i);
        } else if (r.supervised && ev.health == "unhealthy" && r.health != Health::Unhealthy) {
          r.health = Health::Unhealthy;
          emit(Kind::ResourceUnhealthy, i, "healthcheck failing");
        }
        changed.notifyAll();
        break;
      case RK::Stop:
        r.stoppedOutside = true;
        if (r.status == ResourceStatus::Exited || r.status == ResourceStatus::Completed) {
          r.status = ResourceStatus::Stopped;
          emit(Kind::ResourceStopped, i, "stopped outside lightshuttle");
          changed.notifyAll();
        }
        break;
      case RK::Destroy:
        onRemovedOutside(i);
        break;
      default:
        break;
    }
  }

  // The current container of a supervised resource exited with `code`.
  void onExit(std::size_t i, int code) {
    Resource& r = res[i];
    const PlanNode& n = node(i);
    r.exitCode = code;
    r.supervised = false;
    if (r.startedAt && clock.system() - *r.startedAt >= options.backoff.resetAfter) {
      r.backoffStep = 0;  // it ran long enough: this crash is not part of a crash loop
    }
    RestartDecision decision =
        decideRestart(n.spec.restart, code, r.restarts, r.backoffStep, rng, options.backoff);
    if (std::holds_alternative<GiveUp>(decision)) {
      if (code == 0) {
        r.status = ResourceStatus::Completed;
        emit(Kind::ResourceCompleted, i, "exited with code 0", 0);
      } else if (n.spec.restart.mode == runtime::RestartPolicy::Mode::No) {
        r.status = ResourceStatus::Exited;
        emit(Kind::ResourceExited, i, "exited with code " + std::to_string(code), code);
      } else {
        emit(Kind::ResourceExited, i, "exited with code " + std::to_string(code), code);
        fail(i, "exited with code " + std::to_string(code) + "; gave up after " +
                    std::to_string(r.restarts) + " restarts");
      }
      changed.notifyAll();
      return;
    }
    emit(Kind::ResourceExited, i, "exited with code " + std::to_string(code), code);
    scheduleRestart(i, std::get<Restart>(decision).delay);
  }

  void onRemovedOutside(std::size_t i) {
    Resource& r = res[i];
    r.removedOutside = true;
    r.id.reset();
    r.ports.clear();
    if (r.status == ResourceStatus::Restarting) {
      return;  // the pending restart decides
    }
    r.supervised = false;
    emit(Kind::ResourceStopped, i, "removed outside lightshuttle");
    if (node(i).spec.restart.mode == runtime::RestartPolicy::Mode::Always) {
      RestartDecision decision =
          decideRestart(node(i).spec.restart, 0, r.restarts, r.backoffStep, rng, options.backoff);
      scheduleRestart(i, std::get<Restart>(decision).delay);
      return;
    }
    r.status = ResourceStatus::Stopped;
    changed.notifyAll();
  }

  void scheduleRestart(std::size_t i, std::chrono::nanoseconds delay) {
    Resource& r = res[i];
    r.status = ResourceStatus::Restarting;
    r.busy = true;
    r.restartPending = true;
    emitRestarting(i, delay, "restarting in " + formatSeconds(delay));
    changed.notifyAll();
    supervision.spawn(*ex, restartAfter(i, delay));
  }

  asio::awaitable<void> restartAfter(std::size_t i, std::chrono::nanoseconds delay) {
    co_await asio::this_coro::throw_if_cancelled(false);
    Resource& r = res[i];
    const runtime::RestartPolicy& policy = node(i).spec.restart;
    for (;;) {
      r.restartPending = true;
      Result<void> slept = co_await clock.sleepFor(delay);
      r.restartPending = false;
      if (!slept || supervisionStopping || co_await ls::detail::cancelled()) {
        r.busy = false;
        co_return;
      }
      if ((r.stoppedOutside || r.removedOutside) &&
          policy.mode != runtime::RestartPolicy::Mode::Always) {
        r.busy = false;
        r.status = ResourceStatus::Stopped;
        emit(Kind::ResourceStopped, i,
             std::string(r.removedOutside ? "removed" : "stopped") +
                 " outside lightshuttle; not restarted (restart: " +
                 (policy.mode == runtime::RestartPolicy::Mode::No ? "no" : "on-failure") + ")");
        changed.notifyAll();
        co_return;
      }
      ++r.restarts;
      ++r.backoffStep;
      Result<void> launched = co_await launch(i, /*replacing=*/true);
      if (launched) {
        r.busy = false;
        afterReady(i);
        co_return;
      }
      if (launched.error().code() == Errc::Cancelled || supervisionStopping ||
          co_await ls::detail::cancelled()) {
        r.busy = false;
        co_return;
      }
      Error error = redact(launched.error());
      r.lastError = error.what();
      RestartDecision decision =
          decideRestart(policy, kRestartFailureExitCode, r.restarts, r.backoffStep, rng, options.backoff);
      if (std::holds_alternative<GiveUp>(decision)) {
        r.busy = false;
        fail(i, "restarting failed: " + error.what());
        co_return;
      }
      delay = std::get<Restart>(decision).delay;
      r.status = ResourceStatus::Restarting;
      emitRestarting(i, delay, "restart failed: " + error.what());
    }
  }

  // After the event stream reconnected: events may have been lost, so compare with the engine.
  asio::awaitable<void> reconcile() {
    Result<std::vector<runtime::ManagedContainer>> listed = co_await rt.listManaged(plan.project());
    if (!listed) {
      co_return;  // the next Reconnected tries again
    }
    for (std::size_t i = 0; i < res.size(); ++i) {
      Resource& r = res[i];
      if (!r.selected || r.busy || !r.supervised || !r.id) {
        continue;
      }
      const runtime::ManagedContainer* found = nullptr;
      for (const runtime::ManagedContainer& c : *listed) {
        if (c.id == *r.id) {
          found = &c;
        }
      }
      if (found == nullptr) {
        onRemovedOutside(i);
        continue;
      }
      using CS = runtime::ContainerState;
      if (found->status.state == CS::Stopped) {
        const int code = found->status.exitCode.value_or(-1);
        r.lastDie = std::make_pair(*r.id, code);
        onExit(i, code);
      } else if (found->status.state == CS::Healthy && r.health != Health::Healthy &&
                 r.health != Health::None) {
        r.health = Health::Healthy;
        emit(Kind::ResourceHealthy, i);
      } else if (found->status.state == CS::Unhealthy && r.health != Health::Unhealthy) {
        r.health = Health::Unhealthy;
        emit(Kind::ResourceUnhealthy, i, "healthcheck failing");
      }
    }
    changed.notifyAll();
  }

  // --- shutdown ------------------------------------------------------------------------------

  void recordError(Error error) { passErrors.push_back(redact(error)); }

  // Stops (then removes) resource `i`; in an ordered pass, only once its dependents are down.
  asio::awaitable<void> stopNode(std::size_t i, bool ordered, bool immediate) {
    co_await asio::this_coro::throw_if_cancelled(false);
    const PlanNode& n = node(i);
    Resource& r = res[i];
    const bool hadContainer = r.id.has_value();
    if (ordered) {
      for (const std::string& dependent : plan.dependentsOf(n.name)) {
        const std::size_t j = *plan.indexOf(dependent);
        while (!res[j].down) {
          if (killRequested || co_await ls::detail::cancelled()) {
            co_return;
          }
          Result<void> woke = co_await changed.wait();
          if (!woke) {
            co_return;
          }
        }
      }
    }
    if (r.id) {
      const runtime::ContainerId id = *r.id;
      const bool now = immediate || killRequested;
      const std::chrono::nanoseconds grace =
          now ? std::chrono::nanoseconds::zero() : n.spec.stopGracePeriod;
      Result<runtime::StopOutcome> stopped = co_await rt.stop(id, grace);
      if (!stopped && stopped.error().code() == Errc::Cancelled) {
        co_return;  // kill() took over
      }
      if (!stopped && stopped.error().code() != Errc::NotFound) {
        recordError(std::move(stopped).error().context("stopping resource " + quote(n.name)));
      }
    }
    r.down = true;
    changed.notifyAll();
    Result<runtime::RemoveOutcome> removed = co_await rt.remove(n.spec.name);
    if (!removed) {
      if (removed.error().code() != Errc::Cancelled) {
        recordError(std::move(removed).error().context("removing resource " + quote(n.name)));
      }
      co_return;
    }
    r.id.reset();
    r.ports.clear();
    r.attempted = false;
    r.supervised = false;
    if (r.status != ResourceStatus::Failed) {
      r.status = ResourceStatus::Stopped;
    }
    if (hadContainer) {
      emit(Kind::ResourceStopped, i);
    }
    changed.notifyAll();
  }

  // Once every container of the pass is stopped, removes the project network while the
  // containers are still being removed: the engine releases a container's endpoint when it
  // stops, and the network removal (bridge and firewall rules, ~0.2 s on Engine 20.10) is the
  // slowest step of a teardown. Errors are left to the sweep, which tries again.
  asio::awaitable<void> removeNetworkEarly() {
    co_await asio::this_coro::throw_if_cancelled(false);
    for (;;) {
      if (killRequested || co_await ls::detail::cancelled()) {
        co_return;
      }
      bool allDown = true;
      for (const Resource& r : res) {
        allDown = allDown && r.down;
      }
      if (allDown) {
        break;
      }
      if (Result<void> woke = co_await changed.wait(); !woke) {
        co_return;
      }
    }
    Result<runtime::RemoveOutcome> removed = co_await rt.teardownProjectNetwork(plan.project());
    networkGone = removed.has_value();
  }

  // One pass over every resource that may have a container; with `network`, the project
  // network goes as soon as all of them are stopped.
  asio::awaitable<void> stopPass(bool immediate, bool network) {
    networkGone = false;
    for (std::size_t i = 0; i < res.size(); ++i) {
      res[i].down = !res[i].attempted;
    }
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (res[i].attempted) {
        stops.spawn(*ex, stopNode(i, !immediate, immediate));
      }
    }
    if (network && !immediate) {
      stops.spawn(*ex, removeNetworkEarly());
    }
    while (!stops.empty()) {
      (void)co_await stops.waitEmpty();
    }
  }

  // Removes whatever is still labelled with the project, then the network.
  asio::awaitable<void> sweep() {
    const std::string project = plan.project();
    Result<std::vector<runtime::ManagedContainer>> left = co_await rt.listManaged(project);
    if (!left) {
      recordError(std::move(left).error().context("listing containers of project " +
                                                  quote(project)));
    } else {
      for (const runtime::ManagedContainer& c : *left) {
        Result<runtime::RemoveOutcome> removed = co_await rt.remove(c.name);
        if (!removed) {
          recordError(std::move(removed).error().context("removing container " + quote(c.name)));
        }
      }
    }
    if (networkGone && left && left->empty()) {
      co_return;  // removed early by the stop pass
    }
    Result<runtime::RemoveOutcome> network = co_await rt.teardownProjectNetwork(project);
    if (!network) {
      recordError(std::move(network).error().context("removing the network of project " +
                                                     quote(project)));
    }
  }

  asio::awaitable<Result<void>> shutdownAll() {
    co_await asio::this_coro::reset_cancellation_state();
    emit(Kind::StackStopping, std::nullopt);
    supervisionStopping = true;
    supervision.cancelAll();
    changed.notifyAll();
    if (events) {
      events->close();
    }
    while (!supervision.empty()) {
      (void)co_await supervision.waitEmpty();
    }
    events.reset();
    for (Resource& r : res) {
      r.busy = false;
      r.supervised = false;
    }
    if (plan.size() == 0) {
      emit(Kind::StackStopped, std::nullopt);
      co_return ok();
    }
    const int passes = std::max(options.shutdownPasses, 1);
    for (int pass = 0; pass < passes; ++pass) {
      passErrors.clear();
      const bool immediate = killRequested;
      co_await stopPass(immediate, /*network=*/true);
      if (killRequested && !immediate) {
        co_await stopPass(true, /*network=*/false);  // kill() arrived during the graceful pass
      }
      co_await sweep();
      if (passErrors.empty()) {
        break;
      }
    }
    emit(Kind::StackStopped, std::nullopt);
    changed.notifyAll();
    if (!passErrors.empty()) {
      Error first = passErrors.front();
      first.context("stopping the stack");
      co_return first;
    }
    co_return ok();
  }

  asio::awaitable<Result<void>> stopStack() {
    if (phase == Phase::Idle) {
      phase = Phase::Stopped;
      co_return ok();
    }
    if (shutdownRunning) {
      while (shutdownRunning) {
        Result<void> woke = co_await changed.wait();
        if (!woke) {
          co_return woke;
        }
      }
      if (shutdownError) {
        co_return *shutdownError;
      }
      co_return ok();
    }
    if (phase == Phase::Stopped) {
      co_return ok();
    }
    shutdownRunning = true;
    if (phase == Phase::Booting) {
      stopRequested = true;
      abortBoot();
      while (phase == Phase::Booting) {
        (void)co_await changed.wait();
      }
    }
    phase = Phase::Stopping;
    Result<void> done = co_await shutdownAll();
    shutdownError = done ? std::nullopt : std::optional<Error>(done.error());
    phase = Phase::Stopped;
    shutdownRunning = false;
    changed.notifyAll();
    co_return done;
  }

  asio::awaitable<Result<void>> killStack() {
    killRequested = true;
    stops.cancelAll();
    changed.notifyAll();
    Result<void> done = co_await stopStack();
    co_return done;
  }

  // --- handle operations ---------------------------------------------------------------------

  Result<std::size_t> lookup(std::string_view name) const {
    std::optional<std::size_t> i = plan.indexOf(name);
    if (!i) {
      return Error(Errc::NotFound, "unknown resource " + quote(name));
    }
    return *i;
  }

  Result<void> checkRunning() const {
    if (phase != Phase::Running || !ex) {
      return Error(Errc::FailedPrecondition, "the stack is not running");
    }
    return ok();
  }

  // Resources a restart of `i` recreates: `i`, then dependents of marked resources, in order.
  std::vector<std::size_t> restartSet(std::size_t i) const {
    std::set<std::string, std::less<>> chosen{node(i).name};
    for (const PlanNode& n : plan.nodes()) {
      for (const Dependency& d : n.dependencies) {
        const PlanNode* dep = plan.find(d.name);
        const bool selected = res[*plan.indexOf(n.name)].selected;
        if (chosen.contains(d.name) && dep->restartDependents && selected) {
          chosen.insert(n.name);
          break;
        }
      }
    }
    std::vector<std::size_t> out;
    for (std::size_t j = 0; j < plan.size(); ++j) {
      if (chosen.contains(node(j).name)) {
        out.push_back(j);
      }
    }
    return out;
  }

  // Stops and removes resource `i` for a restart or a stop(name).
  asio::awaitable<Result<void>> takeDown(std::size_t i) {
    const PlanNode& n = node(i);
    Resource& r = res[i];
    r.supervised = false;
    if (r.id) {
      const runtime::ContainerId id = *r.id;
      Result<runtime::StopOutcome> stopped = co_await rt.stop(id, n.spec.stopGracePeriod);
      if (!stopped && stopped.error().code() != Errc::NotFound) {
        co_return std::move(stopped).error().context("stopping resource " + quote(n.name));
      }
    }
    Result<runtime::RemoveOutcome> removed = co_await rt.remove(n.spec.name);
    if (!removed) {
      co_return std::move(removed).error().context("removing resource " + quote(n.name));
    }
    r.id.reset();
    r.ports.clear();
    r.attempted = false;
    r.status = ResourceStatus::Stopped;
    emit(Kind::ResourceStopped, i);
    changed.notifyAll();
    co_return ok();
  }

  Result<void> checkDependenciesReady(std::size_t i) const {
    for (const Dependency& d : node(i).dependencies) {
      if (!satisfies(res[*plan.indexOf(d.name)], d.condition)) {
        return Error(Errc::FailedPrecondition,
                     "dependency " + quote(d.name) + " of " + quote(node(i).name) + " is not " +
                         std::string(conditionName(d.condition)));
      }
    }
    return ok();
  }

  asio::awaitable<Result<void>> restartBody(std::vector<std::size_t> set) {
    for (auto it = set.rbegin(); it != set.rend(); ++it) {
      Result<void> down = co_await takeDown(*it);
      if (!down) {
        co_return redact(down.error());
      }
    }
    for (std::size_t j : set) {
      Result<void> deps = checkDependenciesReady(j);
      if (!deps) {
        fail(j, deps.error().what());
        co_return deps;
      }
      Result<void> launched = co_await launch(j);
      if (!launched) {
        Error error = redact(launched.error());
        error.context("restarting resource " + quote(node(j).name));
        if (error.code() != Errc::Cancelled) {
          fail(j, error.what());
        }
        co_return error;
      }
    }
    co_return ok();
  }

  // Runs `body` in the supervision group (so a shutdown cancels it) and waits for its result.
  asio::awaitable<Result<void>> runOwned(std::vector<std::size_t> owned, std::string operation,
                                         asio::awaitable<Result<void>> body) {
    for (std::size_t j : owned) {
      res[j].busy = true;
      res[j].operation = operation;
    }
    changed.notifyAll();
    auto result = std::make_shared<std::optional<Result<void>>>();
    TaskGroup::Id id = supervision.spawn(*ex, runInto(std::move(body), result));
    while (supervision.contains(id)) {
      Result<void> woke = co_await supervision.waitFor(id);
      if (!woke) {
        co_await asio::this_coro::reset_cancellation_state();
        supervision.cancel(id);
      }
    }
    for (std::size_t j : owned) {
      res[j].busy = false;
      res[j].operation.reset();
    }
    changed.notifyAll();
    for (std::size_t j : owned) {
      afterReady(j);
    }
    if (!*result) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    co_return std::move(**result);
  }

  static asio::awaitable<void> runInto(asio::awaitable<Result<void>> body,
                                       std::shared_ptr<std::optional<Result<void>>> out) {
    co_await asio::this_coro::throw_if_cancelled(false);
    Result<void> r = co_await std::move(body);
    out->emplace(std::move(r));
  }

  asio::awaitable<Result<void>> restartResource(std::string name) {
    Result<std::size_t> found = lookup(name);
    if (!found) {
      co_return std::move(found).error();
    }
    LS_CO_TRY(checkRunning());
    std::vector<std::size_t> set = restartSet(*found);
    for (std::size_t j : set) {
      if (res[j].busy) {
        co_return Error(Errc::Conflict, "resource " + quote(node(j).name) +
                                            " is already restarting or being changed");
      }
    }
    for (std::size_t j : set) {
      emitRestarting(j, std::chrono::nanoseconds::zero(), "restart requested");
    }
    auto body = restartBody(set);
    Result<void> done = co_await runOwned(set, "restart", std::move(body));
    co_return done;
  }

  asio::awaitable<Result<void>> startBody(std::size_t i) {
    Result<void> deps = checkDependenciesReady(i);
    if (!deps) {
      co_return deps;
    }
    Result<void> launched = co_await launch(i);
    if (!launched) {
      Error error = redact(launched.error());
      error.context("starting resource " + quote(node(i).name));
      if (error.code() != Errc::Cancelled) {
        fail(i, error.what());
      }
      co_return error;
    }
    co_return ok();
  }

  asio::awaitable<Result<void>> startResource(std::string name) {
    Result<std::size_t> found = lookup(name);
    if (!found) {
      co_return std::move(found).error();
    }
    LS_CO_TRY(checkRunning());
    const std::size_t i = *found;
    if (res[i].busy) {
      co_return Error(Errc::Conflict, "resource " + quote(name) + " is being changed");
    }
    if (res[i].status == ResourceStatus::Running || res[i].status == ResourceStatus::Starting) {
      co_return ok();
    }
    res[i].selected = true;
    auto body = startBody(i);
    std::vector<std::size_t> owned{i};
    Result<void> done = co_await runOwned(owned, "start", std::move(body));
    co_return done;
  }

  asio::awaitable<Result<void>> stopResource(std::string name) {
    Result<std::size_t> found = lookup(name);
    if (!found) {
      co_return std::move(found).error();
    }
    LS_CO_TRY(checkRunning());
    const std::size_t i = *found;
    if (res[i].busy) {
      co_return Error(Errc::Conflict, "resource " + quote(name) + " is being changed");
    }
    if (res[i].status == ResourceStatus::Stopped && !res[i].attempted) {
      co_return ok();
    }
    auto body = takeDown(i);
    std::vector<std::size_t> owned{i};
    Result<void> done = co_await runOwned(owned, "stop", std::move(body));
    co_return done;
  }

  ResourceView view(std::size_t i) const {
    const PlanNode& n = node(i);
    const Resource& r = res[i];
    ResourceView v;
    v.name = n.name;
    v.kind = n.kind;
    v.status = r.status;
    v.health = r.health;
    v.image = imageOf(n.spec);
    v.containerId = r.id ? r.id->value : std::string();
    v.containerName = n.spec.name;
    v.ports = r.ports;
    for (const Dependency& d : n.dependencies) {
      v.dependsOn.push_back(d.name);
    }
    v.startedAt = r.startedAt;
    v.readyAt = r.readyAt;
    v.timeToReady = r.timeToReady;
    v.restarts = r.restarts;
    v.lastError = r.lastError;
    v.exitCode = r.exitCode;
    v.operation = r.operation;
    return v;
  }

  StackView stackView() const {
    StackView s;
    s.project = plan.project();
    s.startedAt = stackStartedAt;
    s.readyAt = stackReadyAt;
    s.resources = plan.size();
    bool degraded = false;
    for (const Resource& r : res) {
      const bool ready = (r.status == ResourceStatus::Running && r.health != Health::Unhealthy) ||
                         r.status == ResourceStatus::Completed;
      s.resourcesReady += ready ? 1 : 0;
      degraded = degraded || (r.selected && !ready);
    }
    switch (phase) {
      case Phase::Idle:
      case Phase::Booting: s.status = StackStatus::Starting; break;
      case Phase::Running: s.status = degraded ? StackStatus::Degraded : StackStatus::Ready; break;
      case Phase::Failed: s.status = StackStatus::Failed; break;
      case Phase::Stopping: s.status = StackStatus::Stopping; break;
      case Phase::Stopped: s.status = StackStatus::Stopped; break;
    }
    return s;
  }

  ResourceDetail detailOf(std::size_t i) const {
    const PlanNode& n = node(i);
    ResourceDetail d;
    d.view = view(i);
    for (const auto& [key, value] : n.spec.env) {
      const bool secret = n.spec.secretEnvKeys.contains(key) || looksSecret(key);
      d.env.emplace_back(key, secret ? std::string("***") : redact(value));
    }
    d.healthcheck = n.spec.healthcheck;
    if (d.healthcheck) {
      for (std::string& part : d.healthcheck->test) {
        part = redact(std::move(part));
      }
    }
    switch (n.spec.restart.mode) {
      case runtime::RestartPolicy::Mode::No: d.restartPolicy = "no"; break;
      case runtime::RestartPolicy::Mode::Always: d.restartPolicy = "always"; break;
      case runtime::RestartPolicy::Mode::OnFailure:
        d.restartPolicy = n.spec.restart.maxRetries
                              ? "on-failure:" + std::to_string(*n.spec.restart.maxRetries)
                              : std::string("on-failure");
        break;
    }
    for (const auto* part : {&n.spec.entrypoint, &n.spec.command}) {
      if (*part) {
        for (const std::string& arg : **part) {
          d.command.push_back(redact(arg));
        }
      }
    }
    for (const runtime::VolumeBinding& vb : n.spec.volumes) {
      std::string text = vb.kind == runtime::VolumeBinding::Kind::Anonymous
                             ? vb.target
                             : vb.source + ":" + vb.target;
      d.volumes.push_back(vb.readOnly ? text + ":ro" : text);
    }
    return d;
  }

  /// Env keys whose values are secrets by name, whatever the manifest declared.
  static bool looksSecret(std::string_view key) {
    std::string upper(key);
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (std::string_view marker : {"PASSWORD", "PASSWD", "SECRET", "TOKEN", "_KEY", "CREDENTIAL"}) {
      if (upper.find(marker) != std::string::npos) {
        return true;
      }
    }
    return upper == "KEY";
  }

  Result<runtime::ContainerId> runningContainer(std::string_view name) const {
    LS_ASSIGN_OR_RETURN(std::size_t i, lookup(name));
    if (!res[i].id) {
      return Error(Errc::FailedPrecondition, "resource " + quote(name) + " has no container");
    }
    return *res[i].id;
  }

  // A handle operation's failure that no other event reports (a precondition, a conflict, a
  // failed stop) reaches observers as OperationFailed; launch failures also emit ResourceFailed.
  void reportOperation(std::string_view op, std::string_view name, const Result<void>& r) {
    if (r || r.error().code() == Errc::Cancelled) {
      return;
    }
    std::optional<std::size_t> i = plan.indexOf(name);
    LifecycleEvent ev;
    ev.kind = Kind::OperationFailed;
    ev.time = clock.system();
    ev.resource = std::string(name);
    ev.message = std::string(op) + " failed: " + redact(r.error().what());
    if (i) {
      ev.restarts = res[*i].restarts;
    }
    bus.publish(ev);
  }
};

LifecycleManager::LifecycleManager(runtime::Runtime& runtime, Clock& clock, Rng& rng, Plan plan,
                                   Options options)
    : impl_(std::make_unique<Impl>(runtime, clock, rng, std::move(plan), std::move(options))) {}

LifecycleManager::~LifecycleManager() = default;

asio::awaitable<Result<void>> LifecycleManager::start(std::vector<std::string> selection) {
  Result<void> done = co_await impl_->startStack(std::move(selection));
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::start() {
  std::vector<std::string> all;
  Result<void> done = co_await impl_->startStack(std::move(all));
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::stop() {
  Result<void> done = co_await impl_->stopStack();
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::kill() {
  Result<void> done = co_await impl_->killStack();
  co_return done;
}

const Plan& LifecycleManager::plan() const { return impl_->plan; }

std::vector<ResourceView> LifecycleManager::list() const {
  std::vector<ResourceView> out;
  for (std::size_t i = 0; i < impl_->res.size(); ++i) {
    out.push_back(impl_->view(i));
  }
  return out;
}

Result<ResourceView> LifecycleManager::get(std::string_view name) const {
  Result<std::size_t> i = impl_->lookup(name);
  if (!i) {
    return std::move(i).error();
  }
  return impl_->view(*i);
}

asio::awaitable<Result<void>> LifecycleManager::restart(std::string name) {
  Result<void> done = co_await impl_->restartResource(name);
  impl_->reportOperation("restart", name, done);
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::start(std::string name) {
  Result<void> done = co_await impl_->startResource(name);
  impl_->reportOperation("start", name, done);
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::stop(std::string name) {
  Result<void> done = co_await impl_->stopResource(name);
  impl_->reportOperation("stop", name, done);
  co_return done;
}

StackView LifecycleManager::stack() const { return impl_->stackView(); }

Result<ResourceDetail> LifecycleManager::detail(std::string_view name) const {
  LS_ASSIGN_OR_RETURN(std::size_t i, impl_->lookup(name));
  return impl_->detailOf(i);
}

asio::awaitable<Result<runtime::StatsSample>> LifecycleManager::statsSample(std::string name) {
  Result<runtime::ContainerId> id = impl_->runningContainer(name);
  if (!id) {
    co_return std::move(id).error();
  }
  Result<runtime::StatsSample> sample = co_await impl_->rt.stats(*id);
  co_return sample;
}

asio::awaitable<Result<std::unique_ptr<runtime::StatsStream>>> LifecycleManager::stats(
    std::string name) {
  Result<runtime::ContainerId> id = impl_->runningContainer(name);
  if (!id) {
    co_return std::move(id).error();
  }
  Result<std::unique_ptr<runtime::StatsStream>> stream = co_await impl_->rt.statsStream(*id);
  co_return stream;
}

asio::awaitable<Result<std::unique_ptr<runtime::ExecSession>>> LifecycleManager::execInteractive(
    std::string name, runtime::InteractiveExecRequest request) {
  Result<std::size_t> i = impl_->lookup(name);
  if (!i) {
    co_return std::move(i).error();
  }
  const Resource& r = impl_->res[*i];
  if (!r.id || (r.status != ResourceStatus::Running && r.status != ResourceStatus::Starting)) {
    co_return Error(Errc::FailedPrecondition, "resource " + quote(name) + " is not running");
  }
  Result<std::unique_ptr<runtime::ExecSession>> session =
      co_await impl_->rt.execInteractive(*r.id, std::move(request));
  co_return session;
}

asio::awaitable<Result<std::unique_ptr<runtime::LogChunkStream>>> LifecycleManager::logs(
    std::string name, runtime::LogOptions options) {
  Result<std::size_t> i = impl_->lookup(name);
  if (!i) {
    co_return std::move(i).error();
  }
  const std::optional<runtime::ContainerId> id = impl_->res[*i].id;
  if (!id) {
    co_return Error(Errc::FailedPrecondition, "resource " + quote(name) + " has no container");
  }
  Result<std::unique_ptr<runtime::LogChunkStream>> stream =
      co_await impl_->rt.logs(*id, options);
  co_return stream;
}

EventSubscriptionPtr LifecycleManager::subscribe() { return impl_->bus.subscribe(); }

}  // namespace ls::lifecycle
