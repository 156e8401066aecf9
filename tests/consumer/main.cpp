// A program written against the installed LightShuttle, as a user of the library would:
//   1. boots a two-resource plan (web depends on db) on the in-memory testkit with the lifecycle
//      manager, and checks the events, the start order and the shutdown order;
//   2. talks to the real engine through DockerRuntime: ping, then one busybox container
//      started, inspected, stopped and removed.
// Exit 0 when every check holds; 1 with the failed check on stderr otherwise.
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <lightshuttle/core/clock.hpp>
#include <lightshuttle/core/rng.hpp>
#include <lightshuttle/engine/client.hpp>
#include <lightshuttle/engine/endpoint.hpp>
#include <lightshuttle/lifecycle/manager.hpp>
#include <lightshuttle/runtime/docker_runtime.hpp>
#include <lightshuttle/runtime/memory_runtime.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Kind = ls::lifecycle::LifecycleEvent::Kind;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::fprintf(stderr, "consumer: %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) {
    ++failures;
  }
}

template <typename T>
std::shared_ptr<std::optional<T>> spawn(asio::io_context& ctx, asio::awaitable<T> aw) {
  auto out = std::make_shared<std::optional<T>>();
  asio::co_spawn(ctx, std::move(aw), [out](std::exception_ptr e, T v) {
    if (e) {
      std::fprintf(stderr, "consumer: a coroutine threw\n");
      std::abort();
    }
    out->emplace(std::move(v));
  });
  return out;
}

ls::lifecycle::PlanNode node(const std::string& project, const std::string& name,
                             std::vector<std::string> deps) {
  ls::lifecycle::PlanNode n;
  n.name = name;
  n.spec.project = project;
  n.spec.resource = name;
  n.spec.name = project + "_" + name;
  n.spec.image = ls::runtime::PullImage{.reference = "busybox:1"};
  n.spec.stopGracePeriod = 1s;
  for (auto& d : deps) {
    n.dependencies.push_back(ls::lifecycle::Dependency{.name = std::move(d)});
  }
  return n;
}

/// Index of the first event of `kind` for `resource` in `seen`, or -1.
int indexOf(const std::vector<ls::lifecycle::LifecycleEvent>& seen, Kind kind,
            const std::string& resource) {
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].kind == kind && seen[i].resource == resource) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void memoryStack() {
  asio::io_context ctx;
  ls::ManualClock clock;
  ls::runtime::MemoryRuntime rt{ctx.get_executor(), clock};
  rt.addLocalImage("busybox:1");
  ls::SeededRng rng{7};
  auto plan = ls::lifecycle::Plan::create({node("demo", "db", {}), node("demo", "web", {"db"})});
  check(plan.has_value(), "Plan::create of db <- web");
  if (!plan) {
    return;
  }
  ls::lifecycle::LifecycleManager manager(rt, clock, rng, std::move(plan).value());
  auto sub = manager.subscribe();
  std::vector<ls::lifecycle::LifecycleEvent> seen;
  // Runs the loop, moving virtual time to each next timer, until `done` is filled.
  auto settle = [&](const auto& done) {
    for (int step = 0; step < 10000; ++step) {
      ctx.restart();
      ctx.poll();
      for (auto& ev : sub->drain()) {
        seen.push_back(std::move(ev));
      }
      if (done->has_value() || clock.pendingTimers() == 0) {
        break;
      }
      clock.advance(clock.nextDeadline() - clock.steady());
    }
  };

  auto up = spawn(ctx, manager.start());
  settle(up);
  check(up->has_value() && up->value().has_value(), "start() of the two-resource plan succeeded");
  check(indexOf(seen, Kind::StackReady, "") >= 0, "StackReady was published");
  const int dbReady = indexOf(seen, Kind::ResourceHealthy, "db");
  const int webStarting = indexOf(seen, Kind::ResourceStarting, "web");
  check(dbReady >= 0 && webStarting > dbReady, "web started only after db was ready");
  check(rt.containerNames().size() == 2, "two containers run in the memory runtime");
  const auto views = manager.list();
  check(views.size() == 2, "the handle lists two resources");

  auto down = spawn(ctx, manager.stop());
  settle(down);
  check(down->has_value() && down->value().has_value(), "stop() succeeded");
  const int webStopped = indexOf(seen, Kind::ResourceStopped, "web");
  const int dbStopped = indexOf(seen, Kind::ResourceStopped, "db");
  check(webStopped >= 0 && dbStopped > webStopped, "web stopped before db (reverse order)");
  check(indexOf(seen, Kind::StackStopped, "") > dbStopped, "StackStopped came last");
  check(rt.containerNames().empty(), "nothing is left in the memory runtime");
}

asio::awaitable<ls::Result<void>> dockerContainer(ls::engine::Client& client, bool& pinged) {
  LS_CO_ASSIGN_OR_RETURN(auto ping, co_await client.negotiate());
  pinged = true;
  std::fprintf(stderr, "consumer: engine at %s answers, API %s\n",
               client.endpointDescription().c_str(), ping.apiVersion.c_str());
  auto clock = ls::makeSystemClock();
  ls::runtime::DockerRuntime rt(client, *clock);
  ls::runtime::ContainerSpec spec;
  spec.project = "lsconsumer" + std::to_string(::getpid());
  spec.resource = "box";
  spec.name = spec.project + "_box";
  spec.image = ls::runtime::PullImage{.reference = "lightshuttle-test/busybox:latest",
                                      .policy = ls::runtime::PullPolicy::Never};
  spec.command = std::vector<std::string>{"sleep", "300"};
  spec.stopGracePeriod = 1s;
  ls::runtime::StartOptions options;
  auto started = co_await rt.start(spec, options);
  ls::Result<void> result = ls::ok();
  if (!started) {
    result = started.error();
  } else {
    auto status = co_await rt.inspect(*started);
    check(status.has_value() && status->state == ls::runtime::ContainerState::Running,
          "the busybox container runs");
    auto stopped = co_await rt.stop(*started, spec.stopGracePeriod);
    check(stopped.has_value(), "stop() of the container");
  }
  // Clean up whatever happened above.
  auto removed = co_await rt.remove(spec.name);
  check(removed.has_value(), "remove() of the container");
  auto net = co_await rt.teardownProjectNetwork(spec.project);
  check(net.has_value(), "teardown of the project network");
  co_return result;
}

void dockerEngine() {
  asio::io_context ctx;
  auto endpoint = ls::engine::resolveEndpoint(ls::engine::EndpointEnv::fromProcess());
  check(endpoint.has_value(), "an engine endpoint resolves");
  if (!endpoint) {
    return;
  }
  auto client = ls::engine::Client::create(*endpoint);
  bool pinged = false;
  auto done = spawn(ctx, dockerContainer(*client, pinged));
  ctx.run();
  check(pinged, "the engine answered the ping");
  check(done->has_value() && done->value().has_value(),
        done->has_value() && !done->value().has_value()
            ? "container start/stop: " + done->value().error().what()
            : "container start/inspect/stop/remove through DockerRuntime");
}

}  // namespace

int main() {
  memoryStack();
  dockerEngine();
  std::fprintf(stderr, "consumer: %s\n", failures == 0 ? "all checks passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
