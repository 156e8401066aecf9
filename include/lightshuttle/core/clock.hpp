// File: lightshuttle/core/clock.hpp
//
// Injected time. Code that waits or timestamps takes a `Clock&`, so tests run on a
// `ManualClock` that advances virtual time and fires due timers with no real sleeping.
//
//   co_await clock.sleepFor(250ms);           // real clock: a steady_timer on our executor
//   manual.advance(250ms); ctx.poll();        // test: resumes every sleeper that became due
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "lightshuttle/core/result.hpp"

namespace ls {

class Clock {
 public:
  using Duration = std::chrono::nanoseconds;
  using SteadyTime = std::chrono::steady_clock::time_point;
  using SystemTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;

  /// Monotonic time, for deadlines and durations.
  virtual SteadyTime steady() const = 0;
  /// Wall-clock time, for timestamps shown to people and `since=` filters.
  virtual SystemTime system() const = 0;

  /// Suspends the calling coroutine until `deadline`. Returns Errc::Cancelled when the
  /// coroutine's cancellation slot fires first. Safe to call from any coroutine on the loop.
  virtual boost::asio::awaitable<Result<void>> sleepUntil(SteadyTime deadline) = 0;

  boost::asio::awaitable<Result<void>> sleepFor(Duration d);
};

/// The process's real clocks; timers run on the awaiting coroutine's executor.
std::unique_ptr<Clock> makeSystemClock();

/// Virtual time for tests. Starts at an arbitrary fixed point; only `advance` moves it.
/// `advance` posts the completion of every sleeper whose deadline has been reached (in deadline
/// order) to that sleeper's executor; run the io_context (`poll`) to let them resume.
/// Not thread-safe: use it from the loop thread only.
class ManualClock final : public Clock {
 public:
  ManualClock();
  ~ManualClock() override;

  SteadyTime steady() const override;
  SystemTime system() const override;
  boost::asio::awaitable<Result<void>> sleepUntil(SteadyTime deadline) override;

  void advance(Duration d);
  void setSystem(SystemTime t);
  /// Sleepers not yet due.
  std::size_t pendingTimers() const;
  /// Deadline of the earliest pending sleeper, or SteadyTime::max() when none.
  SteadyTime nextDeadline() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ls
