#include "lightshuttle/manifest/loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ls::manifest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFull = R"(lightshuttle: v0
project:
  name: shop
  version: 1.2.0
  description: demo
resources:
  db:
    postgres:
      image: lightshuttle-test/postgres:15
      database: shop
      user: app
      port: 15432
      volume: false
      restart: on-failure:3
      stop_grace_period: 30s
  cache:
    redis:
      image: lightshuttle-test/redis:7
      password: ${env.REDIS_PASSWORD:-dev}
      volume: cachedata
  api:
    container:
      image: lightshuttle-test/busybox:1.36
      ports: [8080, "127.0.0.1:9090:90/udp"]
      env:
        DATABASE_URL: ${resources.db.url}
      secrets:
        TOKEN: ${env.TOKEN}
      volumes: ["./data:/data:ro"]
      command: sleep 1000
      entrypoint: ["/bin/sh"]
      working_dir: /app
      labels: {team: core}
      depends_on: [cache]
      healthcheck:
        test: ["CMD", "true"]
        interval: 1s
        retries: 2
  web:
    dockerfile:
      context: ./web
      build_args: {MODE: dev}
      target: dev
dashboard:
  port: 7878
observability:
  otel:
    enabled: false
export:
  kubernetes:
    namespace: shop-staging
    replicas: 2
    resources:
      api: {replicas: 3, image_pull_policy: Always}
)";

TEST(LoaderTest, ReadsEveryField) {
  // Ensures a manifest using every key loads into the model with the written values.
  ParseReport report = parseManifest(kFull, "lightshuttle.yml", "/p");
  ASSERT_TRUE(report.ok()) << report.render();
  const Manifest& m = *report.manifest;
  EXPECT_EQ(m.project.name, "shop");
  EXPECT_EQ(m.project.version, "1.2.0");
  ASSERT_EQ(m.resources.size(), 4U);
  const Resource& db = m.resources[0];
  EXPECT_EQ(db.kind, Kind::Postgres);
  EXPECT_EQ(db.port, 15432);
  EXPECT_EQ(db.volume.mode, DataVolume::Mode::None);
  EXPECT_EQ(db.restart.str(), "on-failure:3");
  EXPECT_EQ(db.stopGracePeriod, 30s);
  const Resource& cache = m.resources[1];
  EXPECT_EQ(cache.volume.mode, DataVolume::Mode::Named);
  EXPECT_EQ(cache.volume.name, "cachedata");
  const Resource& api = m.resources[2];
  ASSERT_EQ(api.ports.size(), 2U);
  EXPECT_EQ(api.ports[1].protocol, PortProtocol::Udp);
  EXPECT_EQ(api.command, (std::vector<std::string>{"sh", "-c", "sleep 1000"}));
  EXPECT_EQ(api.entrypoint, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(api.healthcheck->interval, 1s);
  EXPECT_EQ(api.healthcheck->retries, 2);
  EXPECT_EQ(dependenciesOf(api), (std::vector<std::string>{"cache", "db"}));
  EXPECT_EQ(m.resources[3].context, "./web");
  EXPECT_EQ(m.dashboardPort, 7878);
  EXPECT_EQ(m.otelEnabled, false);
  EXPECT_EQ(m.exports.kubernetes.namespace_, "shop-staging");
  EXPECT_EQ(m.exports.kubernetes.resources[0].second.replicas, 3);
  EXPECT_TRUE(report.diagnostics.empty()) << report.render();
}

TEST(LoaderTest, RecordsOneBasedLocationsAndFieldPaths) {
  // Ensures locate() maps field paths to the 1-based line and column where values were written.
  ParseReport report = parseManifest(kFull, "lightshuttle.yml");
  ASSERT_TRUE(report.ok());
  const Manifest& m = *report.manifest;
  SourceLocation loc = m.locate("resources.api.ports[1]");
  EXPECT_EQ(loc.line, 24);
  EXPECT_EQ(loc.column, 21);
  EXPECT_EQ(loc.field, "resources.api.ports[1]");
  loc = m.locate("resources.api.env.DATABASE_URL");
  EXPECT_EQ(loc.line, 26);
  EXPECT_EQ(loc.column, 23);
  loc = m.locate("project.name");
  EXPECT_EQ(loc.line, 3);
  EXPECT_EQ(loc.column, 9);
}

struct ErrorCase {
  std::string yaml;
  int line;
  int column;
  std::string field;
  std::string message;  // a substring
};

std::string wrap(const std::string& resources) {
  return "project:\n  name: demo\nresources:\n" + resources;
}

TEST(LoaderTest, ReportsEachErrorWithLineColumnAndField) {
  // Ensures a table of bad manifests each gives the exact location, field path and message.
  const std::vector<ErrorCase> cases = {
      {wrap("  api:\n    container:\n      image: x:1\n      prots: [80]\n"), 7, 7,
       "resources.api.prots", "unknown key 'prots'"},
      {wrap("  api:\n    container:\n      image: x:1\n      ports: [80, \"1-2\"]\n"), 7, 19,
       "resources.api.ports[1]", "port ranges are not supported"},
      {wrap("  db:\n    postgres:\n      port: 0\n"), 6, 13, "resources.db.port",
       "expected an integer from 1 to 65535"},
      {wrap("  db:\n    mysql: {}\n"), 5, 5, "resources.db", "unknown resource kind 'mysql'"},
      {wrap("  Db:\n    redis: {}\n"), 4, 3, "resources.Db", "invalid resource name 'Db'"},
      {wrap("  a:\n    redis: {}\n  a:\n    redis: {}\n"), 6, 3, "resources.a",
       "duplicate key 'a' (first defined at line 4, column 3)"},
      {wrap("  a:\n    redis:\n      depends_on: [b]\n"), 6, 20, "resources.a.depends_on[0]",
       "unknown resource 'b'"},
      {wrap("  a:\n    redis:\n      depends_on: {b: healthy}\n"), 6, 20,
       "resources.a.depends_on.b", "unknown resource 'b'"},
      {wrap("  a:\n    redis:\n      depends_on:\n        a: completed\n"), 7, 9,
       "resources.a.depends_on.a", "depends on itself"},
      {wrap("  a:\n    redis:\n      depends_on: {b: done}\n  b:\n    redis: {port: 1}\n"), 6, 23,
       "resources.a.depends_on.b", "invalid dependency condition 'done' for 'b'"},
      {wrap("  a:\n    redis:\n      restart_dependents: 1\n"), 6, 27,
       "resources.a.restart_dependents", "expected true or false"},
      {wrap("  a:\n    redis:\n      healthcheck:\n        test: [CMD, x]\n        interval: 5"), 8,
       19, "resources.a.healthcheck.interval", "missing unit"},
      {wrap("  a:\n    container:\n      image: x:1\n      env:\n        U: ${resources.b.url}\n"),
       8, 12, "resources.a.env.U", "unknown resource 'b'"},
      {wrap("  a:\n    container:\n      image: x:1\n      env:\n        U: ${resources.a.url}\n"),
       8, 12, "resources.a.env.U", "has no output 'url'"},
      {wrap("  a:\n    container:\n      image: x:1\n      env:\n        U: ${secret.X}\n"), 8, 12,
       "resources.a.env.U", "unknown reference"},
      {wrap("  a:\n    container:\n      image: x:1\n      restart: sometimes\n"), 7, 16,
       "resources.a.restart", "invalid restart policy 'sometimes'"},
      {wrap("  a:\n    container:\n      ports: [80]\n"), 5, 5, "resources.a.image",
       "needs an 'image'"},
      {wrap("  a:\n    dockerfile: {}\n"), 5, 5, "resources.a.context", "needs a 'context'"},
      {"project:\n  name: Demo\nresources: {}\n", 2, 9, "project.name",
       "invalid project name 'Demo'"},
      {"project:\n  name: demo\n", 1, 1, "resources", "missing required key 'resources'"},
      {"lightshuttle: v1\nproject: {name: d}\nresources: {}\n", 1, 15, "lightshuttle",
       "unsupported manifest version 'v1'"},
      {"project: {name: d}\nresources: {}\nresource: {}\n", 3, 1, "resource",
       "unknown key 'resource'"},
      {"project: {name: d}\nresources: [1, 2\n", 3, 1, "", "invalid YAML"},
      {"project:\n  name: \"d\nresources: {}\n", 2, 9, "project.name",
       "unterminated double-quoted string"},
  };
  for (const ErrorCase& c : cases) {
    ParseReport report = parseManifest(c.yaml, "f.yml");
    ASSERT_FALSE(report.ok()) << c.yaml;
    const auto it = std::find_if(
        report.diagnostics.begin(), report.diagnostics.end(),
        [&](const Diagnostic& d) { return d.message.find(c.message) != std::string::npos; });
    ASSERT_NE(it, report.diagnostics.end()) << c.yaml << "\n" << report.render();
    EXPECT_EQ(it->location.line, c.line) << c.yaml << "\n" << report.render();
    EXPECT_EQ(it->location.column, c.column) << c.yaml << "\n" << report.render();
    EXPECT_EQ(it->location.field, c.field) << c.yaml;
    EXPECT_EQ(it->location.file, "f.yml");
  }
}

struct DependsOnCase {
  std::string label;
  std::string dependsOn;  // the YAML value of app's depends_on
  std::vector<std::string> names;
  std::map<std::string, DependencyCondition, std::less<>> conditions;
};

TEST(LoaderTest, ReadsDependsOnListAndMapForms) {
  // Ensures both forms of depends_on give the names in written order, and the map form gives
  // each name its condition (started waits like healthy; the list form records none).
  using C = DependencyCondition;
  const std::vector<DependsOnCase> cases = {
      {"list", "[db, job]", {"db", "job"}, {}},
      {"empty list", "[]", {}, {}},
      {"empty map", "{}", {}, {}},
      {"flow map",
       "{job: completed, db: healthy, cache: started}",
       {"job", "db", "cache"},
       {{"job", C::Completed}, {"db", C::Ready}, {"cache", C::Ready}}},
      {"block map",
       "\n        db: healthy\n        job: completed",
       {"db", "job"},
       {{"db", C::Ready}, {"job", C::Completed}}},
      {"quoted", "{db: 'completed'}", {"db"}, {{"db", C::Completed}}},
  };
  for (const DependsOnCase& c : cases) {
    ParseReport report = parseManifest(
        wrap("  db:\n    postgres: {}\n  cache:\n    redis: {}\n  job:\n    container:\n"
             "      image: x:1\n  app:\n    container:\n      image: x:1\n      depends_on: " +
             c.dependsOn + "\n"),
        "f.yml");
    ASSERT_TRUE(report.ok()) << c.label << "\n" << report.render();
    const Resource* app = report.manifest->find("app");
    ASSERT_NE(app, nullptr);
    EXPECT_EQ(app->dependsOn, c.names) << c.label;
    EXPECT_EQ(app->dependsOnConditions, c.conditions) << c.label;
    EXPECT_EQ(dependenciesOf(*app), c.names) << c.label;
  }
}

TEST(LoaderTest, ReadsRestartDependents) {
  // Ensures restart_dependents is read on every kind and defaults to false.
  ParseReport report =
      parseManifest(wrap("  db:\n    postgres: {restart_dependents: true}\n"
                         "  cache:\n    redis: {port: 6380, restart_dependents: false}\n"
                         "  api:\n    container: {image: x:1, restart_dependents: true}\n"
                         "  web:\n    dockerfile: {context: ., restart_dependents: True}\n"
                         "  job:\n    container: {image: x:1}\n"),
                    "f.yml");
  ASSERT_TRUE(report.ok()) << report.render();
  const Manifest& m = *report.manifest;
  EXPECT_TRUE(m.find("db")->restartDependents);
  EXPECT_FALSE(m.find("cache")->restartDependents);
  EXPECT_TRUE(m.find("api")->restartDependents);
  EXPECT_TRUE(m.find("web")->restartDependents);
  EXPECT_FALSE(m.find("job")->restartDependents);
}

TEST(LoaderTest, SuggestsTheClosestDependencyCondition) {
  // Ensures a near-miss condition carries a "did you mean" and a far one none.
  ParseReport report =
      parseManifest(wrap("  db:\n    postgres: {}\n  job:\n    container: {image: x:1}\n"
                         "  app:\n    container:\n      image: x:1\n"
                         "      depends_on: {db: Healthy, job: finished}\n"),
                    "f.yml");
  ASSERT_EQ(report.diagnostics.size(), 2U) << report.render();
  EXPECT_EQ(report.diagnostics[0].location.field, "resources.app.depends_on.db");
  EXPECT_EQ(report.diagnostics[0].help, "did you mean 'healthy'?");
  EXPECT_EQ(report.diagnostics[1].location.field, "resources.app.depends_on.job");
  EXPECT_EQ(report.diagnostics[1].help, "");
}

TEST(LoaderTest, ReportsAllErrorsOfAFile) {
  // Ensures validation continues past the first problem and reports every one, in file order.
  ParseReport report = parseManifest(
      wrap("  a:\n    container:\n      image: x:1\n      prots: [1]\n      ports: [0]\n"
           "  b:\n    redis:\n      port: x\n"),
      "f.yml");
  ASSERT_FALSE(report.ok());
  ASSERT_EQ(report.diagnostics.size(), 3U) << report.render();
  EXPECT_EQ(report.diagnostics[0].location.line, 7);
  EXPECT_EQ(report.diagnostics[1].location.line, 8);
  EXPECT_EQ(report.diagnostics[2].location.line, 11);
}

TEST(LoaderTest, SuggestsTheClosestKey) {
  // Ensures unknown keys carry a "did you mean" for near misses and none for far ones.
  ParseReport report =
      parseManifest(wrap("  a:\n    container:\n      imag: x\n      zzzzzz: 1\n"), "f.yml");
  ASSERT_EQ(report.diagnostics.size(), 3U) << report.render();
  EXPECT_NE(report.diagnostics[0].message.find("needs an 'image'"), std::string::npos);
  EXPECT_EQ(report.diagnostics[1].help, "did you mean 'image'?");
  EXPECT_EQ(report.diagnostics[2].help, "");
}

TEST(LoaderTest, NamesTheWholeCycle) {
  // Ensures cycles, including interpolation-only ones, are reported with every member.
  ParseReport report = parseManifest(
      wrap("  a:\n    container:\n      image: x:1\n      depends_on: [b]\n"
           "  b:\n    container:\n      image: x:1\n      env: {A: '${resources.c.host}'}\n"
           "  c:\n    container:\n      image: x:1\n      command: ['${resources.a.ports}']\n"),
      "f.yml");
  ASSERT_FALSE(report.ok());
  ASSERT_EQ(report.diagnostics.size(), 1U) << report.render();
  EXPECT_EQ(report.diagnostics[0].message, "dependency cycle: a -> b -> c -> a");
  EXPECT_EQ(report.diagnostics[0].location.field, "resources.a.depends_on[0]");
}

TEST(LoaderTest, WarnsWithoutFailing) {
  // Ensures untagged/latest images and 0.0.0.0 publishing are warnings, not errors.
  ParseReport report = parseManifest(
      wrap("  a:\n    container:\n      image: busybox\n      ports: ['0.0.0.0:80:80']\n"
           "  b:\n    container:\n      image: busybox:latest\n"),
      "f.yml");
  ASSERT_TRUE(report.ok()) << report.render();
  EXPECT_EQ(countSeverity(report.diagnostics, Severity::Warning), 3U) << report.render();
}

TEST(LoaderTest, NeverThrowsOnGarbage) {
  // Ensures arbitrary bytes, deep nesting, alias bombs and a stray ',' (on which yaml-cpp's
  // LoadAll never returns, found by fuzz_manifest) become diagnostics.
  const std::vector<std::string> inputs = {
      std::string("\0\x01\x02", 3),
      std::string(10000, '['),
      "a: &a [*a]\n",
      "- - - -\n",
      "{",
      "? [a]\n: b\n",
      ", a",
      "- x\n, y",
      "---\n, a\n",
      "\t\tx: y",
      "project: !!binary xyz\n",
      "a: &x [1,1,1,1,1,1,1,1,1,1]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x,*x]\n"
      "c: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y,*y]\nd: &w [*z,*z,*z,*z,*z,*z,*z,*z,*z,*z]\n"
      "e: &v [*w,*w,*w,*w,*w,*w,*w,*w,*w,*w]\nf: [*v,*v,*v,*v,*v,*v,*v,*v,*v,*v]\n"};
  for (const std::string& in : inputs) {
    ParseReport report = parseManifest(in, "f.yml");
    EXPECT_FALSE(report.ok()) << in;
    EXPECT_FALSE(report.diagnostics.empty());
  }
}

TEST(LoaderTest, RendersLikeACompiler) {
  // Ensures the rendered diagnostic shows location, field, source line and a caret.
  ParseReport report =
      parseManifest(wrap("  api:\n    container:\n      image: x:1\n      ports: [80, 'x']\n"),
                    "lightshuttle.yml");
  ASSERT_EQ(report.diagnostics.size(), 1U);
  EXPECT_EQ(report.render(),
            "lightshuttle.yml:7:19: error: resources.api.ports[1]: invalid port mapping 'x': "
            "container port 'x' is not a number; expected PORT, HOST:CONTAINER, "
            "ADDR:HOST:CONTAINER or [IPV6]:HOST:CONTAINER, optionally followed by /tcp or /udp\n"
            " 7 |       ports: [80, 'x']\n"
            "   |                   ^\n");
}

TEST(LoaderTest, AcceptsOnFailureZeroAsNoRetryLimitAndPathsInsideOrAbsolute) {
  // Ensures `restart: "on-failure:0"` loads as Docker takes it (on-failure without a retry
  // limit), and host paths that stay in the manifest's directory or are absolute are accepted.
  ParseReport report = parseManifest(R"(project:
  name: demo
resources:
  app:
    container:
      image: lightshuttle-test/busybox:1.36
      restart: "on-failure:0"
      volumes: ['./a/../data:/data', '/srv/outside:/srv', '~/cache:/cache', 'named:/named']
)",
                                     "lightshuttle.yml", "/p");
  ASSERT_TRUE(report.ok()) << report.render();
  const Resource& app = report.manifest->resources[0];
  EXPECT_EQ(app.restart.mode, RestartPolicy::Mode::OnFailure);
  EXPECT_FALSE(app.restart.maxRetries.has_value());
  EXPECT_EQ(app.restart.str(), "on-failure");
}

TEST(DiscoveryTest, SearchesUpwardsAndHonoursOverrides) {
  // Ensures -f beats LIGHTSHUTTLE_FILE beats the nearest lightshuttle.yml/.yaml upwards.
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("ls-discovery-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "a" / "b");
  std::ofstream(root / "lightshuttle.yaml") << "x";
  std::ofstream(root / "other.yml") << "x";
  EXPECT_EQ(*discoverManifest({.cwd = root / "a" / "b"}), root / "lightshuttle.yaml");
  std::ofstream(root / "a" / "lightshuttle.yml") << "x";
  EXPECT_EQ(*discoverManifest({.cwd = root / "a" / "b"}), root / "a" / "lightshuttle.yml");
  EXPECT_EQ(*discoverManifest({.envFile = (root / "other.yml").string(), .cwd = root / "a"}),
            root / "other.yml");
  EXPECT_EQ(*discoverManifest({.file = root / "other.yml", .envFile = "nope", .cwd = root}),
            root / "other.yml");
  Result<fs::path> missing = discoverManifest({.file = root / "missing.yml", .cwd = root});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  fs::remove_all(root);
}

}  // namespace
}  // namespace ls::manifest
