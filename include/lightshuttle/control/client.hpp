// File: lightshuttle/control/client.hpp
//
// A small client of the control API (docs/control-api.md), used by the CLI to reach a running
// supervisor over its unix socket, and by tests and tools over TCP with the token.
//
//   Client c = Client::unixSocket(dir / "quickstart.sock");
//   Result<HttpResponse> r = co_await c.request("GET", "/api/v1/resources");
//   auto events = co_await c.webSocket("/api/v1/events/ws");     // snapshot first
//   while (auto msg = co_await (*events)->read()) { ... }
//
// Every call is bounded by `timeout`, so a wedged supervisor is an error (Timeout), never a hang.
// Threading: one coroutine per call; a WebSocket is read by one coroutine at a time.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lightshuttle/core/result.hpp"

namespace ls::control {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
};

/// One open WebSocket of the API.
class WebSocketClient {
 public:
  virtual ~WebSocketClient() = default;
  /// The next text or binary message; nullopt once the server closed the socket. Timeout when
  /// nothing arrives within `timeout`.
  virtual boost::asio::awaitable<Result<std::optional<std::string>>> read(
      std::chrono::nanoseconds timeout) = 0;
  /// Sends a text (or binary) message.
  virtual boost::asio::awaitable<Result<void>> write(std::string message, bool binary = false) = 0;
  /// Closes the socket (normal closure). Idempotent.
  virtual boost::asio::awaitable<void> close() = 0;
};

class Client {
 public:
  /// Over a supervisor's unix socket (no token needed).
  static Client unixSocket(std::filesystem::path path);
  /// Over TCP (127.0.0.1:port) with a bearer token (empty: none sent).
  static Client tcp(std::string host, std::uint16_t port, std::string token);

  /// One request on a fresh connection. Errors: Unavailable (cannot connect, closed early),
  /// Timeout, Internal (an unreadable answer). An HTTP error status is a value, not an error.
  boost::asio::awaitable<Result<HttpResponse>> request(
      std::string method, std::string target, std::string body = {},
      std::chrono::nanoseconds timeout = std::chrono::seconds(10)) const;

  /// Opens a WebSocket at `target`. Errors as `request`, and FailedPrecondition carrying the
  /// server's error text when it answered with an HTTP error instead of upgrading.
  boost::asio::awaitable<Result<std::unique_ptr<WebSocketClient>>> webSocket(
      std::string target, std::chrono::nanoseconds timeout = std::chrono::seconds(10)) const;

  /// Extra request headers (e.g. Origin in tests).
  std::map<std::string, std::string> headers;

 private:
  Client() = default;
  std::filesystem::path socket_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string token_;
};

/// The `error` text of an API error body (`{"error": ...}`), or the body itself.
std::string errorText(const HttpResponse& response);

}  // namespace ls::control
