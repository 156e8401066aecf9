// MemoryRuntime's public methods: the Runtime, ContainerOps and ImageOps operations, forwarding to
// Impl, and the scripting of images, networks, behaviours and outside events.
#include <algorithm>

#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

// --- MemoryRuntime -------------------------------------------------------------------------

MemoryRuntime::MemoryRuntime(asio::any_io_executor ex, Clock& clock)
    : impl_(std::make_shared<Impl>(std::move(ex), clock)) {}

MemoryRuntime::~MemoryRuntime() = default;

asio::awaitable<Result<ContainerId>> MemoryRuntime::start(const ContainerSpec& spec,
                                                          const StartOptions& options) {
  return impl_->start(spec, options);
}

asio::awaitable<Result<StopOutcome>> MemoryRuntime::stop(const ContainerId& id,
                                                         std::chrono::nanoseconds grace) {
  return impl_->stop(id, grace);
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::remove(const std::string& nameOrId) {
  return impl_->remove(nameOrId);
}

asio::awaitable<Result<ContainerStatus>> MemoryRuntime::inspect(const ContainerId& id) {
  return impl_->inspect(id);
}

asio::awaitable<Result<void>> MemoryRuntime::waitHealthy(const ContainerId& id,
                                                         std::chrono::nanoseconds timeout) {
  return impl_->waitHealthy(id, timeout);
}

asio::awaitable<Result<std::unique_ptr<NativeProber>>> MemoryRuntime::nativeProber(
    const ContainerId& id, const NativeCheck& check) {
  return impl_->nativeProber(id, check);
}

asio::awaitable<Result<ExecResult>> MemoryRuntime::exec(const ContainerId& id,
                                                        const ExecRequest& request) {
  return impl_->exec(id, request);
}

asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> MemoryRuntime::logs(
    const ContainerId& id, const LogOptions& options) {
  return impl_->logs(id, options);
}

asio::awaitable<Result<NetworkOutcome>> MemoryRuntime::ensureProjectNetwork(
    const std::string& project) {
  return impl_->ensureNetwork(project);
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::teardownProjectNetwork(
    const std::string& project) {
  return impl_->teardownNetwork(project);
}

asio::awaitable<Result<std::vector<ManagedContainer>>> MemoryRuntime::listManaged(
    const std::string& project) {
  return impl_->listManaged(project);
}

asio::awaitable<Result<std::unique_ptr<EventStream>>> MemoryRuntime::events(
    const EventFilter& filter) {
  return impl_->events(filter);
}

asio::awaitable<Result<void>> MemoryRuntime::ping() {
  co_return co_await impl_->enter(Op::Ping, "");
}

asio::awaitable<Result<void>> MemoryRuntime::pullImage(const std::string& reference,
                                                       PullPolicy policy,
                                                       const ProgressCallback& onProgress) {
  return impl_->pullStep(reference, policy, onProgress, true);
}

asio::awaitable<Result<PreparedImage>> MemoryRuntime::preparePull(
    const PullImage& pull, const ProgressCallback& onProgress) {
  return impl_->preparePull(pull, onProgress);
}

asio::awaitable<Result<std::string>> MemoryRuntime::buildImage(const BuildImage& build,
                                                               const ProgressCallback& onProgress) {
  return impl_->buildStep(build, onProgress);
}

asio::awaitable<Result<void>> MemoryRuntime::kill(const ContainerId& id,
                                                  const std::string& signal) {
  return impl_->kill(id, signal);
}

asio::awaitable<Result<void>> MemoryRuntime::restart(const ContainerId& id,
                                                     std::chrono::nanoseconds grace) {
  return impl_->restart(id, grace);
}

asio::awaitable<Result<WaitOutcome>> MemoryRuntime::wait(const ContainerId& id,
                                                         WaitCondition condition) {
  return impl_->wait(id, condition);
}

asio::awaitable<Result<void>> MemoryRuntime::rename(const ContainerId& id,
                                                    const std::string& newName) {
  return impl_->rename(id, newName);
}

asio::awaitable<Result<void>> MemoryRuntime::pause(const ContainerId& id) {
  return impl_->pause(id);
}

asio::awaitable<Result<void>> MemoryRuntime::unpause(const ContainerId& id) {
  return impl_->unpause(id);
}

asio::awaitable<Result<std::vector<PortMapping>>> MemoryRuntime::portMappings(
    const ContainerId& id) {
  return impl_->portMappings(id);
}

asio::awaitable<Result<ContainerDetails>> MemoryRuntime::inspectDetailed(const ContainerId& id) {
  return impl_->inspectDetailed(id);
}

asio::awaitable<Result<PruneReport>> MemoryRuntime::pruneContainers() {
  return impl_->pruneContainers();
}

asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> MemoryRuntime::execStream(
    const ContainerId& id, const ExecRequest& request) {
  return impl_->execStream(id, request);
}

asio::awaitable<Result<std::vector<ImageSummary>>> MemoryRuntime::listImages() {
  return impl_->listImages();
}

asio::awaitable<Result<void>> MemoryRuntime::tagImage(const std::string& source,
                                                      const std::string& target) {
  return impl_->tagImage(source, target);
}

asio::awaitable<Result<std::vector<std::string>>> MemoryRuntime::removeImage(
    const std::string& reference, bool force) {
  return impl_->removeImage(reference, force);
}

void MemoryRuntime::addLocalImage(const std::string& reference) {
  const std::string ref = normalizeRef(reference);
  if (!impl_->tags.contains(ref)) {
    impl_->tagLocal(ref, Impl::defaultImageId(ref));
  }
}

void MemoryRuntime::addRegistryImage(const std::string& reference) {
  impl_->registryImages.insert(normalizeRef(reference));
}

void MemoryRuntime::removeLocalImage(const std::string& reference) {
  impl_->untagLocal(normalizeRef(reference));
}

bool MemoryRuntime::hasLocalImage(const std::string& reference) const {
  return impl_->tags.contains(normalizeRef(reference));
}

void MemoryRuntime::failBuild(const std::string& tag, std::string message) {
  impl_->buildFailures[normalizeRef(tag)] = std::move(message);
}

void MemoryRuntime::addNetwork(const std::string& name, std::map<std::string, std::string> labels) {
  impl_->networks[name] = std::move(labels);
  impl_->notify();
}

std::vector<std::string> MemoryRuntime::networkNames() const {
  std::vector<std::string> out;
  for (const auto& [name, labels] : impl_->networks) {
    out.push_back(name);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> MemoryRuntime::networkLabels(
    const std::string& name) const {
  auto it = impl_->networks.find(name);
  if (it == impl_->networks.end()) {
    return std::nullopt;
  }
  return it->second;
}

void MemoryRuntime::script(const std::string& nameOrResource, Behaviour behaviour) {
  impl_->scripts[nameOrResource] = std::move(behaviour);
}

void MemoryRuntime::clearScript(const std::string& nameOrResource) {
  impl_->scripts.erase(nameOrResource);
}

void MemoryRuntime::scriptExec(const std::string& nameOrResource, ExecScript script) {
  impl_->execScripts[nameOrResource] = std::move(script);
}

void MemoryRuntime::scriptNative(const std::string& nameOrResource, NativeScript script) {
  impl_->nativeScripts[nameOrResource] = std::move(script);
}

void MemoryRuntime::clearExecScript(const std::string& nameOrResource) {
  impl_->execScripts.erase(nameOrResource);
}

bool MemoryRuntime::externalStop(const std::string& nameOrId) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  const SteadyTime now = impl_->clock.steady();
  const int code = c->behaviour.ignoresSigterm ? kKilledExitCode : c->behaviour.sigtermExitCode;
  impl_->exitContainer(*c, code, now, false);
  c->stopEventSent = true;
  impl_->publish(RuntimeEvent::Kind::Stop, *c, now);
  return true;
}

bool MemoryRuntime::externalRemove(const std::string& nameOrId) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr) {
    return false;
  }
  impl_->destroyContainer(*c, impl_->clock.steady());
  return true;
}

bool MemoryRuntime::crash(const std::string& nameOrId, int exitCode) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  impl_->exitContainer(*c, exitCode, impl_->clock.steady(), false);
  return true;
}

bool MemoryRuntime::oomKill(const std::string& nameOrId) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  impl_->exitContainer(*c, kKilledExitCode, impl_->clock.steady(), true);
  return true;
}

bool MemoryRuntime::setHealth(const std::string& nameOrId, Health health) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped || !c->hasHealthcheck) {
    return false;
  }
  impl_->setHealthOf(*c, health, impl_->clock.steady());
  return true;
}

bool MemoryRuntime::writeLog(const std::string& nameOrId, const std::string& line,
                             LogChunk::Stream stream) {
  impl_->settle();
  Impl::Container* c = impl_->find(nameOrId);
  if (c == nullptr || c->phase == Impl::Phase::Stopped) {
    return false;
  }
  impl_->appendLog(*c, stream, line, impl_->clock.steady());
  return true;
}

std::vector<std::string> MemoryRuntime::containerNames() const {
  std::vector<std::string> out;
  for (const auto& [id, c] : impl_->containers) {
    out.push_back(c.spec.name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t MemoryRuntime::pendingWaiters() const {
  return impl_->changed.size() + impl_->hung.size();
}

std::size_t MemoryRuntime::eventSubscribers() const { return impl_->subscribers.size(); }

}  // namespace ls::runtime
