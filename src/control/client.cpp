#include "lightshuttle/control/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/dynamic_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <variant>

#include "core/asio_fwd.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace ls::control {
namespace {

using TcpStream = beast::basic_stream<tcp>;
using UnixStream = beast::basic_stream<local>;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

std::chrono::steady_clock::duration asDuration(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

template <class Stream>
class WsClient final : public WebSocketClient {
 public:
  explicit WsClient(Stream stream) : ws_(std::move(stream)) {}

  websocket::stream<Stream>& ws() { return ws_; }

  asio::awaitable<Result<std::optional<std::string>>> read(
      std::chrono::nanoseconds timeout) override {
    using namespace asio::experimental::awaitable_operators;
    if (closed_) {
      co_return std::optional<std::string>();
    }
    buffer_.clear();
    asio::steady_timer timer(co_await asio::this_coro::executor, asDuration(timeout));
    auto r = co_await (ws_.async_read(buffer_, ls::detail::kUseTuple) ||
                       timer.async_wait(ls::detail::kUseTuple));
    if (r.index() == 1) {
      co_return Error(
          Errc::Timeout,
          "no message from the supervisor within " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
              " ms");
    }
    auto [ec, n] = std::get<0>(r);
    (void)n;
    if (ec == websocket::error::closed) {
      closed_ = true;
      co_return std::optional<std::string>();
    }
    if (ec) {
      closed_ = true;
      co_return Error(Errc::Unavailable, "the supervisor's socket broke: " + ec.message());
    }
    co_return std::optional<std::string>(beast::buffers_to_string(buffer_.data()));
  }

  asio::awaitable<Result<void>> write(std::string message, bool binary) override {
    ws_.binary(binary);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(message), ls::detail::kUseTuple);
    (void)n;
    if (ec) {
      co_return Error(Errc::Unavailable, "writing to the supervisor's socket: " + ec.message());
    }
    co_return ok();
  }

  asio::awaitable<void> close() override {
    if (closed_) {
      co_return;
    }
    closed_ = true;
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
    auto [ec] = co_await ws_.async_close(websocket::close_code::normal, ls::detail::kUseTuple);
    (void)ec;
  }

 private:
  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  bool closed_ = false;
};

}  // namespace

Client Client::unixSocket(std::filesystem::path path) {
  Client c;
  c.socket_ = std::move(path);
  return c;
}

Client Client::tcp(std::string host, std::uint16_t port, std::string token) {
  Client c;
  c.host_ = std::move(host);
  c.port_ = port;
  c.token_ = std::move(token);
  return c;
}

namespace {

template <class Stream>
asio::awaitable<Result<HttpResponse>> exchange(Stream& stream,
                                               http::request<http::string_body>& req,
                                               std::chrono::nanoseconds timeout,
                                               const std::string& where) {
  stream.expires_after(asDuration(timeout));
  auto [wec, wn] = co_await http::async_write(stream, req, ls::detail::kUseTuple);
  (void)wn;
  if (wec) {
    co_return Error(wec == beast::error::timeout ? Errc::Timeout : Errc::Unavailable,
                    "sending a request to " + where + ": " + wec.message());
  }
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [rec, rn] = co_await http::async_read(stream, buf, parser, ls::detail::kUseTuple);
  (void)rn;
  if (rec == beast::error::timeout) {
    co_return Error(
        Errc::Timeout,
        where + " did not answer within " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
            " ms (is it wedged? its log may say why)");
  }
  if (rec) {
    co_return Error(Errc::Unavailable, "reading the answer of " + where + ": " + rec.message());
  }
  auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    out.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  }
  out.body = std::move(res.body());
  co_return out;
}

}  // namespace

asio::awaitable<Result<HttpResponse>> Client::request(std::string method, std::string target,
                                                      std::string body,
                                                      std::chrono::nanoseconds timeout) const {
  auto ex = co_await asio::this_coro::executor;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.keep_alive(false);
  req.set(http::field::user_agent, "lightshuttle");
  if (!token_.empty()) {
    req.set(http::field::authorization, "Bearer " + token_);
  }
  for (const auto& [k, v] : headers) {
    req.set(k, v);
  }
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
  }
  req.body() = std::move(body);
  req.prepare_payload();
  if (!socket_.empty()) {
    const std::string where = "the supervisor at " + socket_.string();
    req.set(http::field::host, "localhost");
    UnixStream stream(ex);
    stream.expires_after(asDuration(timeout));
    auto [cec] =
        co_await stream.async_connect(local::endpoint(socket_.string()), ls::detail::kUseTuple);
    if (cec) {
      co_return Error(cec == beast::error::timeout ? Errc::Timeout : Errc::Unavailable,
                      "cannot reach " + where + ": " + cec.message());
    }
    co_return co_await exchange(stream, req, timeout, where);
  }
  const std::string where = "the control API at " + host_ + ":" + std::to_string(port_);
  if (req.find(http::field::host) == req.end()) {
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
  }
  TcpStream stream(ex);
  stream.expires_after(asDuration(timeout));
  boost::system::error_code aec;
  const auto address = asio::ip::make_address(host_, aec);
  if (aec) {
    co_return Error(Errc::InvalidArgument, "not an IP address: " + host_);
  }
  auto [cec] = co_await stream.async_connect(tcp::endpoint(address, port_), ls::detail::kUseTuple);
  if (cec) {
    co_return Error(cec == beast::error::timeout ? Errc::Timeout : Errc::Unavailable,
                    "cannot reach " + where + ": " + cec.message());
  }
  co_return co_await exchange(stream, req, timeout, where);
}

namespace {

template <class Stream>
asio::awaitable<Result<std::unique_ptr<WebSocketClient>>> handshake(
    Stream stream, const std::string& host, const std::string& target,
    const std::map<std::string, std::string>& headers, const std::string& token,
    std::chrono::nanoseconds timeout, const std::string& where) {
  auto client = std::make_unique<WsClient<Stream>>(std::move(stream));
  auto& ws = client->ws();
  ws.set_option(websocket::stream_base::decorator([headers, token](websocket::request_type& req) {
    req.set(http::field::user_agent, "lightshuttle");
    if (!token.empty()) {
      req.set(http::field::authorization, "Bearer " + token);
    }
    for (const auto& [k, v] : headers) {
      req.set(k, v);
    }
  }));
  ws.read_message_max(64 * 1024 * 1024);
  beast::get_lowest_layer(ws).expires_after(asDuration(timeout));
  websocket::response_type res;
  auto [ec] = co_await ws.async_handshake(res, host, target, ls::detail::kUseTuple);
  if (ec == websocket::error::upgrade_declined) {
    std::string text = res.body();
    boost::system::error_code jec;
    auto v = boost::json::parse(text, jec);
    if (!jec && v.is_object() && v.as_object().contains("error") &&
        v.as_object().at("error").is_string()) {
      text = std::string(v.as_object().at("error").as_string());
    }
    co_return Error(Errc::FailedPrecondition, where + " refused the socket (HTTP " +
                                                  std::to_string(res.result_int()) + "): " + text);
  }
  if (ec) {
    co_return Error(ec == beast::error::timeout ? Errc::Timeout : Errc::Unavailable,
                    "opening a socket to " + where + ": " + ec.message());
  }
  beast::get_lowest_layer(ws).expires_never();
  co_return std::unique_ptr<WebSocketClient>(std::move(client));
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<WebSocketClient>>> Client::webSocket(
    std::string target, std::chrono::nanoseconds timeout) const {
  auto ex = co_await asio::this_coro::executor;
  if (!socket_.empty()) {
    const std::string where = "the supervisor at " + socket_.string();
    UnixStream stream(ex);
    stream.expires_after(asDuration(timeout));
    auto [cec] =
        co_await stream.async_connect(local::endpoint(socket_.string()), ls::detail::kUseTuple);
    if (cec) {
      co_return Error(Errc::Unavailable, "cannot reach " + where + ": " + cec.message());
    }
    co_return co_await handshake(std::move(stream), "localhost", target, headers, token_, timeout,
                                 where);
  }
  const std::string where = "the control API at " + host_ + ":" + std::to_string(port_);
  boost::system::error_code aec;
  const auto address = asio::ip::make_address(host_, aec);
  if (aec) {
    co_return Error(Errc::InvalidArgument, "not an IP address: " + host_);
  }
  TcpStream stream(ex);
  stream.expires_after(asDuration(timeout));
  auto [cec] = co_await stream.async_connect(tcp::endpoint(address, port_), ls::detail::kUseTuple);
  if (cec) {
    co_return Error(Errc::Unavailable, "cannot reach " + where + ": " + cec.message());
  }
  std::string host = host_ + ":" + std::to_string(port_);
  if (auto it = headers.find("Host"); it != headers.end()) {
    host = it->second;
  }
  co_return co_await handshake(std::move(stream), host, target, headers, token_, timeout, where);
}

std::string errorText(const HttpResponse& response) {
  boost::system::error_code ec;
  auto v = boost::json::parse(response.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_string()) {
      return std::string(e->as_string());
    }
  }
  return response.body.empty() ? "HTTP " + std::to_string(response.status) : response.body;
}

}  // namespace ls::control
