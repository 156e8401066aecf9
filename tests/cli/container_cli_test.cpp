// `cp`, `top`, `port` and `stats` as a black box against the real engine, on containers found
// by their labels (started here through the runtime, no `up`): the happy path of each, and the
// bad inputs (an unknown resource, a stopped one, a missing path, an unpublished port).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ContainerCli : public RuntimeEngineTest {
 protected:
  void SetUp() override {
    RuntimeEngineTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    // app: runs, publishes 80/tcp on a free 127.0.0.1 port, and has a directory made in the
    // container with a file of mode 0741.
    runtime::ContainerSpec app = projectSpec(
        "app", {"sh", "-c",
                "mkdir -p /data/sub && echo made-inside > /data/sub/f && chmod 0741 /data/sub/f && "
                "exec sleep 3600"});
    app.stopGracePeriod = 1s;
    app.ports.push_back(runtime::PortBinding{.containerPort = 80});
    runtime::StartOptions none;
    auto id = run(rt->start(app, none));
    ASSERT_TRUE(id) << id.error().what();
    // done: exits at once (a resource that is not running).
    runtime::ContainerSpec done = projectSpec("done", {"true"});
    auto doneId = run(rt->start(done, none));
    ASSERT_TRUE(doneId) << doneId.error().what();
    auto waited = run(rt->wait(*doneId, runtime::WaitCondition::NotRunning));
    ASSERT_TRUE(waited) << waited.error().what();

    dir = makeTempDir("ls_container_cli");
    ASSERT_FALSE(dir.empty());
    // A manifest naming the same project, for the "unknown resource" message.
    std::ofstream(dir / "lightshuttle.yml")
        << "project:\n  name: " << project
        << "\nresources:\n  app:\n    container:\n      image: " << kBusybox
        << "\n  done:\n    container:\n      image: " << kBusybox << "\n";
    // Wait until the container's own setup has run (the file exists).
    const bool made = waitUntil(
        [&] {
          runtime::ExecRequest probe{.cmd = {"test", "-f", "/data/sub/f"}};
          auto r = run(rt->exec(*id, probe));
          return r && r->exitCode == 0;
        },
        30s, 100ms);
    ASSERT_TRUE(made) << "the container never made /data/sub/f";
  }
  void TearDown() override {
    RuntimeEngineTest::TearDown();
    if (!dir.empty()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }

  /// `lightshuttle <verb> -p <project> <args>` with stderr folded in (or dropped: `quiet`).
  ShellRun cli(const std::string& verb, const std::string& args, bool quiet = false) {
    return runShell("'" + std::string(LS_CLI_PATH) + "' " + verb + " -p " + project + " " + args +
                    (quiet ? " 2>/dev/null" : ""));
  }
  /// The same with the manifest (`-f`) instead of `-p`.
  ShellRun cliWithManifest(const std::string& verb, const std::string& args) {
    return runShell("'" + std::string(LS_CLI_PATH) + "' " + verb + " -f '" +
                    (dir / "lightshuttle.yml").string() + "' " + args);
  }
  ShellRun inApp(const std::string& script) {
    return runShell("'" + std::string(LS_CLI_PATH) + "' exec -p " + project + " app -- sh -c '" +
                    script + "'");
  }
  static std::uint32_t modeOf(const fs::path& p) { return fileModeOf(p.string()); }
  static std::string slurp(const fs::path& p) { return readWholeFile(p.string()); }

  fs::path dir;
};

TEST_F(ContainerCli, CpCopiesDirectoriesBothWaysKeepingModes) {
  // Ensures `cp app:/data <host>` brings the container's directory out with the file's mode
  // (0741) and bytes, and `cp <host dir> app:/tmp` puts a host tree in with its modes (0750
  // script, 0604 file) and a symlink, checked from inside the container.
  const fs::path out = dir / "out";
  ShellRun get = cli("cp", "app:/data '" + out.string() + "'");
  ASSERT_EQ(get.exitCode, 0) << get.output;
  EXPECT_EQ(slurp(out / "sub" / "f"), "made-inside\n");
  EXPECT_EQ(modeOf(out / "sub" / "f"), 0741U);

  const fs::path tree = dir / "tree";
  fs::create_directories(tree / "bin");
  std::ofstream(tree / "bin" / "run.sh") << "#!/bin/sh\necho ran\n";
  std::ofstream(tree / "notes.txt") << "notes";
  ::chmod((tree / "bin" / "run.sh").c_str(), 0750);
  ::chmod((tree / "notes.txt").c_str(), 0604);
  fs::create_symlink("bin/run.sh", tree / "run");
  ShellRun put = cli("cp", "'" + tree.string() + "' app:/tmp");
  ASSERT_EQ(put.exitCode, 0) << put.output;
  ShellRun check = inApp(
      "stat -c \"%a %n\" /tmp/tree/bin/run.sh /tmp/tree/notes.txt; readlink /tmp/tree/run; "
      "/tmp/tree/run");
  EXPECT_EQ(check.exitCode, 0) << check.output;
  EXPECT_NE(check.output.find("750 /tmp/tree/bin/run.sh"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("604 /tmp/tree/notes.txt"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("bin/run.sh"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("ran"), std::string::npos) << check.output;

  // A single file to a new name, and the round trip of a directory's contents (`/.`).
  ShellRun one = cli("cp", "'" + (tree / "notes.txt").string() + "' app:/tmp/renamed.txt");
  ASSERT_EQ(one.exitCode, 0) << one.output;
  const fs::path back = dir / "back";
  fs::create_directories(back);
  ShellRun contents = cli("cp", "app:/tmp/tree/. '" + back.string() + "'");
  ASSERT_EQ(contents.exitCode, 0) << contents.output;
  EXPECT_EQ(slurp(back / "notes.txt"), "notes");
  EXPECT_EQ(modeOf(back / "bin" / "run.sh"), 0750U);
  ShellRun file = cli("cp", "app:/tmp/renamed.txt '" + (dir / "copy.txt").string() + "'");
  ASSERT_EQ(file.exitCode, 0) << file.output;
  EXPECT_EQ(slurp(dir / "copy.txt"), "notes");
}

TEST_F(ContainerCli, CpStreamsATarOnStdoutAndStdin) {
  // Ensures `cp app:/data -` writes a tar that tar(1) lists, and `cp - app:/tmp` extracts one
  // from stdin.
  ShellRun list =
      runShell("'" + std::string(LS_CLI_PATH) + "' cp -p " + project + " app:/data - | tar -tf -");
  EXPECT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("data/sub/f"), std::string::npos) << list.output;
  std::ofstream(dir / "streamed.txt") << "via stdin";
  ShellRun in = runShell("tar -cf - -C '" + dir.string() + "' streamed.txt | '" +
                         std::string(LS_CLI_PATH) + "' cp -p " + project + " - app:/tmp");
  ASSERT_EQ(in.exitCode, 0) << in.output;
  ShellRun cat = inApp("cat /tmp/streamed.txt");
  EXPECT_EQ(cat.output, "via stdin");
}

TEST_F(ContainerCli, CpFailsOnMissingPathsAndUnknownResources) {
  // Ensures a missing container path, a missing host path, an unknown resource and two host
  // paths each fail with a message naming what is missing (exit 1, or 2 for the usage error).
  ShellRun noPath = cli("cp", "app:/no/such '" + dir.string() + "'");
  EXPECT_EQ(noPath.exitCode, 1) << noPath.output;
  EXPECT_NE(noPath.output.find("/no/such"), std::string::npos) << noPath.output;
  EXPECT_NE(noPath.output.find("'app'"), std::string::npos) << noPath.output;

  ShellRun noHost = cli("cp", "'" + (dir / "missing").string() + "' app:/tmp");
  EXPECT_EQ(noHost.exitCode, 1) << noHost.output;
  EXPECT_NE(noHost.output.find("does not exist"), std::string::npos) << noHost.output;

  ShellRun unknown = cliWithManifest("cp", "nosuch:/etc/hosts '" + dir.string() + "'");
  EXPECT_EQ(unknown.exitCode, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown resource 'nosuch'"), std::string::npos) << unknown.output;

  ShellRun usage = cli("cp", "a b");
  EXPECT_EQ(usage.exitCode, 2) << usage.output;
}

TEST_F(ContainerCli, TopListsProcessesAndRefusesStoppedOrUnknownResources) {
  // Ensures `top` prints the resource's name and a ps table with its process on stdout, and a
  // stopped resource or an unknown one fails naming it.
  ShellRun top = cli("top", "app", /*quiet=*/true);
  EXPECT_EQ(top.exitCode, 0) << top.output;
  EXPECT_EQ(top.output.rfind("app (" + project + "_app)\n", 0), 0U) << top.output;
  EXPECT_NE(top.output.find("PID"), std::string::npos) << top.output;
  EXPECT_NE(top.output.find("sleep 3600"), std::string::npos) << top.output;

  ShellRun all = cli("top", "", true);
  EXPECT_EQ(all.exitCode, 0) << all.output;
  EXPECT_EQ(all.output.find("done ("), std::string::npos) << all.output;  // not running: left out

  ShellRun stopped = cli("top", "done");
  EXPECT_EQ(stopped.exitCode, 1) << stopped.output;
  EXPECT_NE(stopped.output.find("'done'"), std::string::npos) << stopped.output;
  EXPECT_NE(stopped.output.find("not running"), std::string::npos) << stopped.output;

  ShellRun unknown = cliWithManifest("top", "nosuch");
  EXPECT_EQ(unknown.exitCode, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown resource 'nosuch'"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("app, done"), std::string::npos) << unknown.output;
}

TEST_F(ContainerCli, PortPrintsTheLoopbackAddressAndNamesPublishedPortsOtherwise) {
  // Ensures `port app 80` prints 127.0.0.1:<the engine's port> alone on stdout, an unpublished
  // port fails listing what is published, a malformed port is a usage error, and a stopped
  // resource fails.
  auto listed = run(rt->listManaged(project));
  ASSERT_TRUE(listed);
  std::string expected;
  for (const auto& c : *listed) {
    if (c.resource == "app") {
      auto ports = run(rt->portMappings(c.id));
      ASSERT_TRUE(ports);
      for (const auto& p : *ports) {
        if (p.containerPort == 80 && p.hostPort) {
          expected = "127.0.0.1:" + std::to_string(*p.hostPort) + "\n";
        }
      }
    }
  }
  ASSERT_FALSE(expected.empty());
  ShellRun port = cli("port", "app 80", true);
  EXPECT_EQ(port.exitCode, 0) << port.output;
  EXPECT_EQ(port.output, expected);
  EXPECT_EQ(cli("port", "app 80/tcp", true).output, expected);

  ShellRun unknownPort = cli("port", "app 9999");
  EXPECT_EQ(unknownPort.exitCode, 1) << unknownPort.output;
  EXPECT_NE(unknownPort.output.find("'app' does not publish 9999/tcp"), std::string::npos)
      << unknownPort.output;
  EXPECT_NE(unknownPort.output.find("80/tcp -> 127.0.0.1:"), std::string::npos)
      << unknownPort.output;

  EXPECT_EQ(cli("port", "app http").exitCode, 2);
  ShellRun stopped = cli("port", "done 80");
  EXPECT_EQ(stopped.exitCode, 1) << stopped.output;
  EXPECT_NE(stopped.output.find("not running"), std::string::npos) << stopped.output;
}

TEST_F(ContainerCli, StatsSnapshotAsTableAndJson) {
  // Ensures `stats --no-stream` prints the docker stats columns with a row for the running
  // resource only, `--format json` one JSON object per container with the usage fields, and a
  // stopped resource fails naming it.
  ShellRun table = cli("stats", "--no-stream", true);
  EXPECT_EQ(table.exitCode, 0) << table.output;
  EXPECT_EQ(table.output.rfind("NAME", 0), 0U) << table.output;
  EXPECT_NE(table.output.find("MEM USAGE / LIMIT"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("\napp "), std::string::npos) << table.output;
  EXPECT_EQ(table.output.find("\ndone "), std::string::npos) << table.output;

  ShellRun json = cli("stats", "--no-stream --format json app", true);
  EXPECT_EQ(json.exitCode, 0) << json.output;
  EXPECT_EQ(json.output.rfind("{\"resource\":\"app\"", 0), 0U) << json.output;
  EXPECT_EQ(std::count(json.output.begin(), json.output.end(), '\n'), 1) << json.output;
  for (const char* field :
       {"\"cpu_percent\":", "\"memory_bytes\":", "\"pids\":", "\"net_rx_bytes\":"}) {
    EXPECT_NE(json.output.find(field), std::string::npos) << field << json.output;
  }

  ShellRun stopped = cli("stats", "--no-stream done");
  EXPECT_EQ(stopped.exitCode, 1) << stopped.output;
  EXPECT_NE(stopped.output.find("'done'"), std::string::npos) << stopped.output;
}

TEST_F(ContainerCli, StatsStreamsJsonLinesUntilInterrupted) {
  // Ensures streaming `stats --format json` keeps printing samples (two lines come) and ends
  // with 130 on SIGINT.
  const std::string script = "'" + std::string(LS_CLI_PATH) + "' stats -p " + project +
                             " --format json app > '" + (dir / "lines").string() +
                             "' 2>&1 & pid=$!; for i in $(seq 1 150); do "
                             "[ \"$(wc -l < '" +
                             (dir / "lines").string() +
                             "')\" -ge 2 ] && break; sleep 0.1; done; "
                             "kill -INT $pid; wait $pid; echo \"exit=$?\"";
  ShellRun r = runShell(script);
  EXPECT_NE(r.output.find("exit=130"), std::string::npos) << r.output;
  const std::string lines = slurp(dir / "lines");
  EXPECT_GE(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;
  EXPECT_EQ(lines.rfind("{\"resource\":\"app\"", 0), 0U) << lines;
}

}  // namespace
}  // namespace ls::testing
