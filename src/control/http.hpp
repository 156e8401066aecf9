// Beast types and helpers shared by the connection and WebSocket code of ls_control (private;
// never included from a public header).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "control/router.hpp"
#include "control/state.hpp"

namespace ls::control::detail {

using TcpStream = boost::beast::basic_stream<boost::asio::ip::tcp>;
using UnixStream = boost::beast::basic_stream<boost::asio::local::stream_protocol>;
using Request = boost::beast::http::request<boost::beast::http::string_body>;

/// The headers every answer carries (CSP, nosniff, frame denial, no referrer); API answers
/// also `Cache-Control: no-store`.
void secureHeaders(boost::beast::http::fields& fields, bool api);

/// Runs the WebSocket route `route` on an upgrade request (already authorised) until the socket
/// closes or the server stops.
template <class Stream>
boost::asio::awaitable<void> runSocket(std::shared_ptr<Server::State> s, Stream stream, Request req,
                                       Route route);

extern template boost::asio::awaitable<void> runSocket<TcpStream>(std::shared_ptr<Server::State>,
                                                                  TcpStream, Request, Route);
extern template boost::asio::awaitable<void> runSocket<UnixStream>(std::shared_ptr<Server::State>,
                                                                   UnixStream, Request, Route);

/// Log options from the query (tail, since, follow): InvalidArgument naming the bad parameter.
Result<runtime::LogOptions> logOptions(const Route& route, bool follow);

/// The HTTP status of an error of the handle (404 NotFound, 409 Conflict/FailedPrecondition...).
unsigned statusOf(const Error& e);

}  // namespace ls::control::detail
