// Running coroutines in unit tests: spawned on the test's io_context, their result kept in a
// slot the test reads after polling, an exception out of one a failure of the current test.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <optional>

namespace ls::test_support {

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

}  // namespace ls::test_support
