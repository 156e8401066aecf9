#include "lightshuttle/spec/resolve.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "lightshuttle/core/file.hpp"
#include "lightshuttle/manifest/loader.hpp"

namespace ls::spec {
namespace {

using namespace std::chrono_literals;
using manifest::Manifest;

Manifest load(const std::string& resources, const std::string& dir = "/proj") {
  manifest::ParseReport report = manifest::parseManifest(
      "project:\n  name: demo\nresources:\n" + resources, "lightshuttle.yml", dir);
  EXPECT_TRUE(report.ok()) << report.render();
  return std::move(*report.manifest);
}

struct Fixture {
  manifest::EnvMap env;
  SecretStore store = SecretStore::inMemory();
  SeededRng rng{1};
  ResolveContext ctx() { return ResolveContext{.env = &env, .secrets = &store, .rng = &rng}; }
};

TEST(ResolveTest, PostgresDefaults) {
  // Ensures the postgres defaults: image, env, generated password, ports, volume, probe, outputs.
  Fixture f;
  const Manifest m = load("  db:\n    postgres: {}\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value()) << stack.error().what();
  const runtime::ContainerSpec& s = (*stack)[0].spec;
  EXPECT_EQ(s.name, "demo_db");
  EXPECT_EQ(std::get<runtime::PullImage>(s.image).reference, "postgres:16-alpine");
  EXPECT_EQ(s.env.at("POSTGRES_DB"), "db");
  EXPECT_EQ(s.env.at("POSTGRES_USER"), "postgres");
  const std::string pw = s.env.at("POSTGRES_PASSWORD");
  EXPECT_EQ(pw.size(), kGeneratedPasswordLength);
  EXPECT_EQ(pw.find_first_not_of(kPasswordAlphabet), std::string::npos);
  EXPECT_TRUE(s.secretEnvKeys.contains("POSTGRES_PASSWORD"));
  ASSERT_EQ(s.ports.size(), 1U);
  EXPECT_EQ(s.ports[0].containerPort, 5432);
  EXPECT_EQ(s.ports[0].hostPort, 5432);
  ASSERT_EQ(s.volumes.size(), 1U);
  EXPECT_EQ(s.volumes[0].kind, runtime::VolumeBinding::Kind::Named);
  EXPECT_EQ(s.volumes[0].source, "demo_db_data");
  EXPECT_EQ(s.volumes[0].target, "/var/lib/postgresql/data");
  EXPECT_EQ(s.healthcheck->test, (std::vector<std::string>{"CMD", "pg_isready", "-U", "postgres"}));
  ASSERT_TRUE(s.healthcheck->native.has_value());  // the same test, spoken natively
  EXPECT_EQ(s.healthcheck->native->protocol, runtime::NativeCheck::Protocol::Postgres);
  EXPECT_EQ(s.healthcheck->native->port, 5432);
  EXPECT_EQ(s.healthcheck->native->user, "postgres");
  EXPECT_EQ(s.stopGracePeriod, 10s);
  const Outputs& o = (*stack)[0].outputs;
  ASSERT_EQ(o.size(), 6U);
  EXPECT_EQ(o[0], (std::pair<std::string, std::string>{"host", "db"}));
  EXPECT_EQ(o[1].second, "5432");
  EXPECT_EQ(o[5].second, "postgres://postgres:" + pw + "@db:5432/db");
  EXPECT_TRUE(f.store.dirty());
}

TEST(ResolveTest, PostgresHostPortAndEncodedCredentials) {
  // Ensures `port` is the host port only, and URL credentials are percent-encoded.
  Fixture f;
  f.env["PW"] = "p@ss:w/rd";
  const Manifest m = load(
      "  db:\n    postgres:\n      image: lightshuttle-test/postgres:15\n      port: 15432\n"
      "      user: app user\n      password: ${env.PW}\n      database: shop\n      volume: "
      "false\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value()) << stack.error().what();
  const runtime::ContainerSpec& s = (*stack)[0].spec;
  EXPECT_EQ(s.ports[0].containerPort, 5432);
  EXPECT_EQ(s.ports[0].hostPort, 15432);
  EXPECT_TRUE(s.volumes.empty());
  EXPECT_EQ(s.env.at("POSTGRES_PASSWORD"), "p@ss:w/rd");
  EXPECT_EQ(s.healthcheck->native->port, 5432);  // the container's port, not the host's
  EXPECT_EQ(s.healthcheck->native->user, "app user");
  EXPECT_EQ((*stack)[0].outputs[5].second, "postgres://app%20user:p%40ss%3Aw%2Frd@db:5432/shop");
  EXPECT_FALSE(f.store.dirty());
}

TEST(ResolveTest, RedisPasswordAuthenticatesTheProbe) {
  // Ensures a redis password sets requirepass, a secret REDISCLI_AUTH and a PONG-checking probe.
  Fixture f;
  const Manifest m = load("  cache:\n    redis:\n      password: s3cret\n      port: 16379\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value()) << stack.error().what();
  const runtime::ContainerSpec& s = (*stack)[0].spec;
  EXPECT_EQ(std::get<runtime::PullImage>(s.image).reference, "redis:7-alpine");
  EXPECT_EQ(s.command, (std::vector<std::string>{"redis-server", "--requirepass", "s3cret"}));
  EXPECT_EQ(s.env.at("REDISCLI_AUTH"), "s3cret");
  EXPECT_TRUE(s.secretEnvKeys.contains("REDISCLI_AUTH"));
  EXPECT_EQ(s.healthcheck->test,
            (std::vector<std::string>{"CMD-SHELL", "redis-cli ping | grep -q PONG"}));
  ASSERT_TRUE(s.healthcheck->native.has_value());
  EXPECT_EQ(s.healthcheck->native->protocol, runtime::NativeCheck::Protocol::Redis);
  EXPECT_EQ(s.healthcheck->native->port, 6379);
  EXPECT_EQ(s.healthcheck->native->password, "s3cret");  // AUTH, then PING
  EXPECT_EQ(s.ports[0].containerPort, 6379);
  EXPECT_EQ(s.ports[0].hostPort, 16379);
  EXPECT_EQ(s.volumes[0].source, "demo_cache_data");
  EXPECT_EQ((*stack)[0].outputs[3].second, "redis://:s3cret@cache:6379");
}

TEST(ResolveTest, RedisWithoutPasswordUsesPlainPing) {
  // Ensures no auth, no command override and the plain ping probe without a password.
  Fixture f;
  const Manifest m = load("  cache:\n    redis: {}\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value());
  EXPECT_FALSE((*stack)[0].spec.command.has_value());
  EXPECT_EQ((*stack)[0].spec.healthcheck->test,
            (std::vector<std::string>{"CMD", "redis-cli", "ping"}));
  ASSERT_TRUE((*stack)[0].spec.healthcheck->native.has_value());
  EXPECT_EQ((*stack)[0].spec.healthcheck->native->password, "");
  EXPECT_EQ((*stack)[0].outputs[3].second, "redis://cache:6379");
}

TEST(ResolveTest, AHealthcheckOfTheManifestHasNoNativeCheck) {
  // Ensures a healthcheck written in the manifest replaces the built-in one with its native
  // check: readiness is then exactly what the written test says.
  Fixture f;
  const Manifest m =
      load("  db:\n    postgres:\n      healthcheck:\n        test: [CMD, pg_isready, -d, shop]\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value()) << stack.error().what();
  const runtime::ContainerSpec& s = (*stack)[0].spec;
  EXPECT_EQ(s.healthcheck->test, (std::vector<std::string>{"CMD", "pg_isready", "-d", "shop"}));
  EXPECT_FALSE(s.healthcheck->native.has_value());
}

TEST(ResolveTest, ContainerInterpolatesAndInjectsDependencyOutputs) {
  // Ensures order, interpolation of outputs and env, LSH_* injection and secret marking.
  Fixture f;
  f.env["LEVEL"] = "debug";
  const Manifest m = load(
      "  app:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
      "      env:\n        DB: ${resources.db.url}\n        LOG: ${env.LEVEL}\n"
      "        LSH_DB_HOST: mine\n      secrets:\n        TOKEN: ${env.TOKEN:-dev}\n"
      "      ports: [8080, '127.0.0.1:9000:90/udp']\n"
      "      volumes: ['./data:/data:ro', 'named:/n', '/anon']\n"
      "      command: ['echo', '${resources.db.host}']\n      working_dir: /w\n"
      "      restart: on-failure:2\n      stop_grace_period: 3s\n      labels: {a: b}\n"
      "  db:\n    postgres:\n      password: pw\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value()) << stack.error().what();
  ASSERT_EQ(stack->size(), 2U);
  EXPECT_EQ((*stack)[0].spec.resource, "db");
  const Resolved& app = (*stack)[1];
  const runtime::ContainerSpec& s = app.spec;
  EXPECT_EQ(app.dependencies, (std::vector<std::string>{"db"}));
  EXPECT_EQ(s.env.at("DB"), "postgres://postgres:pw@db:5432/db");
  EXPECT_EQ(s.env.at("LOG"), "debug");
  EXPECT_EQ(s.env.at("TOKEN"), "dev");
  EXPECT_TRUE(s.secretEnvKeys.contains("TOKEN"));
  EXPECT_EQ(s.env.at("LSH_DB_HOST"), "mine");
  EXPECT_EQ(s.env.at("LSH_DB_PORT"), "5432");
  EXPECT_EQ(s.env.at("LSH_DB_PASSWORD"), "pw");
  EXPECT_TRUE(s.secretEnvKeys.contains("LSH_DB_PASSWORD"));
  EXPECT_TRUE(s.secretEnvKeys.contains("LSH_DB_URL"));
  EXPECT_FALSE(s.secretEnvKeys.contains("LSH_DB_PORT"));
  EXPECT_EQ(s.command, (std::vector<std::string>{"echo", "db"}));
  EXPECT_EQ(s.workingDir, "/w");
  ASSERT_EQ(s.ports.size(), 2U);
  EXPECT_EQ(s.ports[1].hostAddress, "127.0.0.1");
  EXPECT_EQ(s.ports[1].protocol, runtime::Protocol::Udp);
  ASSERT_EQ(s.volumes.size(), 3U);
  EXPECT_EQ(s.volumes[0].source, "/proj/data");
  EXPECT_TRUE(s.volumes[0].readOnly);
  EXPECT_EQ(s.volumes[1].kind, runtime::VolumeBinding::Kind::Named);
  EXPECT_EQ(s.volumes[2].kind, runtime::VolumeBinding::Kind::Anonymous);
  EXPECT_EQ(s.restart.mode, runtime::RestartPolicy::Mode::OnFailure);
  EXPECT_EQ(s.restart.maxRetries, 2);
  EXPECT_EQ(s.stopGracePeriod, 3s);
  EXPECT_EQ(s.labels.at("a"), "b");
  EXPECT_EQ(app.outputs, (Outputs{{"host", "app"}, {"ports", "8080,90"}}));
}

TEST(ResolveTest, DockerfileBuildsFromTheManifestDirectory) {
  // Ensures the context is resolved against the manifest's directory and the build tag.
  Fixture f;
  const Manifest m = load(
      "  web:\n    dockerfile:\n      context: ./web\n      target: dev\n"
      "      build_args: {A: '1'}\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_TRUE(stack.has_value());
  const auto& b = std::get<runtime::BuildImage>((*stack)[0].spec.image);
  EXPECT_EQ(b.context, "/proj/web");
  EXPECT_EQ(b.dockerfile, "Dockerfile");
  EXPECT_EQ(b.target, "dev");
  EXPECT_EQ(b.tag, "lightshuttle/demo_web:dev");
  EXPECT_EQ(b.buildArgs.at("A"), "1");
}

TEST(ResolveTest, UnsetVariableIsLocatedAndNamesNoValue) {
  // Ensures a missing ${env.X} fails with the field's location.
  Fixture f;
  const Manifest m = load(
      "  app:\n    container:\n      image: x:1\n      env:\n"
      "        T: ${env.NOPE}\n");
  Result<std::vector<Resolved>> stack = resolveStack(m, f.ctx());
  ASSERT_FALSE(stack.has_value());
  EXPECT_EQ(stack.error().code(), Errc::NotFound);
  ASSERT_TRUE(stack.error().location().has_value());
  EXPECT_EQ(stack.error().location()->line, 8);
  EXPECT_EQ(stack.error().location()->field, "resources.app.env.T");
}

TEST(SecretStoreTest, PersistsGeneratedPasswordsWith0600) {
  // Ensures a generated password is saved atomically with mode 0600 and reused by a later run.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ls-secrets-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Manifest m = load("  db:\n    postgres: {}\n", dir.string());
  std::string first;
  {
    Result<SecretStore> store = SecretStore::open(dir);
    ASSERT_TRUE(store.has_value());
    SeededRng rng(1);
    manifest::EnvMap env;
    Result<std::vector<Resolved>> stack =
        resolveStack(m, {.env = &env, .secrets = &*store, .rng = &rng});
    ASSERT_TRUE(stack.has_value());
    first = (*stack)[0].spec.env.at("POSTGRES_PASSWORD");
    ASSERT_TRUE(store->save().has_value());
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / ".lightshuttle" / "secrets.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  Result<SecretStore> again = SecretStore::open(dir);
  ASSERT_TRUE(again.has_value());
  SeededRng otherRng(99);
  manifest::EnvMap env;
  Result<std::vector<Resolved>> stack =
      resolveStack(m, {.env = &env, .secrets = &*again, .rng = &otherRng});
  ASSERT_TRUE(stack.has_value());
  EXPECT_EQ((*stack)[0].spec.env.at("POSTGRES_PASSWORD"), first);
  EXPECT_FALSE(again->dirty());
  fs::remove_all(dir);
}

TEST(SecretStoreTest, CorruptFileIsAnErrorWithoutContent) {
  // Ensures a damaged store is reported (not silently replaced) and its content is not echoed.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ls-secrets-bad-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / ".lightshuttle");
  ASSERT_TRUE(
      writeFileAtomic(dir / ".lightshuttle" / "secrets.json", "{\"resources\": hunter2", 0600)
          .has_value());
  Result<SecretStore> store = SecretStore::open(dir);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().message().find("hunter2"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ls::spec
