// `start`, `stop`, `kill`, `pause`, `unpause`, `wait`, `events`, `ls`, `version` and the
// options before the verb, as a black box against the real engine, on containers made from
// labels alone (no supervisor: the engine-level paths).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

ShellRun cli(const std::string& args) {
  return runShell("cd / && '" + std::string(LS_CLI_PATH) + "' " + args);
}

class VerbsCli : public RuntimeEngineTest {
 protected:
  runtime::ContainerId startSleeper(const std::string& resource) {
    runtime::StartOptions none;
    auto id = run(rt->start(projectSpec(resource, {"sleep", "3600"}), none));
    EXPECT_TRUE(id) << (id ? "" : id.error().what());
    return id ? *id : runtime::ContainerId{};
  }
  std::string state(const std::string& resource) {
    return runShell("docker inspect -f '{{.State.Status}}' " + project + "_" + resource).output;
  }
};

TEST_F(VerbsCli, StopAndStartWithoutASupervisorActOnTheLabelledContainers) {
  // Ensures stop/start find the containers by label, act on the engine, and refuse an unknown
  // resource (exit 2, naming the known ones) and a resource without a container.
  startSleeper("web");
  ShellRun stop = cli("stop -t 1s -p " + project + " web");
  EXPECT_EQ(stop.exitCode, 0) << stop.output;
  EXPECT_NE(stop.output.find("stopped web"), std::string::npos) << stop.output;
  EXPECT_EQ(state("web"), "exited\n");

  ShellRun start = cli("-p " + project + " start web");  // -p before the verb
  EXPECT_EQ(start.exitCode, 0) << start.output;
  EXPECT_EQ(state("web"), "running\n");

  ShellRun unknown = cli("stop -p " + project + " nosuch");
  EXPECT_EQ(unknown.exitCode, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("no resource 'nosuch'"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("web"), std::string::npos)
      << "names the known resources: " << unknown.output;

  ShellRun noProject = cli("stop");  // from / there is no manifest, and no -p
  EXPECT_EQ(noProject.exitCode, 2) << noProject.output;
}

TEST_F(VerbsCli, KillValidatesTheSignalAndNeedsARunningResource) {
  // Ensures kill sends the named signal, refuses a bad one before touching anything (exit 2),
  // and reports a resource that is not running (exit 1).
  startSleeper("web");
  ShellRun bad = cli("kill -s SIGNOPE -p " + project + " web");
  EXPECT_EQ(bad.exitCode, 2) << bad.output;
  EXPECT_NE(bad.output.find("SIGNOPE"), std::string::npos) << bad.output;
  EXPECT_EQ(state("web"), "running\n");

  ShellRun killed = cli("kill -s 9 -p " + project + " web");
  EXPECT_EQ(killed.exitCode, 0) << killed.output;
  EXPECT_NE(killed.output.find("sent SIGKILL to web"), std::string::npos) << killed.output;
  ASSERT_TRUE(run(api->waitContainer(project + "_web", "not-running", 30s)));

  ShellRun again = cli("kill -p " + project + " web");
  EXPECT_EQ(again.exitCode, 1) << again.output;
  EXPECT_NE(again.output.find("resource 'web' is not running"), std::string::npos) << again.output;
}

TEST_F(VerbsCli, PauseAndUnpause) {
  // Ensures pause freezes and unpause thaws a running resource, and that unpausing one that is
  // not paused is an error naming it.
  startSleeper("web");
  ShellRun paused = cli("pause -p " + project + " web");
  EXPECT_EQ(paused.exitCode, 0) << paused.output;
  EXPECT_EQ(state("web"), "paused\n");
  ShellRun unpaused = cli("unpause -p " + project + " web");
  EXPECT_EQ(unpaused.exitCode, 0) << unpaused.output;
  EXPECT_EQ(state("web"), "running\n");
  ShellRun notPaused = cli("unpause -p " + project + " web");
  EXPECT_EQ(notPaused.exitCode, 1) << notPaused.output;
  EXPECT_NE(notPaused.output.find("resource 'web' is not paused"), std::string::npos)
      << notPaused.output;
}

TEST_F(VerbsCli, WaitReportsReadyFailedAndTimeout) {
  // Ensures wait returns 0 for a running resource, 1 naming one that exited non-zero, and 124
  // when a healthcheck never passes within --timeout.
  startSleeper("web");
  runtime::StartOptions none;
  auto job = run(rt->start(projectSpec("job", {"sh", "-c", "exit 3"}), none));
  ASSERT_TRUE(job);
  ASSERT_TRUE(run(api->waitContainer(job->value, "not-running", 30s)));
  runtime::ContainerSpec sick = projectSpec("sick", {"sleep", "3600"});
  sick.healthcheck = runtime::HealthcheckSpec{
      .test = {"CMD", "false"}, .interval = 1s, .timeout = 1s, .retries = 1000, .startPeriod = 0s};
  ASSERT_TRUE(run(rt->start(sick, none)));

  ShellRun ready = cli("wait --timeout 30s -p " + project + " web");
  EXPECT_EQ(ready.exitCode, 0) << ready.output;
  ShellRun failed = cli("wait --timeout 30s -p " + project + " job");
  EXPECT_EQ(failed.exitCode, 1) << failed.output;
  EXPECT_NE(failed.output.find("resource 'job' exited with code 3"), std::string::npos)
      << failed.output;
  ShellRun timedOut = cli("wait --timeout 1s -p " + project + " sick");
  EXPECT_EQ(timedOut.exitCode, 124) << timedOut.output;
  EXPECT_NE(timedOut.output.find("'sick'"), std::string::npos) << timedOut.output;
  ShellRun badTimeout = cli("wait --timeout soon -p " + project);
  EXPECT_EQ(badTimeout.exitCode, 2) << badTimeout.output;
}

TEST_F(VerbsCli, EventsNeedsASupervisor) {
  startSleeper("web");
  ShellRun events = cli("events -p " + project);
  EXPECT_EQ(events.exitCode, 1) << events.output;
  EXPECT_NE(events.output.find("no running supervisor"), std::string::npos) << events.output;
}

TEST_F(VerbsCli, LsListsLabelledStacksAndVersionTheEngine) {
  // Ensures ls shows a stack known only from its labels (running/total), and version prints
  // ours, the engine's and the negotiated API version.
  startSleeper("web");
  runtime::StartOptions none;
  auto job = run(rt->start(projectSpec("job", {"true"}), none));
  ASSERT_TRUE(job);
  ASSERT_TRUE(run(api->waitContainer(job->value, "not-running", 30s)));
  ShellRun json = cli("ls --format json");
  EXPECT_EQ(json.exitCode, 0) << json.output;
  EXPECT_NE(json.output.find(R"("project":")" + project +
                             R"(","status":"partial","supervised":false,"running":1,"total":2)"),
            std::string::npos)
      << json.output;
  ShellRun table = cli("ls");
  EXPECT_NE(table.output.find(project), std::string::npos) << table.output;

  ShellRun version = cli("version --format json");
  EXPECT_EQ(version.exitCode, 0) << version.output;
  EXPECT_NE(version.output.find(R"("version":")" + std::string(LS_VERSION_TEXT) + "\""),
            std::string::npos)
      << version.output;
  EXPECT_NE(version.output.find(R"("api_version":"1.)"), std::string::npos) << version.output;
  ShellRun unreachable = runShell("cd / && DOCKER_HOST=unix:///nonexistent.sock '" +
                                  std::string(LS_CLI_PATH) + "' version");
  EXPECT_EQ(unreachable.exitCode, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find(LS_VERSION_TEXT), std::string::npos) << unreachable.output;
  EXPECT_NE(unreachable.output.find("engine unreachable"), std::string::npos) << unreachable.output;
}

/// A manifest in a directory of its own, for the options before the verb.
class GlobalOptionsCli : public RuntimeEngineTest {
 protected:
  void SetUp() override {
    RuntimeEngineTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    dir = makeTempDir("lsglobal");
    ASSERT_FALSE(dir.empty());
    std::ofstream(dir / "other.yml")
        << "lightshuttle: v0\nproject:\n  name: " << project << "\nresources:\n"
        << "  web:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [sleep, '3600']\n";
  }
  void TearDown() override {
    RuntimeEngineTest::TearDown();
    if (!dir.empty()) {
      fs::remove_all(dir);
    }
  }
  fs::path dir;
};

TEST_F(GlobalOptionsCli, FileBeforeAndAfterTheVerbAndProjectWithoutAManifest) {
  // Ensures -f is accepted before the verb as after it (the verb's wins), --project-directory
  // moves discovery, -p works with no manifest at all, and `logs -f` still means follow.
  const std::string file = (dir / "other.yml").string();
  ShellRun before = cli("-f " + file + " config --services");
  EXPECT_EQ(before.exitCode, 0) << before.output;
  EXPECT_EQ(before.output, "web\n");
  ShellRun after = cli("config --services -f " + file);
  EXPECT_EQ(after.exitCode, 0) << after.output;
  EXPECT_EQ(after.output, "web\n");
  ShellRun verbWins = cli("-f /nonexistent.yml validate -f " + file);
  EXPECT_EQ(verbWins.exitCode, 0) << verbWins.output;
  ShellRun missing = cli("-f /nonexistent.yml validate");
  EXPECT_NE(missing.exitCode, 0) << missing.output;
  ShellRun renamed = cli("-f " + file + " -p renamed config");
  EXPECT_EQ(renamed.exitCode, 0) << renamed.output;
  EXPECT_NE(renamed.output.find("name: renamed"), std::string::npos) << renamed.output;
  ShellRun badName = cli("-p 'Bad Name' ps");
  EXPECT_EQ(badName.exitCode, 2) << badName.output;

  std::filesystem::rename(dir / "other.yml", dir / "lightshuttle.yml");
  ShellRun moved = cli("--project-directory " + dir.string() + " config --services");
  EXPECT_EQ(moved.exitCode, 0) << moved.output;
  EXPECT_EQ(moved.output, "web\n");

  runtime::StartOptions none;
  ASSERT_TRUE(run(rt->start(
      projectSpec(
          "web",
          {"sh", "-c",
           "echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second; sleep 3600"}),
      none)));
  ShellRun ps = cli("-p " + project + " ps --format json");  // from /, no manifest anywhere
  EXPECT_EQ(ps.exitCode, 0) << ps.output;
  EXPECT_NE(ps.output.find(R"("name":"web")"), std::string::npos) << ps.output;
  ShellRun psAfter = cli("ps -p " + project + " --format json");
  EXPECT_EQ(psAfter.exitCode, 0) << psAfter.output;
  EXPECT_EQ(psAfter.output, ps.output);
  // `logs -f` follows: the second line is written only after the first was read.
  const std::string pidFile = (dir / "logs.pid").string();
  FILE* logs = ::popen(("cd / && { '" + std::string(LS_CLI_PATH) + "' -p " + project +
                        " logs -f --no-log-prefix web & echo $! > '" + pidFile + "'; wait; } 2>&1")
                           .c_str(),
                       "r");
  ASSERT_NE(logs, nullptr);
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof(line), logs), nullptr);
  EXPECT_STREQ(line, "first\n");
  ASSERT_EQ(runShell("docker exec " + project + "_web touch /tmp/go").exitCode, 0);
  ASSERT_NE(std::fgets(line, sizeof(line), logs), nullptr) << "logs -f ended instead of following";
  EXPECT_STREQ(line, "second\n");
  (void)runShell("kill $(cat '" + pidFile + "')");
  (void)::pclose(logs);

  ShellRun completion = cli("completion bash");
  EXPECT_EQ(completion.exitCode, 0);
  EXPECT_NE(completion.output.find("--project-directory"), std::string::npos)
      << "global options complete";
  EXPECT_NE(completion.output.find("config --services"), std::string::npos)
      << "resource names complete";
  for (const char* verb :
       {"start", "stop", "kill", "pause", "unpause", "run", "events", "wait", "ls", "version"}) {
    EXPECT_NE(completion.output.find(std::string("'") + verb + "')"), std::string::npos) << verb;
    ShellRun help = cli(std::string(verb) + " --help");
    EXPECT_EQ(help.exitCode, 0) << verb;
    EXPECT_NE(help.output.find("Examples:"), std::string::npos) << verb << ": " << help.output;
  }
}

}  // namespace
}  // namespace ls::testing
