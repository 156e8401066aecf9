// `exec -i` / `exec -t` against the real engine, on a container found by its labels (no `up`):
// piped, file and /dev/null stdin, exit codes, and a TTY without a terminal on our side.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;

class ExecCli : public RuntimeEngineTest {
 protected:
  void SetUp() override {
    RuntimeEngineTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    runtime::ContainerSpec s = projectSpec("app", {"sleep", "3600"});
    s.stopGracePeriod = 1s;
    runtime::StartOptions none;
    auto id = run(rt->start(s, none));
    ASSERT_TRUE(id) << id.error().what();
  }
  void TearDown() override {
    RuntimeEngineTest::TearDown();
    if (!inputFile.empty()) {
      std::filesystem::remove(inputFile);
    }
  }

  /// `lightshuttle exec -p <project> <args>`, fed by `pipeFrom | ` or with `redirect` appended.
  ShellRun exec(const std::string& args, const std::string& pipeFrom = "",
                const std::string& redirect = "") {
    std::string cmd = "'" + std::string(LS_CLI_PATH) + "' exec -p " + project + " " + args;
    if (!redirect.empty()) {
      cmd += " " + redirect;
    }
    return runShell(pipeFrom.empty() ? cmd : pipeFrom + " | " + cmd);
  }

  std::filesystem::path inputFile;
};

TEST_F(ExecCli, InteractiveFeedsPipedFileAndNullStdinAndKeepsTheExitCode) {
  // Ensures `-i` sends piped stdin to the command (`printf 'hi\n' | exec -i app -- cat` prints
  // hi and exits 0), reads a regular file and /dev/null (which epoll cannot watch) to EOF, and
  // exits with the command's exit code.
  ShellRun piped = exec("-i app -- cat", "printf 'hi\\n'");
  EXPECT_EQ(piped.exitCode, 0) << piped.output;
  EXPECT_EQ(piped.output, "hi\n");

  ShellRun coded = exec("-i app -- sh -c 'cat; exit 3'", "printf 'one\\ntwo\\n'");
  EXPECT_EQ(coded.exitCode, 3) << coded.output;
  EXPECT_EQ(coded.output, "one\ntwo\n");

  inputFile = std::filesystem::temp_directory_path() / ("lsexec-" + project + ".txt");
  std::string big;
  for (int i = 0; i < 20000; ++i) {
    big += "line " + std::to_string(i) + "\n";
  }
  std::ofstream(inputFile) << big;
  ShellRun fromFile = exec("-i app -- wc -c", "", "< '" + inputFile.string() + "'");
  EXPECT_EQ(fromFile.exitCode, 0) << fromFile.output;
  EXPECT_NE(fromFile.output.find(std::to_string(big.size())), std::string::npos) << fromFile.output;

  ShellRun empty = exec("-i app -- cat", "", "< /dev/null");
  EXPECT_EQ(empty.exitCode, 0) << empty.output;
  EXPECT_EQ(empty.output, "");
}

TEST_F(ExecCli, TtyWithoutATerminalStillGetsOneAndMissingResourceFails) {
  // Ensures `-t` allocates the command's terminal even when ours is not one (stdin /dev/null,
  // output piped), with the exit code kept, and an unknown resource is an error (exit 1).
  ShellRun tty = exec("-t app -- sh -c 'tty; exit 4'", "", "< /dev/null");
  EXPECT_EQ(tty.exitCode, 4) << tty.output;
  EXPECT_NE(tty.output.find("/dev/pts/"), std::string::npos) << tty.output;

  ShellRun typed = exec("-it app -- sh -c 'cat; echo done'", "printf 'abc\\n'");
  EXPECT_EQ(typed.exitCode, 0) << typed.output;
  EXPECT_NE(typed.output.find("abc"), std::string::npos) << typed.output;
  EXPECT_NE(typed.output.find("done"), std::string::npos) << typed.output;

  ShellRun missing = exec("-i nosuch -- true", "", "< /dev/null");
  EXPECT_EQ(missing.exitCode, 1) << missing.output;
  EXPECT_NE(missing.output.find("not running"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace ls::testing
