// Fuzzes the control API's request path: arbitrary bytes as a client's request, parsed with the
// server's limits, then routed, checked at the browser boundary and authenticated the way the
// connection does, with the body fed to the codec's decoders.
// Properties: never crash, hang or leak; the pure checks agree with their own contracts.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "control/router.hpp"
#include "control/security.hpp"
#include "lightshuttle/control/codec.hpp"

namespace http = boost::beast::http;
namespace cd = ls::control::detail;

namespace {

using Request = http::request<http::string_body>;

constexpr std::string_view kToken =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kSession =
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
constexpr std::uint16_t kPort = 41234;

std::optional<std::string_view> header(const Request& req, std::string_view name) {
  auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  if (it == req.end()) {
    return std::nullopt;
  }
  return std::string_view(it->value().data(), it->value().size());
}

// As src/control/connection.cpp's metaOf.
cd::RequestMeta metaOf(const Request& req) {
  cd::RequestMeta m;
  m.method = std::string_view(req.method_string().data(), req.method_string().size());
  m.host = header(req, "Host");
  m.origin = header(req, "Origin");
  m.secFetchSite = header(req, "Sec-Fetch-Site");
  m.authorization = header(req, "Authorization");
  m.cookie = header(req, "Cookie");
  m.webSocket = boost::beast::websocket::is_upgrade(req);
  return m;
}

void check(const Request& req) {
  const cd::RequestMeta meta = metaOf(req);
  const std::string_view target(req.target().data(), req.target().size());
  const cd::Route route = cd::route(meta.method, target);
  if (route.kind == cd::RouteKind::MethodNotAllowed && route.allow.empty()) {
    std::abort();  // a 405 must say what is allowed
  }
  (void)cd::isApi(route.kind);
  (void)cd::isSocket(route.kind);
  for (cd::Transport t : {cd::Transport::Unix, cd::Transport::Tcp}) {
    const cd::Decision boundary = cd::checkBoundary(meta, t, kPort);
    const cd::Decision auth = cd::checkAuth(meta, t, kToken, kSession);
    if (t == cd::Transport::Unix &&
        (boundary.verdict != cd::Verdict::Allow || auth.verdict != cd::Verdict::Allow)) {
      std::abort();  // the unix socket is guarded by the kernel, not by these checks
    }
    if (boundary.verdict == cd::Verdict::Unauthorized) {
      std::abort();  // the boundary only forbids
    }
    if (boundary.verdict == cd::Verdict::Allow && t == cd::Transport::Tcp &&
        (!meta.host || !cd::hostAllowed(*meta.host, kPort))) {
      std::abort();
    }
  }
  if (meta.cookie) {
    (void)cd::cookieValue(*meta.cookie, cd::kSessionCookie);
    (void)cd::cookieValue(*meta.cookie, "");
  }
  const std::string& body = req.body();
  (void)ls::control::decodeEventMessage(body);
  (void)ls::control::decodeView(body);
  (void)ls::control::decodeViews(body);
  (void)ls::control::decodeStack(body);
  if (auto t = ls::control::parseTime(body)) {
    (void)ls::control::formatTime(*t);
  }
  for (const auto& [key, value] : route.query) {
    (void)ls::control::parseTime(value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Several requests may share one connection (keep-alive): parse them one after the other.
  for (int n = 0; n < 8 && !input.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    boost::system::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && used < input.size()) {
      const std::size_t got =
          parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
      used += got;
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || got == 0) {
        break;
      }
    }
    if (!ec && !parser.is_done()) {
      parser.put_eof(ec);
    }
    if (ec || !parser.is_done()) {
      return 0;
    }
    check(parser.get());
    input.remove_prefix(used);
  }
  return 0;
}
