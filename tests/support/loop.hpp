// The loop harness of every test tier: a coroutine run to completion on an io_context, within a
// bound, its value returned (real time, or virtual time on a ManualClock); coroutines spawned
// into slots the test reads after polling. A coroutine that throws fails the current test.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "lightshuttle/core/clock.hpp"

namespace ls::testing {

/// How long a real-time run may take at most: a hang guard that fails the test instead of
/// hanging the suite, never a timing assertion.
inline constexpr std::chrono::seconds kLoopBound{300};

/// How many virtual-time steps (clock advances to the next timer) a virtual run may take.
inline constexpr int kVirtualSteps = 10000;

/// Fails the current test if a spawned coroutine ended with an exception.
inline void reportException(const std::exception_ptr& e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    ADD_FAILURE() << "coroutine threw: " << ex.what();
  } catch (...) {
    ADD_FAILURE() << "coroutine threw a non-std exception";
  }
}

/// Filled when the coroutine completes (empty while it runs, or if it threw).
template <typename T>
using Slot = std::shared_ptr<std::optional<T>>;

/// Spawns `aw` on `ctx` without running it; the slot fills when it completes.
template <typename T>
Slot<T> spawnInto(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw) {
  auto out = std::make_shared<std::optional<T>>();
  boost::asio::co_spawn(ctx, std::move(aw), [out](std::exception_ptr e, T v) {
    reportException(e);
    if (!e) {
      out->emplace(std::move(v));
    }
  });
  return out;
}

/// The same, cancellable through `sig`.
template <typename T>
Slot<T> spawnInto(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw,
                  boost::asio::cancellation_signal& sig) {
  auto out = std::make_shared<std::optional<T>>();
  boost::asio::co_spawn(
      ctx, std::move(aw),
      boost::asio::bind_cancellation_slot(sig.slot(), [out](std::exception_ptr e, T v) {
        reportException(e);
        if (!e) {
          out->emplace(std::move(v));
        }
      }));
  return out;
}

/// The same for a coroutine without a value: the slot holds `true` once it completed.
inline Slot<bool> spawnInto(boost::asio::io_context& ctx, boost::asio::awaitable<void> aw) {
  auto out = std::make_shared<std::optional<bool>>();
  boost::asio::co_spawn(ctx, std::move(aw), [out](std::exception_ptr e) {
    reportException(e);
    if (!e) {
      out->emplace(true);
    }
  });
  return out;
}

namespace detail {

/// How a coroutine ended, as the runners that rethrow keep it (shared with its completion
/// handler, which may run after a runner gave up).
template <typename T>
struct Outcome {
  bool done = false;
  std::exception_ptr error;
  std::optional<T> value;

  /// The value; rethrows what the coroutine threw, throws when it has not completed.
  T take() {
    if (error) {
      std::rethrow_exception(error);
    }
    if (!value) {
      throw std::runtime_error("coroutine did not complete");
    }
    return std::move(*value);
  }
};

template <typename T>
std::shared_ptr<Outcome<T>> spawnOutcome(boost::asio::io_context& ctx,
                                         boost::asio::awaitable<T> aw) {
  auto out = std::make_shared<Outcome<T>>();
  boost::asio::co_spawn(ctx, std::move(aw), [out](std::exception_ptr e, T v) {
    out->done = true;
    out->error = e;
    if (!e) {
      out->value.emplace(std::move(v));
    }
  });
  return out;
}

}  // namespace detail

/// Runs `ctx` (real time) until `slot` is filled or `bound` passed; whether it was filled.
template <typename T>
bool runUntilFilled(boost::asio::io_context& ctx, const Slot<T>& slot,
                    std::chrono::steady_clock::duration bound = kLoopBound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!slot->has_value()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    ctx.restart();
    if (ctx.run_one_for(deadline - now) == 0 && ctx.stopped()) {
      return false;  // no work left: it can never complete
    }
  }
  return true;
}

/// Runs `aw` to completion on `ctx` (real time, at most `bound`); nullopt when it did not
/// complete in time or threw (which fails the test). The awaitable must be created by the
/// caller (a named variable or a call), never from a braced temporary argument (GCC 12
/// coroutine bug).
template <typename T>
std::optional<T> tryRun(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw,
                        std::chrono::steady_clock::duration bound = kLoopBound) {
  Slot<T> out = spawnInto(ctx, std::move(aw));
  runUntilFilled(ctx, out, bound);
  return std::move(*out);
}

/// The same on a loop of its own.
template <typename T>
std::optional<T> tryRun(boost::asio::awaitable<T> aw,
                        std::chrono::steady_clock::duration bound = kLoopBound) {
  boost::asio::io_context ctx;
  return tryRun(ctx, std::move(aw), bound);
}

/// Runs `aw` to completion on `ctx` (real time, at most `bound`) and returns its value; rethrows
/// what it threw, throws when it did not complete in time.
template <typename T>
T runCoro(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw,
          std::chrono::steady_clock::duration bound = kLoopBound) {
  auto out = detail::spawnOutcome(ctx, std::move(aw));
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!out->done && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    if (ctx.run_one_for(deadline - std::chrono::steady_clock::now()) == 0 && ctx.stopped()) {
      break;  // no work left: it can never complete
    }
  }
  return out->take();
}

/// Virtual time: polls `ctx` (through `poll`, which may also drain what the test collects),
/// then, while `done()` is false and a timer is pending, advances `clock` to the next deadline
/// and polls again, at most `maxSteps` times.
template <typename Done, typename Poll>
void settle(ManualClock& clock, Done done, Poll poll, int maxSteps = kVirtualSteps) {
  poll();
  for (int step = 0; !done() && step < maxSteps && clock.pendingTimers() > 0; ++step) {
    clock.advance(clock.nextDeadline() - clock.steady());
    poll();
  }
}

/// Polls `ctx` once (handlers ready now, no waiting).
inline void pollOnce(boost::asio::io_context& ctx) {
  ctx.restart();
  ctx.poll();
}

/// Runs `aw` to completion on virtual time (no real I/O may be involved) and returns its value;
/// throws when it did not complete once no timer was left to fire.
template <typename T>
T runVirtual(boost::asio::io_context& ctx, ManualClock& clock, boost::asio::awaitable<T> aw,
             int maxSteps = kVirtualSteps) {
  auto out = detail::spawnOutcome(ctx, std::move(aw));
  settle(
      clock, [&] { return out->done; }, [&] { pollOnce(ctx); }, maxSteps);
  return out->take();
}

/// Runs `aw` with real I/O (sockets) and virtual timers: the loop runs in real time, and
/// `clock` advances to its next timer whenever the loop is idle. nullopt when it did not
/// complete within `bound` (real time) or threw (which fails the test).
template <typename T>
std::optional<T> runMixed(boost::asio::io_context& ctx, ManualClock& clock,
                          boost::asio::awaitable<T> aw,
                          std::chrono::steady_clock::duration bound = kLoopBound) {
  Slot<T> out = spawnInto(ctx, std::move(aw));
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!out->has_value() && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    const std::size_t n = ctx.run_for(std::chrono::milliseconds(2));
    if (n == 0 && clock.pendingTimers() > 0) {
      clock.advance(clock.nextDeadline() - clock.steady());
    }
  }
  return std::move(*out);
}

}  // namespace ls::testing
