// The control server in process: real loopback and unix sockets, the lifecycle on MemoryRuntime
// and a manual clock. Covers routing, authentication, the browser boundary, limits, the events,
// logs and metrics routes, and a shutdown with streams open.
#include "lightshuttle/control/server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio_fwd.hpp"
#include "lightshuttle/control/client.hpp"
#include "lightshuttle/control/codec.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"
#include "support/loop.hpp"

namespace ls::control {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using K = lifecycle::LifecycleEvent::Kind;

constexpr const char* kSecret = "s3cr3t-Value-0042";
constexpr const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

lifecycle::PlanNode node(const std::string& name, const std::vector<std::string>& deps = {}) {
  lifecycle::PlanNode n;
  n.name = name;
  n.spec.name = "demo_" + name;
  n.spec.project = "demo";
  n.spec.resource = name;
  n.spec.image = runtime::PullImage{.reference = "busybox:1"};
  for (const auto& d : deps) {
    n.dependencies.push_back(lifecycle::Dependency{.name = d});
  }
  return n;
}

/// Raw bytes to the TCP listener and whatever comes back until the server closes (bounded).
asio::awaitable<std::string> rawExchange(std::uint16_t port, std::string bytes,
                                         std::chrono::milliseconds bound) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::socket sock(ex);
  auto [cec] = co_await sock.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                           ls::detail::kUseTuple);
  if (cec) {
    co_return "connect failed: " + cec.message();
  }
  if (!bytes.empty()) {
    auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(bytes), ls::detail::kUseTuple);
    (void)wec;
    (void)wn;
  }
  std::string out;
  asio::steady_timer guard(ex, bound);
  guard.async_wait([&sock](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored;
      sock.close(ignored);
    }
  });
  char buf[4096];
  for (;;) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), ls::detail::kUseTuple);
    out.append(buf, n);
    if (ec) {
      break;
    }
  }
  guard.cancel();
  co_return out;
}

struct Fixture {
  asio::io_context ctx;
  ManualClock clock;
  runtime::MemoryRuntime rt{ctx.get_executor(), clock};
  SeededRng rng{7};
  std::unique_ptr<lifecycle::LifecycleManager> mgr;
  std::unique_ptr<Server> server;
  std::filesystem::path dir;
  bool stopRequested = false;

  explicit Fixture(ServerOptions extra = {}, lifecycle::Options lo = {}) {
    rt.addLocalImage("busybox:1");
    lifecycle::PlanNode db = node("db");
    db.spec.env["POSTGRES_PASSWORD"] = kSecret;
    db.spec.env["POSTGRES_USER"] = "app";
    db.spec.env["API_TOKEN"] = "not-declared-but-named-like-a-secret";
    db.spec.secretEnvKeys.insert("POSTGRES_PASSWORD");
    lifecycle::PlanNode web = node("web", {"db"});
    web.spec.ports.push_back(runtime::PortBinding{.containerPort = 8080});
    auto plan = lifecycle::Plan::create({db, web});
    EXPECT_TRUE(plan.has_value());
    mgr =
        std::make_unique<lifecycle::LifecycleManager>(rt, clock, rng, std::move(plan).value(), lo);
    char tmpl[] = "/tmp/ls-control-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    extra.unixSocket = dir / "demo.sock";
    extra.tcpPort = 0;
    extra.token = kToken;
    extra.version = "9.9.9";
    auto opened = run(Server::open(*mgr, clock, extra, [this] { stopRequested = true; }));
    EXPECT_TRUE(opened && opened->has_value());
    server = std::move(**opened);
    auto booted = run(mgr->start());
    EXPECT_TRUE(booted && booted->has_value());
  }

  ~Fixture() {
    if (server) {
      (void)run(shutdownServer());
    }
    (void)run(mgr->kill());
    server.reset();
    mgr.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  asio::awaitable<Result<void>> shutdownServer() {
    co_await server->shutdown();
    co_return ok();
  }

  /// Runs `aw` to completion on the loop (real time for sockets, virtual time advanced when the
  /// loop would otherwise idle with lifecycle timers pending). nullopt when it did not finish.
  template <typename T>
  std::optional<T> run(asio::awaitable<T> aw, std::chrono::seconds bound = 10s) {
    return ls::testing::runMixed(ctx, clock, std::move(aw), bound);
  }

  Client tcp(std::string token = kToken) const {
    return Client::tcp("127.0.0.1", server->port(), std::move(token));
  }
  Client unix() const { return Client::unixSocket(dir / "demo.sock"); }

  HttpResponse get(const Client& c, const std::string& target, std::string method = "GET") {
    auto r = run(c.request(std::move(method), target));
    EXPECT_TRUE(r && r->has_value()) << target;
    return r && r->has_value() ? **r : HttpResponse{};
  }

  std::string raw(std::string bytes, std::chrono::milliseconds bound = 3000ms) {
    auto r = run(rawExchange(server->port(), std::move(bytes), bound));
    return r.value_or("");
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

int statusOf(const std::string& rawResponse) {
  if (rawResponse.rfind("HTTP/1.1 ", 0) != 0) {
    return 0;
  }
  return std::stoi(rawResponse.substr(9, 3));
}

TEST(ControlServerTest, HealthzIsOpenAndEverythingElseNeedsTheToken) {
  // Ensures /healthz answers without credentials, every other route is 401 without the token
  // (revealing nothing, not even whether the route exists), and 200 with it.
  Fixture f;
  HttpResponse health = f.get(f.tcp(""), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  for (const char* target : {"/api/v1/stack", "/api/v1/resources", "/api/v1/resources/db",
                             "/metrics", "/api/v1/nope", "/api/v1/resources/nope/logs"}) {
    HttpResponse r = f.get(f.tcp(""), target);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(r.body, R"({"error":"unauthorized"})") << target;
    HttpResponse wrong = f.get(f.tcp(std::string(kToken).substr(1) + "0"), target);
    EXPECT_EQ(wrong.status, 401) << target;
  }
  HttpResponse ok = f.get(f.tcp(), "/api/v1/stack");
  EXPECT_EQ(ok.status, 200);
  auto stack = decodeStack(ok.body);
  ASSERT_TRUE(stack.has_value()) << ok.body;
  EXPECT_EQ(stack->project, "demo");
  EXPECT_EQ(stack->status, lifecycle::StackStatus::Ready);
  EXPECT_EQ(stack->resources, 2u);
  EXPECT_NE(ok.body.find("\"version\":\"9.9.9\""), std::string::npos);
}

TEST(ControlServerTest, EveryAnswerCarriesTheSecurityHeaders) {
  // Ensures CSP without inline script, nosniff, frame denial and no referrer on every answer,
  // errors included, and no-store on the API.
  Fixture f;
  for (const auto& [target, token] :
       std::vector<std::pair<std::string, std::string>>{{"/healthz", ""},
                                                        {"/api/v1/resources", kToken},
                                                        {"/api/v1/resources", ""},
                                                        {"/nope", kToken}}) {
    HttpResponse r = f.get(f.tcp(token), target);
    const std::string csp = r.headers["content-security-policy"];
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << target;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << target;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << target;
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << target;
    EXPECT_EQ(r.headers["x-frame-options"], "DENY") << target;
    EXPECT_EQ(r.headers["referrer-policy"], "no-referrer") << target;
  }
  EXPECT_EQ(f.get(f.tcp(), "/api/v1/resources").headers["cache-control"], "no-store");
}

TEST(ControlServerTest, LoginSetsAStrictCookieAndRedirectsAwayFromTheToken) {
  // Ensures the login URL sets an HttpOnly SameSite=Strict cookie and redirects to / (the token
  // leaves the address bar), the cookie then authenticates reads, and a wrong token gets a page
  // saying how to get the URL again, without the token.
  Fixture f;
  HttpResponse login = f.get(f.tcp(""), std::string("/login?token=") + kToken);
  EXPECT_EQ(login.status, 303);
  EXPECT_EQ(login.headers["location"], "/");
  const std::string cookie = login.headers["set-cookie"];
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(cookie.find(kToken), std::string::npos) << "the cookie must not be the token itself";
  const std::string pair = cookie.substr(0, cookie.find(';'));

  Client browser = f.tcp("");
  browser.headers["Cookie"] = pair;
  EXPECT_EQ(f.get(browser, "/api/v1/resources").status, 200);

  HttpResponse bad = f.get(f.tcp(""), "/login?token=wrong");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("lightshuttle dashboard"), std::string::npos);
  EXPECT_EQ(bad.body.find(kToken), std::string::npos);
  EXPECT_EQ(f.get(f.tcp(""), "/login").status, 401);
}

TEST(ControlServerTest, ACookieAloneCannotChangeStateOrOpenASocketWithoutOurOrigin) {
  // Ensures cross-site request forgery and WebSocket hijacking fail: a cookie-authenticated POST
  // or upgrade needs a same-origin Origin, and a foreign Origin is refused even with the token.
  Fixture f;
  HttpResponse login = f.get(f.tcp(""), std::string("/login?token=") + kToken);
  const std::string pair =
      login.headers["set-cookie"].substr(0, login.headers["set-cookie"].find(';'));
  Client noOrigin = f.tcp("");
  noOrigin.headers["Cookie"] = pair;
  EXPECT_EQ(f.get(noOrigin, "/api/v1/resources/web/restart", "POST").status, 403);
  auto ws = f.run(noOrigin.webSocket("/api/v1/events/ws"));
  ASSERT_TRUE(ws.has_value());
  EXPECT_FALSE(ws->has_value());

  Client foreign = f.tcp(kToken);
  foreign.headers["Origin"] = "http://127.0.0.1:1";
  EXPECT_EQ(f.get(foreign, "/api/v1/resources").status, 403);
  Client crossSite = f.tcp(kToken);
  crossSite.headers["Sec-Fetch-Site"] = "cross-site";
  EXPECT_EQ(f.get(crossSite, "/api/v1/resources").status, 403);

  Client ours = f.tcp("");
  ours.headers["Cookie"] = pair;
  ours.headers["Origin"] = "http://" + f.host();
  EXPECT_EQ(f.get(ours, "/api/v1/resources/web/restart", "POST").status, 202);
  auto sock = f.run(ours.webSocket("/api/v1/events/ws"));
  ASSERT_TRUE(sock.has_value() && sock->has_value())
      << (sock && !sock->has_value() ? sock->error().what() : "");
  (void)f.run([](std::unique_ptr<WebSocketClient> w) -> asio::awaitable<int> {
    co_await w->close();
    co_return 0;
  }(std::move(**sock)));
}

TEST(ControlServerTest, TheCookieIsPerStackAndNotForOtherLocalSites) {
  // Ensures the session cookie names the port (two stacks on one machine keep their sessions),
  // a cookie-authenticated fetch from another site of this host (another local port) is refused
  // while a plain navigation with it is not, and repeated security headers are a 400.
  Fixture f;
  HttpResponse login = f.get(f.tcp(""), std::string("/login?token=") + kToken);
  const std::string cookie = login.headers["set-cookie"];
  EXPECT_EQ(cookie.rfind("lightshuttle_session_" + std::to_string(f.server->port()) + "=", 0), 0u)
      << cookie;
  const std::string pair = cookie.substr(0, cookie.find(';'));
  Client sameSite = f.tcp("");
  sameSite.headers["Cookie"] = pair;
  sameSite.headers["Sec-Fetch-Site"] = "same-site";
  sameSite.headers["Sec-Fetch-Mode"] = "cors";
  EXPECT_EQ(f.get(sameSite, "/api/v1/resources").status, 403);
  Client navigation = f.tcp("");
  navigation.headers["Cookie"] = pair;
  navigation.headers["Sec-Fetch-Site"] = "same-site";
  navigation.headers["Sec-Fetch-Mode"] = "navigate";
  EXPECT_NE(f.get(navigation, "/").status, 403);
  const std::string host = "Host: " + f.host() + "\r\n";
  EXPECT_EQ(statusOf(f.raw("GET /api/v1/stack HTTP/1.1\r\n" + host + host +
                           "Authorization: Bearer " + kToken + "\r\n\r\n")),
            400);
}

TEST(ControlServerTest, AForeignHostIsRefusedEvenWithTheToken) {
  // Ensures DNS rebinding fails: only 127.0.0.1, localhost and [::1] with our port are accepted
  // as Host.
  Fixture f;
  const std::string port = std::to_string(f.server->port());
  for (const std::string& host : std::vector<std::string>{
           "evil.example:" + port, "127.0.0.1", "127.0.0.1:1", "localhost.evil:" + port}) {
    Client c = f.tcp();
    c.headers["Host"] = host;
    EXPECT_EQ(f.get(c, "/api/v1/resources").status, 403) << host;
  }
  for (const std::string& host :
       std::vector<std::string>{"localhost:" + port, "[::1]:" + port, "127.0.0.1:" + port}) {
    Client c = f.tcp();
    c.headers["Host"] = host;
    EXPECT_EQ(f.get(c, "/api/v1/resources").status, 200) << host;
  }
}

TEST(ControlServerTest, ResourcesComeInPlanOrderAndDetailsMaskSecrets) {
  // Ensures the list is in plan order with the documented fields, a detail masks declared and
  // secret-looking env values, and an unknown resource is a 404 naming it.
  Fixture f;
  HttpResponse list = f.get(f.tcp(), "/api/v1/resources");
  auto views = decodeViews(list.body);
  ASSERT_TRUE(views.has_value()) << list.body;
  ASSERT_EQ(views->size(), 2u);
  EXPECT_EQ((*views)[0].name, "db");
  EXPECT_EQ((*views)[1].name, "web");
  EXPECT_EQ((*views)[1].dependsOn, std::vector<std::string>{"db"});
  EXPECT_EQ((*views)[1].status, lifecycle::ResourceStatus::Running);
  EXPECT_EQ((*views)[1].containerName, "demo_web");
  ASSERT_EQ((*views)[1].ports.size(), 1u);
  EXPECT_NE(list.body.find("\"url\":\"http://127.0.0.1:"), std::string::npos) << list.body;

  HttpResponse detail = f.get(f.tcp(), "/api/v1/resources/db");
  EXPECT_EQ(detail.status, 200);
  EXPECT_EQ(detail.body.find(kSecret), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find("not-declared-but-named-like-a-secret"), std::string::npos);
  auto doc = json::parse(detail.body).as_object();
  EXPECT_EQ(doc["env"].as_object()["POSTGRES_PASSWORD"].as_string(), "***");
  EXPECT_EQ(doc["env"].as_object()["POSTGRES_USER"].as_string(), "app");
  EXPECT_EQ(doc["restart_policy"].as_string(), "no");

  HttpResponse missing = f.get(f.tcp(), "/api/v1/resources/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"error":"unknown resource 'nope'","resource":"nope"})");
  EXPECT_EQ(f.get(f.tcp(), "/api/v1/resources/nope/restart", "POST").status, 404);
  EXPECT_EQ(f.get(f.tcp(), "/api/v1/resources", "DELETE").status, 405);
}

/// Reads events from `ws` until one about `resource` of `kind` arrives (or `limit` messages).
asio::awaitable<std::vector<EventMessage>> readUntil(WebSocketClient& ws, std::string resource,
                                                     K kind, int limit = 50) {
  std::vector<EventMessage> out;
  for (int i = 0; i < limit; ++i) {
    auto msg = co_await ws.read(5s);
    if (!msg || !*msg) {
      break;
    }
    auto m = decodeEventMessage(**msg);
    if (!m) {
      ADD_FAILURE() << m.error().what() << ": " << **msg;
      break;
    }
    out.push_back(*m);
    if (m->event && m->event->resource == resource && m->event->kind == kind) {
      break;
    }
  }
  co_return out;
}

TEST(ControlServerTest, ARestartIsAcceptedAtOnceAndFollowedThroughEvents) {
  // Ensures POST restart answers 202 before the work is done, a second one while it runs is a
  // 409, and the events socket shows a snapshot first, then the restart through to healthy
  // with the resource's view after each event.
  Fixture f;
  Client c = f.tcp();
  auto ws = f.run(c.webSocket("/api/v1/events/ws"));
  ASSERT_TRUE(ws && ws->has_value());
  WebSocketClient& sock = ***ws;
  auto first = f.run(sock.read(5s));
  ASSERT_TRUE(first && first->has_value() && first->value().has_value());
  auto snapshot = decodeEventMessage(*first->value());
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->type, EventMessage::Type::Snapshot);
  EXPECT_EQ(snapshot->resources.size(), 2u);

  runtime::Gate gate = f.rt.hold(runtime::Op::Start);  // the restart's start waits for us
  HttpResponse accepted = f.get(c, "/api/v1/resources/web/restart", "POST");
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, R"({"operation":"restart","resource":"web"})");
  HttpResponse busy = f.get(c, "/api/v1/resources/web/restart", "POST");
  EXPECT_EQ(busy.status, 409) << busy.body;
  auto view = decodeView(f.get(c, "/api/v1/resources/web").body);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->operation, std::optional<std::string>("restart"));
  gate.release();

  auto events = f.run(readUntil(sock, "web", K::OperationCompleted));
  ASSERT_TRUE(events.has_value());
  std::vector<K> kinds;
  for (const auto& m : *events) {
    if (m.event && m.event->resource == "web") {
      kinds.push_back(m.event->kind);
    }
  }
  ASSERT_GE(kinds.size(), 2u);
  EXPECT_EQ(kinds.front(), K::ResourceRestarting);
  EXPECT_EQ(kinds[kinds.size() - 2], K::ResourceHealthy);
  EXPECT_EQ(kinds.back(), K::OperationCompleted);
  // The view sent with healthy has the published port again; the one sent with the end of the
  // operation no longer names it (the dashboard's buttons come back).
  const EventMessage& healthy = (*events)[events->size() - 2];
  ASSERT_TRUE(healthy.resource.has_value());
  EXPECT_EQ(healthy.resource->status, lifecycle::ResourceStatus::Running);
  EXPECT_EQ(healthy.resource->ports.size(), 1u);
  const EventMessage& last = events->back();
  ASSERT_TRUE(last.resource.has_value());
  EXPECT_EQ(last.resource->operation, std::nullopt);
  ASSERT_TRUE(last.stack.has_value());
  (void)f.run([](WebSocketClient& w) -> asio::awaitable<int> {
    co_await w.close();
    co_return 0;
  }(sock));
}

TEST(ControlServerTest, ASlowEventsClientIsToldItLaggedAndGetsAFreshSnapshot) {
  // Ensures a subscriber that falls behind gets `lagged` with the count, then a snapshot, and
  // never stalls the supervisor (its queue is bounded).
  lifecycle::Options lo;
  lo.eventQueueCapacity = 1;
  Fixture f({}, lo);
  Client c = f.tcp();
  auto ws = f.run(c.webSocket("/api/v1/events/ws"));
  ASSERT_TRUE(ws && ws->has_value());
  WebSocketClient& sock = ***ws;
  auto first = f.run(sock.read(5s));
  ASSERT_TRUE(first && first->has_value());
  // A restart publishes several events in one turn of the loop: with one slot, some are lost.
  auto restarted = f.run(f.mgr->restart("web"));
  ASSERT_TRUE(restarted && restarted->has_value());
  bool lagged = false;
  bool snapshotAfter = false;
  for (int i = 0; i < 20 && !snapshotAfter; ++i) {
    auto msg = f.run(sock.read(2s));
    if (!msg || !msg->has_value() || !msg->value().has_value()) {
      break;
    }
    auto m = decodeEventMessage(*msg->value());
    ASSERT_TRUE(m.has_value());
    if (m->type == EventMessage::Type::Lagged) {
      lagged = true;
      EXPECT_GT(m->missed, 0u);
    } else if (lagged && m->type == EventMessage::Type::Snapshot) {
      snapshotAfter = true;
      EXPECT_EQ(m->resources.size(), 2u);
    }
  }
  EXPECT_TRUE(lagged);
  EXPECT_TRUE(snapshotAfter);
}

TEST(ControlServerTest, LogsComeAsNdjsonAndFollowStaysOpen) {
  // Ensures the logs route answers NDJSON lines with ts/stream/line, honours tail, keeps a
  // followed response open for new lines, and escapes what the container wrote.
  Fixture f;
  ASSERT_TRUE(f.rt.writeLog("demo_web", "one"));
  ASSERT_TRUE(f.rt.writeLog("demo_web", "two <script>\x1b[31mred\x1b[0m"));
  ASSERT_TRUE(f.rt.writeLog("demo_web", "oops", runtime::LogChunk::Stream::Stderr));
  HttpResponse all = f.get(f.tcp(), "/api/v1/resources/web/logs");
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.headers["content-type"], "application/x-ndjson");
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < all.body.size();) {
    const std::size_t nl = all.body.find('\n', pos);
    lines.push_back(all.body.substr(pos, nl - pos));
    pos = nl == std::string::npos ? all.body.size() : nl + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << all.body;
  auto second = json::parse(lines[1]).as_object();
  EXPECT_EQ(second["line"].as_string(), "two <script>\x1b[31mred\x1b[0m");
  EXPECT_EQ(second["stream"].as_string(), "stdout");
  EXPECT_EQ(json::parse(lines[2]).as_object()["stream"].as_string(), "stderr");

  HttpResponse tail = f.get(f.tcp(), "/api/v1/resources/web/logs?tail=1");
  EXPECT_EQ(std::count(tail.body.begin(), tail.body.end(), '\n'), 1) << tail.body;
  EXPECT_EQ(f.get(f.tcp(), "/api/v1/resources/web/logs?tail=x").status, 400);
  EXPECT_EQ(f.get(f.tcp(), "/api/v1/resources/nope/logs").status, 404);

  // Following: the raw response stays open; a line written later arrives.
  auto follow = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer later(ex, 100ms);
    auto writer = [&]() -> asio::awaitable<void> {
      (void)co_await later.async_wait(ls::detail::kUseTuple);
      f.rt.writeLog("demo_web", "three-later");
    };
    asio::co_spawn(ex, writer(), [](std::exception_ptr) {});
    co_return co_await rawExchange(
        f.server->port(),
        "GET /api/v1/resources/web/logs?follow=1&tail=0 HTTP/1.1\r\nHost: " + f.host() +
            "\r\nAuthorization: Bearer " + kToken + "\r\n\r\n",
        800ms);
  };
  auto followed = f.run(follow());
  ASSERT_TRUE(followed.has_value());
  EXPECT_NE(followed->find("three-later"), std::string::npos) << *followed;
  EXPECT_NE(followed->find("Transfer-Encoding: chunked"), std::string::npos);
}

TEST(ControlServerTest, MetricsNeedTheTokenAndDescribeTheStack) {
  // Ensures /metrics is token-guarded and has the documented families in the text format.
  Fixture f;
  EXPECT_EQ(f.get(f.tcp(""), "/metrics").status, 401);
  HttpResponse m = f.get(f.tcp(), "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  for (const char* needle : {"lightshuttle_resources{status=\"running\"} 2",
                             "lightshuttle_resource_up{resource=\"db\"} 1",
                             "lightshuttle_resource_restarts_total{resource=\"web\"} 0",
                             "lightshuttle_build_info{version=\"9.9.9\"} 1",
                             "# TYPE lightshuttle_resource_restarts_total counter"}) {
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle << "\n" << m.body;
  }
  EXPECT_EQ(m.body.find(kToken), std::string::npos);
  EXPECT_EQ(m.body.find(kSecret), std::string::npos);
}

TEST(ControlServerTest, TheUnixSocketNeedsNoTokenAndAloneTellsTheLoginUrl) {
  // Ensures the same-uid unix socket serves the API without a token, and that the login URL
  // (with the token) is told there and nowhere on TCP.
  Fixture f;
  EXPECT_EQ(f.get(f.unix(), "/api/v1/resources").status, 200);
  HttpResponse info = f.get(f.unix(), "/api/v1/dashboard");
  EXPECT_EQ(info.status, 200);
  EXPECT_NE(info.body.find(kToken), std::string::npos);
  EXPECT_NE(info.body.find("\"login_url\":\"http://127.0.0.1:" + std::to_string(f.server->port()) +
                           "/login?token="),
            std::string::npos);
  HttpResponse tcp = f.get(f.tcp(), "/api/v1/dashboard");
  EXPECT_EQ(tcp.status, 404);
  EXPECT_EQ(tcp.body.find(kToken), std::string::npos);
  EXPECT_EQ(
      std::filesystem::status(f.dir / "demo.sock").permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(ControlServerTest, StackStopAnswersFirstThenAsksTheSupervisorToStop) {
  // Ensures POST /api/v1/stack/stop is accepted and the supervisor's stop callback runs.
  Fixture f;
  EXPECT_FALSE(f.stopRequested);
  HttpResponse r = f.get(f.unix(), "/api/v1/stack/stop", "POST");
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(f.stopRequested);
}

TEST(ControlServerTest, LimitsAnswerWithTheirStatusAndCloseOnlyThatConnection) {
  // Ensures an oversized header is 431, an oversized body 413, malformed HTTP 400, and that
  // the server keeps serving other connections afterwards.
  ServerOptions o;
  o.maxBodyBytes = 1024;
  Fixture f(o);
  const std::string auth = "Host: " + f.host() + "\r\nAuthorization: Bearer " + kToken + "\r\n";
  EXPECT_EQ(statusOf(f.raw("GET /healthz HTTP/1.1\r\nHost: " + f.host() +
                           "\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n")),
            431);
  EXPECT_EQ(statusOf(f.raw("POST /api/v1/stack/stop HTTP/1.1\r\n" + auth +
                           "Content-Length: 5000\r\n\r\n" + std::string(5000, 'x'))),
            413);
  EXPECT_FALSE(f.stopRequested);
  EXPECT_EQ(statusOf(f.raw("GARBAGE\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(f.raw("GET /healthz HTTP/1.1\r\nHost: " + f.host() +
                           "\r\nContent-Length: -3\r\n\r\n")),
            400);
  EXPECT_EQ(f.get(f.tcp(), "/api/v1/stack").status, 200);
}

TEST(ControlServerTest, AClientThatSendsNothingIsClosedAfterTheRequestTimeout) {
  // Ensures a slowloris connection is dropped once the request timeout passes, freeing its slot.
  ServerOptions o;
  o.requestTimeout = 300ms;
  Fixture f(o);
  const auto t0 = std::chrono::steady_clock::now();
  std::string got = f.raw("GET /healthz HTTP/1.1\r\nHost: ", 5000ms);  // never finished
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(got.empty()) << got;
  EXPECT_LT(waited, 4500ms) << "the server did not close the idle connection";
  EXPECT_EQ(f.server->stats().openConnections, 0u);
}

TEST(ControlServerTest, ConnectionsPastTheLimitAreAnswered503) {
  // Ensures the connection limit holds: with the limit reached, a new connection gets 503 and the
  // held ones are unaffected.
  ServerOptions o;
  o.maxConnections = 2;
  Fixture f(o);
  auto hold = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
    for (int i = 0; i < 2; ++i) {
      auto s = std::make_unique<asio::ip::tcp::socket>(ex);
      co_await s->async_connect({asio::ip::make_address("127.0.0.1"), f.server->port()},
                                ls::detail::kUseTuple);
      held.push_back(std::move(s));
    }
    asio::steady_timer settle(ex, 100ms);
    (void)co_await settle.async_wait(ls::detail::kUseTuple);
    co_return co_await rawExchange(f.server->port(), "", 2000ms);
  };
  auto third = f.run(hold());
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(statusOf(*third), 503) << *third;
  EXPECT_GE(f.server->stats().rejectedConnections, 1u);
}

TEST(ControlServerTest, ShutdownEndsEveryConnectionAndStreamAndRemovesTheSocket) {
  // Ensures shutdown returns with an events socket and a followed log open, both ended, and the
  // unix socket file gone (nothing outlives the server).
  Fixture f;
  Client c = f.tcp();
  auto ws = f.run(c.webSocket("/api/v1/events/ws"));
  ASSERT_TRUE(ws && ws->has_value());
  auto logs = f.run(c.webSocket("/api/v1/resources/web/logs/ws"));
  ASSERT_TRUE(logs && logs->has_value());
  EXPECT_EQ(f.server->stats().openEventSockets, 1u);
  auto done = f.run(f.shutdownServer());
  ASSERT_TRUE(done.has_value()) << "shutdown hung";
  EXPECT_EQ(f.server->stats().openConnections, 0u);
  EXPECT_FALSE(std::filesystem::exists(f.dir / "demo.sock"));
  // The clients see their sockets end.
  auto snapshot = f.run((***ws).read(2s));
  ASSERT_TRUE(snapshot.has_value());
  auto end = f.run((***ws).read(2s));
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(!end->has_value() || !end->value().has_value());
  f.server.reset();
}

TEST(ControlServerTest, ATakenPortIsAConflictNamingIt) {
  // Ensures a second server on a port that is in use fails before serving, naming the port.
  Fixture f;
  ServerOptions o;
  o.tcpPort = f.server->port();
  auto second = f.run(Server::open(*f.mgr, f.clock, o, [] {}));
  ASSERT_TRUE(second.has_value());
  ASSERT_FALSE(second->has_value());
  EXPECT_EQ(second->error().code(), Errc::Conflict);
  EXPECT_NE(second->error().message().find(std::to_string(f.server->port())), std::string::npos);
}

}  // namespace
}  // namespace ls::control
