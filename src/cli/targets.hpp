// The resources a verb such as `start`, `stop`, `kill` or `pause` acts on: the names given on
// the command line (every resource when none), checked against the project, with their
// containers (found by label) and the project's dependency graph when a manifest is at hand.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/session.hpp"

namespace ls::cli {

struct Targets {
  ProjectContainers project;  ///< the project, an engine session, its containers
  /// Every resource of the project: the manifest's in its order, else the containers' labels.
  std::vector<std::string> resources;
  /// Direct dependencies by resource (from the manifest; empty without one).
  std::map<std::string, std::vector<std::string>> dependsOn;
  /// One-shot jobs: resources some dependent waits to complete (from the manifest).
  std::set<std::string> oneShot;
  /// The selected resources, in `resources` order.
  std::vector<std::string> selected;

  /// The container of `resource`, or null when it has none.
  const runtime::ManagedContainer* container(const std::string& resource) const;
  /// Whether `resource` has a container that is not stopped (running, starting or paused).
  bool running(const std::string& resource) const;
  /// The resources that depend on `resource` directly, in `resources` order.
  std::vector<std::string> dependents(const std::string& resource) const;
};

/// Resolves the project (see resolveProject), lists its containers and checks `names` (empty:
/// every resource). Prints what went wrong and sets `exitCode` on failure: 2 no project or an
/// unknown resource (naming the known ones), 1 engine failure.
std::optional<Targets> openTargets(const std::string& projectFlag, const std::string& file,
                                   const std::vector<std::string>& names, int& exitCode);

/// "a, b and c".
std::string listNames(const std::vector<std::string>& names);

}  // namespace ls::cli
