// `lightshuttle ps`: the project's resources. With a live supervisor, its view (status as
// supervision sees it, restarts, last error); otherwise the containers the engine has with the
// project's label.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/control/codec.hpp"

namespace ls::cli {
namespace {

std::string stateText(const runtime::ContainerStatus& st) {
  switch (st.state) {
    case runtime::ContainerState::Stopped:
      return st.exitCode ? fmt::format("exited ({})", *st.exitCode) : "exited";
    case runtime::ContainerState::Healthy:
    case runtime::ContainerState::Unhealthy: return "running";
    default: return std::string(runtime::containerStateName(st.state));
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

std::string portsText(const std::vector<runtime::PortBinding>& ports) {
  std::string out;
  for (const auto& p : ports) {
    if (!p.hostPort) {
      continue;
    }
    if (!out.empty()) {
      out += ", ";
    }
    const bool v6 = p.hostAddress.find(':') != std::string::npos;
    out += fmt::format("{}{}{}:{}->{}/{}", v6 ? "[" : "", p.hostAddress, v6 ? "]" : "", *p.hostPort,
                       p.containerPort, runtime::protocolName(p.protocol));
  }
  return out;
}

/// The engine's view of a container, in the shape the supervisor reports (one codec for both).
lifecycle::ResourceView viewOf(const runtime::ManagedContainer& c) {
  lifecycle::ResourceView v;
  v.name = c.resource.empty() ? c.name : c.resource;
  v.image = c.image;
  v.containerId = c.id.value;
  v.containerName = c.name;
  v.ports = c.status.ports;
  v.startedAt = c.status.startedAt;
  v.exitCode = c.status.exitCode;
  using S = runtime::ContainerState;
  switch (c.status.state) {
    case S::Starting: v.status = lifecycle::ResourceStatus::Starting; break;
    case S::Running:
    case S::Healthy:
    case S::Unhealthy: v.status = lifecycle::ResourceStatus::Running; break;
    case S::Stopped:
      v.status = c.status.exitCode.value_or(0) == 0 ? lifecycle::ResourceStatus::Completed
                                                    : lifecycle::ResourceStatus::Exited;
      break;
  }
  if (c.status.hasHealthcheck) {
    v.health = c.status.state == S::Healthy     ? lifecycle::Health::Healthy
               : c.status.state == S::Unhealthy ? lifecycle::Health::Unhealthy
               : c.status.state == S::Stopped   ? lifecycle::Health::None
                                                : lifecycle::Health::Starting;
  }
  return v;
}

/// Resources without a container of theirs are listed only with -a (failed ones always).
bool shownWithoutAll(lifecycle::ResourceStatus s) {
  using S = lifecycle::ResourceStatus;
  return s != S::Pending && s != S::Stopped && s != S::Completed && s != S::Exited;
}

int printSupervised(const std::vector<SupervisedResource>& all, const PsOptions& options,
                    const std::string& project) {
  std::vector<const SupervisedResource*> rows;
  for (const auto& r : all) {
    if (options.all || shownWithoutAll(r.view.status)) {
      rows.push_back(&r);
    }
  }
  auto health = [](const lifecycle::ResourceView& v) {
    return v.health == lifecycle::Health::None ? std::string()
                                               : std::string(lifecycle::healthName(v.health));
  };
  auto status = [](const lifecycle::ResourceView& v) {
    std::string text(lifecycle::statusName(v.status));
    if ((v.status == lifecycle::ResourceStatus::Exited ||
         v.status == lifecycle::ResourceStatus::Failed) &&
        v.exitCode) {
      text += fmt::format(" ({})", *v.exitCode);
    }
    return text;
  };
  if (options.format == "json") {
    std::vector<lifecycle::ResourceView> views;
    for (const auto* r : rows) {
      views.push_back(r->view);
    }
    fmt::print("{}\n", control::encodeViewsTagged(views, "supervised", true));
    return kExitOk;
  }
  if (rows.empty()) {
    fmt::print(stderr, "no {}resources for project '{}'\n", options.all ? "" : "running ", project);
    return kExitOk;
  }
  std::size_t wRes = 8;
  std::size_t wState = 6;
  std::size_t wImage = 5;
  for (const auto* r : rows) {
    wRes = std::max(wRes, r->view.name.size());
    wState = std::max(wState, status(r->view).size());
    wImage = std::max(wImage, r->view.image.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<9}  {:<8}  {:<{}}  {}\n", "RESOURCE", wRes, "STATE", wState,
             "HEALTH", "RESTARTS", "IMAGE", wImage, "PORTS");
  for (const auto* r : rows) {
    const auto& v = r->view;
    fmt::print("{:<{}}  {:<{}}  {:<9}  {:<8}  {:<{}}  {}\n", v.name, wRes, status(v), wState,
               health(v), v.restarts, v.image, wImage, portsText(v.ports));
  }
  for (const auto* r : rows) {
    if (r->view.lastError && (r->view.status == lifecycle::ResourceStatus::Failed ||
                              r->view.status == lifecycle::ResourceStatus::Restarting)) {
      fmt::print(stderr, "{}: {}\n", r->view.name, *r->view.lastError);
    }
  }
  return kExitOk;
}

}  // namespace

int runPs(const PsOptions& options) {
  int exitCode = kExitOk;
  std::optional<std::string> name = resolveProject(options.project, options.file, exitCode);
  if (!name) {
    return exitCode;
  }
  if (std::optional<SupervisorRecord> sup = findSupervisor(*name)) {
    auto listed = supervisorList(*sup);
    if (listed) {
      // An engine outage: said first (stderr, so the table and the JSON stay as they are).
      if (auto stack = supervisorStack(*sup); stack && !stack->engineAvailable) {
        fmt::print(stderr,
                   "engine unavailable{}: nothing is restarted until it answers; the stack is "
                   "then brought back\n",
                   stack->engineUnavailableSince
                       ? " since " + control::formatTime(*stack->engineUnavailableSince)
                       : std::string());
      }
      return printSupervised(*listed, options, *name);
    }
    fmt::print(stderr, "warning: {}; showing the engine's view\n", listed.error().what());
  }
  std::optional<ProjectContainers> found = openProject(*name, options.file, exitCode);
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
    std::vector<lifecycle::ResourceView> views;
    for (const auto& c : rows) {
      views.push_back(viewOf(c));
    }
    fmt::print("{}\n", control::encodeViewsTagged(views, "supervised", false));
    return kExitOk;
  }
  if (rows.empty()) {
    fmt::print(stderr, "no {}containers for project '{}'\n", options.all ? "" : "running ",
               project);
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
               healthText(c.status), c.image, wImage, portsText(c.status.ports));
  }
  return kExitOk;
}

void registerPs(Registrar& r) {
  auto o = std::make_shared<PsOptions>();
  auto* cmd = projectVerb(
      r, "ps", "List the project's resources (the supervisor's view, else the engine's)", o, runPs);
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-a,--all", o->all, "Show stopped, completed and pending resources too");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle ps\n"
      "  lightshuttle ps -a --format json\n"
      "  lightshuttle ps -p basic\n");
}

}  // namespace ls::cli
