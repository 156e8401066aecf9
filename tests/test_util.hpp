// Helpers shared by the test executables.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ls::testing {

/// Runs one coroutine to completion on a fresh io_context and returns its value; rethrows what
/// it threw. The awaitable must be created by the caller (a named variable or a call), never from
/// a braced temporary argument (GCC 12 coroutine bug).
template <typename T>
T runCoro(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr err;
  boost::asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e, T v) {
    err = e;
    if (!e) {
      out.emplace(std::move(v));
    }
  });
  ctx.restart();
  ctx.run();
  if (err) {
    std::rethrow_exception(err);
  }
  if (!out) {
    throw std::runtime_error("coroutine did not complete");
  }
  return std::move(*out);
}

}  // namespace ls::testing
