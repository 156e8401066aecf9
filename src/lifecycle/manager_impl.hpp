// The lifecycle manager's private state and the declarations of its work, split by concern:
// redact.cpp (views, events, redaction), launch.cpp (one container up), probe.cpp (readiness),
// boot.cpp, supervise.cpp, shutdown.cpp, operations.cpp (restart/start/stop of one resource),
// health_watch.cpp (our probe when the engine's healthchecks never run).
// Private to ls_lifecycle.
#pragma once

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <utility>
#include <variant>

#include "core/async.hpp"
#include "lightshuttle/core/text.hpp"
#include "lightshuttle/lifecycle/manager.hpp"

namespace ls::lifecycle {

namespace asio = boost::asio;

using Kind = LifecycleEvent::Kind;
using ls::detail::TaskGroup;

constexpr std::size_t kFailureLogLines = 10;
constexpr int kRestartFailureExitCode = 1;
constexpr std::size_t kMinSecretLength = 3;
// How long a first probe defers to creates and starts still in flight (see fastProbe).
constexpr std::chrono::nanoseconds kProbeDeferMax = std::chrono::seconds(2);
// The pacing of native checks: a refused connect costs next to nothing, so a starting server is
// seen ready within ~25 ms of it (an exec probe's 200 ms cap exists for its cost).
constexpr ProbeBackoff kNativeProbeBackoff{.first = std::chrono::milliseconds(10),
                                           .max = std::chrono::seconds(1),
                                           .awaitedMax = std::chrono::milliseconds(50)};
// The engine's default probe timeout, for a healthcheck that leaves it unset.
constexpr std::chrono::nanoseconds kProbeDefaultTimeout = std::chrono::seconds(30);

inline std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

inline std::string imageOf(const runtime::ContainerSpec& spec) {
  if (const auto* pull = std::get_if<runtime::PullImage>(&spec.image)) {
    return pull->reference;
  }
  return std::get<runtime::BuildImage>(spec.image).tag;
}

inline std::string formatSeconds(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

// The exec request that runs a healthcheck's test like the engine does: ["CMD", args...] runs
// args, ["CMD-SHELL", "cmd"] runs /bin/sh -c cmd. nullopt when there is nothing to run (NONE,
// empty, or a form we do not know: the engine's health then decides alone).
inline std::optional<runtime::ExecRequest> probeRequest(const runtime::HealthcheckSpec& hc) {
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
  request.timeout =
      hc.timeout > std::chrono::nanoseconds::zero() ? hc.timeout : kProbeDefaultTimeout;
  return request;
}

enum class Phase { Idle, Booting, Running, Failed, Stopping, Stopped };

struct Resource {
  ResourceStatus status = ResourceStatus::Pending;
  Health health = Health::None;
  std::optional<runtime::ContainerId> id;
  std::vector<runtime::PortBinding> ports;
  std::optional<std::chrono::system_clock::time_point> startedAt;
  std::optional<Clock::SteadyTime> startedSteady;  // the same moment on the steady clock
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
  bool attempted = false;       // a container of its name may exist
  bool supervised = false;      // ready: the supervisor handles its exits
  bool busy = false;            // a restart/start/stop owns it: events are not acted upon
  bool restartPending = false;  // the supervisor waits out a backoff before recreating it
  bool stoppedOutside = false;
  bool removedOutside = false;
  bool down = false;    // shutdown: its container is stopped (or absent) in this pass
  std::string imageId;  // of the image last prepared for it
  // Boot: its image, prepared in parallel with its dependencies' boot (prepare.cpp).
  std::optional<Result<runtime::PreparedImage>> bootImage;
  // Engine outages (outage.cpp): it ran or was starting when the engine went away, and the
  // recovery brings it back (busy meanwhile); `owedRestart`: an application exit's restart
  // was pending, so the recovery's launch counts as that restart.
  bool victim = false;
  bool owedRestart = false;
};

struct LifecycleManager::Impl {
  Impl(runtime::Runtime& rt, Clock& clock, Rng& rng, Plan plan, Options options);

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
  TaskGroup boot;                // one coroutine per booting resource
  TaskGroup supervision;         // the event pump, restarts, handle operations
  TaskGroup stops;               // one coroutine per resource of a shutdown pass
  ls::detail::Notifier changed;  // any state change
  std::unique_ptr<runtime::EventStream> events;

  std::optional<std::chrono::system_clock::time_point> stackStartedAt;
  std::optional<std::chrono::system_clock::time_point> stackReadyAt;
  std::optional<Error> bootError;
  bool bootAborting = false;   // the boot tasks are being cancelled
  bool stopRequested = false;  // stop()/kill() owns the rollback of an interrupted boot
  bool killRequested = false;
  bool supervisionStopping = false;  // shutdown began: supervision must not start anything
  bool networkGone = false;          // the stop pass removed the project network
  std::size_t startsInFlight = 0;    // launches inside rt.start (first probes defer to them)
  std::size_t buildsInFlight = 0;    // prepare.cpp: bounded by buildBound
  std::size_t pullsInFlight = 0;     // prepare.cpp: bounded by pullBound
  std::size_t buildBound = 1;
  std::size_t pullBound = 1;
  ls::detail::Notifier prepareSlots;  // a build or pull slot was freed
  bool shutdownRunning = false;
  std::optional<Error> shutdownError;
  std::vector<Error> passErrors;
  /// Specs that replace a node's for its next launch only (recreateWithImage).
  std::map<std::size_t, runtime::ContainerSpec> specOverride;
  // Engine outages (outage.cpp).
  bool engineDown = false;
  std::optional<Clock::SteadyTime> outageSince;  // first outage not yet recovered from
  std::optional<std::chrono::system_clock::time_point> engineDownSince;
  std::optional<StackView::Watch> watch;  ///< from the published watch_started/stopped events
  std::size_t recoveriesInFlight = 0;
  bool recoveryRunning = false;
  std::size_t recoveredCount = 0;

  // --- helpers -------------------------------------------------------------------------------

  const PlanNode& node(std::size_t i) const { return plan.nodes()[i]; }

  std::string redact(std::string text) const;

  Error redact(const Error& e) const;

  void emit(Kind kind, std::optional<std::size_t> i, std::string message = {},
            std::optional<int> exitCode = std::nullopt);

  // Pull/build progress of one start, forwarded as ResourceProgress: every new step or status,
  // and byte counts at most every 250 ms, so a pull of many layers does not flood observers.
  struct ProgressThrottle {
    std::string lastStatus;
    std::optional<Clock::SteadyTime> lastAt;
  };

  void onImageProgress(std::size_t i, const runtime::ImageProgress& p, ProgressThrottle& t);

  void emitRestarting(std::size_t i, std::chrono::nanoseconds delay, std::string message);

  void setStatus(std::size_t i, ResourceStatus s);

  void fail(std::size_t i, const std::string& message);

  std::optional<std::size_t> indexOfResource(std::string_view name) const;

  // NOTE: besides the cancellation slot, every loop checks these flags: a cancellation emitted
  // before a spawned coroutine first runs does not reach it.
  bool launchAborted() const;

  bool exitedNow(std::size_t i) const;

  // The last lines of a container's output, for failure messages; empty when unavailable.
  asio::awaitable<std::string> lastLines(runtime::ContainerId id);

  // --- starting one resource -----------------------------------------------------------------

  // Waits until the one-shot resource `i` exits (its container `id`), within `timeout`.
  asio::awaitable<Result<void>> waitCompleted(std::size_t i, runtime::ContainerId id,
                                              std::chrono::nanoseconds timeout);

  // Waits for the next change or until `deadline`, whichever comes first; an error only when
  // the wait was cancelled.
  asio::awaitable<Result<void>> changeOrDeadline(Clock::SteadyTime deadline);

  // Our fast probe of a starting resource: runs the healthcheck's test via exec with a backoff
  // until an attempt exits 0 (ok). Never logs or reports the command or its output (it may hold
  // secrets). When exec is unsupported, the container is not running, or it is gone, it stops
  // probing and waits (until cancelled) so that the engine's health decides alone. Records the
  // exit code of the last failed attempt in `lastExit`.
  asio::awaitable<Result<void>> fastProbe(std::size_t i, runtime::ContainerId id,
                                          runtime::ExecRequest request, runtime::HealthcheckSpec hc,
                                          std::optional<int>& lastExit);
  // The native half of the fast probe (native_check.hpp): true once ready, false when the
  // container is not running (the engine's wait decides), Unsupported when native checks
  // cannot reach it (the caller probes with exec).
  asio::awaitable<Result<bool>> nativeProbe(std::size_t i, const runtime::ContainerId& id,
                                            const runtime::HealthcheckSpec& hc);

  // The pause after the `failed`-th failed fast probe of resource `i` (probeDelay), recomputed
  // at every change (probeNeed): cut short as soon as something comes to wait on `i`. An error
  // only when cancelled.
  asio::awaitable<Result<void>> probePause(std::size_t i, int failed,
                                           std::chrono::nanoseconds interval,
                                           const ProbeBackoff& backoff = {});

  // Waits until the started resource `i` (container `id`) is ready, within `timeout`: the
  // runtime's event-driven wait, and, when it has a healthcheck we can run, our fast probe in
  // parallel; the first to succeed wins and cancels the other. Exits and timeouts come from
  // the runtime's wait.
  asio::awaitable<Result<void>> waitReady(std::size_t i, runtime::ContainerId id,
                                          std::chrono::nanoseconds timeout);

  // Removes the container holding resource `i`'s name (an exited one, a previous run's).
  asio::awaitable<Result<void>> removeStale(std::size_t i);

  // Creates and starts resource `i`'s container. A stale container of the same name (a crashed
  // run, a restart) is removed only when the create says the name is taken, or first when
  // `replacing` (a policy restart knows its exited one is there): one engine call less per
  // resource on the common path.
  asio::awaitable<Result<runtime::ContainerId>> startContainer(
      std::size_t i, const runtime::StartOptions& startOptions, bool replacing);

  // Starts a new container for resource `i` (see startContainer for `replacing`) and waits
  // until it is ready (or, for a one-shot resource, completed). Emits the resource's progress
  // events. Its image is `*image` when the caller prepared it (it must outlive the call), else
  // prepared first. (A pointer, not an optional by value: GCC 12 double-frees class-type
  // temporaries made for a co_await call's arguments.)
  asio::awaitable<Result<void>> launch(std::size_t i, bool replacing = false,
                                       const runtime::PreparedImage* image = nullptr);

  // --- preparing images (prepare.cpp) ----------------------------------------------------------

  // THE prepare step of resource `i`: waits for a build (or pull) slot, then pulls per policy or
  // builds through rt.prepareImage, emitting ImagePreparing, ResourceProgress and ImageReady or
  // ImageFailed. Records the image id for the view. Used by the boot (prepareForBoot), every
  // launch without a prepared image, restarts (before the old container goes) and
  // prepareImages.
  asio::awaitable<Result<runtime::PreparedImage>> prepareImage(std::size_t i);

  // Boot: prepares `i`'s image into res[i].bootImage and wakes the boot coroutines.
  asio::awaitable<void> prepareForBoot(std::size_t i);

  asio::awaitable<void> prepareInto(
      std::size_t i,
      std::shared_ptr<std::vector<std::optional<Result<runtime::PreparedImage>>>> out,
      std::size_t slot);

  asio::awaitable<Result<std::vector<ImageOutcome>>> prepareMany(std::vector<std::string> names);

  void markReady(Resource& r);

  // After a launch owned by someone else (busy) ends: act on an exit that happened meanwhile.
  void afterReady(std::size_t i);

  // --- steady-state health when the engine's checks never run (health_watch.cpp) ------------

  // Spawns steadyProbe for a resource that just became ready, when it has a probe we can run.
  void watchEngineHealth(std::size_t i, runtime::ContainerId id);

  // Sets and announces the health our steady probe found (only a change is an event).
  void setProbedHealth(std::size_t i, Health health);

  // Once the engine's first check is due, looks at its health: still "starting" means its
  // checks do not run (podman without systemd), and we probe at the healthcheck's interval.
  asio::awaitable<void> steadyProbe(std::size_t i, runtime::ContainerId id);

  // --- boot ----------------------------------------------------------------------------------

  static bool satisfies(const Resource& dep, DependencyCondition c);

  static bool hopeless(const Resource& dep);

  // How much the readiness of starting resource `i` is waited for (policy.hpp, ProbeNeed):
  // outside a boot, by the operation that launched it; in a boot, by a dependent whose image
  // is ready, or by the stack when `i` is the last one not ready (Awaited); not at all while
  // every such party still waits for an image being prepared (Moot).
  ProbeNeed probeNeed(std::size_t i) const;

  asio::awaitable<Result<void>> bootResource(std::size_t i);

  asio::awaitable<void> bootOne(std::size_t i);

  void onBootFailure(std::size_t i, const Error& cause);

  void abortBoot();

  asio::awaitable<Result<void>> startStack(std::vector<std::string> selection);

  // --- supervision ---------------------------------------------------------------------------

  asio::awaitable<void> pump();

  void onRuntimeEvent(const runtime::RuntimeEvent& ev);

  // The current container of a supervised resource exited with `code`.
  void onExit(std::size_t i, int code);

  void onRemovedOutside(std::size_t i);

  void scheduleRestart(std::size_t i, std::chrono::nanoseconds delay);

  asio::awaitable<void> restartAfter(std::size_t i, std::chrono::nanoseconds delay);

  // After the event stream reconnected: events may have been lost, so compare with the engine.
  asio::awaitable<void> reconcile();

  // --- engine outages (outage.cpp) -----------------------------------------------------------

  // Pings the engine; when it does not answer, the outage begins (enterOutage). True: it answers.
  asio::awaitable<bool> engineAnswers();

  // The engine is unavailable: every supervised resource (and one waiting out a restart
  // backoff) becomes a victim, owned by the recovery; no restart is attempted meanwhile.
  void enterOutage(const std::string& why);

  // A supervised resource's current container died: first asks whether the engine is going
  // away (then the exit is not the application's). True when the exit is to be judged.
  asio::awaitable<bool> dieIsTheApplications(const runtime::RuntimeEvent& ev);

  // The event stream reconnected: after an outage, recover; otherwise reconcile.
  asio::awaitable<void> onReconnected();

  // Brings every victim back, in dependency order and gated on readiness; StackRecovered once
  // none is left.
  asio::awaitable<void> recover();
  asio::awaitable<void> recoverOne(std::size_t i, std::vector<runtime::ManagedContainer> listed);

  // Waits until the engine answers again (pinging every resubscribeDelay); false when the
  // wait was given up (kill, cancellation).
  asio::awaitable<bool> waitForEngine(bool pinging);

  // A launch owned by a restart failed while the engine is unavailable: undo its count and
  // leave the resource to the recovery.
  void handOverToRecovery(std::size_t i);

  // --- adoption (adopt.cpp) ------------------------------------------------------------------

  // Before the boot: containers a previous supervisor left running with this spec's config
  // hash are supervised as they are (ResourceAdopted). Returns which resources were adopted.
  asio::awaitable<std::vector<bool>> adoptRunning();

  // --- shutdown ------------------------------------------------------------------------------

  void recordError(Error error) { passErrors.push_back(redact(error)); }

  // Stops (then removes) resource `i`; in an ordered pass, only once its dependents are down.
  asio::awaitable<void> stopNode(std::size_t i, bool ordered, bool immediate);

  // Once every container of the pass is stopped, removes the project network while the
  // containers are still being removed: the engine releases a container's endpoint when it
  // stops, and the network removal (bridge and firewall rules, ~0.2 s on Engine 20.10) is the
  // slowest step of a teardown. Errors are left to the sweep, which tries again.
  asio::awaitable<void> removeNetworkEarly();

  // One pass over every resource that may have a container; with `network`, the project
  // network goes as soon as all of them are stopped.
  asio::awaitable<void> stopPass(bool immediate, bool network);

  // Removes whatever is still labelled with the project, then the network.
  asio::awaitable<void> sweep();

  asio::awaitable<Result<void>> shutdownAll();

  asio::awaitable<Result<void>> stopStack();

  asio::awaitable<Result<void>> killStack();

  // --- handle operations ---------------------------------------------------------------------

  Result<std::size_t> lookup(std::string_view name) const;

  Result<void> checkRunning() const;

  // Resources a restart of `i` recreates: `i`, then dependents of marked resources, in order.
  std::vector<std::size_t> restartSet(std::size_t i) const;

  // Stops and removes resource `i` for a restart or a stop(name).
  asio::awaitable<Result<void>> takeDown(std::size_t i);

  Result<void> checkDependenciesReady(std::size_t i) const;

  asio::awaitable<Result<void>> restartBody(std::vector<std::size_t> set);

  // Runs `body` in the supervision group (so a shutdown cancels it) and waits for its result.
  asio::awaitable<Result<void>> runOwned(std::vector<std::size_t> owned, std::string operation,
                                         asio::awaitable<Result<void>> body);

  static asio::awaitable<void> runInto(asio::awaitable<Result<void>> body,
                                       std::shared_ptr<std::optional<Result<void>>> out);

  asio::awaitable<Result<void>> restartResource(std::string name);

  asio::awaitable<Result<void>> startBody(std::size_t i);

  asio::awaitable<Result<void>> startResource(std::string name);

  asio::awaitable<Result<void>> stopResource(std::string name);

  // --- watch operations (watch_ops.cpp) ------------------------------------------------------

  // The spec resource `i` launches with: a one-shot override, else the plan's.
  const runtime::ContainerSpec& specFor(std::size_t i) const;

  asio::awaitable<Result<void>> restartInPlaceBody(std::size_t i);

  asio::awaitable<Result<void>> restartInPlace(std::string name);

  asio::awaitable<Result<void>> recreateWithImage(std::string name, std::string image);

  ResourceView view(std::size_t i) const;

  StackView stackView() const;

  ResourceDetail detailOf(std::size_t i) const;

  /// Env keys whose values are secrets by name, whatever the manifest declared.
  static bool looksSecret(std::string_view key);

  Result<runtime::ContainerId> runningContainer(std::string_view name) const;

  // A handle operation's failure that no other event reports (a precondition, a conflict, a
  // failed stop) reaches observers as OperationFailed; launch failures also emit ResourceFailed.
  void reportOperation(std::string_view op, std::string_view name, const Result<void>& r);
};

}  // namespace ls::lifecycle
