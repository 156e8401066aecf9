#include "runtime/docker/spec_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "engine/mapping.hpp"

namespace ls::runtime {
namespace {

ContainerSpec sampleSpec() {
  ContainerSpec s;
  s.name = "demo_db";
  s.project = "demo";
  s.resource = "db";
  s.image = PullImage{.reference = "lightshuttle-test/postgres:15"};
  s.env = {{"POSTGRES_PASSWORD", "s3cret"}, {"POSTGRES_DB", "app"}};
  s.secretEnvKeys = {"POSTGRES_PASSWORD"};
  s.ports = {PortBinding{.containerPort = 5432, .hostPort = 15432},
             PortBinding{.containerPort = 9000, .hostAddress = "0.0.0.0"},
             PortBinding{.containerPort = 53,
                         .hostAddress = "[::1]",
                         .hostPort = 5353,
                         .protocol = Protocol::Udp}};
  s.volumes = {VolumeBinding{.kind = VolumeBinding::Kind::Named,
                             .source = "demo_db_data",
                             .target = "/var/lib/postgresql/data"},
               VolumeBinding{.kind = VolumeBinding::Kind::HostPath,
                             .source = "/srv/init",
                             .target = "/docker-entrypoint-initdb.d",
                             .readOnly = true},
               VolumeBinding{.kind = VolumeBinding::Kind::Anonymous, .target = "/scratch"}};
  s.healthcheck = HealthcheckSpec{.test = {"CMD", "pg_isready", "-U", "postgres"},
                                  .interval = std::chrono::milliseconds(500),
                                  .timeout = std::chrono::seconds(3),
                                  .retries = 5,
                                  .startPeriod = std::chrono::seconds(1)};
  s.labels = {{"team", "core"}};
  s.stopSignal = "SIGINT";
  s.stopGracePeriod = std::chrono::milliseconds(1500);
  return s;
}

TEST(SpecMappingTest, ExactCreateBody) {
  // Ensures a spec maps to exactly the create body the engine needs: labels with the config
  // hash, loopback ports unless an address is given, binds, anonymous volumes, healthcheck in
  // nanoseconds, network alias, a stop timeout rounded up to whole seconds, no restart policy.
  const ContainerSpec spec = sampleSpec();
  const std::string body = engine::encodeContainerCreate(detail::toContainerCreate(spec), "1.41");
  const std::string hash = configHash(spec);
  const std::string want =
      R"({"Image":"lightshuttle-test/postgres:15",)"
      R"("Env":["POSTGRES_DB=app","POSTGRES_PASSWORD=s3cret"],)"
      R"("Labels":{"lightshuttle.config-hash":")" +
      hash +
      R"(","lightshuttle.project":"demo",)"
      R"("lightshuttle.resource":"db","team":"core"},)"
      R"("Volumes":{"/scratch":{}},)"
      R"("Hostname":"db","Tty":false,"OpenStdin":false,"AttachStdout":true,"AttachStderr":true,)"
      R"("StopSignal":"SIGINT","StopTimeout":2,)"
      R"("Healthcheck":{"Test":["CMD","pg_isready","-U","postgres"],"Interval":500000000,)"
      R"("Timeout":3000000000,"StartPeriod":1000000000,"Retries":5},)"
      R"("ExposedPorts":{"5432/tcp":{},"9000/tcp":{},"53/udp":{}},)"
      R"("HostConfig":{"PortBindings":{"5432/tcp":[{"HostIp":"127.0.0.1","HostPort":"15432"}],)"
      R"("9000/tcp":[{"HostIp":"0.0.0.0","HostPort":""}],"53/udp":[{"HostIp":"::1","HostPort":"5353"}]},)"
      R"("Binds":["demo_db_data:/var/lib/postgresql/data","/srv/init:/docker-entrypoint-initdb.d:ro"],)"
      R"("NetworkMode":"lightshuttle-demo","AutoRemove":false},)"
      R"("NetworkingConfig":{"EndpointsConfig":{"lightshuttle-demo":{"Aliases":["db"]}}}})";
  EXPECT_EQ(body, want);
}

TEST(SpecMappingTest, ConfigHashChangesWithEveryField) {
  // Ensures the config hash is stable for equal specs and differs when any field changes.
  const ContainerSpec base = sampleSpec();
  EXPECT_EQ(configHash(base), configHash(sampleSpec()));
  std::vector<ContainerSpec> variants(8, base);
  variants[0].env["X"] = "1";
  variants[1].ports[0].hostPort = 15433;
  variants[2].image = PullImage{.reference = "lightshuttle-test/postgres:16"};
  variants[3].healthcheck->retries = 6;
  variants[4].volumes[0].readOnly = true;
  variants[5].command = std::vector<std::string>{"postgres", "-c", "fsync=off"};
  variants[6].stopGracePeriod = std::chrono::seconds(3);
  variants[7].labels["team"] = "other";
  std::set<std::string> hashes{configHash(base)};
  for (const auto& v : variants) {
    hashes.insert(configHash(v));
  }
  EXPECT_EQ(hashes.size(), variants.size() + 1);
}

TEST(SpecMappingTest, StatusFromInspect) {
  // Ensures engine states map to the runtime's: health wins while running, exit codes on stop.
  engine::ContainerInfo info;
  info.state.running = true;
  info.state.status = "running";
  info.state.health = "starting";
  info.hasHealthcheck = true;
  EXPECT_EQ(detail::toStatus(info).state, ContainerState::Running);
  info.state.health = "healthy";
  EXPECT_EQ(detail::toStatus(info).state, ContainerState::Healthy);
  info.state.health = "unhealthy";
  EXPECT_EQ(detail::toStatus(info).state, ContainerState::Unhealthy);
  info.state.running = false;
  info.state.status = "exited";
  info.state.exitCode = 137;
  info.state.oomKilled = true;
  const ContainerStatus st = detail::toStatus(info);
  EXPECT_EQ(st.state, ContainerState::Stopped);
  EXPECT_EQ(st.exitCode, 137);
  EXPECT_TRUE(st.oomKilled);
  info.state.status = "created";
  EXPECT_EQ(detail::toStatus(info).state, ContainerState::Starting);
}

TEST(SpecMappingTest, BuildSpecsRunTheirTag) {
  // Ensures a build spec's container runs the tag the build produced.
  ContainerSpec s = sampleSpec();
  s.image = BuildImage{.context = "/src/api", .tag = "lightshuttle/demo_api:dev"};
  EXPECT_EQ(detail::imageReference(s), "lightshuttle/demo_api:dev");
  EXPECT_EQ(detail::toContainerCreate(s).image, "lightshuttle/demo_api:dev");
}

}  // namespace
}  // namespace ls::runtime
