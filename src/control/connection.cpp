// One HTTP connection of the control API: read a request within the limits, check the browser
// boundary and the credentials, route it, answer; WebSocket upgrades and followed logs hand the
// stream over and end the connection's request loop.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "control/codec_json.hpp"
#include "control/dashboard_assets.hpp"
#include "control/http.hpp"
#include "control/lines.hpp"
#include "control/metrics.hpp"
#include "control/security.hpp"
#include "core/asio_fwd.hpp"
#include "lightshuttle/control/codec.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace ls::control::detail {
namespace {

using Response = http::response<http::string_body>;

struct Reply {
  Response res;
  std::function<void()> afterWrite;  ///< runs once the answer is written (stack stop)
};

constexpr const char* kLoginHelp =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LightShuttle: "
    "sign-in needed</title></head><body><h1>This link has no valid token</h1><p>The dashboard "
    "of a running stack opens from its login URL. Run <code>lightshuttle dashboard</code> in "
    "the project's directory (or <code>lightshuttle dashboard -p PROJECT</code>) to print it "
    "again.</p></body></html>";

std::optional<std::string_view> header(const Request& req, http::field f) {
  auto it = req.find(f);
  if (it == req.end()) {
    return std::nullopt;
  }
  return std::string_view(it->value().data(), it->value().size());
}

std::optional<std::string_view> header(const Request& req, std::string_view name) {
  auto it = req.find(beast::string_view(name.data(), name.size()));
  if (it == req.end()) {
    return std::nullopt;
  }
  return std::string_view(it->value().data(), it->value().size());
}

/// Two Host or Origin headers are ambiguous (which one would a proxy have checked?): refused.
bool repeatedSecurityHeader(const Request& req) {
  for (http::field f :
       {http::field::host, http::field::origin, http::field::authorization, http::field::cookie}) {
    if (req.count(f) > 1) {
      return true;
    }
  }
  for (const char* name : {"Sec-Fetch-Site", "Sec-Fetch-Mode"}) {
    if (req.count(name) > 1) {
      return true;
    }
  }
  return false;
}

RequestMeta metaOf(const Request& req) {
  RequestMeta m;
  m.method = std::string_view(req.method_string().data(), req.method_string().size());
  m.host = header(req, http::field::host);
  m.origin = header(req, http::field::origin);
  m.secFetchSite = header(req, "Sec-Fetch-Site");
  m.secFetchMode = header(req, "Sec-Fetch-Mode");
  m.authorization = header(req, http::field::authorization);
  m.cookie = header(req, http::field::cookie);
  m.webSocket = beast::websocket::is_upgrade(req);
  return m;
}

Reply reply(const Request& req, http::status status, std::string body, std::string_view contentType,
            bool api) {
  Reply r;
  r.res.result(status);
  r.res.version(req.version());
  r.res.keep_alive(req.keep_alive());
  r.res.set(http::field::content_type, beast::string_view(contentType.data(), contentType.size()));
  secureHeaders(r.res, api);
  r.res.body() = std::move(body);
  r.res.prepare_payload();
  return r;
}

Reply json(const Request& req, http::status status, std::string body) {
  return reply(req, status, std::move(body), "application/json", true);
}

Reply jsonError(const Request& req, http::status status, std::string_view message,
                std::string_view resource = {}) {
  return json(req, status, errorBody(message, resource));
}

Reply errorReply(const Request& req, const Error& e, std::string_view resource) {
  return jsonError(req, static_cast<http::status>(statusOf(e)), e.message(), resource);
}

const Asset* findAsset(std::string_view path) {
  for (const Asset& a : dashboardAssets()) {
    if (a.path == path) {
      return &a;
    }
  }
  return nullptr;
}

bool acceptsGzip(const Request& req) {
  auto ae = header(req, http::field::accept_encoding);
  return ae && ae->find("gzip") != std::string_view::npos;
}

Reply loginPage(const Request& req, http::status status) {
  // The dashboard's own page is gzip-compressed: a client that cannot read that (curl without
  // --compressed) gets the built-in text instead of binary noise.
  const Asset* page = findAsset("/assets/login.html");
  if (page != nullptr && page->gzip && !acceptsGzip(req)) {
    page = nullptr;
  }
  Reply r = reply(req, status, page != nullptr ? std::string(page->body) : std::string(kLoginHelp),
                  "text/html; charset=utf-8", false);
  if (page != nullptr && page->gzip) {
    r.res.set(http::field::content_encoding, "gzip");
  }
  r.res.set(http::field::cache_control, "no-store");
  return r;
}

Reply assetReply(const Request& req, const Route& route) {
  const Asset* a = findAsset(route.path);
  if (a == nullptr) {
    if (dashboardAssets().empty() && route.path == "/") {
      return jsonError(req, http::status::not_found,
                       "this build of lightshuttle has no dashboard; the API is under /api/v1");
    }
    return jsonError(req, http::status::not_found, "no such file");
  }
  if (auto inm = header(req, http::field::if_none_match);
      inm && !a->etag.empty() && *inm == a->etag) {
    Reply r = reply(req, http::status::not_modified, {}, a->contentType, false);
    r.res.set(http::field::etag, beast::string_view(a->etag.data(), a->etag.size()));
    return r;
  }
  Reply r = reply(req, http::status::ok, std::string(a->body), a->contentType, false);
  if (a->gzip) {
    r.res.set(http::field::content_encoding, "gzip");
    r.res.set(http::field::vary, "Accept-Encoding");
  }
  if (!a->etag.empty()) {
    r.res.set(http::field::etag, beast::string_view(a->etag.data(), a->etag.size()));
  }
  r.res.set(http::field::cache_control, "no-cache");
  return r;
}

/// One engine sample per running resource, in parallel, cached for a second.
asio::awaitable<void> refreshSamples(Server::State& s) {
  const Clock::SteadyTime now = s.clock.steady();
  if (s.samplesAt && now - *s.samplesAt < std::chrono::seconds(1)) {
    co_return;
  }
  auto fresh = std::make_shared<std::map<std::string, runtime::StatsSample>>();
  ls::detail::TaskGroup group;
  for (const lifecycle::ResourceView& v : s.handle.list()) {
    if (v.containerId.empty() || v.status != lifecycle::ResourceStatus::Running) {
      continue;
    }
    auto one = [](lifecycle::LifecycleHandle& h, std::string name,
                  std::shared_ptr<std::map<std::string, runtime::StatsSample>> out)
        -> asio::awaitable<void> {
      Result<runtime::StatsSample> sample = co_await h.statsSample(name);
      if (sample) {
        (*out)[name] = *sample;
      }
    };
    group.spawn(s.ex, one(s.handle, v.name, fresh));
  }
  Result<void> waited = co_await group.waitEmpty();
  if (!waited) {
    group.cancelAll();
    co_await asio::this_coro::reset_cancellation_state();
    while (!group.empty()) {
      (void)co_await group.waitEmpty();
    }
    co_return;
  }
  s.samples = std::move(*fresh);
  s.samplesAt = s.clock.steady();
}

asio::awaitable<void> runOperation(std::shared_ptr<Server::State> s, std::string op,
                                   std::string name) {
  co_await asio::this_coro::throw_if_cancelled(false);
  // The lifecycle reports the outcome as events (OperationFailed on failure).
  if (op == "restart") {
    (void)co_await s->handle.restart(name);
  } else if (op == "stop") {
    (void)co_await s->handle.stop(name);
  } else {
    (void)co_await s->handle.start(name);
  }
  s->operationsInFlight.erase(name);
}

asio::awaitable<Reply> handle(std::shared_ptr<Server::State> s, const Request& req,
                              const Route& route, Transport transport) {
  lifecycle::LifecycleHandle& h = s->handle;
  switch (route.kind) {
    case RouteKind::Healthz: co_return json(req, http::status::ok, R"({"status":"ok"})");
    case RouteKind::Login: {
      auto it = route.query.find("token");
      if (transport == Transport::Tcp && it != route.query.end() &&
          constantTimeEquals(it->second, s->options.token)) {
        Reply r = reply(req, http::status::see_other, {}, "text/plain; charset=utf-8", false);
        r.res.set(http::field::location, "/");
        r.res.set(http::field::set_cookie, sessionCookieName(s->port) + "=" + s->sessionKey +
                                               "; HttpOnly; SameSite=Strict; Path=/");
        r.res.set(http::field::cache_control, "no-store");
        co_return r;
      }
      co_return loginPage(req, http::status::unauthorized);
    }
    case RouteKind::Stack:
      co_return json(req, http::status::ok,
                     json::serialize(stackJson(h.stack(), s->options.version,
                                               s->options.supervisorPid, s->url())));
    case RouteKind::Resources: {
      json::array a;
      for (const auto& v : h.list()) {
        a.push_back(viewJson(v));
      }
      co_return json(req, http::status::ok, json::serialize(a));
    }
    case RouteKind::Resource: {
      Result<lifecycle::ResourceDetail> d = h.detail(route.resource);
      if (!d) {
        co_return errorReply(req, d.error(), route.resource);
      }
      co_return json(req, http::status::ok, json::serialize(detailJson(*d)));
    }
    case RouteKind::ResourceOp: {
      Result<lifecycle::ResourceView> v = h.get(route.resource);
      if (!v) {
        co_return errorReply(req, v.error(), route.resource);
      }
      if (s->operationsInFlight.contains(route.resource) || v->operation) {
        co_return jsonError(req, http::status::conflict,
                            "another operation on resource '" + route.resource + "' is in progress",
                            route.resource);
      }
      if (s->closing) {
        co_return jsonError(req, http::status::service_unavailable, "the supervisor is stopping");
      }
      s->operationsInFlight.insert(route.resource);
      s->operations.spawn(s->ex, runOperation(s, route.op, route.resource));
      json::object o;
      o["operation"] = route.op;
      o["resource"] = route.resource;
      co_return json(req, http::status::accepted, json::serialize(o));
    }
    case RouteKind::StackStop: {
      Reply r = json(req, http::status::accepted, R"({"operation":"stop_stack"})");
      r.afterWrite = s->stopStack;
      co_return r;
    }
    case RouteKind::Watch: {
      if (!s->options.watch) {
        co_return jsonError(req, http::status::not_found, "this supervisor has no watch mode");
      }
      if (s->closing) {
        co_return jsonError(req, http::status::service_unavailable, "the supervisor is stopping");
      }
      Result<WatchAnswer> done = s->options.watch(route.op == "start");
      if (!done) {
        co_return errorReply(req, done.error(), {});
      }
      json::object o;
      o["watching"] = route.op == "start";
      o["changed"] = done->changed;
      o["message"] = done->message;
      co_return json(req, http::status::ok, json::serialize(o));
    }
    case RouteKind::DashboardInfo: {
      if (transport != Transport::Unix) {
        co_return jsonError(req, http::status::not_found, "no such route");
      }
      json::object o;
      o["project"] = h.stack().project;
      o["url"] = s->url().empty() ? json::value(nullptr) : json::value(s->url());
      o["login_url"] = s->loginUrl().empty() ? json::value(nullptr) : json::value(s->loginUrl());
      o["token"] = s->options.token;
      co_return json(req, http::status::ok, json::serialize(o));
    }
    case RouteKind::Metrics: {
      co_await refreshSamples(*s);
      co_return reply(req, http::status::ok,
                      renderMetrics(h.stack(), h.list(), s->samples, s->options.version),
                      "text/plain; version=0.0.4; charset=utf-8", true);
    }
    case RouteKind::Asset: co_return assetReply(req, route);
    case RouteKind::MethodNotAllowed: {
      Reply r = jsonError(req, http::status::method_not_allowed, "method not allowed");
      r.res.set(http::field::allow, route.allow);
      co_return r;
    }
    case RouteKind::BadRequest:
      co_return jsonError(req, http::status::bad_request, "malformed request target");
    case RouteKind::Logs:
    case RouteKind::LogsSocket:
    case RouteKind::StatsSocket:
    case RouteKind::ExecSocket:
    case RouteKind::EventsSocket:
      co_return jsonError(req, http::status::upgrade_required, "this route is a WebSocket");
    case RouteKind::NotFound: break;
  }
  co_return jsonError(req, http::status::not_found, "no such route");
}

/// Waits until the peer closes its side (or errs): what ends a followed log.
template <class Stream>
asio::awaitable<void> peerGone(Stream& stream) {
  char sink[512];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), ls::detail::kUseTuple);
    if (ec) {
      co_return;
    }
    (void)n;
  }
}

template <class Stream>
asio::awaitable<void> pumpLogs(Stream& stream, runtime::LogChunkStream& logs) {
  LineSplitter out;
  LineSplitter err;
  for (;;) {
    Result<std::optional<runtime::LogChunk>> chunk = co_await logs.next();
    std::string text;
    auto add = [&](std::chrono::system_clock::time_point ts, bool isErr,
                   std::vector<std::string> lines) {
      for (const std::string& l : lines) {
        text += json::serialize(logLineJson(ts, isErr, l));
        text += '\n';
      }
    };
    const bool end = !chunk || !*chunk;
    if (end) {
      const auto now = std::chrono::system_clock::now();
      add(now, false, out.flush());
      add(now, true, err.flush());
    } else {
      const bool isErr = (*chunk)->stream == runtime::LogChunk::Stream::Stderr;
      add((*chunk)->timestamp, isErr, (isErr ? err : out).feed((*chunk)->bytes));
    }
    if (!text.empty()) {
      auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(text)),
                                                ls::detail::kUseTuple);
      (void)n;
      if (ec) {
        co_return;
      }
    }
    if (end) {
      auto [ec, n] =
          co_await asio::async_write(stream, http::make_chunk_last(), ls::detail::kUseTuple);
      (void)ec;
      (void)n;
      co_return;
    }
  }
}

/// GET .../logs: NDJSON, chunked; open while following. The connection ends with it.
template <class Stream>
asio::awaitable<void> serveLogs(Server::State& s, Stream& stream, const Request& req,
                                const Route& route) {
  const bool follow = route.query.contains("follow") && route.query.at("follow") != "0" &&
                      route.query.at("follow") != "false";
  Result<runtime::LogOptions> options = logOptions(route, follow);
  std::optional<Reply> failure;
  std::unique_ptr<runtime::LogChunkStream> logs;
  if (!options) {
    failure = jsonError(req, http::status::bad_request, options.error().message(), route.resource);
  } else {
    Result<std::unique_ptr<runtime::LogChunkStream>> opened =
        co_await s.handle.logs(route.resource, *options);
    if (!opened) {
      failure = errorReply(req, opened.error(), route.resource);
    } else {
      logs = std::move(opened).value();
    }
  }
  if (failure) {
    failure->res.keep_alive(false);
    auto [ec, n] = co_await http::async_write(stream, failure->res, ls::detail::kUseTuple);
    (void)ec;
    (void)n;
    co_return;
  }
  http::response<http::empty_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "application/x-ndjson");
  secureHeaders(res, true);
  res.chunked(true);
  res.keep_alive(false);
  http::response_serializer<http::empty_body> sr{res};
  auto [hec, hn] = co_await http::async_write_header(stream, sr, ls::detail::kUseTuple);
  (void)hn;
  if (hec) {
    co_return;
  }
  stream.expires_never();
  using namespace asio::experimental::awaitable_operators;
  co_await (pumpLogs(stream, *logs) || peerGone(stream));
  logs->close();
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<Server::State> s, Stream stream, Transport transport) {
  co_await asio::this_coro::throw_if_cancelled(false);
  ++s->counters.openConnections;
  struct Count {
    Server::State& s;
    ~Count() { --s.counters.openConnections; }
  } count{*s};
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s->options.maxHeaderBytes));
    parser.body_limit(s->options.maxBodyBytes);
    stream.expires_after(s->options.requestTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, ls::detail::kUseTuple);
    (void)n;
    if (ec) {
      std::optional<http::status> answer;
      if (ec == http::error::header_limit) {
        answer = http::status::request_header_fields_too_large;
      } else if (ec == http::error::body_limit) {
        answer = http::status::payload_too_large;
      } else if (&ec.category() == &http::make_error_code(http::error::bad_target).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message) {
        answer = http::status::bad_request;
      }
      if (answer && !s->closing) {
        Request dummy;
        dummy.version(11);
        dummy.keep_alive(false);
        Reply r = jsonError(
            dummy, *answer,
            *answer == http::status::bad_request ? "malformed HTTP request" : "request too large");
        r.res.keep_alive(false);
        stream.expires_after(std::chrono::seconds(2));
        auto [wec, wn] = co_await http::async_write(stream, r.res, ls::detail::kUseTuple);
        (void)wec;
        (void)wn;
      }
      co_return;  // timeouts, resets and malformed input end this connection only
    }
    Request req = parser.release();
    const RequestMeta meta = metaOf(req);
    const Route route =
        detail::route(meta.method, std::string_view(req.target().data(), req.target().size()));
    std::optional<Reply> early;
    Decision boundary = checkBoundary(meta, transport, s->port);
    if (repeatedSecurityHeader(req)) {
      early = jsonError(req, http::status::bad_request,
                        "a security header (Host, Origin, Authorization, Cookie, "
                        "Sec-Fetch-*) is repeated");
      early->res.keep_alive(false);
    } else if (boundary.verdict != Verdict::Allow) {
      early = jsonError(req, http::status::forbidden, boundary.reason);
    } else if (route.kind != RouteKind::Healthz && route.kind != RouteKind::Login) {
      Decision auth =
          checkAuth(meta, transport, s->options.token, s->sessionKey, sessionCookieName(s->port));
      if (auth.verdict == Verdict::Forbidden) {
        early = jsonError(req, http::status::forbidden, auth.reason);
      } else if (auth.verdict == Verdict::Unauthorized) {
        early = route.kind == RouteKind::Asset
                    ? loginPage(req, http::status::unauthorized)
                    : jsonError(req, http::status::unauthorized, "unauthorized");
        early->res.set(http::field::www_authenticate, "Bearer");
      }
    }
    if (!early && isSocket(route.kind) && meta.webSocket) {
      stream.expires_never();
      co_await runSocket(s, std::move(stream), std::move(req), route);
      co_return;
    }
    if (!early && route.kind == RouteKind::Logs) {
      co_await serveLogs(*s, stream, req, route);
      co_return;
    }
    // NOTE: no co_await inside a conditional expression: GCC 12 miscompiles the temporaries.
    Reply r;
    if (early) {
      r = std::move(*early);
    } else {
      r = co_await handle(s, req, route, transport);
    }
    if (req.method() == http::verb::head) {
      r.res.body().clear();  // Content-Length stays what GET would send
    }
    stream.expires_after(s->options.requestTimeout);
    auto [wec, wn] = co_await http::async_write(stream, r.res, ls::detail::kUseTuple);
    (void)wn;
    if (r.afterWrite) {
      r.afterWrite();
    }
    if (wec || !r.res.keep_alive() || s->closing) {
      co_return;
    }
  }
}

}  // namespace

void secureHeaders(http::fields& f, bool api) {
  f.set("Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  f.set("X-Content-Type-Options", "nosniff");
  f.set("X-Frame-Options", "DENY");
  f.set("Referrer-Policy", "no-referrer");
  if (api) {
    f.set(http::field::cache_control, "no-store");
  }
}

unsigned statusOf(const Error& e) {
  switch (e.code()) {
    case Errc::NotFound: return 404;
    case Errc::Conflict:
    case Errc::AlreadyExists:
    case Errc::FailedPrecondition: return 409;
    case Errc::InvalidArgument: return 400;
    case Errc::Unsupported: return 501;
    case Errc::Unavailable: return 503;
    case Errc::Timeout: return 504;
    default: return 500;
  }
}

Result<runtime::LogOptions> logOptions(const Route& route, bool follow) {
  runtime::LogOptions lo;
  lo.follow = follow;
  if (auto it = route.query.find("tail"); it != route.query.end() && it->second != "all") {
    std::size_t n = 0;
    if (it->second.empty() || it->second.size() > 9 ||
        it->second.find_first_not_of("0123456789") != std::string::npos) {
      return Error(Errc::InvalidArgument, "tail must be a number of lines or 'all'");
    }
    n = std::stoul(it->second);
    lo.tail = n;
  }
  if (auto it = route.query.find("since"); it != route.query.end() && !it->second.empty()) {
    std::optional<std::chrono::system_clock::time_point> t = parseTime(it->second);
    if (!t && it->second.find_first_not_of("0123456789") == std::string::npos &&
        it->second.size() <= 12) {
      t = std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(it->second)));
    }
    if (!t) {
      return Error(Errc::InvalidArgument, "since must be an RFC 3339 time or Unix seconds");
    }
    lo.since = t;
  }
  if (auto it = route.query.find("stream"); it != route.query.end()) {
    lo.stdoutStream = it->second != "stderr";
    lo.stderrStream = it->second != "stdout";
  }
  return lo;
}

asio::awaitable<void> serveTcp(std::shared_ptr<Server::State> s, asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  co_await serve(s, TcpStream(std::move(socket)), Transport::Tcp);
}

asio::awaitable<void> serveUnix(std::shared_ptr<Server::State> s,
                                asio::local::stream_protocol::socket socket) {
  co_await serve(s, UnixStream(std::move(socket)), Transport::Unix);
}

asio::awaitable<void> rejectTcp(std::shared_ptr<Server::State> s, asio::ip::tcp::socket socket) {
  co_await asio::this_coro::throw_if_cancelled(false);
  TcpStream stream(std::move(socket));
  Request req;
  req.version(11);
  req.keep_alive(false);
  Reply r = jsonError(req, http::status::service_unavailable, "too many connections; try again");
  r.res.keep_alive(false);
  stream.expires_after(std::chrono::seconds(1));
  auto [ec, n] = co_await http::async_write(stream, r.res, ls::detail::kUseTuple);
  (void)ec;
  (void)n;
  --s->rejecting;
}

}  // namespace ls::control::detail
