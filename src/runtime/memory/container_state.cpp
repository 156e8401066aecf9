// MemoryRuntime: a container's transitions (its process run from its script, running, health,
// logs, exit, removal, freeze and thaw, signals), and how its state reads (status, readiness,
// the behaviour scripted for it).
#include <algorithm>
#include <csignal>
#include <utility>

#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

namespace {

Error noSuchContainer(const std::string& nameOrId) {
  return Error(Errc::NotFound, "no such container " + quote(nameOrId));
}

}  // namespace

MemoryRuntime::Impl::Container* MemoryRuntime::Impl::find(const std::string& nameOrId) {
  if (Container* c = findById(nameOrId)) {
    return c;
  }
  for (auto& [id, c] : containers) {
    if (c.spec.name == nameOrId) {
      return &c;
    }
  }
  return nullptr;
}

std::string MemoryRuntime::Impl::describe(const std::string& nameOrId) {
  const Container* c = find(nameOrId);
  return c != nullptr ? c->spec.name : nameOrId;
}

Result<MemoryRuntime::Impl::Container*> MemoryRuntime::Impl::settledContainer(
    const std::string& nameOrId) {
  settle();
  Container* c = find(nameOrId);
  if (c == nullptr) {
    return noSuchContainer(nameOrId);
  }
  return c;
}

void MemoryRuntime::Impl::appendLog(Container& c, LogChunk::Stream stream, const std::string& line,
                                    SteadyTime at) {
  LogChunk chunk;
  chunk.stream = stream;
  chunk.timestamp = systemAt(at);
  chunk.bytes = line + "\n";
  c.logs.push_back(std::move(chunk));
  notify();
}

void MemoryRuntime::Impl::setHealthOf(Container& c, Health h, SteadyTime at) {
  if (c.health == h) {
    return;
  }
  c.health = h;
  publish(RuntimeEvent::Kind::HealthStatus, c, at, std::nullopt, std::string(healthName(h)));
}

void MemoryRuntime::Impl::markRunning(Container& c, SteadyTime at) {
  c.phase = Phase::Running;
  c.startedAt = systemAt(at);
  c.pid = nextPid++;
  publish(RuntimeEvent::Kind::Start, c, at);
}

void MemoryRuntime::Impl::runProcess(Container& c, SteadyTime now) {
  const Behaviour& b = c.behaviour;
  const std::string id = c.id.value;
  // A restart starts a fresh process: health probes from scratch, as the engine does.
  c.createdSteady = now;
  c.health = Health::Starting;
  c.oomKilled = false;
  c.stopEventSent = false;
  auto at = [now](Duration d) { return addClamped(now, nonNegative(d)); };
  auto action = [&id](Action::Kind kind) {
    Action a;
    a.containerId = id;
    a.kind = kind;
    return a;
  };

  if (b.runningAfter && *b.runningAfter > Duration::zero()) {
    c.phase = Phase::Starting;
    schedule(at(*b.runningAfter), action(Action::Kind::Running));
  } else {
    markRunning(c, now);
  }
  if (c.hasHealthcheck) {
    auto health = [&](Health h) {
      Action a = action(Action::Kind::SetHealth);
      a.health = h;
      return a;
    };
    if (b.healthyAfter) {
      schedule(at(*b.healthyAfter), health(Health::Healthy));
    }
    if (b.unhealthyAt) {
      schedule(at(*b.unhealthyAt), health(Health::Unhealthy));
    }
    if (b.failHealthAfter) {
      const HealthcheckSpec& hc = *c.spec.healthcheck;
      const Duration probes = nonNegative(hc.interval) * std::max(hc.retries, 1);
      schedule(at(nonNegative(*b.failHealthAfter) + probes), health(Health::Unhealthy));
    }
  }
  for (const auto& log : b.logs) {
    Action a = action(Action::Kind::Log);
    a.line = log.line;
    a.stream = log.stream;
    schedule(at(log.at), std::move(a));
  }
  if (b.exit) {
    Action a = action(Action::Kind::Exit);
    a.exitCode = b.exit->code;
    a.lastLines = b.exit->lastLines;
    schedule(at(b.exit->after), std::move(a));
  }
  if (b.oomAt) {
    schedule(at(*b.oomAt), action(Action::Kind::Oom));
  }
}

void MemoryRuntime::Impl::exitContainer(Container& c, int code, SteadyTime at, bool oom) {
  c.phase = Phase::Stopped;
  c.exitCode = code;
  c.oomKilled = oom;
  c.finishedAt = systemAt(at);
  c.ports.clear();
  c.sigtermExitScheduled = false;
  c.pid = 0;
  c.ipv4.clear();
  c.paused = false;
  c.stoppedBySignal = false;
  c.pendingSignal.reset();
  ++c.exits;
  purgeActions(c.id.value);
  if (oom) {
    publish(RuntimeEvent::Kind::Oom, c, at);
  }
  publish(RuntimeEvent::Kind::Die, c, at, code);
}

void MemoryRuntime::Impl::destroyContainer(Container& c, SteadyTime at) {
  if (c.phase != Phase::Stopped) {
    exitContainer(c, kKilledExitCode, at, false);
  }
  publish(RuntimeEvent::Kind::Destroy, c, at);
  const std::string id = c.id.value;
  purgeActions(id);
  removedExitCodes[id] = c.exitCode.value_or(kKilledExitCode);
  containers.erase(id);
  notify();
}

void MemoryRuntime::Impl::freeze(Container& c, SteadyTime at, bool bySignal) {
  c.paused = true;
  c.stoppedBySignal = bySignal;
  c.pausedAt = at;
  notify();
}

void MemoryRuntime::Impl::thaw(Container& c, SteadyTime at) {
  const Duration frozenFor = at - c.pausedAt;
  std::vector<std::pair<SteadyTime, Action>> moved;
  for (auto it = agenda.begin(); it != agenda.end();) {
    if (it->second.containerId == c.id.value) {
      moved.emplace_back(addClamped(it->first, frozenFor), std::move(it->second));
      it = agenda.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [when, action] : moved) {
    agenda.emplace(when, std::move(action));
  }
  c.paused = false;
  c.stoppedBySignal = false;
  const std::optional<int> pending = std::exchange(c.pendingSignal, std::nullopt);
  notify();
  if (pending) {
    deliverSignal(c, *pending, at);
  }
}

void MemoryRuntime::Impl::deliverSignal(Container& c, int signal, SteadyTime at) {
  if (signal == SIGCHLD || signal == SIGWINCH || signal == SIGURG) {
    return;
  }
  if (signal == SIGCONT) {
    if (c.paused && c.stoppedBySignal) {
      thaw(c, at);
    }
    return;
  }
  if (signal == SIGSTOP) {
    if (!c.paused) {
      freeze(c, at, true);
    }
    return;
  }
  if (signal == SIGKILL) {
    exitContainer(c, kKilledExitCode, at, false);
    return;
  }
  if (c.paused) {
    c.pendingSignal = signal;  // delivered when thawed
    return;
  }
  if (signal == SIGTERM && c.behaviour.ignoresSigterm) {
    return;
  }
  exitContainer(c, 128 + signal, at, false);
}

bool MemoryRuntime::Impl::isReady(const Container& c) {
  if (c.phase != Phase::Running || c.paused) {
    return false;
  }
  return !c.hasHealthcheck || c.health == Health::Healthy;
}

std::string MemoryRuntime::Impl::describeState(const Container& c) {
  switch (c.phase) {
    case Phase::Starting: return "starting";
    case Phase::Stopped: return "exited";
    case Phase::Running: break;
  }
  if (c.paused) {
    return "paused";
  }
  if (!c.hasHealthcheck) {
    return "running";
  }
  return "running, health " + std::string(healthName(c.health));
}

ContainerStatus MemoryRuntime::Impl::statusOf(const Container& c) {
  ContainerStatus s;
  s.hasHealthcheck = c.hasHealthcheck;
  s.startedAt = c.startedAt;
  s.finishedAt = c.finishedAt;
  s.ports = c.ports;
  if (!c.ipv4.empty()) {
    s.addresses.emplace(projectNetworkName(c.spec.project), c.ipv4);
  }
  switch (c.phase) {
    case Phase::Starting: s.state = ContainerState::Starting; break;
    case Phase::Stopped:
      s.state = ContainerState::Stopped;
      s.exitCode = c.exitCode;
      s.oomKilled = c.oomKilled;
      break;
    case Phase::Running:
      s.state = ContainerState::Running;
      if (c.paused) {
        s.state = ContainerState::Starting;  // as the engine's paused: not running for now
        s.paused = true;
      } else if (c.hasHealthcheck && c.health == Health::Healthy) {
        s.state = ContainerState::Healthy;
      } else if (c.hasHealthcheck && c.health == Health::Unhealthy) {
        s.state = ContainerState::Unhealthy;
      }
      break;
  }
  return s;
}

Behaviour MemoryRuntime::Impl::scriptFor(const ContainerSpec& spec) const {
  if (auto it = scripts.find(spec.name); it != scripts.end()) {
    return it->second;
  }
  if (auto it = scripts.find(spec.resource); it != scripts.end()) {
    return it->second;
  }
  return Behaviour{};
}

}  // namespace ls::runtime
