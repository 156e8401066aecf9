#include "runtime/docker/spec_mapping.hpp"

#include <algorithm>

#include "lightshuttle/runtime/docker_runtime.hpp"

namespace ls::runtime::detail {
namespace {

std::chrono::system_clock::time_point toSys(const engine::Timestamp& t) {
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(t);
}

}  // namespace

std::string imageReference(const ContainerSpec& spec) {
  if (const auto* pull = std::get_if<PullImage>(&spec.image)) {
    return pull->reference;
  }
  return std::get<BuildImage>(spec.image).tag;
}

std::string effectiveStopSignal(const std::string& signal) {
  return signal.empty() ? "SIGTERM" : signal;
}

engine::ContainerCreate toContainerCreate(const ContainerSpec& spec) {
  engine::ContainerCreate c;
  c.image = imageReference(spec);
  if (spec.command) {
    c.cmd = *spec.command;
  }
  c.entrypoint = spec.entrypoint;
  for (const auto& [k, v] : spec.env) {
    c.env.push_back(k + "=" + v);
  }
  c.labels = spec.labels;
  c.labels[kLabelProject] = spec.project;
  c.labels[kLabelResource] = spec.resource;
  c.labels[kLabelConfigHash] = runtime::configHash(spec);
  c.workingDir = spec.workingDir.value_or("");
  c.stopSignal = spec.stopSignal;
  // The engine's StopTimeout is whole seconds; stop() honours sub-second graces itself.
  const auto graceMs = std::chrono::duration_cast<std::chrono::milliseconds>(spec.stopGracePeriod);
  c.stopTimeoutSeconds = static_cast<int>((graceMs.count() + 999) / 1000);
  if (spec.healthcheck) {
    const auto& h = *spec.healthcheck;
    c.healthcheck = engine::HealthConfig{.test = h.test,
                                         .interval = h.interval,
                                         .timeout = h.timeout,
                                         .startPeriod = h.startPeriod,
                                         .retries = h.retries};
  }
  for (const auto& p : spec.ports) {
    engine::PortPublish pub;
    pub.containerPort = p.containerPort;
    pub.protocol = protocolName(p.protocol);
    pub.hostIp = p.hostAddress.empty() ? "127.0.0.1" : p.hostAddress;
    if (!pub.hostIp.empty() && pub.hostIp.front() == '[' && pub.hostIp.back() == ']') {
      pub.hostIp = pub.hostIp.substr(1, pub.hostIp.size() - 2);
    }
    pub.hostPort = p.hostPort ? std::to_string(*p.hostPort) : "";
    c.ports.push_back(std::move(pub));
  }
  for (const auto& v : spec.volumes) {
    if (v.kind == VolumeBinding::Kind::Anonymous) {
      c.anonymousVolumes.push_back(v.target);
    } else {
      c.binds.push_back(v.source + ":" + v.target + (v.readOnly ? ":ro" : ""));
    }
  }
  c.networkMode = projectNetworkName(spec.project);
  c.networkAliases = {spec.resource};
  c.hostname = spec.resource;
  return c;
}

ContainerStatus toStatus(const engine::ContainerInfo& info) {
  ContainerStatus s;
  const auto& st = info.state;
  s.hasHealthcheck = info.hasHealthcheck || !st.health.empty();
  s.oomKilled = st.oomKilled;
  s.paused = st.paused;
  if (st.startedAt) {
    s.startedAt = toSys(*st.startedAt);
  }
  if (st.finishedAt) {
    s.finishedAt = toSys(*st.finishedAt);
  }
  if (st.running && !st.restarting && !st.paused) {
    if (st.health == "healthy") {
      s.state = ContainerState::Healthy;
    } else if (st.health == "unhealthy") {
      s.state = ContainerState::Unhealthy;
    } else {
      s.state = ContainerState::Running;
    }
  } else if (st.status == "exited" || st.status == "dead" || st.dead) {
    s.state = ContainerState::Stopped;
    s.exitCode = st.exitCode;
  } else {
    s.state = ContainerState::Starting;
  }
  for (const auto& p : info.ports) {
    PortBinding b;
    b.containerPort = p.containerPort;
    b.hostAddress = p.hostIp;
    if (p.hostPort != 0) {
      b.hostPort = p.hostPort;
    }
    b.protocol = p.protocol == "udp"    ? Protocol::Udp
                 : p.protocol == "sctp" ? Protocol::Sctp
                                        : Protocol::Tcp;
    s.ports.push_back(std::move(b));
  }
  for (const auto& [name, attachment] : info.networks) {
    if (!attachment.ipAddress.empty()) {
      s.addresses.emplace(name, attachment.ipAddress);
    }
  }
  return s;
}

}  // namespace ls::runtime::detail

namespace ls::runtime {

engine::ContainerCreate containerCreateFor(const ContainerSpec& spec) {
  return detail::toContainerCreate(spec);
}

}  // namespace ls::runtime
