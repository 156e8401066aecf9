// Private helpers for coroutine code on Boost.Asio 1.81 (pinned spellings in one place).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ls::detail {
/// `co_await op(..., kUseTuple)` yields (error_code, results...) instead of throwing.
inline constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);
}  // namespace ls::detail
