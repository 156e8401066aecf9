// `build`, `pull` and `images` as a black box against the real engine (issue 17 item 4): the
// happy path, an unknown resource, a failing Dockerfile, a failing pull.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "support/engine.hpp"

namespace ls::testing {
namespace {

namespace fs = std::filesystem;

class ImagesCli : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    dir = makeTempDir("lsimages");
    ASSERT_FALSE(dir.empty());
    write("web/Dockerfile", "FROM lightshuttle-test/busybox:latest\nRUN echo built > /built\n");
    write("bad/Dockerfile", "FROM lightshuttle-test/busybox:latest\nRUN exit 3\n");
    write("lightshuttle.yml", "lightshuttle: v0\nproject:\n  name: " + project +
                                  "\nresources:\n"
                                  "  web:\n    dockerfile:\n      context: ./web\n"
                                  "  bad:\n    dockerfile:\n      context: ./bad\n"
                                  "  db:\n    container:\n      image: " +
                                  registryAddr() +
                                  "/lightshuttle-test/busybox:latest\n"
                                  "  ghost:\n    container:\n      image: " +
                                  registryAddr() + "/lightshuttle-test/absent-" + project + ":1\n");
  }

  void TearDown() override {
    if (api) {
      for (const char* r : {"web", "bad"}) {
        (void)run(api->removeImage("lightshuttle/" + project + "_" + r + ":dev", true));
      }
    }
    if (!dir.empty()) {
      fs::remove_all(dir);
    }
    EngineTest::TearDown();
  }

  void write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name) << text;
  }

  CliRun cli(const std::string& args) {
    return runCapture(dir, "'" + std::string(LS_CLI_PATH) + "' " + args);
  }

  fs::path dir;
};

TEST_F(ImagesCli, BuildPullAndImagesOnTheHappyPath) {
  // Ensures `build web` builds the image (id on stdout, progress on stderr), `pull db` pulls
  // from the registry, and `images` reports both (built/pulled, id, size) in a table and JSON.
  const std::string tag = "lightshuttle/" + project + "_web:dev";
  CliRun before = cli("images --format json web");
  EXPECT_EQ(before.exitCode, 0) << before.err;
  EXPECT_NE(before.out.find(R"("present":false)"), std::string::npos) << before.out;

  CliRun built = cli("build web --progress plain");
  ASSERT_EQ(built.exitCode, 0) << built.err;
  EXPECT_NE(built.out.find(tag), std::string::npos) << built.out;
  EXPECT_NE(built.out.find("sha256:"), std::string::npos) << built.out;
  EXPECT_NE(built.err.find("image_preparing"), std::string::npos) << built.err;
  EXPECT_NE(built.err.find("image_ready: built"), std::string::npos) << built.err;
  auto image = run(api->inspectImage(tag));
  ASSERT_TRUE(image) << image.error().what();
  EXPECT_NE(built.out.find(image->id), std::string::npos) << built.out;

  CliRun json = cli("build web --progress json");
  ASSERT_EQ(json.exitCode, 0) << json.err;
  EXPECT_NE(json.err.find(R"("kind":"image_ready")"), std::string::npos) << json.err;

  CliRun pulled = cli("pull db --progress plain");
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  EXPECT_NE(pulled.out.find("lightshuttle-test/busybox:latest"), std::string::npos) << pulled.out;
  EXPECT_NE(pulled.err.find("image_ready: pulled"), std::string::npos) << pulled.err;

  CliRun skipped = cli("build db");
  EXPECT_EQ(skipped.exitCode, 0) << skipped.err;
  EXPECT_NE(skipped.err.find("db: uses an image"), std::string::npos) << skipped.err;

  CliRun table = cli("images web db");
  ASSERT_EQ(table.exitCode, 0) << table.err;
  EXPECT_NE(table.out.find("RESOURCE"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(tag), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("built"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("pulled"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(image->id.substr(7, 12)), std::string::npos) << table.out;

  CliRun all = cli("images --format json");
  ASSERT_EQ(all.exitCode, 0) << all.err;
  EXPECT_NE(all.out.find(R"("resource":"web")"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(R"("source":"built")"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(R"("id":")" + image->id + "\""), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(R"("size_bytes":)"), std::string::npos) << all.out;
  EXPECT_TRUE(all.err.empty()) << all.err;
}

TEST_F(ImagesCli, UnknownResourceIsAUsageError) {
  // Ensures an unknown resource is exit 2 naming it and the known ones, for every verb.
  for (const char* verb : {"build", "pull", "images"}) {
    CliRun r = cli(std::string(verb) + " nope");
    EXPECT_EQ(r.exitCode, 2) << verb << ": " << r.err;
    EXPECT_NE(r.err.find("no resource 'nope'"), std::string::npos) << verb << ": " << r.err;
    EXPECT_NE(r.err.find("web"), std::string::npos) << verb << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << verb << ": " << r.out;
  }
}

TEST_F(ImagesCli, AFailingDockerfileOrPullIsExitOneNamingTheResource) {
  // Ensures a failing build step, or an image the registry does not have, fails the verb with
  // exit 1 naming the resource and the engine's cause, while the others still complete.
  CliRun built = cli("build web bad --progress plain");
  EXPECT_EQ(built.exitCode, 1) << built.err;
  EXPECT_NE(built.err.find("build of 'bad' failed"), std::string::npos) << built.err;
  // The failing step's exit code reaches the user; its wording is the builder's, not ours (Docker:
  // "returned a non-zero code: 3", buildah under podman: "exit status 3").
  EXPECT_TRUE(std::regex_search(built.err, std::regex(R"((code|status):? 3\b)"))) << built.err;
  EXPECT_NE(built.err.find("image_failed"), std::string::npos) << built.err;
  EXPECT_NE(built.out.find("lightshuttle/" + project + "_web:dev"), std::string::npos)
      << "web was built in parallel: " << built.out;

  CliRun pulled = cli("pull ghost");
  EXPECT_EQ(pulled.exitCode, 1) << pulled.err;
  EXPECT_NE(pulled.err.find("pull of 'ghost' failed"), std::string::npos) << pulled.err;
}

}  // namespace
}  // namespace ls::testing
