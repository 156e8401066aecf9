#include "support/engine.hpp"

namespace ls::testing {
namespace {

class PingTest : public EngineTest {};

TEST_F(PingTest, NegotiatesWithTheRealEngine) {
  // Ensures the real engine answers /_ping and the negotiated version is min(ours, its own).
  const auto& ping = client->pingInfo();
  ASSERT_TRUE(ping.has_value());
  EXPECT_FALSE(ping->serverApiVersion.empty());
  EXPECT_GE(engine::compareApiVersions(ping->apiVersion, "1.40"), 0);
  EXPECT_LE(engine::compareApiVersions(ping->apiVersion, ping->serverApiVersion), 0);
  EXPECT_LE(engine::compareApiVersions(ping->apiVersion, "1.45"), 0);
  auto version = run(api->version());
  ASSERT_TRUE(version) << version.error().what();
  EXPECT_EQ(version->apiVersion, ping->serverApiVersion);
  auto info = run(api->info());
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_FALSE(info->serverVersion.empty());
}

TEST_F(PingTest, VersionedPathsAreAccepted) {
  // Ensures requests on the negotiated /v1.NN/ prefix succeed (the engine rejects too-new ones).
  std::vector<std::string> none;
  auto list = run(api->listContainers(none, true));
  ASSERT_TRUE(list) << list.error().what();
}

}  // namespace
}  // namespace ls::testing
