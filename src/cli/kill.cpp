// `lightshuttle kill [-s SIGNAL] [resource…]`: sends a signal to the main process of running
// resources (SIGKILL by default), on the engine, as docker compose does. A supervisor sees the
// exit like any other and applies the resource's restart policy.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/targets.hpp"
#include "lightshuttle/runtime/operations.hpp"

namespace ls::cli {
namespace {

struct KillOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;
  std::string signal = "SIGKILL";
};

int runKill(const KillOptions& o) {
  auto sig = runtime::validateSignal(o.signal);
  if (!sig) {
    fmt::print(stderr,
               "error: -s: {} (a name such as SIGTERM, TERM or HUP, or a number such as 15)\n",
               sig.error().what());
    return kExitUsage;
  }
  int exitCode = kExitOk;
  std::optional<Targets> t = openTargets(o.project, o.file, o.resources, exitCode);
  if (!t) {
    return exitCode;
  }
  EngineSession& s = *t->project.session;
  int result = kExitOk;
  std::size_t sent = 0;
  for (const auto& r : t->selected) {
    const runtime::ManagedContainer* c = t->container(r);
    if (!t->running(r)) {
      if (!o.resources.empty()) {  // named explicitly: say so; "all" skips what is not running
        fmt::print(stderr, "error: resource '{}' is not running\n", r);
        result = kExitFailure;
      }
      continue;
    }
    if (auto done = runSync(s, s.runtime->kill(c->id, sig->name)); !done) {
      fmt::print(stderr, "error: killing '{}': {}\n", r, done.error().what());
      result = kExitFailure;
      continue;
    }
    ++sent;
    fmt::print(stderr, "sent {} to {}\n", sig->name, r);
  }
  if (sent == 0 && o.resources.empty()) {
    fmt::print(stderr, "error: no resource of project '{}' is running\n", t->project.project);
    return kExitFailure;
  }
  return result;
}

}  // namespace

void registerKill(Registrar& r) {
  auto o = std::make_shared<KillOptions>();
  auto* cmd =
      projectVerb(r, "kill", "Send a signal to running resources (SIGKILL unless -s)", o, runKill);
  addResourcesArg(*cmd, o->resources, "Resources to signal (default: every running one)");
  cmd->add_option("-s,--signal", o->signal, "Signal name or number (SIGTERM, TERM, HUP, 9, ...)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle kill web\n"
      "  lightshuttle kill -s HUP worker\n"
      "The signal goes to the container's main process. A supervised resource's restart policy\n"
      "then applies as to any exit.\n"
      "Exit status: 0 sent, 1 a resource is not running or could not be signalled,\n"
      "2 bad signal, unknown resource or no project.\n");
}

}  // namespace ls::cli
