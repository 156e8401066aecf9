// The handle's operations on one resource (restart, start, stop), each owned by the supervision
// task group and serialized per resource.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

Result<std::size_t> LifecycleManager::Impl::lookup(std::string_view name) const {
  std::optional<std::size_t> i = plan.indexOf(name);
  if (!i) {
    return Error(Errc::NotFound, "unknown resource " + quote(name));
  }
  return *i;
}

Result<void> LifecycleManager::Impl::checkRunning() const {
  if (phase != Phase::Running || !ex) {
    return Error(Errc::FailedPrecondition, "the stack is not running");
  }
  return ok();
}

// Resources a restart of `i` recreates: `i`, then dependents of marked resources, in order.
std::vector<std::size_t> LifecycleManager::Impl::restartSet(std::size_t i) const {
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
asio::awaitable<Result<void>> LifecycleManager::Impl::takeDown(std::size_t i) {
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

Result<void> LifecycleManager::Impl::checkDependenciesReady(std::size_t i) const {
  for (const Dependency& d : node(i).dependencies) {
    if (!satisfies(res[*plan.indexOf(d.name)], d.condition)) {
      return Error(Errc::FailedPrecondition, "dependency " + quote(d.name) + " of " +
                                                 quote(node(i).name) + " is not " +
                                                 std::string(conditionName(d.condition)));
    }
  }
  return ok();
}

asio::awaitable<Result<void>> LifecycleManager::Impl::restartBody(std::vector<std::size_t> set) {
  // The new images first, while the old containers still serve: a failed pull or build leaves
  // them running (the operation fails, the resources do not).
  std::vector<std::optional<runtime::PreparedImage>> images(set.size());
  for (std::size_t k = 0; k < set.size(); ++k) {
    Result<runtime::PreparedImage> prepared = co_await prepareImage(set[k]);
    if (!prepared) {
      Error error = redact(prepared.error());
      error.context("preparing the image of resource " + quote(node(set[k]).name));
      co_return error;
    }
    images[k] = std::move(prepared).value();
  }
  for (auto it = set.rbegin(); it != set.rend(); ++it) {
    Result<void> down = co_await takeDown(*it);
    if (!down) {
      co_return redact(down.error());
    }
  }
  for (std::size_t k = 0; k < set.size(); ++k) {
    const std::size_t j = set[k];
    Result<void> deps = checkDependenciesReady(j);
    if (!deps) {
      fail(j, deps.error().what());
      co_return deps;
    }
    const runtime::PreparedImage* image = &*images[k];
    Result<void> launched = co_await launch(j, false, image);
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
asio::awaitable<Result<void>> LifecycleManager::Impl::runOwned(std::vector<std::size_t> owned,
                                                               std::string operation,
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

asio::awaitable<void> LifecycleManager::Impl::runInto(
    asio::awaitable<Result<void>> body, std::shared_ptr<std::optional<Result<void>>> out) {
  co_await asio::this_coro::throw_if_cancelled(false);
  Result<void> r = co_await std::move(body);
  out->emplace(std::move(r));
}

asio::awaitable<Result<void>> LifecycleManager::Impl::restartResource(std::string name) {
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

asio::awaitable<Result<void>> LifecycleManager::Impl::startBody(std::size_t i) {
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

asio::awaitable<Result<void>> LifecycleManager::Impl::startResource(std::string name) {
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

asio::awaitable<Result<void>> LifecycleManager::Impl::stopResource(std::string name) {
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

}  // namespace ls::lifecycle
