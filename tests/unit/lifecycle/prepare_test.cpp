// The prepare step (issue 18, part 1): images pulled or built from the start of the boot, in
// parallel with the dependencies' boot, within bounds, and never twice per launch.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"
#include "support/loop.hpp"
#include "unit/lifecycle/harness.hpp"

namespace ls::lifecycle {
namespace {

// asio, the chrono literals, K and Op come with harness.hpp.
constexpr const char* kPrep = "prep";

PlanNode pulled(const std::string& name, const std::string& image,
                const std::vector<std::string>& deps = {}) {
  PlanNode n;
  n.name = name;
  n.spec.name = std::string(kPrep) + "_" + name;
  n.spec.project = kPrep;
  n.spec.resource = name;
  n.spec.image = runtime::PullImage{.reference = image};
  n.spec.stopGracePeriod = 1s;
  for (const std::string& d : deps) {
    n.dependencies.push_back(Dependency{.name = d});
  }
  return n;
}

PlanNode built(const std::string& name, const std::vector<std::string>& deps = {}) {
  PlanNode n = pulled(name, "unused", deps);
  runtime::BuildImage b;
  b.context = "/src/" + name;
  b.tag = std::string(kPrep) + "-" + name + ":dev";
  n.spec.image = b;
  return n;
}

// A resource whose container is ready only once healthy (scripted), like postgres after initdb.
PlanNode slowDb(const std::string& name) {
  PlanNode n = pulled(name, "postgres:15");
  // exec is not scripted: the fast probe steps aside and the (scripted) engine health decides.
  n.spec.healthcheck = runtime::HealthcheckSpec{.test = {"CMD", "pg_isready"},
                                                .interval = 1s,
                                                .timeout = 1s,
                                                .retries = 3,
                                                .startPeriod = 0s};
  return n;
}

// The lifecycle harness (harness.hpp) with the images of these stacks and no backoff jitter.
struct PrepareHarness : Harness {
  PrepareHarness() { rt.addLocalImage("postgres:15"); }

  void build(std::vector<PlanNode> nodes, Options options = {}) {
    options.backoff.jitter = 0.0;
    Harness::build(std::move(nodes), options);
  }

  bool started(const std::string& resource) const {
    for (const runtime::Call& c : rt.calls()) {
      if (c.op == Op::Start && c.argument == std::string(kPrep) + "_" + resource) {
        return true;
      }
    }
    return false;
  }

  ResourceStatus status(const std::string& name) const {
    Result<ResourceView> v = mgr->get(name);
    EXPECT_TRUE(v.has_value());
    return v ? v->status : ResourceStatus::Pending;
  }
};

TEST(PrepareTest, ADependentsBuildRunsWhileItsDependencyBoots) {
  // Ensures the image of a dependent is built from the start of the boot, before its dependency
  // is ready, while its container still waits for the dependency (issue 18).
  PrepareHarness h;
  runtime::Behaviour db;
  db.healthyAfter = 5s;
  h.rt.script("db", db);
  h.build({slowDb("db"), built("web", {"db"})});
  runtime::Gate build = h.rt.hold(Op::Build);
  auto up = h.spawn(h.mgr->start());
  h.poll();
  ASSERT_TRUE(build.reached()) << "the build did not start while db boots";
  EXPECT_TRUE(h.started("db"));
  EXPECT_NE(h.status("db"), ResourceStatus::Running);
  EXPECT_NE(h.eventIndex(K::ImagePreparing, "web"), std::string::npos);
  build.release();
  h.poll();
  EXPECT_NE(h.eventIndex(K::ImageReady, "web"), std::string::npos);
  EXPECT_FALSE(h.started("web")) << "create/start must stay gated on db";
  h.settle(up);
  ASSERT_TRUE(up->has_value());
  ASSERT_TRUE(up->value().has_value()) << up->value().error().what();
  EXPECT_LT(h.eventIndex(K::ImageReady, "web"), h.eventIndex(K::ResourceHealthy, "db"));
  EXPECT_LT(h.eventIndex(K::ResourceHealthy, "db"), h.eventIndex(K::ResourceStarting, "web"));
  EXPECT_EQ(h.status("web"), ResourceStatus::Running);
  Result<ResourceView> web = h.mgr->get("web");
  ASSERT_TRUE(web.has_value());
  EXPECT_TRUE(web->imageId.starts_with("sha256:")) << web->imageId;
}

TEST(PrepareTest, BuildsAndPullsStayWithinTheirBounds) {
  // Ensures at most `concurrentBuilds` builds and `concurrentPulls` pulls run at once, and that
  // a freed slot goes to the next one at once.
  PrepareHarness h;
  std::vector<PlanNode> nodes;
  std::vector<runtime::Gate> builds;
  std::vector<runtime::Gate> pulls;
  for (int k = 0; k < 4; ++k) {
    nodes.push_back(built("b" + std::to_string(k)));
    builds.push_back(h.rt.hold(Op::Build, static_cast<std::size_t>(k + 1)));
  }
  for (int k = 0; k < 5; ++k) {
    const std::string image = "registry/p" + std::to_string(k) + ":1";
    h.rt.addRegistryImage(image);
    nodes.push_back(pulled("p" + std::to_string(k), image));
    pulls.push_back(h.rt.hold(Op::Pull, static_cast<std::size_t>(k + 1)));
  }
  Options o;
  o.concurrentBuilds = 2;
  o.concurrentPulls = 3;
  h.build(nodes, o);
  auto up = h.spawn(h.mgr->start());
  h.poll();
  EXPECT_EQ(h.rt.callCount(Op::Build), 2u);
  EXPECT_EQ(h.rt.callCount(Op::Pull), 3u);
  builds[0].release();
  pulls[1].release();
  h.poll();
  EXPECT_EQ(h.rt.callCount(Op::Build), 3u);
  EXPECT_EQ(h.rt.callCount(Op::Pull), 4u);
  for (auto& g : builds) {
    g.release();
  }
  for (auto& g : pulls) {
    g.release();
  }
  h.settle(up);
  ASSERT_TRUE(up->has_value());
  ASSERT_TRUE(up->value().has_value()) << up->value().error().what();
  EXPECT_EQ(h.rt.callCount(Op::Build), 4u);
  EXPECT_EQ(h.rt.callCount(Op::Pull), 5u);
}

TEST(PrepareTest, DefaultBuildBoundLeavesHalfTheCores) {
  // Ensures the default bound is max(1, CPUs / 2).
  EXPECT_GE(defaultConcurrentBuilds(), 1u);
  const unsigned cpus = std::thread::hardware_concurrency();
  EXPECT_EQ(defaultConcurrentBuilds(), std::max<std::size_t>(1, cpus / 2));
}

TEST(PrepareTest, AFailedBuildFailsTheResourceAndDependentsAndRollsBack) {
  // Ensures a failing build fails its resource at once (without waiting for its dependency),
  // fails its dependents, and rolls back what was started.
  PrepareHarness h;
  runtime::Behaviour db;
  db.healthyAfter = 30s;
  h.rt.script("db", db);
  h.rt.failBuild("prep-web:dev", "The command '/bin/sh -c false' returned a non-zero code: 1");
  h.build({slowDb("db"), built("web", {"db"}), pulled("edge", "busybox:1", {"web"})});
  auto up = h.spawn(h.mgr->start());
  h.poll();
  ASSERT_TRUE(up->has_value()) << "the failed build should end the boot before db is ready";
  ASSERT_FALSE(up->value().has_value());
  const Error& e = up->value().error();
  EXPECT_NE(e.what().find("starting resource 'web'"), std::string::npos) << e.what();
  EXPECT_NE(e.what().find("non-zero code"), std::string::npos) << e.what();
  EXPECT_EQ(h.status("web"), ResourceStatus::Failed);
  EXPECT_EQ(h.status("edge"), ResourceStatus::Failed);
  EXPECT_EQ(h.count(K::ImageFailed, "web"), 1u);
  EXPECT_EQ(h.eventIndex(K::ResourceHealthy, "db"), std::string::npos);
  EXPECT_FALSE(h.started("web"));
  EXPECT_FALSE(h.started("edge"));
  EXPECT_TRUE(h.rt.containerNames().empty()) << "db was not rolled back";
}

TEST(PrepareTest, StartDoesNotPrepareAgain) {
  // Ensures one boot builds each Dockerfile once and pulls each missing image once: the runtime's
  // start is told the image is prepared.
  PrepareHarness h;
  h.rt.addRegistryImage("redis:7");
  h.build({pulled("cache", "redis:7"), built("web", {"cache"})});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value());
  ASSERT_TRUE(up->value().has_value()) << up->value().error().what();
  EXPECT_EQ(h.rt.callCount(Op::Build), 1u);
  EXPECT_EQ(h.rt.callCount(Op::Pull), 1u);
  EXPECT_EQ(h.rt.callCount(Op::Start), 2u);
  for (const char* r : {"cache", "web"}) {
    EXPECT_EQ(h.count(K::ImagePreparing, r), 1u) << r;
    EXPECT_LT(h.eventIndex(K::ImageReady, r), h.eventIndex(K::ResourceStarting, r)) << r;
  }
}

TEST(PrepareTest, RestartBuildsWhileTheOldContainerServesAndKeepsItOnFailure) {
  // Ensures a restart builds the new image before taking the old container down, and that a
  // failing build leaves the old container running (the operation fails, not the resource).
  PrepareHarness h;
  h.build({built("web")});
  auto up = h.spawn(h.mgr->start());
  h.settle(up);
  ASSERT_TRUE(up->has_value() && up->value().has_value());
  const std::string before = h.mgr->get("web")->containerId;

  runtime::Gate rebuild = h.rt.hold(Op::Build);
  auto restarted = h.spawn(h.mgr->restart("web"));
  h.poll();
  ASSERT_TRUE(rebuild.reached());
  EXPECT_EQ(h.rt.callCount(Op::Stop), 0u) << "the old container went before the build ended";
  rebuild.release();
  h.settle(restarted);
  ASSERT_TRUE(restarted->has_value() && restarted->value().has_value());
  const std::string after = h.mgr->get("web")->containerId;
  EXPECT_NE(after, before);
  EXPECT_EQ(h.rt.callCount(Op::Build), 2u);

  h.rt.failBuild("prep-web:dev", "syntax error");
  auto failed = h.spawn(h.mgr->restart("web"));
  h.settle(failed);
  ASSERT_TRUE(failed->has_value());
  ASSERT_FALSE(failed->value().has_value());
  EXPECT_NE(failed->value().error().what().find("syntax error"), std::string::npos);
  EXPECT_EQ(h.status("web"), ResourceStatus::Running);
  EXPECT_EQ(h.mgr->get("web")->containerId, after);
  EXPECT_NE(h.eventIndex(K::OperationFailed, "web"), std::string::npos);
}

TEST(PrepareTest, PrepareImagesAloneCreatesNoContainer) {
  // Ensures the prepare step on its own (`build`, `pull`) reports one outcome per resource in
  // plan order, a failure among them, NotFound for an unknown name, and starts nothing.
  PrepareHarness h;
  h.rt.addRegistryImage("redis:7");
  h.rt.failBuild("prep-bad:dev", "boom");
  h.build({pulled("cache", "redis:7"), built("web"), built("bad"), pulled("db", "postgres:15")});
  auto all = h.spawn(h.mgr->prepareImages({}));
  h.settle(all);
  ASSERT_TRUE(all->has_value());
  ASSERT_TRUE(all->value().has_value()) << all->value().error().what();
  const std::vector<ImageOutcome>& out = all->value().value();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].resource, "cache");
  EXPECT_TRUE(out[0].image.has_value() && out[0].image->pulled);
  EXPECT_TRUE(out[1].image.has_value() && out[1].image->built);
  EXPECT_FALSE(out[2].image.has_value());
  EXPECT_EQ(out[2].image.error().reason(), "build_failed");
  EXPECT_TRUE(out[3].image.has_value() && !out[3].image->pulled && !out[3].image->built);
  EXPECT_EQ(h.count(K::ImageFailed, "bad"), 1u);
  EXPECT_EQ(h.rt.callCount(Op::Start), 0u);
  EXPECT_TRUE(h.rt.containerNames().empty());

  auto unknown = h.spawn(h.mgr->prepareImages({"nope"}));
  h.settle(unknown);
  ASSERT_TRUE(unknown->has_value());
  ASSERT_FALSE(unknown->value().has_value());
  EXPECT_EQ(unknown->value().error().code(), Errc::NotFound);

  auto one = h.spawn(h.mgr->prepareImage("web"));
  h.settle(one);
  ASSERT_TRUE(one->has_value() && one->value().has_value());
  EXPECT_TRUE(one->value()->id.starts_with("sha256:"));
}

}  // namespace
}  // namespace ls::lifecycle
