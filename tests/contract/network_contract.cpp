// The runtime contract, the project network: created once and removed once whoever asks, kept
// while a container runs on it, and never touched when it is not ours.
#include <chrono>
#include <string>
#include <vector>

#include "contract/contract.hpp"

namespace ls::contract {
namespace {

using namespace std::chrono_literals;

TEST_P(RuntimeContract, ProjectNetworkIsCreatedAndRemovedOnce) {
  // Ensures ensureProjectNetwork and teardownProjectNetwork are idempotent and say so:
  // Created then AlreadyExisted, Removed then AlreadyRemoved.
  const std::string p = project();
  auto created = run(rt().ensureProjectNetwork(p));
  ASSERT_TRUE(created) << created.error().what();
  EXPECT_EQ(*created, runtime::NetworkOutcome::Created);
  auto existed = run(rt().ensureProjectNetwork(p));
  ASSERT_TRUE(existed) << existed.error().what();
  EXPECT_EQ(*existed, runtime::NetworkOutcome::AlreadyExisted);
  auto removed = run(rt().teardownProjectNetwork(p));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, runtime::RemoveOutcome::Removed);
  auto again = run(rt().teardownProjectNetwork(p));
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(*again, runtime::RemoveOutcome::AlreadyRemoved);
}

TEST_P(RuntimeContract, ConcurrentEnsuresCreateTheNetworkOnce) {
  // Ensures 8 racing ensureProjectNetwork calls (resources starting in parallel) create the
  // network once: one Created, seven AlreadyExisted, none failing.
  const std::string p = project();
  std::vector<boost::asio::awaitable<Result<runtime::NetworkOutcome>>> racing;
  for (int i = 0; i < 8; ++i) {
    racing.push_back(rt().ensureProjectNetwork(p));
  }
  int created = 0;
  int existed = 0;
  for (const auto& outcome : runAll(std::move(racing))) {
    ASSERT_TRUE(outcome) << outcome.error().what();
    created += *outcome == runtime::NetworkOutcome::Created ? 1 : 0;
    existed += *outcome == runtime::NetworkOutcome::AlreadyExisted ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(existed, 7);
  auto removed = run(rt().teardownProjectNetwork(p));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, runtime::RemoveOutcome::Removed);
}

TEST_P(RuntimeContract, TeardownRefusesWhileAContainerRuns) {
  // Ensures the network is kept, FailedPrecondition "network_in_use", while a container of the
  // project runs on it, and removed once that container is stopped (a stopped one does not
  // count).
  auto id = startOk(spec("db", cmd::ignoresTerm()));
  ASSERT_TRUE(id);
  const std::string p = project();
  auto refused = run(rt().teardownProjectNetwork(p));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::FailedPrecondition) << refused.error().what();
  EXPECT_EQ(refused.error().reason(), "network_in_use");
  auto stopped = run(rt().stop(*id, 1s));
  ASSERT_TRUE(stopped) << stopped.error().what();
  auto removed = run(rt().teardownProjectNetwork(p));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, runtime::RemoveOutcome::Removed);
}

TEST_P(RuntimeContract, AForeignNetworkIsRefusedAndKept) {
  // Ensures a network of the project network's name that is not ours fails ensure, teardown and
  // start with FailedPrecondition "foreign_network", and is left where it was.
  const std::string p = project();
  backend().addForeignNetwork(runtime::projectNetworkName(p), {{"owner", "someone-else"}});
  auto ensured = run(rt().ensureProjectNetwork(p));
  ASSERT_FALSE(ensured);
  EXPECT_EQ(ensured.error().code(), Errc::FailedPrecondition) << ensured.error().what();
  EXPECT_EQ(ensured.error().reason(), "foreign_network");
  auto torn = run(rt().teardownProjectNetwork(p));
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error().code(), Errc::FailedPrecondition) << torn.error().what();
  EXPECT_EQ(torn.error().reason(), "foreign_network");
  const runtime::ContainerSpec web = spec("web", cmd::ignoresTerm());
  const runtime::StartOptions none;
  auto started = run(rt().start(web, none));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Errc::FailedPrecondition) << started.error().what();
  EXPECT_EQ(started.error().reason(), "foreign_network");
  auto still = run(rt().ensureProjectNetwork(p));
  ASSERT_FALSE(still);
  EXPECT_EQ(still.error().reason(), "foreign_network") << "the network was left in place";
  auto listed = run(rt().listManaged(p));
  ASSERT_TRUE(listed) << listed.error().what();
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace ls::contract
