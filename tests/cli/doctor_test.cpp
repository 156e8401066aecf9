#include <gtest/gtest.h>

#include <string>

#include "support/env.hpp"
#include "support/process.hpp"

namespace {

using ls::testing::underCi;
using CliRun = ls::testing::ShellRun;

CliRun runCli(const std::string& envPrefix, const std::string& args) {
  return ls::testing::runShell(envPrefix + " '" + std::string(LS_CLI_PATH) + "' " + args);
}

TEST(DoctorCli, ReportsTheRealEngine) {
  // Ensures `lightshuttle doctor` names the endpoint, the versions, and checks port publishing.
  CliRun r = runCli("", "doctor");
  if (r.exitCode != 0 && r.output.find("cannot reach") != std::string::npos && !underCi()) {
    GTEST_SKIP() << "no engine here (outside CI only): " << r.output;
  }
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("endpoint      unix://"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("negotiated 1."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("port publish  ok: 127.0.0.1:"), std::string::npos) << r.output;
}

TEST(DoctorCli, UnreachableEngineExitsOneNamingTheEndpoint) {
  // Ensures an unreachable engine gives exit 1 and a message naming the endpoint and what to do.
  CliRun r = runCli("DOCKER_HOST=unix:///nonexistent/docker.sock", "doctor");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("unix:///nonexistent/docker.sock"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("DOCKER_HOST is set"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("start it"), std::string::npos) << r.output;
}

TEST(DoctorCli, BadDockerHostIsAClearError) {
  // Ensures a malformed DOCKER_HOST is reported with the variable and the accepted forms.
  CliRun r = runCli("DOCKER_HOST=gopher://x", "doctor");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("DOCKER_HOST 'gopher://x'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unix:///"), std::string::npos) << r.output;
}

TEST(DoctorCli, JsonOutputAndUsageErrors) {
  // Ensures --json prints one JSON object and an unknown flag is a usage error (exit 2).
  CliRun j = runCli("DOCKER_HOST=unix:///nonexistent/docker.sock", "doctor --json");
  EXPECT_EQ(j.exitCode, 1);
  EXPECT_NE(j.output.find("{\"endpoint\":\"unix:///nonexistent/docker.sock\""), std::string::npos)
      << j.output;
  EXPECT_NE(j.output.find("\"reachable\":false"), std::string::npos) << j.output;
  CliRun u = runCli("", "doctor --no-such-flag");
  EXPECT_EQ(u.exitCode, 2) << u.output;
  CliRun h = runCli("", "doctor --help");
  EXPECT_EQ(h.exitCode, 0) << h.output;
  EXPECT_NE(h.output.find("Examples:"), std::string::npos) << h.output;
}

}  // namespace

namespace {

TEST(CompletionCli, BashScriptIsValidAndCompletesCommandsAndFlags) {
  // Ensures the generated bash script parses and completes subcommands, nested commands and flags.
  const std::string script = "/tmp/lightshuttle-completion-test.bash";
  CliRun gen = runCli("", "completion bash > " + script);
  ASSERT_EQ(gen.exitCode, 0) << gen.output;
  EXPECT_EQ(ls::testing::runShell("bash -n " + script).exitCode, 0);
  CliRun r = ls::testing::runShell(
      "bash -c 'source " + script +
      "; COMP_WORDS=(lightshuttle d); COMP_CWORD=1; _lightshuttle; echo \"${COMPREPLY[*]}\";"
      " COMP_WORDS=(lightshuttle secrets \"\"); COMP_CWORD=2; _lightshuttle; echo "
      "\"${COMPREPLY[*]}\";"
      " COMP_WORDS=(lightshuttle up --de); COMP_CWORD=2; _lightshuttle; echo \"${COMPREPLY[*]}\"'");
  std::remove(script.c_str());
  EXPECT_EQ(r.output, "doctor down dashboard deploy\n--help -h check\n--detach\n");
}

TEST(CompletionCli, ZshAndFishScriptsNameEveryCommand) {
  // Ensures zsh and fish scripts are produced from the same command table, and a bad shell is a
  // usage error.
  CliRun zsh = runCli("", "completion zsh");
  EXPECT_EQ(zsh.exitCode, 0);
  EXPECT_NE(zsh.output.find("#compdef lightshuttle"), std::string::npos);
  CliRun fish = runCli("", "completion fish");
  EXPECT_EQ(fish.exitCode, 0);
  for (const char* cmd : {"up", "down", "ps", "logs", "exec", "restart", "validate", "config",
                          "doctor", "export", "push", "deploy", "undeploy"}) {
    EXPECT_NE(fish.output.find(std::string("-a ") + cmd + " "), std::string::npos) << cmd;
  }
  EXPECT_NE(fish.output.find("-l detach"), std::string::npos);
  EXPECT_EQ(runCli("", "completion powershell").exitCode, 2);
}

}  // namespace
