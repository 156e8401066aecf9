#include "unit/lifecycle/harness.hpp"

namespace ls::lifecycle {
namespace {

// --- boot: ordering and gating ---------------------------------------------------------------

struct GatingCase {
  std::string label;
  std::vector<PlanNode> nodes;
  Op heldOp;
  std::size_t heldCall;  ///< hold the n-th call of heldOp
  std::vector<std::string> startedWhileHeld;
  std::vector<std::string> notStartedWhileHeld;
};

TEST(LifecycleBootTest, GatesEachResourceOnExactlyItsOwnDependencies) {
  // Ensures a dependent never starts before its dependencies are ready, while independent
  // resources start concurrently, with no level barriers, on chain, diamond and wide graphs.
  const std::vector<GatingCase> cases = {
      {"chain: c waits for b waits for a",
       {node("a"), node("b", {"a"}), node("c", {"b"})},
       Op::WaitHealthy,
       1,
       {"a"},
       {"b", "c"}},
      {"diamond: d waits for both b and c",
       {node("a"), node("b", {"a"}), node("c", {"a"}), node("d", {"b", "c"})},
       Op::WaitHealthy,
       2,
       {"a", "b", "c"},
       {"d"}},
      {"wide: all start at once",
       {node("a"), node("b"), node("c"), node("d")},
       Op::Start,
       1,
       {"a", "b", "c", "d"},
       {}},
      {"no level barrier: y follows x while the slow root s is not ready",
       {node("s"), node("x"), node("y", {"x"}), node("z", {"s"})},
       Op::WaitHealthy,
       1,
       {"s", "x", "y"},
       {"z"}},
  };
  for (const GatingCase& c : cases) {
    SCOPED_TRACE(c.label);
    Harness h;
    h.build(c.nodes);
    runtime::Gate gate = h.rt.hold(c.heldOp, c.heldCall);
    auto up = h.spawn(h.mgr->start());
    h.poll();
    ASSERT_TRUE(gate.reached());
    for (const std::string& name : c.startedWhileHeld) {
      EXPECT_TRUE(h.called(Op::Start, name)) << name << " should have started";
    }
    for (const std::string& name : c.notStartedWhileHeld) {
      EXPECT_FALSE(h.called(Op::Start, name)) << name << " started too early";
    }
    EXPECT_FALSE(up->has_value());
    gate.release();
    h.settle(up);
    ASSERT_TRUE(up->has_value());
    ASSERT_TRUE(up->value().has_value()) << up->value().error().what();
    // Every dependent started after each of its dependencies was ready.
    for (const PlanNode& n : c.nodes) {
      for (const Dependency& d : n.dependencies) {
        EXPECT_LT(h.eventIndex(K::ResourceHealthy, d.name),
                  h.eventIndex(K::ResourceStarting, n.name))
            << n.name << " before " << d.name;
      }
      EXPECT_EQ(h.view(n.name).status, ResourceStatus::Running);
    }
    EXPECT_NE(h.eventIndex(K::StackReady), std::string::npos);
  }
}

TEST(LifecycleBootTest, WaitsForHealthyWhenAHealthcheckExists) {
  // Ensures a dependent of a resource with a healthcheck waits until it is healthy, not merely
  // running.
  Harness h;
  h.build({node("db", {}, true), node("api", {"db"})});
  runtime::Behaviour db;
  db.healthyAfter = 3s;
  h.rt.script("demo_db", db);
  auto up = h.spawn(h.mgr->start());
  h.poll();
  h.advance(2s);
  EXPECT_FALSE(h.called(Op::Start, "api"));
  EXPECT_EQ(h.view("db").health, Health::Starting);
  h.advance(1s);
  EXPECT_TRUE(h.called(Op::Start, "api"));
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  EXPECT_EQ(h.view("db").health, Health::Healthy);
}

TEST(LifecycleBootTest, DependentsOfAOneShotWaitForItsCompletion) {
  // Ensures `depends_on: {job: completed}` starts the dependent only after the job exited 0.
  Harness h;
  PlanNode api = node("api", {"db", "migrate"});
  api.dependencies[1].condition = DependencyCondition::Completed;
  h.build({node("db"), node("migrate", {"db"}), api});
  runtime::Behaviour job;
  job.exit = runtime::ScriptedExit{.after = 5s, .code = 0};
  h.rt.script("demo_migrate", job);
  auto up = h.spawn(h.mgr->start());
  h.poll();
  EXPECT_TRUE(h.called(Op::Start, "migrate"));
  EXPECT_FALSE(h.called(Op::Start, "api"));
  h.advance(5s);
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value()) << up->value().error().what();
  EXPECT_LT(h.eventIndex(K::ResourceCompleted, "migrate"),
            h.eventIndex(K::ResourceStarting, "api"));
  EXPECT_EQ(h.view("migrate").status, ResourceStatus::Completed);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
}

TEST(LifecycleBootTest, RemovesAStaleContainerBeforeStarting) {
  // Ensures a leftover container of the same name (a previous run, of another spec: one of
  // the same spec would be adopted) is removed, not a conflict.
  Harness h;
  h.build({node("api")});
  runtime::ContainerSpec stale = node("api").spec;
  stale.env["VERSION"] = "previous";
  runtime::StartOptions none;
  auto leftover = h.spawn(h.rt.start(stale, none));
  h.poll();
  ASSERT_TRUE(leftover->has_value() && leftover->value().has_value());
  h.rt.clearCalls();
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_NE(h.view("api").containerId, leftover->value()->value);
  // The create found the name taken: remove, then create again.
  EXPECT_EQ(h.callsOf(Op::Start), (std::vector<std::string>{"demo_api", "demo_api"}));
  EXPECT_EQ(h.callsOf(Op::Remove), std::vector<std::string>{"demo_api"});
}

TEST(LifecycleBootTest, ACleanBootRemovesNothing) {
  // Ensures the common path costs one start per resource: no stale-name removal up front,
  // no inspect for ports a resource does not publish.
  Harness h;
  h.build({node("db"), node("api", {"db"})});
  h.rt.clearCalls();
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_EQ(h.callsOf(Op::Start).size(), 2u);
  EXPECT_TRUE(h.callsOf(Op::Remove).empty());
  EXPECT_TRUE(h.callsOf(Op::Inspect).empty());  // no published ports to read back
}

// --- boot: failures --------------------------------------------------------------------------

std::vector<PlanNode> sixResources() {
  PlanNode api = node("api", {"db", "cache", "migrate"});
  api.dependencies[2].condition = DependencyCondition::Completed;
  return {node("db", {}, true),      node("cache"),       node("migrate", {"db"}), api,
          node("worker", {"cache"}), node("web", {"api"})};
}

void scriptSix(runtime::MemoryRuntime& rt) {
  runtime::Behaviour db;
  db.healthyAfter = 2s;
  rt.script("demo_db", db);
  runtime::Behaviour job;
  job.exit = runtime::ScriptedExit{.after = 1s, .code = 0};
  rt.script("demo_migrate", job);
}

TEST(LifecycleFaultTest, FailingAnyCallOfABootNamesTheResourceAndLeavesNothing) {
  // Ensures that failing the N-th runtime call, for every N of a full boot of a 6-resource
  // graph, gives an error naming the resource and leaves no container and no network behind.
  std::size_t total = 0;
  {
    Harness h;
    h.build(sixResources());
    scriptSix(h.rt);
    ASSERT_TRUE(h.boot().has_value());
    total = h.rt.callCount();
  }
  ASSERT_GT(total, 15u);  // 6 resources: starts, health waits, probes, network, events
  for (std::size_t n = 1; n <= total; ++n) {
    SCOPED_TRACE("failing call " + std::to_string(n));
    Harness h;
    h.build(sixResources());
    scriptSix(h.rt);
    h.rt.failCall(n, injected());
    Result<void> up = h.boot();
    ASSERT_GE(h.rt.calls().size(), n);
    const runtime::Call failed = h.rt.calls()[n - 1];
    if (up.has_value()) {
      // Only cosmetic calls (the ports inspect), our fast probe's exec (the engine's health
      // still decides) and the adoption's listing (nothing adopted) may fail without failing
      // the boot.
      EXPECT_TRUE(failed.op == Op::Inspect || failed.op == Op::Exec || failed.op == Op::ListManaged)
          << runtime::opName(failed.op);
      ASSERT_TRUE(h.shutdown().has_value());
    } else {
      const std::string what = up.error().what();
      if (failed.op == Op::Events) {
        EXPECT_NE(what.find("project 'demo'"), std::string::npos) << what;
      } else if (failed.argument.rfind("demo_", 0) == 0) {
        const std::string resource = failed.argument.substr(5);
        EXPECT_NE(what.find("resource '" + resource + "'"), std::string::npos) << what;
        EXPECT_NE(h.eventIndex(K::ResourceFailed, resource), std::string::npos);
      } else {
        EXPECT_NE(what.find("resource '"), std::string::npos) << what;
      }
      EXPECT_NE(what.find("injected failure"), std::string::npos) << what;
      EXPECT_NE(h.eventIndex(K::StackFailed), std::string::npos);
    }
    EXPECT_TRUE(h.leftNothing());
    EXPECT_EQ(h.rt.pendingWaiters(), 0u);
  }
}

TEST(LifecycleFaultTest, ExitBeforeReadyFailsTheResourceAndItsDependents) {
  // Ensures a container that exits before it is ready fails with its exit code and last log
  // lines, fails every dependent, and the rollback removes what was started.
  Harness h;
  h.build({node("db", {}, true), node("cache"), node("api", {"db"}), node("web", {"api"})});
  runtime::Behaviour db;
  db.exit = runtime::ScriptedExit{.after = 2s, .code = 3, .lastLines = {"FATAL: bad config"}};
  h.rt.script("demo_db", db);
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  const std::string what = up.error().what();
  EXPECT_NE(what.find("starting resource 'db'"), std::string::npos) << what;
  EXPECT_NE(what.find("exited with code 3"), std::string::npos) << what;
  EXPECT_NE(what.find("FATAL: bad config"), std::string::npos) << what;
  EXPECT_EQ(up.error().reason(), "exited_before_ready");
  for (const char* name : {"db", "api", "web"}) {
    EXPECT_EQ(h.view(name).status, ResourceStatus::Failed) << name;
    EXPECT_NE(h.eventIndex(K::ResourceFailed, name), std::string::npos) << name;
  }
  EXPECT_FALSE(h.called(Op::Start, "api"));
  EXPECT_EQ(h.view("cache").status, ResourceStatus::Stopped);
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleFaultTest, OneShotExitingNonZeroFailsItsDependents) {
  // Ensures a one-shot job that exits non-zero fails itself and whoever waits for completion.
  Harness h;
  PlanNode api = node("api", {"migrate"});
  api.dependencies[0].condition = DependencyCondition::Completed;
  h.build({node("migrate"), api});
  runtime::Behaviour job;
  job.exit = runtime::ScriptedExit{.after = 1s, .code = 2, .lastLines = {"relation missing"}};
  h.rt.script("demo_migrate", job);
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  EXPECT_NE(up.error().what().find("resource 'migrate'"), std::string::npos);
  EXPECT_NE(up.error().what().find("relation missing"), std::string::npos);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Failed);
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleFaultTest, StartTimeoutFailsAResourceThatNeverBecomesReady) {
  // Ensures the start timeout (overridable) bounds readiness and names the resource.
  Harness h;
  Options o = deterministic();
  o.startTimeout = 5s;
  h.build({node("db", {}, true)}, o);  // never scripted healthy
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  EXPECT_EQ(up.error().code(), Errc::Timeout);
  EXPECT_NE(up.error().what().find("resource 'db'"), std::string::npos);
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleFaultTest, KeepOnFailureLeavesStartedContainers) {
  // Ensures keepOnFailure skips the rollback, and a later stop still cleans everything.
  Harness h;
  Options o = deterministic();
  o.keepOnFailure = true;
  h.build({node("cache"), node("db", {}, true)}, o);
  runtime::Behaviour db;
  db.exit = runtime::ScriptedExit{.after = 1s, .code = 1};
  h.rt.script("demo_db", db);
  ASSERT_FALSE(h.boot().has_value());
  EXPECT_FALSE(h.rt.containerNames().empty());
  ASSERT_TRUE(h.shutdown().has_value());
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleCancelTest, CancellingTheBootRollsBack) {
  // Ensures cancelling the coroutine awaiting start (Ctrl+C during boot) cancels the work in
  // flight, rolls back what was started and leaves no waiter suspended in the runtime.
  Harness h;
  h.build({node("cache"), node("db", {}, true), node("api", {"db"})});
  asio::cancellation_signal sig;
  auto up = h.spawn(h.mgr->start(), sig);
  h.poll();
  ASSERT_TRUE(h.called(Op::WaitHealthy, "db"));
  sig.emit(asio::cancellation_type::terminal);
  h.settle(up);
  ASSERT_TRUE(up->has_value());
  ASSERT_FALSE(up->value().has_value());
  EXPECT_EQ(up->value().error().code(), Errc::Cancelled);
  EXPECT_FALSE(h.called(Op::Start, "api"));
  EXPECT_TRUE(h.leftNothing());
  EXPECT_EQ(h.rt.pendingWaiters(), 0u);
  EXPECT_EQ(h.rt.eventSubscribers(), 0u);
}

TEST(LifecycleCancelTest, StopAfterACancelledOrFailedBootIsAHarmlessNoOp) {
  // Ensures calling stop (and kill) after the boot was cancelled or failed and rolled back is
  // safe: it completes, succeeds, and touches nothing (the CLI may do this on Ctrl+C).
  for (bool cancel : {true, false}) {
    Harness h;
    h.build({node("cache"), node("db", {}, true), node("api", {"db"})});
    asio::cancellation_signal sig;
    if (!cancel) {
      runtime::Behaviour failing;
      failing.exit = runtime::ScriptedExit{.after = 1s, .code = 1};
      h.rt.script("demo_db", failing);
    }
    auto up = h.spawn(h.mgr->start(), sig);
    h.poll();
    if (cancel) {
      sig.emit(asio::cancellation_type::terminal);
    }
    h.settle(up);
    ASSERT_TRUE(up->has_value());
    ASSERT_FALSE(up->value().has_value());
    Result<void> stopped = h.shutdown();
    EXPECT_TRUE(stopped.has_value()) << (stopped ? "" : stopped.error().what());
    auto killed = h.spawn(h.mgr->kill());
    h.settle(killed);
    ASSERT_TRUE(killed->has_value());
    EXPECT_TRUE(killed->value().has_value());
    EXPECT_TRUE(h.leftNothing());
    EXPECT_EQ(h.rt.pendingWaiters(), 0u);
  }
}

TEST(LifecycleCancelTest, StopDuringBootInterruptsItAndCleansUp) {
  // Ensures stop() during a boot interrupts the boot (start returns Cancelled) and shuts down.
  Harness h;
  h.build({node("db", {}, true), node("api", {"db"})});
  auto up = h.spawn(h.mgr->start());
  h.poll();
  auto down = h.spawn(h.mgr->stop());
  h.settle(down);
  ASSERT_TRUE(up->has_value() && down->has_value());
  EXPECT_EQ(up->value().error().code(), Errc::Cancelled);
  EXPECT_TRUE(down->value().has_value());
  EXPECT_TRUE(h.leftNothing());
}

// --- readiness: our fast probe ---------------------------------------------------------------

// An exec script that passes from `after` on (exit 1 before, with output that must stay private),
// recording every command it is given.
runtime::ExecScript probePassesAfter(
    std::chrono::nanoseconds after,
    std::shared_ptr<std::vector<std::vector<std::string>>> seen = nullptr) {
  return [after, seen](const std::vector<std::string>& cmd, std::chrono::nanoseconds since) {
    if (seen) {
      seen->push_back(cmd);
    }
    runtime::ExecResult r;
    r.exitCode = since >= after ? 0 : 1;
    r.stdoutText = "probe-stdout-private";
    r.stderrText = "probe-stderr-private";
    return r;
  };
}

runtime::ContainerStatus inspectNow(Harness& h, const std::string& resource) {
  runtime::ContainerId id{h.view(resource).containerId};
  auto status = h.spawn(h.rt.inspect(id));
  h.poll();
  EXPECT_TRUE(status->has_value() && (*status)->has_value());
  return status->has_value() && (*status)->has_value() ? ***status : runtime::ContainerStatus{};
}

bool anyEventMentions(const Harness& h, const std::string& text) {
  return std::any_of(h.seen.begin(), h.seen.end(), [&](const LifecycleEvent& e) {
    return e.message.find(text) != std::string::npos;
  });
}

TEST(LifecycleProbeTest, FastProbeMakesAResourceReadyBeforeTheEngineHealthFlips) {
  // Ensures the first probe that exits 0 makes the resource ready (resource_healthy, once) and
  // starts its dependents while the engine still reports health "starting"; the engine's later
  // healthy event does not emit a second resource_healthy.
  Harness h;
  PlanNode db = node("db", {}, true);
  db.spec.healthcheck->test = {"CMD-SHELL", "pg_isready -U app"};
  h.build({db, node("api", {"db"})});
  runtime::Behaviour engine;
  engine.healthyAfter = 30s;  // the engine's own probe is far behind
  h.rt.script("demo_db", engine);
  auto seen = std::make_shared<std::vector<std::vector<std::string>>>();
  h.rt.scriptExec("demo_db", probePassesAfter(300ms, seen));
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_EQ(inspectNow(h, "db").state, runtime::ContainerState::Running);  // engine: "starting"
  EXPECT_EQ(h.view("db").health, Health::Healthy);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 1u);
  EXPECT_LT(h.eventIndex(K::ResourceHealthy, "db"), h.eventIndex(K::ResourceStarting, "api"));
  ASSERT_FALSE(seen->empty());
  EXPECT_GE(seen->size(), 2u);  // it failed first, then passed
  EXPECT_EQ(seen->front(), (std::vector<std::string>{"/bin/sh", "-c", "pg_isready -U app"}));
  h.advance(40s);
  EXPECT_EQ(inspectNow(h, "db").state, runtime::ContainerState::Healthy);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 1u);
}

TEST(LifecycleProbeTest, FirstProbeDefersToStartsInFlightButNotForLong) {
  // Ensures a started resource's first exec probe waits while a sibling's create/start is in
  // flight (the exec would compete with it for the engine), runs as soon as that start
  // returns, and never waits longer than the bound (a slow pull elsewhere must not hold it).
  Harness h;
  PlanNode a = node("a", {}, true);
  PlanNode b = node("b", {}, true);
  h.build({a, b});
  runtime::Behaviour slowEngine;
  slowEngine.healthyAfter = 30s;
  h.rt.script("demo_a", slowEngine);
  h.rt.script("demo_b", slowEngine);
  h.rt.scriptExec("demo_a", probePassesAfter(0s));
  h.rt.scriptExec("demo_b", probePassesAfter(0s));
  runtime::Gate holdB = h.rt.hold(Op::Start, 2);
  auto up = h.spawn(h.mgr->start());
  h.poll();
  ASSERT_EQ(h.callsOf(Op::Start), (std::vector<std::string>{"demo_a", "demo_b"}));
  EXPECT_EQ(h.rt.callCount(Op::Exec), 0u);  // b's start is in flight
  h.advance(500ms);
  EXPECT_EQ(h.rt.callCount(Op::Exec), 0u);
  holdB.release();
  h.poll();
  EXPECT_EQ(h.rt.callCount(Op::Exec), 2u);
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  EXPECT_EQ(h.view("a").health, Health::Healthy);
  EXPECT_EQ(h.view("b").health, Health::Healthy);
  ASSERT_TRUE(h.shutdown().has_value());

  Harness g;
  g.build({a, b});
  g.rt.script("demo_a", slowEngine);
  g.rt.script("demo_b", slowEngine);
  g.rt.scriptExec("demo_a", probePassesAfter(0s));
  runtime::Gate stuck = g.rt.hold(Op::Start, 2);
  auto up2 = g.spawn(g.mgr->start());
  g.poll();
  g.advance(1900ms);
  EXPECT_EQ(g.rt.callCount(Op::Exec), 0u);
  g.advance(200ms);  // past the 2 s bound: a is probed (and ready) while b still starts
  EXPECT_EQ(g.rt.callCount(Op::Exec), 1u);
  EXPECT_EQ(g.view("a").health, Health::Healthy);
  stuck.release();
  g.settle(up2);
  ASSERT_TRUE(up2->has_value() && up2->value().has_value());
  ASSERT_TRUE(g.shutdown().has_value());
}

TEST(LifecycleProbeTest, CmdFormRunsItsArgumentsDirectly) {
  // Ensures ["CMD", args...] is exec'd as args, without a shell.
  Harness h;
  PlanNode db = node("db", {}, true);
  db.spec.healthcheck->test = {"CMD", "redis-cli", "ping"};
  h.build({db});
  auto seen = std::make_shared<std::vector<std::vector<std::string>>>();
  h.rt.scriptExec("demo_db", probePassesAfter(0s, seen));
  ASSERT_TRUE(h.boot().has_value());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->front(), (std::vector<std::string>{"redis-cli", "ping"}));
  EXPECT_EQ(h.view("db").health, Health::Healthy);
}

TEST(LifecycleProbeTest, FallsBackToTheEngineHealthWhenExecIsUnsupported) {
  // Ensures a runtime without exec (Unsupported) gets one attempt, then silence: readiness comes
  // from the engine's health alone, and nothing about the probe is reported.
  Harness h;
  h.build({node("db", {}, true), node("api", {"db"})});
  runtime::Behaviour engine;
  engine.healthyAfter = 3s;
  h.rt.script("demo_db", engine);
  auto up = h.spawn(h.mgr->start());
  h.poll();
  h.advance(2s);
  EXPECT_FALSE(h.called(Op::Start, "api"));
  EXPECT_EQ(h.rt.callCount(Op::Exec), 1u);
  h.advance(1s);
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  EXPECT_EQ(h.rt.callCount(Op::Exec), 1u);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 1u);
  EXPECT_FALSE(anyEventMentions(h, "probe"));
}

TEST(LifecycleProbeTest, FallsBackWhenTheContainerIsNotRunningYet) {
  // Ensures exec answering Conflict (not running) ends the probing; the engine's health decides.
  Harness h;
  h.build({node("db", {}, true)});
  runtime::Behaviour engine;
  engine.runningAfter = 1s;
  engine.healthyAfter = 4s;
  h.rt.script("demo_db", engine);
  h.rt.scriptExec("demo_db", probePassesAfter(0s));
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_EQ(h.rt.callCount(Op::Exec), 1u);
  EXPECT_EQ(inspectNow(h, "db").state, runtime::ContainerState::Healthy);
}

TEST(LifecycleProbeTest, TheProbeNeverOutlivesReadiness) {
  // Ensures that once the engine's health made the resource ready, our probe stops for good
  // (steady state is the engine's job), and that a transient exec failure is retried.
  Harness h;
  h.build({node("db", {}, true)});
  runtime::Behaviour engine;
  engine.healthyAfter = 2s;
  h.rt.script("demo_db", engine);
  h.rt.scriptExec("demo_db", probePassesAfter(24h));  // our probe keeps failing
  h.rt.failOn(Op::Exec, 2, injected());
  ASSERT_TRUE(h.boot().has_value());
  const std::size_t execs = h.rt.callCount(Op::Exec);
  EXPECT_GE(execs, 3u);  // kept probing after the injected failure
  h.advance(1min);
  h.advance(1h);
  EXPECT_EQ(h.rt.callCount(Op::Exec), execs);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 1u);
}

TEST(LifecycleProbeTest, ExitBeforeReadyStillFailsWhileProbing) {
  // Ensures a container that exits while our probe keeps failing fails with its exit code and
  // last lines, and that neither the probe's command nor its output ever reaches an event.
  Harness h;
  PlanNode db = node("db", {}, true);
  db.spec.healthcheck->test = {"CMD-SHELL", "redis-cli -a pw-in-command ping"};
  h.build({db, node("api", {"db"})});
  runtime::Behaviour engine;
  engine.exit = runtime::ScriptedExit{.after = 2s, .code = 3, .lastLines = {"FATAL: bad config"}};
  h.rt.script("demo_db", engine);
  h.rt.scriptExec("demo_db", probePassesAfter(24h));
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  const std::string what = up.error().what();
  EXPECT_EQ(up.error().reason(), "exited_before_ready");
  EXPECT_NE(what.find("exited with code 3"), std::string::npos) << what;
  EXPECT_NE(what.find("FATAL: bad config"), std::string::npos) << what;
  EXPECT_EQ(what.find("pw-in-command"), std::string::npos) << what;
  EXPECT_FALSE(h.called(Op::Start, "api"));
  EXPECT_FALSE(anyEventMentions(h, "pw-in-command"));
  EXPECT_FALSE(anyEventMentions(h, "private"));
  EXPECT_TRUE(h.leftNothing());
  EXPECT_EQ(h.rt.pendingWaiters(), 0u);
}

TEST(LifecycleProbeTest, TimeoutSaysOnlyTheProbeExitCode) {
  // Ensures a start timeout while our probe fails mentions "probe exited with code N" and
  // nothing of the probe's command or output.
  Harness h;
  Options o = deterministic();
  o.startTimeout = 5s;
  PlanNode db = node("db", {}, true);
  db.spec.healthcheck->test = {"CMD-SHELL", "check --password pw-in-command"};
  h.build({db}, o);
  h.rt.scriptExec("demo_db", probePassesAfter(24h));
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  EXPECT_EQ(up.error().code(), Errc::Timeout);
  const std::string what = up.error().what();
  EXPECT_NE(what.find("probe exited with code 1"), std::string::npos) << what;
  EXPECT_EQ(what.find("pw-in-command"), std::string::npos) << what;
  EXPECT_EQ(what.find("private"), std::string::npos) << what;
  EXPECT_FALSE(anyEventMentions(h, "pw-in-command"));
  EXPECT_FALSE(anyEventMentions(h, "private"));
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleProbeTest, CancellingDuringProbingLeavesNothingPending) {
  // Ensures Ctrl+C while our probe is backing off (or inside a hung exec) cancels it with the
  // boot: Cancelled, everything rolled back, no waiter and no timer left behind.
  for (bool hungExec : {false, true}) {
    SCOPED_TRACE(hungExec ? "inside a hung exec" : "between attempts");
    Harness h;
    h.build({node("db", {}, true), node("api", {"db"})});
    h.rt.scriptExec("demo_db", probePassesAfter(24h));
    if (hungExec) {
      h.rt.hangOn(Op::Exec, 3);
    }
    asio::cancellation_signal sig;
    auto up = h.spawn(h.mgr->start(), sig);
    h.poll();
    h.advance(50ms);
    h.advance(100ms);
    ASSERT_GE(h.rt.callCount(Op::Exec), 2u);
    sig.emit(asio::cancellation_type::terminal);
    h.settle(up);
    ASSERT_TRUE(up->has_value());
    ASSERT_FALSE(up->value().has_value());
    EXPECT_EQ(up->value().error().code(), Errc::Cancelled);
    EXPECT_FALSE(h.called(Op::Start, "api"));
    EXPECT_TRUE(h.leftNothing());
    EXPECT_EQ(h.rt.pendingWaiters(), 0u);
    EXPECT_EQ(h.clock.pendingTimers(), 0u);
    const std::size_t execs = h.rt.callCount(Op::Exec);
    h.advance(1h);
    EXPECT_EQ(h.rt.callCount(Op::Exec), execs);
  }
}

TEST(LifecycleProbeTest, StopDuringProbingInterruptsTheBoot) {
  // Ensures stop() while our probe runs interrupts the boot and cleans up.
  Harness h;
  h.build({node("db", {}, true), node("api", {"db"})});
  h.rt.scriptExec("demo_db", probePassesAfter(24h));
  auto up = h.spawn(h.mgr->start());
  h.poll();
  h.advance(50ms);
  auto down = h.spawn(h.mgr->stop());
  h.settle(down);
  h.settle(up);
  ASSERT_TRUE(up->has_value() && down->has_value());
  EXPECT_EQ(up->value().error().code(), Errc::Cancelled);
  EXPECT_TRUE(down->value().has_value());
  EXPECT_TRUE(h.leftNothing());
  EXPECT_EQ(h.rt.pendingWaiters(), 0u);
}

// --- shutdown --------------------------------------------------------------------------------

TEST(LifecycleShutdownTest, StopsInReverseOrderParallelWhereTheGraphAllows) {
  // Ensures shutdown stops a resource only after all its dependents stopped, and stops
  // independent dependents concurrently.
  Harness h;
  h.build({node("a"), node("b", {"a"}), node("c", {"a"}), node("d", {"b", "c"})});
  ASSERT_TRUE(h.boot().has_value());
  h.rt.clearCalls();
  runtime::Gate first = h.rt.hold(Op::Stop, 1);
  runtime::Gate second = h.rt.hold(Op::Stop, 2);
  auto down = h.spawn(h.mgr->stop());
  h.poll();
  EXPECT_EQ(h.callsOf(Op::Stop), std::vector<std::string>{"demo_d"});
  first.release();
  h.poll();
  std::vector<std::string> stops = h.callsOf(Op::Stop);
  ASSERT_EQ(stops.size(), 3u);  // b and c together, a not yet
  EXPECT_EQ(std::set<std::string>(stops.begin() + 1, stops.end()),
            (std::set<std::string>{"demo_b", "demo_c"}));
  second.release();
  h.settle(down);
  ASSERT_TRUE(down->has_value() && down->value().has_value());
  EXPECT_EQ(h.callsOf(Op::Stop).back(), "demo_a");
  EXPECT_EQ(h.callsOf(Op::TeardownNetwork).size(), 1u);
  EXPECT_TRUE(h.leftNothing());
  EXPECT_LT(h.eventIndex(K::StackStopping), h.eventIndex(K::ResourceStopped, "d"));
  EXPECT_LT(h.eventIndex(K::ResourceStopped, "a"), h.eventIndex(K::StackStopped));
}

TEST(LifecycleShutdownTest, RemovesTheNetworkOnceAllAreStoppedWhileRemovalsRun) {
  // Ensures the project network goes as soon as every container is stopped (a stopped
  // container holds no endpoint), without waiting for the container removals, and only once.
  Harness h;
  h.build({node("a"), node("b", {"a"})});
  ASSERT_TRUE(h.boot().has_value());
  h.rt.clearCalls();
  runtime::Gate removeB = h.rt.hold(Op::Remove, 1);
  runtime::Gate removeA = h.rt.hold(Op::Remove, 2);
  auto down = h.spawn(h.mgr->stop());
  h.poll();
  EXPECT_EQ(h.callsOf(Op::Stop), (std::vector<std::string>{"demo_b", "demo_a"}));
  EXPECT_EQ(h.callsOf(Op::TeardownNetwork).size(), 1u);  // both removals still pending
  EXPECT_FALSE(down->has_value());
  removeB.release();
  removeA.release();
  h.settle(down);
  ASSERT_TRUE(down->has_value() && down->value().has_value());
  EXPECT_EQ(h.callsOf(Op::TeardownNetwork).size(), 1u);
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleShutdownTest, ARunningForeignContainerOfTheProjectDelaysTheNetworkToTheSweep) {
  // Ensures a project container the plan does not know (still running, so still attached)
  // makes the early network removal fail quietly; the sweep removes it, then the network.
  Harness h;
  h.build({node("a")});
  ASSERT_TRUE(h.boot().has_value());
  runtime::ContainerSpec extra = node("a").spec;
  extra.name = "demo_extra";
  extra.resource = "extra";
  runtime::StartOptions none;
  auto started = h.spawn(h.rt.start(extra, none));
  h.poll();
  ASSERT_TRUE(started->has_value() && started->value().has_value());
  h.rt.clearCalls();
  auto down = h.spawn(h.mgr->stop());
  h.settle(down);
  ASSERT_TRUE(down->has_value() && down->value().has_value()) << down->value().error().what();
  EXPECT_EQ(h.callsOf(Op::TeardownNetwork).size(), 2u);
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleShutdownTest, SecondCtrlCKillsEverythingAtOnce) {
  // Ensures kill() during a graceful stop stops the remaining containers with zero grace
  // without waiting out the grace period.
  Harness h;
  h.build({node("db"), node("api", {"db"})});
  runtime::Behaviour stubborn;
  stubborn.ignoresSigterm = true;
  h.rt.script("demo_api", stubborn);
  h.rt.script("demo_db", stubborn);
  ASSERT_TRUE(h.boot().has_value());
  auto down = h.spawn(h.mgr->stop());
  h.poll();
  EXPECT_FALSE(down->has_value());  // api's 10 s grace is running
  auto killed = h.spawn(h.mgr->kill());
  h.poll();
  ASSERT_TRUE(down->has_value());
  ASSERT_TRUE(killed->has_value());
  EXPECT_TRUE(down->value().has_value());
  EXPECT_TRUE(killed->value().has_value());
  EXPECT_TRUE(h.leftNothing());
}

TEST(LifecycleShutdownTest, IsIdempotentAndToleratesContainersGoneMeanwhile) {
  // Ensures a container removed from outside before shutdown is tolerated, a second stop is a
  // no-op, and the label sweep removes a labelled straggler.
  Harness h;
  h.build({node("db"), node("api", {"db"})});
  ASSERT_TRUE(h.boot().has_value());
  runtime::ContainerSpec straggler = node("ghost").spec;
  runtime::StartOptions none;
  auto extra = h.spawn(h.rt.start(straggler, none));
  h.poll();
  ASSERT_TRUE(h.rt.externalRemove("demo_api"));
  h.poll();
  ASSERT_TRUE(h.shutdown().has_value());
  EXPECT_TRUE(h.leftNothing());
  ASSERT_TRUE(h.shutdown().has_value());
}

TEST(LifecycleShutdownTest, RetriesAFailedStepInAnotherPass) {
  // Ensures a failing remove is retried by the next pass instead of leaving a container behind.
  Harness h;
  h.build({node("db")});
  ASSERT_TRUE(h.boot().has_value());
  h.rt.clearFaults();
  h.rt.failOn(Op::Remove, 1, injected(), 1);
  ASSERT_TRUE(h.shutdown().has_value());
  EXPECT_TRUE(h.leftNothing());
}

// --- supervision -----------------------------------------------------------------------------

TEST(LifecycleSupervisionTest, CrashRestartsWithExponentialBackoff) {
  // Ensures a crash under `always` is restarted after the backoff delay, doubling each time.
  Harness h;
  PlanNode api = node("api");
  api.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  h.build({node("db"), api});
  ASSERT_TRUE(h.boot().has_value());
  const std::string first = h.view("api").containerId;
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  EXPECT_EQ(h.view("api").status, ResourceStatus::Restarting);
  ASSERT_NE(h.eventIndex(K::ResourceExited, "api"), std::string::npos);
  const LifecycleEvent& restarting = h.seen[h.eventIndex(K::ResourceRestarting, "api")];
  EXPECT_EQ(restarting.delay, std::chrono::nanoseconds(1s));
  h.advance(999ms);
  EXPECT_EQ(h.callsOf(Op::Start).size(), 2u);
  h.advance(1ms);
  EXPECT_EQ(h.callsOf(Op::Start).size(), 3u);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").restarts, 1);
  EXPECT_NE(h.view("api").containerId, first);

  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  h.advance(1s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Restarting);  // now 2 s
  h.advance(1s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").restarts, 2);
  EXPECT_EQ(h.view("db").restarts, 0);
}

TEST(LifecycleSupervisionTest, BackoffStartsOverAfterALongRun) {
  // Ensures a container that ran longer than Backoff::resetAfter before crashing is restarted
  // after the initial delay again, while the restart count keeps growing.
  Harness h;
  PlanNode api = node("api");
  api.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  Options o = deterministic();
  o.backoff.resetAfter = 30s;
  h.build({api}, o);
  ASSERT_TRUE(h.boot().has_value());
  // Two quick crashes: 1 s, then 2 s.
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(h.rt.crash("demo_api", 1));
    h.poll();
    h.advance(std::chrono::seconds(1 << round));
    ASSERT_EQ(h.view("api").status, ResourceStatus::Running) << round;
  }
  // A long healthy run, then a crash: back to 1 s instead of 4 s.
  h.advance(31s);
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  std::optional<std::chrono::nanoseconds> delay;
  for (const LifecycleEvent& e : h.seen) {
    if (e.kind == K::ResourceRestarting && e.resource == "api") {
      delay = e.delay;
    }
  }
  EXPECT_EQ(delay, std::chrono::nanoseconds(1s));
  h.advance(1s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").restarts, 3);
}

TEST(LifecycleSupervisionTest, AWallClockJumpDoesNotResetTheBackoff) {
  // Ensures the backoff's "ran long enough" is measured on the steady clock: a crash loop stays
  // a crash loop when the wall clock jumps forward (NTP, a laptop resume). Regression (issue 16).
  Harness h;
  PlanNode api = node("api");
  api.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  Options o = deterministic();
  o.backoff.resetAfter = 30s;
  h.build({api}, o);
  ASSERT_TRUE(h.boot().has_value());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(h.rt.crash("demo_api", 1));
    h.poll();
    h.advance(std::chrono::seconds(1 << round));
    ASSERT_EQ(h.view("api").status, ResourceStatus::Running) << round;
  }
  h.clock.setSystem(h.clock.system() + std::chrono::hours(2));  // the wall clock jumps
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  std::optional<std::chrono::nanoseconds> delay;
  for (const LifecycleEvent& e : h.seen) {
    if (e.kind == K::ResourceRestarting && e.resource == "api") {
      delay = e.delay;
    }
  }
  EXPECT_EQ(delay, std::chrono::nanoseconds(4s));
}

TEST(LifecycleEventsTest, PullAndBuildProgressIsForwarded) {
  // Ensures the runtime's pull and build progress reaches observers as ResourceProgress events
  // of the resource, before it starts.
  Harness h;
  h.rt.addRegistryImage("redis:7");
  PlanNode cache = node("cache");
  cache.spec.image = runtime::PullImage{.reference = "redis:7"};
  PlanNode app = node("app");
  runtime::BuildImage build;
  build.context = "/src/app";
  build.tag = "demo-app:dev";
  app.spec.image = build;
  h.build({cache, app});
  ASSERT_TRUE(h.boot().has_value());
  for (const char* r : {"cache", "app"}) {
    const std::size_t progress = h.eventIndex(K::ResourceProgress, r);
    ASSERT_NE(progress, std::string::npos) << r;
    EXPECT_LT(progress, h.eventIndex(K::ResourceStarted, r)) << r;
  }
  bool sawPull = false;
  bool sawStep = false;
  for (const LifecycleEvent& e : h.seen) {
    sawPull =
        sawPull || (e.resource == "cache" && e.message.find("Pull complete") != std::string::npos);
    sawStep = sawStep || (e.resource == "app" && e.message.find("Step 1/1") != std::string::npos);
  }
  EXPECT_TRUE(sawPull);
  EXPECT_TRUE(sawStep);
}

TEST(LifecycleSupervisionTest, OnFailureGivesUpAfterNRestarts) {
  // Ensures on-failure:2 restarts twice and then reports the resource failed.
  Harness h;
  PlanNode api = node("api");
  api.spec.restart = policy(runtime::RestartPolicy::Mode::OnFailure, 2);
  h.build({api});
  ASSERT_TRUE(h.boot().has_value());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(h.rt.crash("demo_api", 1));
    h.poll();
    h.advance(10s);
    EXPECT_EQ(h.view("api").status, ResourceStatus::Running) << round;
  }
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  h.poll();
  h.advance(60s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Failed);
  EXPECT_EQ(h.view("api").restarts, 2);
  EXPECT_EQ(h.callsOf(Op::Start).size(), 3u);
  EXPECT_NE(h.eventIndex(K::ResourceFailed, "api"), std::string::npos);
}

TEST(LifecycleSupervisionTest, ExitUnderPolicyNoIsReportedAndCleanExitIsCompleted) {
  // Ensures exits under `no` are reported and not restarted; exit 0 is "completed".
  Harness h;
  h.build({node("job"), node("api")});
  ASSERT_TRUE(h.boot().has_value());
  ASSERT_TRUE(h.rt.crash("demo_job", 0));
  ASSERT_TRUE(h.rt.crash("demo_api", 2));
  h.poll();
  h.advance(60s);
  EXPECT_EQ(h.view("job").status, ResourceStatus::Completed);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Exited);
  EXPECT_EQ(h.view("api").exitCode, 2);
  EXPECT_NE(h.eventIndex(K::ResourceCompleted, "job"), std::string::npos);
  EXPECT_EQ(h.seen[h.eventIndex(K::ResourceExited, "api")].exitCode, 2);
  EXPECT_EQ(h.callsOf(Op::Start).size(), 2u);
}

TEST(LifecycleSupervisionTest, NoticesExternalStopAndRemoval) {
  // Ensures docker stop/rm from outside is reported, and recreated only under `always`.
  Harness h;
  PlanNode keeper = node("keeper");
  keeper.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  PlanNode flaky = node("flaky");
  flaky.spec.restart = policy(runtime::RestartPolicy::Mode::OnFailure);
  h.build({node("plain"), keeper, flaky});
  ASSERT_TRUE(h.boot().has_value());
  ASSERT_TRUE(h.rt.externalStop("demo_plain"));
  ASSERT_TRUE(h.rt.externalRemove("demo_keeper"));
  ASSERT_TRUE(h.rt.externalRemove("demo_flaky"));
  h.poll();
  h.advance(60s);
  EXPECT_EQ(h.view("plain").status, ResourceStatus::Stopped);
  EXPECT_NE(h.seen[h.eventIndex(K::ResourceStopped, "plain")].message.find("outside"),
            std::string::npos);
  EXPECT_EQ(h.view("keeper").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("keeper").restarts, 1);
  EXPECT_EQ(h.view("flaky").status, ResourceStatus::Stopped);
  EXPECT_NE(h.eventIndex(K::ResourceStopped, "flaky"), std::string::npos);
}

TEST(LifecycleSupervisionTest, ReconnectedReconcilesFromTheListing) {
  // Ensures an exit whose event was lost (the stream dropped its backlog and reconnected) is
  // found by reconciling with listManaged and handled per policy.
  Harness h;
  PlanNode api = node("api");
  api.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  h.build({node("db", {}, true), api});
  runtime::Behaviour db;
  db.healthyAfter = 1s;
  h.rt.script("demo_db", db);
  ASSERT_TRUE(h.boot().has_value());
  h.rt.clearCalls();
  ASSERT_TRUE(h.rt.crash("demo_api", 1));
  // Flood the stream so it drops its backlog (the die above included) and says Reconnected.
  for (int i = 0; i < 1100; ++i) {
    h.rt.setHealth("demo_db", i % 2 == 0 ? runtime::Health::Unhealthy : runtime::Health::Healthy);
  }
  h.poll();
  EXPECT_FALSE(h.callsOf(Op::ListManaged).empty());
  h.advance(10s);
  EXPECT_EQ(h.view("api").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("api").restarts, 1);
}

// --- restart -----------------------------------------------------------------------------------

TEST(LifecycleRestartTest, RecreatesExactlyThatResourceAndSerializesConcurrentRestarts) {
  // Ensures restart recreates only the named resource (dependents keep their containers) and a
  // concurrent restart of the same resource gets Conflict.
  Harness h;
  h.build({node("db"), node("api", {"db"})});
  ASSERT_TRUE(h.boot().has_value());
  const std::string db = h.view("db").containerId;
  const std::string api = h.view("api").containerId;
  h.rt.clearCalls();
  runtime::Gate held = h.rt.hold(Op::Stop);
  auto first = h.spawn(h.mgr->restart("db"));
  h.poll();
  auto second = h.spawn(h.mgr->restart("db"));
  h.poll();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(second->value().error().code(), Errc::Conflict);
  held.release();
  h.settle(first);
  ASSERT_TRUE(first->has_value() && first->value().has_value());
  EXPECT_NE(h.view("db").containerId, db);
  EXPECT_EQ(h.view("api").containerId, api);
  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_FALSE(h.called(Op::Stop, "api"));
  EXPECT_FALSE(h.called(Op::Start, "api"));
  auto unknown = h.spawn(h.mgr->restart("nope"));
  h.poll();
  EXPECT_EQ(unknown->value().error().code(), Errc::NotFound);
}

TEST(LifecycleRestartTest, RestartDependentsRecreatesTheDependentsToo) {
  // Ensures restart_dependents: true on a resource recreates its dependents after it, and
  // leaves unrelated resources alone.
  Harness h;
  PlanNode db = node("db");
  db.restartDependents = true;
  h.build({db, node("api", {"db"}), node("cache")});
  ASSERT_TRUE(h.boot().has_value());
  const std::string api = h.view("api").containerId;
  const std::string cache = h.view("cache").containerId;
  h.rt.clearCalls();
  auto done = h.spawn(h.mgr->restart("db"));
  h.settle(done);
  ASSERT_TRUE(done->has_value() && done->value().has_value());
  EXPECT_NE(h.view("api").containerId, api);
  EXPECT_EQ(h.view("cache").containerId, cache);
  EXPECT_EQ(h.callsOf(Op::Stop), (std::vector<std::string>{"demo_api", "demo_db"}));
  std::vector<std::string> starts = h.callsOf(Op::Start);
  EXPECT_EQ(starts, (std::vector<std::string>{"demo_db", "demo_api"}));
}

// --- handle and events -----------------------------------------------------------------------

TEST(LifecycleHandleTest, ListsViewsWithPortsAndDelegatesLogsStopAndStart) {
  // Ensures the handle shows each resource's state and published ports, streams its logs, and
  // stops and starts one resource.
  Harness h;
  PlanNode web = node("web");
  web.spec.ports.push_back(runtime::PortBinding{.containerPort = 80});
  h.build({node("db"), web});
  ASSERT_TRUE(h.boot().has_value());
  std::vector<ResourceView> views = h.mgr->list();
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[1].name, "web");
  EXPECT_EQ(views[1].image, "busybox:1");
  EXPECT_FALSE(views[1].containerId.empty());
  ASSERT_EQ(views[1].ports.size(), 1u);
  EXPECT_TRUE(views[1].ports[0].hostPort.has_value());
  EXPECT_TRUE(views[1].startedAt.has_value());
  EXPECT_EQ(h.mgr->get("nope").error().code(), Errc::NotFound);

  ASSERT_TRUE(h.rt.writeLog("demo_web", "GET / 200"));
  runtime::LogOptions logOptions;
  auto stream = h.spawn(h.mgr->logs("web", logOptions));
  h.poll();
  ASSERT_TRUE(stream->has_value() && stream->value().has_value());
  auto chunk = h.spawn((*stream->value())->next());
  h.poll();
  ASSERT_TRUE(chunk->has_value() && chunk->value().has_value() && chunk->value()->has_value());
  EXPECT_EQ((*chunk->value())->bytes, "GET / 200\n");

  auto stopped = h.spawn(h.mgr->stop("web"));
  h.settle(stopped);
  ASSERT_TRUE(stopped->has_value() && stopped->value().has_value());
  EXPECT_EQ(h.view("web").status, ResourceStatus::Stopped);
  EXPECT_TRUE(h.view("web").containerId.empty());
  auto noLogs = h.spawn(h.mgr->logs("web", logOptions));
  h.poll();
  EXPECT_EQ(noLogs->value().error().code(), Errc::FailedPrecondition);
  auto started = h.spawn(h.mgr->start(std::string("web")));
  h.settle(started);
  ASSERT_TRUE(started->has_value() && started->value().has_value());
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
}

TEST(LifecycleEventsTest, NoEventEverContainsASecretValue) {
  // Ensures a secret env value never appears in any event or in the returned error, even when
  // the failing container printed it.
  Harness h;
  PlanNode db = node("db", {}, true);
  db.spec.env["DB_PASSWORD"] = kSecret;
  db.spec.env["DATABASE_URL"] = std::string("postgres://app:") + kSecret + "@db/app";
  db.spec.secretEnvKeys.insert("DB_PASSWORD");
  PlanNode api = node("api", {"db"});
  api.spec.env["DB_PASSWORD"] = kSecret;
  api.spec.secretEnvKeys.insert("DB_PASSWORD");
  api.spec.command = std::vector<std::string>{"serve", std::string("--password=") + kSecret};
  h.build({db, api});
  runtime::Behaviour failing;
  failing.exit = runtime::ScriptedExit{
      .after = 1s, .code = 1, .lastLines = {std::string("auth failed for ") + kSecret}};
  h.rt.script("demo_db", failing);
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  EXPECT_EQ(up.error().what().find(kSecret), std::string::npos) << up.error().what();
  EXPECT_NE(up.error().what().find("auth failed for ***"), std::string::npos);
  ASSERT_FALSE(h.seen.empty());
  for (const LifecycleEvent& ev : h.seen) {
    for (const std::string& field : {ev.message, ev.resource, ev.containerId}) {
      EXPECT_EQ(field.find(kSecret), std::string::npos) << eventKindName(ev.kind);
    }
  }
  for (const ResourceView& v : h.mgr->list()) {
    EXPECT_EQ(v.lastError.value_or("").find(kSecret), std::string::npos);
  }
}

TEST(LifecycleEventsTest, UrlEncodedSpellingsOfASecretAreMaskedToo) {
  // Ensures a secret with URL-special characters is masked in its raw, percent-encoded and
  // percent-decoded spellings (a password travels inside connection URLs).
  Harness h;
  PlanNode db = node("db", {}, true);
  db.spec.env["DB_PASSWORD"] = "p@ss/w0rd:x";
  db.spec.env["CACHE_URL"] = "redis://:s3cr%2Ft@cache:6379";
  db.spec.secretEnvKeys = {"DB_PASSWORD", "CACHE_URL"};
  h.build({db});
  runtime::Behaviour failing;
  failing.exit = runtime::ScriptedExit{
      .after = 1s,
      .code = 1,
      .lastLines = {"login p%40ss%2Fw0rd%3Ax refused", "url redis://:s3cr/t@cache:6379 refused"}};
  h.rt.script("demo_db", failing);
  Result<void> up = h.boot();
  ASSERT_FALSE(up.has_value());
  const std::string what = up.error().what();
  EXPECT_EQ(what.find("p%40ss%2Fw0rd%3Ax"), std::string::npos) << what;
  EXPECT_EQ(what.find("redis://:s3cr/t@cache"), std::string::npos) << what;
  EXPECT_NE(what.find("login *** refused"), std::string::npos) << what;
}

TEST(LifecycleEventsTest, ReportsTheStackLifecycleInOrder) {
  // Ensures the stack events frame the resource events of a boot and a shutdown.
  Harness h;
  h.build({node("db"), node("api", {"db"})});
  ASSERT_TRUE(h.boot().has_value());
  ASSERT_TRUE(h.shutdown().has_value());
  std::vector<K> kinds;
  for (const LifecycleEvent& ev : h.seen) {
    if (ev.resource.empty() || ev.resource == "db") {
      kinds.push_back(ev.kind);
    }
  }
  const std::vector<K> expected = {K::StackStarting,    K::ImagePreparing,  K::ImageReady,
                                   K::ResourceStarting, K::ResourceStarted, K::ResourceHealthy,
                                   K::StackReady,       K::StackStopping,   K::ResourceStopped,
                                   K::StackStopped};
  EXPECT_EQ(kinds, expected);
}

// --- steady-state health when the engine's checks never run (health_watch.cpp) --------------

// An exec script whose result the test switches: exit 0 while *passing, 1 otherwise.
runtime::ExecScript probeFollows(std::shared_ptr<bool> passing) {
  return [passing](const std::vector<std::string>&, std::chrono::nanoseconds) {
    runtime::ExecResult r;
    r.exitCode = *passing ? 0 : 1;
    return r;
  };
}

TEST(LifecycleSteadyProbeTest, TakesOverWhenTheEngineHealthNeverLeavesStarting) {
  // Ensures a ready resource whose engine health still says "starting" once the engine's first
  // check is due (podman without systemd) is probed by us at its interval: `retries` failures
  // in a row make it unhealthy (one event), a pass makes it healthy again (one event).
  Harness h;
  h.build({node("db", {}, true)});  // interval 1s, retries 3, start period 0, timeout 3s
  auto passing = std::make_shared<bool>(true);
  h.rt.scriptExec("demo_db", probeFollows(passing));  // no engine health scripted: "starting"
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_EQ(h.view("db").health, Health::Healthy);
  const std::size_t execsAtBoot = h.callsOf(Op::Exec).size();
  h.advance(6s);  // the engine's first check was due at 1 + 3 + 1 s: we probe from now on
  for (int s = 0; s < 3; ++s) {
    h.advance(1s);
  }
  EXPECT_GE(h.callsOf(Op::Exec).size(), execsAtBoot + 3);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 1u);
  *passing = false;
  for (int s = 0; s < 2; ++s) {
    h.advance(1s);
  }
  EXPECT_EQ(h.view("db").health, Health::Healthy) << "two failures are not yet unhealthy";
  for (int s = 0; s < 2; ++s) {
    h.advance(1s);
  }
  EXPECT_EQ(h.view("db").health, Health::Unhealthy);
  EXPECT_EQ(h.count(K::ResourceUnhealthy, "db"), 1u);
  *passing = true;
  h.advance(1s);
  h.advance(1s);
  EXPECT_EQ(h.view("db").health, Health::Healthy);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 2u);
  EXPECT_EQ(inspectNow(h, "db").state, runtime::ContainerState::Running);  // engine: still starting
}

TEST(LifecycleSteadyProbeTest, StaysOutWhenTheEngineRunsItsChecks) {
  // Ensures an engine whose own health left "starting" in time decides alone: no exec after
  // boot, however long the stack runs.
  Harness h;
  h.build({node("db", {}, true)});
  runtime::Behaviour engine;
  engine.healthyAfter = 2s;
  h.rt.script("demo_db", engine);
  auto passing = std::make_shared<bool>(true);
  h.rt.scriptExec("demo_db", probeFollows(passing));
  ASSERT_TRUE(h.boot().has_value());
  const std::size_t execsAtBoot = h.callsOf(Op::Exec).size();
  for (int s = 0; s < 30; ++s) {
    h.advance(1s);
  }
  EXPECT_EQ(h.callsOf(Op::Exec).size(), execsAtBoot);
  EXPECT_EQ(inspectNow(h, "db").state, runtime::ContainerState::Healthy);
  EXPECT_EQ(h.count(K::ResourceHealthy, "db"), 1u);
}

}  // namespace
}  // namespace ls::lifecycle
