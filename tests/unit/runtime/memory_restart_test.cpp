// MemoryRuntime::restart: the in-place restart watch mode uses after a sync (same container, its
// filesystem kept), with stop's events, exit codes and grace, and its own fault hooks.
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "lightshuttle/runtime/memory_runtime.hpp"
#include "unit/runtime/memory_fixture.hpp"

namespace ls::runtime {
namespace {

// Its own suite: gtest wants one fixture class per suite, and the fixture's anonymous namespace
// makes it a different class in each translation unit.
class MemoryRestartTest : public MemoryRuntimeTest {};

TEST_F(MemoryRestartTest, RestartRunsTheSameContainerAgain) {
  // Ensures restart keeps the container (id, name, logs), sends die, stop, start, resets health
  // to starting and replays the script from the restart, and logs one Restart call.
  Behaviour web;
  web.healthyAfter = 2s;
  web.logs = {ScriptedLog{.at = 1s, .line = "listening"}};
  rt_.script("demo_web", web);
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "web"));
  const ContainerId id = startOk(spec);
  advance(2s);
  ASSERT_EQ(inspectOk(id).state, ContainerState::Healthy);
  auto events = subscribe("demo");
  rt_.clearCalls();

  const auto restartedAt = clock_.system();
  Result<void> restarted = await(rt_.restart(id, 10s));
  ASSERT_TRUE(restarted.has_value()) << restarted.error().what();

  EXPECT_EQ(rt_.containerNames(), (std::vector<std::string>{"demo_web"}));
  EXPECT_EQ(rt_.calls(), (std::vector<Call>{Call{Op::Restart, "demo_web"}}));
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Die, Kind::Stop, Kind::Start}));
  for (const auto& e : seen) {
    EXPECT_EQ(e.id, id);
  }
  EXPECT_EQ(seen[0].exitCode, 0);
  ContainerStatus status = inspectOk(id);
  EXPECT_EQ(status.state, ContainerState::Running);  // health "starting" again
  EXPECT_EQ(status.startedAt, restartedAt);

  advance(2s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Healthy);
  const auto health = ready(*events);
  ASSERT_EQ(kinds(health), (std::vector<Kind>{Kind::HealthStatus}));
  EXPECT_EQ(health[0].health, "healthy");
  Result<std::unique_ptr<LogChunkStream>> logs = await(rt_.logs(id, LogOptions{}));
  ASSERT_TRUE(logs.has_value());
  int lines = 0;
  for (;;) {
    Result<std::optional<LogChunk>> chunk = await((*logs)->next());
    if (!chunk.has_value() || !chunk->has_value()) {
      break;
    }
    EXPECT_EQ((*chunk)->bytes, "listening\n");
    ++lines;
  }
  EXPECT_EQ(lines, 2);  // the first run's line is kept, the second run wrote it again
}

TEST_F(MemoryRestartTest, RestartKillsAProcessThatIgnoresTheStopSignalAfterTheGrace) {
  // Ensures restart stops as `stop` does: a process ignoring SIGTERM is killed (137) once the
  // grace has passed, and only then runs again.
  Behaviour stubborn;
  stubborn.ignoresSigterm = true;
  rt_.script("demo_web", stubborn);
  const ContainerId id = startOk(makeSpec("demo", "web"));
  auto events = subscribe("demo");
  Slot<Result<void>> restarted = spawn(rt_.restart(id, 5s));
  poll();
  advance(4s);
  EXPECT_FALSE(restarted->has_value());
  advance(1s);
  ASSERT_TRUE(restarted->has_value());
  ASSERT_TRUE(restarted->value().has_value());
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Die, Kind::Stop, Kind::Start}));
  EXPECT_EQ(seen[0].exitCode, 137);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
}

TEST_F(MemoryRestartTest, RestartOfAStoppedContainerStartsIt) {
  // Ensures restart of a stopped container only starts it (as the engine: no second die).
  const ContainerId id = startOk(makeSpec("demo", "web"));
  ASSERT_TRUE(await(rt_.stop(id, 10s)).has_value());
  auto events = subscribe("demo");
  ASSERT_TRUE(await(rt_.restart(id, 10s)).has_value());
  EXPECT_EQ(kinds(ready(*events)), (std::vector<Kind>{Kind::Start}));
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
  // And a later stop reports its own stop event.
  ASSERT_TRUE(await(rt_.stop(id, 10s)).has_value());
  EXPECT_EQ(kinds(ready(*events)), (std::vector<Kind>{Kind::Die, Kind::Stop}));
}

TEST_F(MemoryRestartTest, RestartRunsTheScriptInForceAtTheRestart) {
  // Ensures the restarted process follows the script set at the restart: one that now exits at
  // once fails waitHealthy with its code, as a broken change synced into it would.
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "web"));
  Behaviour healthy;
  healthy.healthyAfter = 1s;
  rt_.script("web", healthy);
  const ContainerId id = startOk(spec);
  advance(1s);
  Behaviour broken;
  broken.exit = ScriptedExit{.after = 500ms, .code = 3, .lastLines = {"SyntaxError"}};
  rt_.script("web", broken);
  ASSERT_TRUE(await(rt_.restart(id, 10s)).has_value());
  Slot<Result<void>> ready = spawn(rt_.waitHealthy(id, 10s));
  advance(500ms);
  ASSERT_TRUE(ready->has_value());
  ASSERT_FALSE(ready->value().has_value());
  EXPECT_EQ(ready->value().error().reason(), "exited_before_ready");
  EXPECT_NE(ready->value().error().what().find("SyntaxError"), std::string::npos);
  EXPECT_EQ(inspectOk(id).exitCode, 3);
}

TEST_F(MemoryRestartTest, RestartRepublishesPortsAndKeepsFixedOnes) {
  // Ensures a fixed host port is published again after the restart (it was freed by the stop).
  ContainerSpec spec = makeSpec("demo", "web");
  spec.ports.push_back(PortBinding{.containerPort = 80, .hostAddress = {}, .hostPort = 8080});
  const ContainerId id = startOk(spec);
  ASSERT_TRUE(await(rt_.restart(id, 10s)).has_value());
  const ContainerStatus status = inspectOk(id);
  ASSERT_EQ(status.ports.size(), 1u);
  EXPECT_EQ(status.ports[0].hostPort, 8080);
}

TEST_F(MemoryRestartTest, RestartFaultsAreItsOwn) {
  // Ensures failOn(Restart) fails the call without touching the container, and a missing
  // container is NotFound.
  const ContainerId id = startOk(makeSpec("demo", "web"));
  rt_.failOn(Op::Restart, 1, failure(Errc::Unavailable, "engine unreachable"));
  Result<void> failed = await(rt_.restart(id, 10s));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Errc::Unavailable);
  EXPECT_EQ(rt_.callCount(Op::Restart), 1u);
  EXPECT_EQ(rt_.callCount(Op::Stop), 0u);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);

  Result<void> missing = await(rt_.restart(ContainerId{"nope"}, 10s));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
}

TEST_F(MemoryRestartTest, RestartOfAContainerRemovedWhileStoppingIsNotFound) {
  // Ensures a container removed during the restart's grace is reported, not resurrected.
  Behaviour slow;
  slow.shutdownTime = 3s;
  rt_.script("demo_web", slow);
  const ContainerId id = startOk(makeSpec("demo", "web"));
  Slot<Result<void>> restarted = spawn(rt_.restart(id, 10s));
  poll();
  ASSERT_TRUE(rt_.externalRemove("demo_web"));
  poll();
  ASSERT_TRUE(restarted->has_value());
  ASSERT_FALSE(restarted->value().has_value());
  EXPECT_EQ(restarted->value().error().code(), Errc::NotFound);
  EXPECT_TRUE(rt_.containerNames().empty());
}

TEST_F(MemoryRestartTest, RestartIsCancellableWhileItStops) {
  // Ensures cancelling a restart that waits out the grace ends it with Cancelled and leaves no
  // waiter behind.
  Behaviour stubborn;
  stubborn.ignoresSigterm = true;
  rt_.script("demo_web", stubborn);
  const ContainerId id = startOk(makeSpec("demo", "web"));
  asio::cancellation_signal sig;
  Slot<Result<void>> restarted = spawn(rt_.restart(id, 30s), sig);
  poll();
  EXPECT_FALSE(restarted->has_value());
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(restarted->has_value());
  ASSERT_FALSE(restarted->value().has_value());
  EXPECT_EQ(restarted->value().error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
}

}  // namespace
}  // namespace ls::runtime
