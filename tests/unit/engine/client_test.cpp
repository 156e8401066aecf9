#include "lightshuttle/engine/client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "support/loop.hpp"
#include "unit/engine/fake_transport.hpp"

namespace ls::engine {
namespace {

using testing::chunkedResponse;
using testing::FakeConnector;
using testing::FakeEngine;
using testing::httpResponse;

std::string ping(std::string_view version, std::string_view extra = {}) {
  return httpResponse(200, "",
                      "Api-Version: " + std::string(version) + "\r\n" + std::string(extra));
}

class ClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> makeClient(ClientOptions opts = {}) {
    return std::make_unique<Client>(std::make_unique<FakeConnector>(engine), std::move(opts));
  }
  template <typename T>
  T run(boost::asio::awaitable<T> aw) {
    return ls::testing::runCoro(ctx, std::move(aw));
  }

  boost::asio::io_context ctx;
  std::shared_ptr<FakeEngine> engine = std::make_shared<FakeEngine>();
};

TEST_F(ClientTest, NegotiatesTheLowerOfBothVersionsWithHeadPing) {
  // Ensures the ping is an unversioned HEAD and the negotiated version is min(ours, engine's).
  engine->exchanges.push_back(
      {.response = ping("1.41", "OSType: linux\r\nBuilder-Version: 1\r\n")});
  auto client = makeClient();
  auto info = run(client->negotiate());
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(engine->requests.at(0),
            "HEAD /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: lightshuttle/0.1\r\n\r\n");
  EXPECT_EQ(info->serverApiVersion, "1.41");
  EXPECT_EQ(info->apiVersion, "1.41");
  EXPECT_EQ(info->osType, "linux");
  EXPECT_FALSE(info->podman);
  EXPECT_EQ(client->apiVersion(), "1.41");
}

TEST_F(ClientTest, CapsTheVersionAtOurMaximum) {
  // Ensures a newer engine is spoken to with the newest version we know, never its own.
  engine->exchanges.push_back({.response = ping("1.51")});
  auto client = makeClient();
  auto info = run(client->negotiate());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->apiVersion, "1.45");
}

TEST_F(ClientTest, RefusesAnEngineOlderThanTheMinimum) {
  // Ensures an engine below API 1.40 gives a FailedPrecondition that says what to do.
  engine->exchanges.push_back({.response = ping("1.30")});
  auto client = makeClient();
  auto info = run(client->negotiate());
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), Errc::FailedPrecondition);
  EXPECT_NE(info.error().what().find("upgrade"), std::string::npos);
}

TEST_F(ClientTest, FallsBackToGetPingAndDetectsPodman) {
  // Ensures a HEAD answered without Api-Version is retried as GET, and podman is recognised.
  engine->exchanges.push_back({.response = httpResponse(405, "")});
  engine->exchanges.push_back(
      {.response = httpResponse(200, "OK", "Api-Version: 1.40\r\nLibpod-API-Version: 4.3.1\r\n")});
  auto client = makeClient();
  auto info = run(client->negotiate());
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(engine->requests.at(1).substr(0, 15), "GET /_ping HTTP");
  EXPECT_TRUE(info->podman);
  EXPECT_EQ(info->libpodApiVersion, "4.3.1");
  EXPECT_EQ(info->apiVersion, "1.40");
}

TEST_F(ClientTest, SendsTheExactRequestWithVersionQueryAndBody) {
  // Ensures the request line, headers, percent-encoded query and body are exactly as specified.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back({.response = httpResponse(201, R"({"Id":"abc"})")});
  auto client = makeClient();
  Request req{.method = "POST", .path = "/containers/create", .body = R"({"Image":"x"})"};
  req.query.emplace_back("name", "demo_db");
  req.query.emplace_back("filters", R"({"label":["a=b c"]})");
  auto res = run(client->request(std::move(req)));
  ASSERT_TRUE(res) << res.error().what();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, R"({"Id":"abc"})");
  EXPECT_EQ(
      engine->requests.at(1),
      "POST /v1.41/containers/create?name=demo_db&filters=%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D"
      " HTTP/1.1\r\nHost: docker\r\nUser-Agent: lightshuttle/0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}");
}

TEST_F(ClientTest, ReusesKeepAliveConnections) {
  // Ensures consecutive requests share one pooled connection while the engine keeps it alive.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back({.response = httpResponse(200, "[]")});
  engine->exchanges.push_back({.response = httpResponse(200, "[]")});
  auto client = makeClient();
  Request a{.path = "/containers/json"};
  Request b{.path = "/containers/json"};
  ASSERT_TRUE(run(client->request(std::move(a))));
  ASSERT_TRUE(run(client->request(std::move(b))));
  EXPECT_EQ(engine->connects, 1);
  EXPECT_EQ(client->idleConnections(), 1u);
}

TEST_F(ClientTest, DoesNotPoolAConnectionTheEngineCloses) {
  // Ensures "Connection: close" answers are not reused.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back(
      {.response = httpResponse(200, "[]", "Connection: close\r\n"), .closeAfter = true});
  engine->exchanges.push_back({.response = httpResponse(200, "[]")});
  auto client = makeClient();
  Request a{.path = "/a"};
  Request b{.path = "/b"};
  ASSERT_TRUE(run(client->request(std::move(a))));
  ASSERT_TRUE(run(client->request(std::move(b))));
  EXPECT_EQ(engine->connects, 2);
}

TEST_F(ClientTest, RetriesOnceWhenAPooledConnectionWentStale) {
  // Ensures a pooled connection closed by the engine while idle is replaced transparently.
  engine->exchanges.push_back({.response = ping("1.41")});
  auto client = makeClient();
  Request warm{.path = "/warm"};
  ASSERT_TRUE(run(client->negotiate()));
  ASSERT_EQ(client->idleConnections(), 1u);
  engine->staleReads = 1;
  engine->exchanges.push_back({.response = httpResponse(200, "two")});
  auto res = run(client->request(std::move(warm)));
  ASSERT_TRUE(res) << res.error().what();
  EXPECT_EQ(res->body, "two");
  EXPECT_EQ(engine->connects, 2);
}

TEST_F(ClientTest, APostIsNeverSentTwiceWhenAPooledConnectionFailsAfterTheWrite) {
  // Ensures a POST that was written on a reused connection which then broke before answering
  // is not repeated on a fresh one (the engine may have carried it out): it fails Unavailable.
  // Regression (issue 16): every request was retried, a container create included.
  engine->exchanges.push_back({.response = ping("1.41")});
  auto client = makeClient();
  ASSERT_TRUE(run(client->negotiate()));
  ASSERT_EQ(client->idleConnections(), 1u);
  engine->staleReads = 1;
  engine->exchanges.push_back({.response = httpResponse(201, R"({"Id":"x"})")});
  Request create{.method = "POST", .path = "/containers/create", .body = "{}"};
  auto res = run(client->request(std::move(create)));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), Errc::Unavailable);
  EXPECT_EQ(engine->connects, 1);
  std::size_t posts = 0;
  for (const auto& r : engine->requests) {
    posts += r.rfind("POST /v1.41/containers/create", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(posts, 1u);
}

TEST_F(ClientTest, APooledConnectionClosedWhileIdleIsDroppedBeforeUse) {
  // Ensures a keep-alive connection the engine closed while idle is noticed before a request is
  // written on it, so even a POST goes out once, on a fresh connection, and succeeds.
  engine->exchanges.push_back({.response = ping("1.41")});
  auto client = makeClient();
  ASSERT_TRUE(run(client->negotiate()));
  engine->closedWhileIdle = 1;
  engine->exchanges.push_back({.response = httpResponse(201, R"({"Id":"x"})")});
  Request create{.method = "POST", .path = "/containers/create", .body = "{}"};
  auto res = run(client->request(std::move(create)));
  ASSERT_TRUE(res) << res.error().what();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(engine->connects, 2);
}

TEST_F(ClientTest, ClassifiesEngineErrorsByStatus) {
  // Ensures 404/409/500 map to NotFound/Conflict/Internal with the engine's message kept.
  struct Row {
    int status;
    std::string body;
    Errc code;
    std::string message;
  };
  const std::vector<Row> rows = {
      {404, R"({"message":"No such container: x"})", Errc::NotFound, "No such container: x"},
      {409, R"({"message":"name in use"})", Errc::Conflict, "name in use"},
      {500, "plain failure text\n", Errc::Internal, "plain failure text"},
      {503, "", Errc::Unavailable, "http status 503"},
      {400, R"({"message":"bad parameter"})", Errc::InvalidArgument, "bad parameter"},
  };
  for (const auto& row : rows) {
    engine->exchanges.push_back({.response = ping("1.41")});
    engine->exchanges.push_back({.response = httpResponse(row.status, row.body)});
    auto client = makeClient();
    Request req{.path = "/containers/x/json", .operation = "inspect container 'x'"};
    auto res = run(client->request(std::move(req)));
    ASSERT_FALSE(res) << row.status;
    EXPECT_EQ(res.error().code(), row.code) << row.status;
    ASSERT_TRUE(res.error().engine().has_value());
    EXPECT_EQ(res.error().engine()->status, row.status);
    EXPECT_EQ(res.error().engine()->message, row.message);
    EXPECT_EQ(res.error().what(), "inspect container 'x': " + row.message);
  }
}

TEST_F(ClientTest, TimesOutWhenTheEngineNeverAnswers) {
  // Ensures a silent engine gives a Timeout naming the operation and the endpoint, not a hang.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back({.hang = true});
  ClientOptions opts;
  opts.requestTimeout = std::chrono::milliseconds(20);
  auto client = makeClient(opts);
  Request req{.path = "/info", .operation = "read engine info"};
  auto res = run(client->request(std::move(req)));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), Errc::Timeout);
  EXPECT_NE(res.error().what().find("read engine info"), std::string::npos);
  EXPECT_NE(res.error().what().find("fake://engine"), std::string::npos);
  EXPECT_EQ(client->idleConnections(), 0u);
}

TEST_F(ClientTest, ReportsAnUnreachableEngine) {
  // Ensures a refused connection is Unavailable and names the endpoint.
  engine->refuse = true;
  auto client = makeClient();
  Request req{.path = "/info"};
  auto res = run(client->request(std::move(req)));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), Errc::Unavailable);
  EXPECT_NE(res.error().what().find("fake://engine"), std::string::npos);
}

TEST_F(ClientTest, ReportsAResponseCutShort) {
  // Ensures a body shorter than its Content-Length is an Unavailable error, not a hang.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back(
      {.response = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", .closeAfter = true});
  auto client = makeClient();
  Request req{.path = "/info"};
  auto res = run(client->request(std::move(req)));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), Errc::Unavailable);
}

TEST_F(ClientTest, StreamsAChunkedBodyAtEverySplit) {
  // Ensures a chunked stream read in pieces of any size yields exactly the original body.
  const std::vector<std::string> pieces = {"{\"status\":\"a\"}\n", "{\"sta", "tus\":\"b\"}\n", "x"};
  const std::string want = "{\"status\":\"a\"}\n{\"status\":\"b\"}\nx";
  const std::string raw = chunkedResponse(200, pieces);
  for (std::size_t chunk = 1; chunk <= raw.size(); ++chunk) {
    engine = std::make_shared<FakeEngine>();
    engine->exchanges.push_back({.response = ping("1.41")});
    engine->exchanges.push_back({.response = raw, .chunk = chunk});
    auto client = makeClient();
    Request req{.path = "/events"};
    auto stream = run(client->stream(std::move(req)));
    ASSERT_TRUE(stream) << stream.error().what();
    std::string got;
    for (;;) {
      auto piece = run((*stream)->next());
      ASSERT_TRUE(piece) << piece.error().what();
      if (!*piece) {
        break;
      }
      got += **piece;
    }
    EXPECT_EQ(got, want) << "chunk " << chunk;
  }
}

TEST_F(ClientTest, StreamCutMidChunkIsAnError) {
  // Ensures a half-closed stream (engine gone mid-chunk) ends in Unavailable, not a clean end.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back(
      {.response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
       .closeAfter = true});
  auto client = makeClient();
  Request req{.path = "/events"};
  auto stream = run(client->stream(std::move(req)));
  ASSERT_TRUE(stream);
  auto first = run((*stream)->next());
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, "abc");
  auto second = run((*stream)->next());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Errc::Unavailable);
  EXPECT_NE(second.error().what().find("fake://engine"), std::string::npos);
}

TEST_F(ClientTest, StreamWithErrorStatusIsClassified) {
  // Ensures a stream request answered 500 with a non-JSON body becomes an Internal error.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back({.response = httpResponse(500, "boom")});
  auto client = makeClient();
  Request req{.path = "/containers/x/logs", .operation = "read logs of container 'x'"};
  auto stream = run(client->stream(std::move(req)));
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), Errc::Internal);
  EXPECT_EQ(stream.error().what(), "read logs of container 'x': boom");
}

TEST_F(ClientTest, GarbageMidStreamIsAnErrorNotACrash) {
  // Ensures an HTTP 500 status line appearing inside a chunked 200 body (a broken proxy or
  // engine) fails the stream with InvalidArgument naming the endpoint.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back({.response =
                                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "5\r\nfirst\r\nHTTP/1.1 500 Internal Server Error\r\n\r\n",
                               .chunk = 47,  // the header alone, then the body in pieces
                               .closeAfter = true});
  auto client = makeClient();
  Request req{.path = "/events"};
  auto stream = run(client->stream(std::move(req)));
  ASSERT_TRUE(stream);
  std::string got;
  Result<std::optional<std::string>> piece = std::optional<std::string>();
  for (;;) {
    piece = run((*stream)->next());
    if (!piece || !*piece) {
      break;
    }
    got += **piece;
  }
  ASSERT_FALSE(piece);
  EXPECT_EQ(piece.error().code(), Errc::InvalidArgument);
  EXPECT_NE(piece.error().what().find("fake://engine"), std::string::npos);
  EXPECT_EQ(got, "first");
}

TEST_F(ClientTest, CancellingAPendingRequestReturnsCancelled) {
  // Ensures a request waiting on a silent engine completes with Cancelled when its coroutine is
  // cancelled, and the connection is not returned to the pool.
  engine->exchanges.push_back({.response = ping("1.41")});
  engine->exchanges.push_back({.hang = true});
  auto client = makeClient();
  ASSERT_TRUE(run(client->negotiate()));
  boost::asio::cancellation_signal cancel;
  std::optional<Result<Response>> out;
  Request req{.path = "/containers/x/wait", .operation = "wait for container 'x'"};
  boost::asio::co_spawn(ctx, client->request(std::move(req)),
                        boost::asio::bind_cancellation_slot(
                            cancel.slot(), [&](std::exception_ptr e, Result<Response> r) {
                              ASSERT_FALSE(e);
                              out.emplace(std::move(r));
                            }));
  ctx.restart();
  ctx.poll();
  ASSERT_FALSE(out.has_value());
  cancel.emit(boost::asio::cancellation_type::terminal);
  ctx.run();
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code(), Errc::Cancelled);
  EXPECT_EQ(client->idleConnections(), 0u);
}

TEST(ApiVersionTest, ComparesNumerically) {
  // Ensures "1.9" < "1.41" and equal versions compare equal.
  EXPECT_LT(compareApiVersions("1.9", "1.41"), 0);
  EXPECT_GT(compareApiVersions("1.45", "1.41"), 0);
  EXPECT_EQ(compareApiVersions("1.41", "1.41"), 0);
  EXPECT_LT(compareApiVersions("1", "1.1"), 0);
}

}  // namespace
}  // namespace ls::engine
