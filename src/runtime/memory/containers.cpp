// MemoryRuntime: the container operations (start, stop, restart, remove, inspect, wait until
// healthy, kill, wait, rename, pause, rich inspect, prune, list the managed ones).
#include <algorithm>
#include <csignal>
#include <tuple>
#include <variant>

#include "lightshuttle/core/sha256.hpp"
#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

namespace {

constexpr std::size_t kLastLogLines = 10;

std::string formatDuration(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) {
    return std::to_string(ns / 1'000'000'000) + "s";
  }
  if (ns % 1'000'000 == 0) {
    return std::to_string(ns / 1'000'000) + "ms";
  }
  if (ns % 1'000 == 0) {
    return std::to_string(ns / 1'000) + "us";
  }
  return std::to_string(ns) + "ns";
}

// The engine's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters).
bool validContainerName(const std::string& name) {
  if (name.size() < 2) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-'))) {
      return false;
    }
  }
  return true;
}

bool isKillSignal(const std::string& signal) {
  return signal == "SIGKILL" || signal == "KILL" || signal == "9";
}

}  // namespace

std::string MemoryRuntime::Impl::newContainerId() {
  return sha256Hex("memory-container/" + std::to_string(nextContainerSeq++));
}

std::string MemoryRuntime::Impl::nextAddress() {
  std::string address =
      "172.30." + std::to_string(nextIp / 250 % 256) + "." + std::to_string(nextIp % 250 + 2);
  ++nextIp;
  return address;
}

asio::awaitable<Result<ContainerId>> MemoryRuntime::Impl::start(const ContainerSpec& spec,
                                                                const StartOptions& options) {
  Result<void> entered = co_await enter(Op::Start, spec.name);
  if (!entered) {
    co_return std::move(entered).error();
  }
  if (!validContainerName(spec.name)) {
    co_return Error(Errc::InvalidArgument, "invalid container name " + quote(spec.name) +
                                               ": only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed");
  }
  const std::string context = "starting container " + quote(spec.name);
  LS_MEM_RETURN_IF_CANCELLED();
  // NOTE (GCC 12): no `?:` around the co_await (class-type operands double-free).
  Result<std::string> image = presentImage(spec);
  if (!options.imagePrepared) {
    image = co_await acquireImage(spec, options.onProgress);
  }
  if (!image) {
    co_return std::move(image).error().context(context);
  }
  if (!spec.project.empty()) {
    LS_MEM_RETURN_IF_CANCELLED();
    Result<NetworkOutcome> network = co_await ensureNetwork(spec.project);
    if (!network) {
      co_return std::move(network).error().context(context);
    }
  }
  settle();
  for (const auto& [id, c] : containers) {
    if (c.spec.name == spec.name) {
      co_return Error(Errc::Conflict, "container name " + quote(spec.name) +
                                          " is already in use by container " +
                                          quote(id.substr(0, 12)))
          .withReason("name_in_use");
    }
  }
  Result<std::vector<PortBinding>> ports = allocatePorts(spec);
  if (!ports) {
    co_return std::move(ports).error().context(context);
  }

  Container fresh;
  fresh.id = ContainerId{newContainerId()};
  fresh.spec = spec;
  fresh.behaviour = scriptFor(spec);
  fresh.hasHealthcheck = spec.healthcheck.has_value() && !spec.healthcheck->test.empty() &&
                         spec.healthcheck->test.front() != "NONE";
  fresh.ports = std::move(ports).value();
  fresh.imageId = std::move(image).value();
  if (!spec.project.empty()) {
    fresh.ipv4 = nextAddress();
  }
  const ContainerId id = fresh.id;
  Container& c = containers.emplace(id.value, std::move(fresh)).first->second;
  runProcess(c, clock.steady());
  settle();
  notify();
  co_return id;
}

asio::awaitable<Result<StopOutcome>> MemoryRuntime::Impl::stop(const ContainerId& id,
                                                               Duration grace) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Stop, id.value));
  co_return co_await stopIncarnation(c->id.value, grace);
}

asio::awaitable<Result<StopOutcome>> MemoryRuntime::Impl::stopIncarnation(std::string incarnation,
                                                                          Duration grace) {
  Container* c = findById(incarnation);
  if (c == nullptr || c->phase == Phase::Stopped) {
    co_return StopOutcome::AlreadyStopped;
  }
  const SteadyTime now = clock.steady();
  const Behaviour& b = c->behaviour;
  if (isKillSignal(c->spec.stopSignal)) {
    exitContainer(*c, kKilledExitCode, now, false);
  } else if (!b.ignoresSigterm && !c->paused) {  // a frozen process cannot act on it
    if (b.shutdownTime <= Duration::zero()) {
      exitContainer(*c, b.sigtermExitCode, now, false);
    } else if (!c->sigtermExitScheduled) {
      c->sigtermExitScheduled = true;
      Action a;
      a.containerId = incarnation;
      a.kind = Action::Kind::Exit;
      a.exitCode = b.sigtermExitCode;
      schedule(addClamped(now, b.shutdownTime), std::move(a));
    }
  }
  std::function<bool()> down = [this, &incarnation] {
    const Container* x = findById(incarnation);
    return x == nullptr || x->phase == Phase::Stopped;
  };
  LS_MEM_RETURN_IF_CANCELLED();
  Result<WaitEnd> waited = co_await waitFor(down, addClamped(now, nonNegative(grace)));
  if (!waited) {
    co_return std::move(waited).error();
  }
  Container* after = findById(incarnation);
  if (after == nullptr) {
    co_return StopOutcome::Stopped;  // removed while we waited
  }
  if (after->phase != Phase::Stopped) {
    exitContainer(*after, kKilledExitCode, clock.steady(), false);
  }
  if (!after->stopEventSent) {
    after->stopEventSent = true;
    publish(RuntimeEvent::Kind::Stop, *after, clock.steady());
  }
  co_return StopOutcome::Stopped;
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::restart(const ContainerId& id, Duration grace) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Restart, id.value));
  const std::string incarnation = c->id.value;
  const std::string context = "restarting container " + quote(c->spec.name);
  const std::string name = c->spec.name;
  LS_MEM_RETURN_IF_CANCELLED();
  Result<StopOutcome> stopped = co_await stopIncarnation(incarnation, grace);
  if (!stopped) {
    co_return std::move(stopped).error().context(context);
  }
  settle();
  Container* after = findById(incarnation);
  if (after == nullptr) {
    co_return Error(Errc::NotFound, "container " + quote(name) + " was removed while it restarted");
  }
  // The ports are published again (a port taken meanwhile fails it, as the engine's start), and
  // the script is looked up again, so a test can make the restarted process behave otherwise.
  Result<std::vector<PortBinding>> ports = allocatePorts(after->spec);
  if (!ports) {
    co_return std::move(ports).error().context(context);
  }
  after->ports = std::move(ports).value();
  after->behaviour = scriptFor(after->spec);
  if (!after->spec.project.empty()) {
    after->ipv4 = nextAddress();
  }
  runProcess(*after, clock.steady());
  settle();
  notify();
  co_return ok();
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::Impl::remove(const std::string& nameOrId) {
  const std::string argument = describe(nameOrId);
  Result<void> entered = co_await enter(Op::Remove, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  Container* c = find(nameOrId);
  if (c == nullptr) {
    co_return RemoveOutcome::AlreadyRemoved;
  }
  destroyContainer(*c, clock.steady());
  co_return RemoveOutcome::Removed;
}

asio::awaitable<Result<ContainerStatus>> MemoryRuntime::Impl::inspect(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::Inspect, id.value));
  co_return statusOf(*c);
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::waitHealthy(const ContainerId& id,
                                                               Duration timeout) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::WaitHealthy, id.value));
  const std::string incarnation = c->id.value;
  const std::string name = c->spec.name;
  const SteadyTime deadline = addClamped(clock.steady(), nonNegative(timeout));
  std::function<bool()> settled = [this, &incarnation] {
    const Container* x = findById(incarnation);
    return x == nullptr || x->phase == Phase::Stopped || isReady(*x);
  };
  LS_MEM_RETURN_IF_CANCELLED();
  Result<WaitEnd> waited = co_await waitFor(settled, deadline);
  if (!waited) {
    co_return std::move(waited).error();
  }
  const Container* after = findById(incarnation);
  if (after == nullptr) {
    co_return Error(Errc::NotFound,
                    "container " + quote(name) + " was removed before it was ready");
  }
  if (isReady(*after)) {
    co_return ok();
  }
  if (after->phase == Phase::Stopped) {
    std::string message =
        "container " + quote(name) +
        (after->oomKilled ? " was killed (out of memory) with code " : " exited with code ") +
        std::to_string(after->exitCode.value_or(-1)) + " before it was ready";
    const std::size_t n = std::min(after->logs.size(), kLastLogLines);
    if (n > 0) {
      message += "; last log lines:";
      for (std::size_t i = after->logs.size() - n; i < after->logs.size(); ++i) {
        std::string line = after->logs[i].bytes;
        if (!line.empty() && line.back() == '\n') {
          line.pop_back();
        }
        message += "\n  " + line;
      }
    }
    co_return Error(Errc::FailedPrecondition, std::move(message)).withReason("exited_before_ready");
  }
  co_return Error(Errc::Timeout, "container " + quote(name) + " was not ready after " +
                                     formatDuration(nonNegative(timeout)) +
                                     " (last state: " + describeState(*after) + ")");
}

// --- ContainerOps --------------------------------------------------------------------------

asio::awaitable<Result<void>> MemoryRuntime::Impl::kill(const ContainerId& id,
                                                        const std::string& signal) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::Kill, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  int number = SIGKILL;
  if (!signal.empty()) {
    Result<Signal> sig = validateSignal(signal);
    if (!sig) {
      co_return std::move(sig).error().context("kill container " + quote(argument));
    }
    number = sig->number;
  }
  LS_CO_ASSIGN_OR_RETURN(auto* c, settledContainer(id.value));
  if (c->phase != Phase::Running) {
    co_return Error(Errc::Conflict,
                    "cannot kill container " + quote(c->spec.name) + ": it is not running");
  }
  deliverSignal(*c, number, clock.steady());
  co_return ok();
}

asio::awaitable<Result<WaitOutcome>> MemoryRuntime::Impl::wait(const ContainerId& id,
                                                               WaitCondition condition) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::Wait, id.value));
  const std::string incarnation = c->id.value;
  const std::uint64_t exitsBefore = c->exits;
  std::function<bool()> done = [this, &incarnation, condition, exitsBefore] {
    const Container* x = findById(incarnation);
    switch (condition) {
      case WaitCondition::NotRunning: return x == nullptr || x->phase == Phase::Stopped;
      case WaitCondition::NextExit: return x == nullptr || x->exits > exitsBefore;
      case WaitCondition::Removed: return x == nullptr;
    }
    return x == nullptr;
  };
  LS_MEM_RETURN_IF_CANCELLED();
  Result<WaitEnd> waited = co_await waitFor(done, SteadyTime::max());
  if (!waited) {
    co_return std::move(waited).error();
  }
  const Container* after = findById(incarnation);
  if (after == nullptr) {
    // As DockerRuntime: a removed container has only its exit code left.
    co_return classifyExit(removedExitCodes.at(incarnation), false, "", std::nullopt);
  }
  co_return classifyExit(after->exitCode.value_or(0), after->oomKilled, "", after->finishedAt);
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::rename(const ContainerId& id,
                                                          const std::string& newName) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::Rename, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  const std::string name = !newName.empty() && newName.front() == '/' ? newName.substr(1) : newName;
  if (!validContainerName(name)) {
    co_return Error(Errc::InvalidArgument, "rename container " + quote(argument) +
                                               ": invalid container name " + quote(newName) +
                                               ": only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed");
  }
  LS_CO_ASSIGN_OR_RETURN(auto* c, settledContainer(id.value));
  if (c->spec.name == name) {
    co_return Error(Errc::InvalidArgument,
                    "rename container " + quote(argument) + ": the new name is its current name");
  }
  for (const auto& [otherId, other] : containers) {
    if (other.spec.name == name) {
      co_return Error(Errc::Conflict, "rename container " + quote(argument) + ": the name " +
                                          quote(name) + " is already in use by container " +
                                          quote(otherId.substr(0, 12)));
    }
  }
  c->spec.name = name;
  notify();
  co_return ok();
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::pause(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Pause, id.value));
  if (c->phase != Phase::Running) {
    co_return Error(Errc::Conflict, "container " + quote(c->spec.name) + " is not running");
  }
  if (c->paused) {
    co_return Error(Errc::Conflict, "container " + quote(c->spec.name) + " is already paused");
  }
  freeze(*c, clock.steady(), false);
  co_return ok();
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::unpause(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Unpause, id.value));
  if (!c->paused) {
    co_return Error(Errc::Conflict, "container " + quote(c->spec.name) + " is not paused");
  }
  thaw(*c, clock.steady());
  co_return ok();
}

asio::awaitable<Result<ContainerDetails>> MemoryRuntime::Impl::inspectDetailed(
    const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::InspectDetailed, id.value));
  ContainerDetails d;
  d.status = statusOf(*c);
  d.name = c->spec.name;
  if (const auto* pull = std::get_if<PullImage>(&c->spec.image)) {
    d.image = pull->reference;
  } else {
    d.image = std::get<BuildImage>(c->spec.image).tag;
  }
  d.ports = portMappingsOf(*c);
  if (!c->spec.project.empty()) {
    NetworkAttachment net;
    net.network = projectNetworkName(c->spec.project);
    if (!c->spec.resource.empty()) {
      net.aliases.push_back(c->spec.resource);
    }
    net.ipv4 = c->ipv4;
    d.networks.push_back(std::move(net));
  }
  if (c->hasHealthcheck) {
    d.health.status = std::string(healthName(c->health));
    if (c->health == Health::Unhealthy) {
      d.health.failingStreak = std::max(c->spec.healthcheck->retries, 1);
    }
  }
  if (c->phase == Phase::Running) {
    d.pid = c->pid;
  }
  d.labels = c->spec.labels;
  d.labels[kLabelProject] = c->spec.project;
  d.labels[kLabelResource] = c->spec.resource;
  d.labels[kLabelConfigHash] = configHash(c->spec);
  co_return d;
}

asio::awaitable<Result<PruneReport>> MemoryRuntime::Impl::pruneContainers() {
  Result<void> entered = co_await enter(Op::PruneContainers, "");
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  PruneReport report;
  std::vector<std::string> stopped;
  for (const auto& [id, c] : containers) {
    if (c.phase == Phase::Stopped) {
      stopped.push_back(id);
    }
  }
  for (const auto& id : stopped) {
    if (Container* c = findById(id)) {
      destroyContainer(*c, clock.steady());
      report.deleted.push_back(id);
    }
  }
  co_return report;
}

asio::awaitable<Result<std::vector<ManagedContainer>>> MemoryRuntime::Impl::listManaged(
    const std::string& project) {
  Result<void> entered = co_await enter(Op::ListManaged, project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  std::vector<ManagedContainer> out;
  for (const auto& [id, c] : containers) {
    if (c.spec.project != project) {
      continue;
    }
    ManagedContainer m;
    m.id = c.id;
    m.name = c.spec.name;
    m.resource = c.spec.resource;
    m.configHash = configHash(c.spec);
    if (const auto* pull = std::get_if<PullImage>(&c.spec.image)) {
      m.image = pull->reference;
    } else {
      m.image = std::get<BuildImage>(c.spec.image).tag;
    }
    for (const auto& v : c.spec.volumes) {
      if (v.kind == VolumeBinding::Kind::Named) {
        m.namedVolumes.push_back(v.source);
      }
    }
    m.status = statusOf(c);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const ManagedContainer& a, const ManagedContainer& b) {
    return std::tie(a.resource, a.name) < std::tie(b.resource, b.name);
  });
  co_return std::move(out);
}

}  // namespace ls::runtime
