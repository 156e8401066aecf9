// How `cp`, `top`, `port` and `stats` find the containers they act on: the project from `-p` or
// the manifest, resource names checked against the manifest when there is one, containers found
// by their labels. Every failure is printed here, naming the resource, with the exit code set.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/session.hpp"

namespace ls::cli {

struct StackContainers {
  ProjectContainers stack;
  /// The manifest's resource names; empty when the project came from `-p` alone.
  std::vector<std::string> declared;
};

/// Resolves the project and lists its containers (see openProject). With a manifest (found or
/// named by `-f`), its resource names are kept to tell "unknown" from "not running".
std::optional<StackContainers> openStackContainers(const std::string& projectFlag,
                                                   const std::string& file, int& exitCode);

/// Whether a container is up (running, healthy or unhealthy; not created, paused or exited).
bool isUp(const runtime::ManagedContainer& c);

/// The container of `resource` (nullptr, with the message printed, when the resource is unknown
/// or has none). With `mustRun`, a container that is not up is refused too.
const runtime::ManagedContainer* findContainer(const StackContainers& targets,
                                               const std::string& resource, bool mustRun);

/// The up containers of `resources` (all the project's up containers when empty). nullopt, with
/// the message printed, when a named one is unknown or not running.
std::optional<std::vector<runtime::ManagedContainer>> runningContainers(
    const StackContainers& targets, const std::vector<std::string>& resources);

/// What `top` and `stats` start from: the stack and the up containers of `resources` (every up
/// container when empty). nullopt with `exitCode` set when that fails (a message printed), or
/// with kExitOk when nothing of the project runs (said on stderr).
struct RunningSelection {
  StackContainers stack;
  std::vector<runtime::ManagedContainer> chosen;
};
std::optional<RunningSelection> openRunning(const std::string& projectFlag, const std::string& file,
                                            const std::vector<std::string>& resources,
                                            int& exitCode);

}  // namespace ls::cli
