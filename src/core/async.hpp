// Coroutine primitives shared by every module (one async toolkit): a broadcast notifier and a
// task group. Both live on the loop thread and need no locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::detail {

/// A condition variable for coroutines: `wait` suspends until the next `notifyAll` (ok) or until
/// the waiter is cancelled (Errc::Cancelled). Waiters re-check their predicate after waking.
/// The notifier must outlive its waiters.
class Notifier {
 public:
  Notifier() = default;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  boost::asio::awaitable<Result<void>> wait();
  void notifyAll();
  std::size_t waiters() const { return timers_.size(); }

 private:
  std::vector<boost::asio::steady_timer*> timers_;
  std::uint64_t generation_ = 0;
};

/// Owns spawned coroutines: each can be cancelled, and `waitEmpty` waits until all have ended.
/// A coroutine that ends with an exception is recorded (a bug: our coroutines return errors).
/// Destroying the group with tasks in flight is safe only once the io_context is gone.
class TaskGroup {
 public:
  using Id = std::uint64_t;

  TaskGroup();
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// Starts `task` on `ex` (it runs from the next turn of the loop, never inline).
  Id spawn(const boost::asio::any_io_executor& ex, boost::asio::awaitable<void> task);
  /// Cancels one task (no-op when it has ended).
  void cancel(Id id,
              boost::asio::cancellation_type type = boost::asio::cancellation_type::terminal);
  /// Cancels every task in flight.
  void cancelAll(boost::asio::cancellation_type type = boost::asio::cancellation_type::terminal);
  bool contains(Id id) const;
  bool empty() const;
  std::size_t size() const;
  /// Suspends until no task is in flight. Cancelled when the caller is cancelled first.
  boost::asio::awaitable<Result<void>> waitEmpty();
  /// Suspends until task `id` has ended. Cancelled when the caller is cancelled first.
  boost::asio::awaitable<Result<void>> waitFor(Id id);
  /// The first exception a task ended with, if any.
  std::exception_ptr firstException() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// True when the calling coroutine has been cancelled.
boost::asio::awaitable<bool> cancelled();

}  // namespace ls::detail
