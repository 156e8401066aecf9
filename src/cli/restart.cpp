// `lightshuttle restart <resource…>`: recreates exactly those resources (stop, remove, create,
// start, wait until ready); dependents keep running. When the stack has a live supervisor, it
// does the work (so supervision does not mistake the restart for a crash); otherwise the
// containers are recreated here from the manifest.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "cli/stack.hpp"
#include "lightshuttle/lifecycle/policy.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

asio::awaitable<Result<void>> recreate(runtime::Runtime& rt, const runtime::ContainerSpec& spec,
                                       std::chrono::nanoseconds budget) {
  // The new image first (the lifecycle's prepare step does the same), so a failing build
  // leaves the old container running.
  runtime::ProgressCallback quiet;
  LS_CO_TRY(co_await rt.prepareImage(spec.image, quiet));
  runtime::ContainerId old{spec.name};
  auto stopped = co_await rt.stop(old, spec.stopGracePeriod);
  if (!stopped && stopped.error().code() != Errc::NotFound) {
    co_return std::move(stopped).error();
  }
  LS_CO_TRY(co_await rt.remove(spec.name));
  runtime::StartOptions prepared;
  prepared.imagePrepared = true;
  LS_CO_ASSIGN_OR_RETURN(runtime::ContainerId id, co_await rt.start(spec, prepared));
  co_return co_await rt.waitHealthy(id, budget);
}

}  // namespace

int runRestart(const RestartOptions& options) {
  int exitCode = kExitOk;
  auto prepared = prepareStack(options.file, options.envFile, exitCode, /*showWarnings=*/false);
  if (!prepared) {
    return reportPrepareFailure(prepared.error(), exitCode);
  }
  const lifecycle::Plan& plan = prepared->plan;
  if (const int bad = checkResourceNames(plan, options.resources); bad != kExitOk) {
    return bad;
  }
  int result = kExitOk;
  if (std::optional<SupervisorRecord> sup = findSupervisor(plan.project())) {
    // The stack is supervised: the supervisor recreates it (serialized with its own restarts,
    // counted in `ps`), with the configuration it was started with.
    for (const auto& name : options.resources) {
      const auto t0 = std::chrono::steady_clock::now();
      auto progress = [&](const lifecycle::LifecycleEvent& e) {
        if (e.kind == lifecycle::LifecycleEvent::Kind::ResourceProgress) {
          fmt::print(stderr, "{}  {}\n", name, e.message);
        }
      };
      if (auto r = supervisorRestart(*sup, name, options.timeout, progress); !r) {
        fmt::print(stderr, "error: restarting '{}': {}\n", name, r.error().what());
        result = kExitFailure;
        continue;
      }
      fmt::print(stderr, "restarted {} in {:.2f}s\n", name,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return result;
  }
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  for (const auto& name : options.resources) {
    const runtime::ContainerSpec& spec = plan.find(name)->spec;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = runSync(*session, recreate(*session->runtime, spec,
                                        lifecycle::startTimeout(spec, options.timeout)));
    if (!r) {
      fmt::print(stderr, "error: restarting '{}': {}\n", name, r.error().what());
      result = kExitFailure;
      continue;
    }
    fmt::print(stderr, "restarted {} in {:.2f}s\n", name,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return result;
}

void registerRestart(Registrar& r) {
  struct Flags {
    RestartOptions restart;
    std::string timeout;
  };
  auto f = std::make_shared<Flags>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb("restart", "Recreate resources and wait until they are ready again", [f, &g] {
    if (!durationFlag("--timeout", f->timeout, f->restart.timeout)) {
      return static_cast<int>(kExitUsage);
    }
    inherit(f->restart.file, g.file);
    inherit(f->restart.envFile, g.envFile);
    return runRestart(f->restart);
  });
  addResourcesArg(*cmd, f->restart.resources, "Resources to restart")->required();
  addFileFlag(*cmd, f->restart.file);
  addEnvFileFlag(*cmd, f->restart.envFile);
  cmd->add_option("--timeout", f->timeout, "How long to wait for readiness (without a supervisor)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle restart db\n"
      "  lightshuttle restart web worker --timeout 1m\n"
      "Dependents keep running. When the stack's supervisor runs (`up`, `up -d`), it does the\n"
      "restart; otherwise the containers are recreated from the manifest.\n");
}

}  // namespace ls::cli
