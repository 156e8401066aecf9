#include "cli/container_lookup.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "cli/commands.hpp"

namespace ls::cli {

std::optional<StackContainers> openStackContainers(const std::string& projectFlag,
                                                   const std::string& file, int& exitCode) {
  StackContainers out;
  std::string project = projectFlag;
  if (project.empty() || !file.empty()) {
    std::optional<manifest::ParseReport> report =
        loadManifestForCommand(file, exitCode, /*showWarnings=*/false);
    if (!report) {
      return std::nullopt;
    }
    if (!report->manifest) {
      exitCode = kExitUsage;
      return std::nullopt;
    }
    for (const auto& r : report->manifest->resources) {
      out.declared.push_back(r.name);
    }
    if (project.empty()) {
      project = report->manifest->project.name;
    }
  }
  std::optional<ProjectContainers> found = openProject(project, "", exitCode);
  if (!found) {
    return std::nullopt;
  }
  out.stack = std::move(*found);
  return out;
}

bool isUp(const runtime::ManagedContainer& c) {
  const auto s = c.status.state;
  return !c.status.paused &&
         (s == runtime::ContainerState::Running || s == runtime::ContainerState::Healthy ||
          s == runtime::ContainerState::Unhealthy);
}

const runtime::ManagedContainer* findContainer(const StackContainers& targets,
                                               const std::string& resource, bool mustRun) {
  const std::string& project = targets.stack.project;
  const bool declared = std::find(targets.declared.begin(), targets.declared.end(), resource) !=
                        targets.declared.end();
  const runtime::ManagedContainer* found = nullptr;
  for (const auto& c : targets.stack.containers) {
    if (c.resource == resource) {
      found = &c;
    }
  }
  if (found == nullptr && !targets.declared.empty() && !declared) {
    std::string names;
    for (const auto& n : targets.declared) {
      names += names.empty() ? n : ", " + n;
    }
    fmt::print(stderr, "error: unknown resource '{}' in project '{}' (its resources: {})\n",
               resource, project, names);
    return nullptr;
  }
  if (found == nullptr) {
    fmt::print(stderr,
               "error: resource '{}' of project '{}' has no container; start it with `lightshuttle "
               "up`\n",
               resource, project);
    return nullptr;
  }
  if (mustRun && !isUp(*found)) {
    const char* state = found->status.paused                                      ? "paused"
                        : found->status.state == runtime::ContainerState::Stopped ? "stopped"
                                                                                  : "not started";
    fmt::print(stderr,
               "error: resource '{}' of project '{}' is not running ({}); start it with "
               "`lightshuttle up`\n",
               resource, project, state);
    return nullptr;
  }
  return found;
}

std::optional<std::vector<runtime::ManagedContainer>> runningContainers(
    const StackContainers& targets, const std::vector<std::string>& resources) {
  std::vector<runtime::ManagedContainer> out;
  if (resources.empty()) {
    for (const auto& c : targets.stack.containers) {
      if (isUp(c)) {
        out.push_back(c);
      }
    }
    return out;
  }
  for (const auto& r : resources) {
    const runtime::ManagedContainer* c = findContainer(targets, r, /*mustRun=*/true);
    if (c == nullptr) {
      return std::nullopt;
    }
    if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.id == c->id; })) {
      out.push_back(*c);
    }
  }
  return out;
}

std::optional<RunningSelection> openRunning(const std::string& projectFlag, const std::string& file,
                                            const std::vector<std::string>& resources,
                                            int& exitCode) {
  std::optional<StackContainers> stack = openStackContainers(projectFlag, file, exitCode);
  if (!stack) {
    return std::nullopt;
  }
  std::optional<std::vector<runtime::ManagedContainer>> chosen =
      runningContainers(*stack, resources);
  if (!chosen) {
    exitCode = kExitFailure;
    return std::nullopt;
  }
  if (chosen->empty()) {
    fmt::print(stderr, "no running containers in project '{}'\n", stack->stack.project);
    exitCode = kExitOk;
    return std::nullopt;
  }
  return RunningSelection{std::move(*stack), std::move(*chosen)};
}

}  // namespace ls::cli
