#include "cli/targets.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "cli/commands.hpp"

namespace ls::cli {

const runtime::ManagedContainer* Targets::container(const std::string& resource) const {
  for (const auto& c : project.containers) {
    if (c.resource == resource) {
      return &c;
    }
  }
  return nullptr;
}

bool Targets::running(const std::string& resource) const {
  const runtime::ManagedContainer* c = container(resource);
  return c != nullptr && c->status.state != runtime::ContainerState::Stopped;
}

std::vector<std::string> Targets::dependents(const std::string& resource) const {
  std::vector<std::string> out;
  for (const auto& r : resources) {
    auto it = dependsOn.find(r);
    if (it != dependsOn.end() &&
        std::find(it->second.begin(), it->second.end(), resource) != it->second.end()) {
      out.push_back(r);
    }
  }
  return out;
}

std::string listNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return out;
}

std::optional<Targets> openTargets(const std::string& projectFlag, const std::string& file,
                                   const std::vector<std::string>& names, int& exitCode) {
  Targets t;
  if (projectFlag.empty()) {
    // The manifest names the project, its resources and their dependencies.
    std::optional<manifest::ParseReport> report =
        loadManifestForCommand(file, exitCode, /*showWarnings=*/false);
    if (!report) {
      return std::nullopt;
    }
    if (!report->manifest || !report->ok()) {
      exitCode = kExitUsage;
      return std::nullopt;
    }
    for (const auto& r : report->manifest->resources) {
      t.resources.push_back(r.name);
      t.dependsOn[r.name] = manifest::dependenciesOf(r);
      for (const auto& [dep, condition] : r.dependsOnConditions) {
        if (condition == manifest::DependencyCondition::Completed) {
          t.oneShot.insert(dep);
        }
      }
    }
    auto opened = openProject(report->manifest->project.name, file, exitCode);
    if (!opened) {
      return std::nullopt;
    }
    t.project = std::move(*opened);
  } else {
    auto opened = openProject(projectFlag, file, exitCode);
    if (!opened) {
      return std::nullopt;
    }
    t.project = std::move(*opened);
    for (const auto& c : t.project.containers) {
      if (!c.resource.empty() &&
          std::find(t.resources.begin(), t.resources.end(), c.resource) == t.resources.end()) {
        t.resources.push_back(c.resource);
      }
    }
  }
  for (const auto& n : names) {
    if (std::find(t.resources.begin(), t.resources.end(), n) == t.resources.end()) {
      fmt::print(stderr, "error: no resource '{}' in project '{}' (resources: {})\n", n,
                 t.project.project,
                 t.resources.empty() ? std::string("none") : listNames(t.resources));
      exitCode = kExitUsage;
      return std::nullopt;
    }
  }
  for (const auto& r : t.resources) {
    if (names.empty() || std::find(names.begin(), names.end(), r) != names.end()) {
      t.selected.push_back(r);
    }
  }
  exitCode = kExitOk;
  return t;
}

}  // namespace ls::cli
