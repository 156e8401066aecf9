#include "lightshuttle/lifecycle/manager.hpp"

#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

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

asio::awaitable<Result<std::vector<ImageOutcome>>> LifecycleManager::prepareImages(
    std::vector<std::string> names) {
  Result<std::vector<ImageOutcome>> done = co_await impl_->prepareMany(std::move(names));
  co_return done;
}

asio::awaitable<Result<runtime::PreparedImage>> LifecycleManager::prepareImage(std::string name) {
  Result<std::size_t> i = impl_->lookup(name);
  if (!i) {
    co_return std::move(i).error();
  }
  Result<runtime::PreparedImage> done = co_await impl_->prepareImage(*i);
  co_return done;
}

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

asio::awaitable<Result<void>> LifecycleManager::restartInPlace(std::string name) {
  Result<void> done = co_await impl_->restartInPlace(name);
  co_return done;
}

asio::awaitable<Result<void>> LifecycleManager::recreateWithImage(std::string name,
                                                                  std::string image) {
  Result<void> done = co_await impl_->recreateWithImage(name, std::move(image));
  co_return done;
}

void LifecycleManager::publish(LifecycleEvent event) {
  event.message = impl_->redact(std::move(event.message));
  if (event.time == std::chrono::system_clock::time_point{}) {
    event.time = impl_->clock.system();
  }
  // Kept in the stack view too, so a client that missed the event (a lagged WebSocket, a
  // dashboard opened later) still learns whether a watcher runs.
  if (event.kind == LifecycleEvent::Kind::WatchStarted ||
      event.kind == LifecycleEvent::Kind::WatchStopped) {
    impl_->watch = StackView::Watch{.active = event.kind == LifecycleEvent::Kind::WatchStarted,
                                    .message = event.message};
  }
  impl_->bus.publish(event);
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
  Result<std::unique_ptr<runtime::LogChunkStream>> stream = co_await impl_->rt.logs(*id, options);
  co_return stream;
}

EventSubscriptionPtr LifecycleManager::subscribe() { return impl_->bus.subscribe(); }

}  // namespace ls::lifecycle
