// The operations watch mode drives on one resource: an in-place restart (after a sync) and a
// recreate from an image built beforehand (the old container served while it was built).
// Both are handle-style operations: owned by the supervision group, serialized per resource.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

namespace {

// How long an in-place restart waits for the engine's `die` of the old process, so supervision
// does not take that exit for a crash once the operation ends. The engine sends it while it
// stops the container, so it normally arrives before the restart call returns.
constexpr std::chrono::nanoseconds kDieEventWait = std::chrono::seconds(5);

}  // namespace

const runtime::ContainerSpec& LifecycleManager::Impl::specFor(std::size_t i) const {
  auto it = specOverride.find(i);
  return it == specOverride.end() ? node(i).spec : it->second;
}

asio::awaitable<Result<void>> LifecycleManager::Impl::restartInPlaceBody(std::size_t i) {
  const PlanNode& n = node(i);
  Resource& r = res[i];
  if (!r.id) {
    co_return Error(Errc::FailedPrecondition, "resource " + quote(n.name) + " has no container");
  }
  const runtime::ContainerId id = *r.id;
  r.supervised = false;
  r.status = ResourceStatus::Restarting;
  changed.notifyAll();
  Result<void> restarted = co_await rt.restart(id, n.spec.stopGracePeriod);
  if (!restarted) {
    Error error = redact(restarted.error());
    error.context("restarting resource " + quote(n.name) + " in place");
    if (error.code() != Errc::Cancelled && error.code() != Errc::Unsupported) {
      fail(i, error.what());
    } else {
      r.status = ResourceStatus::Running;
      r.supervised = true;
    }
    co_return error;
  }
  const Clock::SteadyTime dieBy = clock.steady() + kDieEventWait;
  while (!(r.lastDie && r.lastDie->first == id) && clock.steady() < dieBy) {
    Result<void> woke = co_await changeOrDeadline(dieBy);
    if (!woke) {
      co_return woke;
    }
  }
  r.lastDie.reset();
  r.status = ResourceStatus::Starting;
  r.health = n.spec.healthcheck ? Health::Starting : Health::None;
  r.launchedAt = clock.steady();
  r.startedAt = clock.system();
  r.startedSteady = clock.steady();
  emit(Kind::ResourceStarted, i);
  changed.notifyAll();
  Result<void> ready = co_await waitReady(i, id, startTimeout(n.spec, options.startTimeout));
  if (!ready) {
    Error error = redact(ready.error());
    error.context("restarting resource " + quote(n.name) + " in place");
    if (error.code() != Errc::Cancelled) {
      fail(i, error.what());
    }
    co_return error;
  }
  r.status = ResourceStatus::Running;
  r.health = n.spec.healthcheck ? Health::Healthy : Health::None;
  r.supervised = true;
  markReady(r);
  emit(Kind::ResourceHealthy, i);
  changed.notifyAll();
  co_return ok();
}

asio::awaitable<Result<void>> LifecycleManager::Impl::restartInPlace(std::string name) {
  Result<std::size_t> found = lookup(name);
  if (!found) {
    co_return std::move(found).error();
  }
  LS_CO_TRY(checkRunning());
  const std::size_t i = *found;
  if (res[i].busy) {
    co_return Error(Errc::Conflict, "resource " + quote(name) + " is being changed");
  }
  if (res[i].status != ResourceStatus::Running || !res[i].id) {
    co_return Error(Errc::FailedPrecondition, "resource " + quote(name) + " is not running");
  }
  auto body = restartInPlaceBody(i);
  std::vector<std::size_t> owned{i};
  Result<void> done = co_await runOwned(owned, "restart", std::move(body));
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::Impl::recreateWithImage(std::string name,
                                                                        std::string image) {
  Result<std::size_t> found = lookup(name);
  if (!found) {
    co_return std::move(found).error();
  }
  LS_CO_TRY(checkRunning());
  const std::size_t i = *found;
  std::vector<std::size_t> set = restartSet(i);
  for (std::size_t j : set) {
    if (res[j].busy) {
      co_return Error(Errc::Conflict, "resource " + quote(node(j).name) +
                                          " is already restarting or being changed");
    }
  }
  runtime::ContainerSpec spec = node(i).spec;
  spec.image =
      runtime::PullImage{.reference = std::move(image), .policy = runtime::PullPolicy::Never};
  specOverride[i] = std::move(spec);
  for (std::size_t j : set) {
    emitRestarting(j, std::chrono::nanoseconds::zero(), "recreating with the rebuilt image");
  }
  auto body = restartBody(set);
  Result<void> done = co_await runOwned(set, "rebuild", std::move(body));
  specOverride.erase(i);
  co_return done;
}

}  // namespace ls::lifecycle
