// The verbs that act on a supervised stack (`stop`, `start`, `wait`, `events`, `run`, `ls`) and
// the endpoints `up -d` ends with, as a black box against the real engine: a busybox stack in a
// directory of its own, under a unique project name and on a free port.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "support/stack.hpp"

namespace {

namespace fs = std::filesystem;
using ShRun = ls::testing::ShellRun;

class VerbsE2e : public ls::testing::CliStackTest {
 protected:
  VerbsE2e() : CliStackTest("lsverbs") {}

  void SetUp() override {
    CliStackTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    port = ls::testing::freePort();
    std::ofstream(dir / "lightshuttle.yml")
        << "lightshuttle: v0\nproject:\n  name: " << project << "\nresources:\n"
        << "  db:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [sh, -c, 'echo ready > /tmp/ready; sleep 3600']\n"
        << "      env:\n        GREETING: hello-from-db-env\n"
        << "      stop_grace_period: 1s\n"
        << "  web:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [httpd, -f, -p, '8080']\n"
        << "      ports: ['" << port << ":8080']\n"
        << "      depends_on: [db]\n      stop_grace_period: 1s\n";
  }

  int port = 0;
};

TEST_F(VerbsE2e, SupervisedStopStartWaitEventsAndLs) {
  // Ensures `up -d` ends with the endpoints; stopping a resource others depend on names them;
  // stop/start go through the supervisor and show up in `events`; `wait` sees readiness; `ls`
  // lists the supervised stack with its manifest and dashboard.
  ShRun up = cli("up -d");
  ASSERT_EQ(up.exitCode, 0) << up.output;
  EXPECT_NE(up.output.find("web  http://127.0.0.1:" + std::to_string(port) + "/"),
            std::string::npos)
      << up.output;

  ShRun waited = cli("wait --timeout 1m");
  EXPECT_EQ(waited.exitCode, 0) << waited.output;
  ShRun unknown = cli("wait nosuch");
  EXPECT_EQ(unknown.exitCode, 2) << unknown.output;

  ShRun ls = cli("ls --format json");
  EXPECT_EQ(ls.exitCode, 0) << ls.output;
  EXPECT_NE(ls.output.find(R"("project":")" + project +
                           R"(","status":"ready","supervised":true,"running":2,"total":2)"),
            std::string::npos)
      << ls.output;
  EXPECT_NE(ls.output.find((dir / "lightshuttle.yml").string()), std::string::npos) << ls.output;
  EXPECT_NE(ls.output.find(R"("dashboard_url":"http://127.0.0.1:)"), std::string::npos)
      << ls.output;

  // Follow the events; the first line (stderr) says the subscription is in place.
  FILE* events =
      ::popen(("cd '" + dir.string() + "' && '" + std::string(LS_CLI_PATH) + "' events --json 2>&1")
                  .c_str(),
              "r");
  ASSERT_NE(events, nullptr);
  char line[4096] = {};
  ASSERT_NE(std::fgets(line, sizeof(line), events), nullptr);
  EXPECT_NE(std::string(line).find("following the events of '" + project + "'"), std::string::npos)
      << line;

  ShRun stop = cli("stop db");
  EXPECT_EQ(stop.exitCode, 0) << stop.output;
  EXPECT_NE(stop.output.find("warning: web depends on db and keeps running without it"),
            std::string::npos)
      << stop.output;
  ShRun ps = cli("ps -a --format json");
  EXPECT_NE(ps.output.find(R"("name":"db")"), std::string::npos) << ps.output;
  ShRun notReady = cli("wait --timeout 1s db");
  EXPECT_EQ(notReady.exitCode, 1) << notReady.output;
  EXPECT_NE(notReady.output.find("resource 'db' is stopped"), std::string::npos) << notReady.output;

  ShRun start = cli("start db");
  EXPECT_EQ(start.exitCode, 0) << start.output;
  ShRun again = cli("wait --timeout 1m db");
  EXPECT_EQ(again.exitCode, 0) << again.output;

  ShRun down = cli("down --timeout 1s");
  EXPECT_EQ(down.exitCode, 0) << down.output;
  std::string rest;
  while (std::fgets(line, sizeof(line), events) != nullptr) {
    rest += line;
  }
  EXPECT_EQ(WEXITSTATUS(::pclose(events)), 0) << rest;
  const std::size_t stopped = rest.find(R"("kind":"resource_stopped","resource":"db")");
  const std::size_t started = rest.find(R"("kind":"resource_healthy","resource":"db")");
  EXPECT_NE(stopped, std::string::npos) << rest;
  EXPECT_NE(started, std::string::npos) << rest;
  EXPECT_LT(stopped, started) << rest;
  EXPECT_NE(rest.find(R"("kind":"stack_stopped")"), std::string::npos) << rest;
}

TEST_F(VerbsE2e, RunBringsUpDependenciesPassesTheExitCodeAndRemovesWithRm) {
  // Ensures `run` boots the dependencies (no supervisor yet: through `up -d`), runs the command
  // in a new container with the resource's environment on the project network, passes its exit
  // code through, reports a missing command as 127, and --rm leaves nothing behind.
  ShRun ran = cli("run --rm -e EXTRA=given db -- sh -c 'echo $GREETING $EXTRA; exit 3'");
  EXPECT_EQ(ran.exitCode, 3) << ran.output;
  EXPECT_NE(ran.output.find("hello-from-db-env given"), std::string::npos) << ran.output;

  ShRun withDeps = cli("run --rm -T web -- ping -c1 -W5 db");
  EXPECT_EQ(withDeps.exitCode, 0) << "db is up and reachable by name on the project network: "
                                  << withDeps.output;
  ShRun ps = cli("ps --format json");
  EXPECT_NE(ps.output.find(R"("name":"db")"), std::string::npos)
      << "the dependency was started: " << ps.output;
  EXPECT_NE(ps.output.find(R"("supervised":true)"), std::string::npos) << ps.output;

  ShRun missing = cli("run --rm --no-deps db -- definitely-not-a-command");
  EXPECT_EQ(missing.exitCode, 127) << missing.output;
  EXPECT_NE(missing.output.find("definitely-not-a-command"), std::string::npos) << missing.output;

  ShRun unknown = cli("run --rm nosuch -- true");
  EXPECT_EQ(unknown.exitCode, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("no resource 'nosuch'"), std::string::npos) << unknown.output;

  EXPECT_EQ(
      sh("docker ps -aq --filter label=lightshuttle.oneoff --filter label=lightshuttle.project=" +
         project)
          .output,
      "")
      << "--rm removed every one-off container";

  ShRun kept = cli("run --no-deps db -- true");
  EXPECT_EQ(kept.exitCode, 0) << kept.output;
  EXPECT_NE(sh("docker ps -aq --filter label=lightshuttle.oneoff=db --filter "
               "label=lightshuttle.project=" +
               project)
                .output,
            "")
      << "without --rm the container is kept, as in compose";
}

}  // namespace
