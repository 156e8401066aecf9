// The WebSocket routes of the control API: events (snapshot, then ordered events, `lagged` for a
// slow reader), logs, stats and an exec terminal. Each reads the client in parallel with its own
// pump, so a client that goes away ends the pump at once.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "control/codec_json.hpp"
#include "control/http.hpp"
#include "control/lines.hpp"
#include "core/asio_fwd.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace ls::control::detail {
namespace {

using namespace asio::experimental::awaitable_operators;

template <class Stream>
using Ws = websocket::stream<Stream>;

template <class Stream>
asio::awaitable<bool> send(Ws<Stream>& ws, const std::string& text, bool binary = false) {
  ws.binary(binary);
  auto [ec, n] = co_await ws.async_write(asio::buffer(text), ls::detail::kUseTuple);
  (void)n;
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> closeWith(Ws<Stream>& ws, websocket::close_code code, std::string reason) {
  if (reason.size() > 120) {
    reason.resize(120);  // a close frame carries at most 123 bytes of reason
  }
  websocket::close_reason why(code, sanitizeUtf8(reason));
  auto [ec] = co_await ws.async_close(why, ls::detail::kUseTuple);
  (void)ec;
}

/// Reads (and drops) what the client sends until it closes or errs.
template <class Stream>
asio::awaitable<void> drainClient(Ws<Stream>& ws) {
  beast::flat_buffer buf;
  for (;;) {
    buf.clear();
    auto [ec, n] = co_await ws.async_read(buf, ls::detail::kUseTuple);
    (void)n;
    if (ec) {
      co_return;
    }
  }
}

std::string snapshotText(Server::State& s) {
  json::object o;
  o["type"] = "snapshot";
  o["stack"] = stackJson(s.handle.stack(), s.options.version, s.options.supervisorPid, s.url());
  json::array rs;
  for (const auto& v : s.handle.list()) {
    rs.push_back(viewJson(v));
  }
  o["resources"] = std::move(rs);
  return json::serialize(o);
}

std::string eventText(Server::State& s, const lifecycle::LifecycleEvent& e, std::uint64_t seq) {
  json::object o;
  o["type"] = "event";
  o["seq"] = seq;
  o["event"] = eventJson(e);
  if (!e.resource.empty()) {
    Result<lifecycle::ResourceView> v = s.handle.get(e.resource);
    o["resource"] = v ? json::value(viewJson(*v)) : json::value(nullptr);
  } else {
    o["resource"] = nullptr;
  }
  o["stack"] = stackJson(s.handle.stack(), s.options.version, s.options.supervisorPid, s.url());
  return json::serialize(o);
}

template <class Stream>
asio::awaitable<void> pumpEvents(Server::State& s, Ws<Stream>& ws,
                                 lifecycle::EventSubscription& sub) {
  std::uint64_t seq = 0;
  for (;;) {
    Result<lifecycle::LifecycleEvent> ev = co_await sub.next();
    if (!ev) {
      co_await closeWith(ws, websocket::close_code::going_away, "the supervisor is stopping");
      co_return;
    }
    if (ev->kind == lifecycle::LifecycleEvent::Kind::Lagged) {
      // The client fell behind by a queue's worth: say how much, then give it the whole truth.
      json::object o;
      o["type"] = "lagged";
      o["missed"] = ev->missed;
      if (!co_await send(ws, json::serialize(o)) || !co_await send(ws, snapshotText(s))) {
        co_return;
      }
      continue;
    }
    if (!co_await send(ws, eventText(s, *ev, ++seq))) {
      co_return;
    }
  }
}

template <class Stream>
asio::awaitable<void> eventsSocket(std::shared_ptr<Server::State> s, Ws<Stream>& ws) {
  // Subscribed before the snapshot is taken: nothing between the two is lost.
  lifecycle::EventSubscriptionPtr sub = s->handle.subscribe();
  ++s->counters.openEventSockets;
  struct Count {
    Server::State& s;
    ~Count() { --s.counters.openEventSockets; }
  } count{*s};
  if (!co_await send(ws, snapshotText(*s))) {
    co_return;
  }
  co_await (pumpEvents(*s, ws, *sub) || drainClient(ws));
  sub->close();
}

template <class Stream>
asio::awaitable<void> pumpLogLines(Ws<Stream>& ws, runtime::LogChunkStream& logs) {
  LineSplitter out;
  LineSplitter err;
  for (;;) {
    Result<std::optional<runtime::LogChunk>> chunk = co_await logs.next();
    if (!chunk || !*chunk) {
      const auto now = std::chrono::system_clock::now();
      for (const auto& l : out.flush()) {
        (void)co_await send(ws, json::serialize(logLineJson(now, false, l)));
      }
      for (const auto& l : err.flush()) {
        (void)co_await send(ws, json::serialize(logLineJson(now, true, l)));
      }
      // NOTE: the reason is computed outside the co_await: GCC 12 destroys temporaries of a
      // conditional expression inside a co_await statement twice.
      std::string reason =
          chunk ? std::string("the container's log ended") : chunk.error().message();
      co_await closeWith(ws, websocket::close_code::normal, std::move(reason));
      co_return;
    }
    const bool isErr = (*chunk)->stream == runtime::LogChunk::Stream::Stderr;
    for (const std::string& l : (isErr ? err : out).feed((*chunk)->bytes)) {
      if (!co_await send(ws, json::serialize(logLineJson((*chunk)->timestamp, isErr, l)))) {
        co_return;
      }
    }
  }
}

template <class Stream>
asio::awaitable<void> logsSocket(std::shared_ptr<Server::State> s, Ws<Stream>& ws,
                                 const Route& route) {
  Result<runtime::LogOptions> options = logOptions(route, true);
  if (!options) {
    co_await closeWith(ws, websocket::close_code::policy_error, options.error().message());
    co_return;
  }
  Result<std::unique_ptr<runtime::LogChunkStream>> logs =
      co_await s->handle.logs(route.resource, *options);
  if (!logs) {
    const websocket::close_code code = logs.error().code() == Errc::NotFound
                                           ? websocket::close_code::policy_error
                                           : websocket::close_code::internal_error;
    std::string reason = logs.error().message();
    co_await closeWith(ws, code, std::move(reason));
    co_return;
  }
  co_await (pumpLogLines(ws, **logs) || drainClient(ws));
  (*logs)->close();
}

template <class Stream>
asio::awaitable<void> pumpStats(Ws<Stream>& ws, runtime::StatsStream& stats) {
  std::optional<runtime::StatsSample> previous;
  for (;;) {
    Result<std::optional<runtime::StatsSample>> sample = co_await stats.next();
    if (!sample || !*sample) {
      std::string reason = sample ? std::string("the container stopped") : sample.error().message();
      co_await closeWith(ws, websocket::close_code::normal, std::move(reason));
      co_return;
    }
    const double cpu = previous ? runtime::cpuPercent(*previous, **sample) : 0.0;
    previous = **sample;
    if (!co_await send(ws, json::serialize(statsJson(**sample, cpu)))) {
      co_return;
    }
  }
}

template <class Stream>
asio::awaitable<void> statsSocket(std::shared_ptr<Server::State> s, Ws<Stream>& ws,
                                  const Route& route) {
  Result<std::unique_ptr<runtime::StatsStream>> stats = co_await s->handle.stats(route.resource);
  if (!stats) {
    co_await closeWith(ws, websocket::close_code::internal_error, stats.error().message());
    co_return;
  }
  ++s->counters.openStatsStreams;
  struct Count {
    Server::State& s;
    ~Count() { --s.counters.openStatsStreams; }
  } count{*s};
  co_await (pumpStats(ws, **stats) || drainClient(ws));
  (*stats)->close();
}

std::optional<std::uint16_t> dimension(const Route& route, const char* key) {
  auto it = route.query.find(key);
  if (it == route.query.end() || it->second.empty() || it->second.size() > 4 ||
      it->second.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int v = std::stoi(it->second);
  return v > 0 && v < 1000 ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(v))
                           : std::nullopt;
}

/// Terminal input: binary frames are keystrokes, text frames control messages (resize).
template <class Stream>
asio::awaitable<void> terminalInput(Ws<Stream>& ws, runtime::ExecSession& session) {
  beast::flat_buffer buf;
  for (;;) {
    buf.clear();
    auto [ec, n] = co_await ws.async_read(buf, ls::detail::kUseTuple);
    (void)n;
    if (ec) {
      co_return;
    }
    const std::string data = beast::buffers_to_string(buf.data());
    if (ws.got_binary()) {
      if (!co_await session.write(data)) {
        co_return;
      }
      continue;
    }
    boost::system::error_code jec;
    json::value v = json::parse(data, jec);
    if (jec || !v.is_object()) {
      continue;
    }
    const json::object& o = v.as_object();
    const json::value* type = o.if_contains("type");
    if (type != nullptr && type->is_string() && type->as_string() == "resize") {
      const json::value* cols = o.if_contains("cols");
      const json::value* rows = o.if_contains("rows");
      if (cols != nullptr && rows != nullptr && cols->is_int64() && rows->is_int64() &&
          cols->as_int64() > 0 && rows->as_int64() > 0 && cols->as_int64() < 1000 &&
          rows->as_int64() < 1000) {
        (void)co_await session.resize(static_cast<std::uint16_t>(rows->as_int64()),
                                      static_cast<std::uint16_t>(cols->as_int64()));
      }
    } else if (type != nullptr && type->is_string() && type->as_string() == "input") {
      if (const json::value* d = o.if_contains("data"); d != nullptr && d->is_string()) {
        if (!co_await session.write(std::string_view(d->as_string()))) {
          co_return;
        }
      }
    }
  }
}

template <class Stream>
asio::awaitable<void> terminalOutput(Ws<Stream>& ws, runtime::ExecSession& session) {
  for (;;) {
    Result<std::optional<runtime::ExecChunk>> chunk = co_await session.read();
    if (!chunk || !*chunk) {
      break;
    }
    if (!co_await send(ws, (*chunk)->bytes, true)) {
      co_return;
    }
  }
  Result<int> code = co_await session.exitCode();
  json::object o;
  o["type"] = "exit";
  o["exit_code"] = code ? json::value(*code) : json::value(nullptr);
  (void)co_await send(ws, json::serialize(o));
  co_await closeWith(ws, websocket::close_code::normal, "the command ended");
}

template <class Stream>
asio::awaitable<void> execSocket(std::shared_ptr<Server::State> s, Ws<Stream>& ws,
                                 const Route& route) {
  std::string cmd = route.query.contains("cmd") ? route.query.at("cmd") : std::string("sh");
  runtime::InteractiveExecRequest req;
  if (cmd.empty()) {
    cmd = "sh";
  }
  if (cmd.find_first_of(" \t'\"$;|&<>") == std::string::npos) {
    req.cmd = {cmd};
  } else {
    req.cmd = {"sh", "-c", cmd};
  }
  req.tty = true;
  req.attachStdin = true;
  req.env = {"TERM=xterm-256color"};
  if (auto rows = dimension(route, "rows")) {
    req.height = *rows;
  }
  if (auto cols = dimension(route, "cols")) {
    req.width = *cols;
  }
  Result<std::unique_ptr<runtime::ExecSession>> session =
      co_await s->handle.execInteractive(route.resource, std::move(req));
  if (!session) {
    co_await closeWith(ws, websocket::close_code::internal_error, session.error().message());
    co_return;
  }
  co_await (terminalOutput(ws, **session) || terminalInput(ws, **session));
  (*session)->close();
}

}  // namespace

template <class Stream>
asio::awaitable<void> runSocket(std::shared_ptr<Server::State> s, Stream stream, Request req,
                                Route route) {
  Ws<Stream> ws(std::move(stream));
  websocket::stream_base::timeout t =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  t.handshake_timeout = s->options.requestTimeout;
  ws.set_option(t);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { secureHeaders(res, true); }));
  ws.read_message_max(s->options.maxBodyBytes);
  auto [ec] = co_await ws.async_accept(req, ls::detail::kUseTuple);
  if (ec) {
    co_return;
  }
  switch (route.kind) {
    case RouteKind::EventsSocket: co_await eventsSocket(s, ws); break;
    case RouteKind::LogsSocket: co_await logsSocket(s, ws, route); break;
    case RouteKind::StatsSocket: co_await statsSocket(s, ws, route); break;
    case RouteKind::ExecSocket: co_await execSocket(s, ws, route); break;
    default:
      co_await closeWith(ws, websocket::close_code::policy_error, "not a WebSocket route");
      break;
  }
}

template asio::awaitable<void> runSocket<TcpStream>(std::shared_ptr<Server::State>, TcpStream,
                                                    Request, Route);
template asio::awaitable<void> runSocket<UnixStream>(std::shared_ptr<Server::State>, UnixStream,
                                                     Request, Route);

}  // namespace ls::control::detail
