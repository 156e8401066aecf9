// A scripted transport for client tests: every request written to a connection pops the next
// canned exchange, whose raw HTTP bytes the connection then serves in chunks of a chosen size.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/transport.hpp"

namespace ls::engine::testing {

struct FakeExchange {
  std::string response;          ///< raw bytes the engine "sends"
  std::size_t chunk = 1u << 20;  ///< readSome returns at most this many bytes
  bool closeAfter = false;       ///< EOF once the response is served
  bool hang = false;             ///< never answer (until cancelled)
  /// Serve the response, then keep the connection open without a byte more (until cancelled):
  /// a stream the engine has not ended (events, logs that follow, a running exec).
  bool hangAfter = false;
  /// The answer hijacks the connection (exec start): later writes on it are stdin bytes,
  /// recorded in FakeEngine::streamed instead of being requests.
  bool upgrade = false;
};

struct FakeEngine {
  std::deque<FakeExchange> exchanges;
  std::vector<std::string> requests;  ///< every request as written, in order
  int connects = 0;
  bool refuse = false;  ///< connect() fails like a refused socket
  /// The next N requests written on an already used connection get EOF without an answer
  /// (an idle keep-alive connection the engine closed).
  int staleReads = 0;
  /// The next N pooled connections tested for staleness (Connection::peerClosed) report that
  /// the engine closed them while idle.
  int closedWhileIdle = 0;
  std::string streamed;    ///< bytes written on hijacked connections
  int writeShutdowns = 0;  ///< shutdownWrite calls
};

class FakeConnector final : public Connector {
 public:
  explicit FakeConnector(std::shared_ptr<FakeEngine> engine) : engine_(std::move(engine)) {}
  boost::asio::awaitable<Result<std::unique_ptr<Connection>>> connect() override;
  std::string describe() const override { return "fake://engine"; }

 private:
  std::shared_ptr<FakeEngine> engine_;
};

/// "HTTP/1.1 <status> <reason>\r\n<headers>Content-Length: n\r\n\r\n<body>"
std::string httpResponse(int status, std::string_view body, std::string_view extraHeaders = {});
/// Same with a chunked body split into the given pieces.
std::string chunkedResponse(int status, const std::vector<std::string>& pieces,
                            std::string_view extraHeaders = {});

}  // namespace ls::engine::testing
