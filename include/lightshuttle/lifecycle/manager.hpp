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
// Boot: one coroutine per resource waits for exactly its own dependencies (ready, or completed
// for `depends_on: {job: completed}`), removes a stale container of its name, starts its
// container and waits until it is ready (runtime.waitHealthy, bounded by `startTimeout`), or for
// a one-shot resource until it exits 0. While a resource with a healthcheck starts, its test also
// runs via runtime.exec (backoff from 50 ms, doubling up to its interval, at most 1 s; each
// attempt bounded by its timeout): the first attempt exiting 0 makes it ready even though the
// engine still says "starting"; whichever of the two comes first wins and cancels the other.
// Unsupported or not running: the engine's health alone decides. The probe stops once the
// resource is ready, and its command and output are never logged nor reported. The first failure fails that resource and every
// dependent, cancels the work in flight and rolls back what was started (unless
// `keepOnFailure`); the error names the resource and the cause (with the runtime's last log
// lines). Cancelling the coroutine awaiting `start` cancels the boot and rolls back too.
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
