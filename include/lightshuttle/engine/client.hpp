// File: lightshuttle/engine/client.hpp
//
// HTTP/1.1 client of the Docker Engine API over a unix socket or TCP. Request/response calls
// share a keep-alive connection pool; each stream (logs follow, events, pull progress) owns a
// connection of its own with no body limit; an upgraded request (exec start, attach) hands its
// connection over as a raw bidirectional byte stream. The API version is negotiated once with
// `/_ping`
// (`min(ours, the engine's)`) and prefixed on every path (`/v1.41/containers/json`).
//
//   auto client = ls::engine::Client::create(endpoint);
//   auto res = co_await client->request({.method = "GET", .path = "/containers/json",
//                                        .query = {{"all", "1"}}, .operation = "list containers"});
//
// Thread safety: a Client belongs to one io_context running on one thread; all calls must be
// made from coroutines on that thread. Calls may be in flight concurrently.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/endpoint.hpp"

namespace ls::engine {

class Connector;
class Connection;
class HttpResponseReader;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string path;                                        ///< unversioned, e.g. "/containers/json"
  std::vector<std::pair<std::string, std::string>> query;  ///< values are percent-encoded by us
  std::string body;
  std::string contentType;  ///< defaults to application/json when a body is present
  Headers headers;
  /// Whole exchange for `request`; until the response header for `stream`. Default: client's.
  std::optional<std::chrono::milliseconds> timeout;
  bool versioned = true;  ///< prefix /v1.NN (false only for /_ping)
  /// On a new connection, never a pooled one: tells whether the engine accepts connections now
  /// (a stopping dockerd still answers on connections it had already accepted).
  bool fresh = false;
  std::string operation;  ///< for error messages: "inspect container 'db'"
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  /// First value of a header (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
};

struct PingInfo {
  std::string serverApiVersion;  ///< the engine's maximum (Api-Version)
  std::string apiVersion;        ///< negotiated: min(ours, the engine's)
  bool podman = false;           ///< Libpod-API-Version present
  std::string libpodApiVersion;
  std::string osType;
  std::string builderVersion;
  bool experimental = false;
};

struct ClientOptions {
  std::chrono::milliseconds requestTimeout{std::chrono::seconds(60)};
  std::chrono::milliseconds connectTimeout{std::chrono::seconds(5)};
  std::size_t maxIdleConnections = 8;
  std::string maxApiVersion = "1.45";  ///< newest API whose fields we know
  std::string minApiVersion = "1.40";  ///< Docker 19.03 / podman's compat layer
  std::uint64_t maxBufferedBody = 256ull << 20;
  std::string userAgent = "lightshuttle/0.1";
};

/// The body of a streaming response, read piece by piece on a connection of its own.
class ResponseStream {
 public:
  ResponseStream(std::unique_ptr<Connection> conn, std::unique_ptr<HttpResponseReader> reader,
                 std::string where);
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  int status() const;
  std::string_view header(std::string_view name) const;
  /// The next decoded body bytes, or nullopt at the clean end of the body. Unavailable when
  /// the engine closes the connection mid-body; Cancelled when the awaiting coroutine is
  /// cancelled. No timeout: wrap or cancel it yourself for idle streams.
  boost::asio::awaitable<Result<std::optional<std::string>>> next();
  /// Closes the connection; a pending `next` completes with an error.
  void close();

 private:
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<HttpResponseReader> reader_;
  std::string where_;
  bool eof_ = false;
  std::optional<Error> failed_;  // reported after the body bytes decoded before it
};

/// A connection the engine took over ("hijacked") after answering an upgrade request
/// (`101 UPGRADED`, or `200` from engines that hijack without saying so): from then on a raw,
/// bidirectional byte stream with no HTTP framing. What the bytes mean is the caller's business
/// (exec start: multiplexed stdout/stderr frames without a TTY, raw terminal bytes with one).
///
/// Thread safety: as the Client. One `read` and one `write` may be in flight at the same time
/// (from two coroutines on the loop thread); never two reads or two writes.
class UpgradedConnection {
 public:
  /// `buffered` holds the stream bytes that arrived together with the response header.
  UpgradedConnection(std::unique_ptr<Connection> conn, int status, Headers headers,
                     std::string buffered, std::string where);
  ~UpgradedConnection();
  UpgradedConnection(const UpgradedConnection&) = delete;
  UpgradedConnection& operator=(const UpgradedConnection&) = delete;

  /// 101, or 2xx from an engine that hijacks without the upgrade status.
  int status() const { return status_; }
  std::string_view header(std::string_view name) const;

  /// The next bytes from the engine (first those read past the response header), or nullopt
  /// once the engine closed its sending side (for exec: the process exited and its output was
  /// flushed). Unavailable on a transport error, Cancelled when the awaiting coroutine is
  /// cancelled. No timeout.
  boost::asio::awaitable<Result<std::optional<std::string>>> read();
  /// Writes all of `data` (which must stay alive until the write completes). Unavailable when
  /// the engine closed the connection (e.g. the process exited) or after `shutdownWrite`.
  boost::asio::awaitable<Result<void>> write(std::string_view data);
  /// Half-close: the engine reads EOF (for exec: the process's stdin is closed); reading goes
  /// on. Idempotent.
  Result<void> shutdownWrite();
  /// Closes both directions; pending operations complete with an error. Idempotent.
  void close();

 private:
  std::unique_ptr<Connection> conn_;
  int status_ = 0;
  Headers headers_;
  std::string buffered_;
  std::string where_;
  bool eof_ = false;
  bool writeShut_ = false;
  bool closed_ = false;
};

class Client {
 public:
  /// A client for `endpoint`. No I/O happens until the first call.
  static std::unique_ptr<Client> create(const Endpoint& endpoint, ClientOptions options = {});
  /// A client over any connector (the unit tests' fake transport).
  Client(std::unique_ptr<Connector> connector, ClientOptions options);
  ~Client();

  /// "unix:///var/run/docker.sock", for messages.
  std::string endpointDescription() const;

  /// Pings the engine and negotiates the API version (HEAD /_ping, GET fallback). Called
  /// implicitly by the first versioned request; call it again to re-negotiate (e.g. after an
  /// engine restart). FailedPrecondition when the engine is older than `minApiVersion`.
  boost::asio::awaitable<Result<PingInfo>> negotiate();
  /// The negotiated version, or empty before negotiation.
  const std::string& apiVersion() const { return apiVersion_; }
  const std::optional<PingInfo>& pingInfo() const { return ping_; }

  /// One buffered request. Any 1xx-3xx status is a value (304 means "already in that state");
  /// 4xx/5xx become an Error classified by status (404 NotFound, 409 Conflict, 400
  /// InvalidArgument, 401/403 PermissionDenied, 5xx Internal/Unavailable) carrying the
  /// engine's message. Timeout after `timeout`; Unavailable when the engine cannot be reached.
  boost::asio::awaitable<Result<Response>> request(Request req);

  /// A request whose body is read as a stream on a dedicated connection. Errors before the
  /// body (connection, non-2xx status with its message) come back as an Error.
  boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> stream(Request req);

  /// A request that asks the engine to hijack its connection (adds `Connection: Upgrade` and
  /// `Upgrade: tcp`) on a dedicated connection. Once the engine answers 101 (or 2xx) the
  /// connection is handed over as a raw duplex stream. Errors before that (connection, non-2xx
  /// status with the engine's message, `timeout` waiting for the header) come back as an Error;
  /// a header that is not an upgrade answer (1xx other than 101, 3xx) is Internal.
  boost::asio::awaitable<Result<std::unique_ptr<UpgradedConnection>>> upgrade(Request req);

  /// Idle pooled connections (for tests and diagnostics).
  std::size_t idleConnections() const { return idle_.size(); }

  /// The exact bytes sent for `req` (request line, headers, body) with the current version.
  std::string serialize(const Request& req) const;

 private:
  boost::asio::awaitable<Result<std::unique_ptr<Connection>>> connect();
  boost::asio::awaitable<Result<Response>> exchange(Connection& conn, const std::string& bytes,
                                                    bool head, bool& wrote, bool& sawBytes,
                                                    bool& reusable);
  boost::asio::awaitable<Result<void>> ensureNegotiated();

  std::unique_ptr<Connector> connector_;
  ClientOptions options_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::string apiVersion_;
  std::optional<PingInfo> ping_;
};

/// Compares dotted API versions numerically ("1.9" < "1.41"); -1, 0 or 1.
int compareApiVersions(std::string_view a, std::string_view b);

}  // namespace ls::engine
