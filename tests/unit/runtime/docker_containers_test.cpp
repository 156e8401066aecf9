// Unit tests of DockerRuntime's container operations (start, and the wider surface) over the
// scripted transport: what is validated before any request, how answers become runtime values (wait
// classification, stopped stats, rich inspect), and the streamed exec's exit polling.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/loop.hpp"
#include "unit/engine/fake_transport.hpp"

namespace ls::runtime {
namespace {

using namespace std::chrono_literals;
using engine::testing::chunkedResponse;
using engine::testing::FakeConnector;
using engine::testing::FakeEngine;
using engine::testing::frame;
using engine::testing::httpResponse;

class DockerContainersTest : public engine::testing::ScriptedEngineTest {
 protected:
  void SetUp() override {
    connectClient();
    rt = std::make_unique<DockerRuntime>(*client, clock);
  }

  std::unique_ptr<DockerRuntime> rt;
};

TEST_F(DockerContainersTest, KillValidatesTheSignalAndSendsItsCanonicalName) {
  // Ensures kill sends the host table's name for any spelling (SIGKILL when empty) and refuses
  // an unknown signal before any request.
  answer(204);
  answer(204);
  answer(204);
  const ContainerId id{"x"};
  ASSERT_TRUE(run(rt->kill(id, " term ")));
  ASSERT_TRUE(run(rt->kill(id, "")));
  ASSERT_TRUE(run(rt->kill(id, "10")));
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/kill?signal=SIGTERM");
  EXPECT_EQ(line(1), "POST /v1.41/containers/x/kill?signal=SIGKILL");
  EXPECT_EQ(line(2), "POST /v1.41/containers/x/kill?signal=SIGUSR1");
  const std::size_t before = sent();
  auto bad = run(rt->kill(id, "SIGBOGUS"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
  EXPECT_EQ(sent(), before);
}

TEST_F(DockerContainersTest, StartRefusesAnInvalidNameBeforeAnyRequest) {
  // Ensures a container name the engine refuses is InvalidArgument on every engine (podman 4.3
  // answers it with 500) and that nothing is made for it, not even the project network.
  ContainerSpec spec;
  spec.project = "demo";
  spec.resource = "web";
  spec.name = "bad name";
  spec.image = PullImage{.reference = "busybox:1"};
  const StartOptions none;
  auto started = run(rt->start(spec, none));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Errc::InvalidArgument);
  EXPECT_NE(started.error().what().find("'bad name'"), std::string::npos) << started.error().what();
  EXPECT_TRUE(engine->requests.empty()) << "not even the version negotiation";
}

TEST_F(DockerContainersTest, WaitClassifiesTheExitWithTheInspect) {
  // Ensures wait takes OOM, the runtime error and the finish time from the inspect that
  // follows, skips the inspect for `removed`, and keeps the exit code when the container is
  // gone before the inspect.
  const ContainerId id{"x"};
  answer(200, R"({"StatusCode":137})");
  answer(200, R"({"Id":"x","State":{"Status":"exited","OOMKilled":true,"ExitCode":137,
                   "FinishedAt":"2026-01-02T03:04:05.5Z"}})");
  auto oom = run(rt->wait(id, WaitCondition::NotRunning));
  ASSERT_TRUE(oom) << oom.error().what();
  EXPECT_EQ(oom->reason, WaitReason::OomKilled);
  EXPECT_EQ(oom->exitCode, 137);
  ASSERT_TRUE(oom->finishedAt);
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/wait?condition=not-running");
  EXPECT_EQ(line(1), "GET /v1.41/containers/x/json");

  answer(200, R"({"StatusCode":127})");
  answer(
      200,
      R"({"Id":"x","State":{"Status":"exited","ExitCode":127,"Error":"exec: \"nope\": not found"}})");
  auto failed = run(rt->wait(id, WaitCondition::NextExit));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->reason, WaitReason::RuntimeError);
  EXPECT_NE(failed->error.find("not found"), std::string::npos);
  EXPECT_EQ(line(2), "POST /v1.41/containers/x/wait?condition=next-exit");

  answer(200, R"({"StatusCode":143})");
  auto removed = run(rt->wait(id, WaitCondition::Removed));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->signal, "SIGTERM");
  EXPECT_FALSE(removed->finishedAt);
  EXPECT_EQ(line(4), "POST /v1.41/containers/x/wait?condition=removed");
  EXPECT_EQ(sent(), 5u) << "no inspect after `removed`";

  answer(200, R"({"StatusCode":2})");
  answer(404, R"({"message":"No such container: x"})");
  auto gone = run(rt->wait(id, WaitCondition::NotRunning));
  ASSERT_TRUE(gone) << gone.error().what();
  EXPECT_EQ(gone->exitCode, 2);
  EXPECT_EQ(gone->reason, WaitReason::Exited);
}

TEST_F(DockerContainersTest, UpdateTopAndRenameCheckTheirArgumentsFirst) {
  // Ensures an empty update makes no call, the restart policy maps to the engine's names, ps
  // arguments with whitespace and invalid names are refused before any request.
  const ContainerId id{"x"};
  const ResourceUpdate nothing;
  auto none = run(rt->update(id, nothing));
  ASSERT_TRUE(none);
  EXPECT_TRUE(engine->requests.empty()) << "not even the version negotiation";

  answer(200, R"({"Warnings":["w1"]})");
  ResourceUpdate restart;
  restart.restartPolicy = RestartPolicy{.mode = RestartPolicy::Mode::OnFailure, .maxRetries = 4};
  restart.cpuShares = 512;
  auto warned = run(rt->update(id, restart));
  ASSERT_TRUE(warned) << warned.error().what();
  EXPECT_EQ(warned->warnings, (std::vector<std::string>{"w1"}));
  const std::string& raw = engine->requests.at(1);
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4),
            R"({"CpuShares":512,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":4}})");

  const std::size_t before = sent();
  const std::vector<std::string> spaced = {"-o", "pid comm"};
  auto top = run(rt->top(id, spaced));
  ASSERT_FALSE(top);
  EXPECT_EQ(top.error().code(), Errc::InvalidArgument);
  const std::vector<std::string> empty = {""};
  EXPECT_FALSE(run(rt->top(id, empty)));
  auto renamed = run(rt->rename(id, "a"));
  ASSERT_FALSE(renamed);
  EXPECT_EQ(renamed.error().code(), Errc::InvalidArgument);
  EXPECT_EQ(sent(), before);

  answer(200, R"({"Titles":["PID","COMMAND"],"Processes":[["7","sleep"]]})");
  const std::vector<std::string> args = {"-o", "pid,comm"};
  auto listed = run(rt->top(id, args));
  ASSERT_TRUE(listed) << listed.error().what();
  EXPECT_EQ(listed->processes.at(0).at(1), "sleep");
  EXPECT_EQ(line(1), "GET /v1.41/containers/x/top?ps_args=-o%20pid%2Ccomm");
}

TEST_F(DockerContainersTest, StatsOfAStoppedContainerAndTheEndOfAStream) {
  // Ensures the engine's empty sample (zero read time) is Conflict for one sample and the end
  // of a stream, and a sample maps to the runtime's fields.
  const ContainerId id{"x"};
  answer(200, R"({"read":"0001-01-01T00:00:00Z","name":"/x","id":"x"})");
  auto stopped = run(rt->stats(id));
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), Errc::Conflict);

  const std::string sample =
      R"({"read":"2026-01-01T00:00:01Z","cpu_stats":{"cpu_usage":{"total_usage":100},"system_cpu_usage":1000,"online_cpus":2},)"
      R"("memory_stats":{"usage":4096,"stats":{"total_inactive_file":1024},"limit":8192},"pids_stats":{"current":3,"limit":10},)"
      R"("networks":{"eth0":{"rx_bytes":1,"tx_bytes":2}},"blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","value":5}]}})";
  const std::string empty = R"({"read":"0001-01-01T00:00:00Z","name":"/x","id":"x"})";
  engine->exchanges.push_back(
      {.response = chunkedResponse(200, {sample + "\n", empty + "\n", empty + "\n"})});
  auto stream = run(rt->statsStream(id));
  ASSERT_TRUE(stream) << stream.error().what();
  auto first = run((*stream)->next());
  ASSERT_TRUE(first && *first);
  const StatsSample& s = **first;
  EXPECT_EQ(s.cpuTotalNs, 100u);
  EXPECT_EQ(s.cpuSystemNs, 1000u);
  EXPECT_EQ(s.onlineCpus, 2u);
  EXPECT_EQ(s.memoryUsedBytes, 3072u);
  EXPECT_EQ(s.memoryLimitBytes, 8192u);
  EXPECT_EQ(s.pidsCurrent, 3u);
  EXPECT_EQ(s.pidsLimit, std::optional<std::uint64_t>(10));
  EXPECT_EQ(s.networkRxBytes, 1u);
  EXPECT_EQ(s.networkTxBytes, 2u);
  EXPECT_EQ(s.blockReadBytes, 5u);
  EXPECT_EQ(s.timestamp.time_since_epoch(), std::chrono::seconds(1767225601));
  auto end = run((*stream)->next());
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
  auto after = run((*stream)->next());
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

TEST_F(DockerContainersTest, DetailedInspectMapsHealthPidNetworksAndPorts) {
  // Ensures the rich inspect: health "none" without a healthcheck, the pid only while running,
  // networks with aliases and addresses, an sctp port kept, and the exit code only once exited
  // (never the 0 the engine reports for a created container).
  answer(200, R"({"Id":"x","Name":"/demo_web","Config":{"Image":"busybox","Labels":{"a":"b"}},
      "State":{"Status":"running","Running":true,"Pid":42,"ExitCode":0},
      "NetworkSettings":{"Ports":{"7/sctp":null,"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]},
        "Networks":{"lightshuttle-demo":{"IPAddress":"172.18.0.5","Aliases":["web"]},"bridge":{"IPAddress":""}}}})");
  answer(
      200,
      R"({"Id":"x","Name":"/demo_web","State":{"Status":"created","Running":false,"Pid":0,"ExitCode":0}})");
  answer(
      200,
      R"({"Id":"x","Name":"/demo_web","State":{"Status":"exited","Running":false,"Pid":0,"ExitCode":3}})");
  const ContainerId id{"x"};
  auto running = run(rt->inspectDetailed(id));
  ASSERT_TRUE(running) << running.error().what();
  EXPECT_EQ(running->name, "demo_web");
  EXPECT_EQ(running->image, "busybox");
  EXPECT_EQ(running->health.status, "none");
  EXPECT_EQ(running->pid, 42);
  EXPECT_EQ(running->labels.at("a"), "b");
  ASSERT_EQ(running->networks.size(), 2u);
  EXPECT_EQ(running->networks[0].network, "bridge");
  EXPECT_EQ(running->networks[0].ipv4, "");
  EXPECT_EQ(running->networks[1].network, "lightshuttle-demo");
  EXPECT_EQ(running->networks[1].ipv4, "172.18.0.5");
  EXPECT_EQ(running->networks[1].aliases, (std::vector<std::string>{"web"}));
  ASSERT_EQ(running->ports.size(), 2u);
  EXPECT_EQ(running->ports[0].protocol, Protocol::Sctp);
  EXPECT_FALSE(running->ports[0].hostPort);
  EXPECT_EQ(running->ports[1].hostPort, 8080);
  EXPECT_FALSE(running->status.exitCode);
  auto created = run(rt->inspectDetailed(id));
  ASSERT_TRUE(created);
  EXPECT_FALSE(created->pid);
  EXPECT_FALSE(created->status.exitCode) << "a created container has no exit code";
  auto exited = run(rt->inspectDetailed(id));
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->status.exitCode, 3);
}

TEST_F(DockerContainersTest, ExecStreamPollsTheExitAndNeverReadsAMissingCodeAsZero) {
  // Ensures the streamed exec yields the output, then polls the exec until the engine says it
  // stopped and reports its code in exactly one Exit; a stopped exec without a code is an
  // error, not exit 0.
  answer(201, R"({"Id":"e1"})");
  engine->exchanges.push_back(
      {.response = chunkedResponse(200, {frame(1, "out\n") + frame(2, "err\n")},
                                   "Content-Type: application/vnd.docker.multiplexed-stream\r\n")});
  answer(200, R"({"Running":true,"ExitCode":null})");
  answer(200, R"({"Running":false,"ExitCode":3})");
  const ContainerId id{"x"};
  ExecRequest request;
  request.cmd = {"sh", "-c", "exit 3"};
  auto stream = runVirtual(rt->execStream(id, request));
  ASSERT_TRUE(stream) << stream.error().what();
  std::vector<std::pair<ExecEvent::Kind, std::string>> events;
  for (;;) {
    auto e = runVirtual((*stream)->next());
    ASSERT_TRUE(e) << e.error().what();
    if (!*e) {
      break;
    }
    events.emplace_back((*e)->kind, (*e)->kind == ExecEvent::Kind::Exit
                                        ? std::to_string((*e)->exitCode)
                                        : (*e)->bytes);
  }
  const std::vector<std::pair<ExecEvent::Kind, std::string>> want = {
      {ExecEvent::Kind::Stdout, "out\n"},
      {ExecEvent::Kind::Stderr, "err\n"},
      {ExecEvent::Kind::Exit, "3"}};
  EXPECT_EQ(events, want);
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/exec");
  EXPECT_EQ(line(1), "POST /v1.41/exec/e1/start");
  EXPECT_EQ(line(2), "GET /v1.41/exec/e1/json");
  EXPECT_EQ(line(3), "GET /v1.41/exec/e1/json");

  answer(201, R"({"Id":"e2"})");
  engine->exchanges.push_back({.response = chunkedResponse(200, {})});
  answer(200, R"({"Running":false,"ExitCode":null})");
  auto second = runVirtual(rt->execStream(id, request));
  ASSERT_TRUE(second);
  auto noCode = runVirtual((*second)->next());
  ASSERT_FALSE(noCode);
  EXPECT_EQ(noCode.error().code(), Errc::Internal);
}

TEST_F(DockerContainersTest, ExecStreamTimesOutAndRefusesAnEmptyCommand) {
  // Ensures request.timeout bounds the whole stream, the wait for the exit code included
  // (Timeout once it passes), and an empty command is InvalidArgument before any request.
  const ContainerId id{"x"};
  ExecRequest empty;
  auto refused = run(rt->execStream(id, empty));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::InvalidArgument);
  EXPECT_TRUE(engine->requests.empty());

  answer(201, R"({"Id":"e1"})");
  engine->exchanges.push_back({.response = chunkedResponse(200, {})});  // output closed
  engine->exchanges.push_back({.response = "", .hang = true});          // exec inspect hangs
  ExecRequest slow;
  slow.cmd = {"sleep", "60"};
  slow.timeout = 2s;
  auto stream = runVirtual(rt->execStream(id, slow));
  ASSERT_TRUE(stream) << stream.error().what();
  auto timedOut = runVirtual((*stream)->next());
  ASSERT_FALSE(timedOut);
  EXPECT_EQ(timedOut.error().code(), Errc::Timeout);
  auto after = run((*stream)->next());
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

}  // namespace
}  // namespace ls::runtime
