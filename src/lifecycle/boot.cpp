// Booting the stack: one coroutine per selected resource, each gated on exactly its own
// dependencies, with the failure of one failing its dependents and rolling back.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

bool LifecycleManager::Impl::satisfies(const Resource& dep, DependencyCondition c) {
  if (dep.victim) {
    return false;  // an engine outage took it: the recovery brings it back first
  }
  if (c == DependencyCondition::Completed) {
    return dep.status == ResourceStatus::Completed;
  }
  return dep.status == ResourceStatus::Running || dep.status == ResourceStatus::Completed;
}

bool LifecycleManager::Impl::hopeless(const Resource& dep) {
  return dep.status == ResourceStatus::Failed || dep.status == ResourceStatus::Exited ||
         dep.status == ResourceStatus::Stopped;
}

ProbeNeed LifecycleManager::Impl::probeNeed(std::size_t i) const {
  if (phase != Phase::Booting) {
    return ProbeNeed::Awaited;  // a restart, a start, a recovery: its caller waits for it
  }
  const std::string& name = node(i).name;
  bool last = true;
  bool preparing = false;
  for (std::size_t j = 0; j < res.size(); ++j) {
    const Resource& r = res[j];
    if (j == i || !r.selected || r.status == ResourceStatus::Running ||
        r.status == ResourceStatus::Completed) {
      continue;
    }
    last = false;
    if (r.status != ResourceStatus::Pending) {
      continue;  // launched already
    }
    if (!r.bootImage) {
      preparing = true;  // the stack cannot be ready before this image is
      continue;
    }
    // NOTE: also when it waits on other starting dependencies too: any of them may be the
    // last one seen ready.
    const auto& deps = node(j).dependencies;
    if (r.bootImage->has_value() && std::any_of(deps.begin(), deps.end(), [&](const Dependency& d) {
          return d.name == name;
        })) {
      return ProbeNeed::Awaited;
    }
  }
  if (last) {
    return ProbeNeed::Awaited;
  }
  return preparing ? ProbeNeed::Moot : ProbeNeed::Normal;
}

// Its image is prepared meanwhile (prepareForBoot, spawned by startStack): a failed pull or
// build fails it at once, without waiting for the dependencies.
asio::awaitable<Result<void>> LifecycleManager::Impl::bootResource(std::size_t i) {
  auto imageFailed = [this, i] { return res[i].bootImage && !*res[i].bootImage; };
  for (const Dependency& d : node(i).dependencies) {
    const std::size_t j = *plan.indexOf(d.name);
    for (;;) {
      if (imageFailed()) {
        co_return res[i].bootImage->error();
      }
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
  while (!res[i].bootImage) {
    if (bootAborting || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<void> woke = co_await changed.wait();
    if (!woke) {
      co_return woke;
    }
  }
  Result<runtime::PreparedImage> image = std::move(*res[i].bootImage);
  res[i].bootImage.reset();
  if (!image) {
    co_return std::move(image).error();
  }
  const runtime::PreparedImage prepared = std::move(image).value();
  Result<void> launched = co_await launch(i, false, &prepared);
  co_return launched;
}

asio::awaitable<void> LifecycleManager::Impl::bootOne(std::size_t i) {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    Result<void> booted = co_await bootResource(i);
    if (booted) {
      afterReady(i);
      co_return;
    }
    if (bootAborting) {
      co_return;  // cancelled because another resource failed, or by the user
    }
    // The engine went away under this launch (outage.cpp): not the resource's failure; it
    // starts again once the engine answers.
    if (booted.error().code() != Errc::Cancelled && (engineDown || !co_await engineAnswers())) {
      if (!co_await waitForEngine(/*pinging=*/false) || bootAborting) {
        co_return;
      }
      // bootResource took the image prepared for this attempt (or its failure, which may be
      // the outage's): prepare again (a present image is only checked) before the next one.
      res[i].bootImage.reset();
      boot.spawn(*ex, prepareForBoot(i));
      continue;
    }
    onBootFailure(i, booted.error());
    co_return;
  }
}

void LifecycleManager::Impl::onBootFailure(std::size_t i, const Error& cause) {
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

void LifecycleManager::Impl::abortBoot() {
  bootAborting = true;
  boot.cancelAll();
  changed.notifyAll();
}

asio::awaitable<Result<void>> LifecycleManager::Impl::startStack(
    std::vector<std::string> selection) {
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

  const std::vector<bool> adopted = co_await adoptRunning();
  // Images first, in plan order (dependencies before dependents: the slots go to the critical
  // path first); create/start stays gated on the dependencies in bootOne.
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i].selected && !adopted[i]) {
      res[i].bootImage.reset();
      boot.spawn(*ex, prepareForBoot(i));
    }
  }
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i].selected && !adopted[i]) {
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
    Error error =
        cancelledByCaller ? Error(Errc::Cancelled, "starting the stack was cancelled") : *bootError;
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

}  // namespace ls::lifecycle
