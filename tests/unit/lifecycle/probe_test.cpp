// Our fast readiness probe's pace (issue 18, warm and cold boot): short while something is held by
// the starting resource's readiness, at the healthcheck's interval while everything that waits
// on it waits for an image being built anyway, and changed at once when that changes. All on the
// manual clock: the probes' times are the virtual times the memory runtime sees them at.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/lifecycle/policy.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"
#include "unit/lifecycle/harness.hpp"

namespace ls::lifecycle {
namespace {

// asio, the chrono literals, K and Op come with harness.hpp.
using Times = std::vector<std::chrono::nanoseconds>;

// A postgres-like resource: its probe passes only `readyAfter` after its start, and the engine's
// own health is far behind (the probe decides). Healthcheck interval 5 s, like the built-in one.
PlanNode slowDb(Harness& h, const std::string& name, std::chrono::nanoseconds readyAfter,
                std::shared_ptr<Times> probes) {
  PlanNode n = node(name, {}, true);
  n.spec.healthcheck->test = {"CMD", "pg_isready"};
  n.spec.healthcheck->interval = 5s;
  runtime::Behaviour engine;
  engine.healthyAfter = 60s;
  h.rt.script(n.spec.name, engine);
  h.rt.scriptExec(n.spec.name, [readyAfter, probes](const std::vector<std::string>&,
                                                    std::chrono::nanoseconds since) {
    probes->push_back(since);
    runtime::ExecResult r;
    r.exitCode = since >= readyAfter ? 0 : 2;
    return r;
  });
  return n;
}

PlanNode builtWeb(const std::string& dependency) {
  PlanNode n = node("web", {dependency});
  runtime::BuildImage b;
  b.context = "/src/web";
  b.tag = "demo-web:dev";
  n.spec.image = b;
  return n;
}

// Runs the loop on virtual time up to `until` (since the test began), timer by timer.
void runUntil(Harness& h, Clock::SteadyTime start, std::chrono::nanoseconds until) {
  h.poll();
  while (h.clock.pendingTimers() > 0 && h.clock.nextDeadline() <= start + until) {
    h.advance(h.clock.nextDeadline() - h.clock.steady());
  }
  h.advance(start + until - h.clock.steady());
}

std::chrono::nanoseconds largestGap(const Times& t, std::size_t from) {
  std::chrono::nanoseconds gap{0};
  for (std::size_t k = from + 1; k < t.size(); ++k) {
    gap = std::max(gap, t[k] - t[k - 1]);
  }
  return gap;
}

TEST(ProbeDelayTest, DoublesUpToTheIntervalShortWhenAwaitedAndAtTheIntervalWhenMoot) {
  // Ensures the pauses between failed probes: from 50 ms, doubling, capped by the healthcheck's
  // interval and 1 s; capped at 200 ms when Awaited; the interval (at least 1 s) when Moot.
  using N = ProbeNeed;
  struct Case {
    int failed;
    std::chrono::nanoseconds interval;
    ProbeNeed need;
    std::chrono::nanoseconds expected;
  };
  const std::vector<Case> cases = {
      {1, 5s, N::Normal, 50ms},    {2, 5s, N::Normal, 100ms},    {4, 5s, N::Normal, 400ms},
      {5, 5s, N::Normal, 800ms},   {6, 5s, N::Normal, 1s},       {60, 5s, N::Normal, 1s},
      {1, 5s, N::Awaited, 50ms},   {3, 5s, N::Awaited, 200ms},   {4, 5s, N::Awaited, 200ms},
      {60, 5s, N::Awaited, 200ms}, {5, 300ms, N::Normal, 300ms}, {5, 100ms, N::Awaited, 100ms},
      {1, 0s, N::Normal, 50ms},    {9, 0s, N::Awaited, 50ms},    {1000000, 5s, N::Normal, 1s},
      {1, 5s, N::Moot, 5s},        {7, 30s, N::Moot, 30s},       {1, 100ms, N::Moot, 1s},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(probeDelay(c.failed, c.interval, c.need), c.expected)
        << "failed " << c.failed << ", interval " << c.interval.count() << " ns, need "
        << static_cast<int>(c.need);
  }
  const ProbeBackoff odd{.first = 80ms, .max = 10ms, .awaitedMax = 1ms};
  EXPECT_EQ(probeDelay(3, 5s, N::Normal, odd), 80ms);  // a cap below `first` is `first`
  EXPECT_EQ(probeDelay(3, 5s, N::Awaited, odd), 80ms);
}

TEST(ProbeCadenceTest, ADependencyWhoseDependentIsReadyToStartIsProbedEvery200ms) {
  // Ensures that while a dependent (its image ready) waits on db, db is probed at least
  // every 200 ms, so it is seen ready within 200 ms of passing; with the 1 s cap it was seen
  // ready only at the next full second (warm boot: postgres 3.71 s in our boot vs 2.56 s
  // alone, issue 18).
  Harness h;
  auto probes = std::make_shared<Times>();
  h.build({slowDb(h, "db", 2100ms, probes), node("web", {"db"})});
  const Clock::SteadyTime t0 = h.clock.steady();
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  ASSERT_GE(probes->size(), 4u);
  EXPECT_EQ((*probes)[0], 0ns);
  EXPECT_EQ((*probes)[1], 50ms);
  EXPECT_EQ((*probes)[2], 150ms);
  EXPECT_EQ(largestGap(*probes, 0), 200ms);
  EXPECT_GE(probes->back(), 2100ms);
  EXPECT_LE(probes->back(), 2300ms);
  EXPECT_LE(h.clock.steady() - t0, 2300ms);  // the whole boot: web starts at once
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
}

TEST(ProbeCadenceTest, WhileTheDependentBuildsADependencyIsProbedAtTheIntervalThenAtOnce) {
  // Ensures db's readiness is not chased while its dependent's image builds (it could not start
  // anyway; every probe is an exec that competes with the build for the CPU): a first probe at
  // once (a quick service is still seen ready at once), then the healthcheck's interval; and db
  // is probed the moment the build ends, not at the end of that pause.
  Harness h;
  auto probes = std::make_shared<Times>();
  h.build({slowDb(h, "db", 1900ms, probes), builtWeb("db")});
  runtime::Gate build = h.rt.hold(Op::Build);
  const Clock::SteadyTime t0 = h.clock.steady();
  auto up = h.spawn(h.mgr->start());
  runUntil(h, t0, 3s);
  ASSERT_TRUE(build.reached());
  EXPECT_EQ(*probes, (Times{0ns}));
  EXPECT_NE(h.view("db").status, ResourceStatus::Running);
  build.release();
  h.poll();
  ASSERT_EQ(probes->size(), 2u);
  EXPECT_EQ(probes->back(), 3s);  // at once, not at 5 s
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
}

TEST(ProbeCadenceTest, ABuildElsewhereMakesEveryStartingResourceMoot) {
  // Ensures a resource nothing depends on is not chased either while another resource's image
  // builds (the stack cannot be ready before it), and is probed at once when the build ends.
  Harness h;
  auto probes = std::make_shared<Times>();
  PlanNode web = builtWeb("db");
  web.dependencies.clear();
  h.build({slowDb(h, "db", 1s, probes), web});
  runtime::Gate build = h.rt.hold(Op::Build);
  const Clock::SteadyTime t0 = h.clock.steady();
  auto up = h.spawn(h.mgr->start());
  runUntil(h, t0, 2s);
  ASSERT_TRUE(build.reached());
  EXPECT_EQ(*probes, (Times{0ns}));
  build.release();
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  ASSERT_EQ(probes->size(), 2u);
  EXPECT_EQ((*probes)[1], 2s);
}

TEST(ProbeCadenceTest, EveryDependencyADependentWaitsOnIsProbedEvery200ms) {
  // Ensures a dependent waiting on two starting dependencies holds both at the short cadence
  // (either may be the last one seen ready), not only the one it waits on alone.
  Harness h;
  auto one = std::make_shared<Times>();
  auto two = std::make_shared<Times>();
  h.build(
      {slowDb(h, "db1", 2100ms, one), slowDb(h, "db2", 2000ms, two), node("web", {"db1", "db2"})});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  EXPECT_EQ(largestGap(*one, 0), 200ms);
  EXPECT_EQ(largestGap(*two, 0), 200ms);
  EXPECT_LE(one->back(), 2300ms);
}

TEST(ProbeCadenceTest, TheLastResourceNotReadyIsProbedEvery200ms) {
  // Ensures the stack's readiness counts as a waiter: two independent resources are probed at
  // the long cadence while both start, the one left at the short one once the other is ready.
  Harness h;
  auto slow = std::make_shared<Times>();
  auto quick = std::make_shared<Times>();
  h.build({slowDb(h, "a", 3s, slow), slowDb(h, "b", 700ms, quick)});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  ASSERT_FALSE(quick->empty());
  EXPECT_EQ(quick->back(), 750ms);  // b: 0, 50, 150, 350, 750 ms (the long cadence)
  std::size_t after = 0;
  while (after < slow->size() && (*slow)[after] < quick->back()) {
    ++after;
  }
  ASSERT_LT(after + 1, slow->size());
  EXPECT_EQ(largestGap(*slow, after), 200ms);
  EXPECT_LE(slow->back(), 3200ms);
}

// A postgres-like resource with a native check too: the check passes `readyAfter` after its
// start (the times it ran are recorded in `checks`); `unreachableAt` makes checks from then on
// find the address unreachable.
PlanNode nativeDb(Harness& h, const std::string& name, std::chrono::nanoseconds readyAfter,
                  std::shared_ptr<Times> checks, std::shared_ptr<Times> execs,
                  std::optional<std::chrono::nanoseconds> unreachableAt = std::nullopt) {
  PlanNode n = slowDb(h, name, readyAfter, std::move(execs));
  n.spec.healthcheck->native = runtime::NativeCheck{
      .protocol = runtime::NativeCheck::Protocol::Postgres, .port = 5432, .user = "postgres"};
  h.rt.scriptNative(
      n.spec.name,
      [readyAfter, checks, unreachableAt](const runtime::NativeCheck& check,
                                          std::chrono::nanoseconds since) -> Result<bool> {
        EXPECT_EQ(check.port, 5432);
        checks->push_back(since);
        if (unreachableAt && since >= *unreachableAt) {
          return Error(Errc::Unsupported, "address not reachable");
        }
        return since >= readyAfter;
      });
  return n;
}

TEST(NativeProbeTest, AReachableDependencyIsCheckedNativelyEvery50msAndNeverExeced) {
  // Ensures a healthcheck with a native check is probed without any exec, from 10 ms doubling
  // to at most 50 ms apart while its dependent waits, so it is seen ready within 50 ms of
  // passing (an exec probe's cap is 200 ms for its cost).
  Harness h;
  auto checks = std::make_shared<Times>();
  auto execs = std::make_shared<Times>();
  h.build({nativeDb(h, "db", 2100ms, checks, execs), node("web", {"db"})});
  const Clock::SteadyTime t0 = h.clock.steady();
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  EXPECT_TRUE(execs->empty());
  EXPECT_EQ(h.callsOf(Op::Exec), (std::vector<std::string>{}));
  ASSERT_GE(checks->size(), 4u);
  EXPECT_EQ((*checks)[0], 0ns);
  EXPECT_EQ((*checks)[1], 10ms);
  EXPECT_EQ((*checks)[2], 30ms);
  EXPECT_EQ(largestGap(*checks, 0), 50ms);
  EXPECT_GE(checks->back(), 2100ms);
  EXPECT_LE(checks->back(), 2150ms);
  EXPECT_LE(h.clock.steady() - t0, 2150ms);
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
}

TEST(NativeProbeTest, WithoutANativeAnswerTheProbeFallsBackToExec) {
  // Ensures a runtime that cannot reach the container (no native script: Unsupported) leaves
  // the exec probe in charge, at its own cadence.
  Harness h;
  auto execs = std::make_shared<Times>();
  PlanNode db = slowDb(h, "db", 700ms, execs);
  db.spec.healthcheck->native = runtime::NativeCheck{
      .protocol = runtime::NativeCheck::Protocol::Postgres, .port = 5432, .user = "postgres"};
  h.build({db, node("web", {"db"})});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  EXPECT_EQ(h.callsOf(Op::NativeCheck), (std::vector<std::string>{}));
  ASSERT_FALSE(execs->empty());
  EXPECT_EQ(execs->back(), 750ms);  // 0, 50, 150, 350, 550, 750 ms
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
}

TEST(NativeProbeTest, AnAddressFoundUnreachableMidwayHandsOverToExec) {
  // Ensures a native check that finds the address unreachable after all (Unsupported from the
  // check itself) stops native checking and probes with exec until ready.
  Harness h;
  auto checks = std::make_shared<Times>();
  auto execs = std::make_shared<Times>();
  h.build({nativeDb(h, "db", 1s, checks, execs, 100ms), node("web", {"db"})});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  ASSERT_FALSE(checks->empty());
  EXPECT_GE(checks->back(), 100ms);
  EXPECT_LT(checks->back(), 200ms);  // no native check after the unreachable one
  ASSERT_FALSE(execs->empty());
  EXPECT_EQ(execs->front(), checks->back());  // exec at once
  EXPECT_GE(execs->back(), 1s);
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
}

TEST(NativeProbeTest, AContainerThatExitsWhileCheckedFailsLikeWithExec) {
  // Ensures a dependency that dies during native checks fails the boot with its exit (the
  // engine's wait reports it), not a timeout: native checks of a dead container are "not yet".
  Harness h;
  auto checks = std::make_shared<Times>();
  auto execs = std::make_shared<Times>();
  PlanNode db = nativeDb(h, "db", 60s, checks, execs);
  runtime::Behaviour dies;
  dies.healthyAfter = 60s;
  dies.exit = runtime::ScriptedExit{.after = 300ms, .code = 3};
  h.rt.script(db.spec.name, dies);
  h.build({db, node("web", {"db"})});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value());
  ASSERT_FALSE(up->value().has_value());
  EXPECT_NE(up->value().error().message().find("exited with code 3"), std::string::npos)
      << up->value().error().message();
  EXPECT_TRUE(execs->empty());
}

TEST(NativeProbeTest, SteadyHealthWithoutEngineChecksIsProbedNatively) {
  // Ensures the supervisor's own steady health probe (podman without systemd: the engine's
  // health never leaves "starting") uses the native check too: no exec over the stack's life,
  // and `retries` failed checks in a row still make it unhealthy.
  Harness h;
  PlanNode db = node("db", {}, true);  // interval 1s, retries 3, start period 0, timeout 3s
  db.spec.healthcheck->native =
      runtime::NativeCheck{.protocol = runtime::NativeCheck::Protocol::Redis, .port = 6379};
  auto passing = std::make_shared<bool>(true);
  h.rt.scriptNative(
      "demo_db", [passing](const runtime::NativeCheck&, std::chrono::nanoseconds) -> Result<bool> {
        return *passing;
      });
  h.build({db});
  ASSERT_TRUE(h.boot().has_value());
  const std::size_t checksAtBoot = h.callsOf(Op::NativeCheck).size();
  EXPECT_GE(checksAtBoot, 1u);
  h.advance(6s);  // the engine's first check was due at 1 + 3 + 1 s: we probe from now on
  for (int s = 0; s < 3; ++s) {
    h.advance(1s);
  }
  EXPECT_GE(h.callsOf(Op::NativeCheck).size(), checksAtBoot + 3);
  *passing = false;
  for (int s = 0; s < 4; ++s) {
    h.advance(1s);
  }
  EXPECT_EQ(h.view("db").health, Health::Unhealthy);
  EXPECT_EQ(h.count(K::ResourceUnhealthy, "db"), 1u);
  EXPECT_EQ(h.callsOf(Op::Exec), (std::vector<std::string>{}));
}

}  // namespace
}  // namespace ls::lifecycle
