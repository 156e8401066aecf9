// `validate`, `config` and `secrets check` as a black box: exit codes, stdout vs stderr, masking.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/process.hpp"

namespace {

using ls::testing::CliRun;

/// Runs the CLI in `cwd` with `env` prefixed, capturing stdout and stderr separately.
CliRun runCli(const std::filesystem::path& cwd, const std::string& env, const std::string& args) {
  return ls::testing::runCapture(cwd, env + " '" + std::string(LS_CLI_PATH) + "' " + args);
}

class ManifestCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = ls::testing::makeTempDir("lscli");
    ASSERT_FALSE(dir.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  void write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories((dir / name).parent_path());
    std::ofstream(dir / name) << text;
  }
  std::filesystem::path dir;
};

constexpr const char* kGood = R"(lightshuttle: v0
project:
  name: clitest
resources:
  db:
    postgres:
      image: lightshuttle-test/postgres:15
      password: ${env.DB_PASSWORD}
  app:
    container:
      image: lightshuttle-test/busybox:1
      env:
        LEVEL: ${env.LOG_LEVEL:-info}
        URL: ${resources.db.url}
      secrets:
        TOKEN: ${env.API_TOKEN}
)";

TEST_F(ManifestCli, ValidateFindsTheManifestUpwardAndReportsOk) {
  // Ensures validate discovers lightshuttle.yml in a parent directory and reports on stderr.
  write("lightshuttle.yml", kGood);
  std::filesystem::create_directories(dir / "sub" / "deeper");
  CliRun r = runCli(dir / "sub" / "deeper", "", "validate");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("ok, project 'clitest' with 2 resource(s)"), std::string::npos) << r.err;
}

TEST_F(ManifestCli, ValidateRendersEveryErrorWithLocationAndExitsTwo) {
  // Ensures all errors of a file are printed compiler-style (file:line:column, field, caret).
  write("lightshuttle.yml",
        "lightshuttle: v0\nproject:\n  name: x\nresources:\n  a:\n    container:\n"
        "      image: busybox:1\n      portz: [1]\n  b:\n    container:\n"
        "      image: busybox:1\n      stop_grace_period: soon\n");
  CliRun r = runCli(dir, "", "validate");
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find("lightshuttle.yml:8:7"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'ports'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lightshuttle.yml:12:26"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("^"), std::string::npos) << r.err;
}

TEST_F(ManifestCli, StrictFailsOnWarnings) {
  // Ensures an untagged image is a warning that --strict turns into exit 2.
  write("m.yml",
        "lightshuttle: v0\nproject:\n  name: x\nresources:\n  a:\n    container:\n"
        "      image: busybox\n");
  EXPECT_EQ(runCli(dir, "", "validate -f m.yml").exitCode, 0);
  CliRun strict = runCli(dir, "", "validate --strict -f m.yml");
  EXPECT_EQ(strict.exitCode, 2) << strict.err;
  EXPECT_NE(strict.err.find("warning"), std::string::npos) << strict.err;
}

TEST_F(ManifestCli, NoManifestIsAUsageError) {
  // Ensures running outside any project says which file was looked for.
  CliRun r = runCli(dir, "", "validate");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("lightshuttle.yml"), std::string::npos) << r.err;
}

TEST_F(ManifestCli, ConfigPrintsDefaultsAndMasksSecrets) {
  // Ensures config prints the resolved manifest on stdout without any secret value.
  write("lightshuttle.yml", kGood);
  CliRun r = runCli(dir, "DB_PASSWORD=hunter2-very-secret API_TOKEN=tok-123456", "config");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("clitest"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stop_grace_period"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hunter2-very-secret"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("tok-123456"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("hunter2-very-secret"), std::string::npos);
}

TEST_F(ManifestCli, SecretsCheckReportsSetDefaultedMissingWithoutValues) {
  // Ensures every variable is listed with its status and source, values never appear, and a
  // missing variable fails with exit 1.
  write("lightshuttle.yml", kGood);
  write(".env", "API_TOKEN=from-dotenv-abcdef\n");
  CliRun r = runCli(dir, "env -u DB_PASSWORD -u LOG_LEVEL", "secrets check");
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("DB_PASSWORD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("missing"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("defaulted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(".env"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("from-dotenv-abcdef"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 variable(s) missing"), std::string::npos) << r.err;

  CliRun ok = runCli(dir, "DB_PASSWORD=x", "secrets check --json");
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
  EXPECT_NE(ok.out.find(R"({"name":"DB_PASSWORD","status":"set","source":"environment")"),
            std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find(R"({"name":"LOG_LEVEL","status":"defaulted","source":"default")"),
            std::string::npos)
      << ok.out;
}

TEST_F(ManifestCli, ExampleManifestsValidate) {
  // Ensures every example shipped in examples/ validates strictly clean of errors.
  for (const auto& entry : std::filesystem::directory_iterator(LS_SOURCE_DIR "/examples")) {
    const auto file = entry.path() / "lightshuttle.yml";
    if (!std::filesystem::exists(file)) {
      continue;
    }
    CliRun r = runCli(dir, "", "validate -f '" + file.string() + "'");
    EXPECT_EQ(r.exitCode, 0) << file << "\n" << r.err;
  }
}

}  // namespace
