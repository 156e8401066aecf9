// Native readiness checks: a built-in healthcheck's test (HealthcheckSpec::native) spoken in the
// server's own protocol over the container's address, instead of a process exec'd into the
// container. An exec costs the engine ~0.15 CPU-s (a process joined to the container's
// namespaces); a native check costs a TCP connect and a few bytes, so a starting database can be
// probed every few tens of milliseconds without slowing its own start on a small machine.
//
//   std::string hello = nativeCheckRequest(check);     // written once connected
//   switch (classifyNativeReply(check, bytesSoFar)) {  // after each read
//     case NativeVerdict::Incomplete: /* read more */ break;
//     case NativeVerdict::Ready: ...; case NativeVerdict::NotReady: ...;
//   }
//
// A verdict is the one the healthcheck's command would give: Postgres is ready when it answers
// a startup message with anything but SQLSTATE 57P03 (starting up, shutting down, recovering),
// as `pg_isready` does; unlike `pg_isready` over the unix socket, it is not fooled by the
// official image's temporary init server, which listens on no TCP port. Redis is ready when PING
// answers PONG (with a password, after AUTH); without a password, NOAUTH also counts, as
// `redis-cli ping` exits 0 on it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::runtime {

enum class NativeVerdict {
  Ready,
  NotReady,    ///< the server is not ready, or what answered is not the expected server
  Incomplete,  ///< the reply so far decides nothing: read more
};

/// Only this many bytes of a reply count; undecided by then is NotReady (a check reads a few
/// dozen bytes).
inline constexpr std::size_t kNativeReplyCap = 4096;

/// The bytes a check writes once connected.
std::string nativeCheckRequest(const NativeCheck& check);

/// What the server's reply so far (every byte read since connecting) says. Total: any bytes
/// give a verdict or Incomplete.
NativeVerdict classifyNativeReply(const NativeCheck& check, std::string_view reply);

/// One native check bound to a running container's address (Runtime::nativeProber).
class NativeProber {
 public:
  virtual ~NativeProber() = default;
  /// One attempt within `timeout`: true when ready; false when not yet (connection refused, a
  /// "starting up" answer, no decisive answer in time). Unsupported when the address turned out
  /// unreachable from here: probe another way.
  virtual boost::asio::awaitable<Result<bool>> check(std::chrono::nanoseconds timeout) = 0;
};

}  // namespace ls::runtime
