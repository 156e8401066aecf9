#include "lightshuttle/engine/client.hpp"

#include <strings.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "engine/errors.hpp"
#include "engine/http_reader.hpp"
#include "engine/transport.hpp"

namespace asio = boost::asio;

namespace ls::engine {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string_view findHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) {
      return v;
    }
  }
  return {};
}

void appendEncoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
}

/// Runs `op` with a deadline; Timeout (naming `what`) when the timer wins.
template <typename T>
asio::awaitable<Result<T>> withTimeout(asio::awaitable<Result<T>> op,
                                       std::chrono::milliseconds timeout, std::string what) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto r = co_await (std::move(op) || timer.async_wait(asio::use_awaitable));
  if (r.index() == 0) {
    co_return std::get<0>(std::move(r));
  }
  co_return Error(Errc::Timeout,
                  what + " timed out after " + std::to_string(timeout.count()) + " ms");
}

std::string describeOp(const Request& req) {
  return req.operation.empty() ? req.method + " " + req.path : req.operation;
}

constexpr std::size_t kMaxUpgradeHeader = 64 * 1024;

/// Sends an upgrade request and reads the response header only: the bytes after it belong to
/// the hijacked stream and end up in `rest`. An error status reads its (bounded) body and
/// classifies it like any response.
asio::awaitable<Result<void>> readUpgradeHeader(Connection& conn, const std::string& bytes,
                                                HttpResponseReader& reader, std::string& rest,
                                                const std::string& what) {
  LS_CO_TRY(co_await conn.writeAll(bytes));
  std::string head;
  std::string buf(kReadChunk, '\0');
  std::size_t end = std::string::npos;
  while (end == std::string::npos) {
    LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn.readSome(buf.data(), buf.size()));
    if (n == 0) {
      co_return Error(Errc::Unavailable, head.empty()
                                             ? "the engine closed the connection before answering"
                                             : "the engine closed the connection in the middle of "
                                               "the response header");
    }
    const std::size_t searchFrom = head.size() >= 3 ? head.size() - 3 : 0;
    head.append(buf.data(), n);
    end = head.find("\r\n\r\n", searchFrom);
    if (end == std::string::npos && head.size() > kMaxUpgradeHeader) {
      co_return Error(Errc::InvalidArgument,
                      "malformed http response from the engine: header "
                      "larger than 64 KiB");
    }
  }
  end += 4;
  rest = head.substr(end);
  head.resize(end);
  // Only the header goes through the HTTP parser: an engine answering 200 would otherwise have
  // the raw stream parsed as an EOF-delimited body.
  LS_CO_TRY(reader.feed(head));
  if (!reader.headerDone()) {
    co_return Error(Errc::InvalidArgument,
                    "malformed http response from the engine: incomplete header");
  }
  const int status = reader.head().status;
  if (status >= 400) {
    LS_CO_TRY(reader.feed(rest));
    rest.clear();
    while (!reader.done() && reader.pendingBodySize() < (1u << 20)) {
      LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn.readSome(buf.data(), buf.size()));
      if (n == 0) {
        (void)reader.feedEof();
        break;
      }
      LS_CO_TRY(reader.feed(std::string_view(buf.data(), n)));
    }
    co_return classifyResponse(status, reader.takeBody(), what);
  }
  if (status != 101 && (status < 200 || status >= 300)) {
    co_return Error(Errc::Internal, what + ": the engine answered " + std::to_string(status) +
                                        " instead of upgrading the connection");
  }
  co_return ok();
}

}  // namespace

std::string_view Response::header(std::string_view name) const { return findHeader(headers, name); }

int compareApiVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& s) {
      unsigned v = 0;
      auto dot = s.find('.');
      std::string_view part = s.substr(0, dot);
      std::from_chars(part.data(), part.data() + part.size(), v);
      s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
      return v;
    };
    const unsigned x = take(a);
    const unsigned y = take(b);
    if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// ResponseStream

ResponseStream::ResponseStream(std::unique_ptr<Connection> conn,
                               std::unique_ptr<HttpResponseReader> reader, std::string where)
    : conn_(std::move(conn)), reader_(std::move(reader)), where_(std::move(where)) {}

ResponseStream::~ResponseStream() { close(); }

int ResponseStream::status() const { return reader_->head().status; }
std::string_view ResponseStream::header(std::string_view name) const {
  return reader_->head().header(name);
}

void ResponseStream::close() {
  if (conn_) {
    conn_->close();
  }
}

asio::awaitable<Result<std::optional<std::string>>> ResponseStream::next() {
  std::string buf;
  for (;;) {
    if (reader_->pendingBodySize() > 0) {
      co_return std::optional<std::string>(reader_->takeBody());
    }
    if (failed_) {
      co_return *failed_;
    }
    if (reader_->done() || eof_) {
      co_return std::optional<std::string>();
    }
    buf.resize(kReadChunk);
    LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn_->readSome(buf.data(), buf.size()));
    if (n == 0) {
      eof_ = true;
      auto r = reader_->feedEof();
      if (!r) {
        failed_ = Error(Errc::Unavailable, "stream from the engine at " + where_ +
                                               " ended in the middle of the response");
      }
      continue;
    }
    auto fed = reader_->feed(std::string_view(buf.data(), n));
    if (!fed) {
      failed_ = std::move(fed).error().context("reading a stream from the engine at " + where_);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// UpgradedConnection

UpgradedConnection::UpgradedConnection(std::unique_ptr<Connection> conn, int status,
                                       Headers headers, std::string buffered, std::string where)
    : conn_(std::move(conn)),
      status_(status),
      headers_(std::move(headers)),
      buffered_(std::move(buffered)),
      where_(std::move(where)) {}

UpgradedConnection::~UpgradedConnection() { close(); }

std::string_view UpgradedConnection::header(std::string_view name) const {
  return findHeader(headers_, name);
}

asio::awaitable<Result<std::optional<std::string>>> UpgradedConnection::read() {
  if (!buffered_.empty()) {
    co_return std::optional<std::string>(std::exchange(buffered_, {}));
  }
  if (eof_) {
    co_return std::optional<std::string>();
  }
  if (closed_) {
    co_return Error(Errc::Unavailable,
                    "reading from a closed connection to the engine at " + where_);
  }
  std::string buf(kReadChunk, '\0');
  LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn_->readSome(buf.data(), buf.size()));
  if (n == 0) {
    eof_ = true;
    co_return std::optional<std::string>();
  }
  buf.resize(n);
  co_return std::optional<std::string>(std::move(buf));
}

asio::awaitable<Result<void>> UpgradedConnection::write(std::string_view data) {
  if (closed_ || writeShut_) {
    co_return Error(Errc::Unavailable, std::string("writing to the engine at ") + where_ +
                                           ": our side of the connection is already closed");
  }
  co_return co_await conn_->writeAll(data);
}

Result<void> UpgradedConnection::shutdownWrite() {
  if (closed_ || writeShut_) {
    return ok();
  }
  writeShut_ = true;
  return conn_->shutdownWrite();
}

void UpgradedConnection::close() {
  if (!closed_ && conn_) {
    closed_ = true;
    conn_->close();
  }
}

// ---------------------------------------------------------------------------------------------
// Client

std::unique_ptr<Client> Client::create(const Endpoint& endpoint, ClientOptions options) {
  return std::make_unique<Client>(makeConnector(endpoint), std::move(options));
}

Client::Client(std::unique_ptr<Connector> connector, ClientOptions options)
    : connector_(std::move(connector)), options_(std::move(options)) {}

Client::~Client() {
  for (auto& c : idle_) {
    c->close();
  }
}

std::string Client::endpointDescription() const { return connector_->describe(); }

std::string Client::serialize(const Request& req) const {
  std::string out;
  out.reserve(256 + req.body.size());
  out += req.method;
  out += ' ';
  if (req.versioned) {
    out += "/v";
    out += apiVersion_.empty() ? options_.maxApiVersion : apiVersion_;
  }
  out += req.path;
  char sep = '?';
  for (const auto& [k, v] : req.query) {
    out += sep;
    sep = '&';
    appendEncoded(out, k);
    out += '=';
    appendEncoded(out, v);
  }
  out += " HTTP/1.1\r\nHost: docker\r\nUser-Agent: ";
  out += options_.userAgent;
  out += "\r\n";
  const bool bodyAllowed = req.method != "GET" && req.method != "HEAD";
  if (!req.body.empty() || (bodyAllowed && req.method != "DELETE")) {
    if (!req.body.empty()) {
      out += "Content-Type: ";
      out += req.contentType.empty() ? "application/json" : req.contentType;
      out += "\r\n";
    }
    out += "Content-Length: ";
    out += std::to_string(req.body.size());
    out += "\r\n";
  }
  for (const auto& [k, v] : req.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  out += req.body;
  return out;
}

asio::awaitable<Result<std::unique_ptr<Connection>>> Client::connect() {
  co_return co_await withTimeout(connector_->connect(), options_.connectTimeout,
                                 "connecting to the engine at " + connector_->describe());
}

asio::awaitable<Result<Response>> Client::exchange(Connection& conn, const std::string& bytes,
                                                   bool head, bool& wrote, bool& sawBytes,
                                                   bool& reusable) {
  LS_CO_TRY(co_await conn.writeAll(bytes));
  wrote = true;
  HttpResponseReader reader(
      HttpResponseReader::Options{.headRequest = head, .bodyLimit = options_.maxBufferedBody});
  std::string buf(kReadChunk, '\0');
  std::string body;
  while (!reader.done()) {
    LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn.readSome(buf.data(), buf.size()));
    if (n == 0) {
      reusable = false;
      LS_CO_TRY(reader.feedEof());
      break;
    }
    sawBytes = true;
    LS_CO_ASSIGN_OR_RETURN(std::size_t used, reader.feed(std::string_view(buf.data(), n)));
    if (used != n) {
      reusable = false;  // bytes beyond the response: the connection is out of step
    }
    body += reader.takeBody();
  }
  body += reader.takeBody();
  if (!reader.head().keepAlive) {
    reusable = false;
  }
  Response res;
  res.status = reader.head().status;
  res.headers = reader.head().headers;
  res.body = std::move(body);
  co_return res;
}

asio::awaitable<Result<void>> Client::ensureNegotiated() {
  if (apiVersion_.empty()) {
    LS_CO_TRY(co_await negotiate());
  }
  co_return ok();
}

asio::awaitable<Result<Response>> Client::request(Request req) {
  if (req.versioned) {
    LS_CO_TRY(co_await ensureNegotiated());
  }
  const std::string bytes = serialize(req);
  const bool head = req.method == "HEAD";
  const auto timeout = req.timeout.value_or(options_.requestTimeout);
  const std::string what = describeOp(req);
  // A pooled connection may have been closed by the engine while idle. Those that say so are
  // dropped before use; one that fails anyway before any response byte arrived is retried on a
  // fresh connection only when repeating the request is safe: it is idempotent, or it was
  // never written (a POST the engine may have carried out is never sent twice).
  const bool idempotent = req.method == "GET" || req.method == "HEAD" || req.method == "PUT" ||
                          req.method == "DELETE" || req.method == "OPTIONS";
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn;
    bool reused = false;
    while (!idle_.empty() && idle_.back()->peerClosed()) {
      idle_.back()->close();
      idle_.pop_back();
    }
    if (!idle_.empty() && !req.fresh) {
      conn = std::move(idle_.back());
      idle_.pop_back();
      reused = true;
    } else {
      auto c = co_await connect();
      if (!c) {
        co_return std::move(c).error().context(what);
      }
      conn = std::move(c).value();
    }
    bool wrote = false;
    bool sawBytes = false;
    bool reusable = true;
    auto res = co_await withTimeout(exchange(*conn, bytes, head, wrote, sawBytes, reusable),
                                    timeout, what + " (engine at " + connector_->describe() + ")");
    if (!res) {
      conn->close();
      if (reused && !sawBytes && res.error().code() == Errc::Unavailable &&
          (idempotent || !wrote)) {
        // One stale keep-alive connection usually means all are (the engine restarted): drop
        // the pool so the retry opens a fresh connection.
        for (auto& c : idle_) {
          c->close();
        }
        idle_.clear();
        continue;
      }
      if (res.error().code() == Errc::Timeout || res.error().code() == Errc::Cancelled) {
        co_return std::move(res).error();
      }
      co_return std::move(res).error().context(what);
    }
    if (reusable && idle_.size() < options_.maxIdleConnections) {
      idle_.push_back(std::move(conn));
    } else {
      conn->close();
    }
    if (res->status >= 400) {
      co_return classifyResponse(res->status, res->body, what);
    }
    co_return res;
  }
  co_return Error(Errc::Unavailable, what + ": the engine at " + connector_->describe() +
                                         " closed the connection twice before answering");
}

asio::awaitable<Result<std::unique_ptr<ResponseStream>>> Client::stream(Request req) {
  if (req.versioned) {
    LS_CO_TRY(co_await ensureNegotiated());
  }
  const std::string what = describeOp(req);
  auto c = co_await connect();
  if (!c) {
    co_return std::move(c).error().context(what);
  }
  std::unique_ptr<Connection> conn = std::move(c).value();
  auto reader = std::make_unique<HttpResponseReader>(HttpResponseReader::Options{});
  const std::string bytes = serialize(req);
  auto readHeader = [&]() -> asio::awaitable<Result<void>> {
    LS_CO_TRY(co_await conn->writeAll(bytes));
    std::string buf(kReadChunk, '\0');
    while (!reader->headerDone()) {
      LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn->readSome(buf.data(), buf.size()));
      if (n == 0) {
        LS_CO_TRY(reader->feedEof());
        break;
      }
      LS_CO_TRY(reader->feed(std::string_view(buf.data(), n)));
    }
    if (!reader->headerDone()) {
      co_return Error(Errc::Unavailable, "the engine closed the connection before answering");
    }
    const int status = reader->head().status;
    if (status >= 400) {
      // Read the (small) error body, bounded, then classify.
      while (!reader->done() && reader->pendingBodySize() < (1u << 20)) {
        LS_CO_ASSIGN_OR_RETURN(std::size_t n, co_await conn->readSome(buf.data(), buf.size()));
        if (n == 0) {
          (void)reader->feedEof();
          break;
        }
        LS_CO_TRY(reader->feed(std::string_view(buf.data(), n)));
      }
      co_return classifyResponse(status, reader->takeBody(), what);
    }
    co_return ok();
  };
  auto r = co_await withTimeout(readHeader(), req.timeout.value_or(options_.requestTimeout),
                                what + " (engine at " + connector_->describe() + ")");
  if (!r) {
    conn->close();
    if (r.error().engine() || r.error().code() == Errc::Timeout) {
      co_return std::move(r).error();
    }
    co_return std::move(r).error().context(what);
  }
  co_return std::make_unique<ResponseStream>(std::move(conn), std::move(reader),
                                             connector_->describe());
}

asio::awaitable<Result<std::unique_ptr<UpgradedConnection>>> Client::upgrade(Request req) {
  if (req.versioned) {
    LS_CO_TRY(co_await ensureNegotiated());
  }
  const std::string what = describeOp(req);
  if (findHeader(req.headers, "Connection").empty()) {
    req.headers.emplace_back("Connection", "Upgrade");
  }
  if (findHeader(req.headers, "Upgrade").empty()) {
    req.headers.emplace_back("Upgrade", "tcp");
  }
  auto c = co_await connect();
  if (!c) {
    co_return std::move(c).error().context(what);
  }
  std::unique_ptr<Connection> conn = std::move(c).value();
  const std::string bytes = serialize(req);
  HttpResponseReader reader(HttpResponseReader::Options{});
  std::string rest;
  auto r = co_await withTimeout(readUpgradeHeader(*conn, bytes, reader, rest, what),
                                req.timeout.value_or(options_.requestTimeout),
                                what + " (engine at " + connector_->describe() + ")");
  if (!r) {
    conn->close();
    if (r.error().engine() || r.error().code() == Errc::Timeout ||
        r.error().code() == Errc::Internal) {
      co_return std::move(r).error();
    }
    co_return std::move(r).error().context(what);
  }
  co_return std::make_unique<UpgradedConnection>(std::move(conn), reader.head().status,
                                                 reader.head().headers, std::move(rest),
                                                 connector_->describe());
}

asio::awaitable<Result<PingInfo>> Client::negotiate() {
  Request ping{.method = "HEAD",
               .path = "/_ping",
               .timeout = options_.connectTimeout,
               .versioned = false,
               .operation = "ping the engine"};
  auto res = co_await request(Request(ping));
  if (!res || res->header("Api-Version").empty()) {
    // HEAD /_ping exists since API 1.40; older engines and some proxies only answer GET.
    if (!res &&
        (res.error().code() == Errc::Unavailable || res.error().code() == Errc::Timeout ||
         res.error().code() == Errc::Cancelled || res.error().code() == Errc::PermissionDenied)) {
      co_return std::move(res).error();
    }
    ping.method = "GET";
    res = co_await request(Request(ping));
    if (!res) {
      co_return std::move(res).error();
    }
  }
  PingInfo info;
  info.serverApiVersion = std::string(res->header("Api-Version"));
  info.libpodApiVersion = std::string(res->header("Libpod-API-Version"));
  info.podman = !info.libpodApiVersion.empty();
  info.osType = std::string(res->header("OSType"));
  info.builderVersion = std::string(res->header("Builder-Version"));
  info.experimental = res->header("Docker-Experimental") == "true";
  if (info.serverApiVersion.empty()) {
    co_return Error(Errc::FailedPrecondition,
                    "the engine at " + connector_->describe() +
                        " did not report its API version (no Api-Version header on /_ping); is it "
                        "a docker engine?");
  }
  if (compareApiVersions(info.serverApiVersion, options_.minApiVersion) < 0) {
    co_return Error(Errc::FailedPrecondition,
                    "the engine at " + connector_->describe() + " speaks API " +
                        info.serverApiVersion + "; lightshuttle needs at least " +
                        options_.minApiVersion + " (Docker 19.03 or newer); upgrade the engine");
  }
  info.apiVersion = compareApiVersions(info.serverApiVersion, options_.maxApiVersion) < 0
                        ? info.serverApiVersion
                        : options_.maxApiVersion;
  apiVersion_ = info.apiVersion;
  ping_ = info;
  co_return info;
}

}  // namespace ls::engine
