// Engine outages (the engine stops and comes back under a supervised stack) and adoption of a
// previous supervisor's containers, on MemoryRuntime and the manual clock.
#include "unit/lifecycle/harness.hpp"

namespace ls::lifecycle {
namespace {

using Mode = runtime::RestartPolicy::Mode;

// db <- api (api depends on db); `mode` for both.
std::vector<PlanNode> pair(Mode mode, std::optional<int> max = std::nullopt) {
  PlanNode db = node("db");
  PlanNode api = node("api", {"db"});
  db.spec.restart = policy(mode, max);
  api.spec.restart = policy(mode, max);
  return {db, api};
}

bool has(const Harness& h, K kind, const std::string& resource = {}) {
  return h.eventIndex(kind, resource) != std::string::npos;
}

TEST(LifecycleOutageTest, AnEngineRestartBringsBackEveryResourceWhateverItsPolicy) {
  // Ensures that containers the engine stopped as it went away (exit 0 under `restart: no`,
  // 137 under on-failure:1) come back once it answers, in dependency order, with no restart
  // counted, and that the outage and the recovery are reported.
  for (auto [mode, max, code] : {std::tuple{Mode::No, std::optional<int>{}, 0},
                                 std::tuple{Mode::OnFailure, std::optional<int>{1}, 137},
                                 std::tuple{Mode::Always, std::optional<int>{}, 143}}) {
    Harness h;
    h.build(pair(mode, max));
    ASSERT_TRUE(h.boot().has_value());
    h.rt.stopEngine(code);
    h.poll();
    EXPECT_TRUE(has(h, K::EngineUnavailable));
    EXPECT_FALSE(h.mgr->stack().engineAvailable);
    EXPECT_EQ(h.view("db").status, ResourceStatus::Restarting);
    EXPECT_EQ(h.view("db").health, Health::None);
    EXPECT_FALSE(has(h, K::ResourceCompleted, "db"));
    EXPECT_FALSE(has(h, K::ResourceExited, "db"));
    EXPECT_FALSE(has(h, K::ResourceFailed, "api"));
    const std::size_t startsBefore = h.callsOf(Op::Start).size();
    h.advance(30s);  // no attempt while it is down, whatever the backoff would say
    EXPECT_EQ(h.callsOf(Op::Start).size(), startsBefore);

    h.clock.advance(2s);
    h.rt.startEngine();
    h.poll();
    h.advance(1s);
    EXPECT_TRUE(has(h, K::EngineAvailable));
    EXPECT_TRUE(h.mgr->stack().engineAvailable);
    for (const char* name : {"db", "api"}) {
      EXPECT_EQ(h.view(name).status, ResourceStatus::Running) << name;
      EXPECT_EQ(h.view(name).restarts, 0) << name;
    }
    // db first: api's start came after db was ready again.
    std::vector<std::string> starts = h.callsOf(Op::Start);
    ASSERT_EQ(starts.size(), startsBefore + 2);
    EXPECT_EQ(starts[startsBefore], "demo_db");
    EXPECT_EQ(starts[startsBefore + 1], "demo_api");
    ASSERT_TRUE(has(h, K::StackRecovered));
    const LifecycleEvent& rec = h.seen[h.eventIndex(K::StackRecovered)];
    ASSERT_TRUE(rec.delay.has_value());
    EXPECT_GE(*rec.delay, std::chrono::nanoseconds(32s));
    EXPECT_NE(rec.message.find("2 resources"), std::string::npos) << rec.message;
    EXPECT_EQ(h.mgr->stack().status, StackStatus::Ready);
    ASSERT_TRUE(h.shutdown().has_value());
    EXPECT_TRUE(h.leftNothing());
  }
}

TEST(LifecycleOutageTest, ContainersThatSurviveTheOutageAreKept) {
  // Ensures that a stream loss with failed pings, after which the containers still run
  // (live-restore), recreates nothing and still reports the recovery.
  Harness h;
  h.build(pair(Mode::No));
  ASSERT_TRUE(h.boot().has_value());
  const std::string db = h.view("db").containerId;
  h.rt.stopEngine();
  h.poll();
  EXPECT_TRUE(has(h, K::EngineUnavailable));
  const std::size_t starts = h.callsOf(Op::Start).size();
  h.rt.startEngine();
  h.poll();
  EXPECT_EQ(h.callsOf(Op::Start).size(), starts);
  EXPECT_EQ(h.view("db").containerId, db);
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_TRUE(has(h, K::StackRecovered));
  // Still supervised: a crash now is the application's and judged by its policy.
  ASSERT_TRUE(h.rt.crash("demo_db", 3));
  h.poll();
  EXPECT_EQ(h.view("db").status, ResourceStatus::Exited);
}

TEST(LifecycleOutageTest, AStreamBlipWithTheEngineAnsweringIsNoOutage) {
  // Ensures a broken stream while pings succeed neither reports an outage nor recreates.
  Harness h;
  h.build(pair(Mode::No));
  ASSERT_TRUE(h.boot().has_value());
  h.rt.restartEngine();
  h.poll();
  EXPECT_FALSE(has(h, K::EngineUnavailable));
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
}

TEST(LifecycleOutageTest, AnOutageDuringARestartBackoffMakesNoAttemptAndCountsOne) {
  // Ensures a restart pending when the engine goes away is not attempted (nor counted) while
  // it is down; the recovery performs it, counted once (the application's crash).
  Harness h;
  h.build(pair(Mode::Always));
  ASSERT_TRUE(h.boot().has_value());
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  ASSERT_EQ(h.view("api").status, ResourceStatus::Restarting);
  const std::size_t starts = h.callsOf(Op::Start).size();
  h.rt.stopEngine(0);
  h.poll();
  EXPECT_TRUE(has(h, K::EngineUnavailable));
  h.advance(1s);  // the backoff ends while the engine is down
  h.advance(10s);
  EXPECT_EQ(h.callsOf(Op::Start).size(), starts);
  EXPECT_EQ(h.view("api").restarts, 0);
  h.rt.startEngine();
  h.poll();
  h.advance(1s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").restarts, 1);
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("db").restarts, 0);
  EXPECT_TRUE(has(h, K::StackRecovered));
}

TEST(LifecycleOutageTest, AnOutageDuringBootWaitsAndCarriesOn) {
  // Ensures a boot interrupted by the engine going away neither fails nor rolls back: it
  // resumes once the engine answers and ends ready, nothing counted as a restart.
  Harness h;
  PlanNode db = node("db", {}, /*healthcheck=*/true);
  runtime::Behaviour slow;
  slow.healthyAfter = 5s;
  h.rt.script("db", slow);
  h.build({db, node("api", {"db"})});
  auto up = h.spawn(h.mgr->start());
  h.poll();
  h.advance(1s);
  ASSERT_FALSE(up->has_value());
  h.rt.stopEngine(137);
  h.poll();
  h.advance(20s);
  EXPECT_TRUE(has(h, K::EngineUnavailable));
  EXPECT_FALSE(up->has_value());
  EXPECT_FALSE(has(h, K::StackFailed));
  EXPECT_FALSE(h.called(Op::Start, "api"));
  runtime::Behaviour quick;
  quick.healthyAfter = 1s;
  h.rt.script("db", quick);
  h.rt.startEngine();
  h.settle(up);
  ASSERT_TRUE(up->has_value());
  EXPECT_TRUE(up->value().has_value()) << up->value().error().what();
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("db").restarts, 0);
}

TEST(LifecycleOutageTest, AnOutageDuringShutdownWaitsForTheEngineThenCleansUp) {
  // Ensures a `down` while the engine is away does not give up with containers left: it
  // waits for the engine, then stops and removes everything; no recovery starts.
  Harness h;
  h.build(pair(Mode::Always));
  ASSERT_TRUE(h.boot().has_value());
  h.rt.stopEngine();
  h.poll();
  auto down = h.spawn(h.mgr->stop());
  for (int k = 0; k < 10; ++k) {
    h.advance(1s);
  }
  EXPECT_FALSE(down->has_value());
  EXPECT_FALSE(h.leftNothing());
  h.rt.startEngine();
  h.settle(down);
  ASSERT_TRUE(down->has_value());
  EXPECT_TRUE(down->value().has_value()) << down->value().error().what();
  EXPECT_TRUE(h.leftNothing());
  EXPECT_FALSE(has(h, K::StackRecovered));
}

TEST(LifecycleOutageTest, ASecondOutageDuringRecoveryIsRecoveredFromToo) {
  // Ensures the engine going away again while the recovery recreates resources leaves them to
  // the next recovery: all come back, no restart counted, one StackRecovered timed from the
  // first outage.
  Harness h;
  PlanNode db = node("db", {}, /*healthcheck=*/true);
  runtime::Behaviour quick;
  quick.healthyAfter = 1s;
  h.rt.script("db", quick);
  h.build({db, node("api", {"db"})});
  ASSERT_TRUE(h.boot().has_value());
  h.rt.stopEngine(0);
  h.poll();
  h.advance(3s);
  runtime::Behaviour slow;
  slow.healthyAfter = 5s;
  h.rt.script("db", slow);
  h.rt.startEngine();
  h.poll();
  h.advance(1s);  // db recreated, not healthy yet
  EXPECT_EQ(h.view("db").status, ResourceStatus::Starting);
  EXPECT_FALSE(h.called(Op::Start, "api") && h.callsOf(Op::Start).size() > 3);
  h.rt.stopEngine(137);
  h.poll();
  h.advance(10s);
  EXPECT_FALSE(has(h, K::StackRecovered));
  h.rt.script("db", quick);
  h.rt.startEngine();
  h.poll();
  for (int k = 0; k < 5; ++k) {
    h.advance(1s);
  }
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("db").restarts, 0);
  EXPECT_EQ(h.view("api").restarts, 0);
  EXPECT_EQ(h.count(K::StackRecovered), 1u);
  const LifecycleEvent& rec = h.seen[h.eventIndex(K::StackRecovered)];
  ASSERT_TRUE(rec.delay.has_value());
  EXPECT_GE(*rec.delay, std::chrono::nanoseconds(14s));
}

TEST(LifecycleOutageTest, AResourceRemovedByHandDuringTheOutageIsRecreated) {
  // Ensures a container removed meanwhile (docker rm -f while the engine was back for a
  // moment, or a wiped data root) is recreated by the recovery like the others.
  Harness h;
  h.build(pair(Mode::No));
  ASSERT_TRUE(h.boot().has_value());
  const std::string old = h.view("api").containerId;
  h.rt.stopEngine(0);
  h.poll();
  ASSERT_TRUE(h.rt.externalRemove("demo_api"));
  h.rt.startEngine();
  h.poll();
  h.advance(1s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_NE(h.view("api").containerId, old);
  EXPECT_EQ(h.view("api").restarts, 0);
  EXPECT_TRUE(has(h, K::StackRecovered));
}

TEST(LifecycleOutageTest, HealthIsNeverShownForAContainerThatDoesNotRun) {
  // Ensures a stopped resource with a healthcheck does not keep showing "healthy".
  Harness h;
  runtime::Behaviour quick;
  quick.healthyAfter = 1s;
  h.rt.script("db", quick);
  h.build({node("db", {}, /*healthcheck=*/true)});
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_EQ(h.view("db").health, Health::Healthy);
  ASSERT_TRUE(h.rt.externalStop("demo_db"));
  h.poll();
  EXPECT_NE(h.view("db").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("db").health, Health::None);
}

// --- adoption --------------------------------------------------------------------------------

// What a killed supervisor leaves behind: the containers of `nodes`, running, started
// directly on the runtime (the manager's lifetime rules forbid abandoning one mid-run).
void leftRunning(Harness& h, const std::vector<PlanNode>& nodes) {
  runtime::StartOptions none;
  for (const PlanNode& n : nodes) {
    auto started = h.spawn(h.rt.start(n.spec, none));
    h.poll();
    ASSERT_TRUE(started->has_value() && started->value().has_value());
  }
  h.rt.clearCalls();
}

TEST(LifecycleAdoptionTest, ContainersWithTheSameConfigHashAreAdoptedNotRecreated) {
  // Ensures a new supervisor adopts the running containers whose spec did not change: no
  // start, no remove, supervised from there (a crash is judged by the policy).
  Harness h;
  leftRunning(h, pair(Mode::Always));
  const std::vector<std::string> before = h.rt.containerNames();
  h.build(pair(Mode::Always));
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_TRUE(h.callsOf(Op::Start).empty());
  EXPECT_TRUE(h.callsOf(Op::Remove).empty());
  EXPECT_TRUE(has(h, K::ResourceAdopted, "db"));
  EXPECT_TRUE(has(h, K::ResourceAdopted, "api"));
  EXPECT_EQ(h.rt.containerNames(), before);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_FALSE(h.view("api").containerId.empty());
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  h.advance(1s);
  EXPECT_EQ(h.view("api").restarts, 1);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  ASSERT_TRUE(h.shutdown().has_value());
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleAdoptionTest, AChangedSpecIsRecreatedAndTheRestAdopted) {
  // Ensures only the resource whose config hash differs is recreated.
  Harness h;
  leftRunning(h, pair(Mode::No));
  std::vector<PlanNode> changed = pair(Mode::No);
  changed[1].spec.env["MODE"] = "new";
  h.build(changed);
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_TRUE(has(h, K::ResourceAdopted, "db"));
  EXPECT_FALSE(has(h, K::ResourceAdopted, "api"));
  // The create finds the name taken by the old container: removed, then created again.
  EXPECT_EQ(h.callsOf(Op::Start), (std::vector<std::string>{"demo_api", "demo_api"}));
  EXPECT_EQ(h.callsOf(Op::Remove), std::vector<std::string>{"demo_api"});
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
}

TEST(LifecycleAdoptionTest, AMissingOrStoppedContainerIsCreated) {
  // Ensures a resource whose container is gone (or no longer runs) is started as at boot.
  Harness h;
  leftRunning(h, pair(Mode::No));
  ASSERT_TRUE(h.rt.externalRemove("demo_db"));
  ASSERT_TRUE(h.rt.crash("demo_api", 0));
  h.rt.clearCalls();
  h.build(pair(Mode::No));
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_FALSE(has(h, K::ResourceAdopted, "db"));
  EXPECT_FALSE(has(h, K::ResourceAdopted, "api"));
  EXPECT_EQ(h.callsOf(Op::Start).size(), 3u);  // db, api (name in use), api again
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
}

}  // namespace
}  // namespace ls::lifecycle
