// A scripted transport for client tests: every request written to a connection pops the next
// canned exchange, whose raw HTTP bytes the connection then serves in chunks of a chosen size.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/transport.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/engine/client.hpp"
#include "support/loop.hpp"

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
/// One frame of a multiplexed stream (1 stdout, 2 stderr): the 8-byte header, then `payload`.
std::string frame(int stream, std::string_view payload);
/// Same with a chunked body split into the given pieces.
std::string chunkedResponse(int status, const std::vector<std::string>& pieces,
                            std::string_view extraHeaders = {});

/// The request line of a raw request, without the protocol ("POST /v1.41/containers/x/kill").
std::string requestLine(const std::string& raw);
/// The head of a raw request, through the blank line.
std::string requestHead(const std::string& raw);
/// The body of a raw request (after the blank line).
std::string requestBody(const std::string& raw);

/// A test over the scripted transport: `engine` serves what the test queues; `client` talks to
/// it once connectClient() queued the answer to the version negotiation (request 0, so line(n)
/// is the n-th request after it).
class ScriptedEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { connectClient(); }

  /// A new engine script and a client of it whose negotiation is answered with `pingHeaders`.
  void connectClient(const std::string& pingHeaders = "Api-Version: 1.41\r\n") {
    engine = std::make_shared<FakeEngine>();
    engine->exchanges.push_back({.response = httpResponse(200, "", pingHeaders)});
    client = std::make_unique<Client>(std::make_unique<FakeConnector>(engine), ClientOptions{});
  }

  template <typename T>
  T run(boost::asio::awaitable<T> aw) {
    return ls::testing::runCoro(ctx, std::move(aw));
  }

  /// Runs `aw` on virtual time: polls, and advances `clock` to the next sleeper while the
  /// coroutine has not completed.
  template <typename T>
  T runVirtual(boost::asio::awaitable<T> aw) {
    return ls::testing::runVirtual(ctx, clock, std::move(aw));
  }

  void answer(int status, std::string body = {}) {
    engine->exchanges.push_back({.response = httpResponse(status, body)});
  }

  std::string line(std::size_t n) const { return requestLine(engine->requests.at(n + 1)); }
  std::string head(std::size_t n) const { return requestHead(engine->requests.at(n + 1)); }
  std::string body(std::size_t n) const { return requestBody(engine->requests.at(n + 1)); }
  /// How many requests followed the version negotiation.
  std::size_t sent() const { return engine->requests.size() - 1; }

  boost::asio::io_context ctx;
  ManualClock clock;
  std::shared_ptr<FakeEngine> engine;
  std::unique_ptr<Client> client;
};

}  // namespace ls::engine::testing
