#include "control/security.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ls::control::detail {
namespace {

constexpr std::uint16_t kPort = 41234;
constexpr std::string_view kToken =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kSession =
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Allow: return "Allow";
    case Verdict::Unauthorized: return "Unauthorized";
    case Verdict::Forbidden: return "Forbidden";
  }
  return "?";
}

const std::string kBearer = "Bearer " + std::string(kToken);
const std::string kCookie = "lightshuttle_session=" + std::string(kSession);

TEST(HostAllowedTest, AcceptsOnlyLoopbackNamesWithOurPort) {
  // Ensures the DNS-rebinding guard accepts exactly 127.0.0.1, localhost (any case) and [::1] with
  // the listener's port, and nothing that merely starts or ends like them.
  struct Case {
    std::string host;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1:41234", true},
      {"localhost:41234", true},
      {"LOCALHOST:41234", true},
      {"LocalHost:41234", true},
      {"[::1]:41234", true},
      {"127.0.0.1:41235", false},
      {"127.0.0.1:4123", false},
      {"127.0.0.1:141234", false},
      {"127.0.0.1:041234", false},
      {"127.0.0.1", false},
      {"localhost", false},
      {"[::1]", false},
      {":41234", false},
      {"", false},
      {"evil.com:41234", false},
      {"127.0.0.1.evil.com:41234", false},
      {"localhost.evil.com:41234", false},
      {"localhost.:41234", false},
      {"127.0.0.2:41234", false},
      {"0.0.0.0:41234", false},
      {"::1:41234", false},
      {"[::ffff:127.0.0.1]:41234", false},
      {"user@127.0.0.1:41234", false},
      {"127.0.0.1:41234:41234", false},
      {"127.0.0.1::41234", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(hostAllowed(c.host, kPort), c.allowed) << "Host: " << c.host;
  }
}

struct BoundaryCase {
  std::string label;
  std::optional<std::string> host;
  std::optional<std::string> origin;
  std::optional<std::string> secFetchSite;
  Verdict expected;
};

Decision boundary(const BoundaryCase& c, Transport transport) {
  RequestMeta m;
  m.method = "GET";
  if (c.host) {
    m.host = *c.host;
  }
  if (c.origin) {
    m.origin = *c.origin;
  }
  if (c.secFetchSite) {
    m.secFetchSite = *c.secFetchSite;
  }
  return checkBoundary(m, transport, kPort);
}

const std::vector<BoundaryCase>& boundaryCases() {
  static const std::vector<BoundaryCase> cases = {
      {"127.0.0.1, no Origin", "127.0.0.1:41234", {}, {}, Verdict::Allow},
      {"localhost, no Origin", "localhost:41234", {}, {}, Verdict::Allow},
      {"LOCALHOST, no Origin", "LOCALHOST:41234", {}, {}, Verdict::Allow},
      {"[::1], no Origin", "[::1]:41234", {}, {}, Verdict::Allow},
      {"missing Host", {}, {}, {}, Verdict::Forbidden},
      {"empty Host", "", {}, {}, Verdict::Forbidden},
      {"wrong port", "127.0.0.1:8080", {}, {}, Verdict::Forbidden},
      {"evil.com", "evil.com:41234", {}, {}, Verdict::Forbidden},
      {"no port", "127.0.0.1", {}, {}, Verdict::Forbidden},
      {"rebinding name", "127.0.0.1.evil.com:41234", {}, {}, Verdict::Forbidden},
      {"trailing dot", "localhost.:41234", {}, {}, Verdict::Forbidden},
      {"same Origin", "127.0.0.1:41234", "http://127.0.0.1:41234", {}, Verdict::Allow},
      {"same Origin, localhost", "localhost:41234", "http://localhost:41234", {}, Verdict::Allow},
      {"same Origin, [::1]", "[::1]:41234", "http://[::1]:41234", {}, Verdict::Allow},
      {"Origin differs in case only",
       "localhost:41234",
       "HTTP://LocalHost:41234",
       {},
       Verdict::Allow},
      {"Origin other port", "127.0.0.1:41234", "http://127.0.0.1:41235", {}, Verdict::Forbidden},
      {"Origin https", "127.0.0.1:41234", "https://127.0.0.1:41234", {}, Verdict::Forbidden},
      {"Origin null", "127.0.0.1:41234", "null", {}, Verdict::Forbidden},
      {"Origin empty", "127.0.0.1:41234", "", {}, Verdict::Forbidden},
      {"Origin other host", "127.0.0.1:41234", "http://evil.com", {}, Verdict::Forbidden},
      {"Origin other loopback name",
       "127.0.0.1:41234",
       "http://localhost:41234",
       {},
       Verdict::Forbidden},
      {"Origin with a path", "127.0.0.1:41234", "http://127.0.0.1:41234/", {}, Verdict::Forbidden},
      {"Origin without port", "127.0.0.1:41234", "http://127.0.0.1", {}, Verdict::Forbidden},
      {"Origin as a prefix",
       "127.0.0.1:41234",
       "http://127.0.0.1:41234.evil.com",
       {},
       Verdict::Forbidden},
      {"cross-site fetch", "127.0.0.1:41234", {}, "cross-site", Verdict::Forbidden},
      {"cross-site fetch, upper case", "127.0.0.1:41234", {}, "Cross-Site", Verdict::Forbidden},
      {"cross-site fetch with same Origin", "127.0.0.1:41234", "http://127.0.0.1:41234",
       "cross-site", Verdict::Forbidden},
      {"same-origin fetch", "127.0.0.1:41234", "http://127.0.0.1:41234", "same-origin",
       Verdict::Allow},
      {"user-typed navigation", "127.0.0.1:41234", {}, "none", Verdict::Allow},
  };
  return cases;
}

TEST(CheckBoundaryTest, RefusesForeignHostsOriginsAndCrossSiteFetchesOnTcp) {
  // Ensures the Host / Origin / Sec-Fetch-Site matrix of docs/control-api.md on TCP: only
  // loopback names with our port, an Origin that is exactly http:// + Host, and no cross-site
  // fetch; a refusal is Forbidden with a reason.
  for (const BoundaryCase& c : boundaryCases()) {
    const Decision d = boundary(c, Transport::Tcp);
    EXPECT_EQ(d.verdict, c.expected) << c.label << ": got " << verdictName(d.verdict);
    if (d.verdict == Verdict::Forbidden) {
      EXPECT_FALSE(d.reason.empty()) << c.label;
    }
  }
}

TEST(CheckBoundaryTest, AllowsEverythingOnTheUnixSocket) {
  // Ensures the unix socket, which the kernel restricts to our uid, is never refused by the
  // browser checks, whatever the headers say.
  for (const BoundaryCase& c : boundaryCases()) {
    EXPECT_EQ(boundary(c, Transport::Unix).verdict, Verdict::Allow) << c.label;
  }
}

struct AuthCase {
  std::string label;
  std::string method;
  std::optional<std::string> authorization;
  std::optional<std::string> cookie;
  std::optional<std::string> origin;
  bool webSocket;
  Verdict expected;
};

Decision auth(const AuthCase& c, Transport transport, std::string_view sessionKey = kSession) {
  RequestMeta m;
  m.method = c.method;
  m.host = "127.0.0.1:41234";
  if (c.authorization) {
    m.authorization = *c.authorization;
  }
  if (c.cookie) {
    m.cookie = *c.cookie;
  }
  if (c.origin) {
    m.origin = *c.origin;
  }
  m.webSocket = c.webSocket;
  return checkAuth(m, transport, kToken, sessionKey);
}

const std::vector<AuthCase>& authCases() {
  const std::string same = "http://127.0.0.1:41234";
  static const std::vector<AuthCase> cases = {
      {"no credentials", "GET", {}, {}, {}, false, Verdict::Unauthorized},
      {"bearer", "GET", kBearer, {}, {}, false, Verdict::Allow},
      {"bearer, POST without Origin", "POST", kBearer, {}, {}, false, Verdict::Allow},
      {"bearer, WebSocket without Origin", "GET", kBearer, {}, {}, true, Verdict::Allow},
      {"bearer, lower-case scheme",
       "GET",
       "bearer " + std::string(kToken),
       {},
       {},
       false,
       Verdict::Allow},
      {"bearer, surrounding spaces", "GET", "  " + kBearer + "  ", {}, {}, false, Verdict::Allow},
      {"bearer, two spaces after the scheme",
       "GET",
       "Bearer  " + std::string(kToken),
       {},
       {},
       false,
       Verdict::Allow},
      {"bearer, wrong token",
       "GET",
       "Bearer " + std::string(kSession),
       {},
       {},
       false,
       Verdict::Unauthorized},
      {"bearer, empty token", "GET", "Bearer ", {}, {}, false, Verdict::Unauthorized},
      {"bearer, only spaces", "GET", "Bearer    ", {}, {}, false, Verdict::Unauthorized},
      {"bearer, no token", "GET", "Bearer", {}, {}, false, Verdict::Unauthorized},
      {"bearer, token prefix",
       "GET",
       "Bearer " + std::string(kToken.substr(0, 63)),
       {},
       {},
       false,
       Verdict::Unauthorized},
      {"bearer, longer token", "GET", kBearer + "0", {}, {}, false, Verdict::Unauthorized},
      {"bearer, token with a suffix word",
       "GET",
       kBearer + " x",
       {},
       {},
       false,
       Verdict::Unauthorized},
      {"bearer, upper-case token",
       "GET",
       "Bearer 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
       {},
       {},
       false,
       Verdict::Unauthorized},
      {"basic scheme", "GET", "Basic " + std::string(kToken), {}, {}, false, Verdict::Unauthorized},
      {"token without scheme", "GET", std::string(kToken), {}, {}, false, Verdict::Unauthorized},
      {"scheme glued to token",
       "GET",
       "Bearer" + std::string(kToken),
       {},
       {},
       false,
       Verdict::Unauthorized},
      {"empty header", "GET", "", {}, {}, false, Verdict::Unauthorized},
      {"cookie, GET without Origin", "GET", {}, kCookie, {}, false, Verdict::Allow},
      {"cookie, HEAD without Origin", "HEAD", {}, kCookie, {}, false, Verdict::Allow},
      {"cookie, wrong value",
       "GET",
       {},
       "lightshuttle_session=" + std::string(kToken),
       {},
       false,
       Verdict::Unauthorized},
      {"cookie, empty value", "GET", {}, "lightshuttle_session=", {}, false, Verdict::Unauthorized},
      {"cookie, other name",
       "GET",
       {},
       "session=" + std::string(kSession),
       {},
       false,
       Verdict::Unauthorized},
      {"cookie, POST without Origin", "POST", {}, kCookie, {}, false, Verdict::Forbidden},
      {"cookie, DELETE without Origin", "DELETE", {}, kCookie, {}, false, Verdict::Forbidden},
      {"cookie, PUT without Origin", "PUT", {}, kCookie, {}, false, Verdict::Forbidden},
      {"cookie, WebSocket without Origin", "GET", {}, kCookie, {}, true, Verdict::Forbidden},
      {"cookie, POST with same Origin", "POST", {}, kCookie, same, false, Verdict::Allow},
      {"cookie, DELETE with same Origin", "DELETE", {}, kCookie, same, false, Verdict::Allow},
      {"cookie, WebSocket with same Origin", "GET", {}, kCookie, same, true, Verdict::Allow},
      {"cookie, wrong value, POST with Origin",
       "POST",
       {},
       "lightshuttle_session=x",
       same,
       false,
       Verdict::Unauthorized},
      {"header wrong, cookie right",
       "GET",
       "Bearer nope",
       kCookie,
       {},
       false,
       Verdict::Unauthorized},
      {"header empty, cookie right", "GET", "", kCookie, {}, false, Verdict::Unauthorized},
      {"header right, cookie wrong",
       "GET",
       kBearer,
       "lightshuttle_session=x",
       {},
       false,
       Verdict::Allow},
      {"the token as the cookie",
       "GET",
       {},
       "lightshuttle_session=" + std::string(kToken),
       {},
       false,
       Verdict::Unauthorized},
  };
  return cases;
}

TEST(CheckAuthTest, AcceptsTheBearerTokenOrTheSessionCookieOnTcp) {
  // Ensures the credential matrix on TCP: the exact token behind a Bearer scheme or the exact
  // session cookie; a cookie alone does not authorise a state-changing request or an upgrade
  // without an Origin (cross-site request forgery, WebSocket hijacking).
  for (const AuthCase& c : authCases()) {
    const Decision d = auth(c, Transport::Tcp);
    EXPECT_EQ(d.verdict, c.expected) << c.label << ": got " << verdictName(d.verdict);
    if (d.verdict == Verdict::Forbidden) {
      EXPECT_FALSE(d.reason.empty()) << c.label;
    }
    EXPECT_EQ(d.reason.find(kToken), std::string::npos) << c.label;
    EXPECT_EQ(d.reason.find(kSession), std::string::npos) << c.label;
  }
}

TEST(CheckAuthTest, NeedsNoCredentialsOnTheUnixSocket) {
  // Ensures every request on the unix socket is allowed, with or without credentials.
  for (const AuthCase& c : authCases()) {
    EXPECT_EQ(auth(c, Transport::Unix).verdict, Verdict::Allow) << c.label;
  }
}

TEST(CheckAuthTest, RefusesEveryCookieWhenNoSessionKeyIsSet) {
  // Ensures an empty session key (no login yet) cannot be matched by an empty cookie value.
  const AuthCase c{"empty cookie",       "GET", {}, "lightshuttle_session=", {}, false,
                   Verdict::Unauthorized};
  EXPECT_EQ(auth(c, Transport::Tcp, "").verdict, Verdict::Unauthorized);
  const AuthCase quoted{"empty quoted cookie", "GET", {}, "lightshuttle_session=\"\"", {}, false,
                        Verdict::Unauthorized};
  EXPECT_EQ(auth(quoted, Transport::Tcp, "").verdict, Verdict::Unauthorized);
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  // Ensures cookieValue picks the exact name out of a Cookie header, trims spaces and one pair
  // of quotes, and does not match a name that merely ends or starts like the wanted one.
  struct Case {
    std::string header;
    std::optional<std::string> expected;
  };
  const std::string name(kSessionCookie);
  const std::vector<Case> cases = {
      {"lightshuttle_session=abc", "abc"},
      {"a=1; lightshuttle_session=abc; b=2", "abc"},
      {"a=1;lightshuttle_session=abc;b=2", "abc"},
      {"  lightshuttle_session = abc  ", "abc"},
      {"a=1;\tlightshuttle_session=abc\t", "abc"},
      {"lightshuttle_session=\"abc\"", "abc"},
      {"lightshuttle_session=\"\"", ""},
      {"lightshuttle_session=\"", "\""},
      {"lightshuttle_session=", ""},
      {"lightshuttle_session=a=b", "a=b"},
      {"x_lightshuttle_session=evil; lightshuttle_session=abc", "abc"},
      {"x_lightshuttle_session=evil", std::nullopt},
      {"lightshuttle_session_x=evil", std::nullopt},
      {"lightshuttle_sessio=evil", std::nullopt},
      {"LIGHTSHUTTLE_SESSION=evil", std::nullopt},
      {"lightshuttle_session", std::nullopt},
      {"a=1; b=2", std::nullopt},
      {"", std::nullopt},
      {";;;", std::nullopt},
      {"lightshuttle_session=first; lightshuttle_session=second", "first"},
      {"garbage; lightshuttle_session=abc", "abc"},
  };
  for (const Case& c : cases) {
    const std::optional<std::string_view> got = cookieValue(c.header, name);
    if (c.expected) {
      ASSERT_TRUE(got.has_value()) << "Cookie: " << c.header;
      EXPECT_EQ(*got, *c.expected) << "Cookie: " << c.header;
    } else {
      EXPECT_FALSE(got.has_value()) << "Cookie: " << c.header << " gave " << *got;
    }
  }
}

TEST(ConstantTimeEqualsTest, IsEqualityOfNonEmptyStrings) {
  // Ensures constantTimeEquals is plain equality, except that two empty strings never match (an
  // unset secret must not authenticate an empty credential).
  struct Case {
    std::string a;
    std::string b;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"abc", "abc", true},
      {"abc", "abd", false},
      {"abc", "xbc", false},
      {"abc", "ab", false},
      {"ab", "abc", false},
      {"abc", "ABC", false},
      {"", "", false},
      {"", "a", false},
      {"a", "", false},
      {std::string("a\0b", 3), std::string("a\0b", 3), true},
      {std::string("a\0b", 3), std::string("a\0c", 3), false},
      {std::string(kToken), std::string(kToken), true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(constantTimeEquals(c.a, c.b), c.equal) << "'" << c.a << "' vs '" << c.b << "'";
  }
}

TEST(RandomHexTest, DrawsTwoLowercaseHexDigitsPerByte) {
  // Ensures randomHex gives 2 x bytes lowercase hex digits and that two draws differ (a token is
  // never reused across supervisors).
  for (std::size_t bytes :
       {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{32}, std::size_t{300}}) {
    const std::string s = randomHex(bytes);
    EXPECT_EQ(s.size(), 2 * bytes);
    for (char c : s) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << s;
    }
  }
  const std::string a = randomHex(32);
  const std::string b = randomHex(32);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace ls::control::detail
