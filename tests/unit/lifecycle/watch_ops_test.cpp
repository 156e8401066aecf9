// The operations watch mode drives on one resource (issue 18): the in-place restart after a
// sync, and the recreate from an image built while the old container served.
#include "unit/lifecycle/harness.hpp"

namespace ls::lifecycle {
namespace {

// Events about `resource` from position `from` on, by kind.
std::vector<K> kindsSince(const Harness& h, std::size_t from, const std::string& resource) {
  std::vector<K> out;
  for (std::size_t i = from; i < h.seen.size(); ++i) {
    if (h.seen[i].resource == resource) {
      out.push_back(h.seen[i].kind);
    }
  }
  return out;
}

// The image `resource`'s container was created from, as the engine reports it.
std::string imageOf(Harness& h, const std::string& resource) {
  // Named: the runtime's coroutine keeps a reference to the id.
  const runtime::ContainerId id{h.view(resource).containerId};
  auto details = h.spawn(h.rt.inspectDetailed(id));
  h.poll();
  if (!details->has_value() || !details->value().has_value()) {
    ADD_FAILURE() << "inspectDetailed of " << resource << " failed";
    return {};
  }
  return details->value()->image;
}

// --- the watcher's state in the stack view --------------------------------------------------

TEST(LifecycleWatchOpsTest, TheStackViewSaysWhatTheLastWatchEventSaid) {
  // Ensures watch_started / watch_stopped published through the manager land in the stack view
  // (what a snapshot carries), so a client that missed the event still knows; nothing before.
  Harness h;
  h.build({node("web")});
  ASSERT_TRUE(h.boot().has_value());
  EXPECT_FALSE(h.mgr->stack().watch.has_value());
  LifecycleEvent started;
  started.kind = K::WatchStarted;
  started.message = "watching 1 rule (1 directory) for web";
  h.mgr->publish(started);
  ASSERT_TRUE(h.mgr->stack().watch.has_value());
  EXPECT_TRUE(h.mgr->stack().watch->active);
  EXPECT_EQ(h.mgr->stack().watch->message, started.message);
  LifecycleEvent synced;
  synced.kind = K::WatchSynced;
  synced.resource = "web";
  h.mgr->publish(synced);
  EXPECT_TRUE(h.mgr->stack().watch->active);
  LifecycleEvent stopped;
  stopped.kind = K::WatchStopped;
  stopped.message = "watching stopped";
  h.mgr->publish(stopped);
  ASSERT_TRUE(h.mgr->stack().watch.has_value());
  EXPECT_FALSE(h.mgr->stack().watch->active);
}

// --- restartInPlace --------------------------------------------------------------------------

TEST(LifecycleWatchOpsTest, RestartInPlaceKeepsTheContainerAndAwaitsReadinessAgain) {
  // Ensures the in-place restart keeps the container id (so synced files stay), is not taken
  // for a crash (no exit, no policy restart), waits until healthy again, and leaves the
  // dependents alone.
  Harness h;
  runtime::Behaviour db;
  db.healthyAfter = 2s;
  h.rt.script("db", db);
  PlanNode dbNode = node("db", {}, true);
  dbNode.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  h.build({dbNode, node("api", {"db"})});
  ASSERT_TRUE(h.boot().has_value());
  const std::string id = h.view("db").containerId;
  const std::string api = h.view("api").containerId;
  h.rt.clearCalls();
  const std::size_t from = h.seen.size();

  auto done = h.spawn(h.mgr->restartInPlace("db"));
  h.poll();
  EXPECT_FALSE(done->has_value());  // waiting for the health check
  EXPECT_EQ(h.view("db").status, ResourceStatus::Starting);
  EXPECT_EQ(h.view("db").containerId, id);
  h.advance(2s);
  ASSERT_TRUE(done->has_value());
  ASSERT_TRUE(done->value().has_value()) << done->value().error().what();

  EXPECT_EQ(h.view("db").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("db").containerId, id);
  EXPECT_EQ(h.view("db").restarts, 0);
  EXPECT_EQ(kindsSince(h, from, "db"), (std::vector<K>{K::ResourceStarted, K::ResourceHealthy}));
  EXPECT_EQ(h.callsOf(Op::Restart), (std::vector<std::string>{"demo_db"}));
  EXPECT_TRUE(h.callsOf(Op::Start).empty());
  EXPECT_TRUE(h.callsOf(Op::Stop).empty());
  EXPECT_EQ(h.view("api").containerId, api);
  EXPECT_TRUE(kindsSince(h, from, "api").empty());

  // Supervision is back: a crash now is a crash.
  ASSERT_TRUE(h.rt.crash("demo_db", 1));
  h.poll();
  EXPECT_EQ(h.view("db").status, ResourceStatus::Restarting);
}

TEST(LifecycleWatchOpsTest, RestartInPlaceThatNeverGetsReadyFailsTheResource) {
  // Ensures a restarted process that exits before it is ready (a broken change) is reported:
  // the call fails naming the resource and the exit, and the resource is Failed with why.
  Harness h;
  runtime::Behaviour healthy;
  healthy.healthyAfter = 1s;
  h.rt.script("web", healthy);
  h.build({node("web", {}, true)});
  ASSERT_TRUE(h.boot().has_value());
  runtime::Behaviour broken;
  broken.exit = runtime::ScriptedExit{.after = 1s, .code = 2, .lastLines = {"SyntaxError"}};
  h.rt.script("web", broken);

  auto done = h.spawn(h.mgr->restartInPlace("web"));
  h.settle(done);
  ASSERT_TRUE(done->has_value());
  ASSERT_FALSE(done->value().has_value());
  const std::string what = done->value().error().what();
  EXPECT_NE(what.find("restarting resource 'web' in place"), std::string::npos) << what;
  EXPECT_NE(what.find("code 2"), std::string::npos) << what;
  EXPECT_EQ(h.view("web").status, ResourceStatus::Failed);
  ASSERT_NE(h.eventIndex(K::ResourceFailed, "web"), std::string::npos);
  EXPECT_NE(h.seen[h.eventIndex(K::ResourceFailed, "web")].message.find("SyntaxError"),
            std::string::npos);
}

TEST(LifecycleWatchOpsTest, RestartInPlaceReportsAFailedRestartCall) {
  // Ensures an engine failure of the restart call fails the resource with the cause, while an
  // Unsupported runtime leaves it running and supervised (the watcher says so and goes on).
  Harness h;
  h.build({node("web")});
  ASSERT_TRUE(h.boot().has_value());
  // The nth restart call fails with `code`.
  auto restartFailing = [&h](std::size_t nth, Errc code) {
    h.rt.failOn(Op::Restart, nth, injected(code));
    auto done = h.spawn(h.mgr->restartInPlace("web"));
    h.settle(done);
    EXPECT_TRUE(done->has_value());
    return done->has_value() ? **done : Result<void>(Error(Errc::Internal, "restart hung"));
  };
  Result<void> unsupported = restartFailing(1, Errc::Unsupported);
  ASSERT_FALSE(unsupported.has_value());
  EXPECT_EQ(unsupported.error().code(), Errc::Unsupported);
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);

  Result<void> failed = restartFailing(2, Errc::Unavailable);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Errc::Unavailable);
  EXPECT_EQ(h.view("web").status, ResourceStatus::Failed);
  EXPECT_NE(h.eventIndex(K::ResourceFailed, "web"), std::string::npos);
}

TEST(LifecycleWatchOpsTest, RestartInPlaceRefusesWhatItCannotRestart) {
  // Ensures NotFound for an unknown resource, Conflict while another operation holds it, and
  // FailedPrecondition once it is not running.
  Harness h;
  h.build({node("web")});
  ASSERT_TRUE(h.boot().has_value());
  auto unknown = h.spawn(h.mgr->restartInPlace("nope"));
  h.poll();
  ASSERT_TRUE(unknown->has_value());
  EXPECT_EQ(unknown->value().error().code(), Errc::NotFound);

  runtime::Gate held = h.rt.hold(Op::Restart);
  auto first = h.spawn(h.mgr->restartInPlace("web"));
  h.poll();
  auto second = h.spawn(h.mgr->restartInPlace("web"));
  h.poll();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(second->value().error().code(), Errc::Conflict);
  held.release();
  h.settle(first);
  ASSERT_TRUE(first->has_value() && first->value().has_value());

  auto stopped = h.spawn(h.mgr->stop("web"));
  h.settle(stopped);
  auto notRunning = h.spawn(h.mgr->restartInPlace("web"));
  h.poll();
  ASSERT_TRUE(notRunning->has_value());
  EXPECT_EQ(notRunning->value().error().code(), Errc::FailedPrecondition);
}

// --- recreateWithImage -----------------------------------------------------------------------

// A resource built from a Dockerfile, as the ones rebuild rules watch.
PlanNode built(const std::string& name, const std::vector<std::string>& deps = {}) {
  PlanNode n = node(name, deps);
  runtime::BuildImage b;
  b.context = "/src/" + name;
  b.tag = std::string(kProject) + "-" + name + ":dev";
  n.spec.image = b;
  return n;
}

TEST(LifecycleWatchOpsTest, RecreateWithImageRunsTheRebuiltImageAndLeavesDependents) {
  // Ensures the recreate runs a new container from the given image without building or pulling
  // again (the watcher built it while the old one served), keeps the dependents' containers,
  // and a later policy restart goes back to the spec's own image.
  Harness h;
  PlanNode web = built("web");
  web.spec.restart = policy(runtime::RestartPolicy::Mode::Always);
  h.build({web, node("proxy", {"web"})});
  ASSERT_TRUE(h.boot().has_value());
  const std::string old = h.view("web").containerId;
  const std::string proxy = h.view("proxy").containerId;
  h.rt.addLocalImage("demo-web:rebuilt");
  h.rt.clearCalls();
  const std::size_t from = h.seen.size();

  auto done = h.spawn(h.mgr->recreateWithImage("web", "demo-web:rebuilt"));
  h.settle(done);
  ASSERT_TRUE(done->has_value());
  ASSERT_TRUE(done->value().has_value()) << done->value().error().what();

  EXPECT_NE(h.view("web").containerId, old);
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
  EXPECT_EQ(h.view("proxy").containerId, proxy);
  EXPECT_TRUE(h.callsOf(Op::Build).empty());
  EXPECT_TRUE(h.callsOf(Op::Pull).empty());
  EXPECT_FALSE(h.called(Op::Stop, "proxy"));
  const std::vector<K> kinds = kindsSince(h, from, "web");
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.front(), K::ResourceRestarting);
  EXPECT_EQ(kinds.back(), K::ResourceHealthy);
  EXPECT_EQ(imageOf(h, "web"), "demo-web:rebuilt");

  // A crash afterwards is restarted from the spec's image (built again), not the override.
  ASSERT_TRUE(h.rt.crash("demo_web", 1));
  h.poll();
  h.advance(1s);
  ASSERT_EQ(h.view("web").status, ResourceStatus::Running);
  EXPECT_EQ(imageOf(h, "web"), "demo-web:dev");
}

TEST(LifecycleWatchOpsTest, RecreateWithAMissingImageKeepsTheOldContainer) {
  // Ensures an image that is not there fails the recreate before the old container is touched.
  Harness h;
  h.build({built("web")});
  ASSERT_TRUE(h.boot().has_value());
  const std::string old = h.view("web").containerId;
  h.rt.clearCalls();
  auto done = h.spawn(h.mgr->recreateWithImage("web", "demo-web:gone"));
  h.settle(done);
  ASSERT_TRUE(done->has_value());
  ASSERT_FALSE(done->value().has_value());
  EXPECT_NE(done->value().error().what().find("demo-web:gone"), std::string::npos)
      << done->value().error().what();
  EXPECT_EQ(h.view("web").containerId, old);
  EXPECT_EQ(h.view("web").status, ResourceStatus::Running);
  EXPECT_TRUE(h.callsOf(Op::Stop).empty());
  EXPECT_TRUE(h.callsOf(Op::Build).empty());
}

}  // namespace
}  // namespace ls::lifecycle
