// The state of one control server, shared by its accept loops, connections and sockets (private
// to ls_control; no Beast here). Everything runs on the server's one executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/async.hpp"
#include "lightshuttle/control/server.hpp"
#include "lightshuttle/runtime/operations.hpp"

namespace ls::control {

struct Server::State {
  State(lifecycle::LifecycleHandle& h, Clock& c, ServerOptions o, std::function<void()> stop,
        boost::asio::any_io_executor e)
      : handle(h), clock(c), options(std::move(o)), stopStack(std::move(stop)), ex(std::move(e)) {}

  lifecycle::LifecycleHandle& handle;
  Clock& clock;
  ServerOptions options;
  std::function<void()> stopStack;
  boost::asio::any_io_executor ex;

  std::optional<boost::asio::ip::tcp::acceptor> tcp;
  std::optional<boost::asio::local::stream_protocol::acceptor> unix;
  std::uint16_t port = 0;
  std::string sessionKey;  ///< the value of the session cookie (never the token itself)

  ls::detail::TaskGroup connections;         ///< accept loops and one task per connection
  ls::detail::TaskGroup operations;          ///< restart/stop/start requested through the API
  std::set<std::string> operationsInFlight;  ///< resources with an API operation running
  ServerStats counters;
  std::size_t rejecting = 0;  ///< 503 answers in flight
  bool closing = false;
  bool shutDown = false;

  /// Engine samples for /metrics, fetched at most once a second.
  std::map<std::string, runtime::StatsSample> samples;
  std::optional<Clock::SteadyTime> samplesAt;

  std::string url() const;
  std::string loginUrl() const;
};

namespace detail {

/// Serves one accepted connection until it closes, the peer misbehaves, or the server stops.
boost::asio::awaitable<void> serveTcp(std::shared_ptr<Server::State> s,
                                      boost::asio::ip::tcp::socket socket);
boost::asio::awaitable<void> serveUnix(std::shared_ptr<Server::State> s,
                                       boost::asio::local::stream_protocol::socket socket);
/// Answers 503 and closes (over the connection limit).
boost::asio::awaitable<void> rejectTcp(std::shared_ptr<Server::State> s,
                                       boost::asio::ip::tcp::socket socket);

}  // namespace detail
}  // namespace ls::control
