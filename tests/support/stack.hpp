// The fixture of the e2e tier: the built CLI (LS_CLI_PATH) run as a black box on a stack in a
// directory of its own, under a unique project name, against the test engine (the `docker`
// client follows DOCKER_HOST, so podman's half runs the same commands). TearDown takes the
// stack down and removes whatever is still labelled with the project.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>

#include "lightshuttle/core/rng.hpp"
#include "support/env.hpp"
#include "support/process.hpp"

namespace ls::testing {

class CliStackTest : public ::testing::Test {
 protected:
  /// `prefix` names the directory and starts the project name.
  explicit CliStackTest(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    if (sh("docker info").exitCode != 0) {
      if (underCi()) {
        FAIL() << "no " << testEngine() << " engine under CI=true";
      }
      GTEST_SKIP() << "no " << testEngine()
                   << " engine (outside CI only; scripts/bootstrap starts one)";
    }
    dir = makeTempDir(prefix_);
    ASSERT_FALSE(dir.empty());
    project = prefix_ + rng.hex(3);
  }

  void TearDown() override {
    if (dir.empty()) {
      return;
    }
    (void)cli("down --volumes --timeout 1s");
    (void)sh("docker ps -aq --filter label=lightshuttle.project=" + project +
             " | xargs -r docker rm -fv");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  /// The CLI with `args`, run in the stack's directory.
  ShellRun cli(const std::string& args) const {
    return sh("cd '" + dir.string() + "' && '" + std::string(LS_CLI_PATH) + "' " + args);
  }

  static ShellRun sh(const std::string& cmd) { return runShell(cmd); }

  /// The ids of the containers labelled with the project ("" when there are none).
  std::string labelledContainers() const {
    return sh("docker ps -aq --filter label=lightshuttle.project=" + project).output;
  }

  SystemRng rng;
  std::filesystem::path dir;
  std::string project;

 private:
  std::string prefix_;
};

}  // namespace ls::testing
