#include "lightshuttle/lifecycle/plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/manifest/loader.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::lifecycle {
namespace {

PlanNode makeNode(const std::string& name, std::vector<std::string> deps = {}) {
  PlanNode n;
  n.name = name;
  n.spec.name = "demo_" + name;
  n.spec.project = "demo";
  n.spec.resource = name;
  for (std::string& d : deps) {
    n.dependencies.push_back(Dependency{.name = std::move(d)});
  }
  return n;
}

std::vector<std::string> namesOf(const Plan& plan) {
  std::vector<std::string> out;
  for (const PlanNode& n : plan.nodes()) {
    out.push_back(n.name);
  }
  return out;
}

struct OrderCase {
  std::string label;
  std::vector<PlanNode> nodes;
  std::vector<std::string> order;
};

TEST(PlanTest, OrdersDependenciesFirstAndDeclarationOrderAmongEquals) {
  // Ensures the plan order puts dependencies first and keeps declaration order among equals.
  const std::vector<OrderCase> cases = {
      {"chain", {makeNode("c", {"b"}), makeNode("b", {"a"}), makeNode("a")}, {"a", "b", "c"}},
      {"diamond",
       {makeNode("d", {"b", "c"}), makeNode("b", {"a"}), makeNode("c", {"a"}), makeNode("a")},
       {"a", "b", "c", "d"}},
      {"wide", {makeNode("z"), makeNode("y"), makeNode("x")}, {"z", "y", "x"}},
      {"mixed",
       {makeNode("api", {"db"}), makeNode("web"), makeNode("db"), makeNode("worker", {"db"})},
       {"web", "db", "api", "worker"}},
  };
  for (const OrderCase& c : cases) {
    Result<Plan> plan = Plan::create(c.nodes);
    ASSERT_TRUE(plan.has_value()) << c.label << ": " << plan.error().what();
    EXPECT_EQ(namesOf(*plan), c.order) << c.label;
    std::vector<std::string> reversed(c.order.rbegin(), c.order.rend());
    EXPECT_EQ(plan->shutdownOrder(), reversed) << c.label;
  }
}

TEST(PlanTest, NamesTheCycle) {
  // Ensures a dependency cycle is an error that names the cycle, whatever else surrounds it.
  std::vector<PlanNode> nodes = {makeNode("root"), makeNode("a", {"root", "c"}),
                                 makeNode("b", {"a"}), makeNode("c", {"b"})};
  Result<Plan> plan = Plan::create(nodes);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(plan.error().message(), "dependency cycle: a -> c -> b -> a");
}

TEST(PlanTest, RejectsUnknownDuplicateAndSelfDependencies) {
  // Ensures malformed graphs are InvalidArgument errors naming the resources involved.
  struct Case {
    std::vector<PlanNode> nodes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{makeNode("a", {"ghost"})}, "resource 'a' depends on unknown resource 'ghost'"},
      {{makeNode("a"), makeNode("a")}, "resource 'a' appears twice"},
      {{makeNode("a", {"a"})}, "resource 'a' depends on itself"},
      {{makeNode("a"), makeNode("b", {"a", "a"})}, "resource 'b' depends on 'a' twice"},
  };
  for (const Case& c : cases) {
    Result<Plan> plan = Plan::create(c.nodes);
    ASSERT_FALSE(plan.has_value()) << c.message;
    EXPECT_EQ(plan.error().code(), Errc::InvalidArgument);
    EXPECT_EQ(plan.error().message(), c.message);
  }
}

TEST(PlanTest, AnswersDependentsClosuresAndOneShots) {
  // Ensures the graph queries answer in plan order, transitively where documented.
  std::vector<PlanNode> nodes = {makeNode("db"), makeNode("migrate", {"db"}),
                                 makeNode("api", {"db", "migrate"}), makeNode("web", {"api"}),
                                 makeNode("cache")};
  nodes[2].dependencies[1].condition = DependencyCondition::Completed;
  Result<Plan> plan = Plan::create(nodes);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->dependentsOf("db"), (std::vector<std::string>{"migrate", "api"}));
  EXPECT_EQ(plan->transitiveDependentsOf("db"),
            (std::vector<std::string>{"migrate", "api", "web"}));
  EXPECT_TRUE(plan->dependentsOf("web").empty());
  Result<std::vector<std::string>> closure = plan->closureOf({"web"});
  ASSERT_TRUE(closure.has_value());
  EXPECT_EQ(*closure, (std::vector<std::string>{"db", "migrate", "api", "web"}));
  EXPECT_FALSE(plan->closureOf({"nope"}).has_value());
  EXPECT_TRUE(plan->isOneShot("migrate"));
  EXPECT_FALSE(plan->isOneShot("db"));
  EXPECT_EQ(plan->project(), "demo");
  EXPECT_EQ(plan->indexOf("web"), 3u);
  EXPECT_EQ(plan->find("nope"), nullptr);
}

TEST(PlanTest, FromResolvedTakesKindsConditionsAndRestartDependentsFromTheManifest) {
  // Ensures a plan built from resolveStack output keeps declaration order among equals and
  // reads dependency conditions and restart_dependents from the manifest.
  manifest::Manifest m;
  m.project.name = "demo";
  auto resource = [](const std::string& name, manifest::Kind kind) {
    manifest::Resource r;
    r.name = name;
    r.kind = kind;
    return r;
  };
  m.resources = {resource("api", manifest::Kind::Container),
                 resource("db", manifest::Kind::Postgres),
                 resource("migrate", manifest::Kind::Container)};
  m.resources[0].dependsOnConditions["migrate"] = DependencyCondition::Completed;
  m.resources[1].restartDependents = true;
  auto resolved = [](const std::string& name, std::vector<std::string> deps) {
    spec::Resolved r;
    r.spec = makeNode(name).spec;
    r.dependencies = std::move(deps);
    return r;
  };
  // resolveStack order (dependencies first), not declaration order.
  std::vector<spec::Resolved> stack = {resolved("db", {}), resolved("migrate", {"db"}),
                                       resolved("api", {"db", "migrate"})};
  Result<Plan> plan = Plan::fromResolved(m, std::move(stack));
  ASSERT_TRUE(plan.has_value()) << plan.error().what();
  EXPECT_EQ(namesOf(*plan), (std::vector<std::string>{"db", "migrate", "api"}));
  const PlanNode* api = plan->find("api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->dependencies,
            (std::vector<Dependency>{{"db", DependencyCondition::Ready},
                                     {"migrate", DependencyCondition::Completed}}));
  EXPECT_EQ(plan->find("db")->kind, manifest::Kind::Postgres);
  EXPECT_TRUE(plan->find("db")->restartDependents);
  EXPECT_TRUE(plan->isOneShot("migrate"));
}

TEST(PlanTest, ParsedManifestGivesConditionsAndRestartDependents) {
  // Ensures depends_on (list and map forms) and restart_dependents, as parsed from YAML, reach
  // the plan: list entries and healthy/started wait for ready, completed for exit code 0.
  manifest::ParseReport report = manifest::parseManifest(R"(project:
  name: demo
resources:
  db:
    postgres:
      restart_dependents: true
  cache:
    redis: {}
  migrate:
    container:
      image: x:1
      depends_on: [db]
  api:
    container:
      image: x:1
      depends_on: {migrate: completed, db: healthy, cache: started}
  web:
    container:
      image: x:1
      env:
        API: ${resources.api.host}
)",
                                                         "lightshuttle.yml", "/proj");
  ASSERT_TRUE(report.ok()) << report.render();
  spec::SecretStore store = spec::SecretStore::inMemory();
  SeededRng rng{1};
  const manifest::EnvMap env;
  Result<std::vector<spec::Resolved>> stack = spec::resolveStack(
      *report.manifest, spec::ResolveContext{.env = &env, .secrets = &store, .rng = &rng});
  ASSERT_TRUE(stack.has_value()) << stack.error().what();
  Result<Plan> plan = Plan::fromResolved(*report.manifest, std::move(*stack));
  ASSERT_TRUE(plan.has_value()) << plan.error().what();
  EXPECT_EQ(namesOf(*plan), (std::vector<std::string>{"db", "cache", "migrate", "api", "web"}));
  EXPECT_EQ(plan->find("migrate")->dependencies,
            (std::vector<Dependency>{{"db", DependencyCondition::Ready}}));
  EXPECT_EQ(plan->find("api")->dependencies,
            (std::vector<Dependency>{{"migrate", DependencyCondition::Completed},
                                     {"db", DependencyCondition::Ready},
                                     {"cache", DependencyCondition::Ready}}));
  EXPECT_EQ(plan->find("web")->dependencies,
            (std::vector<Dependency>{{"api", DependencyCondition::Ready}}));
  EXPECT_TRUE(plan->find("db")->restartDependents);
  EXPECT_FALSE(plan->find("cache")->restartDependents);
  EXPECT_FALSE(plan->find("api")->restartDependents);
  EXPECT_TRUE(plan->isOneShot("migrate"));
  EXPECT_FALSE(plan->isOneShot("db"));
  EXPECT_EQ(plan->dependentsOf("db"), (std::vector<std::string>{"migrate", "api"}));
}

}  // namespace
}  // namespace ls::lifecycle
