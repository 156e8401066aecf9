#include "lightshuttle/runtime/memory_runtime.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "unit/runtime/memory_fixture.hpp"

namespace ls::runtime {
namespace {

// Reads a log stream to its end.
asio::awaitable<void> drainLogs(LogChunkStream& stream, std::vector<std::string>& lines,
                                bool& ended) {
  for (;;) {
    Result<std::optional<LogChunk>> chunk = co_await stream.next();
    if (!chunk.has_value() || !chunk->has_value()) {
      ended = true;
      co_return;
    }
    lines.push_back((*chunk)->bytes);
  }
}

// The sequence a lifecycle "up then down" performs; stops at the first error.
asio::awaitable<Result<void>> upAndDown(Runtime& rt, const ContainerSpec& a, const ContainerSpec& b,
                                        const std::string& project) {
  const std::chrono::nanoseconds grace = 5s;
  StartOptions options;
  LS_CO_TRY(co_await rt.ensureProjectNetwork(project));
  LS_CO_ASSIGN_OR_RETURN(ContainerId idA, co_await rt.start(a, options));
  LS_CO_ASSIGN_OR_RETURN(ContainerId idB, co_await rt.start(b, options));
  LS_CO_TRY(co_await rt.stop(idA, grace));
  LS_CO_TRY(co_await rt.stop(idB, grace));
  LS_CO_TRY(co_await rt.remove(a.name));
  LS_CO_TRY(co_await rt.remove(b.name));
  LS_CO_TRY(co_await rt.teardownProjectNetwork(project));
  co_return ok();
}

// What `down` does after a failed `up`: remove by name, then the network.
asio::awaitable<Result<void>> cleanUp(Runtime& rt, const std::vector<std::string>& names,
                                      const std::string& project) {
  for (const auto& name : names) {
    LS_CO_TRY(co_await rt.remove(name));
  }
  LS_CO_TRY(co_await rt.teardownProjectNetwork(project));
  co_return ok();
}

// --- containers and the network: what the runtime contract (tests/contract) leaves to this
// backend: virtual times, this backend's words, the observation hooks ---------------------

TEST_F(MemoryRuntimeTest, StartAndStopTimesAreTheVirtualClocks) {
  // Ensures the start and finish times inspect reports are the virtual clock's at the start
  // and at the stop (the runtime contract checks them on every backend only for order).
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  EXPECT_EQ(inspectOk(id).startedAt, clock_.system());
  const auto startedAt = clock_.system();
  advance(3s);
  ASSERT_TRUE(await(rt_.stop(id, 10s)).has_value());
  const ContainerStatus status = inspectOk(id);
  EXPECT_EQ(status.startedAt, startedAt);
  EXPECT_EQ(status.finishedAt, clock_.system());
}

TEST_F(MemoryRuntimeTest, HealthcheckContainerStartsWithHealthStarting) {
  // Ensures a container with a healthcheck is Running (health "starting") until scripted.
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  const ContainerStatus status = inspectOk(id);
  EXPECT_TRUE(status.hasHealthcheck);
  EXPECT_EQ(status.state, ContainerState::Running);
  advance(1h);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
}

TEST_F(MemoryRuntimeTest, AMissingContainerIsNamedInTheError) {
  // Ensures the NotFound of a missing container says which, in this backend's words (the
  // runtime contract checks the category on every backend).
  const ContainerId missing{"nope"};
  Result<ContainerStatus> inspected = await(rt_.inspect(missing));
  ASSERT_FALSE(inspected.has_value());
  EXPECT_EQ(inspected.error().code(), Errc::NotFound);
  EXPECT_EQ(inspected.error().message(), "no such container 'nope'");
}

TEST_F(MemoryRuntimeTest, AnotherProjectsNetworkIsForeignAndLeftUntouched) {
  // Ensures a network of our name labelled with another project is refused like an unlabelled
  // one (the runtime contract's case), its labels left as they were.
  const std::map<std::string, std::string> otherProject{{kLabelProject, "other"}};
  rt_.addNetwork("lightshuttle-demo", otherProject);
  const std::string project = "demo";
  Result<NetworkOutcome> ensured = await(rt_.ensureProjectNetwork(project));
  ASSERT_FALSE(ensured.has_value());
  EXPECT_EQ(ensured.error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(ensured.error().reason(), "foreign_network");
  Result<RemoveOutcome> torn = await(rt_.teardownProjectNetwork(project));
  ASSERT_FALSE(torn.has_value());
  EXPECT_EQ(torn.error().reason(), "foreign_network");
  EXPECT_EQ(rt_.networkLabels("lightshuttle-demo"), otherProject);
}

TEST_F(MemoryRuntimeTest, TeardownRefusalNamesTheRunningContainer) {
  // Ensures the network_in_use refusal names the container still running on the network (the
  // runtime contract checks the refusal itself on every backend).
  const ContainerSpec spec = makeSpec("demo", "db");
  startOk(spec);
  const std::string project = "demo";
  Result<RemoveOutcome> refused = await(rt_.teardownProjectNetwork(project));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason(), "network_in_use");
  EXPECT_NE(refused.error().message().find("'demo_db'"), std::string::npos);
}

// --- ports -------------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, MissingHostPortsAreAssignedFrom32768) {
  // Ensures host ports the spec leaves open are assigned deterministically from 32768 upward.
  ContainerSpec web = makeSpec("demo", "web");
  web.ports.push_back({.containerPort = 80});
  web.ports.push_back({.containerPort = 443, .hostAddress = "0.0.0.0"});
  ContainerSpec api = makeSpec("demo", "api");
  api.ports.push_back({.containerPort = 8080});
  const ContainerStatus webStatus = inspectOk(startOk(web));
  const ContainerStatus apiStatus = inspectOk(startOk(api));
  ASSERT_EQ(webStatus.ports.size(), 2u);
  EXPECT_EQ(webStatus.ports[0].hostAddress, "127.0.0.1");
  EXPECT_EQ(webStatus.ports[0].hostPort, 32768);
  EXPECT_EQ(webStatus.ports[1].hostAddress, "0.0.0.0");
  EXPECT_EQ(webStatus.ports[1].hostPort, 32769);
  ASSERT_EQ(apiStatus.ports.size(), 1u);
  EXPECT_EQ(apiStatus.ports[0].hostPort, 32770);
}

TEST_F(MemoryRuntimeTest, AllocatedHostPortIsConflictNamingPortAndResource) {
  // Ensures a second running container claiming the same host port is Conflict "port is already
  // allocated", naming the port and the resource, and that the port frees once the holder stops.
  ContainerSpec web = makeSpec("demo", "web");
  web.ports.push_back({.containerPort = 80, .hostPort = 8080});
  ContainerSpec api = makeSpec("demo", "api");
  api.ports.push_back({.containerPort = 3000, .hostPort = 8080});
  const ContainerId webId = startOk(web);

  StartOptions options;
  Result<ContainerId> clash = await(rt_.start(api, options));
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code(), Errc::Conflict);
  EXPECT_EQ(clash.error().reason(), "port_allocated");
  const std::string message = clash.error().message();
  EXPECT_NE(message.find("port is already allocated"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1:8080"), std::string::npos) << message;
  EXPECT_NE(message.find("'api'"), std::string::npos) << message;
  EXPECT_NE(message.find("'demo_web'"), std::string::npos) << message;
  EXPECT_EQ(rt_.containerNames(), std::vector<std::string>{"demo_web"});

  ContainerSpec other = makeSpec("demo", "other");
  other.ports.push_back({.containerPort = 3000, .hostAddress = "127.0.0.2", .hostPort = 8080});
  EXPECT_TRUE(await(rt_.start(other, options)).has_value());

  ASSERT_TRUE(await(rt_.stop(webId, 1s)).has_value());
  EXPECT_TRUE(await(rt_.start(api, options)).has_value());
}

// --- images ------------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, PullPoliciesFollowTheEngine) {
  // Ensures Never/Missing/Always behave as the engine does, with NotFound for unknown images.
  rt_.addRegistryImage("postgres:16");
  rt_.addLocalImage("local-only:1");
  const std::string postgres = "postgres:16";
  const std::string localOnly = "local-only:1";
  const std::string unknown = "nowhere:1";
  int progress = 0;
  const ProgressCallback onProgress = [&progress](const ImageProgress&) { ++progress; };

  Result<void> never = await(rt_.pullImage(postgres, PullPolicy::Never, onProgress));
  ASSERT_FALSE(never.has_value());
  EXPECT_EQ(never.error().code(), Errc::NotFound);
  EXPECT_FALSE(rt_.hasLocalImage(postgres));

  EXPECT_TRUE(await(rt_.pullImage(postgres, PullPolicy::Missing, onProgress)).has_value());
  EXPECT_TRUE(rt_.hasLocalImage(postgres));
  EXPECT_GT(progress, 0);
  EXPECT_TRUE(await(rt_.pullImage(postgres, PullPolicy::Never, onProgress)).has_value());

  EXPECT_TRUE(await(rt_.pullImage(localOnly, PullPolicy::Missing, onProgress)).has_value());
  Result<void> always = await(rt_.pullImage(localOnly, PullPolicy::Always, onProgress));
  ASSERT_FALSE(always.has_value());
  EXPECT_EQ(always.error().code(), Errc::NotFound);

  Result<void> missing = await(rt_.pullImage(unknown, PullPolicy::Missing, onProgress));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_EQ(missing.error().message(), "image 'nowhere:1' not found in the registry");
}

TEST_F(MemoryRuntimeTest, StartPullsPerPolicy) {
  // Ensures start pulls a registry image it lacks (as its own Pull call) and fails NotFound,
  // creating nothing, for an image it may not pull.
  rt_.addRegistryImage("redis");
  ContainerSpec cache = makeSpec("demo", "cache");
  cache.image = PullImage{.reference = "redis"};
  startOk(cache);
  EXPECT_TRUE(rt_.hasLocalImage("redis:latest"));
  const std::vector<Call> expected{
      {Op::Start, "demo_cache"}, {Op::Pull, "redis"}, {Op::EnsureNetwork, "demo"}};
  EXPECT_EQ(rt_.calls(), expected);

  ContainerSpec never = makeSpec("demo", "never");
  never.image = PullImage{.reference = "postgres:16", .policy = PullPolicy::Never};
  StartOptions options;
  Result<ContainerId> refused = await(rt_.start(never, options));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Errc::NotFound);
  EXPECT_EQ(rt_.containerNames(), std::vector<std::string>{"demo_cache"});
}

TEST_F(MemoryRuntimeTest, BuildTagsTheImageOrFailsWithBuildFailed) {
  // Ensures a build adds its tag locally, and a scripted failure is FailedPrecondition
  // "build_failed" carrying the engine's message, also when start builds.
  BuildImage build;
  build.context = "/src/api";
  build.tag = "lightshuttle/demo_api:dev";
  const ProgressCallback none;
  Result<std::string> built = await(rt_.buildImage(build, none));
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ(built->rfind("sha256:", 0), 0u);
  EXPECT_TRUE(rt_.hasLocalImage("lightshuttle/demo_api:dev"));

  BuildImage broken;
  broken.context = "/src/worker";
  broken.tag = "lightshuttle/demo_worker:dev";
  rt_.failBuild(broken.tag, "The command '/bin/sh -c make' returned a non-zero code: 2");
  Result<std::string> failed = await(rt_.buildImage(broken, none));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(failed.error().reason(), "build_failed");
  EXPECT_NE(failed.error().message().find("returned a non-zero code: 2"), std::string::npos);

  ContainerSpec worker = makeSpec("demo", "worker");
  worker.image = broken;
  StartOptions options;
  Result<ContainerId> started = await(rt_.start(worker, options));
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().reason(), "build_failed");
  EXPECT_TRUE(rt_.containerNames().empty());

  ContainerSpec api = makeSpec("demo", "api");
  api.image = build;
  startOk(api);
}

// --- scripted behaviour ------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, HealthyAfterCompletesWaitHealthyAtThatVirtualTime) {
  // Ensures waitHealthy completes exactly when the scripted health turns healthy.
  Behaviour db;
  db.healthyAfter = 3s;
  rt_.script("demo_db", db);
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  Slot<Result<void>> waited = spawn(rt_.waitHealthy(id, 60s));
  poll();
  advance(2999ms);
  EXPECT_FALSE(waited->has_value());
  advance(1ms);
  ASSERT_TRUE(waited->has_value());
  EXPECT_TRUE((*waited)->has_value());
  EXPECT_EQ(inspectOk(id).state, ContainerState::Healthy);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

TEST_F(MemoryRuntimeTest, ScriptMatchesTheResourceName) {
  // Ensures a script keyed by resource name applies when no container-name script exists.
  Behaviour db;
  db.healthyAfter = 1s;
  rt_.script("db", db);
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  advance(1s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Healthy);
}

TEST_F(MemoryRuntimeTest, UnhealthyAtFlipsHealth) {
  // Ensures health flips to unhealthy at the scripted instant, with health_status events.
  Behaviour db;
  db.healthyAfter = 1s;
  db.unhealthyAt = 5s;
  rt_.script("demo_db", db);
  auto events = subscribe("demo");
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  advance(4s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Healthy);
  advance(1s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Unhealthy);
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Start, Kind::HealthStatus, Kind::HealthStatus}));
  EXPECT_EQ(seen[1].health, "healthy");
  EXPECT_EQ(seen[2].health, "unhealthy");
  EXPECT_EQ(seen[2].time - seen[0].time, 5s);
}

TEST_F(MemoryRuntimeTest, FailHealthAfterTurnsUnhealthyOnceRetriesFail) {
  // Ensures failing probes make the container unhealthy after retries × interval.
  Behaviour db;
  db.healthyAfter = 1s;
  db.failHealthAfter = 10s;  // healthcheck: interval 2s, retries 3 => unhealthy at 16s
  rt_.script("demo_db", db);
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  advance(15s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Healthy);
  advance(1s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Unhealthy);
}

TEST_F(MemoryRuntimeTest, ScriptedExitStopsWithCodeAndLastLines) {
  // Ensures a scripted exit stops the container with its code, time and last log lines.
  Behaviour job;
  job.exit = ScriptedExit{.after = 5s, .code = 3, .lastLines = {"fatal: no config"}};
  rt_.script("demo_job", job);
  const ContainerSpec spec = makeSpec("demo", "job");
  const ContainerId id = startOk(spec);
  advance(4s);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
  advance(1s);
  const ContainerStatus status = inspectOk(id);
  EXPECT_EQ(status.state, ContainerState::Stopped);
  EXPECT_EQ(status.exitCode, 3);
  EXPECT_FALSE(status.oomKilled);
  ASSERT_TRUE(status.startedAt && status.finishedAt);
  EXPECT_EQ(*status.finishedAt - *status.startedAt, 5s);
  EXPECT_TRUE(status.ports.empty());

  LogOptions options;
  Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, options));
  ASSERT_TRUE(stream.has_value());
  Result<std::optional<LogChunk>> line = await((*stream)->next());
  ASSERT_TRUE(line.has_value() && line->has_value());
  EXPECT_EQ((*line)->bytes, "fatal: no config\n");
  EXPECT_EQ((*line)->stream, LogChunk::Stream::Stderr);
}

TEST_F(MemoryRuntimeTest, OomAtKillsTheContainer) {
  // Ensures an OOM kill gives oom then die 137 and sets oomKilled.
  Behaviour hog;
  hog.oomAt = 2s;
  rt_.script("demo_hog", hog);
  auto events = subscribe("demo");
  const ContainerSpec spec = makeSpec("demo", "hog");
  const ContainerId id = startOk(spec);
  advance(2s);
  const ContainerStatus status = inspectOk(id);
  EXPECT_EQ(status.state, ContainerState::Stopped);
  EXPECT_EQ(status.exitCode, 137);
  EXPECT_TRUE(status.oomKilled);
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Start, Kind::Oom, Kind::Die}));
  EXPECT_EQ(seen[2].exitCode, 137);
}

TEST_F(MemoryRuntimeTest, RunningAfterKeepsTheContainerStarting) {
  // Ensures a container scripted to take time to start is Starting, then Running with its
  // start event at that time.
  Behaviour slow;
  slow.runningAfter = 2s;
  rt_.script("demo_slow", slow);
  auto events = subscribe("demo");
  const ContainerSpec spec = makeSpec("demo", "slow");
  const ContainerId id = startOk(spec);
  const auto startedAt = clock_.system() + 2s;
  EXPECT_EQ(inspectOk(id).state, ContainerState::Starting);
  EXPECT_TRUE(ready(*events).empty());
  advance(2s);
  const ContainerStatus status = inspectOk(id);
  EXPECT_EQ(status.state, ContainerState::Running);
  EXPECT_EQ(status.startedAt, startedAt);
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), std::vector<Kind>{Kind::Start});
  EXPECT_EQ(seen[0].time, startedAt);
}

TEST_F(MemoryRuntimeTest, ScriptedLogLinesAppearAtTheirTimes) {
  // Ensures scripted log lines are emitted at their virtual times with those timestamps.
  Behaviour web;
  web.logs = {ScriptedLog{.at = 1s, .line = "listening"}, ScriptedLog{.at = 3s, .line = "ready"}};
  rt_.script("demo_web", web);
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  const auto startedAt = clock_.system();
  advance(2s);
  LogOptions options;
  Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, options));
  ASSERT_TRUE(stream.has_value());
  Result<std::optional<LogChunk>> first = await((*stream)->next());
  ASSERT_TRUE(first.has_value() && first->has_value());
  EXPECT_EQ((*first)->bytes, "listening\n");
  EXPECT_EQ((*first)->timestamp, startedAt + 1s);
  Result<std::optional<LogChunk>> end = await((*stream)->next());
  ASSERT_TRUE(end.has_value());
  EXPECT_FALSE(end->has_value());
}

// --- waitHealthy -------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, WaitHealthyWithoutHealthcheckWaitsForRunning) {
  // Ensures readiness without a healthcheck means running: at once, or when Starting ends.
  const ContainerSpec web = makeSpec("demo", "web");
  const ContainerId webId = startOk(web);
  EXPECT_TRUE(await(rt_.waitHealthy(webId, 1s)).has_value());

  Behaviour slow;
  slow.runningAfter = 4s;
  rt_.script("demo_slow", slow);
  const ContainerSpec slowSpec = makeSpec("demo", "slow");
  const ContainerId slowId = startOk(slowSpec);
  Slot<Result<void>> waited = spawn(rt_.waitHealthy(slowId, 10s));
  poll();
  advance(3s);
  EXPECT_FALSE(waited->has_value());
  advance(1s);
  ASSERT_TRUE(waited->has_value());
  EXPECT_TRUE((*waited)->has_value());
}

TEST_F(MemoryRuntimeTest, WaitHealthyFailsWhenTheContainerExitsFirst) {
  // Ensures an exit before ready is FailedPrecondition "exited_before_ready" with the exit code
  // and the last log lines.
  Behaviour db;
  db.logs = {ScriptedLog{.at = 1s, .line = "initdb: starting"}};
  db.exit = ScriptedExit{.after = 2s, .code = 1, .lastLines = {"FATAL: bad password"}};
  rt_.script("demo_db", db);
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  Slot<Result<void>> waited = spawn(rt_.waitHealthy(id, 60s));
  poll();
  advance(1s);
  EXPECT_FALSE(waited->has_value());
  advance(1s);
  ASSERT_TRUE(waited->has_value());
  ASSERT_FALSE((*waited)->has_value());
  const Error& err = (*waited)->error();
  EXPECT_EQ(err.code(), Errc::FailedPrecondition);
  EXPECT_EQ(err.reason(), "exited_before_ready");
  EXPECT_NE(err.message().find("'demo_db' exited with code 1"), std::string::npos) << err.message();
  EXPECT_NE(err.message().find("initdb: starting"), std::string::npos) << err.message();
  EXPECT_NE(err.message().find("FATAL: bad password"), std::string::npos) << err.message();
}

TEST_F(MemoryRuntimeTest, WaitHealthyTimesOutInVirtualTime) {
  // Ensures waitHealthy gives Timeout once the timeout elapses in virtual time, naming the
  // last state, and not a moment earlier.
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  Slot<Result<void>> waited = spawn(rt_.waitHealthy(id, 10s));
  poll();
  advance(9999ms);
  EXPECT_FALSE(waited->has_value());
  advance(1ms);
  ASSERT_TRUE(waited->has_value());
  ASSERT_FALSE((*waited)->has_value());
  EXPECT_EQ((*waited)->error().code(), Errc::Timeout);
  EXPECT_NE((*waited)->error().message().find("10s"), std::string::npos);
  EXPECT_NE((*waited)->error().message().find("health starting"), std::string::npos);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

TEST_F(MemoryRuntimeTest, WaitHealthyIsCancellableWithoutLeaks) {
  // Ensures terminal cancellation ends waitHealthy with Cancelled and leaves no waiter or timer.
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  asio::cancellation_signal sig;
  Slot<Result<void>> waited = spawn(rt_.waitHealthy(id, 60s), sig);
  poll();
  EXPECT_EQ(rt_.pendingWaiters(), 1u);
  EXPECT_EQ(clock_.pendingTimers(), 1u);
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(waited->has_value());
  ASSERT_FALSE((*waited)->has_value());
  EXPECT_EQ((*waited)->error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

TEST_F(MemoryRuntimeTest, WaitHealthyReportsRemovalWhileWaiting) {
  // Ensures a container removed while waitHealthy waits ends the wait with NotFound.
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerId id = startOk(spec);
  Slot<Result<void>> waited = spawn(rt_.waitHealthy(id, 60s));
  poll();
  ASSERT_TRUE(rt_.externalRemove("demo_db"));
  poll();
  ASSERT_TRUE(waited->has_value());
  ASSERT_FALSE((*waited)->has_value());
  EXPECT_EQ((*waited)->error().code(), Errc::NotFound);
}

// --- stop --------------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, StopOfAContainerHonouringSigtermIsImmediate) {
  // Ensures a container that honours SIGTERM stops at once with its code: die, then stop.
  Behaviour web;
  web.sigtermExitCode = 143;
  rt_.script("demo_web", web);
  auto events = subscribe("demo");
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  Result<StopOutcome> stopped = await(rt_.stop(id, 10s));
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(inspectOk(id).exitCode, 143);
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Start, Kind::Die, Kind::Stop}));
  EXPECT_EQ(seen[1].exitCode, 143);
}

TEST_F(MemoryRuntimeTest, StopKillsASigtermIgnoringContainerAfterTheGrace) {
  // Ensures stop waits out the grace in virtual time for a container ignoring SIGTERM, then
  // kills it (exit code 137).
  Behaviour stubborn;
  stubborn.ignoresSigterm = true;
  rt_.script("demo_stubborn", stubborn);
  const ContainerSpec spec = makeSpec("demo", "stubborn");
  const ContainerId id = startOk(spec);
  Slot<Result<StopOutcome>> stopped = spawn(rt_.stop(id, 10s));
  poll();
  EXPECT_FALSE(stopped->has_value());
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
  advance(9s);
  EXPECT_FALSE(stopped->has_value());
  advance(1s);
  ASSERT_TRUE(stopped->has_value());
  ASSERT_TRUE((*stopped)->has_value());
  EXPECT_EQ(***stopped, StopOutcome::Stopped);
  const ContainerStatus status = inspectOk(id);
  EXPECT_EQ(status.state, ContainerState::Stopped);
  EXPECT_EQ(status.exitCode, 137);
}

TEST_F(MemoryRuntimeTest, StopWaitsForAShutdownWithinTheGrace) {
  // Ensures a container needing 2s to shut down stops after 2s with its own code, not killed.
  Behaviour db;
  db.shutdownTime = 2s;
  db.sigtermExitCode = 0;
  rt_.script("demo_db", db);
  const ContainerSpec spec = makeSpec("demo", "db");
  const ContainerId id = startOk(spec);
  Slot<Result<StopOutcome>> stopped = spawn(rt_.stop(id, 10s));
  poll();
  advance(1s);
  EXPECT_FALSE(stopped->has_value());
  advance(1s);
  ASSERT_TRUE(stopped->has_value());
  ASSERT_TRUE((*stopped)->has_value());
  EXPECT_EQ(inspectOk(id).exitCode, 0);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

TEST_F(MemoryRuntimeTest, StopIsCancellableDuringTheGrace) {
  // Ensures cancelling a stop waiting out its grace returns Cancelled, kills nothing and leaks
  // no waiter.
  Behaviour stubborn;
  stubborn.ignoresSigterm = true;
  rt_.script("demo_stubborn", stubborn);
  const ContainerSpec spec = makeSpec("demo", "stubborn");
  const ContainerId id = startOk(spec);
  asio::cancellation_signal sig;
  Slot<Result<StopOutcome>> stopped = spawn(rt_.stop(id, 10s), sig);
  poll();
  advance(5s);
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(stopped->has_value());
  ASSERT_FALSE((*stopped)->has_value());
  EXPECT_EQ((*stopped)->error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
  advance(1h);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
}

// --- logs --------------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, LogsFollowYieldsLinesAsEmittedAndEndsWhenStopped) {
  // Ensures a following log stream delivers each line when emitted and ends after the exit.
  Behaviour job;
  job.logs = {ScriptedLog{.at = 1s, .line = "a"}, ScriptedLog{.at = 2s, .line = "b"}};
  job.exit = ScriptedExit{.after = 3s, .code = 0, .lastLines = {"bye"}};
  rt_.script("demo_job", job);
  const ContainerSpec spec = makeSpec("demo", "job");
  const ContainerId id = startOk(spec);
  LogOptions options;
  options.follow = true;
  Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, options));
  ASSERT_TRUE(stream.has_value());
  std::vector<std::string> lines;
  bool ended = false;
  asio::co_spawn(ctx_, drainLogs(**stream, lines, ended),
                 [](std::exception_ptr e) { ls::testing::reportException(e); });
  poll();
  EXPECT_TRUE(lines.empty());
  advance(1s);
  EXPECT_EQ(lines, std::vector<std::string>{"a\n"});
  advance(1s);
  EXPECT_EQ(lines, (std::vector<std::string>{"a\n", "b\n"}));
  EXPECT_FALSE(ended);
  advance(1s);
  EXPECT_EQ(lines, (std::vector<std::string>{"a\n", "b\n", "bye\n"}));
  EXPECT_TRUE(ended);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
}

TEST_F(MemoryRuntimeTest, LogsFollowEndsWhenTheContainerIsRemoved) {
  // Ensures a following log stream ends when its container is removed.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  LogOptions options;
  options.follow = true;
  Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, options));
  ASSERT_TRUE(stream.has_value());
  std::vector<std::string> lines;
  bool ended = false;
  asio::co_spawn(ctx_, drainLogs(**stream, lines, ended),
                 [](std::exception_ptr e) { ls::testing::reportException(e); });
  poll();
  ASSERT_TRUE(rt_.writeLog("demo_web", "hello"));
  poll();
  EXPECT_EQ(lines, std::vector<std::string>{"hello\n"});
  EXPECT_FALSE(ended);
  const std::string name = spec.name;
  ASSERT_TRUE(await(rt_.remove(name)).has_value());
  EXPECT_TRUE(ended);
}

TEST_F(MemoryRuntimeTest, LogsHonourTailAndStreamSelection) {
  // Ensures tail keeps the last N selected lines and the stdout/stderr switches filter.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  ASSERT_TRUE(rt_.writeLog("demo_web", "out 1"));
  ASSERT_TRUE(rt_.writeLog("demo_web", "err 1", LogChunk::Stream::Stderr));
  ASSERT_TRUE(rt_.writeLog("demo_web", "out 2"));
  ASSERT_TRUE(rt_.writeLog("demo_web", "err 2", LogChunk::Stream::Stderr));
  ASSERT_TRUE(rt_.writeLog("demo_web", "out 3"));

  auto read = [&](const LogOptions& options) {
    std::vector<std::string> lines;
    bool ended = false;
    Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, options));
    EXPECT_TRUE(stream.has_value());
    if (stream.has_value()) {
      run(drainLogs(**stream, lines, ended));
    }
    EXPECT_TRUE(ended);
    return lines;
  };
  LogOptions tail;
  tail.tail = 2;
  EXPECT_EQ(read(tail), (std::vector<std::string>{"err 2\n", "out 3\n"}));
  LogOptions stdoutOnly;
  stdoutOnly.stderrStream = false;
  stdoutOnly.tail = 2;
  EXPECT_EQ(read(stdoutOnly), (std::vector<std::string>{"out 2\n", "out 3\n"}));
  LogOptions none;
  none.tail = 0;
  EXPECT_TRUE(read(none).empty());
}

TEST_F(MemoryRuntimeTest, LogStreamNextIsCancellable) {
  // Ensures a following stream's pending next() ends with Cancelled on terminal cancellation.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  LogOptions options;
  options.follow = true;
  Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, options));
  ASSERT_TRUE(stream.has_value());
  asio::cancellation_signal sig;
  Slot<Result<std::optional<LogChunk>>> next = spawn((*stream)->next(), sig);
  poll();
  EXPECT_FALSE(next->has_value());
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(next->has_value());
  ASSERT_FALSE((*next)->has_value());
  EXPECT_EQ((*next)->error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
}

// --- events ------------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, EventsArriveInOrderAndAreFilteredByProject) {
  // Ensures events come in engine order (start, health_status, die, stop, destroy) and a project
  // filter keeps other projects' events out.
  Behaviour db;
  db.healthyAfter = 1s;
  rt_.script("demo_db", db);
  auto demo = subscribe("demo");
  auto all = subscribe("");
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  const ContainerSpec other = makeSpec("other", "web");
  const ContainerId id = startOk(spec);
  startOk(other);
  advance(1s);
  ASSERT_TRUE(await(rt_.stop(id, 10s)).has_value());
  const std::string name = spec.name;
  ASSERT_TRUE(await(rt_.remove(name)).has_value());

  const auto seen = ready(*demo);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Start, Kind::HealthStatus, Kind::Die, Kind::Stop,
                                            Kind::Destroy}));
  for (const auto& e : seen) {
    EXPECT_EQ(e.id, id);
    EXPECT_EQ(e.name, "demo_db");
    EXPECT_EQ(e.project, "demo");
    EXPECT_EQ(e.resource, "db");
  }
  EXPECT_EQ(seen[1].health, "healthy");
  EXPECT_EQ(seen[2].exitCode, 0);
  EXPECT_EQ(ready(*all).size(), 6u);  // other_web's start too
}

TEST_F(MemoryRuntimeTest, RestartEngineBreaksStreamsWhichReconnect) {
  // Ensures an engine restart makes every open stream yield Reconnected, then carry on.
  auto events = subscribe("demo");
  const ContainerSpec web = makeSpec("demo", "web");
  startOk(web);
  rt_.restartEngine();
  const ContainerSpec api = makeSpec("demo", "api");
  startOk(api);
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::Start, Kind::Reconnected, Kind::Start}));
  EXPECT_EQ(seen[2].name, "demo_api");
  EXPECT_EQ(seen[1].project, "demo");
}

TEST_F(MemoryRuntimeTest, SlowSubscriberGetsReconnectedInsteadOfBlocking) {
  // Ensures a subscriber 1024 events behind still gets them all, and one more drops the backlog
  // for a single Reconnected marker.
  auto events = subscribe("demo");
  const ContainerSpec spec = withHealthcheck(makeSpec("demo", "db"));
  startOk(spec);  // 1 event
  bool healthy = false;
  auto flip = [&] {  // one health_status event each
    healthy = !healthy;
    return rt_.setHealth("demo_db", healthy ? Health::Healthy : Health::Unhealthy);
  };
  for (int i = 0; i < 1023; ++i) {
    ASSERT_TRUE(flip());
  }
  EXPECT_EQ(ready(*events).size(), 1024u);

  for (int i = 0; i < 1025; ++i) {
    ASSERT_TRUE(flip());
  }
  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), std::vector<Kind>{Kind::Reconnected});

  ASSERT_TRUE(rt_.crash("demo_db", 2));
  EXPECT_EQ(kinds(ready(*events)), std::vector<Kind>{Kind::Die});
}

TEST_F(MemoryRuntimeTest, ExternalActionsProduceEngineEvents) {
  // Ensures external stop, crash, health changes and removal look like the engine's events.
  const ContainerSpec web = withHealthcheck(makeSpec("demo", "web"));
  const ContainerSpec api = makeSpec("demo", "api");
  const ContainerSpec db = makeSpec("demo", "db");
  startOk(web);
  startOk(api);
  startOk(db);
  auto events = subscribe("demo");
  ASSERT_TRUE(rt_.setHealth("demo_web", Health::Healthy));
  EXPECT_FALSE(rt_.setHealth("demo_api", Health::Healthy));  // no healthcheck
  ASSERT_TRUE(rt_.externalStop("demo_web"));
  ASSERT_TRUE(rt_.crash("demo_api", 2));
  ASSERT_TRUE(rt_.oomKill("demo_db"));
  ASSERT_TRUE(rt_.externalRemove("demo_db"));
  EXPECT_FALSE(rt_.crash("demo_api", 3));  // already stopped
  EXPECT_FALSE(rt_.externalRemove("demo_nope"));

  const auto seen = ready(*events);
  ASSERT_EQ(kinds(seen), (std::vector<Kind>{Kind::HealthStatus, Kind::Die, Kind::Stop, Kind::Die,
                                            Kind::Oom, Kind::Die, Kind::Destroy}));
  EXPECT_EQ(seen[1].exitCode, 0);
  EXPECT_EQ(seen[3].exitCode, 2);
  EXPECT_EQ(seen[5].exitCode, 137);
  EXPECT_EQ(rt_.containerNames(), (std::vector<std::string>{"demo_api", "demo_web"}));
}

TEST_F(MemoryRuntimeTest, EventStreamNextIsCancellableAndCloseEndsIt) {
  // Ensures a pending next() ends with Cancelled on cancellation, and close() ends the stream.
  auto events = subscribe("demo");
  EXPECT_EQ(rt_.eventSubscribers(), 1u);
  asio::cancellation_signal sig;
  Slot<Result<RuntimeEvent>> next = spawn(events->next(), sig);
  poll();
  EXPECT_FALSE(next->has_value());
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(next->has_value());
  ASSERT_FALSE((*next)->has_value());
  EXPECT_EQ((*next)->error().code(), Errc::Cancelled);

  Slot<Result<RuntimeEvent>> pending = spawn(events->next());
  poll();
  events->close();
  poll();
  ASSERT_TRUE(pending->has_value());
  ASSERT_FALSE((*pending)->has_value());
  EXPECT_EQ(rt_.eventSubscribers(), 0u);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
}

// --- faults ------------------------------------------------------------------------------

TEST_F(MemoryRuntimeTest, FailOnFailsOnlyTheNthCallOfThatOperation) {
  // Ensures failOn fails exactly the N-th call of its operation, with the chosen error, and
  // that the faulted call has no effect.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  rt_.failOn(Op::Inspect, 2, failure(Errc::Unavailable, "engine unreachable", "engine_down"));
  rt_.failOn(Op::Stop, 1, failure(Errc::Internal));
  EXPECT_TRUE(await(rt_.inspect(id)).has_value());
  Result<ContainerStatus> second = await(rt_.inspect(id));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Errc::Unavailable);
  EXPECT_EQ(second.error().message(), "engine unreachable");
  EXPECT_EQ(second.error().reason(), "engine_down");
  EXPECT_TRUE(await(rt_.inspect(id)).has_value());

  Result<StopOutcome> stopped = await(rt_.stop(id, 1s));
  ASSERT_FALSE(stopped.has_value());
  EXPECT_EQ(stopped.error().code(), Errc::Internal);
  EXPECT_EQ(stopped.error().message(), "injected failure of stop (call 1)");
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
  EXPECT_EQ(rt_.callCount(Op::Inspect), 4u);
  EXPECT_EQ(rt_.callCount(Op::Stop), 1u);
}

TEST_F(MemoryRuntimeTest, FailOnCanFailSeveralCallsInARow) {
  // Ensures failOn with `times` fails that many consecutive calls, then calls succeed again.
  const std::string project = "demo";
  rt_.failOn(Op::ListManaged, 1, failure(Errc::Unavailable), 2);
  EXPECT_FALSE(await(rt_.listManaged(project)).has_value());
  EXPECT_FALSE(await(rt_.listManaged(project)).has_value());
  EXPECT_TRUE(await(rt_.listManaged(project)).has_value());
}

TEST_F(MemoryRuntimeTest, FailCallCountsCallsOfEveryOperation) {
  // Ensures failCall fails the N-th call overall, whatever its operation.
  const std::string project = "demo";
  rt_.failCall(3, failure(Errc::Unavailable));
  EXPECT_TRUE(await(rt_.ensureProjectNetwork(project)).has_value());
  EXPECT_TRUE(await(rt_.listManaged(project)).has_value());
  Result<RemoveOutcome> third = await(rt_.teardownProjectNetwork(project));
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().message(), "injected failure of teardown_network (call 3 overall)");
  EXPECT_EQ(rt_.networkNames().size(), 1u);
}

TEST_F(MemoryRuntimeTest, HangOnKeepsTheCallPendingUntilCancelled) {
  // Ensures a hung call never completes however much virtual time passes, and returns
  // Cancelled without a leaked waiter once its caller is cancelled.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  rt_.hangOn(Op::Stop, 1);
  asio::cancellation_signal sig;
  Slot<Result<StopOutcome>> stopped = spawn(rt_.stop(id, 1s), sig);
  poll();
  advance(24h);
  EXPECT_FALSE(stopped->has_value());
  EXPECT_EQ(rt_.pendingWaiters(), 1u);
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(stopped->has_value());
  ASSERT_FALSE((*stopped)->has_value());
  EXPECT_EQ((*stopped)->error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
}

TEST_F(MemoryRuntimeTest, HoldKeepsTheCallPendingUntilReleased) {
  // Ensures a held start does nothing until its gate is released, then proceeds normally.
  Gate gate = rt_.hold(Op::Start);
  const ContainerSpec spec = makeSpec("demo", "web");
  StartOptions options;
  Slot<Result<ContainerId>> started = spawn(rt_.start(spec, options));
  EXPECT_FALSE(gate.reached());
  poll();
  EXPECT_TRUE(gate.reached());
  advance(1h);
  EXPECT_FALSE(started->has_value());
  EXPECT_TRUE(rt_.containerNames().empty());
  gate.release();
  poll();
  ASSERT_TRUE(started->has_value());
  EXPECT_TRUE((*started)->has_value());
  EXPECT_EQ(rt_.containerNames(), std::vector<std::string>{"demo_web"});
}

TEST_F(MemoryRuntimeTest, HeldCallCanBeFailedOrCancelled) {
  // Ensures a gate can complete its held call with an error, and a held call is cancellable.
  const std::string project = "demo";
  Gate failing = rt_.hold(Op::EnsureNetwork);
  Slot<Result<NetworkOutcome>> first = spawn(rt_.ensureProjectNetwork(project));
  poll();
  failing.fail(failure(Errc::Conflict, "network is busy"));
  poll();
  ASSERT_TRUE(first->has_value());
  ASSERT_FALSE((*first)->has_value());
  EXPECT_EQ((*first)->error().code(), Errc::Conflict);
  EXPECT_TRUE(rt_.networkNames().empty());

  Gate held = rt_.hold(Op::EnsureNetwork);
  asio::cancellation_signal sig;
  Slot<Result<NetworkOutcome>> second = spawn(rt_.ensureProjectNetwork(project), sig);
  poll();
  EXPECT_TRUE(held.reached());
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(second->has_value());
  ASSERT_FALSE((*second)->has_value());
  EXPECT_EQ((*second)->error().code(), Errc::Cancelled);
  held.release();  // too late: nothing happens
  poll();
  EXPECT_TRUE(rt_.networkNames().empty());
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
}

TEST_F(MemoryRuntimeTest, CallLogRecordsOperationsInOrder) {
  // Ensures the call log lists every call in order, with container names as arguments.
  rt_.addRegistryImage("postgres:16");
  const std::string project = "demo";
  ContainerSpec spec = makeSpec("demo", "db");
  spec.image = PullImage{.reference = "postgres:16"};
  EXPECT_TRUE(await(rt_.ensureProjectNetwork(project)).has_value());
  const ContainerId id = startOk(spec);
  EXPECT_TRUE(await(rt_.waitHealthy(id, 1s)).has_value());
  EXPECT_TRUE(await(rt_.stop(id, 1s)).has_value());
  EXPECT_TRUE(await(rt_.remove(id.value)).has_value());
  EXPECT_TRUE(await(rt_.teardownProjectNetwork(project)).has_value());
  const std::vector<Call> expected{
      {Op::EnsureNetwork, "demo"}, {Op::Start, "demo_db"},        {Op::Pull, "postgres:16"},
      {Op::EnsureNetwork, "demo"}, {Op::WaitHealthy, "demo_db"},  {Op::Stop, "demo_db"},
      {Op::Remove, "demo_db"},     {Op::TeardownNetwork, "demo"},
  };
  EXPECT_EQ(rt_.calls(), expected);
  rt_.clearCalls();
  EXPECT_TRUE(rt_.calls().empty());
}

TEST_F(MemoryRuntimeTest, FailAtEveryStepLeavesNothingBehind) {
  // Ensures that, whichever call of an up-then-down sequence fails, cleaning up afterwards
  // leaves no container and no network: the loop lifecycle tests use.
  const std::string project = "demo";
  ContainerSpec db = makeSpec("demo", "db");
  ContainerSpec web = makeSpec("demo", "web");
  web.ports.push_back({.containerPort = 80, .hostPort = 8080});
  const std::vector<std::string> names{db.name, web.name};
  std::size_t failedAttempts = 0;
  for (std::size_t n = 1;; ++n) {
    ASSERT_LT(n, 100u) << "the sequence never succeeded";
    rt_.clearFaults();
    rt_.failCall(n, failure(Errc::Unavailable, "engine went away"));
    Result<void> attempt = await(upAndDown(rt_, db, web, project));
    rt_.clearFaults();
    Result<void> cleaned = await(cleanUp(rt_, names, project));
    ASSERT_TRUE(cleaned.has_value()) << cleaned.error().what();
    EXPECT_TRUE(rt_.containerNames().empty()) << "after a failure at call " << n;
    EXPECT_TRUE(rt_.networkNames().empty()) << "after a failure at call " << n;
    if (attempt.has_value()) {
      break;
    }
    EXPECT_EQ(attempt.error().code(), Errc::Unavailable);
    EXPECT_EQ(attempt.error().message(), "engine went away");
    ++failedAttempts;
  }
  // ensure, start ×2 (each with its network step), stop ×2, remove ×2, teardown.
  EXPECT_EQ(failedAttempts, 10u);
}

// --- exec --------------------------------------------------------------------------------

ExecRequest execOf(std::vector<std::string> cmd) {
  ExecRequest request;
  request.cmd = std::move(cmd);
  request.timeout = 1s;
  return request;
}

TEST_F(MemoryRuntimeTest, ExecRunsTheScriptWithTheCommandAndTheTimeSinceStart) {
  // Ensures exec hands the script the command and the virtual time since the start, and
  // returns its exit code and both outputs.
  std::vector<std::vector<std::string>> seen;
  std::vector<std::chrono::nanoseconds> at;
  rt_.scriptExec("web", [&](const std::vector<std::string>& cmd, std::chrono::nanoseconds since) {
    seen.push_back(cmd);
    at.push_back(since);
    return ExecResult{.exitCode = since >= 2s ? 0 : 7, .stdoutText = "out", .stderrText = "err"};
  });
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  const ExecRequest request = execOf({"/bin/sh", "-c", "echo hi"});
  Result<ExecResult> early = await(rt_.exec(id, request));
  ASSERT_TRUE(early.has_value()) << early.error().what();
  EXPECT_EQ(early->exitCode, 7);
  EXPECT_EQ(early->stdoutText, "out");
  EXPECT_EQ(early->stderrText, "err");
  advance(2s);
  Result<ExecResult> later = await(rt_.exec(id, request));
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->exitCode, 0);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(at, (std::vector<std::chrono::nanoseconds>{0s, 2s}));
  EXPECT_EQ(rt_.callCount(Op::Exec), 2u);
  EXPECT_EQ(rt_.calls().back(), (Call{Op::Exec, "demo_web"}));
}

TEST_F(MemoryRuntimeTest, ExecIsUnsupportedUnlessScriptedAndChecksTheContainer) {
  // Ensures exec without a script is Unsupported, a missing container NotFound, and a
  // container that is not running (not yet, or any more) Conflict.
  const ExecRequest request = execOf({"true"});
  Result<ExecResult> missing = await(rt_.exec(ContainerId{"nope"}, request));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);

  const ContainerSpec plain = makeSpec("demo", "plain");
  const ContainerId plainId = startOk(plain);
  Result<ExecResult> unscripted = await(rt_.exec(plainId, request));
  ASSERT_FALSE(unscripted.has_value());
  EXPECT_EQ(unscripted.error().code(), Errc::Unsupported);

  Behaviour slow;
  slow.runningAfter = 2s;
  slow.exit = ScriptedExit{.after = 5s, .code = 1};
  rt_.script("slow", slow);
  rt_.scriptExec("slow", [](const std::vector<std::string>&, std::chrono::nanoseconds) {
    return ExecResult{};
  });
  const ContainerSpec spec = makeSpec("demo", "slow");
  const ContainerId id = startOk(spec);
  Result<ExecResult> starting = await(rt_.exec(id, request));
  ASSERT_FALSE(starting.has_value());
  EXPECT_EQ(starting.error().code(), Errc::Conflict);
  advance(2s);
  EXPECT_TRUE(await(rt_.exec(id, request)).has_value());
  advance(3s);
  Result<ExecResult> exited = await(rt_.exec(id, request));
  ASSERT_FALSE(exited.has_value());
  EXPECT_EQ(exited.error().code(), Errc::Conflict);
}

TEST_F(MemoryRuntimeTest, ExecCapsEachOutputAndNeverEchoesTheCommandInErrors) {
  // Ensures captured outputs are capped at kExecOutputCap and an error never contains the
  // command (it may hold a secret).
  rt_.scriptExec("web", [](const std::vector<std::string>&, std::chrono::nanoseconds) {
    return ExecResult{.exitCode = 0,
                      .stdoutText = std::string(kExecOutputCap + 10, 'o'),
                      .stderrText = std::string(kExecOutputCap * 2, 'e')};
  });
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  const ExecRequest request = execOf({"redis-cli", "-a", "hunter2-secret", "ping"});
  Result<ExecResult> ran = await(rt_.exec(id, request));
  ASSERT_TRUE(ran.has_value());
  EXPECT_EQ(ran->stdoutText.size(), kExecOutputCap);
  EXPECT_EQ(ran->stderrText.size(), kExecOutputCap);
  rt_.crash("demo_web", 1);
  Result<ExecResult> stopped = await(rt_.exec(id, request));
  ASSERT_FALSE(stopped.has_value());
  EXPECT_EQ(stopped.error().what().find("hunter2"), std::string::npos);
}

TEST_F(MemoryRuntimeTest, ExecHonoursFaultsAndCancellation) {
  // Ensures exec is counted and faulted like every operation, and a hung exec ends with
  // Cancelled and no leaked waiter when its caller is cancelled.
  rt_.scriptExec("web", [](const std::vector<std::string>&, std::chrono::nanoseconds) {
    return ExecResult{};
  });
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  const ExecRequest request = execOf({"true"});
  rt_.failOn(Op::Exec, 1, failure(Errc::Unavailable));
  Result<ExecResult> failed = await(rt_.exec(id, request));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Errc::Unavailable);
  rt_.hangOn(Op::Exec, 2);
  asio::cancellation_signal sig;
  Slot<Result<ExecResult>> hung = spawn(rt_.exec(id, request), sig);
  poll();
  advance(1h);
  EXPECT_FALSE(hung->has_value());
  EXPECT_EQ(rt_.pendingWaiters(), 1u);
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(hung->has_value());
  EXPECT_EQ((*hung)->error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);
  EXPECT_EQ(opName(Op::Exec), "exec");
}

// --- the wider surface (issue 7) ------------------------------------------------------------

TEST_F(MemoryRuntimeTest, KillTerminatesWithTheSignalAndWaitSaysWhich) {
  // Ensures kill ends a running container with 128+N, and a pending wait reports the signal by
  // its name from the host table, with the finish time.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  Slot<Result<WaitOutcome>> waited = spawn(rt_.wait(id, WaitCondition::NotRunning));
  poll();
  EXPECT_FALSE(waited->has_value());
  advance(2s);
  ASSERT_TRUE(await(rt_.kill(id, "term")).has_value());
  poll();
  ASSERT_TRUE(waited->has_value());
  ASSERT_TRUE((*waited)->has_value()) << (*waited)->error().what();
  const WaitOutcome& out = ***waited;
  EXPECT_EQ(out.exitCode, 143);
  EXPECT_EQ(out.reason, WaitReason::Signal);
  EXPECT_EQ(out.signal, "SIGTERM");
  EXPECT_EQ(out.finishedAt, clock_.system());
  const ContainerStatus st = inspectOk(id);
  EXPECT_EQ(st.state, ContainerState::Stopped);
  EXPECT_EQ(st.exitCode, 143);
  const std::vector<Call>& calls = rt_.calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[calls.size() - 3], (Call{Op::Wait, "demo_web"}));
  EXPECT_EQ(calls[calls.size() - 2], (Call{Op::Kill, "demo_web"}));
  EXPECT_EQ(rt_.callCount(Op::Kill), 1u);
  EXPECT_EQ(opName(Op::Kill), "kill");
  EXPECT_EQ(opName(Op::Wait), "wait");
}

TEST_F(MemoryRuntimeTest, KillValidatesTheSignalFirstThenTheContainerState) {
  // Ensures an unknown signal is InvalidArgument even for a missing container (as the engine
  // parses it first), a missing container NotFound, a stopped one Conflict, and the default
  // signal SIGKILL (exit 137).
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  Result<void> bad = await(rt_.kill(id, "SIGNOPE"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
  EXPECT_NE(bad.error().what().find("SIGNOPE"), std::string::npos);
  Result<void> badMissing = await(rt_.kill(ContainerId{"nope"}, "99999"));
  ASSERT_FALSE(badMissing.has_value());
  EXPECT_EQ(badMissing.error().code(), Errc::InvalidArgument);
  Result<void> missing = await(rt_.kill(ContainerId{"nope"}, "SIGTERM"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
  ASSERT_TRUE(await(rt_.kill(id, "")).has_value());
  const ContainerStatus st = inspectOk(id);
  EXPECT_EQ(st.exitCode, 137);
  Result<void> again = await(rt_.kill(id, "SIGKILL"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Errc::Conflict);
  Result<WaitOutcome> out = await(rt_.wait(id, WaitCondition::NotRunning));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->signal, "SIGKILL");
}

TEST_F(MemoryRuntimeTest, NonTerminatingAndIgnoredSignalsChangeNothing) {
  // Ensures SIGCHLD, SIGWINCH, SIGURG and SIGCONT (also by number) leave the container running,
  // SIGTERM is ignored by a container scripted to ignore it, and another signal (SIGUSR1, 10)
  // still ends it with 138.
  Behaviour stubborn;
  stubborn.ignoresSigterm = true;
  rt_.script("web", stubborn);
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  for (const char* sig : {"SIGCHLD", "winch", "SIGURG", "SIGCONT", "28", "SIGTERM"}) {
    ASSERT_TRUE(await(rt_.kill(id, sig)).has_value()) << sig;
    EXPECT_EQ(inspectOk(id).state, ContainerState::Running) << sig;
  }
  ASSERT_TRUE(await(rt_.kill(id, "usr1")).has_value());
  Result<WaitOutcome> out = await(rt_.wait(id, WaitCondition::NotRunning));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->exitCode, 138);
  EXPECT_EQ(out->signal, "SIGUSR1");
}

TEST_F(MemoryRuntimeTest, PauseFreezesTheContainerUntilUnpause) {
  // Ensures a paused container shows paused in inspect, refuses exec, is not ready, and does
  // nothing it was scripted to do while frozen: its log line and its exit come later by the
  // time it was frozen.
  Behaviour b;
  b.logs.push_back(ScriptedLog{.at = 3s, .line = "tick"});
  b.exit = ScriptedExit{.after = 5s, .code = 4};
  rt_.script("web", b);
  rt_.scriptExec("web", [](const std::vector<std::string>&, std::chrono::nanoseconds) {
    return ExecResult{};
  });
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  advance(1s);
  ASSERT_TRUE(await(rt_.pause(id)).has_value());
  ContainerStatus st = inspectOk(id);
  EXPECT_TRUE(st.paused);
  EXPECT_EQ(st.state, ContainerState::Starting);
  Result<ContainerDetails> details = await(rt_.inspectDetailed(id));
  ASSERT_TRUE(details.has_value());
  EXPECT_TRUE(details->status.paused);
  const ExecRequest request = execOf({"true"});
  Result<ExecResult> frozenExec = await(rt_.exec(id, request));
  ASSERT_FALSE(frozenExec.has_value());
  EXPECT_EQ(frozenExec.error().code(), Errc::Conflict);
  Slot<Result<void>> ready = spawn(rt_.waitHealthy(id, 1h));
  advance(10s);  // t = 11s
  EXPECT_FALSE(ready->has_value()) << "a paused container is not ready";
  EXPECT_EQ(inspectOk(id).state, ContainerState::Starting);
  Result<void> twice = await(rt_.pause(id));
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code(), Errc::Conflict);

  ASSERT_TRUE(await(rt_.unpause(id)).has_value());
  poll();
  ASSERT_TRUE(ready->has_value());
  EXPECT_TRUE((*ready)->has_value());
  st = inspectOk(id);
  EXPECT_FALSE(st.paused);
  EXPECT_EQ(st.state, ContainerState::Running);
  LogOptions all;
  auto logsNow = [&]() {
    Result<std::unique_ptr<LogChunkStream>> stream = await(rt_.logs(id, all));
    std::vector<std::string> lines;
    bool ended = false;
    run(drainLogs(**stream, lines, ended));
    return lines;
  };
  advance(1900ms);  // t = 12.9s: 2.9s of running time
  EXPECT_TRUE(logsNow().empty());
  advance(100ms);  // t = 13s: the 3s line
  EXPECT_EQ(logsNow(), (std::vector<std::string>{"tick\n"}));
  advance(1999ms);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);
  advance(1ms);  // t = 15s: the 5s exit
  st = inspectOk(id);
  EXPECT_EQ(st.state, ContainerState::Stopped);
  EXPECT_EQ(st.exitCode, 4);
  Result<void> stopped = await(rt_.unpause(id));
  ASSERT_FALSE(stopped.has_value());
  EXPECT_EQ(stopped.error().code(), Errc::Conflict);
  Result<void> pauseStopped = await(rt_.pause(id));
  ASSERT_FALSE(pauseStopped.has_value());
  EXPECT_EQ(pauseStopped.error().code(), Errc::Conflict);
}

TEST_F(MemoryRuntimeTest, SignalsToAFrozenContainer) {
  // Ensures SIGSTOP freezes like pause and SIGCONT thaws it; a terminating signal sent to a
  // frozen container waits until it is thawed, while SIGKILL ends it at once.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  ASSERT_TRUE(await(rt_.kill(id, "SIGSTOP")).has_value());
  EXPECT_TRUE(inspectOk(id).paused);
  ASSERT_TRUE(await(rt_.kill(id, "SIGCONT")).has_value());
  EXPECT_FALSE(inspectOk(id).paused);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running);

  ASSERT_TRUE(await(rt_.pause(id)).has_value());
  ASSERT_TRUE(await(rt_.kill(id, "SIGCONT")).has_value());
  EXPECT_TRUE(inspectOk(id).paused) << "SIGCONT does not thaw a paused cgroup";
  ASSERT_TRUE(await(rt_.kill(id, "SIGTERM")).has_value());
  advance(1h);
  EXPECT_TRUE(inspectOk(id).paused);
  ASSERT_TRUE(await(rt_.unpause(id)).has_value());
  ContainerStatus st = inspectOk(id);
  EXPECT_EQ(st.state, ContainerState::Stopped);
  EXPECT_EQ(st.exitCode, 143);

  const ContainerSpec other = makeSpec("demo", "db");
  const ContainerId otherId = startOk(other);
  ASSERT_TRUE(await(rt_.pause(otherId)).has_value());
  ASSERT_TRUE(await(rt_.kill(otherId, "KILL")).has_value());
  st = inspectOk(otherId);
  EXPECT_EQ(st.state, ContainerState::Stopped);
  EXPECT_EQ(st.exitCode, 137);
  EXPECT_FALSE(st.paused);
}

TEST_F(MemoryRuntimeTest, StopCannotReachAFrozenProcess) {
  // Ensures stop of a paused container waits out its grace and kills it (137).
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  ASSERT_TRUE(await(rt_.pause(id)).has_value());
  Slot<Result<StopOutcome>> stopped = spawn(rt_.stop(id, 3s));
  poll();
  advance(2999ms);
  EXPECT_FALSE(stopped->has_value());
  advance(1ms);
  ASSERT_TRUE(stopped->has_value());
  EXPECT_EQ(***stopped, StopOutcome::Stopped);
  EXPECT_EQ(inspectOk(id).exitCode, 137);
}

TEST_F(MemoryRuntimeTest, WaitConditions) {
  // Ensures not-running returns at once for a stopped container, next-exit waits for the next
  // exit (even of a running one, and for a stopped one until it is removed), removed waits for
  // the removal and reports the exit code only; an OOM kill is OomKilled.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  Slot<Result<WaitOutcome>> nextExit = spawn(rt_.wait(id, WaitCondition::NextExit));
  Slot<Result<WaitOutcome>> removed = spawn(rt_.wait(id, WaitCondition::Removed));
  poll();
  EXPECT_FALSE(nextExit->has_value());
  rt_.crash("demo_web", 3);
  poll();
  ASSERT_TRUE(nextExit->has_value());
  EXPECT_EQ((*nextExit)->value().exitCode, 3);
  EXPECT_EQ((*nextExit)->value().reason, WaitReason::Exited);
  EXPECT_FALSE(removed->has_value());

  Result<WaitOutcome> notRunning = await(rt_.wait(id, WaitCondition::NotRunning));
  ASSERT_TRUE(notRunning.has_value());
  EXPECT_EQ(notRunning->exitCode, 3);
  Slot<Result<WaitOutcome>> nextOfStopped = spawn(rt_.wait(id, WaitCondition::NextExit));
  advance(1h);
  EXPECT_FALSE(nextOfStopped->has_value());
  ASSERT_TRUE(await(rt_.remove("demo_web")).has_value());
  poll();
  ASSERT_TRUE(removed->has_value());
  ASSERT_TRUE((*removed)->has_value());
  EXPECT_EQ((*removed)->value().exitCode, 3);
  EXPECT_FALSE((*removed)->value().finishedAt) << "a removed container has only its exit code";
  ASSERT_TRUE(nextOfStopped->has_value());
  EXPECT_EQ((*nextOfStopped)->value().exitCode, 3);
  Result<WaitOutcome> gone = await(rt_.wait(id, WaitCondition::NotRunning));
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code(), Errc::NotFound);

  const ContainerSpec db = makeSpec("demo", "db");
  const ContainerId dbId = startOk(db);
  Slot<Result<WaitOutcome>> dbWait = spawn(rt_.wait(dbId, WaitCondition::NotRunning));
  poll();
  rt_.oomKill("demo_db");
  poll();
  ASSERT_TRUE(dbWait->has_value());
  EXPECT_EQ((*dbWait)->value().reason, WaitReason::OomKilled);
  EXPECT_EQ((*dbWait)->value().exitCode, 137);
  EXPECT_FALSE((*dbWait)->value().signal);

  const ContainerSpec cache = makeSpec("demo", "cache");
  const ContainerId cacheId = startOk(cache);
  Slot<Result<WaitOutcome>> removedRunning = spawn(rt_.wait(cacheId, WaitCondition::Removed));
  poll();
  ASSERT_TRUE(await(rt_.remove("demo_cache")).has_value());
  poll();
  ASSERT_TRUE(removedRunning->has_value());
  EXPECT_EQ((*removedRunning)->value().exitCode, 137);
  EXPECT_EQ((*removedRunning)->value().signal, "SIGKILL");
}

TEST_F(MemoryRuntimeTest, WaitIsCancellableAndFaultable) {
  // Ensures a wait ends with Cancelled (no leaked waiter) when its caller is cancelled, and
  // that wait and kill are counted and faulted like every operation.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  asio::cancellation_signal sig;
  Slot<Result<WaitOutcome>> waited = spawn(rt_.wait(id, WaitCondition::NotRunning), sig);
  poll();
  EXPECT_EQ(rt_.pendingWaiters(), 1u);
  sig.emit(asio::cancellation_type::terminal);
  poll();
  ASSERT_TRUE(waited->has_value());
  EXPECT_EQ((*waited)->error().code(), Errc::Cancelled);
  EXPECT_EQ(rt_.pendingWaiters(), 0u);

  rt_.failOn(Op::Kill, 1, failure(Errc::Unavailable));
  Result<void> failed = await(rt_.kill(id, "SIGTERM"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Errc::Unavailable);
  EXPECT_EQ(inspectOk(id).state, ContainerState::Running) << "a faulted call has no effect";
  Gate gate = rt_.hold(Op::Pause);
  Slot<Result<void>> paused = spawn(rt_.pause(id));
  poll();
  EXPECT_TRUE(gate.reached());
  EXPECT_FALSE(inspectOk(id).paused);
  gate.release();
  poll();
  ASSERT_TRUE(paused->has_value());
  EXPECT_TRUE(inspectOk(id).paused);
}

TEST_F(MemoryRuntimeTest, RenameKeepsTheContainerUnderItsNewName) {
  // Ensures rename makes the new name address the container (and the old one nothing),
  // refuses a name the engine refuses or the current one (InvalidArgument) and a taken one
  // (Conflict).
  const ContainerSpec web = makeSpec("demo", "web");
  const ContainerSpec db = makeSpec("demo", "db");
  const ContainerId id = startOk(web);
  startOk(db);
  ASSERT_TRUE(await(rt_.rename(id, "demo_front")).has_value());
  EXPECT_EQ(rt_.calls().back(), (Call{Op::Rename, "demo_web"}));
  EXPECT_EQ(rt_.containerNames(), (std::vector<std::string>{"demo_db", "demo_front"}));
  ContainerStatus st = inspectOk(ContainerId{"demo_front"});
  EXPECT_EQ(st.state, ContainerState::Running);
  Result<ContainerStatus> old = await(rt_.inspect(ContainerId{"demo_web"}));
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().code(), Errc::NotFound);
  for (const char* bad : {"x", "-front", "a b", "demo/front", "demo_front"}) {
    Result<void> r = await(rt_.rename(id, bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument) << bad;
  }
  Result<void> taken = await(rt_.rename(id, "demo_db"));
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code(), Errc::Conflict);
  Result<void> missing = await(rt_.rename(ContainerId{"nope"}, "other"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
}

TEST_F(MemoryRuntimeTest, PortMappingsAndDetailedInspect) {
  // Ensures portMappings lists the allocated bindings, and inspectDetailed the name, image,
  // ports, the project network with the resource alias and an address, the health details,
  // the pid while running and the engine's labels; a stopped container keeps neither ports,
  // pid nor address, and has its exit code.
  ContainerSpec spec = withHealthcheck(makeSpec("demo", "web"));
  spec.ports.push_back({.containerPort = 80, .hostPort = 8080});
  spec.ports.push_back({.containerPort = 53, .protocol = Protocol::Udp});
  spec.labels["team"] = "core";
  const ContainerId id = startOk(spec);
  Result<std::vector<PortMapping>> ports = await(rt_.portMappings(id));
  ASSERT_TRUE(ports.has_value());
  ASSERT_EQ(ports->size(), 2u);
  EXPECT_EQ(ports->at(0).containerPort, 53);
  EXPECT_EQ(ports->at(0).protocol, Protocol::Udp);
  EXPECT_EQ(ports->at(0).hostIp, "127.0.0.1");
  EXPECT_EQ(ports->at(0).hostPort, 32768);
  EXPECT_EQ(ports->at(1).containerPort, 80);
  EXPECT_EQ(ports->at(1).hostPort, 8080);
  EXPECT_EQ(rt_.calls().back(), (Call{Op::PortMappings, "demo_web"}));

  Result<ContainerDetails> d = await(rt_.inspectDetailed(id));
  ASSERT_TRUE(d.has_value()) << d.error().what();
  EXPECT_EQ(d->name, "demo_web");
  EXPECT_EQ(d->image, "busybox:1");
  EXPECT_EQ(d->status.state, ContainerState::Running);
  EXPECT_EQ(d->ports.size(), 2u);
  ASSERT_EQ(d->networks.size(), 1u);
  EXPECT_EQ(d->networks[0].network, "lightshuttle-demo");
  EXPECT_EQ(d->networks[0].aliases, (std::vector<std::string>{"web"}));
  EXPECT_FALSE(d->networks[0].ipv4.empty());
  EXPECT_EQ(d->health.status, "starting");
  EXPECT_TRUE(d->pid.has_value());
  EXPECT_EQ(d->labels.at("team"), "core");
  EXPECT_EQ(d->labels.at(kLabelProject), "demo");
  EXPECT_EQ(d->labels.at(kLabelResource), "web");
  EXPECT_EQ(d->labels.at(kLabelConfigHash), configHash(spec));
  rt_.setHealth("demo_web", Health::Unhealthy);
  d = await(rt_.inspectDetailed(id));
  EXPECT_EQ(d->health.status, "unhealthy");
  EXPECT_EQ(d->health.failingStreak, 3);

  rt_.crash("demo_web", 2);
  d = await(rt_.inspectDetailed(id));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->status.state, ContainerState::Stopped);
  EXPECT_EQ(d->status.exitCode, 2);
  EXPECT_TRUE(d->ports.empty());
  EXPECT_FALSE(d->pid);
  EXPECT_TRUE(d->networks.at(0).ipv4.empty());
  Result<ContainerDetails> missing = await(rt_.inspectDetailed(ContainerId{"nope"}));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
}

TEST_F(MemoryRuntimeTest, ExecStreamYieldsOutputThenExactlyOneExit) {
  // Ensures a streamed exec gives stdout, stderr, then one Exit with the script's code, then
  // the end; closing before the Exit makes next Cancelled; the exec checks apply.
  rt_.scriptExec("web", [](const std::vector<std::string>& cmd, std::chrono::nanoseconds) {
    return ExecResult{
        .exitCode = cmd.size() > 1 ? 3 : 0, .stdoutText = "out\n", .stderrText = "err\n"};
  });
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  const ExecRequest request = execOf({"sh", "-c", "exit 3"});
  Result<std::unique_ptr<ExecEventStream>> stream = await(rt_.execStream(id, request));
  ASSERT_TRUE(stream.has_value()) << stream.error().what();
  std::vector<ExecEvent::Kind> kinds;
  std::string out;
  int exits = 0;
  int code = -1;
  for (;;) {
    Result<std::optional<ExecEvent>> e = await((*stream)->next());
    ASSERT_TRUE(e.has_value());
    if (!*e) {
      break;
    }
    kinds.push_back((*e)->kind);
    if ((*e)->kind == ExecEvent::Kind::Exit) {
      ++exits;
      code = (*e)->exitCode;
    } else {
      out += (*e)->bytes;
    }
  }
  EXPECT_EQ(kinds, (std::vector<ExecEvent::Kind>{ExecEvent::Kind::Stdout, ExecEvent::Kind::Stderr,
                                                 ExecEvent::Kind::Exit}));
  EXPECT_EQ(out, "out\nerr\n");
  EXPECT_EQ(exits, 1);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(rt_.calls().back(), (Call{Op::ExecStream, "demo_web"}));

  Result<std::unique_ptr<ExecEventStream>> closed = await(rt_.execStream(id, request));
  ASSERT_TRUE(closed.has_value());
  (*closed)->close();
  Result<std::optional<ExecEvent>> after = await((*closed)->next());
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().code(), Errc::Cancelled);

  ASSERT_TRUE(await(rt_.pause(id)).has_value());
  Result<std::unique_ptr<ExecEventStream>> paused = await(rt_.execStream(id, request));
  ASSERT_FALSE(paused.has_value());
  EXPECT_EQ(paused.error().code(), Errc::Conflict);
  const ContainerSpec plain = makeSpec("demo", "plain");
  const ContainerId plainId = startOk(plain);
  Result<std::unique_ptr<ExecEventStream>> unscripted = await(rt_.execStream(plainId, request));
  ASSERT_FALSE(unscripted.has_value());
  EXPECT_EQ(unscripted.error().code(), Errc::Unsupported);
}

TEST_F(MemoryRuntimeTest, PruneContainersRemovesOnlyStoppedOnes) {
  // Ensures prune removes every stopped container (with a destroy event) and keeps the others.
  auto events = subscribe("demo");
  const ContainerSpec web = makeSpec("demo", "web");
  const ContainerSpec db = makeSpec("demo", "db");
  const ContainerId webId = startOk(web);
  startOk(db);
  rt_.crash("demo_web", 1);
  Result<PruneReport> report = await(rt_.pruneContainers());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->deleted, (std::vector<std::string>{webId.value}));
  EXPECT_EQ(rt_.containerNames(), (std::vector<std::string>{"demo_db"}));
  EXPECT_EQ(kinds(ready(*events)).back(), Kind::Destroy);
  EXPECT_EQ(rt_.calls().back(), (Call{Op::PruneContainers, ""}));
}

TEST_F(MemoryRuntimeTest, ImagesListTagAndRemove) {
  // Ensures the local images are listed with their tags, tagImage adds a tag to the image a
  // reference or id names, and removeImage untags (deleting with the last tag), refusing what
  // the engine refuses: a last tag or an id used by a container without force, an id with
  // several tags without force, and an id used by a running container even with force.
  Result<std::vector<ImageSummary>> listed = await(rt_.listImages());
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  const std::string busybox = listed->at(0).id;
  EXPECT_EQ(busybox.substr(0, 7), "sha256:");
  EXPECT_EQ(busybox.size(), 71u);
  EXPECT_EQ(listed->at(0).repoTags, (std::vector<std::string>{"busybox:1"}));

  ASSERT_TRUE(await(rt_.tagImage("busybox:1", "127.0.0.1:5000/tools/busybox")).has_value());
  ASSERT_TRUE(await(rt_.tagImage(busybox.substr(7, 12), "mine:v2")).has_value());
  EXPECT_EQ(rt_.calls().back(), (Call{Op::TagImage, busybox.substr(7, 12)}));
  EXPECT_TRUE(rt_.hasLocalImage("mine:v2"));
  listed = await(rt_.listImages());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).repoTags, (std::vector<std::string>{"127.0.0.1:5000/tools/busybox:latest",
                                                              "busybox:1", "mine:v2"}));
  for (const char* bad : {"", "repo@sha256:abc", ":tag", "repo:"}) {
    Result<void> r = await(rt_.tagImage("busybox:1", bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument) << bad;
  }
  Result<void> noSource = await(rt_.tagImage("nope:1", "x:1"));
  ASSERT_FALSE(noSource.has_value());
  EXPECT_EQ(noSource.error().code(), Errc::NotFound);

  Result<std::vector<std::string>> byIdTagged = await(rt_.removeImage(busybox, false));
  ASSERT_FALSE(byIdTagged.has_value());
  EXPECT_EQ(byIdTagged.error().code(), Errc::Conflict) << "several tags";
  Result<std::vector<std::string>> untagged = await(rt_.removeImage("mine:v2", false));
  ASSERT_TRUE(untagged.has_value());
  EXPECT_EQ(*untagged, (std::vector<std::string>{"mine:v2"}));
  ASSERT_TRUE(await(rt_.removeImage("127.0.0.1:5000/tools/busybox", false)).has_value());

  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  Result<std::vector<std::string>> inUse = await(rt_.removeImage("busybox:1", false));
  ASSERT_FALSE(inUse.has_value());
  EXPECT_EQ(inUse.error().code(), Errc::Conflict);
  EXPECT_NE(inUse.error().what().find("running container"), std::string::npos);
  Result<std::vector<std::string>> runningById = await(rt_.removeImage(busybox, true));
  ASSERT_FALSE(runningById.has_value());
  EXPECT_EQ(runningById.error().code(), Errc::Conflict);
  Result<std::vector<std::string>> forced = await(rt_.removeImage("busybox:1", true));
  ASSERT_TRUE(forced.has_value());
  EXPECT_EQ(*forced, (std::vector<std::string>{"busybox:1"})) << "kept for the running container";
  EXPECT_FALSE(rt_.hasLocalImage("busybox:1"));
  listed = await(rt_.listImages());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->at(0).repoTags.empty());

  ASSERT_TRUE(await(rt_.stop(id, 1s)).has_value());
  Result<std::vector<std::string>> stoppedUser = await(rt_.removeImage(busybox, false));
  ASSERT_FALSE(stoppedUser.has_value());
  EXPECT_EQ(stoppedUser.error().code(), Errc::Conflict);
  Result<std::vector<std::string>> deleted = await(rt_.removeImage(busybox, true));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, (std::vector<std::string>{busybox}));
  EXPECT_TRUE(await(rt_.listImages())->empty());
  Result<std::vector<std::string>> missing = await(rt_.removeImage("busybox:1", false));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_EQ(rt_.calls().back(), (Call{Op::RemoveImage, "busybox:1"}));
}

TEST_F(MemoryRuntimeTest, PulledAndBuiltImagesAreListed) {
  // Ensures a pulled image and a built one appear in the list, and the last tag of an unused
  // image deletes it.
  rt_.addRegistryImage("redis:7");
  ASSERT_TRUE(await(rt_.pullImage("redis:7", PullPolicy::Missing, {})).has_value());
  BuildImage build;
  build.context = "/src";
  build.tag = "demo/api:dev";
  Result<std::string> built = await(rt_.buildImage(build, {}));
  ASSERT_TRUE(built.has_value());
  Result<std::vector<ImageSummary>> listed = await(rt_.listImages());
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->size(), 3u);
  bool found = false;
  for (const auto& img : *listed) {
    if (img.id == *built) {
      found = true;
      EXPECT_EQ(img.repoTags, (std::vector<std::string>{"demo/api:dev"}));
    }
  }
  EXPECT_TRUE(found);
  Result<std::vector<std::string>> removed = await(rt_.removeImage("redis:7", false));
  ASSERT_TRUE(removed.has_value());
  ASSERT_EQ(removed->size(), 2u);
  EXPECT_EQ(removed->at(0), "redis:7");
  EXPECT_EQ(removed->at(1).substr(0, 7), "sha256:");
  EXPECT_EQ(await(rt_.listImages())->size(), 2u);
}

TEST_F(MemoryRuntimeTest, WhatTheMemoryBackendDoesNotModelIsUnsupported) {
  // Ensures the operations without a meaning here are Unsupported, never a silent success.
  const ContainerSpec spec = makeSpec("demo", "web");
  const ContainerId id = startOk(spec);
  EXPECT_EQ(await(rt_.stats(id)).error().code(), Errc::Unsupported);
  EXPECT_EQ(await(rt_.statsStream(id)).error().code(), Errc::Unsupported);
  ResourceUpdate update;
  update.memoryBytes = 1 << 26;
  EXPECT_EQ(await(rt_.update(id, update)).error().code(), Errc::Unsupported);
  const std::vector<std::string> none;
  EXPECT_EQ(await(rt_.top(id, none)).error().code(), Errc::Unsupported);
  EXPECT_EQ(await(rt_.changes(id)).error().code(), Errc::Unsupported);
}

}  // namespace
}  // namespace ls::runtime
