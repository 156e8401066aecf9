// Bringing one resource's container up: its image (prepared by the caller, or here first:
// prepare.cpp), stale-container removal, create + start, then readiness (probe.cpp) and the
// bookkeeping of a ready resource.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

// NOTE: besides the cancellation slot, every loop checks these flags: a cancellation emitted
// before a spawned coroutine first runs does not reach it.
bool LifecycleManager::Impl::launchAborted() const {
  return (phase == Phase::Booting && bootAborting) || supervisionStopping;
}

bool LifecycleManager::Impl::exitedNow(std::size_t i) const {
  const Resource& r = res[i];
  return r.id && r.lastDie && r.lastDie->first == *r.id;
}

// The last lines of a container's output, for failure messages; empty when unavailable.
asio::awaitable<std::string> LifecycleManager::Impl::lastLines(runtime::ContainerId id) {
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

// Removes the container holding resource `i`'s name (an exited one, a previous run's).
asio::awaitable<Result<void>> LifecycleManager::Impl::removeStale(std::size_t i) {
  const PlanNode& n = node(i);
  if (launchAborted() || co_await ls::detail::cancelled()) {
    co_return Error(Errc::Cancelled, "operation cancelled");
  }
  Result<runtime::RemoveOutcome> stale = co_await rt.remove(n.spec.name);
  if (!stale) {
    co_return std::move(stale).error().context("removing stale container " + quote(n.spec.name));
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
asio::awaitable<Result<runtime::ContainerId>> LifecycleManager::Impl::startContainer(
    std::size_t i, const runtime::StartOptions& startOptions, bool replacing) {
  if (replacing) {
    Result<void> removed = co_await removeStale(i);
    if (!removed) {
      co_return std::move(removed).error();
    }
  }
  const runtime::ContainerSpec& spec = specFor(i);
  Result<runtime::ContainerId> started = co_await rt.start(spec, startOptions);
  if (!started && !replacing && started.error().reason() == "name_in_use") {
    Result<void> removed = co_await removeStale(i);
    if (!removed) {
      co_return std::move(removed).error();
    }
    started = co_await rt.start(spec, startOptions);
  }
  co_return started;
}

// Starts a new container for resource `i` (see startContainer for `replacing`) and waits
// until it is ready (or, for a one-shot resource, completed). Emits the resource's progress
// events.
asio::awaitable<Result<void>> LifecycleManager::Impl::launch(std::size_t i, bool replacing,
                                                             const runtime::PreparedImage* image) {
  const PlanNode& n = node(i);
  Resource& r = res[i];
  if (image == nullptr) {
    Result<runtime::PreparedImage> prepared = co_await prepareImage(i);
    if (!prepared) {
      co_return std::move(prepared).error();
    }
  }
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
  startOptions.imagePrepared = true;
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
  r.startedSteady = clock.steady();
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
  // Published ports as allocated, known before the resource is reported ready, so the view sent
  // with ResourceHealthy (the dashboard's row) has them; cosmetic, so a failure here does not
  // fail the resource. Nothing to learn (and one engine call saved) when it publishes none.
  if (!n.spec.ports.empty() && !co_await ls::detail::cancelled()) {
    Result<runtime::ContainerStatus> status = co_await rt.inspect(id);
    if (status && r.id == id) {
      r.ports = status->ports;
    }
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
  }
  r.status = ResourceStatus::Running;
  r.health = n.spec.healthcheck ? Health::Healthy : Health::None;
  r.supervised = true;
  markReady(r);
  emit(Kind::ResourceHealthy, i);
  changed.notifyAll();
  watchEngineHealth(i, id);  // health_watch.cpp: in case the engine's checks never run
  co_return ok();
}

void LifecycleManager::Impl::markReady(Resource& r) {
  r.readyAt = clock.system();
  if (r.launchedAt) {
    r.timeToReady = clock.steady() - *r.launchedAt;
  }
}

// After a launch owned by someone else (busy) ends: act on an exit that happened meanwhile.
void LifecycleManager::Impl::afterReady(std::size_t i) {
  Resource& r = res[i];
  if (r.supervised && exitedNow(i)) {
    onExit(i, r.lastDie->second);
  }
}

}  // namespace ls::lifecycle
