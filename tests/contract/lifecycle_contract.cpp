// The runtime contract, containers: what start, stop, remove, inspect, listManaged and restart
// do, in the terms the lifecycle branches on (states, exit codes, Errc and reasons).
#include <chrono>
#include <string>
#include <vector>

#include "contract/contract.hpp"

namespace ls::contract {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerState;

bool hasAlias(const runtime::ContainerDetails& d, const std::string& network,
              const std::string& alias) {
  for (const auto& n : d.networks) {
    if (n.network == network) {
      for (const auto& a : n.aliases) {
        if (a == alias) {
          return true;
        }
      }
    }
  }
  return false;
}

TEST_P(RuntimeContract, StartedContainerRunsWithTheSpecsIdentity) {
  // Ensures a started container is running and ready at once without a healthcheck, and that
  // the runtime finds it again as the spec made it: its name, the project's labels, the user's
  // label, the config hash, the image and the resource's alias on the project's own network.
  const runtime::ContainerSpec web = spec("web", cmd::exitsOnTerm(0));
  auto id = startOk(web);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->value.size(), 64u);
  auto status = run(rt().inspect(*id));
  ASSERT_TRUE(status) << status.error().what();
  EXPECT_EQ(status->state, ContainerState::Running);
  EXPECT_FALSE(status->hasHealthcheck);
  EXPECT_TRUE(status->startedAt);
  EXPECT_FALSE(status->exitCode);
  auto ready = run(rt().waitHealthy(*id, 30s));
  EXPECT_TRUE(ready) << ready.error().what();

  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  const runtime::ManagedContainer& m = listed->front();
  EXPECT_EQ(m.id, *id);
  EXPECT_EQ(m.name, web.name);
  EXPECT_EQ(m.resource, "web");
  EXPECT_EQ(m.configHash, runtime::configHash(web));
  EXPECT_EQ(m.image, ls::testing::kBusybox);
  EXPECT_EQ(m.status.state, ContainerState::Running);

  auto details = run(ops().inspectDetailed(*id));
  ASSERT_TRUE(details) << details.error().what();
  EXPECT_EQ(details->name, web.name);
  EXPECT_EQ(details->labels[runtime::kLabelProject], project());
  EXPECT_EQ(details->labels[runtime::kLabelResource], "web");
  EXPECT_EQ(details->labels[runtime::kLabelConfigHash], runtime::configHash(web));
  EXPECT_EQ(details->labels["contract.role"], "web");
  EXPECT_TRUE(hasAlias(*details, runtime::projectNetworkName(project()), "web"));
  // The start made the project's network, labelled as ours.
  auto network = run(rt().ensureProjectNetwork(project()));
  ASSERT_TRUE(network) << network.error().what();
  EXPECT_EQ(*network, runtime::NetworkOutcome::AlreadyExisted);
}

TEST_P(RuntimeContract, AnInvalidNameIsInvalidArgumentAndCreatesNothing) {
  // Ensures a container name the engine refuses is InvalidArgument, with nothing left behind.
  runtime::ContainerSpec bad = spec("web", cmd::ignoresTerm());
  bad.name = "bad name";
  const runtime::StartOptions none;
  auto started = run(rt().start(bad, none));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Errc::InvalidArgument) << started.error().what();
  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  EXPECT_TRUE(listed->empty());
}

TEST_P(RuntimeContract, ATakenNameIsConflictNameInUseEvenWhenStopped) {
  // Ensures start is not idempotent: a second start of a name in use, running or stopped, is
  // Conflict "name_in_use" naming it (the lifecycle then removes the stale container), and the
  // first container is left as it was.
  const runtime::ContainerSpec web = spec("web", cmd::ignoresTerm());
  auto first = startOk(web);
  ASSERT_TRUE(first);
  const runtime::StartOptions none;
  auto again = run(rt().start(web, none));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Errc::Conflict) << again.error().what();
  EXPECT_EQ(again.error().reason(), "name_in_use");
  EXPECT_NE(again.error().what().find(web.name), std::string::npos) << again.error().what();
  auto untouched = run(rt().inspect(*first));
  ASSERT_TRUE(untouched) << untouched.error().what();
  EXPECT_EQ(untouched->state, ContainerState::Running);

  auto stopped = run(rt().stop(*first, 1s));
  ASSERT_TRUE(stopped) << stopped.error().what();
  auto afterExit = run(rt().start(web, none));
  ASSERT_FALSE(afterExit);
  EXPECT_EQ(afterExit.error().code(), Errc::Conflict) << afterExit.error().what();
  EXPECT_EQ(afterExit.error().reason(), "name_in_use");
  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *first);
}

TEST_P(RuntimeContract, AMissingImageIsNotFoundAndCreatesNothing) {
  // Ensures an image that is absent under policy `never`, or that the registry does not have,
  // fails the start with NotFound and leaves no container behind.
  runtime::ContainerSpec never = spec("never", {"true"});
  never.image = runtime::PullImage{.reference = "lightshuttle-test/absent:contract",
                                   .policy = runtime::PullPolicy::Never};
  const runtime::StartOptions none;
  auto refused = run(rt().start(never, none));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::NotFound) << refused.error().what();

  runtime::ContainerSpec pulled = spec("pulled", {"true"});
  pulled.image = runtime::PullImage{.reference = ls::testing::registryAddr() +
                                                 "/lightshuttle-test/busybox:absent-contract"};
  auto missing = run(rt().start(pulled, none));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound) << missing.error().what();

  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  EXPECT_TRUE(listed->empty());
}

TEST_P(RuntimeContract, StopReportsTheExitCodeAndIsIdempotent) {
  // Ensures stop ends a process that honours the stop signal with its own exit code, which
  // inspect then reports with the finish time, and that a second stop is AlreadyStopped.
  auto id = startOk(spec("web", cmd::exitsOnTerm(3)));
  ASSERT_TRUE(id);
  awaitLine(*id, "ready\n");
  auto stopped = run(rt().stop(*id, 10s));
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_EQ(*stopped, runtime::StopOutcome::Stopped);
  auto status = run(rt().inspect(*id));
  ASSERT_TRUE(status) << status.error().what();
  EXPECT_EQ(status->state, ContainerState::Stopped);
  EXPECT_EQ(status->exitCode, 3);
  ASSERT_TRUE(status->startedAt && status->finishedAt);
  EXPECT_GE(*status->finishedAt, *status->startedAt);
  auto again = run(rt().stop(*id, 10s));
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(*again, runtime::StopOutcome::AlreadyStopped);
}

TEST_P(RuntimeContract, StopKillsAProcessIgnoringTheSignalAfterTheGrace) {
  // Ensures stop kills a process that ignores the stop signal once the grace has passed: the
  // container is stopped with SIGKILL's exit code 137.
  auto id = startOk(spec("stubborn", cmd::ignoresTerm()));
  ASSERT_TRUE(id);
  auto stopped = run(rt().stop(*id, 1s));
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_EQ(*stopped, runtime::StopOutcome::Stopped);
  auto status = run(rt().inspect(*id));
  ASSERT_TRUE(status) << status.error().what();
  EXPECT_EQ(status->state, ContainerState::Stopped);
  EXPECT_EQ(status->exitCode, 137);
}

TEST_P(RuntimeContract, RemovedContainerIsNotFoundEverywhere) {
  // Ensures remove force-removes a running container by name or by id, a second remove is
  // AlreadyRemoved, and every call about the removed container is NotFound (the category the
  // lifecycle's teardown and supervision branch on), naming it.
  const runtime::ContainerSpec web = spec("web", cmd::ignoresTerm());
  auto webId = startOk(web);
  auto apiId = startOk(spec("api", cmd::ignoresTerm()));
  ASSERT_TRUE(webId && apiId);
  auto byName = run(rt().remove(web.name));
  ASSERT_TRUE(byName) << byName.error().what();
  EXPECT_EQ(*byName, runtime::RemoveOutcome::Removed);
  auto byId = run(rt().remove(apiId->value));
  ASSERT_TRUE(byId) << byId.error().what();
  EXPECT_EQ(*byId, runtime::RemoveOutcome::Removed);
  auto again = run(rt().remove(web.name));
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(*again, runtime::RemoveOutcome::AlreadyRemoved);

  auto inspected = run(rt().inspect(*webId));
  ASSERT_FALSE(inspected);
  EXPECT_EQ(inspected.error().code(), Errc::NotFound) << inspected.error().what();
  EXPECT_NE(inspected.error().what().find(webId->value), std::string::npos)
      << inspected.error().what();
  auto stopped = run(rt().stop(*webId, 1s));
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), Errc::NotFound) << stopped.error().what();
  const runtime::LogOptions all;
  auto logs = run(rt().logs(*webId, all));
  ASSERT_FALSE(logs);
  EXPECT_EQ(logs.error().code(), Errc::NotFound) << logs.error().what();
  auto waited = run(rt().waitHealthy(*webId, 1s));
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code(), Errc::NotFound) << waited.error().what();
  runtime::ExecRequest probe;
  probe.cmd = {"true"};
  auto exec = run(rt().exec(*webId, probe));
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.error().code(), Errc::NotFound) << exec.error().what();
  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  EXPECT_TRUE(listed->empty());
}

TEST_P(RuntimeContract, ListManagedSeesOnlyTheProjectSortedByResource) {
  // Ensures listManaged returns every container of the project, running or stopped, sorted by
  // resource with each one's state and config hash, and none of another project's.
  const runtime::ContainerSpec web = spec("web", cmd::ignoresTerm());
  const runtime::ContainerSpec api = spec("api", cmd::ignoresTerm());
  const runtime::ContainerSpec db = spec("db", cmd::ignoresTerm());
  const runtime::ContainerSpec foreign = spec("api", cmd::ignoresTerm(), otherProject());
  ASSERT_TRUE(startOk(web));
  ASSERT_TRUE(startOk(api));
  auto dbId = startOk(db);
  ASSERT_TRUE(dbId);
  ASSERT_TRUE(startOk(foreign));
  auto stopped = run(rt().stop(*dbId, 1s));
  ASSERT_TRUE(stopped) << stopped.error().what();

  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, api.name);
  EXPECT_EQ((*listed)[0].status.state, ContainerState::Running);
  EXPECT_EQ((*listed)[1].name, db.name);
  EXPECT_EQ((*listed)[1].status.state, ContainerState::Stopped);
  EXPECT_EQ((*listed)[1].status.exitCode, 137);
  EXPECT_EQ((*listed)[2].name, web.name);
  EXPECT_EQ((*listed)[2].status.state, ContainerState::Running);
  EXPECT_EQ((*listed)[2].configHash, runtime::configHash(web));
  EXPECT_NE((*listed)[2].configHash, (*listed)[1].configHash);
  auto other = run(rt().listManaged(otherProject()));
  ASSERT_TRUE(other) << other.error().what();
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ(other->front().name, foreign.name);
}

TEST_P(RuntimeContract, RestartRunsTheSameContainerWithANewStartTime) {
  // Ensures restart stops the container and runs the same one again (same id, the only one of
  // its name), running with a later start time: what watch mode's in-place restart relies on.
  auto id = startOk(spec("web", cmd::exitsOnTerm(0)));
  ASSERT_TRUE(id);
  awaitLine(*id, "ready\n");
  auto before = run(rt().inspect(*id));
  ASSERT_TRUE(before && before->startedAt);
  auto restarted = run(rt().restart(*id, 10s));
  ASSERT_TRUE(restarted) << restarted.error().what();
  auto after = run(rt().inspect(*id));
  ASSERT_TRUE(after) << after.error().what();
  EXPECT_EQ(after->state, ContainerState::Running);
  ASSERT_TRUE(after->startedAt);
  EXPECT_GT(*after->startedAt, *before->startedAt);
  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *id);
}

}  // namespace
}  // namespace ls::contract
