// File: lightshuttle/control/server.hpp
//
// The control plane of a running stack: one HTTP/1.1 + WebSocket server per supervisor, on a
// unix socket (same-uid peers, no token) and on TCP 127.0.0.1 (token, Host/Origin checks), with
// the same routes on both: REST under /api/v1, WebSockets for events, logs, stats and an exec
// terminal, Prometheus /metrics and the embedded dashboard. docs/control-api.md is the contract.
//
//   ServerOptions o;
//   o.unixSocket = dir / "quickstart.sock";
//   o.tcpPort = 0;                                    // a free port on 127.0.0.1
//   auto server = co_await Server::open(handle, clock, std::move(o), [&] { requestStop(); });
//   print((*server)->loginUrl());                     // http://127.0.0.1:PORT/login?token=...
//   ...
//   co_await (*server)->shutdown();                   // before the handle goes
//
// It sees the stack only through `lifecycle::LifecycleHandle`; it never talks to the engine.
//
// Threading: everything runs on the executor `open` is awaited on (the lifecycle's loop
// thread), so handlers read the handle without locks. Lifetime: call `shutdown()` and await it
// before destroying the handle; it cancels every connection and waits until all have ended.
#pragma once

#include <sys/types.h>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/handle.hpp"

namespace ls::control {

/// The supervisor's answer to a watch request.
struct WatchAnswer {
  bool changed = false;  ///< false: it was already in the state asked for
  std::string message;   ///< e.g. "watching 3 rules (12 directories) for web"
};

struct ServerOptions {
  /// Listen on this unix socket (created 0600; a stale file is replaced). Empty: none.
  std::filesystem::path unixSocket;
  /// Listen on 127.0.0.1 at this port (0: a free one). nullopt: no TCP listener.
  std::optional<std::uint16_t> tcpPort;
  /// The bearer token; empty: 32 random bytes drawn at open (64 hex digits).
  std::string token;
  std::string version = "0.0.0";  ///< reported by /api/v1/stack and lightshuttle_build_info
  pid_t supervisorPid = 0;        ///< reported by /api/v1/stack
  std::size_t maxConnections = 256;
  std::chrono::nanoseconds requestTimeout{std::chrono::seconds(10)};
  std::size_t maxHeaderBytes = 16 * 1024;
  std::size_t maxBodyBytes = 1024 * 1024;
  /// Messages queued per WebSocket client before it is sent `lagged` (events) or loses lines.
  std::size_t socketQueue = 512;
  /// POST /api/v1/watch (`true`) and /api/v1/watch/stop (`false`): starts or stops the
  /// supervisor's file watcher (`lightshuttle watch`). Unset: those routes answer 404.
  std::function<Result<WatchAnswer>(bool start)> watch;
};

/// Counters of the server's own work (for tests and the bench).
struct ServerStats {
  std::size_t openConnections = 0;
  std::size_t acceptedConnections = 0;
  std::size_t rejectedConnections = 0;  ///< over maxConnections (answered 503)
  std::size_t openEventSockets = 0;
  std::size_t openStatsStreams = 0;  ///< engine stats streams running for stats sockets
};

class Server {
 public:
  /// Binds the listeners and starts accepting on the calling coroutine's executor.
  /// `stopStack` runs for POST /api/v1/stack/stop (graceful shutdown, as Ctrl+C).
  /// Errors: Conflict when the TCP port is taken ("port N on 127.0.0.1 is already in use"),
  /// Unavailable when a listener cannot be opened.
  static boost::asio::awaitable<Result<std::unique_ptr<Server>>> open(
      lifecycle::LifecycleHandle& handle, Clock& clock, ServerOptions options,
      std::function<void()> stopStack);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Stops accepting, cancels every connection (streams included) and waits until all have
  /// ended; removes the unix socket file. Idempotent.
  boost::asio::awaitable<void> shutdown();

  /// The TCP port (0 without a TCP listener).
  std::uint16_t port() const;
  /// `http://127.0.0.1:PORT/` (empty without a TCP listener).
  std::string url() const;
  /// `http://127.0.0.1:PORT/login?token=TOKEN`: where the token is meant to be seen.
  std::string loginUrl() const;
  const std::string& token() const;
  ServerStats stats() const;

  struct State;  // private to the implementation

 private:
  explicit Server(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace ls::control
