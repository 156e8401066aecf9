#include "lightshuttle/engine/api.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "engine/mapping.hpp"
#include "support/loop.hpp"
#include "unit/engine/fake_transport.hpp"

namespace json = boost::json;

namespace ls::engine {
namespace {

using testing::chunkedResponse;
using testing::FakeConnector;
using testing::FakeEngine;
using testing::frame;
using testing::httpResponse;

TEST(MappingTest, ContainerCreateBody) {
  // Ensures the create body carries image, command, env, labels, loopback ports, healthcheck in
  // nanoseconds, binds, network aliases and restart policy where the engine expects them.
  ContainerCreate c;
  c.image = "lightshuttle-test/busybox";
  c.cmd = {"sleep", "60"};
  c.entrypoint = std::vector<std::string>{};
  c.env = {"A=1"};
  c.labels = {{"lightshuttle.project", "demo"}};
  c.stopSignal = "SIGINT";
  c.stopTimeoutSeconds = 3;
  c.healthcheck = HealthConfig{.test = {"CMD", "true"},
                               .interval = std::chrono::seconds(1),
                               .timeout = std::chrono::milliseconds(500),
                               .startPeriod = std::chrono::seconds(0),
                               .startInterval = std::chrono::milliseconds(100),
                               .retries = 3};
  c.ports.push_back(
      {.containerPort = 5432, .protocol = "tcp", .hostIp = "127.0.0.1", .hostPort = "15432"});
  c.ports.push_back(
      {.containerPort = 53, .protocol = "udp", .hostIp = "127.0.0.1", .hostPort = ""});
  c.binds = {"demo_db_data:/var/lib/postgresql/data"};
  c.networkMode = "demo_default";
  c.networkAliases = {"db"};
  c.restartPolicy = "on-failure";
  c.restartMaxRetries = 2;
  const json::value v = json::parse(encodeContainerCreate(c, "1.41"));
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("Image").as_string(), "lightshuttle-test/busybox");
  EXPECT_EQ(o.at("Cmd").as_array().size(), 2u);
  EXPECT_EQ(o.at("Entrypoint").as_array().at(0).as_string(), "");
  EXPECT_EQ(o.at("Labels").at("lightshuttle.project").as_string(), "demo");
  EXPECT_EQ(o.at("StopSignal").as_string(), "SIGINT");
  EXPECT_EQ(o.at("StopTimeout").as_int64(), 3);
  const auto& hc = o.at("Healthcheck").as_object();
  EXPECT_EQ(hc.at("Interval").as_int64(), 1000000000);
  EXPECT_EQ(hc.at("Timeout").as_int64(), 500000000);
  EXPECT_EQ(hc.at("Retries").as_int64(), 3);
  EXPECT_FALSE(hc.contains("StartInterval")) << "StartInterval needs API 1.44";
  const auto& host = o.at("HostConfig").as_object();
  const auto& pb = host.at("PortBindings").as_object();
  EXPECT_EQ(pb.at("5432/tcp").as_array().at(0).at("HostIp").as_string(), "127.0.0.1");
  EXPECT_EQ(pb.at("5432/tcp").as_array().at(0).at("HostPort").as_string(), "15432");
  EXPECT_TRUE(pb.contains("53/udp"));
  EXPECT_TRUE(o.at("ExposedPorts").as_object().contains("5432/tcp"));
  EXPECT_EQ(host.at("RestartPolicy").at("Name").as_string(), "on-failure");
  EXPECT_EQ(host.at("RestartPolicy").at("MaximumRetryCount").as_int64(), 2);
  EXPECT_EQ(host.at("NetworkMode").as_string(), "demo_default");
  EXPECT_EQ(o.at("NetworkingConfig")
                .at("EndpointsConfig")
                .at("demo_default")
                .at("Aliases")
                .as_array()
                .at(0)
                .as_string(),
            "db");

  const json::value v44 = json::parse(encodeContainerCreate(c, "1.44"));
  EXPECT_EQ(v44.at("Healthcheck").at("StartInterval").as_int64(), 100000000);
}

TEST(MappingTest, DecodesInspect) {
  // Ensures a real-shaped inspect answer maps to state, health, ports, networks and labels.
  const char* body = R"({
    "Id": "abc123", "Name": "/demo_db", "Image": "sha256:feed", "RestartCount": 2,
    "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false,
              "OOMKilled": false, "Dead": false, "Pid": 42, "ExitCode": 0, "Error": "",
              "StartedAt": "2026-11-23T07:40:01.123456789Z", "FinishedAt": "0001-01-01T00:00:00Z",
              "Health": {"Status": "healthy", "FailingStreak": 0, "Log": []}},
    "Config": {"Image": "lightshuttle-test/postgres:15", "Tty": false,
               "Labels": {"lightshuttle.project": "demo", "lightshuttle.resource": "db"}},
    "NetworkSettings": {
      "Ports": {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15432"}], "9/udp": null},
      "Networks": {"demo_default": {"NetworkID": "n1", "IPAddress": "172.18.0.2", "Aliases": ["db", "abc123"]}}}
  })";
  auto info = decodeContainerInfo(json::parse(body));
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(info->name, "demo_db");
  EXPECT_EQ(info->image, "lightshuttle-test/postgres:15");
  EXPECT_EQ(info->restartCount, 2);
  EXPECT_TRUE(info->state.running);
  EXPECT_EQ(info->state.pid, 42);
  EXPECT_EQ(info->state.health, "healthy");
  ASSERT_TRUE(info->state.startedAt);
  EXPECT_FALSE(info->state.finishedAt);
  ASSERT_EQ(info->ports.size(), 1u);
  EXPECT_EQ(info->ports[0].containerPort, 5432);
  EXPECT_EQ(info->ports[0].hostPort, 15432);
  EXPECT_EQ(info->networks.at("demo_default").ipAddress, "172.18.0.2");
  EXPECT_EQ(info->labels.at("lightshuttle.resource"), "db");
}

TEST(MappingTest, WrongTypesNameTheField) {
  // Ensures a field of the wrong type is an InvalidArgument naming its path, not a crash.
  auto info = decodeContainerInfo(json::parse(R"({"Id":"x","State":{"Running":"yes"}})"));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), Errc::InvalidArgument);
  EXPECT_NE(info.error().what().find("container.State.Running"), std::string::npos);
  EXPECT_FALSE(decodeContainerList(json::parse(R"({"not":"an array"})")));
  EXPECT_FALSE(decodeCreated(json::parse(R"({"Warnings":[]})")));
}

TEST(MappingTest, DecodesListInfoVersionAndProgress) {
  // Ensures list, info, version and pull-progress answers map to their value types.
  auto list = decodeContainerList(json::parse(
      R"([{"Id":"a","Names":["/demo_db"],"Image":"img","State":"running","Status":"Up 2s","Labels":{"k":"v"}}])"));
  ASSERT_TRUE(list);
  EXPECT_EQ(list->at(0).names.at(0), "demo_db");
  auto info = decodeInfo(json::parse(
      R"({"Name":"h","ServerVersion":"20.10.24","Driver":"overlay2","SecurityOptions":["name=seccomp,profile=default","name=rootless"],"NCPU":2})"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->rootless);
  EXPECT_EQ(info->ncpu, 2);
  auto ver = decodeVersion(json::parse(
      R"({"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Components":[{"Name":"Engine"}]})"));
  ASSERT_TRUE(ver);
  EXPECT_EQ(ver->components.at(0), "Engine");
  auto p = decodePullProgress(json::parse(
      R"({"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"abc"})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->current, 10);
  EXPECT_EQ(p->total, 100);
}

TEST(MappingTest, SplitsImageReferences) {
  // Ensures a registry port is never taken for a tag, and digests and defaults are handled.
  struct Row {
    std::string ref, repo, tag;
  };
  const std::vector<Row> rows = {
      {"busybox", "busybox", "latest"},
      {"busybox:1.36", "busybox", "1.36"},
      {"127.0.0.1:5000/lightshuttle-test/busybox", "127.0.0.1:5000/lightshuttle-test/busybox",
       "latest"},
      {"127.0.0.1:5000/x/y:v2", "127.0.0.1:5000/x/y", "v2"},
      {"repo@sha256:abcd", "repo", "sha256:abcd"},
  };
  for (const auto& r : rows) {
    auto got = splitImageRef(r.ref);
    EXPECT_EQ(got.repository, r.repo) << r.ref;
    EXPECT_EQ(got.tag, r.tag) << r.ref;
  }
}

class ApiTest : public testing::ScriptedEngineTest {
 protected:
  void SetUp() override {
    connectClient();
    api = std::make_unique<Api>(*client);
  }
  std::unique_ptr<Api> api;
};

TEST_F(ApiTest, IdempotentOutcomesAreValues) {
  // Ensures 304 on start/stop and 404 on remove are outcomes, not errors.
  engine->exchanges.push_back({.response = httpResponse(304, "")});
  engine->exchanges.push_back({.response = httpResponse(304, "")});
  engine->exchanges.push_back(
      {.response = httpResponse(404, R"({"message":"No such container: x"})")});
  EXPECT_EQ(*run(api->startContainer("x")), StartOutcome::AlreadyRunning);
  EXPECT_EQ(*run(api->stopContainer("x", std::chrono::seconds(1))), StopOutcome::AlreadyStopped);
  EXPECT_EQ(*run(api->removeContainer("x", true, false)), RemoveOutcome::AlreadyRemoved);
  EXPECT_EQ(engine->requests.at(2).substr(0, 42), "POST /v1.41/containers/x/stop?t=1 HTTP/1.1");
  EXPECT_EQ(engine->requests.at(3).substr(0, 49),
            "DELETE /v1.41/containers/x?force=1&v=0 HTTP/1.1\r\n");
}

TEST_F(ApiTest, ANameInUseIsConflictOnDockerAndOnPodman) {
  // Ensures create's name conflict is Conflict "name_in_use" from Docker's 409 and from podman's
  // 500 once an inspect finds a container of that name; a 500 with no such container stays the
  // engine's error.
  auto answer = [&](int status, const std::string& body) {
    engine->exchanges.push_back({.response = httpResponse(status, body)});
  };
  const ContainerCreate spec{.image = "busybox"};
  answer(409, R"({"message":"Conflict. The container name \"/db\" is already in use"})");
  auto docker = run(api->createContainer("db", spec));
  ASSERT_FALSE(docker);
  EXPECT_EQ(docker.error().code(), Errc::Conflict);
  EXPECT_EQ(docker.error().reason(), "name_in_use");

  answer(500, R"({"cause":"that name is already in use","message":"x","response":500})");
  answer(200, R"({"Id":"c1","Name":"/db","State":{"Status":"created"}})");
  auto podman = run(api->createContainer("db", spec));
  ASSERT_FALSE(podman);
  EXPECT_EQ(podman.error().code(), Errc::Conflict);
  EXPECT_EQ(podman.error().reason(), "name_in_use");
  ASSERT_TRUE(podman.error().engine());
  EXPECT_EQ(podman.error().engine()->status, 500);
  EXPECT_EQ(engine->requests.at(3).substr(0, 35), "GET /v1.41/containers/db/json HTTP/");

  answer(500, R"({"message":"network not found","response":500})");
  answer(404, R"({"message":"no such container"})");
  auto other = run(api->createContainer("db", spec));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), Errc::Internal);
  EXPECT_EQ(other.error().reason(), "");
}

TEST_F(ApiTest, LogsAreDemultiplexedInOrder) {
  // Ensures a multiplexed log stream yields stdout and stderr chunks in emission order.
  const std::string body = frame(1, "out1\n") + frame(2, "err1\n") + frame(1, "out2\n");
  engine->exchanges.push_back(
      {.response = chunkedResponse(200, {body.substr(0, 7), body.substr(7)},
                                   "Content-Type: application/vnd.docker.multiplexed-stream\r\n")});
  LogsOptions opts;
  opts.follow = true;
  auto logs = run(api->logs("x", opts));
  ASSERT_TRUE(logs) << logs.error().what();
  std::vector<std::pair<StreamKind, std::string>> got;
  for (;;) {
    auto c = run((*logs)->next());
    ASSERT_TRUE(c) << c.error().what();
    if (!*c) {
      break;
    }
    got.emplace_back((*c)->stream, (*c)->bytes);
  }
  const std::vector<std::pair<StreamKind, std::string>> want = {{StreamKind::Stdout, "out1\n"},
                                                                {StreamKind::Stderr, "err1\n"},
                                                                {StreamKind::Stdout, "out2\n"}};
  EXPECT_EQ(got, want);
  EXPECT_NE(engine->requests.at(1).find("follow=1&stdout=1&stderr=1&timestamps=0"),
            std::string::npos);
}

TEST_F(ApiTest, PullReportsProgressAndStreamErrors) {
  // Ensures pull progress reaches the callback and an errorDetail inside a 200 stream fails it.
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200, {R"({"status":"Pulling from x","id":"latest"})"
                 "\r\n",
                 R"({"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"l1"})"
                 "\n"})});
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200,
           {R"({"status":"Pulling"})"
            "\n",
            R"({"errorDetail":{"message":"write failed: no space"},"error":"write failed: no space"})"
            "\n"})});
  std::vector<PullProgress> seen;
  auto ok1 = run(
      api->pullImage("127.0.0.1:5000/x:latest", [&](const PullProgress& p) { seen.push_back(p); }));
  ASSERT_TRUE(ok1) << ok1.error().what();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].current, 5);
  EXPECT_NE(engine->requests.at(1).find("fromImage=127.0.0.1%3A5000%2Fx&tag=latest"),
            std::string::npos);
  auto bad = run(api->pullImage("x", {}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("no space"), std::string::npos);
  EXPECT_NE(bad.error().what().find("pull image 'x'"), std::string::npos);
}

TEST_F(ApiTest, MissingImageOnPullIsNotFound) {
  // Ensures a 404 before the stream (unknown tag) is NotFound with the engine's message.
  engine->exchanges.push_back(
      {.response =
           httpResponse(404, R"({"message":"manifest for x:nope not found: manifest unknown"})")});
  auto r = run(api->pullImage("x:nope", {}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::NotFound);
}

TEST_F(ApiTest, WaitReturnsTheExitCode) {
  // Ensures the wait answer's StatusCode is returned, and its Error message becomes an error.
  engine->exchanges.push_back({.response = httpResponse(200, R"({"StatusCode":3,"Error":null})")});
  engine->exchanges.push_back(
      {.response = httpResponse(200, R"({"StatusCode":0,"Error":{"Message":"boom"}})")});
  auto code = run(api->waitContainer("x", "not-running", std::chrono::seconds(5)));
  ASSERT_TRUE(code) << code.error().what();
  EXPECT_EQ(*code, 3);
  auto bad = run(api->waitContainer("x", "not-running", std::chrono::seconds(5)));
  EXPECT_FALSE(bad);
}

TEST_F(ApiTest, AttachedExecStartHijacksTheConnectionAndDemultiplexes) {
  // Ensures the attached start asks for an upgrade with the Tty flag, frames that arrived with the
  // 101 header and after it are demultiplexed in order at any split, stdin goes out raw on the
  // same connection, and closing stdin half-closes it.
  const std::string output = frame(1, "hello\n") + frame(2, "oops\n") + frame(1, "bye\n");
  const std::string head =
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
  for (std::size_t chunk :
       {std::size_t{1}, std::size_t{5}, head.size() + 3, std::size_t{1} << 20}) {
    connectClient();
    engine->exchanges.push_back({.response = head + output, .chunk = chunk, .upgrade = true});
    api = std::make_unique<Api>(*client);
    ExecStart start;
    auto stream = run(api->startExecAttached("e1", start));
    ASSERT_TRUE(stream) << stream.error().what();
    const std::string& req = engine->requests.at(1);
    EXPECT_EQ(req.substr(0, 35), "POST /v1.41/exec/e1/start HTTP/1.1\r");
    EXPECT_NE(req.find("Connection: Upgrade\r\n"), std::string::npos) << req;
    EXPECT_NE(req.find("Upgrade: tcp\r\n"), std::string::npos) << req;
    EXPECT_NE(req.find(R"({"Detach":false,"Tty":false})"), std::string::npos) << req;
    const std::string in = "typed\n";
    ASSERT_TRUE(run((*stream)->write(in)));
    ASSERT_TRUE((*stream)->closeStdin());
    ASSERT_TRUE((*stream)->closeStdin()) << "idempotent";
    EXPECT_EQ(engine->streamed, "typed\n");
    EXPECT_EQ(engine->writeShutdowns, 1);
    std::vector<std::pair<StreamKind, std::string>> got;
    for (;;) {
      auto c = run((*stream)->next());
      ASSERT_TRUE(c) << c.error().what();
      if (!*c) {
        break;
      }
      if (!got.empty() && got.back().first == (*c)->stream) {
        got.back().second += (*c)->bytes;
      } else {
        got.emplace_back((*c)->stream, (*c)->bytes);
      }
    }
    const std::vector<std::pair<StreamKind, std::string>> want = {{StreamKind::Stdout, "hello\n"},
                                                                  {StreamKind::Stderr, "oops\n"},
                                                                  {StreamKind::Stdout, "bye\n"}};
    EXPECT_EQ(got, want) << "chunk " << chunk;
  }
}

TEST_F(ApiTest, AttachedExecStartWithTtyIsRawAndAccepts200) {
  // Ensures an engine that hijacks with a plain 200 (no upgrade status) still hands over the raw
  // stream, that TTY output is passed through untouched, and an error status is classified.
  const std::string ttyBytes("\x01\x00 raw tty bytes\r\n",
                             18);  // starts like a frame header: raw mode keeps it
  engine->exchanges.push_back(
      {.response =
           "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n" + ttyBytes,
       .upgrade = true});
  ExecStart start;
  start.tty = true;
  start.consoleSize = TtySize{.height = 40, .width = 120};
  auto stream = run(api->startExecAttached("e2", start));
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_NE(engine->requests.at(1).find(R"({"Detach":false,"Tty":true})"), std::string::npos)
      << "no ConsoleSize before API 1.42: " << engine->requests.at(1);
  std::string got;
  for (;;) {
    auto c = run((*stream)->next());
    ASSERT_TRUE(c) << c.error().what();
    if (!*c) {
      break;
    }
    EXPECT_EQ((*c)->stream, StreamKind::Stdout);
    got += (*c)->bytes;
  }
  EXPECT_EQ(got, ttyBytes);

  engine->exchanges.push_back(
      {.response = httpResponse(404, R"({"message":"No such exec instance: e3"})")});
  auto missing = run(api->startExecAttached("e3", start));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_NE(missing.error().what().find("No such exec instance"), std::string::npos);
}

TEST_F(ApiTest, ExecCreateAttachFlagsResizeAndConsoleSizeByVersion) {
  // Ensures the create body carries the attach and TTY flags, ConsoleSize only for API 1.42+,
  // and resize sends h and w.
  ExecCreate spec;
  spec.cmd = {"sh"};
  spec.attachStdin = true;
  spec.tty = true;
  spec.consoleSize = TtySize{.height = 40, .width = 120};
  const json::value v = json::parse(encodeExecCreate(spec));
  const auto& o = v.as_object();
  EXPECT_TRUE(o.at("AttachStdin").as_bool());
  EXPECT_TRUE(o.at("AttachStdout").as_bool());
  EXPECT_TRUE(o.at("Tty").as_bool());
  ASSERT_TRUE(o.contains("ConsoleSize"));
  EXPECT_EQ(o.at("ConsoleSize").as_array().at(0).to_number<int>(), 40);
  EXPECT_EQ(o.at("ConsoleSize").as_array().at(1).to_number<int>(), 120);

  engine->exchanges.push_back({.response = httpResponse(201, R"({"Id":"e1"})")});
  engine->exchanges.push_back({.response = httpResponse(200, "")});
  auto id = run(api->createExec("c1", spec));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, "e1");
  EXPECT_EQ(engine->requests.at(1).find("ConsoleSize"), std::string::npos) << "API 1.41";
  const TtySize size{.height = 50, .width = 100};
  auto resized = run(api->resizeExec("e1", size));
  ASSERT_TRUE(resized) << resized.error().what();
  EXPECT_EQ(engine->requests.at(2).substr(0, 46), "POST /v1.41/exec/e1/resize?h=50&w=100 HTTP/1.1");
}

}  // namespace
}  // namespace ls::engine
