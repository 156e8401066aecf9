// `lightshuttle ps`: the project's containers as the engine reports them, found by label.
#include <fmt/core.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "cli/commands.hpp"
#include "cli/session.hpp"

namespace ls::cli {
namespace {

std::string stateText(const runtime::ContainerStatus& st) {
  switch (st.state) {
    case runtime::ContainerState::Stopped:
      return st.exitCode ? fmt::format("exited ({})", *st.exitCode) : "exited";
    case runtime::ContainerState::Healthy:
    case runtime::ContainerState::Unhealthy:
      return "running";
    default:
      return std::string(runtime::containerStateName(st.state));
  }
}

std::string healthText(const runtime::ContainerStatus& st) {
  if (!st.hasHealthcheck) {
    return "";
  }
  switch (st.state) {
    case runtime::ContainerState::Healthy: return "healthy";
    case runtime::ContainerState::Unhealthy: return "unhealthy";
    case runtime::ContainerState::Running: return "starting";
    default: return "";
  }
}

std::string portsText(const runtime::ContainerStatus& st) {
  std::string out;
  for (const auto& p : st.ports) {
    if (!p.hostPort) {
      continue;
    }
    if (!out.empty()) {
      out += ", ";
    }
    const bool v6 = p.hostAddress.find(':') != std::string::npos;
    out += fmt::format("{}{}{}:{}->{}/{}", v6 ? "[" : "", p.hostAddress, v6 ? "]" : "", *p.hostPort,
                       p.containerPort, p.protocol == runtime::Protocol::Udp ? "udp" : "tcp");
  }
  return out;
}

}  // namespace

int runPs(const PsOptions& options) {
  int exitCode = kExitOk;
  std::optional<ProjectContainers> found = openProject(options.project, options.file, exitCode);
  if (!found) {
    return exitCode;
  }
  const std::string& project = found->project;
  std::vector<runtime::ManagedContainer> rows;
  for (auto& c : found->containers) {
    if (options.all || c.status.state != runtime::ContainerState::Stopped) {
      rows.push_back(std::move(c));
    }
  }
  if (options.format == "json") {
    boost::json::array arr;
    for (const auto& c : rows) {
      boost::json::object o;
      o["resource"] = c.resource;
      o["name"] = c.name;
      o["container_id"] = c.id.value;
      o["image"] = c.image;
      o["state"] = std::string(runtime::containerStateName(c.status.state));
      o["health"] = healthText(c.status);
      if (c.status.exitCode) {
        o["exit_code"] = *c.status.exitCode;
      } else {
        o["exit_code"] = nullptr;
      }
      boost::json::array ports;
      for (const auto& p : c.status.ports) {
        boost::json::object po;
        po["container_port"] = p.containerPort;
        po["protocol"] = p.protocol == runtime::Protocol::Udp ? "udp" : "tcp";
        po["host_address"] = p.hostAddress;
        if (p.hostPort) {
          po["host_port"] = *p.hostPort;
        } else {
          po["host_port"] = nullptr;
        }
        ports.push_back(std::move(po));
      }
      o["ports"] = std::move(ports);
      if (c.status.startedAt) {
        o["started_at"] = std::chrono::duration_cast<std::chrono::seconds>(
                              c.status.startedAt->time_since_epoch())
                              .count();
      }
      arr.push_back(std::move(o));
    }
    fmt::print("{}\n", boost::json::serialize(arr));
    return kExitOk;
  }
  if (rows.empty()) {
    fmt::print(stderr, "no {}containers for project '{}'\n", options.all ? "" : "running ", project);
    return kExitOk;
  }
  std::size_t wRes = 8;
  std::size_t wState = 6;
  std::size_t wImage = 5;
  for (const auto& c : rows) {
    wRes = std::max(wRes, c.resource.size());
    wState = std::max(wState, stateText(c.status).size());
    wImage = std::max(wImage, c.image.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<9}  {:<{}}  {}\n", "RESOURCE", wRes, "STATE", wState, "HEALTH",
             "IMAGE", wImage, "PORTS");
  for (const auto& c : rows) {
    fmt::print("{:<{}}  {:<{}}  {:<9}  {:<{}}  {}\n", c.resource, wRes, stateText(c.status), wState,
               healthText(c.status), c.image, wImage, portsText(c.status));
  }
  return kExitOk;
}

}  // namespace ls::cli
