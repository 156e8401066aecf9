// Shutdown: reverse dependency order, each resource's grace period, the network as soon as every
// container is stopped, a sweep of anything labelled, repeated while something fails.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

// Stops (then removes) resource `i`; in an ordered pass, only once its dependents are down.
asio::awaitable<void> LifecycleManager::Impl::stopNode(std::size_t i, bool ordered,
                                                       bool immediate) {
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
asio::awaitable<void> LifecycleManager::Impl::removeNetworkEarly() {
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
asio::awaitable<void> LifecycleManager::Impl::stopPass(bool immediate, bool network) {
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
asio::awaitable<void> LifecycleManager::Impl::sweep() {
  const std::string project = plan.project();
  Result<std::vector<runtime::ManagedContainer>> left = co_await rt.listManaged(project);
  if (!left) {
    recordError(std::move(left).error().context("listing containers of project " + quote(project)));
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
    recordError(
        std::move(network).error().context("removing the network of project " + quote(project)));
  }
}

asio::awaitable<Result<void>> LifecycleManager::Impl::shutdownAll() {
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
    // The engine does not answer (outage.cpp): wait for it, this pass does not count; a
    // kill() (the second Ctrl+C) gives up waiting.
    if (!killRequested && (engineDown || !co_await engineAnswers())) {
      if (co_await waitForEngine(/*pinging=*/true)) {
        --pass;
      }
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

asio::awaitable<Result<void>> LifecycleManager::Impl::stopStack() {
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

asio::awaitable<Result<void>> LifecycleManager::Impl::killStack() {
  killRequested = true;
  stops.cancelAll();
  changed.notifyAll();
  Result<void> done = co_await stopStack();
  co_return done;
}

}  // namespace ls::lifecycle
