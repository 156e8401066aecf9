#include "control/security.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace ls::control::detail {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool stateChanging(std::string_view method) {
  return !(method == "GET" || method == "HEAD" || method == "OPTIONS");
}

}  // namespace

bool hostAllowed(std::string_view host, std::uint16_t port) {
  const std::string suffix = ":" + std::to_string(port);
  if (host.size() <= suffix.size() || host.substr(host.size() - suffix.size()) != suffix) {
    return false;
  }
  const std::string_view name = host.substr(0, host.size() - suffix.size());
  return name == "127.0.0.1" || iequals(name, "localhost") || name == "[::1]";
}

Decision checkBoundary(const RequestMeta& r, Transport transport, std::uint16_t port) {
  if (transport == Transport::Unix) {
    return {};
  }
  if (!r.host || !hostAllowed(trim(*r.host), port)) {
    return {Verdict::Forbidden, "the Host header must be 127.0.0.1:" + std::to_string(port) +
                                    ", localhost:" + std::to_string(port) +
                                    " or [::1]:" + std::to_string(port)};
  }
  if (r.secFetchSite && iequals(trim(*r.secFetchSite), "cross-site")) {
    return {Verdict::Forbidden, "cross-site requests are refused"};
  }
  if (r.origin) {
    const std::string expected = "http://" + std::string(trim(*r.host));
    if (!iequals(trim(*r.origin), expected)) {
      return {Verdict::Forbidden, "cross-origin requests are refused"};
    }
  }
  return {};
}

std::string sessionCookieName(std::uint16_t port) {
  return std::string(kSessionCookie) + "_" + std::to_string(port);
}

Decision checkAuth(const RequestMeta& r, Transport transport, std::string_view token,
                   std::string_view sessionKey, std::string_view cookieName) {
  if (transport == Transport::Unix) {
    return {};
  }
  if (r.authorization) {
    std::string_view a = trim(*r.authorization);
    constexpr std::string_view kBearer = "Bearer ";
    if (a.size() > kBearer.size() && iequals(a.substr(0, kBearer.size()), kBearer) &&
        constantTimeEquals(trim(a.substr(kBearer.size())), token)) {
      return {};
    }
    return {Verdict::Unauthorized, {}};
  }
  if (r.cookie) {
    std::optional<std::string_view> session = cookieValue(*r.cookie, cookieName);
    if (session && !sessionKey.empty() && constantTimeEquals(*session, sessionKey)) {
      // Another port of this host is "same-site": its pages get our SameSite=Strict cookie.
      const bool navigation =
          r.method == "GET" && r.secFetchMode && iequals(trim(*r.secFetchMode), "navigate");
      if (r.secFetchSite && iequals(trim(*r.secFetchSite), "same-site") && !navigation) {
        return {Verdict::Forbidden, "requests from another site of this host are refused"};
      }
      // A cookie rides along with any request the browser makes: one that changes state or
      // opens a socket must prove it comes from our own page.
      if ((stateChanging(r.method) || r.webSocket) && !r.origin) {
        return {Verdict::Forbidden,
                "a request authenticated by cookie must carry a same-origin Origin"};
      }
      return {};
    }
  }
  return {Verdict::Unauthorized, {}};
}

std::optional<std::string_view> cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    if (trim(pair.substr(0, eq)) == name) {
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return std::nullopt;
}

bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0 && !a.empty();
}

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  std::size_t got = 0;
  while (got < bytes) {
    const ssize_t n = ::getrandom(buf.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      std::fprintf(stderr, "fatal: the kernel's random source failed\n");
      std::abort();  // a guessable token would be worse than no server
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : buf) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

}  // namespace ls::control::detail
