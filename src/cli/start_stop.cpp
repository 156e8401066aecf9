// `lightshuttle start|stop [resource…]`: through the stack's supervisor when one runs (it
// starts or stops the resource and keeps supervising the rest), else on the engine, as docker
// compose does: the labelled containers are started or stopped where they are. Stopping a
// resource that others depend on says which of them keep running without it.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/targets.hpp"
#include "lightshuttle/engine/api.hpp"

namespace ls::cli {
namespace {

struct StartStopOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;
  std::string timeout;
};

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

/// Warns about the running dependents of what is stopped that are not stopped with it.
void warnDependents(
    const std::vector<std::string>& stopped,
    const std::function<std::vector<std::string>(const std::string&)>& runningDependents) {
  for (const auto& r : stopped) {
    std::vector<std::string> left;
    for (const auto& d : runningDependents(r)) {
      if (!contains(stopped, d)) {
        left.push_back(d);
      }
    }
    if (!left.empty()) {
      fmt::print(stderr, "warning: {} {} on {} and {} running without it\n", listNames(left),
                 left.size() == 1 ? "depends" : "depend", r, left.size() == 1 ? "keeps" : "keep");
    }
  }
}

int supervised(const SupervisorRecord& sup, const std::vector<std::string>& order, bool start,
               std::optional<std::chrono::nanoseconds> timeout) {
  if (!start) {
    auto views = supervisorList(sup);
    if (views) {
      warnDependents(order, [&](const std::string& r) {
        std::vector<std::string> out;
        for (const auto& v : *views) {
          if (contains(v.view.dependsOn, r) &&
              v.view.status != lifecycle::ResourceStatus::Stopped &&
              v.view.status != lifecycle::ResourceStatus::Pending) {
            out.push_back(v.view.name);
          }
        }
        return out;
      });
    }
  }
  int result = kExitOk;
  for (const auto& r : order) {
    if (auto done = supervisorOperate(sup, r, start ? "start" : "stop", timeout); !done) {
      fmt::print(stderr, "error: {} '{}': {}\n", start ? "starting" : "stopping", r,
                 done.error().what());
      result = kExitFailure;
      continue;
    }
    fmt::print(stderr, "{} {}\n", start ? "started" : "stopped", r);
  }
  return result;
}

int onEngine(Targets& t, const std::vector<std::string>& order, bool start,
             std::optional<std::chrono::nanoseconds> timeout) {
  if (!start) {
    warnDependents(order, [&](const std::string& r) {
      std::vector<std::string> out;
      for (const auto& d : t.dependents(r)) {
        if (t.running(d)) {
          out.push_back(d);
        }
      }
      return out;
    });
  }
  EngineSession& s = *t.project.session;
  engine::Api api(*s.client);
  int result = kExitOk;
  for (const auto& r : order) {
    const runtime::ManagedContainer* c = t.container(r);
    if (c == nullptr) {
      fmt::print(stderr,
                 "error: resource '{}' has no container (`lightshuttle up {}` creates it)\n", r, r);
      result = kExitFailure;
      continue;
    }
    Result<void> done = ok();
    if (start) {
      auto started = runSync(s, api.startContainer(c->id.value));
      done = started ? ok() : Result<void>(std::move(started).error());
    } else {
      auto stopped = runSync(s, s.runtime->stop(c->id, timeout.value_or(std::chrono::seconds(10))));
      done = stopped ? ok() : Result<void>(std::move(stopped).error());
    }
    if (!done) {
      fmt::print(stderr, "error: {} '{}': {}\n", start ? "starting" : "stopping", r,
                 done.error().what());
      result = kExitFailure;
      continue;
    }
    fmt::print(stderr, "{} {}\n", start ? "started" : "stopped", r);
  }
  return result;
}

int runStartStop(const StartStopOptions& o, bool start) {
  std::optional<std::chrono::nanoseconds> timeout;
  if (!durationFlag("--timeout", o.timeout, timeout)) {
    return kExitUsage;
  }
  int exitCode = kExitOk;
  std::optional<Targets> t = openTargets(o.project, o.file, o.resources, exitCode);
  if (!t) {
    return exitCode;
  }
  std::vector<std::string> order = t->selected;
  if (!start) {
    std::reverse(order.begin(), order.end());  // dependents before what they depend on
  }
  if (std::optional<SupervisorRecord> sup = findSupervisor(t->project.project)) {
    return supervised(*sup, order, start, timeout);
  }
  return onEngine(*t, order, start, timeout);
}

void registerOne(Registrar& r, bool start) {
  auto o = std::make_shared<StartStopOptions>();
  auto* cmd = projectVerb(
      r, start ? "start" : "stop",
      start ? "Start resources that were stopped (all when none is named)"
            : "Stop resources without removing the rest of the stack (all when none is named)",
      o, [start](const StartStopOptions& options) { return runStartStop(options, start); });
  addResourcesArg(*cmd, o->resources, start ? "Resources to start" : "Resources to stop");
  cmd->add_option("-t,--timeout", o->timeout,
                  start ? "How long to wait for each to be ready (supervised stacks)"
                        : "Grace period before SIGKILL (default 10s without a supervisor; the "
                          "resource's stop_grace_period with one)");
  cmd->footer(
      start
          ? "Examples:\n"
            "  lightshuttle start db\n"
            "  lightshuttle start          # everything that is stopped\n"
            "With a supervisor (`up`, `up -d`) it recreates the resource and waits until it is\n"
            "ready; without one, the stopped containers are started as they are.\n"
            "Exit status: 0 started, 1 a resource could not be started, 2 usage or unknown "
            "resource.\n"
          : "Examples:\n"
            "  lightshuttle stop web\n"
            "  lightshuttle stop -t 2s     # everything, dependents first\n"
            "A resource others depend on is stopped all the same; a warning names the dependents\n"
            "that keep running without it. With a supervisor the resource stays stopped (and is\n"
            "removed) until `lightshuttle start`; without one, its container is stopped in place.\n"
            "Exit status: 0 stopped, 1 a resource could not be stopped, 2 usage or unknown "
            "resource.\n");
}

}  // namespace

void registerStartStop(Registrar& r) {
  registerOne(r, /*start=*/true);
  registerOne(r, /*start=*/false);
}

}  // namespace ls::cli
