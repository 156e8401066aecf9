// File: lightshuttle/lifecycle/manager.hpp
//
// `LifecycleManager`: boots a `Plan` against a `Runtime`, supervises it, and tears it down.
//
//   LifecycleManager manager(runtime, clock, rng, std::move(plan), options);
//   auto events = manager.subscribe();
//   Result<void> up = co_await manager.start();      // all resources, gated on readiness
//   ...                                              // supervision runs on the loop
//   co_await manager.stop();                         // Ctrl+C; a second one calls kill()
//
// Boot: every selected resource's image is prepared from the start (pulled per policy, or
// built; at most `concurrentBuilds` builds and `concurrentPulls` pulls at once), while one
// coroutine per resource waits for exactly its own dependencies (ready, or completed for
// `depends_on: {job: completed}`); once both are done it removes a stale container of its
// name, starts its
// container and waits until it is ready (runtime.waitHealthy, bounded by `startTimeout`), or for
// a one-shot resource until it exits 0. While a resource with a healthcheck starts, its test also
// runs via runtime.exec (backoff from 50 ms, doubling up to its interval, at most 1 s; each
// attempt bounded by its timeout): the first attempt exiting 0 makes it ready even though the
// engine still says "starting"; whichever of the two comes first wins and cancels the other.
// Unsupported or not running: the engine's health alone decides. The probe stops once the
// resource is ready, and its command and output are never logged nor reported. The first failure
// fails that resource and every dependent, cancels the work in flight and rolls back what was
// started (unless `keepOnFailure`); the error names the resource and the cause (with the runtime's
// last log lines). Cancelling the coroutine awaiting `start` cancels the boot and rolls back too.
//
// Supervision (from the first start until shutdown): the runtime's event stream drives state.
// A container that dies is restarted per its policy with capped exponential backoff and jitter
// (`decideRestart`); one that exits 0 under `no` is "completed"; `docker stop`/`rm` from outside
// is reported (and recreated only under `always`); after the stream reconnects, state is
// reconciled from `listManaged`.
//
// Shutdown: reverse dependency order, parallel where the graph allows (a resource stops once all
// its dependents have stopped), each with its grace period, then removal, then the project
// network, then a sweep of anything still labelled with the project; repeated up to
// `shutdownPasses` times while something fails. `kill` stops everything at once with no grace.
//
// Threading: one io_context thread; every method must be called on it. No locks. Lifetime: keep
// the manager (and the runtime, clock and rng) alive until `stop`/`kill` has returned, or until
// the io_context is destroyed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/result.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/events.hpp"
#include "lightshuttle/lifecycle/handle.hpp"
#include "lightshuttle/lifecycle/plan.hpp"
#include "lightshuttle/lifecycle/policy.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::lifecycle {

struct Options {
  /// Overrides every resource's derived start timeout (`up --timeout`).
  std::optional<std::chrono::nanoseconds> startTimeout;
  /// Leave what was started in place when the boot fails (`up --keep-on-failure`).
  bool keepOnFailure = false;
  /// Queue length of each event subscriber.
  std::size_t eventQueueCapacity = 1024;
  /// Restart backoff of supervision.
  Backoff backoff;
  /// Shutdown passes at most (each stops, removes and sweeps what is left).
  int shutdownPasses = 3;
  /// Wait before re-subscribing to the runtime's events after the stream failed.
  std::chrono::nanoseconds resubscribeDelay{std::chrono::seconds(1)};
  /// Image builds prepared at once (builds are CPU-heavy); 0: defaultConcurrentBuilds().
  std::size_t concurrentBuilds = 0;
  /// Image pulls prepared at once (network-bound, so more); 0: kDefaultConcurrentPulls.
  std::size_t concurrentPulls = 0;
};

inline constexpr std::size_t kDefaultConcurrentPulls = 8;

/// max(1, CPUs / 2): a boot full of builds leaves the other half of the machine to the engine's
/// other work (dependencies booting), the editor and us.
std::size_t defaultConcurrentBuilds() noexcept;

/// One resource's image as `LifecycleManager::prepareImages` left it.
struct ImageOutcome {
  std::string resource;
  Result<runtime::PreparedImage> image;
};

class LifecycleManager final : public LifecycleHandle {
 public:
  /// `runtime`, `clock` and `rng` must outlive the manager.
  LifecycleManager(runtime::Runtime& runtime, Clock& clock, Rng& rng, Plan plan,
                   Options options = {});
  ~LifecycleManager() override;
  LifecycleManager(const LifecycleManager&) = delete;
  LifecycleManager& operator=(const LifecycleManager&) = delete;

  /// Boots the stack: `selection` and everything it depends on, or every resource when empty.
  /// Returns once all are ready (or completed), and supervision keeps running on the loop.
  /// Errors: FailedPrecondition (already started), InvalidArgument (unknown name in the
  /// selection), Cancelled (cancelled by the caller or by `stop`/`kill`), and otherwise the
  /// first failure, in context "starting resource '<name>'". Call once.
  boost::asio::awaitable<Result<void>> start(std::vector<std::string> selection);
  boost::asio::awaitable<Result<void>> start();

  /// Graceful shutdown (see above). Cancels a boot in flight first. Idempotent; a concurrent
  /// call waits for the running shutdown. Errors: what still failed after the last pass.
  boost::asio::awaitable<Result<void>> stop();

  /// Immediate shutdown: every container stopped at once with zero grace, then removed. Turns a
  /// graceful shutdown in flight into an immediate one (the second Ctrl+C). Idempotent.
  boost::asio::awaitable<Result<void>> kill();

  const Plan& plan() const;

  /// The prepare step on its own (what `build` and `pull` run, and what a watch rebuild can
  /// run while the old container serves): makes the images of `names` (every resource when
  /// empty; dependencies are not added) available, pull per pull policy or build, in parallel
  /// within `concurrentBuilds` / `concurrentPulls`, emitting ImagePreparing, ResourceProgress
  /// and ImageReady or ImageFailed per resource. Creates no container and needs no boot (any
  /// phase). One outcome per resource, in plan order. Errors: NotFound for an unknown name;
  /// Cancelled when the caller is cancelled (work in flight is cancelled first).
  boost::asio::awaitable<Result<std::vector<ImageOutcome>>> prepareImages(
      std::vector<std::string> names);
  /// The same for one resource: its image id (and whether it was built or pulled).
  boost::asio::awaitable<Result<runtime::PreparedImage>> prepareImage(std::string name);

  // --- watch mode (src/watch/ drives these) -------------------------------------------------

  /// Restarts `name`'s container in place (its filesystem, and so files synced into it, kept):
  /// Runtime::restart, then waits until it is ready again, with supervision paused meanwhile so
  /// the restart's own exit is not taken for a crash. Dependents are left alone. Errors:
  /// NotFound, Conflict (another operation on it), FailedPrecondition (not running / no
  /// container), Unsupported (the runtime cannot restart in place), and readiness errors.
  boost::asio::awaitable<Result<void>> restartInPlace(std::string name);
  /// Recreates `name` from `image` (an image id or reference present locally: never pulled,
  /// never built) like `restart` does: its container is stopped and removed, a new one is
  /// created from `image` and waited for until ready; dependents are recreated only when it is
  /// marked `restart_dependents`. Later launches (a policy restart) use the spec's own image
  /// again. Errors as `restart`.
  boost::asio::awaitable<Result<void>> recreateWithImage(std::string name, std::string image);
  /// Publishes a watch-mode event (the Watch* kinds) on the bus, its message redacted.
  void publish(LifecycleEvent event);

  // --- LifecycleHandle ---------------------------------------------------------------------
  std::vector<ResourceView> list() const override;
  Result<ResourceView> get(std::string_view name) const override;
  boost::asio::awaitable<Result<void>> restart(std::string name) override;
  boost::asio::awaitable<Result<void>> start(std::string name) override;
  boost::asio::awaitable<Result<void>> stop(std::string name) override;
  boost::asio::awaitable<Result<std::unique_ptr<runtime::LogChunkStream>>> logs(
      std::string name, runtime::LogOptions options) override;
  EventSubscriptionPtr subscribe() override;
  StackView stack() const override;
  Result<ResourceDetail> detail(std::string_view name) const override;
  boost::asio::awaitable<Result<runtime::StatsSample>> statsSample(std::string name) override;
  boost::asio::awaitable<Result<std::unique_ptr<runtime::StatsStream>>> stats(
      std::string name) override;
  boost::asio::awaitable<Result<std::unique_ptr<runtime::ExecSession>>> execInteractive(
      std::string name, runtime::InteractiveExecRequest request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ls::lifecycle
