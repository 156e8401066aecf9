// The runtime contract of native checks (native_check.hpp): a real postgres and a real redis in
// the test images, checked over their containers' addresses the way the lifecycle's readiness
// probe does instead of an exec, against what their own clients in the container say. Only a
// real engine instantiates these (contract.hpp, NativeCheckContract).
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "contract/contract.hpp"

namespace ls::contract {
namespace {

using namespace std::chrono_literals;

// Native checks (native_check.hpp) of a server in a test image, every 20 ms until one is ready
// or 60 s have passed; how many said "not yet" first.
struct NativeRun {
  bool ready = false;
  int notYet = 0;
};

template <typename Run>
NativeRun checkUntilReady(Run&& run, runtime::NativeProber& prober) {
  NativeRun out;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto checked = run(prober.check(2s));
    if (!checked) {
      ADD_FAILURE() << checked.error().what();
      return out;
    }
    if (*checked) {
      out.ready = true;
      return out;
    }
    ++out.notYet;
    std::this_thread::sleep_for(20ms);
  }
  return out;
}

TEST_P(NativeCheckContract, NativeCheckOfPostgresAgreesWithPgIsready) {
  // Ensures a native check of a starting postgres says "not yet" while it initialises and
  // "ready" once the server accepts connections, and that pg_isready in the container then
  // agrees (the lifecycle's readiness probe runs this instead of an exec).
  runtime::ContainerSpec s = spec("pg", {});
  s.image = runtime::PullImage{.reference = ls::testing::kPostgres};
  s.command.reset();
  s.env["POSTGRES_PASSWORD"] = "contract";
  auto id = startOk(s);
  ASSERT_TRUE(id);
  const runtime::NativeCheck check{
      .protocol = runtime::NativeCheck::Protocol::Postgres, .port = 5432, .user = "postgres"};
  auto prober = run(rt().nativeProber(*id, check));
  ASSERT_TRUE(prober) << prober.error().what();
  const NativeRun checked = checkUntilReady([&](auto aw) { return run(std::move(aw)); }, **prober);
  ASSERT_TRUE(checked.ready);
  EXPECT_GT(checked.notYet, 0);  // initdb takes seconds: the first checks cannot pass
  runtime::ExecRequest isready;
  isready.cmd = {"pg_isready", "-U", "postgres"};
  isready.timeout = 30s;
  auto agreed = run(rt().exec(*id, isready));
  ASSERT_TRUE(agreed) << agreed.error().what();
  EXPECT_EQ(agreed->exitCode, 0) << agreed->stdoutText;
  // The checks left no trace in the server's log but what pg_isready leaves too (a check in the
  // instant between the port opening and the server accepting is refused as "starting up"): no
  // reset connection ("could not receive data from client"), no failed authentication.
  auto stream = run(rt().logs(*id, runtime::LogOptions{}));
  ASSERT_TRUE(stream) << stream.error().what();
  const auto [out, err] = drainLogs(**stream);
  std::istringstream lines(out + err);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find("could not receive data"), std::string::npos) << line;
    if (line.find("FATAL") != std::string::npos) {
      EXPECT_NE(line.find("the database system is starting up"), std::string::npos) << line;
    }
  }
}

TEST_P(NativeCheckContract, NativeCheckOfRedisSpeaksItsPassword) {
  // Ensures a native check of a redis that requires a password is ready with that password,
  // not with a wrong one, and (as `redis-cli ping` exits 0 on NOAUTH) ready without one.
  runtime::ContainerSpec s = spec("cache", {});
  s.image = runtime::PullImage{.reference = ls::testing::kRedis};
  s.command = std::vector<std::string>{"redis-server", "--requirepass", "s3cret"};
  auto id = startOk(s);
  ASSERT_TRUE(id);
  runtime::NativeCheck check{
      .protocol = runtime::NativeCheck::Protocol::Redis, .port = 6379, .password = "s3cret"};
  auto prober = run(rt().nativeProber(*id, check));
  ASSERT_TRUE(prober) << prober.error().what();
  ASSERT_TRUE(checkUntilReady([&](auto aw) { return run(std::move(aw)); }, **prober).ready);

  check.password = "wrong";
  auto wrong = run(rt().nativeProber(*id, check));
  ASSERT_TRUE(wrong) << wrong.error().what();
  auto refused = run((*wrong)->check(2s));
  ASSERT_TRUE(refused) << refused.error().what();
  EXPECT_FALSE(*refused);
  check.password.clear();
  auto anonymous = run(rt().nativeProber(*id, check));
  ASSERT_TRUE(anonymous) << anonymous.error().what();
  auto noauth = run((*anonymous)->check(2s));
  ASSERT_TRUE(noauth) << noauth.error().what();
  EXPECT_TRUE(*noauth);
}

TEST_P(NativeCheckContract, NativeCheckOfAStoppedContainerIsConflictAndOfNoneNotFound) {
  // Ensures a native prober is refused for a container that is not running (Conflict) and for
  // one that does not exist (NotFound), as exec is: the lifecycle then lets the engine decide.
  auto id = startOk(spec("gone", cmd::ignoresTerm()));
  ASSERT_TRUE(id);
  const runtime::NativeCheck check{.protocol = runtime::NativeCheck::Protocol::Redis, .port = 6379};
  ASSERT_TRUE(run(rt().stop(*id, 0s)));
  auto stopped = run(rt().nativeProber(*id, check));
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), Errc::Conflict) << stopped.error().what();
  ASSERT_TRUE(run(rt().remove(id->value)));
  auto none = run(rt().nativeProber(*id, check));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Errc::NotFound) << none.error().what();
}

}  // namespace
}  // namespace ls::contract
