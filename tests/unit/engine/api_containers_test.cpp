// Unit tests of the engine-level containers calls of the wider runtime surface: exact requests sent
// and JSON mapped, over the scripted transport (fake_transport.hpp).
#include "engine/api_containers.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "engine/timestamp.hpp"
#include "support/loop.hpp"
#include "unit/engine/fake_transport.hpp"

namespace json = boost::json;

namespace ls::engine {
namespace {

using testing::chunkedResponse;
using testing::FakeConnector;
using testing::FakeEngine;
using testing::httpResponse;

// --- mapping -----------------------------------------------------------------------------------

// A real answer of a 20.10 engine on cgroup v1 (one-shot: no precpu).
constexpr const char* kStatsV1 = R"({
  "read": "2026-11-23T11:15:12.185186873Z", "preread": "0001-01-01T00:00:00Z",
  "pids_stats": {"current": 2},
  "blkio_stats": {"io_service_bytes_recursive": [
      {"major": 8, "minor": 0, "op": "Read", "value": 4096},
      {"major": 8, "minor": 0, "op": "Write", "value": 8192},
      {"major": 8, "minor": 16, "op": "Read", "value": 100},
      {"major": 8, "minor": 0, "op": "Sync", "value": 12288},
      {"major": 8, "minor": 0, "op": "Total", "value": 12288}]},
  "num_procs": 0, "storage_stats": {},
  "cpu_stats": {"cpu_usage": {"total_usage": 36900001, "percpu_usage": [26198726, 10701275],
                              "usage_in_kernelmode": 20000000, "usage_in_usermode": 0},
                "system_cpu_usage": 26004180000000, "online_cpus": 2,
                "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
  "precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
  "memory_stats": {"usage": 794624, "max_usage": 3563520,
                   "stats": {"inactive_file": 4000, "total_inactive_file": 4096, "rss": 114688},
                   "limit": 25276502016},
  "name": "/nervous_gauss", "id": "b4c899ad",
  "networks": {"eth0": {"rx_bytes": 486, "tx_bytes": 10}, "eth1": {"rx_bytes": 14, "tx_bytes": 5}}
})";

TEST(ContainersMappingTest, StatsOfCgroupV1) {
  // Ensures a cgroup v1 sample maps CPU, memory minus total_inactive_file, the host-sized
  // limit, networks summed, blkio by op in any case, pids without a limit and the read time.
  auto s = decodeStats(kStatsV1);
  ASSERT_TRUE(s) << s.error().what();
  ASSERT_TRUE(s->read);
  EXPECT_EQ(formatRfc3339Nano(*s->read), "2026-11-23T11:15:12.185186873Z");
  EXPECT_EQ(s->cpuTotalNs, 36900001u);
  EXPECT_EQ(s->systemCpuNs, 26004180000000u);
  EXPECT_EQ(s->onlineCpus, 2u);
  EXPECT_EQ(s->memoryUsage, 794624u);
  EXPECT_EQ(s->memoryUsed, 794624u - 4096u) << "v1: total_inactive_file wins over inactive_file";
  EXPECT_EQ(s->memoryLimit, 25276502016u);
  EXPECT_EQ(s->networkRx, 500u);
  EXPECT_EQ(s->networkTx, 15u);
  EXPECT_EQ(s->blockRead, 4196u);
  EXPECT_EQ(s->blockWrite, 8192u);
  EXPECT_EQ(s->pidsCurrent, 2u);
  EXPECT_FALSE(s->pidsLimit);
}

TEST(ContainersMappingTest, StatsOfCgroupV2AndEdgeCases) {
  // Ensures a cgroup v2 sample uses inactive_file, lowercase blkio ops and the pids limit; that
  // online CPUs fall back to percpu_usage; that "no limit" values read as none; and that the
  // empty answer for a stopped container has no read time.
  auto v2 = decodeStats(R"({"read":"2026-01-02T03:04:05Z",
      "cpu_stats":{"cpu_usage":{"total_usage":5,"percpu_usage":[1,2,2,0]},"system_cpu_usage":9},
      "memory_stats":{"usage":1000,"stats":{"inactive_file":300,"anon":700},"limit":9223372036854771712},
      "blkio_stats":{"io_service_bytes_recursive":[{"op":"read","value":7},{"op":"write","value":9}]},
      "pids_stats":{"current":3,"limit":64}})");
  ASSERT_TRUE(v2) << v2.error().what();
  EXPECT_EQ(v2->memoryUsed, 700u);
  EXPECT_EQ(v2->memoryLimit, 0u) << "the cgroup's no-limit value";
  EXPECT_EQ(v2->onlineCpus, 4u);
  EXPECT_EQ(v2->blockRead, 7u);
  EXPECT_EQ(v2->blockWrite, 9u);
  ASSERT_TRUE(v2->pidsLimit);
  EXPECT_EQ(*v2->pidsLimit, 64u);
  EXPECT_EQ(v2->networkRx, 0u) << "no networks object (network mode none)";

  auto unlimitedPids = decodeStats(
      R"({"read":"2026-01-02T03:04:05Z","pids_stats":{"current":1,"limit":18446744073709551615}})");
  ASSERT_TRUE(unlimitedPids) << unlimitedPids.error().what();
  EXPECT_FALSE(unlimitedPids->pidsLimit);
  auto zeroPids =
      decodeStats(R"({"read":"2026-01-02T03:04:05Z","pids_stats":{"current":1,"limit":0}})");
  ASSERT_TRUE(zeroPids);
  EXPECT_FALSE(zeroPids->pidsLimit);

  auto stopped = decodeStats(R"({"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z",
      "name":"/x","id":"abc","memory_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":0}}})");
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_FALSE(stopped->read);
  auto stoppedOnPodman = decodeStats("");  // podman 4.3: 200 and no body
  ASSERT_TRUE(stoppedOnPodman) << stoppedOnPodman.error().what();
  EXPECT_FALSE(stoppedOnPodman->read);

  auto usageBelowCache =
      decodeStats(R"({"memory_stats":{"usage":10,"stats":{"total_inactive_file":50}}})");
  ASSERT_TRUE(usageBelowCache);
  EXPECT_EQ(usageBelowCache->memoryUsed, 10u) << "never underflows";

  auto bad = decodeStats(R"({"cpu_stats":{"cpu_usage":{"total_usage":"lots"}}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
  EXPECT_NE(bad.error().what().find("stats.cpu_stats.cpu_usage.total_usage"), std::string::npos)
      << bad.error().what();
  EXPECT_FALSE(decodeStats("[]"));
  EXPECT_FALSE(decodeStats(R"({"read":"yesterday"})"));
}

TEST(ContainersMappingTest, DetailedInspect) {
  // Ensures the rich inspect keeps every port (published ones per binding, exposed-only ones,
  // udp and sctp), the last health probe's output and the host resources, on top of the
  // ordinary inspect fields.
  auto d = decodeContainerDetail(R"({
    "Id": "abc", "Name": "/demo_web",
    "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0,
              "Health": {"Status": "unhealthy", "FailingStreak": 3,
                         "Log": [{"ExitCode": 0, "Output": "ok\n"}, {"ExitCode": 1, "Output": "refused\n"}]}},
    "Config": {"Image": "busybox", "Labels": {"lightshuttle.project": "demo"}},
    "HostConfig": {"Memory": 67108864, "MemorySwap": 134217728, "MemoryReservation": 0,
                   "CpuShares": 512, "CpuPeriod": 100000, "CpuQuota": 50000, "NanoCpus": 0,
                   "CpusetCpus": "0", "CpusetMems": "", "PidsLimit": null, "BlkioWeight": 300,
                   "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}},
    "NetworkSettings": {
      "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
                "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "1053"}],
                "9/sctp": null, "443/tcp": []},
      "Networks": {"lightshuttle-demo": {"NetworkID": "n1", "IPAddress": "172.18.0.2", "Aliases": ["web", "abc"]}}}
  })");
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->info.name, "demo_web");
  EXPECT_EQ(d->info.state.pid, 4242);
  EXPECT_EQ(d->info.state.failingStreak, 3);
  EXPECT_EQ(d->healthLastOutput, "refused\n");
  const std::vector<PortEntry> want = {
      {.containerPort = 9, .protocol = "sctp", .hostIp = "", .hostPort = std::nullopt},
      {.containerPort = 53, .protocol = "udp", .hostIp = "127.0.0.1", .hostPort = 1053},
      {.containerPort = 80, .protocol = "tcp", .hostIp = "0.0.0.0", .hostPort = 8080},
      {.containerPort = 80, .protocol = "tcp", .hostIp = "::", .hostPort = 8080},
      {.containerPort = 443, .protocol = "tcp", .hostIp = "", .hostPort = std::nullopt},
  };
  EXPECT_EQ(d->ports, want);
  EXPECT_EQ(d->resources.memory, 67108864);
  EXPECT_EQ(d->resources.memorySwap, 134217728);
  EXPECT_EQ(d->resources.cpuShares, 512);
  EXPECT_EQ(d->resources.cpuQuota, 50000);
  EXPECT_EQ(d->resources.cpusetCpus, "0");
  EXPECT_EQ(d->resources.pidsLimit, 0);
  EXPECT_EQ(d->resources.blkioWeight, 300);
  EXPECT_EQ(d->resources.restartPolicy, "on-failure");
  EXPECT_EQ(d->resources.restartMaxRetries, 2);
  EXPECT_EQ(d->info.networks.at("lightshuttle-demo").aliases.at(0), "web");

  auto noHealth = decodeContainerDetail(
      R"({"Id":"a","State":{"Status":"exited","ExitCode":3},"NetworkSettings":{"Ports":{}}})");
  ASSERT_TRUE(noHealth) << noHealth.error().what();
  EXPECT_TRUE(noHealth->ports.empty());
  EXPECT_EQ(noHealth->healthLastOutput, "");

  auto unknownProto =
      decodeContainerDetail(R"({"Id":"a","NetworkSettings":{"Ports":{"80/quic":null}}})");
  ASSERT_FALSE(unknownProto);
  EXPECT_NE(unknownProto.error().what().find("80/quic"), std::string::npos);
  EXPECT_FALSE(decodeContainerDetail(R"({"Id":"a","NetworkSettings":{"Ports":{"x/tcp":null}}})"));
  EXPECT_FALSE(decodeContainerDetail(
      R"({"Id":"a","NetworkSettings":{"Ports":{"80/tcp":[{"HostPort":"http"}]}}})"));
  EXPECT_FALSE(decodeContainerDetail(R"({"Id":"a","HostConfig":{"Memory":"64m"}})"));
}

TEST(ContainersMappingTest, ChangesTopWaitPruneAndExec) {
  // Ensures changes (null = none, kinds 0/1/2), top, wait, prune and exec inspect answers map
  // to their values, and malformed ones are InvalidArgument.
  auto changes = decodeChanges(
      R"([{"Path":"/tmp","Kind":0},{"Path":"/tmp/c","Kind":1},{"Path":"/etc/motd","Kind":2}])");
  ASSERT_TRUE(changes) << changes.error().what();
  const std::vector<FilesystemDiff> want = {{"/tmp", FilesystemDiff::Kind::Modified},
                                            {"/tmp/c", FilesystemDiff::Kind::Added},
                                            {"/etc/motd", FilesystemDiff::Kind::Deleted}};
  EXPECT_EQ(*changes, want);
  auto none = decodeChanges("null");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(decodeChanges(R"([{"Path":"/x","Kind":7}])"));
  EXPECT_FALSE(decodeChanges(R"({"Path":"/x"})"));

  auto top = decodeTop(
      R"({"Processes":[["root","26992","1","sh -c sleep 1"],["root","27076","26992","sleep 1"]],"Titles":["UID","PID","PPID","CMD"]})");
  ASSERT_TRUE(top) << top.error().what();
  EXPECT_EQ(top->titles, (std::vector<std::string>{"UID", "PID", "PPID", "CMD"}));
  ASSERT_EQ(top->processes.size(), 2u);
  EXPECT_EQ(top->processes[1][3], "sleep 1");
  EXPECT_FALSE(decodeTop(R"({"Processes":[[1,2]]})"));

  auto code = decodeWaitResponse(R"({"Error":null,"StatusCode":143})");
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 143);
  auto failed = decodeWaitResponse(R"({"Error":{"Message":"container removed"},"StatusCode":-1})");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().what().find("container removed"), std::string::npos);
  EXPECT_FALSE(decodeWaitResponse(R"({"Error":null})"));
  EXPECT_FALSE(decodeWaitResponse("not json"));

  auto pruned = decodeContainerPrune(R"({"ContainersDeleted":["a","b"],"SpaceReclaimed":1234})");
  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->deleted, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(pruned->spaceReclaimed, 1234u);
  auto nothing = decodeContainerPrune(R"({"ContainersDeleted":null,"SpaceReclaimed":0})");
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->deleted.empty());

  auto running = decodeExecState(R"({"ID":"e","Running":true,"ExitCode":null,"Pid":77})");
  ASSERT_TRUE(running);
  EXPECT_TRUE(running->running);
  EXPECT_FALSE(running->exitCode) << "a null exit code is never read as 0";
  EXPECT_EQ(running->pid, 77);
  auto exited = decodeExecState(R"({"ID":"e","Running":false,"ExitCode":3})");
  ASSERT_TRUE(exited);
  ASSERT_TRUE(exited->exitCode);
  EXPECT_EQ(*exited->exitCode, 3);
  EXPECT_FALSE(decodeExecState("null"));
}

TEST(ContainersMappingTest, UpdateBodyAndWarnings) {
  // Ensures an update sends only the fields set (restart retries only with on-failure) and the
  // engine's warnings come back (none for null or an empty body).
  ResourcesUpdate u;
  EXPECT_TRUE(u.empty());
  EXPECT_EQ(encodeResourcesUpdate(u), "{}");
  u.memory = 64 << 20;
  u.memorySwap = -1;
  u.cpusetCpus = "0-1";
  u.pidsLimit = 100;
  u.blkioWeight = 500;
  u.restartPolicy = "on-failure";
  u.restartMaxRetries = 3;
  EXPECT_FALSE(u.empty());
  EXPECT_EQ(json::parse(encodeResourcesUpdate(u)),
            json::parse(R"({"Memory":67108864,"MemorySwap":-1,"CpusetCpus":"0-1","PidsLimit":100,
                           "BlkioWeight":500,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}})"));
  ResourcesUpdate always;
  always.restartPolicy = "always";
  always.cpuShares = 256;
  always.cpuPeriod = 100000;
  always.cpuQuota = 50000;
  always.cpusetMems = "0";
  always.memoryReservation = 1 << 20;
  EXPECT_EQ(json::parse(encodeResourcesUpdate(always)),
            json::parse(R"({"CpuShares":256,"CpuPeriod":100000,"CpuQuota":50000,"CpusetMems":"0",
                           "MemoryReservation":1048576,"RestartPolicy":{"Name":"always"}})"));

  auto w = decodeUpdateWarnings(
      R"({"Warnings":["Your kernel does not support swap limit capabilities"]})");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->size(), 1u);
  auto nullWarnings = decodeUpdateWarnings(R"({"Warnings":null})");
  ASSERT_TRUE(nullWarnings);
  EXPECT_TRUE(nullWarnings->empty());
  auto empty = decodeUpdateWarnings("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ContainersMappingTest, ContainerNames) {
  // Ensures the engine's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, optionally after one '/'.
  for (const char* good : {"ab", "demo_web", "a.b-c_d", "0x", "/demo", "A1"}) {
    EXPECT_TRUE(checkContainerName(good)) << good;
  }
  for (const char* bad : {"", "a", "/", "-ab", "_ab", ".ab", "a b", "a/b", "ab!", "//ab", "é1"}) {
    auto r = checkContainerName(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
  }
}

// --- requests ------------------------------------------------------------------------------------

class ContainersApiTest : public testing::ScriptedEngineTest {
 protected:
  void SetUp() override { connect("1.41"); }

  /// A client of a new script whose engine speaks API `version`.
  void connect(const std::string& version) {
    connectClient("Api-Version: " + version + "\r\n");
    api = std::make_unique<ContainersApi>(*client);
  }

  std::unique_ptr<ContainersApi> api;
};

TEST_F(ContainersApiTest, KillSendsTheSignalAndNotRunningIsConflict) {
  // Ensures kill posts the signal as given and a 409 (not running) is Conflict with the
  // engine's message.
  answer(204);
  answer(409, R"({"message":"Cannot kill container: x: Container x is not running"})");
  ASSERT_TRUE(run(api->kill("x", "SIGTERM")));
  auto conflict = run(api->kill("x", "SIGKILL"));
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code(), Errc::Conflict);
  EXPECT_NE(conflict.error().what().find("is not running"), std::string::npos);
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/kill?signal=SIGTERM");
  EXPECT_EQ(line(1), "POST /v1.41/containers/x/kill?signal=SIGKILL");
}

TEST_F(ContainersApiTest, WaitStreamsTheAnswerWithoutATimeout) {
  // Ensures wait posts the condition, reads an answer that arrives in pieces (the engine sends
  // the header at once and the body when the condition holds), and maps 404 to NotFound.
  engine->exchanges.push_back(
      {.response = chunkedResponse(200, {"{\"Error\":null,", "\"StatusCode\":137}\n"}),
       .chunk = 9});
  answer(404, R"({"message":"No such container: gone"})");
  auto code = run(api->wait("x", "next-exit"));
  ASSERT_TRUE(code) << code.error().what();
  EXPECT_EQ(*code, 137);
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/wait?condition=next-exit");
  auto missing = run(api->wait("gone", "removed"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
}

TEST_F(ContainersApiTest, WaitHonoursCancellation) {
  // Ensures a wait that never completes ends with Cancelled when its caller is cancelled.
  engine->exchanges.push_back({.response = "", .hang = true});
  boost::asio::cancellation_signal sig;
  std::optional<Result<int>> out;
  const std::string id = "x";  // the awaitable keeps references: they must outlive it
  const std::string condition = "not-running";
  boost::asio::co_spawn(
      ctx, api->wait(id, condition),
      boost::asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e, Result<int> r) {
        ASSERT_FALSE(e);
        out.emplace(std::move(r));
      }));
  ctx.restart();
  for (int i = 0; i < 100 && engine->requests.size() < 2; ++i) {
    ctx.poll();
  }
  ASSERT_EQ(engine->requests.size(), 2u);
  EXPECT_FALSE(out);
  sig.emit(boost::asio::cancellation_type::terminal);
  ctx.run();
  ASSERT_TRUE(out);
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code(), Errc::Cancelled);
}

TEST_F(ContainersApiTest, RenameValidatesTheNameBeforeAnyRequest) {
  // Ensures rename posts the new name, refuses a name the engine would refuse without a
  // request, and maps 409 (name taken) to Conflict.
  answer(204);
  answer(409, R"({"message":"Conflict. The container name \"/b\" is already in use"})");
  ASSERT_TRUE(run(api->rename("x", "demo_new")));
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/rename?name=demo_new");
  auto taken = run(api->rename("x", "bb"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code(), Errc::Conflict);
  const std::size_t sent = engine->requests.size();
  auto bad = run(api->rename("x", "-bad name"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
  EXPECT_EQ(engine->requests.size(), sent) << "no request for an invalid name";
}

TEST_F(ContainersApiTest, PauseAndUnpause) {
  // Ensures pause and unpause post to their endpoints and a wrong state (409) is Conflict.
  answer(204);
  answer(204);
  answer(409, R"({"message":"Container x is not paused"})");
  ASSERT_TRUE(run(api->pause("x")));
  ASSERT_TRUE(run(api->unpause("x")));
  auto again = run(api->unpause("x"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Errc::Conflict);
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/pause");
  EXPECT_EQ(line(1), "POST /v1.41/containers/x/unpause");
}

TEST_F(ContainersApiTest, UpdatePostsTheLimitsAndReturnsWarnings) {
  // Ensures update posts exactly the fields set, returns the engine's warnings, and a refused
  // limit (400) is InvalidArgument.
  answer(200, R"({"Warnings":["swap limit ignored"]})");
  answer(400, R"({"message":"Minimum memory limit allowed is 6MB"})");
  ResourcesUpdate u;
  u.memory = 67108864;
  u.memorySwap = 134217728;
  auto warnings = run(api->update("x", u));
  ASSERT_TRUE(warnings) << warnings.error().what();
  EXPECT_EQ(*warnings, (std::vector<std::string>{"swap limit ignored"}));
  EXPECT_EQ(line(0), "POST /v1.41/containers/x/update");
  EXPECT_EQ(body(0), R"({"Memory":67108864,"MemorySwap":134217728})");
  EXPECT_NE(engine->requests.at(1).find("Content-Type: application/json\r\n"), std::string::npos);
  ResourcesUpdate tiny;
  tiny.memory = 1024;
  auto refused = run(api->update("x", tiny));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::InvalidArgument);
  EXPECT_NE(refused.error().what().find("Minimum memory limit"), std::string::npos);
}

TEST_F(ContainersApiTest, TopChangesInspectAndExecInspect) {
  // Ensures top sends ps_args only when given (encoded), changes reads null as none, and the
  // inspect calls hit their endpoints.
  answer(200, R"({"Titles":["PID","COMMAND"],"Processes":[["1","sleep"]]})");
  answer(200, R"({"Titles":["UID"],"Processes":[]})");
  answer(200, "null");
  answer(200, R"({"Id":"x","Name":"/n","NetworkSettings":{"Ports":{"80/tcp":null}}})");
  answer(200, R"({"Running":false,"ExitCode":0})");
  auto top = run(api->top("x", "-o pid,comm"));
  ASSERT_TRUE(top) << top.error().what();
  EXPECT_EQ(top->processes.at(0).at(1), "sleep");
  ASSERT_TRUE(run(api->top("x", "")));
  auto changes = run(api->changes("x"));
  ASSERT_TRUE(changes) << changes.error().what();
  EXPECT_TRUE(changes->empty());
  auto detail = run(api->inspect("x"));
  ASSERT_TRUE(detail) << detail.error().what();
  ASSERT_EQ(detail->ports.size(), 1u);
  EXPECT_FALSE(detail->ports[0].hostPort);
  auto exec = run(api->inspectExec("e1"));
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->exitCode, 0);
  EXPECT_EQ(line(0), "GET /v1.41/containers/x/top?ps_args=-o%20pid%2Ccomm");
  EXPECT_EQ(line(1), "GET /v1.41/containers/x/top");
  EXPECT_EQ(line(2), "GET /v1.41/containers/x/changes");
  EXPECT_EQ(line(3), "GET /v1.41/containers/x/json");
  EXPECT_EQ(line(4), "GET /v1.41/exec/e1/json");
}

TEST_F(ContainersApiTest, OneShotStatsOnlyFromApi141) {
  // Ensures a single sample asks for one-shot on API 1.41+ and not before (the parameter is
  // unknown to older engines).
  answer(200, kStatsV1);
  auto s = run(api->stats("x"));
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->pidsCurrent, 2u);
  EXPECT_EQ(line(0), "GET /v1.41/containers/x/stats?stream=0&one-shot=1");

  connect("1.40");
  answer(200, kStatsV1);
  ASSERT_TRUE(run(api->stats("x")));
  EXPECT_EQ(line(0), "GET /v1.40/containers/x/stats?stream=0");
}

TEST_F(ContainersApiTest, StatsStreamDecodesSamplesSplitAcrossChunks) {
  // Ensures the stats stream yields one snapshot per NDJSON message even when messages are cut
  // anywhere by the transport, then ends with the body.
  const std::string first =
      R"({"read":"2026-01-01T00:00:01Z","cpu_stats":{"cpu_usage":{"total_usage":100},"system_cpu_usage":1000,"online_cpus":2}})";
  const std::string second =
      R"({"read":"2026-01-01T00:00:02Z","cpu_stats":{"cpu_usage":{"total_usage":150},"system_cpu_usage":2000,"online_cpus":2}})";
  const std::string all = first + "\n" + second + "\n";
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200, {all.substr(0, 10), all.substr(10, first.size()), all.substr(10 + first.size())}),
       .chunk = 7});
  auto reader = run(api->statsStream("x"));
  ASSERT_TRUE(reader) << reader.error().what();
  std::vector<std::uint64_t> cpu;
  for (;;) {
    auto s = run((*reader)->next());
    ASSERT_TRUE(s) << s.error().what();
    if (!*s) {
      break;
    }
    cpu.push_back((*s)->cpuTotalNs);
  }
  EXPECT_EQ(cpu, (std::vector<std::uint64_t>{100, 150}));
  EXPECT_EQ(line(0), "GET /v1.41/containers/x/stats?stream=1");
}

TEST_F(ContainersApiTest, PruneWithAndWithoutFilters) {
  // Ensures prune posts without filters by default, and encodes filters when given.
  answer(200, R"({"ContainersDeleted":["c1"],"SpaceReclaimed":42})");
  answer(200, R"({"ContainersDeleted":null,"SpaceReclaimed":0})");
  const std::map<std::string, std::vector<std::string>> none;
  auto all = run(api->prune(none));
  ASSERT_TRUE(all) << all.error().what();
  EXPECT_EQ(all->deleted, (std::vector<std::string>{"c1"}));
  EXPECT_EQ(all->spaceReclaimed, 42u);
  const std::map<std::string, std::vector<std::string>> ours = {
      {"label", {"lightshuttle.project=demo"}}};
  ASSERT_TRUE(run(api->prune(ours)));
  EXPECT_EQ(line(0), "POST /v1.41/containers/prune");
  EXPECT_EQ(line(1),
            "POST "
            "/v1.41/containers/"
            "prune?filters=%7B%22label%22%3A%5B%22lightshuttle.project%3Ddemo%22%5D%7D");
}

TEST_F(ContainersApiTest, IdsThatCannotGoInAPathAreRefusedBeforeAnyRequest) {
  // Ensures an id with '/', '?', whitespace or nothing at all never reaches the engine.
  for (const char* bad : {"", "a/b", "x?y=1", "a b", "../x", "a#b"}) {
    const std::size_t sent = engine->requests.size();
    auto r = run(api->pause(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument) << bad;
    EXPECT_EQ(engine->requests.size(), sent) << bad;
  }
  auto exec = run(api->inspectExec("e/1"));
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.error().code(), Errc::InvalidArgument);
}

}  // namespace
}  // namespace ls::engine
