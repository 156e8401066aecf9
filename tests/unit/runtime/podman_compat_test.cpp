// Unit tests of the answers podman's Docker-compatible API gives where Docker's differ, over the
// scripted transport: each special case of DockerRuntime is keyed on the answer (status code)
// or on the engine detected by its ping (Libpod-API-Version header), never on message text.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/loop.hpp"
#include "unit/engine/fake_transport.hpp"

namespace ls::runtime {
namespace {

using namespace std::chrono_literals;
using engine::testing::FakeConnector;
using engine::testing::FakeEngine;
using engine::testing::httpResponse;

// Podman 4.3's answer to GET /networks/{name} while a container of the network is half removed.
constexpr const char* kContainerNotKnown =
    R"({"cause":"container not known","message":"getting container from store \"0123\": container not known","response":500})";

std::string networkJson(const std::string& name, const std::string& project) {
  return R"({"Name":")" + name + R"(","Id":"net-)" + name +
         R"(","Driver":"bridge","Containers":{},)" + R"("Labels":{"lightshuttle.project":")" +
         project + R"("}})";
}

class PodmanCompatTest : public engine::testing::ScriptedEngineTest {
 protected:
  void SetUp() override {
    connectClient(pingHeaders());
    rt = std::make_unique<DockerRuntime>(*client, clock);
  }

  /// The ping's headers: podman's, with the header the runtime detects it by.
  virtual std::string pingHeaders() const {
    return "Api-Version: 1.41\r\nLibpod-API-Version: 4.3.1\r\n";
  }

  std::unique_ptr<DockerRuntime> rt;
};

constexpr const char* kListByName =
    "GET /v1.41/networks?filters=%7B%22name%22%3A%5B%22lightshuttle-demo%22%5D%7D";

TEST_F(PodmanCompatTest, NetworkInspectServerErrorFallsBackToTheListingByName) {
  // Ensures a 500 from the network inspect (podman, a container half removed) is answered by
  // the listing filtered by name: the project's network found there is reused, not created.
  answer(500, kContainerNotKnown);
  answer(200, "[" + networkJson("lightshuttle-demo", "demo") + "]");
  auto outcome = runVirtual(rt->ensureProjectNetwork("demo"));
  ASSERT_TRUE(outcome) << outcome.error().what();
  EXPECT_EQ(*outcome, NetworkOutcome::AlreadyExisted);
  ASSERT_EQ(sent(), 2u);
  EXPECT_EQ(line(0), "GET /v1.41/networks/lightshuttle-demo");
  EXPECT_EQ(line(1), kListByName);
}

TEST_F(PodmanCompatTest, TheListingMatchesTheNameExactlyAndAForeignOneIsRefused) {
  // Ensures the name filter's substring matches do not count (a longer name is another
  // network: ours is created), and that a network of our name found by the listing without our
  // label is refused like an inspected one.
  answer(500, kContainerNotKnown);
  answer(200, "[" + networkJson("lightshuttle-demo2", "demo2") + "]");
  answer(201, R"({"Id":"n1","Warning":""})");
  auto created = runVirtual(rt->ensureProjectNetwork("demo"));
  ASSERT_TRUE(created) << created.error().what();
  EXPECT_EQ(*created, NetworkOutcome::Created);
  EXPECT_EQ(line(2), "POST /v1.41/networks/create");

  answer(500, kContainerNotKnown);
  answer(200, "[" + networkJson("lightshuttle-demo", "someone-else") + "]");
  auto teardown = runVirtual(rt->teardownProjectNetwork("demo"));
  ASSERT_FALSE(teardown);
  EXPECT_EQ(teardown.error().reason(), "foreign_network");
}

TEST_F(PodmanCompatTest, ServerErrorsOnBothAreRetriedThenTheNetworkIsRemoved) {
  // Ensures teardown asks again (after a pause) while the inspect and the listing both answer
  // 500, and removes the network once one of them answers.
  answer(500, kContainerNotKnown);
  answer(500, kContainerNotKnown);
  answer(500, kContainerNotKnown);
  answer(500, kContainerNotKnown);
  answer(200, networkJson("lightshuttle-demo", "demo"));
  answer(204);
  const auto before = clock.steady();
  auto removed = runVirtual(rt->teardownProjectNetwork("demo"));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, RemoveOutcome::Removed);
  EXPECT_GT(clock.steady(), before);  // it waited between the rounds
  ASSERT_EQ(sent(), 6u);
  EXPECT_EQ(line(2), "GET /v1.41/networks/lightshuttle-demo");
  EXPECT_EQ(line(5), "DELETE /v1.41/networks/net-lightshuttle-demo");
}

TEST_F(PodmanCompatTest, ANotFoundInspectIsAnAnswerAndAPersistentServerErrorIsReported) {
  // Ensures a 404 is believed at once (no listing, the network is created), and that a server
  // error that never clears ends with the inspect's own error after a bounded number of rounds.
  answer(404, R"({"message":"network not found"})");
  answer(201, R"({"Id":"n1","Warning":""})");
  auto created = runVirtual(rt->ensureProjectNetwork("demo"));
  ASSERT_TRUE(created) << created.error().what();
  EXPECT_EQ(sent(), 2u);
  EXPECT_EQ(line(1), "POST /v1.41/networks/create");

  for (int i = 0; i < 20; ++i) {
    answer(500, kContainerNotKnown);
  }
  const std::size_t before = sent();
  auto failed = runVirtual(rt->teardownProjectNetwork("demo"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Errc::Internal);
  EXPECT_NE(failed.error().what().find("container not known"), std::string::npos);
  EXPECT_EQ(sent() - before, 20u);  // 10 rounds of inspect + listing, then it gives up
}

TEST_F(PodmanCompatTest, ExecResizeIsAskedAgainUntilTheProcessRuns) {
  // Ensures the first terminal size of an interactive exec (API 1.41: after the start) is sent
  // again while the engine answers 500 because the exec's process is not running yet (podman),
  // and that a later resize does the same.
  answer(201, R"({"Id":"e1"})");
  engine->exchanges.push_back(
      {.response = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n",
       .hang = false,
       .upgrade = true});
  const char* notRunning =
      R"({"cause":"exec session state improper","message":"cannot resize session","response":500})";
  answer(500, notRunning);
  answer(500, notRunning);
  answer(200);
  InteractiveExecRequest request;
  request.cmd = {"sh"};
  request.tty = true;
  request.height = 30;
  request.width = 100;
  auto session = runVirtual(rt->execInteractive(ContainerId{"c1"}, request));
  ASSERT_TRUE(session) << session.error().what();
  ASSERT_EQ(sent(), 5u);
  EXPECT_EQ(line(2), "POST /v1.41/exec/e1/resize?h=30&w=100");
  EXPECT_EQ(line(4), "POST /v1.41/exec/e1/resize?h=30&w=100");

  answer(500, notRunning);
  answer(201);
  auto resized = runVirtual((*session)->resize(40, 120));
  ASSERT_TRUE(resized) << resized.error().what();
  EXPECT_EQ(line(6), "POST /v1.41/exec/e1/resize?h=40&w=120");

  answer(400, R"({"message":"bad size"})");
  auto refused = runVirtual((*session)->resize(0, 0));
  ASSERT_FALSE(refused);  // a client error is not retried
  EXPECT_EQ(sent(), 8u);
}

TEST_F(PodmanCompatTest, WaitRemovedOnPodmanTakesTheCodeFromANotRunningWait) {
  // Ensures a `removed` wait on podman (detected by its Libpod-API-Version header; its own
  // answer to condition=removed is exit code 0, containers/podman#18889) takes the exit code
  // from a not-running wait, then looks until the container is gone.
  answer(200, R"({"Id":"x","State":{"Status":"running","Running":true}})");
  answer(200, R"({"StatusCode":3})");
  answer(200, R"({"Id":"x","State":{"Status":"exited","ExitCode":3}})");
  answer(404, R"({"message":"no such container"})");
  auto removed = runVirtual(rt->wait(ContainerId{"x"}, WaitCondition::Removed));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(removed->exitCode, 3);
  ASSERT_EQ(sent(), 4u);
  EXPECT_EQ(line(1), "POST /v1.41/containers/x/wait?condition=not-running");
  EXPECT_EQ(line(2), "GET /v1.41/containers/x/json");
  EXPECT_EQ(line(3), "GET /v1.41/containers/x/json");
}

TEST_F(PodmanCompatTest, WaitRemovedAsksAgainWhileTheInspectOfARemovalAnswers500) {
  // Ensures a `removed` wait on podman whose inspect, while the removal is under way, answers
  // 500 "does not exist in database" (seen in a full run) asks again until the inspect says
  // NotFound, and reports a server error that persists (25 inspects, 100 ms apart).
  const char* midRemoval =
      R"({"cause":"no such container","message":"container x does not exist in database: no )"
      R"(such container","response":500})";
  answer(200, R"({"Id":"x","State":{"Status":"running","Running":true}})");
  answer(200, R"({"StatusCode":3})");
  answer(500, midRemoval);
  answer(500, midRemoval);
  answer(404, R"({"message":"no such container"})");
  auto removed = runVirtual(rt->wait(ContainerId{"x"}, WaitCondition::Removed));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(removed->exitCode, 3);
  EXPECT_EQ(sent(), 5u);

  answer(200, R"({"Id":"x","State":{"Status":"running","Running":true}})");
  answer(200, R"({"StatusCode":3})");
  for (int k = 0; k < 25; ++k) {
    answer(500, midRemoval);
  }
  auto failed = runVirtual(rt->wait(ContainerId{"x"}, WaitCondition::Removed));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("does not exist in database"), std::string::npos)
      << failed.error().what();
  EXPECT_EQ(sent(), 5u + 27u);
}

TEST_F(PodmanCompatTest, ANextExitWaitThatReturnsBeforeAnyNewRunIsArmedAgain) {
  // Ensures a next-exit wait armed on a stopped container, which podman 4.3 may answer at once
  // (its second stopped state, "exited", comes about a second after "stopped"), is armed again
  // while the container has not started since, and returns the exit of the next run.
  const std::string first = R"("StartedAt":"2026-12-07T06:00:00.000000000Z")";
  const std::string second = R"("StartedAt":"2026-12-07T06:00:05.000000000Z")";
  answer(200, R"({"Id":"x","State":{"Status":"stopped","ExitCode":3,)" + first + "}}");
  answer(200, R"({"StatusCode":3})");  // the "exited" transition, no new run
  answer(200, R"({"Id":"x","State":{"Status":"exited","ExitCode":3,)" + first + "}}");
  answer(200, R"({"StatusCode":7})");  // the next run's exit
  answer(200, R"({"Id":"x","State":{"Status":"exited","ExitCode":7,)" + second + "}}");
  answer(200, R"({"Id":"x","State":{"Status":"exited","ExitCode":7,)" + second + "}}");
  auto next = runVirtual(rt->wait(ContainerId{"x"}, WaitCondition::NextExit));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->exitCode, 7);
  ASSERT_EQ(sent(), 6u);
  EXPECT_EQ(line(1), "POST /v1.41/containers/x/wait?condition=next-exit");
  EXPECT_EQ(line(3), "POST /v1.41/containers/x/wait?condition=next-exit");
}

TEST_F(PodmanCompatTest, ANextExitWaitArmedOnARunningContainerIsNotArmedAgain) {
  // Ensures the re-arming is only for a wait armed on a stopped container: the exit of a
  // container that was running is its exit, though its StartedAt did not change.
  const std::string started = R"("StartedAt":"2026-12-07T06:00:00.000000000Z")";
  answer(200, R"({"Id":"x","State":{"Status":"running","Running":true,)" + started + "}}");
  answer(200, R"({"StatusCode":4})");
  answer(200, R"({"Id":"x","State":{"Status":"exited","ExitCode":4,)" + started + "}}");
  auto next = runVirtual(rt->wait(ContainerId{"x"}, WaitCondition::NextExit));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->exitCode, 4);
  EXPECT_EQ(sent(), 3u);
}

TEST_F(PodmanCompatTest, ARemovedWaitThatLostTheExitTakesItFromTheLastDieEvent) {
  // Ensures a `removed` wait whose not-running wait answers podman 4.3's race with a force
  // removal (200, Error "container has already been removed", StatusCode 0) takes the exit
  // code from the container's last die event (the event log replayed, filtered by its full
  // id, which podman needs once the container is gone), and that without such an event, or
  // while the container still exists, the wait's error stays.
  const std::string full(64, 'f');
  const char* lost = R"({"StatusCode":0,"Error":{"Message":"container has already been removed"}})";
  auto event = [&](const std::string& action, const std::string& exitCode) {
    return R"({"Type":"container","Action":")" + action + R"(","Actor":{"ID":")" + full +
           R"(","Attributes":{"name":"demo_web","exitCode":")" + exitCode +
           R"("}},"time":1,"timeNano":1})" + "\n";
  };
  answer(200, R"({"Id":")" + full + R"(","State":{"Status":"running","Running":true}})");
  answer(200, lost);
  answer(404, R"({"message":"no such container"})");
  answer(200,
         event("die", "1") + event("start", "0") + event("die", "137") + event("destroy", "0"));
  auto removed = runVirtual(rt->wait(ContainerId{"demo_web"}, WaitCondition::Removed));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(removed->exitCode, 137);
  EXPECT_EQ(removed->signal, "SIGKILL");
  ASSERT_EQ(sent(), 4u);
  EXPECT_EQ(line(2), "GET /v1.41/containers/demo_web/json");
  EXPECT_EQ(line(3).rfind("GET /v1.41/events?since=", 0), 0u) << line(3);
  EXPECT_NE(line(3).find("%22container%22%3A%5B%22" + full + "%22%5D"), std::string::npos)
      << line(3);

  answer(200, R"({"Id":")" + full + R"(","State":{"Status":"running","Running":true}})");
  answer(200, lost);
  answer(404, R"({"message":"no such container"})");
  answer(200, event("destroy", "0"));
  auto noDie = runVirtual(rt->wait(ContainerId{"demo_web"}, WaitCondition::Removed));
  ASSERT_FALSE(noDie);
  EXPECT_NE(noDie.error().what().find("already been removed"), std::string::npos);

  answer(200, R"({"Id":")" + full + R"(","State":{"Status":"running","Running":true}})");
  answer(200, lost);
  answer(200, R"({"Id":")" + full + R"(","State":{"Status":"running","Running":true}})");
  auto stillThere = runVirtual(rt->wait(ContainerId{"demo_web"}, WaitCondition::Removed));
  ASSERT_FALSE(stillThere);
  EXPECT_EQ(sent(), 11u);  // no event replay while the container exists
}

TEST_F(PodmanCompatTest, ExecInAStoppedContainerIsAConflictOnceTheInspectSaysSo) {
  // Ensures a 500 from the exec create (podman: "container state improper") becomes Conflict
  // when the inspect that follows shows the container not running, as Docker's 409 does, and
  // stays the engine's error when the container runs.
  const char* improper =
      R"({"cause":"container state improper","message":"can only create exec sessions on running containers","response":500})";
  answer(500, improper);
  answer(200, R"({"Id":"c1","State":{"Status":"exited","Running":false,"ExitCode":0}})");
  ExecRequest request;
  request.cmd = {"true"};
  auto stopped = runVirtual(rt->exec(ContainerId{"c1"}, request));
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), Errc::Conflict);
  EXPECT_EQ(line(1), "GET /v1.41/containers/c1/json");

  answer(500, improper);
  answer(200, R"({"Id":"c1","State":{"Status":"running","Running":true}})");
  auto running = runVirtual(rt->exec(ContainerId{"c1"}, request));
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().code(), Errc::Internal);
}

TEST_F(PodmanCompatTest, AServerErrorFromCreateForATakenNameIsNameInUse) {
  // Ensures a 500 from the container create (podman answers so for a name in use, and for a
  // missing network) becomes Conflict/name_in_use when a container of that name exists (the
  // engine::Api's inspect), with no network check after it.
  answer(200, networkJson("lightshuttle-demo", "demo"));
  answer(
      500,
      R"({"cause":"that name is already in use","message":"creating container storage: the container name \"demo_web\" is already in use","response":500})");
  answer(200, R"({"Id":"other","Name":"/demo_web","State":{"Status":"running","Running":true}})");
  ContainerSpec spec;
  spec.project = "demo";
  spec.resource = "web";
  spec.name = "demo_web";
  spec.image = PullImage{.reference = "busybox:1"};
  auto started = runVirtual(rt->start(spec, {}));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Errc::Conflict);
  EXPECT_EQ(started.error().reason(), "name_in_use");
  ASSERT_EQ(sent(), 3u);
  EXPECT_EQ(line(2), "GET /v1.41/containers/demo_web/json");
}

TEST_F(PodmanCompatTest, KillOfAStoppedContainerIsAConflictAndASubSecondStopSurvivesTheWaitRace) {
  // Ensures a 500 from kill (podman: "container state improper") is Conflict once the inspect
  // shows the container not running, and that a sub-second stop whose wait answers 500 ("container
  // has already been removed": podman's wait racing the exit) is Stopped when the container is
  // gone.
  const char* improper =
      R"({"cause":"container state improper","message":"can only kill running containers","response":500})";
  answer(500, improper);
  answer(200, R"({"Id":"c1","State":{"Status":"exited","Running":false,"ExitCode":137}})");
  auto again = runVirtual(rt->kill(ContainerId{"c1"}, "SIGTERM"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Errc::Conflict);

  answer(200, R"({"Id":"c1","State":{"Status":"running","Running":true}})");
  answer(204);
  answer(
      500,
      R"({"cause":"container has already been removed","message":"container has already been removed","response":500})");
  answer(404, R"({"message":"no such container"})");
  auto stopped = runVirtual(rt->stop(ContainerId{"c1"}, std::chrono::milliseconds(300)));
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_EQ(*stopped, StopOutcome::Stopped);
  EXPECT_EQ(line(2), "GET /v1.41/containers/c1/json");
  EXPECT_EQ(line(5), "GET /v1.41/containers/c1/json");
}

TEST_F(PodmanCompatTest, StatsOfAStoppedContainerAnsweredWithNoBodyIsAConflict) {
  // Ensures podman's answer to a one-shot stats read of a container that is not running (200
  // and an empty body, where Docker sends a sample read at the zero time) is Conflict, as
  // Docker's is, not a malformed answer.
  answer(200);
  auto stopped = runVirtual(rt->stats(ContainerId{"c1"}));
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), Errc::Conflict);
  EXPECT_EQ(line(0), "GET /v1.41/containers/c1/stats?stream=0&one-shot=1");
}

TEST_F(PodmanCompatTest, TopSendsPodmansDescriptorsForPsOptions) {
  // Ensures top on podman (which takes format descriptors, and runs ps(1) in the container for
  // anything else) sends descriptors: Docker's -ef columns by default and for -e/-f, the -o
  // list with ps(1)'s aliases mapped; an option or keyword without a descriptor goes as it is.
  const char* answerRow = R"({"Titles":["PID","COMMAND"],"Processes":[["1","sleep"]]})";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "user%2Cpid%2Cppid%2Cpcpu%2Cstime%2Ctty%2Ctime%2Cargs"},
      {{"-ef"}, "user%2Cpid%2Cppid%2Cpcpu%2Cstime%2Ctty%2Ctime%2Cargs"},
      {{"-o", "pid,comm"}, "pid%2Ccomm"},
      {{"-e", "-o", "pid,cmd", "-o%cpu"}, "pid%2Cargs%2Cpcpu"},
      {{"-o", "pid,bogus"}, "-o%20pid%2Cbogus"},
      {{"aux"}, "aux"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    answer(200, answerRow);
    auto top = runVirtual(rt->top(ContainerId{"c1"}, cases[i].first));
    ASSERT_TRUE(top) << top.error().what();
    EXPECT_EQ(line(i), "GET /v1.41/containers/c1/top?ps_args=" + cases[i].second) << i;
  }
}

// Podman 4.3's names of one image: loaded locally, tagged through the compat API, pulled.
constexpr const char* kPodmanImage = R"({"Id":"sha256:a48d","Os":"linux",
    "RepoTags":["localhost/lightshuttle-test/busybox:latest","docker.io/lightshuttle-test/busybox:latest",
                "docker.io/library/busybox:1","127.0.0.1:5000/lightshuttle-test/busybox:latest"],
    "RepoDigests":["localhost/lightshuttle-test/busybox@sha256:9eb9","docker.io/library/busybox@sha256:b30f"]})";

TEST_F(PodmanCompatTest, ImageNamesAreReportedAsDockerNamesThem) {
  // Ensures inspect and listing report podman's `localhost/x` and `docker.io/x` as Docker's `x`
  // (once), `docker.io/library/x` as `x`, keep a registry's name, and drop the digests of
  // `localhost/` names (manifests podman wrote itself, which Docker would not list).
  const std::vector<std::string> tags = {"lightshuttle-test/busybox:latest", "busybox:1",
                                         "127.0.0.1:5000/lightshuttle-test/busybox:latest"};
  answer(200, kPodmanImage);
  auto inspected = runVirtual(rt->inspectImage("lightshuttle-test/busybox:latest"));
  ASSERT_TRUE(inspected) << inspected.error().what();
  EXPECT_EQ(inspected->repoTags, tags);
  EXPECT_EQ(inspected->repoDigests, std::vector<std::string>{"busybox@sha256:b30f"});

  answer(200, std::string("[") + kPodmanImage + "]");
  auto listed = runVirtual(rt->listImages());
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().repoTags, tags);
  EXPECT_EQ(listed->front().repoDigests, std::vector<std::string>{"busybox@sha256:b30f"});
}

TEST_F(PodmanCompatTest, AContainersImageIsNamedAsDockerNamesIt) {
  // Ensures listManaged and inspectDetailed report a container's image as Docker does, not as
  // podman's `localhost/x` (a difference the runtime contract found: `ps` showed it).
  const std::string container =
      R"({"Id":"c1","Name":"/demo_web","Config":{"Image":"localhost/lightshuttle-test/busybox:latest",
      "Labels":{"lightshuttle.project":"demo","lightshuttle.resource":"web"}},"State":{"Status":"running","Running":true}})";
  answer(200, R"([{"Id":"c1","Names":["/demo_web"],"Labels":{"lightshuttle.project":"demo"}}])");
  answer(200, container);
  answer(200, container);
  auto listed = runVirtual(rt->listManaged("demo"));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().image, "lightshuttle-test/busybox:latest");
  auto details = runVirtual(rt->inspectDetailed(ContainerId{"c1"}));
  ASSERT_TRUE(details) << details.error().what();
  EXPECT_EQ(details->image, "lightshuttle-test/busybox:latest");
}

TEST_F(PodmanCompatTest, AContainersRemovalEventIsDestroy) {
  // Ensures podman's `remove` event (Docker's `destroy`) is the runtime's Destroy, and that it
  // ends a readiness wait with NotFound (found by the runtime contract: a removed container
  // went unnoticed on podman).
  const auto event = [](const std::string& action) {
    return R"({"Type":"container","Action":")" + action +
           R"(","Actor":{"ID":"c1","Attributes":{"name":"demo_web","lightshuttle.project":"demo"}},"time":1,"timeNano":1000000000})" +
           "\n";
  };
  engine->exchanges.push_back(
      {.response = engine::testing::chunkedResponse(200, {event("cleanup"), event("remove")})});
  EventFilter filter{.project = "demo"};
  auto events = runVirtual(rt->events(filter));
  ASSERT_TRUE(events) << events.error().what();
  auto removed = runVirtual((*events)->next());
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(removed->kind, RuntimeEvent::Kind::Destroy);
  EXPECT_EQ(removed->id, ContainerId{"c1"});

  const std::string starting =
      R"({"Id":"c1","Name":"/demo_web","Config":{"Healthcheck":{"Test":["CMD","true"]}},
      "State":{"Status":"running","Running":true,"Health":{"Status":"starting"}}})";
  answer(200, starting);
  engine->exchanges.push_back(
      {.response = engine::testing::chunkedResponse(200, {event("remove")})});
  answer(200, starting);
  auto waited = runVirtual(rt->waitHealthy(ContainerId{"c1"}, std::chrono::seconds(30)));
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code(), Errc::NotFound) << waited.error().what();
}

TEST_F(PodmanCompatTest, ARemovalReportsTheUntaggedNameAsDockerDoes) {
  // Ensures a removal's untagged name (docker.io/<name> on podman) is Docker's short name, and
  // a deleted id is left as it is.
  answer(200, R"([{"Untagged":"docker.io/lightshuttle-test/it-1:t1"},{"Deleted":"sha256:a48d"}])");
  auto removed = runVirtual(rt->removeImage("lightshuttle-test/it-1:t1", false));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, (std::vector<std::string>{"lightshuttle-test/it-1:t1", "sha256:a48d"}));
}

TEST_F(PodmanCompatTest, ALoadReportsTheLoadedNamesAsDockerDoes) {
  // Ensures a load's names (docker.io/<name> on podman), returned and in its progress, are
  // Docker's short names.
  answer(200, R"({"stream":"Loaded image: docker.io/lightshuttle-test/it-1:s1"})");
  std::vector<std::string> statuses;
  auto loaded = runVirtual(
      rt->loadImages("tar", [&](const ImageProgress& p) { statuses.push_back(p.status); }));
  ASSERT_TRUE(loaded) << loaded.error().what();
  EXPECT_EQ(*loaded, std::vector<std::string>{"lightshuttle-test/it-1:s1"});
  EXPECT_EQ(statuses, std::vector<std::string>{"Loaded image: lightshuttle-test/it-1:s1"});
}

TEST_F(PodmanCompatTest, SavingAMissingImageIsNotFoundOnceTheInspectSaysSo) {
  // Ensures a 500 from the save (podman: "image not known", where Docker answers 404) is
  // NotFound when the inspect that follows does not find one of the images, and stays the
  // engine's error when every image is there.
  const char* notKnown =
      R"({"cause":"image not known","message":"x: image not known","response":500})";
  answer(500, notKnown);
  answer(200, kPodmanImage);
  answer(404, R"({"message":"no such image"})");
  auto missing = runVirtual(rt->saveImages({"lightshuttle-test/busybox:latest", "nope:x"}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_EQ(line(2), "GET /v1.41/images/nope:x/json");

  answer(500, notKnown);
  answer(200, kPodmanImage);
  auto failed = runVirtual(rt->saveImages({"lightshuttle-test/busybox:latest"}));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Errc::Internal);
}

TEST_F(PodmanCompatTest, HistoryIdsTakeTheirAlgorithm) {
  // Ensures history ids (bare hex on podman) carry their `sha256:` as Docker's do.
  const std::string hex(64, 'a');
  answer(200, R"([{"Id":")" + hex + R"(","Created":1},{"Id":"<missing>","Created":1}])");
  auto history = runVirtual(rt->imageHistory("lightshuttle-test/busybox:latest"));
  ASSERT_TRUE(history) << history.error().what();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(history->front().id, "sha256:" + hex);
  EXPECT_EQ(history->back().id, "<missing>");
}

TEST_F(PodmanCompatTest, AnImportIsTaggedAsAsked) {
  // Ensures an import sends its tag inside `repo`: podman 4.3 ignores the `tag` parameter and
  // would name the image `<repo>:latest`, which the caller's reference does not find.
  answer(200, R"({"status":"sha256:c95a"})");
  auto id = runVirtual(rt->importImage("R", "lightshuttle-test/it-1:imp"));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, "sha256:c95a");
  EXPECT_EQ(line(0), "POST /v1.41/images/create?fromSrc=-&repo=lightshuttle-test%2Fit-1%3Aimp");
}

// Podman 4.3's compat pull stream: layer statuses, then "Download complete" of the image id,
// never Docker's "Digest: sha256:…".
constexpr const char* kPodmanPull =
    R"({"status":"Already exists","progressDetail":{},"id":"361d2cc6a12a"})"
    "\n"
    R"({"status":"Download complete","progressDetail":{},"id":"a48d0faf79d7"})"
    "\n";
// Its answer to a pull of a tag the registry does not have: 200, an errorDetail without a code.
constexpr const char* kPodmanManifestUnknown =
    R"({"progressDetail":{},"errorDetail":{"message":"reading manifest no-such in 127.0.0.1:5000/lightshuttle-test/busybox: manifest unknown"},"error":"manifest unknown"})"
    "\n";
constexpr const char* kPullNoSuchTag =
    "POST "
    "/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Flightshuttle-test%2Fbusybox&tag=no-such";
constexpr const char* kListTags =
    "GET "
    "/v1.41/images/"
    "search?term=127.0.0.1%3A5000%2Flightshuttle-test%2Fbusybox&listTags=true&limit=10000";

TEST_F(PodmanCompatTest, APulledDigestIsTheOneOfTheImageTheRegistryServes) {
  // Ensures a pull stream that says no digest (podman) ends with a Done carrying the digest of
  // the pulled image under the pulled repository (its inspect's RepoDigests), and that of
  // several there (podman lists every manifest the image has under each name) the one a pull
  // by digest finds is taken.
  const std::string ref = "127.0.0.1:5000/lightshuttle-test/busybox:latest";
  const std::string a(64, 'a');
  const std::string b(64, 'b');
  answer(200, kPodmanPull);
  answer(200,
         R"({"Id":"sha256:a48d","RepoDigests":["127.0.0.1:5000/lightshuttle-test/busybox@sha256:)" +
             a + R"(","127.0.0.1:5000/lightshuttle-test/busybox@sha256:)" + b +
             R"(","localhost/lightshuttle-test/busybox@sha256:)" + a + R"("]})");
  answer(200, kPodmanManifestUnknown);
  answer(200, kPodmanPull);
  auto stream = runVirtual(rt->pullStream(ref));
  ASSERT_TRUE(stream) << stream.error().what();
  std::vector<PullEvent> events;
  for (;;) {
    auto ev = runVirtual((*stream)->next());
    ASSERT_TRUE(ev) << ev.error().what();
    if (!*ev) {
      break;
    }
    events.push_back(std::move(**ev));
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].progress.status, "Download complete");
  EXPECT_EQ(events[2].kind, PullEvent::Kind::Done);
  EXPECT_EQ(events[2].reference, ref);
  EXPECT_EQ(events[2].digest, "sha256:" + b);
  ASSERT_EQ(sent(), 4u);
  EXPECT_EQ(line(1), "GET /v1.41/images/127.0.0.1:5000/lightshuttle-test/busybox:latest/json");
  EXPECT_EQ(line(2),
            "POST "
            "/v1.41/images/"
            "create?fromImage=127.0.0.1%3A5000%2Flightshuttle-test%2Fbusybox&tag=sha256%3A" +
                a);
  EXPECT_EQ(line(3),
            "POST "
            "/v1.41/images/"
            "create?fromImage=127.0.0.1%3A5000%2Flightshuttle-test%2Fbusybox&tag=sha256%3A" +
                b);

  // One candidate is the answer, without asking the registry.
  answer(200, kPodmanPull);
  answer(200, R"({"Id":"sha256:a48d","RepoDigests":["docker.io/library/busybox@sha256:)" + a +
                  R"(","127.0.0.1:5000/other@sha256:)" + b + R"("]})");
  auto single = runVirtual(rt->pullStream("busybox:1"));
  ASSERT_TRUE(single) << single.error().what();
  std::string digest;
  for (;;) {
    auto ev = runVirtual((*single)->next());
    ASSERT_TRUE(ev) << ev.error().what();
    if (!*ev) {
      break;
    }
    digest = (*ev)->digest;
  }
  EXPECT_EQ(digest, "sha256:" + a);
  EXPECT_EQ(sent(), 6u);
}

TEST_F(PodmanCompatTest, AMissingTagIsNotFoundWhenTheRegistrysTagListLacksIt) {
  // Ensures podman's answer to a missing tag (200, an errorDetail without a status) is NotFound
  // once the registry's tag list (the compat search with listTags) does not have the tag, for
  // pullStream (at once, as Docker's 404) and pullImage; and stays the engine's error when the
  // list has the tag, or when the listing fails.
  answer(200, kPodmanManifestUnknown);
  answer(200, R"([{"Name":"127.0.0.1:5000/lightshuttle-test/busybox","Tag":"latest"}])");
  const std::string ref = "127.0.0.1:5000/lightshuttle-test/busybox:no-such";
  auto missing = runVirtual(rt->pullStream(ref));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound) << missing.error().what();
  EXPECT_NE(missing.error().what().find("manifest unknown"), std::string::npos);
  ASSERT_EQ(sent(), 2u);
  EXPECT_EQ(line(0), kPullNoSuchTag);
  EXPECT_EQ(line(1), kListTags);

  answer(200, kPodmanManifestUnknown);
  answer(200, R"([{"Tag":"latest"}])");
  auto pulled = runVirtual(rt->pullImage(ref, PullPolicy::Always, {}));
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code(), Errc::NotFound) << pulled.error().what();
  EXPECT_EQ(line(3), kListTags);

  answer(200, kPodmanManifestUnknown);
  answer(200, R"([{"Tag":"latest"},{"Tag":"no-such"}])");
  auto listed = runVirtual(rt->pullStream(ref));
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code(), Errc::Internal);

  answer(200, kPodmanManifestUnknown);
  answer(500,
         R"({"cause":"fetching tags list","message":"getting repository tags","response":500})");
  auto unlisted = runVirtual(rt->pullStream(ref));
  ASSERT_FALSE(unlisted);
  EXPECT_EQ(unlisted.error().code(), Errc::Internal);
  EXPECT_EQ(sent(), 8u);
}

TEST_F(PodmanCompatTest, ACommitSendsAnEmptyConfigAndItsIdTakesItsAlgorithm) {
  // Ensures a commit on podman sends `{}` as its body (podman 4.3 answers an empty one with
  // 500 "Decode(): EOF") and reports the bare hex id it answers as `sha256:<hex>`.
  const std::string hex(64, 'c');
  answer(201, R"({"Id":")" + hex + R"("})");
  CommitOptions options;
  options.repo = "lightshuttle-test/it-1";
  options.tag = "c1";
  options.changes = {"ENV X=1"};
  auto id = runVirtual(rt->commit(ContainerId{"c1"}, options));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, "sha256:" + hex);
  EXPECT_EQ(line(0),
            "POST "
            "/v1.41/"
            "commit?container=c1&repo=lightshuttle-test%2Fit-1&tag=c1&pause=1&changes=ENV%20X%3D1");
  const std::string& raw = engine->requests.at(1);
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n{}");
}

/// A frame of a multiplexed stream (stream 1: stdout).
std::string muxFrame(std::string_view payload) {
  std::string h(8, '\0');
  h[0] = 1;
  const auto n = static_cast<std::uint32_t>(payload.size());
  h[4] = static_cast<char>(n >> 24);
  h[5] = static_cast<char>(n >> 16);
  h[6] = static_cast<char>(n >> 8);
  h[7] = static_cast<char>(n);
  return h + std::string(payload);
}

TEST_F(PodmanCompatTest, ALineLoggedInPartsKeepsOnlyItsFirstTimestamp) {
  // Ensures a line written in parts, which podman 4.3 logs as several records each framed
  // with its own timestamp (Docker: one record), reads as the line with its first timestamp,
  // and that a record starting a line still gives that line its own.
  answer(200, R"({"Id":"c1","Config":{"Tty":false},"State":{"Status":"exited"}})");
  engine->exchanges.push_back(
      {.response = httpResponse(200,
                                muxFrame("2026-12-07T03:33:44Z hello\n") +
                                    muxFrame("2026-12-07T03:33:44Z a b ") +
                                    muxFrame("2026-12-07T03:33:45Z keep.txt\n") +
                                    muxFrame("2026-12-07T03:33:46Z 2026-12-07T03:33:46Z is text\n"),
                                "Content-Type: application/vnd.docker.multiplexed-stream\r\n")});
  auto stream = runVirtual(rt->logs(ContainerId{"c1"}, LogOptions{}));
  ASSERT_TRUE(stream) << stream.error().what();
  std::vector<std::string> lines;
  std::vector<std::int64_t> seconds;
  for (;;) {
    auto c = runVirtual((*stream)->next());
    ASSERT_TRUE(c) << c.error().what();
    if (!*c) {
      break;
    }
    lines.push_back((*c)->bytes);
    seconds.push_back(
        std::chrono::duration_cast<std::chrono::seconds>((*c)->timestamp.time_since_epoch())
            .count() %
        60);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"hello\n", "a b keep.txt\n",
                                             "2026-12-07T03:33:46Z is text\n"}));
  EXPECT_EQ(seconds, (std::vector<std::int64_t>{44, 44, 46}));
}

/// The same answers from Docker (no Libpod-API-Version header): names are left as they are.
class DockerImageNamesTest : public PodmanCompatTest {
 protected:
  std::string pingHeaders() const override { return "Api-Version: 1.41\r\n"; }
};

TEST_F(DockerImageNamesTest, DockersNamesAreLeftAsTheyAre) {
  // Ensures the name rewriting is podman's only: on Docker `localhost/x` is a registry's name.
  answer(200, kPodmanImage);
  auto inspected = runVirtual(rt->inspectImage("localhost/lightshuttle-test/busybox:latest"));
  ASSERT_TRUE(inspected) << inspected.error().what();
  EXPECT_EQ(inspected->repoTags.size(), 4u);
  EXPECT_EQ(inspected->repoTags.front(), "localhost/lightshuttle-test/busybox:latest");
  EXPECT_EQ(inspected->repoDigests.size(), 2u);
}

TEST_F(DockerImageNamesTest, AnImportOnDockerSendsRepoAndTagApart) {
  // Ensures the tag-in-repo import is podman's only: Docker is asked as its API documents.
  answer(200, R"({"status":"sha256:c95a"})");
  ASSERT_TRUE(runVirtual(rt->importImage("R", "lightshuttle-test/it-1:imp")));
  EXPECT_EQ(line(0), "POST /v1.41/images/create?fromSrc=-&repo=lightshuttle-test%2Fit-1&tag=imp");
}

TEST_F(DockerImageNamesTest, DockersPullAndCommitAreLeftAsTheyAre) {
  // Ensures the pull and commit special cases are podman's only: a stream error without a
  // status stays Internal with no tag listing, the stream's own digest is the Done's without
  // an inspect, and a commit sends no body.
  answer(200, kPodmanManifestUnknown);
  auto failed = runVirtual(rt->pullStream("127.0.0.1:5000/lightshuttle-test/busybox:no-such"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Errc::Internal);
  EXPECT_EQ(sent(), 1u);

  answer(200, R"({"status":"Pulling fs layer","id":"l1"})"
              "\n"
              R"({"status":"Digest: sha256:1397"})"
              "\n");
  auto stream = runVirtual(rt->pullStream("busybox:1"));
  ASSERT_TRUE(stream) << stream.error().what();
  std::string digest;
  for (;;) {
    auto ev = runVirtual((*stream)->next());
    ASSERT_TRUE(ev) << ev.error().what();
    if (!*ev) {
      break;
    }
    digest = (*ev)->digest;
  }
  EXPECT_EQ(digest, "sha256:1397");
  EXPECT_EQ(sent(), 2u);

  answer(201, R"({"Id":"sha256:c0"})");
  CommitOptions options;
  auto id = runVirtual(rt->commit(ContainerId{"c1"}, options));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, "sha256:c0");
  const std::string& raw = engine->requests.at(3);
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace ls::runtime
