// Byte-stream transport under the HTTP client: the real unix/tcp sockets, and the seam that
// the unit tests replace with canned bytes (tests/unit/engine/fake_transport.hpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/endpoint.hpp"

namespace ls::engine {

class Connection {
 public:
  virtual ~Connection() = default;
  /// Reads at least one byte; 0 means the peer closed. Unavailable on a transport error,
  /// Cancelled when the awaiting coroutine was cancelled.
  virtual boost::asio::awaitable<Result<std::size_t>> readSome(char* buf, std::size_t len) = 0;
  virtual boost::asio::awaitable<Result<void>> writeAll(std::string_view data) = 0;
  /// Half-close: shuts down our sending direction (the peer reads EOF) while reading goes on.
  /// Used on hijacked connections once stdin is exhausted. Unavailable on a transport error.
  virtual Result<void> shutdownWrite() = 0;
  /// Closes the connection; pending operations complete with an error.
  virtual void close() = 0;
  /// True when an idle connection can no longer carry a request: the peer closed it, reset it,
  /// or sent bytes nobody asked for. Tested without blocking and without consuming anything.
  virtual bool peerClosed() { return false; }
};

class Connector {
 public:
  virtual ~Connector() = default;
  /// Opens a new connection on the awaiting coroutine's executor. Unavailable with a message
  /// that names the endpoint and what to do when the engine cannot be reached.
  virtual boost::asio::awaitable<Result<std::unique_ptr<Connection>>> connect() = 0;
  /// The endpoint, for messages ("unix:///var/run/docker.sock").
  virtual std::string describe() const = 0;
};

std::unique_ptr<Connector> makeConnector(const Endpoint& endpoint);

}  // namespace ls::engine
