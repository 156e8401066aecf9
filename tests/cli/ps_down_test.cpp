// `ps` and `down` against the real engine, from labels alone (no `up` involved).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;

using CliRun = ShellRun;

CliRun runCli(const std::string& args) {
  return runShell("'" + std::string(LS_CLI_PATH) + "' " + args);
}

class PsDownCli : public RuntimeEngineTest {
 protected:
  void TearDown() override {
    RuntimeEngineTest::TearDown();  // containers and network of this project
    if (rt) {
      (void)run(rt->removeVolume(project + "_data"));
    }
  }
};

TEST_F(PsDownCli, PsListsAndDownRemovesEverythingLabelled) {
  // Ensures ps shows the project's containers (running by default, all with -a, JSON on
  // request), and down removes containers, the network and, with --volumes, named volumes.
  runtime::StartOptions none;
  runtime::ContainerSpec web = projectSpec("web", {"sleep", "3600"});
  web.ports = {runtime::PortBinding{.containerPort = 80}};
  web.volumes = {runtime::VolumeBinding{
      .kind = runtime::VolumeBinding::Kind::Named, .source = project + "_data", .target = "/data"}};
  ASSERT_TRUE(run(rt->start(web, none)));
  auto job = run(rt->start(projectSpec("job", {"sh", "-c", "exit 2"}), none));
  ASSERT_TRUE(job);
  ASSERT_TRUE(run(api->waitContainer(job->value, "not-running", 30s)));

  CliRun table = runCli("ps -p " + project);
  EXPECT_EQ(table.exitCode, 0) << table.output;
  EXPECT_NE(table.output.find("RESOURCE"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("web"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("127.0.0.1:"), std::string::npos) << table.output;
  EXPECT_EQ(table.output.find("job"), std::string::npos) << "stopped only with -a";

  CliRun json = runCli("ps -a --format json -p " + project);
  EXPECT_EQ(json.exitCode, 0) << json.output;
  EXPECT_NE(json.output.find(R"("name":"job")"), std::string::npos) << json.output;
  EXPECT_NE(json.output.find(R"("exit_code":2)"), std::string::npos) << json.output;
  EXPECT_NE(json.output.find(R"("name":"web")"), std::string::npos) << json.output;

  CliRun down = runCli("down --volumes --timeout 1s -p " + project);
  EXPECT_EQ(down.exitCode, 0) << down.output;
  EXPECT_NE(down.output.find("removed network lightshuttle-" + project), std::string::npos)
      << down.output;
  EXPECT_NE(down.output.find("removed volume " + project + "_data"), std::string::npos)
      << down.output;
  auto left = run(rt->listManaged(project));
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
  auto net = run(api->inspectNetwork("lightshuttle-" + project));
  EXPECT_FALSE(net);

  CliRun again = runCli("down -p " + project);
  EXPECT_EQ(again.exitCode, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to remove"), std::string::npos) << again.output;
}

}  // namespace
}  // namespace ls::testing
