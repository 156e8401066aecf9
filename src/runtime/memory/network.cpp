// MemoryRuntime: the project networks, and the host ports containers publish.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <tuple>

#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

namespace {

bool addressesOverlap(const std::string& a, const std::string& b) {
  auto wildcard = [](const std::string& s) { return s == "0.0.0.0" || s == "::"; };
  return a == b || wildcard(a) || wildcard(b);
}

}  // namespace

std::optional<std::string> MemoryRuntime::Impl::portHolder(const std::string& address,
                                                           std::uint16_t port,
                                                           Protocol protocol) const {
  for (const auto& [id, c] : containers) {
    if (c.phase == Phase::Stopped) {
      continue;
    }
    for (const auto& p : c.ports) {
      if (p.hostPort == port && p.protocol == protocol &&
          addressesOverlap(p.hostAddress, address)) {
        return c.spec.name;
      }
    }
  }
  return std::nullopt;
}

Result<std::vector<PortBinding>> MemoryRuntime::Impl::allocatePorts(const ContainerSpec& spec) {
  std::vector<PortBinding> out = spec.ports;
  for (auto& p : out) {
    if (p.hostAddress.empty()) {
      p.hostAddress = "127.0.0.1";
    }
  }
  auto clashesWithin = [&out](std::size_t upTo, const std::string& address, std::uint16_t port,
                              Protocol protocol) {
    for (std::size_t j = 0; j < upTo; ++j) {
      if (out[j].hostPort == port && out[j].protocol == protocol &&
          addressesOverlap(out[j].hostAddress, address)) {
        return true;
      }
    }
    return false;
  };
  const std::string who = spec.resource.empty() ? spec.name : spec.resource;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const PortBinding& p = out[i];
    if (!p.hostPort) {
      continue;
    }
    std::optional<std::string> holder = portHolder(p.hostAddress, *p.hostPort, p.protocol);
    if (!holder && clashesWithin(i, p.hostAddress, *p.hostPort, p.protocol)) {
      holder = spec.name;
    }
    if (holder) {
      return Error(Errc::Conflict, "cannot publish port " + std::to_string(p.containerPort) +
                                       " of resource " + quote(who) + ": bind for " +
                                       p.hostAddress + ":" + std::to_string(*p.hostPort) +
                                       " failed: port is already allocated (held by " +
                                       quote(*holder) + ")")
          .withReason("port_allocated");
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    PortBinding& p = out[i];
    if (p.hostPort) {
      continue;
    }
    constexpr int kRange = kLastEphemeralPort - kFirstEphemeralPort + 1;
    for (int tries = 0; tries < kRange && !p.hostPort; ++tries) {
      const std::uint16_t candidate = nextEphemeralPort;
      nextEphemeralPort = candidate == kLastEphemeralPort
                              ? kFirstEphemeralPort
                              : static_cast<std::uint16_t>(candidate + 1);
      if (!portHolder(p.hostAddress, candidate, p.protocol) &&
          !clashesWithin(out.size(), p.hostAddress, candidate, p.protocol)) {
        p.hostPort = candidate;
      }
    }
    if (!p.hostPort) {
      return Error(Errc::Conflict, "no free host port for port " + std::to_string(p.containerPort) +
                                       " of resource " + quote(who))
          .withReason("port_allocated");
    }
  }
  return out;
}

std::optional<Result<NetworkOutcome>> MemoryRuntime::Impl::existingNetwork(
    const std::string& name, const std::string& project) const {
  auto it = networks.find(name);
  if (it == networks.end()) {
    return std::nullopt;
  }
  auto label = it->second.find(kLabelProject);
  if (label != it->second.end() && label->second == project) {
    return Result<NetworkOutcome>(NetworkOutcome::AlreadyExisted);
  }
  return Result<NetworkOutcome>(
      Error(Errc::FailedPrecondition, "network " + quote(name) +
                                          " exists but is not owned by project " + quote(project) +
                                          " (left untouched)")
          .withReason("foreign_network"));
}

std::vector<PortMapping> MemoryRuntime::Impl::portMappingsOf(const Container& c) {
  std::vector<PortMapping> out;
  for (const auto& p : c.ports) {
    PortMapping m;
    m.containerPort = p.containerPort;
    m.protocol = p.protocol;
    m.hostIp = p.hostAddress;
    m.hostPort = p.hostPort;
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const PortMapping& a, const PortMapping& b) {
    return std::tie(a.containerPort, a.protocol, a.hostIp) <
           std::tie(b.containerPort, b.protocol, b.hostIp);
  });
  return out;
}

asio::awaitable<Result<std::vector<PortMapping>>> MemoryRuntime::Impl::portMappings(
    const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::PortMappings, id.value));
  co_return portMappingsOf(*c);
}

asio::awaitable<Result<NetworkOutcome>> MemoryRuntime::Impl::ensureNetwork(
    const std::string& project) {
  Result<void> entered = co_await enter(Op::EnsureNetwork, project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  if (project.empty()) {
    co_return Error(Errc::InvalidArgument, "project name is empty");
  }
  const std::string name = projectNetworkName(project);
  if (auto existing = existingNetwork(name, project)) {
    co_return std::move(*existing);
  }
  // The engine round-trip between the lookup and the create: concurrent callers race here, as
  // they do against the engine.
  LS_MEM_RETURN_IF_CANCELLED();
  co_await asio::post(ex, asio::use_awaitable);
  LS_MEM_RETURN_IF_CANCELLED();
  if (auto raced = existingNetwork(name, project)) {
    co_return std::move(*raced);
  }
  networks[name] = {{kLabelProject, project}};
  notify();
  co_return NetworkOutcome::Created;
}

asio::awaitable<Result<RemoveOutcome>> MemoryRuntime::Impl::teardownNetwork(
    const std::string& project) {
  Result<void> entered = co_await enter(Op::TeardownNetwork, project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  const std::string name = projectNetworkName(project);
  auto it = networks.find(name);
  if (it == networks.end()) {
    co_return RemoveOutcome::AlreadyRemoved;
  }
  auto label = it->second.find(kLabelProject);
  if (label == it->second.end() || label->second != project) {
    co_return Error(Errc::FailedPrecondition, "network " + quote(name) +
                                                  " is not owned by project " + quote(project) +
                                                  " (left untouched)")
        .withReason("foreign_network");
  }
  std::string attached;
  for (const auto& [id, c] : containers) {
    if (c.spec.project == project && c.phase != Phase::Stopped) {
      attached += (attached.empty() ? "" : ", ") + quote(c.spec.name);
    }
  }
  if (!attached.empty()) {
    co_return Error(Errc::FailedPrecondition,
                    "network " + quote(name) + " still has containers attached: " + attached)
        .withReason("network_in_use");
  }
  networks.erase(it);
  notify();
  co_return RemoveOutcome::Removed;
}

}  // namespace ls::runtime
