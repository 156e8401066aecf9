// A supervised stack across an engine restart, on a private dockerd this test starts and
// restarts (never the shared one): with `restart: no` and with `on-failure:1`, both resources
// come back once the engine answers, no restart counted.
#include <boost/asio/co_spawn.hpp>
#include <filesystem>
#include <future>
#include <set>

#include "engine/private_dockerd.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using K = lifecycle::LifecycleEvent::Kind;

class EngineOutageTest : public PrivateEngineTest {
 protected:
  // Runs the loop until `done` (or `bound` of loop time passed: a hang guard, not a timing
  // assertion), collecting events.
  template <typename F>
  void runUntil(F done, std::chrono::seconds bound = 240s) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (!done() && std::chrono::steady_clock::now() < end) {
      ctx.restart();
      ctx.run_for(50ms);
      drain();
    }
  }
  void drain() {
    if (sub) {
      for (auto& e : sub->drain()) {
        seen.push_back(std::move(e));
      }
    }
  }
  bool saw(K kind) const {
    return std::any_of(seen.begin(), seen.end(), [&](const auto& e) { return e.kind == kind; });
  }

  lifecycle::EventSubscriptionPtr sub;
  std::vector<lifecycle::LifecycleEvent> seen;
};

lifecycle::PlanNode node(const std::string& project, const std::string& name,
                         const std::vector<std::string>& deps, runtime::RestartPolicy policy) {
  lifecycle::PlanNode n;
  n.name = name;
  n.spec.name = project + "_" + name;
  n.spec.project = project;
  n.spec.resource = name;
  n.spec.image = runtime::PullImage{.reference = registryAddr() + "/" + kBusybox};
  // Exits 0 on SIGTERM, as a well-behaved service does when dockerd stops it.
  n.spec.command = {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"};
  n.spec.stopGracePeriod = 5s;
  n.spec.restart = policy;
  for (const std::string& d : deps) {
    n.dependencies.push_back(lifecycle::Dependency{.name = d});
  }
  return n;
}

TEST_F(EngineOutageTest, AStackComesBackAfterTheEngineRestartsWhateverItsPolicy) {
  // Ensures an engine restart under a supervised stack is an outage, not the applications'
  // exits: with `restart: no` (exit 0 would be "completed") and with `on-failure:1` (the
  // budget would be spent), both resources come back with 0 restarts, in dependency order.
  ASSERT_NO_FATAL_FAILURE(startPrivateEngine("lsoutage"));

  runtime::RestartPolicy no;
  runtime::RestartPolicy onFailure;
  onFailure.mode = runtime::RestartPolicy::Mode::OnFailure;
  onFailure.maxRetries = 1;
  for (const auto& policy : {no, onFailure}) {
    SCOPED_TRACE(policy.mode == runtime::RestartPolicy::Mode::No ? "restart: no" : "on-failure:1");
    const std::string proj = project + (policy.maxRetries ? "f" : "n");
    auto clock = makeSystemClock();
    runtime::DockerRuntime rt(*priv, *clock);
    SystemRng srng;
    auto plan =
        lifecycle::Plan::create({node(proj, "db", {}, policy), node(proj, "api", {"db"}, policy)});
    ASSERT_TRUE(plan.has_value()) << plan.error().what();
    lifecycle::Options options;
    options.resubscribeDelay = 200ms;
    lifecycle::LifecycleManager mgr(rt, *clock, srng, std::move(plan).value(), options);
    seen.clear();
    sub = mgr.subscribe();
    std::optional<Result<void>> up;
    asio::co_spawn(ctx, mgr.start(),
                   [&](std::exception_ptr, Result<void> r) { up = std::move(r); });
    runUntil([&] { return up.has_value(); });
    ASSERT_TRUE(up.has_value() && up->has_value()) << (up ? up->error().what() : "start hung");
    std::set<std::string> before;
    for (const auto& v : mgr.list()) {
      before.insert(v.containerId);
    }

    // dockerd stopped (SIGTERM: it stops the containers, exit 0) and started again, on
    // another thread: the supervisor's loop keeps running meanwhile.
    auto restarted = std::async(std::launch::async, [&] {
      daemon->stop();
      return daemon->start();
    });
    runUntil([&] { return restarted.wait_for(0s) == std::future_status::ready; });
    ASSERT_TRUE(restarted.get());
    runUntil([&] { return saw(K::StackRecovered) || saw(K::ResourceFailed); });
    EXPECT_TRUE(saw(K::EngineUnavailable));
    EXPECT_TRUE(saw(K::EngineAvailable));
    ASSERT_TRUE(saw(K::StackRecovered)) << daemon->logTail();
    EXPECT_FALSE(saw(K::ResourceCompleted));
    EXPECT_FALSE(saw(K::ResourceFailed));
    for (const auto& v : mgr.list()) {
      EXPECT_EQ(v.status, lifecycle::ResourceStatus::Running) << v.name;
      EXPECT_EQ(v.restarts, 0) << v.name;
      EXPECT_FALSE(before.contains(v.containerId))
          << v.name << ": its container was stopped by the engine, so a new one runs";
    }
    EXPECT_TRUE(mgr.stack().engineAvailable);

    std::optional<Result<void>> down;
    asio::co_spawn(ctx, mgr.stop(),
                   [&](std::exception_ptr, Result<void> r) { down = std::move(r); });
    runUntil([&] { return down.has_value(); });
    ASSERT_TRUE(down.has_value() && down->has_value())
        << (down ? down->error().what() : "stop hung");
    auto left = run(rt.listManaged(proj));
    ASSERT_TRUE(left.has_value());
    EXPECT_TRUE(left->empty());
    sub.reset();
  }
}

}  // namespace
}  // namespace ls::testing
