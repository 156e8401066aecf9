// `lightshuttle wait [resource…] [--timeout D]`: returns once the resources are ready (healthy,
// or running without a healthcheck) or, for one-shot resources (a dependent waits for them to
// complete), once they exited 0. From the supervisor's events when one runs, else from the
// engine. Exit: 0 all ready, 1 one failed (named), 124 timeout, 2 usage.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>
#include <variant>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/targets.hpp"
#include "lightshuttle/control/codec.hpp"

namespace ls::cli {
namespace {

namespace asio = boost::asio;
using lifecycle::ResourceStatus;

constexpr int kExitTimeout = 124;

struct WaitOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;
  std::string timeout;
};

/// Ok when `v` is where `wait` wants it, an error naming why it never will be, nullopt to keep
/// waiting.
std::optional<Result<void>> verdict(const lifecycle::ResourceView& v) {
  switch (v.status) {
    case ResourceStatus::Running:
    case ResourceStatus::Completed: return Result<void>(ok());
    case ResourceStatus::Failed:
      return Result<void>(
          Error(Errc::FailedPrecondition, "failed" + (v.lastError ? ": " + *v.lastError : "")));
    case ResourceStatus::Exited:
      return Result<void>(
          Error(Errc::FailedPrecondition,
                "exited" + (v.exitCode ? " with code " + std::to_string(*v.exitCode) : "")));
    case ResourceStatus::Stopped:
      return Result<void>(Error(Errc::FailedPrecondition, "is stopped"));
    default: return std::nullopt;
  }
}

int report(const std::map<std::string, Result<void>>& outcomes) {
  int result = kExitOk;
  for (const auto& [name, r] : outcomes) {
    if (!r) {
      fmt::print(stderr, "error: resource '{}' {}\n", name, r.error().what());
      result = kExitFailure;
    }
  }
  return result;
}

int supervised(const SupervisorRecord& sup, const std::vector<std::string>& names,
               std::optional<std::chrono::nanoseconds> timeout) {
  std::vector<std::string> targets = names;
  std::map<std::string, Result<void>> outcomes;
  bool unknown = false;
  auto followed = supervisorFollow(sup, timeout, [&](std::string_view text) {
    auto m = control::decodeEventMessage(text);
    if (!m) {
      return true;
    }
    std::vector<lifecycle::ResourceView> views;
    if (m->type == control::EventMessage::Type::Snapshot) {
      views = m->resources;
      std::set<std::string> known;
      for (const auto& v : views) {
        known.insert(v.name);
      }
      if (targets.empty()) {
        for (const auto& v : views) {
          targets.push_back(v.name);
        }
      }
      for (const auto& t : targets) {
        if (!known.contains(t)) {
          fmt::print(stderr, "error: no resource '{}' in project '{}'\n", t, sup.project);
          unknown = true;
        }
      }
      if (unknown) {
        return false;
      }
    } else if (m->resource) {
      views.push_back(*m->resource);
    }
    for (const auto& v : views) {
      if (std::find(targets.begin(), targets.end(), v.name) == targets.end() ||
          outcomes.contains(v.name)) {
        continue;
      }
      if (auto done = verdict(v)) {
        outcomes.emplace(v.name, std::move(*done));
      }
    }
    return outcomes.size() < targets.size();
  });
  if (unknown) {
    return kExitUsage;
  }
  if (!followed) {
    if (followed.error().code() == Errc::Timeout) {
      for (const auto& t : targets) {
        if (!outcomes.contains(t)) {
          fmt::print(stderr, "error: resource '{}' was not ready within the timeout\n", t);
        }
      }
      return kExitTimeout;
    }
    fmt::print(stderr, "error: {}\n", followed.error().what());
    return kExitFailure;
  }
  if (outcomes.size() < targets.size()) {
    fmt::print(stderr, "error: the supervisor of '{}' stopped before every resource was ready\n",
               sup.project);
    return kExitFailure;
  }
  return report(outcomes);
}

/// One resource on the engine: healthy (or running) for a service, exited 0 for a one-shot.
asio::awaitable<Result<void>> waitContainer(runtime::DockerRuntime& rt, runtime::ManagedContainer c,
                                            bool oneShot, std::chrono::nanoseconds timeout) {
  if (c.status.state == runtime::ContainerState::Stopped || oneShot) {
    if (c.status.state != runtime::ContainerState::Stopped) {
      using namespace asio::experimental::awaitable_operators;
      asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
      auto raced = co_await (rt.wait(c.id, runtime::WaitCondition::NotRunning) ||
                             timer.async_wait(asio::use_awaitable));
      if (raced.index() == 1) {
        co_return Error(Errc::Timeout, "did not complete within the timeout");
      }
      LS_CO_ASSIGN_OR_RETURN(runtime::WaitOutcome w, std::get<0>(std::move(raced)));
      c.status.exitCode = w.exitCode;
    }
    if (c.status.exitCode.value_or(-1) == 0) {
      co_return ok();
    }
    co_return Error(
        Errc::FailedPrecondition,
        "exited with code " + (c.status.exitCode ? std::to_string(*c.status.exitCode) : "unknown"));
  }
  co_return co_await rt.waitHealthy(c.id, timeout);
}

int onEngine(Targets& t, std::optional<std::chrono::nanoseconds> timeout) {
  EngineSession& s = *t.project.session;
  std::vector<std::string> waited;
  std::vector<asio::awaitable<Result<void>>> calls;
  std::map<std::string, Result<void>> outcomes;
  const std::chrono::nanoseconds budget = timeout.value_or(std::chrono::hours(24 * 365));
  for (const auto& r : t.selected) {
    const runtime::ManagedContainer* c = t.container(r);
    if (c == nullptr) {
      outcomes.emplace(r, Error(Errc::NotFound, "has no container (`lightshuttle up` creates it)"));
      continue;
    }
    waited.push_back(r);
    calls.push_back(waitContainer(*s.runtime, *c, t.oneShot.contains(r), budget));
  }
  std::vector<Result<void>> results = runAllSync(s, std::move(calls));
  bool timedOut = false;
  for (std::size_t i = 0; i < waited.size(); ++i) {
    if (!results[i] && results[i].error().code() == Errc::Timeout) {
      timedOut = true;
      fmt::print(stderr, "error: resource '{}' was not ready within the timeout\n", waited[i]);
      continue;
    }
    outcomes.emplace(waited[i], std::move(results[i]));
  }
  const int result = report(outcomes);
  return timedOut && result == kExitOk ? kExitTimeout : result;
}

int runWait(const WaitOptions& o) {
  std::optional<std::chrono::nanoseconds> timeout;
  if (!durationFlag("--timeout", o.timeout, timeout)) {
    return kExitUsage;
  }
  int exitCode = kExitOk;
  std::optional<Targets> t = openTargets(o.project, o.file, o.resources, exitCode);
  if (!t) {
    return exitCode;
  }
  if (std::optional<SupervisorRecord> sup = findSupervisor(t->project.project)) {
    return supervised(*sup, t->selected, timeout);
  }
  return onEngine(*t, timeout);
}

}  // namespace

void registerWait(Registrar& r) {
  auto o = std::make_shared<WaitOptions>();
  auto* cmd = projectVerb(
      r, "wait", "Wait until resources are ready (or, for one-shot jobs, completed)", o, runWait);
  addResourcesArg(*cmd, o->resources, "Resources to wait for (default: all)");
  cmd->add_option("--timeout", o->timeout,
                  "Give up after this long (e.g. 30s, 2m; default: no limit)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle up -d && lightshuttle wait db --timeout 1m && ./run-tests\n"
      "  lightshuttle wait migrate     # a one-shot job: until it exited 0\n"
      "Ready means healthy with a healthcheck, else running; a resource some dependent waits\n"
      "to complete (`depends_on: {job: completed}`) must have exited 0.\n"
      "Exit status: 0 all ready, 1 a resource failed, exited or has no container (named on\n"
      "stderr), 124 timeout, 2 usage, unknown resource or no project.\n");
}

}  // namespace ls::cli
