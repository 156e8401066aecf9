// The runtime contract, what the process does: its logs, an exec, the readiness wait the boot is
// gated on, and the events supervision follows.
#include <chrono>
#include <string>
#include <vector>

#include "contract/contract.hpp"

namespace ls::contract {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerState;
using Kind = runtime::RuntimeEvent::Kind;

runtime::HealthcheckSpec check(std::vector<std::string> test, std::chrono::nanoseconds interval,
                               int retries) {
  return runtime::HealthcheckSpec{.test = std::move(test),
                                  .interval = interval,
                                  .timeout = 1s,
                                  .retries = retries,
                                  .startPeriod = 0s};
}

TEST_P(RuntimeContract, LogsKeepStdoutAndStderrApart) {
  // Ensures the logs return what the process wrote, in order, with stdout and stderr kept
  // apart; a following stream ends once the process has exited; a stream can be limited to
  // stderr.
  auto id =
      startOk(spec("talker", {"sh", "-c", "echo out-1; echo err-1 >&2; echo out-2; sleep 1"}));
  ASSERT_TRUE(id);
  runtime::LogOptions follow;
  follow.follow = true;
  auto stream = run(rt().logs(*id, follow));
  ASSERT_TRUE(stream) << stream.error().what();
  const auto [out, err] = drainLogs(**stream);
  EXPECT_EQ(out, "out-1\nout-2\n");
  EXPECT_EQ(err, "err-1\n");
  auto status = run(rt().inspect(*id));
  ASSERT_TRUE(status) << status.error().what();
  EXPECT_EQ(status->state, ContainerState::Stopped);
  EXPECT_EQ(status->exitCode, 0);

  runtime::LogOptions stderrOnly;
  stderrOnly.stdoutStream = false;
  auto errors = run(rt().logs(*id, stderrOnly));
  ASSERT_TRUE(errors) << errors.error().what();
  const auto [none, errAgain] = drainLogs(**errors);
  EXPECT_EQ(none, "");
  EXPECT_EQ(errAgain, "err-1\n");
}

TEST_P(RuntimeContract, ExecReturnsOutputAndExitCode) {
  // Ensures exec returns the command's exit code and its stdout and stderr apart, and that an
  // exec in a container that no longer runs is Conflict.
  auto id = startOk(spec("exec", cmd::ignoresTerm()));
  ASSERT_TRUE(id);
  runtime::ExecRequest request;
  request.cmd = {"sh", "-c", "echo out; echo err >&2; exit 7"};
  request.timeout = 30s;
  auto ran = run(rt().exec(*id, request));
  ASSERT_TRUE(ran) << ran.error().what();
  EXPECT_EQ(ran->exitCode, 7);
  EXPECT_EQ(ran->stdoutText, "out\n");
  EXPECT_EQ(ran->stderrText, "err\n");

  auto stopped = run(rt().stop(*id, 1s));
  ASSERT_TRUE(stopped) << stopped.error().what();
  auto refused = run(rt().exec(*id, request));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::Conflict) << refused.error().what();
}

TEST_P(RuntimeContract, WaitHealthyReturnsOnceTheHealthcheckPasses) {
  // Ensures a container with a healthcheck is running but not yet healthy at first, and that
  // waitHealthy returns once its healthcheck passes, inspect then saying Healthy.
  runtime::ContainerSpec s =
      spec("svc", {"sh", "-c", "sleep 1.5; touch /tmp/ready; exec sleep 3600"});
  s.healthcheck = check({"CMD-SHELL", "test -f /tmp/ready"}, 200ms, 3);
  auto id = startOk(s);
  ASSERT_TRUE(id);
  auto before = run(rt().inspect(*id));
  ASSERT_TRUE(before) << before.error().what();
  EXPECT_TRUE(before->hasHealthcheck);
  EXPECT_EQ(before->state, ContainerState::Running) << "not healthy before the file exists";
  auto ready = run(rt().waitHealthy(*id, 30s));
  ASSERT_TRUE(ready) << ready.error().what();
  auto after = run(rt().inspect(*id));
  ASSERT_TRUE(after) << after.error().what();
  EXPECT_EQ(after->state, ContainerState::Healthy);
}

TEST_P(RuntimeContract, WaitHealthyFailsWhenTheProcessExitsFirst) {
  // Ensures a container that exits before its healthcheck passes fails waitHealthy with
  // FailedPrecondition "exited_before_ready", the exit code and its last log lines (what the
  // lifecycle shows the user).
  runtime::ContainerSpec s =
      spec("bad", {"sh", "-c", "echo booting; sleep 0.5; echo 'cannot bind port' >&2; exit 3"});
  s.healthcheck = check({"CMD", "false"}, 1s, 3);
  auto id = startOk(s);
  ASSERT_TRUE(id);
  auto ready = run(rt().waitHealthy(*id, 30s));
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().code(), Errc::FailedPrecondition) << ready.error().what();
  EXPECT_EQ(ready.error().reason(), "exited_before_ready");
  EXPECT_NE(ready.error().what().find("code 3"), std::string::npos) << ready.error().what();
  EXPECT_NE(ready.error().what().find("cannot bind port"), std::string::npos)
      << ready.error().what();
}

TEST_P(RuntimeContract, WaitHealthyTimesOutWhileTheHealthcheckFails) {
  // Ensures waitHealthy gives Timeout, naming the timeout, for a container whose healthcheck
  // never passes while it keeps running.
  runtime::ContainerSpec s = spec("slow", cmd::ignoresTerm());
  s.healthcheck = check({"CMD", "false"}, 1s, 100);
  auto id = startOk(s);
  ASSERT_TRUE(id);
  auto ready = run(rt().waitHealthy(*id, 2s));
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().code(), Errc::Timeout) << ready.error().what();
  EXPECT_NE(ready.error().what().find("2s"), std::string::npos) << ready.error().what();
}

TEST_P(RuntimeContract, EventsReportStartDieAndDestroy) {
  // Ensures the project's event stream reports the container's start, its exit with the exit
  // code, and its removal, each naming the container, its project and its resource.
  runtime::EventFilter filter{.project = project()};
  auto events = run(rt().events(filter));
  ASSERT_TRUE(events) << events.error().what();
  const runtime::ContainerSpec s = spec("ev", {"sh", "-c", "sleep 1; exit 4"});
  auto id = startOk(s);
  ASSERT_TRUE(id);
  std::vector<runtime::RuntimeEvent> seen;
  auto readUntil = [&](Kind last) {
    for (int i = 0; i < 20; ++i) {
      auto e = run((*events)->next());
      ASSERT_TRUE(e) << e.error().what();
      if (e->kind == Kind::Start || e->kind == Kind::Die || e->kind == Kind::Destroy) {
        seen.push_back(*e);
      }
      if (e->kind == last) {
        return;
      }
    }
    FAIL() << "no event of kind " << static_cast<int>(last) << " in 20";
  };
  readUntil(Kind::Die);
  auto removed = run(rt().remove(s.name));
  ASSERT_TRUE(removed) << removed.error().what();
  readUntil(Kind::Destroy);
  (*events)->close();

  std::vector<Kind> kinds;
  for (const auto& e : seen) {
    kinds.push_back(e.kind);
    EXPECT_EQ(e.id, *id);
    EXPECT_EQ(e.name, s.name);
    EXPECT_EQ(e.project, project());
    EXPECT_EQ(e.resource, "ev");
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::Start, Kind::Die, Kind::Destroy}));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].exitCode, 4);
}

}  // namespace
}  // namespace ls::contract
