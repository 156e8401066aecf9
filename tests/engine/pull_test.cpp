#include "support/engine.hpp"

namespace ls::testing {
namespace {

class PullTest : public EngineTest {};

TEST_F(PullTest, PullsFromTheLoopbackRegistryWithProgress) {
  // Ensures an image pushed to the loopback registry by scripts/bootstrap can be pulled back,
  // with progress messages, after the local copy was removed.
  const std::string ref = registryAddr() + "/lightshuttle-test/busybox:latest";
  (void)run(api->removeImage(ref, true));
  std::vector<engine::PullProgress> progress;
  auto pulled =
      run(api->pullImage(ref, [&](const engine::PullProgress& p) { progress.push_back(p); }));
  ASSERT_TRUE(pulled) << pulled.error().what();
  EXPECT_FALSE(progress.empty());
  bool sawStatus = false;
  for (const auto& p : progress) {
    if (p.status.find("Status") != std::string::npos ||
        p.status.find("Pull") != std::string::npos ||
        p.status.find("Digest") != std::string::npos) {
      sawStatus = true;
    }
  }
  EXPECT_TRUE(sawStatus);
  auto image = run(api->inspectImage(ref));
  ASSERT_TRUE(image) << image.error().what();
  EXPECT_FALSE(image->id.empty());
}

TEST_F(PullTest, MissingTagIsNotFound) {
  // Ensures pulling a tag the registry does not have is NotFound with the registry's message.
  const std::string ref = registryAddr() + "/lightshuttle-test/busybox:no-such-tag-" + rng.hex(3);
  auto pulled = run(api->pullImage(ref, {}));
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code(), Errc::NotFound) << pulled.error().what();
  EXPECT_NE(pulled.error().what().find("no-such-tag"), std::string::npos);
}

}  // namespace
}  // namespace ls::testing
