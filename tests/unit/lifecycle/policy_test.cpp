#include "lightshuttle/lifecycle/policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ls::lifecycle {
namespace {

using namespace std::chrono_literals;
using Mode = runtime::RestartPolicy::Mode;

// Always returns the same bits: 0 gives no jitter, a value near 2^64 the most.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(std::uint64_t value) : value_(value) {}
  std::uint64_t next() override {
    ++calls;
    return value_;
  }
  int calls = 0;

 private:
  std::uint64_t value_;
};

runtime::RestartPolicy policy(Mode mode, std::optional<int> max = std::nullopt) {
  runtime::RestartPolicy p;
  p.mode = mode;
  p.maxRetries = max;
  return p;
}

TEST(RestartPolicyTest, DecidesPerPolicyExitCodeAndCount) {
  // Ensures decideRestart follows no / on-failure[:N] / always with a capped exponential delay.
  struct Case {
    std::string label;
    runtime::RestartPolicy policy;
    int exitCode;
    int restarts;
    RestartDecision expected;
  };
  const Backoff noJitter{.initial = 500ms, .max = 30s, .jitter = 0.0};
  const std::vector<Case> cases = {
      {"no, crash", policy(Mode::No), 1, 0, GiveUp{}},
      {"no, clean exit", policy(Mode::No), 0, 0, GiveUp{}},
      {"on-failure, clean exit", policy(Mode::OnFailure), 0, 0, GiveUp{}},
      {"on-failure, first crash", policy(Mode::OnFailure), 1, 0, Restart{500ms}},
      {"on-failure, third crash", policy(Mode::OnFailure), 137, 2, Restart{2s}},
      {"on-failure:2, second crash", policy(Mode::OnFailure, 2), 1, 1, Restart{1s}},
      {"on-failure:2, exhausted", policy(Mode::OnFailure, 2), 1, 2, GiveUp{}},
      {"on-failure:0", policy(Mode::OnFailure, 0), 1, 0, GiveUp{}},
      {"always, clean exit", policy(Mode::Always), 0, 0, Restart{500ms}},
      {"always, capped", policy(Mode::Always), 1, 6, Restart{30s}},
      {"always, far past the cap", policy(Mode::Always), 1, 1000, Restart{30s}},
  };
  for (const Case& c : cases) {
    FixedRng rng(0);
    EXPECT_EQ(decideRestart(c.policy, c.exitCode, c.restarts, rng, noJitter), c.expected)
        << c.label;
  }
}

TEST(RestartPolicyTest, JittersWithinHalfTheDelayAndOnlyWhenRestarting) {
  // Ensures jitter lowers the delay by at most the jitter fraction and draws no randomness on
  // give-up.
  FixedRng low(0);
  EXPECT_EQ(decideRestart(policy(Mode::Always), 1, 2, low), RestartDecision(Restart{2s}));
  SeededRng seeded(99);
  std::set<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 50; ++i) {
    RestartDecision d = decideRestart(policy(Mode::Always), 1, 2, seeded);
    ASSERT_TRUE(std::holds_alternative<Restart>(d));
    EXPECT_GE(std::get<Restart>(d).delay, 1s);
    EXPECT_LE(std::get<Restart>(d).delay, 2s);
    delays.insert(std::get<Restart>(d).delay);
  }
  EXPECT_GT(delays.size(), 1u);
  FixedRng unused(0);
  EXPECT_EQ(decideRestart(policy(Mode::No), 1, 0, unused), RestartDecision(GiveUp{}));
  EXPECT_EQ(unused.calls, 0);
}

TEST(RestartPolicyTest, DelayFollowsTheBackoffStepAndTheLimitFollowsEveryRestart) {
  // Ensures a reset backoff step brings the delay back to the initial one, while on-failure:N
  // still counts every restart (as Docker does).
  Backoff noJitter;
  noJitter.initial = 1s;
  noJitter.max = 30s;
  noJitter.jitter = 0.0;
  FixedRng rng(0);
  EXPECT_EQ(decideRestart(policy(Mode::Always), 1, 5, 5, rng, noJitter),
            RestartDecision(Restart{30s}));
  EXPECT_EQ(decideRestart(policy(Mode::Always), 1, 5, 0, rng, noJitter),
            RestartDecision(Restart{1s}));
  EXPECT_EQ(decideRestart(policy(Mode::Always), 1, 5, 2, rng, noJitter),
            RestartDecision(Restart{4s}));
  EXPECT_EQ(decideRestart(policy(Mode::OnFailure, 3), 1, 3, 0, rng, noJitter),
            RestartDecision(GiveUp{}));
  EXPECT_EQ(decideRestart(policy(Mode::OnFailure, 3), 1, 2, 0, rng, noJitter),
            RestartDecision(Restart{1s}));
}

TEST(StartTimeoutTest, DerivesFromTheHealthcheckWithAFloorAndAnOverride) {
  // Ensures the start timeout is start_period + interval x retries, at least the floor, unless
  // overridden.
  runtime::ContainerSpec plain;
  EXPECT_EQ(startTimeout(plain, std::nullopt), kStartTimeoutFloor);
  runtime::ContainerSpec slow;
  runtime::HealthcheckSpec hc;
  hc.startPeriod = 20s;
  hc.interval = 10s;
  hc.retries = 5;
  slow.healthcheck = hc;
  EXPECT_EQ(startTimeout(slow, std::nullopt), 70s);
  runtime::ContainerSpec quick;
  quick.healthcheck = runtime::HealthcheckSpec{};  // 5s + 5s x 5 = 30s
  hc.startPeriod = 1s;
  hc.interval = 1s;
  hc.retries = 3;
  quick.healthcheck = hc;
  EXPECT_EQ(startTimeout(quick, std::nullopt), kStartTimeoutFloor);
  EXPECT_EQ(startTimeout(slow, 5s), 5s);
}

}  // namespace
}  // namespace ls::lifecycle
