// The browser boundary and authentication of the control API, as pure functions over the parts
// of a request they look at (no I/O, no Beast): table-tested and fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ls::control::detail {

enum class Transport { Unix, Tcp };

/// What the checks read of a request. Absent headers are nullopt.
struct RequestMeta {
  std::string_view method;  ///< "GET", "POST", ...
  std::optional<std::string_view> host;
  std::optional<std::string_view> origin;
  std::optional<std::string_view> secFetchSite;
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> cookie;
  bool webSocket = false;  ///< an upgrade request
};

enum class Verdict {
  Allow,
  Unauthorized,  ///< 401: no or wrong credentials
  Forbidden,     ///< 403: the browser boundary (Host, Origin, Fetch Metadata)
};

struct Decision {
  Verdict verdict = Verdict::Allow;
  std::string reason;  ///< for Forbidden: what was wrong (no secret in it)
};

/// The cookie that carries a browser's session.
inline constexpr std::string_view kSessionCookie = "lightshuttle_session";

/// True for `127.0.0.1:PORT`, `localhost:PORT` and `[::1]:PORT` (case-insensitive host).
bool hostAllowed(std::string_view host, std::uint16_t port);

/// Host, Origin and Sec-Fetch-Site on TCP (Allow or Forbidden; unix sockets always Allow).
Decision checkBoundary(const RequestMeta& request, Transport transport, std::uint16_t port);

/// Credentials on TCP: the bearer token, or the session cookie — which needs a same-origin
/// Origin on state-changing requests and WebSocket upgrades. Unix sockets need none.
Decision checkAuth(const RequestMeta& request, Transport transport, std::string_view token,
                   std::string_view sessionKey);

/// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string_view> cookieValue(std::string_view header, std::string_view name);

/// Compares without an early exit (the time taken does not depend on where they differ).
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

/// `bytes` random bytes from the kernel as lowercase hex (2×bytes digits).
std::string randomHex(std::size_t bytes);

}  // namespace ls::control::detail
