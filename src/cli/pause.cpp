// `lightshuttle pause|unpause [resource…]`: freezes or thaws the processes of running
// resources (the engine's cgroup freezer), as docker compose does. A paused resource keeps its
// container, ports and state; its healthcheck does not run until it is unpaused.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/targets.hpp"

namespace ls::cli {
namespace {

struct PauseOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;
};

int runPause(const PauseOptions& o, bool pause) {
  int exitCode = kExitOk;
  std::optional<Targets> t = openTargets(o.project, o.file, o.resources, exitCode);
  if (!t) {
    return exitCode;
  }
  EngineSession& s = *t->project.session;
  int result = kExitOk;
  std::size_t done = 0;
  for (const auto& r : t->selected) {
    const runtime::ManagedContainer* c = t->container(r);
    // Paused containers report Starting with `paused` set (see ContainerStatus).
    if (!t->running(r) || c->status.paused == pause) {
      if (!o.resources.empty()) {
        fmt::print(stderr, "error: resource '{}' is {}\n", r,
                   !t->running(r) ? "not running" : (pause ? "already paused" : "not paused"));
        result = kExitFailure;
      }
      continue;
    }
    auto r2 = pause ? runSync(s, s.runtime->pause(c->id)) : runSync(s, s.runtime->unpause(c->id));
    if (!r2) {
      fmt::print(stderr, "error: {} '{}': {}\n", pause ? "pausing" : "unpausing", r,
                 r2.error().what());
      result = kExitFailure;
      continue;
    }
    ++done;
    fmt::print(stderr, "{} {}\n", pause ? "paused" : "unpaused", r);
  }
  if (done == 0 && o.resources.empty()) {
    fmt::print(stderr, "error: no resource of project '{}' is {}\n", t->project.project,
               pause ? "running" : "paused");
    return kExitFailure;
  }
  return result;
}

void registerOne(Registrar& r, bool pause) {
  auto o = std::make_shared<PauseOptions>();
  auto* cmd =
      projectVerb(r, pause ? "pause" : "unpause",
                  pause ? "Freeze the processes of running resources" : "Thaw paused resources", o,
                  [pause](const PauseOptions& options) { return runPause(options, pause); });
  addResourcesArg(*cmd, o->resources,
                  pause ? "Resources to pause (default: every running one)"
                        : "Resources to unpause (default: every paused one)");
  cmd->footer(pause ? "Examples:\n"
                      "  lightshuttle pause worker\n"
                      "  lightshuttle pause           # every running resource\n"
                      "Exit status: 0 paused, 1 a resource is not running (or already paused),\n"
                      "2 unknown resource or no project.\n"
                    : "Examples:\n"
                      "  lightshuttle unpause worker\n"
                      "  lightshuttle unpause         # every paused resource\n"
                      "Exit status: 0 unpaused, 1 a resource is not paused, 2 unknown resource or "
                      "no project.\n");
}

}  // namespace

void registerPause(Registrar& r) {
  registerOne(r, /*pause=*/true);
  registerOne(r, /*pause=*/false);
}

}  // namespace ls::cli
