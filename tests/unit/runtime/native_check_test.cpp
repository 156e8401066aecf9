// Native readiness checks (native_check.hpp): the bytes written, and the verdict on replies
// recorded from postgres 15 and redis 7 (startup, ready, auth required), cut at every length.
#include "lightshuttle/runtime/native_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lightshuttle/runtime/docker_runtime.hpp"
#include "unit/engine/fake_transport.hpp"

namespace ls::runtime {
namespace {

using Protocol = NativeCheck::Protocol;
using V = NativeVerdict;

NativeCheck postgres(std::string user = "postgres") {
  return NativeCheck{.protocol = Protocol::Postgres, .port = 5432, .user = std::move(user)};
}

NativeCheck redis(std::string password = "") {
  return NativeCheck{.protocol = Protocol::Redis, .port = 6379, .password = std::move(password)};
}

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) {
    s += static_cast<char>(b);
  }
  return s;
}

// A postgres ErrorResponse with these fields (type, value), as the server frames it.
std::string pgError(const std::vector<std::pair<char, std::string>>& fields) {
  std::string body;
  for (const auto& [type, value] : fields) {
    body += type;
    body += value;
    body += '\0';
  }
  body += '\0';
  const auto length = static_cast<std::uint32_t>(body.size() + 4);
  return "E" +
         bytes({static_cast<int>(length >> 24), static_cast<int>((length >> 16) & 0xff),
                static_cast<int>((length >> 8) & 0xff), static_cast<int>(length & 0xff)}) +
         body;
}

std::string startingUp() {
  return pgError({{'S', "FATAL"},
                  {'V', "FATAL"},
                  {'C', "57P03"},
                  {'M', "the database system is starting up"},
                  {'F', "postmaster.c"},
                  {'R', "ProcessStartupPacket"}});
}

// AuthenticationSASL (scram-sha-256), the first message of postgres 15's official image.
const std::string kAuthSasl =
    "R" + bytes({0, 0, 0, 23, 0, 0, 0, 10}) + std::string("SCRAM-SHA-256\0\0", 15);

TEST(NativeCheckTest, PostgresStartupMessageNamesTheUserInProtocol3) {
  // Ensures the startup message is length-prefixed protocol 3.0 with the user parameter (the
  // database defaults to it, as for pg_isready -U).
  const std::string expected = bytes({0, 0, 0, 18, 0, 3, 0, 0}) + std::string("user\0app\0\0", 10);
  EXPECT_EQ(nativeCheckRequest(postgres("app")), expected);
  EXPECT_EQ(nativeCheckRequest(postgres("")).substr(8), std::string("user\0postgres\0\0", 15));
}

TEST(NativeCheckTest, PostgresIsReadyWhenItAsksForAuthenticationOrRefusesForAnotherReason) {
  // Ensures pg_isready's verdicts: an authentication request (or ok) and any error but 57P03
  // mean the server accepts connections; 57P03 means it is starting up.
  EXPECT_EQ(classifyNativeReply(postgres(), kAuthSasl), V::Ready);
  EXPECT_EQ(classifyNativeReply(postgres(), "R" + bytes({0, 0, 0, 8, 0, 0, 0, 0})), V::Ready);
  EXPECT_EQ(classifyNativeReply(postgres(), startingUp()), V::NotReady);
  EXPECT_EQ(
      classifyNativeReply(postgres(),
                          pgError({{'S', "FATAL"}, {'C', "28000"}, {'M', "no pg_hba.conf entry"}})),
      V::Ready);
  EXPECT_EQ(classifyNativeReply(postgres(), pgError({{'C', "53300"}})), V::Ready);
}

TEST(NativeCheckTest, PostgresReplyCutShortIsIncompleteUntilItsCodeArrives) {
  // Ensures a reply read in pieces decides only once complete: every prefix of the "starting
  // up" error is Incomplete, the whole is NotReady.
  const std::string reply = startingUp();
  for (std::size_t n = 0; n < reply.size(); ++n) {
    EXPECT_EQ(classifyNativeReply(postgres(), reply.substr(0, n)), V::Incomplete) << n;
  }
  EXPECT_EQ(classifyNativeReply(postgres(), reply), V::NotReady);
}

TEST(NativeCheckTest, PostgresGarbageIsNotReady) {
  // Ensures what is not a postgres server's first message is NotReady: an HTTP server on the
  // port, an absurd length, an error without a code, a field without its terminator.
  EXPECT_EQ(classifyNativeReply(postgres(), "HTTP/1.1 400 Bad Request\r\n"), V::NotReady);
  EXPECT_EQ(classifyNativeReply(postgres(), "E" + bytes({0x7f, 0, 0, 0})), V::NotReady);
  EXPECT_EQ(classifyNativeReply(postgres(), "E" + bytes({0, 0, 0, 2})), V::NotReady);
  EXPECT_EQ(classifyNativeReply(postgres(), pgError({{'M', "no code"}})), V::NotReady);
  EXPECT_EQ(classifyNativeReply(postgres(), "E" + bytes({0, 0, 0, 8}) + "Cabcd"), V::NotReady);
}

TEST(NativeCheckTest, RedisSendsPingAndWithAPasswordAuthFirst) {
  // Ensures the commands are RESP arrays: PING alone, or AUTH <password> then PING.
  EXPECT_EQ(nativeCheckRequest(redis()), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(nativeCheckRequest(redis("s3cret")),
            "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n*1\r\n$4\r\nPING\r\n");
}

TEST(NativeCheckTest, RedisVerdictsFollowRedisCliPing) {
  // Ensures redis-cli ping's verdicts: PONG is ready; LOADING is not; NOAUTH counts as ready
  // without a password (redis-cli exits 0 on it) but not with one (the probe greps PONG).
  struct Case {
    std::string password;
    std::string reply;
    V expected;
  };
  const std::vector<Case> cases = {
      {"", "+PONG\r\n", V::Ready},
      {"", "-LOADING Redis is loading the dataset in memory\r\n", V::NotReady},
      {"", "-NOAUTH Authentication required.\r\n", V::Ready},
      {"", "+PON", V::Incomplete},
      {"", "", V::Incomplete},
      {"", "$4\r\nPONG\r\n", V::NotReady},
      {"pw", "+OK\r\n+PONG\r\n", V::Ready},
      {"pw", "+OK\r\n", V::Incomplete},
      {"pw", "-WRONGPASS invalid username-password pair\r\n-NOAUTH Authentication required.\r\n",
       V::NotReady},
      {"pw", "-ERR AUTH <password> called without any password configured\r\n+PONG\r\n", V::Ready},
      {"pw", "+OK\r\n-LOADING Redis is loading the dataset in memory\r\n", V::NotReady},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(classifyNativeReply(redis(c.password), c.reply), c.expected) << c.reply;
  }
}

TEST(NativeCheckTest, AnEndlessReplyIsNotReadyPastTheCap) {
  // Ensures a server that never completes a line cannot keep a check reading: past
  // kNativeReplyCap bytes an undecided reply is NotReady.
  EXPECT_EQ(classifyNativeReply(redis(), std::string(kNativeReplyCap - 1, '+')), V::Incomplete);
  EXPECT_EQ(classifyNativeReply(redis(), std::string(kNativeReplyCap, '+')), V::NotReady);
}

class DockerNativeProberTest : public engine::testing::ScriptedEngineTest {};

TEST_F(DockerNativeProberTest, AnEngineThatIsNotOnALocalSocketGetsNoNativeChecks) {
  // Ensures native checks are refused (Unsupported, so the lifecycle probes with exec) for an
  // engine not reached over a local unix socket, before any request: a remote engine's container
  // addresses are not this host's, and could name an unrelated local container.
  DockerRuntime rt(*client, clock);
  auto prober = run(rt.nativeProber(ContainerId{"abc"}, redis()));
  ASSERT_FALSE(prober);
  EXPECT_EQ(prober.error().code(), Errc::Unsupported) << prober.error().what();
  EXPECT_NE(prober.error().message().find("fake://engine"), std::string::npos);
  EXPECT_EQ(engine->requests.size(), 0u);
}

}  // namespace
}  // namespace ls::runtime
