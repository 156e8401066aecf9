#include "lightshuttle/core/clock.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <vector>

#include "support/loop.hpp"

namespace ls {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// What the sleepers spawned by a test observed, keyed by a tag the test chooses.
struct Recorder {
  std::map<int, Result<void>> results;
  std::vector<int> order;  // tags in completion order

  bool done(int tag) const { return results.count(tag) != 0; }
};

asio::awaitable<void> sleepAndRecord(Clock& clock, Clock::Duration d, int tag, Recorder& rec) {
  Result<void> r = co_await clock.sleepFor(d);
  rec.order.push_back(tag);
  rec.results.emplace(tag, std::move(r));
}

asio::awaitable<void> sleepUntilAndRecord(Clock& clock, Clock::SteadyTime deadline, int tag,
                                          Recorder& rec) {
  Result<void> r = co_await clock.sleepUntil(deadline);
  rec.order.push_back(tag);
  rec.results.emplace(tag, std::move(r));
}

class ManualClockTest : public ::testing::Test {
 protected:
  void spawnSleep(Clock::Duration d, int tag) {
    asio::co_spawn(ctx_, sleepAndRecord(clock_, d, tag, rec_),
                   [](std::exception_ptr e) { ls::testing::reportException(e); });
  }
  void spawnSleep(Clock::Duration d, int tag, asio::cancellation_signal& sig) {
    asio::co_spawn(ctx_, sleepAndRecord(clock_, d, tag, rec_),
                   asio::bind_cancellation_slot(
                       sig.slot(), [](std::exception_ptr e) { ls::testing::reportException(e); }));
  }

  // The io_context outlives the clock: the clock's destructor posts to sleepers' executors.
  asio::io_context ctx_;
  ManualClock clock_;
  Recorder rec_;
};

TEST_F(ManualClockTest, SleeperResumesOnlyOnceVirtualTimeReachesItsDeadline) {
  // Ensures a 5s sleeper is still suspended after 4s of virtual time and resumes after the 5th.
  spawnSleep(5s, 1);
  ctx_.poll();
  EXPECT_FALSE(rec_.done(1));
  EXPECT_EQ(clock_.pendingTimers(), 1u);

  clock_.advance(4s);
  ctx_.poll();
  EXPECT_FALSE(rec_.done(1));
  EXPECT_EQ(clock_.pendingTimers(), 1u);

  clock_.advance(1s);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
  ctx_.poll();
  ASSERT_TRUE(rec_.done(1));
  EXPECT_TRUE(rec_.results.at(1).has_value());
}

TEST_F(ManualClockTest, AdvanceOnlyPostsCompletions) {
  // Ensures advance() never resumes a sleeper inline: it resumes only when the loop runs.
  spawnSleep(1s, 1);
  ctx_.poll();
  clock_.advance(1s);
  EXPECT_FALSE(rec_.done(1));
  ctx_.poll();
  EXPECT_TRUE(rec_.done(1));
}

TEST_F(ManualClockTest, SleepersFireInDeadlineOrder) {
  // Ensures sleepers that become due in one advance resume in deadline order, not spawn order.
  spawnSleep(30s, 30);
  spawnSleep(10s, 10);
  spawnSleep(20s, 20);
  spawnSleep(40s, 40);
  ctx_.poll();
  EXPECT_EQ(clock_.pendingTimers(), 4u);

  clock_.advance(35s);
  ctx_.poll();
  EXPECT_EQ(rec_.order, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(clock_.pendingTimers(), 1u);

  clock_.advance(5s);
  ctx_.poll();
  EXPECT_EQ(rec_.order, (std::vector<int>{10, 20, 30, 40}));
  for (const auto& [tag, r] : rec_.results) {
    EXPECT_TRUE(r.has_value()) << "tag " << tag;
  }
}

TEST_F(ManualClockTest, StepwiseAdvanceFiresEachSleeperAtItsTurn) {
  // Ensures advancing in small steps releases exactly the sleepers whose deadline has passed.
  struct Step {
    Clock::Duration advance;
    std::vector<int> firedSoFar;
  };
  spawnSleep(2s, 2);
  spawnSleep(1s, 1);
  spawnSleep(3s, 3);
  ctx_.poll();
  const Step steps[] = {
      {500ms, {}}, {500ms, {1}}, {999ms, {1}}, {1ms, {1, 2}}, {10s, {1, 2, 3}},
  };
  for (const auto& s : steps) {
    clock_.advance(s.advance);
    ctx_.poll();
    EXPECT_EQ(rec_.order, s.firedSoFar);
  }
}

TEST_F(ManualClockTest, ZeroOrPastDeadlineCompletesImmediately) {
  // Ensures sleepFor(0) and a deadline already in the past complete without advancing time.
  spawnSleep(0s, 1);
  asio::co_spawn(ctx_, sleepUntilAndRecord(clock_, clock_.steady() - 1s, 2, rec_),
                 [](std::exception_ptr e) { ls::testing::reportException(e); });
  ctx_.poll();
  ASSERT_TRUE(rec_.done(1));
  ASSERT_TRUE(rec_.done(2));
  EXPECT_TRUE(rec_.results.at(1).has_value());
  EXPECT_TRUE(rec_.results.at(2).has_value());
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

TEST_F(ManualClockTest, ReportsPendingTimersAndNextDeadline) {
  // Ensures pendingTimers() and nextDeadline() describe the sleepers not yet due.
  const Clock::SteadyTime start = clock_.steady();
  EXPECT_EQ(clock_.pendingTimers(), 0u);
  EXPECT_EQ(clock_.nextDeadline(), Clock::SteadyTime::max());

  spawnSleep(5s, 5);
  spawnSleep(3s, 3);
  ctx_.poll();
  EXPECT_EQ(clock_.pendingTimers(), 2u);
  EXPECT_EQ(clock_.nextDeadline(), start + 3s);

  clock_.advance(3s);
  EXPECT_EQ(clock_.pendingTimers(), 1u);
  EXPECT_EQ(clock_.nextDeadline(), start + 5s);

  clock_.advance(2s);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
  EXPECT_EQ(clock_.nextDeadline(), Clock::SteadyTime::max());
  ctx_.poll();
  EXPECT_EQ(rec_.order, (std::vector<int>{3, 5}));
}

TEST_F(ManualClockTest, TerminalCancellationReturnsCancelledAndRemovesTheTimer) {
  // Ensures a terminal cancellation resumes the sleeper with Errc::Cancelled and drops its timer.
  asio::cancellation_signal sig;
  spawnSleep(1h, 1, sig);
  spawnSleep(2h, 2);
  ctx_.poll();
  EXPECT_EQ(clock_.pendingTimers(), 2u);

  // co_spawn forwards the signal to the coroutine's executor, so the loop must run to deliver it.
  sig.emit(asio::cancellation_type::terminal);
  ctx_.poll();
  EXPECT_EQ(clock_.pendingTimers(), 1u);
  ASSERT_TRUE(rec_.done(1));
  ASSERT_FALSE(rec_.results.at(1).has_value());
  EXPECT_EQ(rec_.results.at(1).error().code(), Errc::Cancelled);
  EXPECT_FALSE(rec_.done(2));
  EXPECT_EQ(clock_.nextDeadline(), clock_.steady() + 2h);

  // The cancelled sleeper must not fire again when its deadline passes.
  clock_.advance(2h);
  ctx_.poll();
  EXPECT_EQ(rec_.order, (std::vector<int>{1, 2}));
  EXPECT_TRUE(rec_.results.at(2).has_value());
}

TEST_F(ManualClockTest, CancellationAfterCompletionIsHarmless) {
  // Ensures emitting a cancellation after the sleeper already resumed changes nothing.
  asio::cancellation_signal sig;
  spawnSleep(1s, 1, sig);
  ctx_.poll();
  clock_.advance(1s);
  ctx_.poll();
  ASSERT_TRUE(rec_.done(1));
  sig.emit(asio::cancellation_type::terminal);
  ctx_.poll();
  EXPECT_TRUE(rec_.results.at(1).has_value());
  EXPECT_EQ(rec_.order.size(), 1u);
}

TEST_F(ManualClockTest, SystemTimeMovesWithAdvance) {
  // Ensures advance() moves wall-clock time by the same amount as steady time.
  const Clock::SystemTime wall = clock_.system();
  const Clock::SteadyTime mono = clock_.steady();
  clock_.advance(90s);
  EXPECT_EQ(clock_.system() - wall, 90s);
  EXPECT_EQ(clock_.steady() - mono, 90s);

  const Clock::SystemTime fixed = std::chrono::sys_days{std::chrono::year{2030} / 6 / 15};
  clock_.setSystem(fixed);
  EXPECT_EQ(clock_.system(), fixed);
  EXPECT_EQ(clock_.steady() - mono, 90s);
  clock_.advance(250ms);
  EXPECT_EQ(clock_.system(), fixed + 250ms);
}

TEST(ManualClockLifetimeTest, DestroyingTheClockCancelsOutstandingSleepers) {
  // Ensures no coroutine is left suspended forever when the clock goes away before its deadline.
  asio::io_context ctx;
  auto clock = std::make_unique<ManualClock>();
  Recorder rec;
  asio::co_spawn(ctx, sleepAndRecord(*clock, 1h, 1, rec),
                 [](std::exception_ptr e) { ls::testing::reportException(e); });
  asio::co_spawn(ctx, sleepAndRecord(*clock, 2h, 2, rec),
                 [](std::exception_ptr e) { ls::testing::reportException(e); });
  ctx.poll();
  EXPECT_EQ(clock->pendingTimers(), 2u);

  clock.reset();
  ctx.poll();
  ASSERT_TRUE(rec.done(1));
  ASSERT_TRUE(rec.done(2));
  EXPECT_EQ(rec.results.at(1).error().code(), Errc::Cancelled);
  EXPECT_EQ(rec.results.at(2).error().code(), Errc::Cancelled);
  EXPECT_TRUE(ctx.stopped());
}

TEST(SystemClockTest, ShortSleepCompletes) {
  // Ensures the real clock's sleepFor completes on the awaiting coroutine's executor.
  asio::io_context ctx;
  const auto clock = makeSystemClock();
  Recorder rec;
  asio::co_spawn(ctx, sleepAndRecord(*clock, 1ms, 1, rec),
                 [](std::exception_ptr e) { ls::testing::reportException(e); });
  ctx.run();
  ASSERT_TRUE(rec.done(1));
  EXPECT_TRUE(rec.results.at(1).has_value());
}

TEST(SystemClockTest, TerminalCancellationReturnsCancelled) {
  // Ensures a real sleep is cut short by a terminal cancellation and reports Errc::Cancelled.
  asio::io_context ctx;
  const auto clock = makeSystemClock();
  Recorder rec;
  asio::cancellation_signal sig;
  asio::co_spawn(ctx, sleepAndRecord(*clock, 1h, 1, rec),
                 asio::bind_cancellation_slot(
                     sig.slot(), [](std::exception_ptr e) { ls::testing::reportException(e); }));
  ctx.poll();
  EXPECT_FALSE(rec.done(1));
  sig.emit(asio::cancellation_type::terminal);
  ctx.run();
  ASSERT_TRUE(rec.done(1));
  ASSERT_FALSE(rec.results.at(1).has_value());
  EXPECT_EQ(rec.results.at(1).error().code(), Errc::Cancelled);
}

TEST(SystemClockTest, ReadsAdvancingClocks) {
  // Ensures steady() never goes backwards between two reads (no assertion on elapsed time).
  const auto clock = makeSystemClock();
  const Clock::SteadyTime a = clock->steady();
  const Clock::SteadyTime b = clock->steady();
  EXPECT_LE(a, b);
  EXPECT_GT(clock->system().time_since_epoch().count(), 0);
}

}  // namespace
}  // namespace ls
