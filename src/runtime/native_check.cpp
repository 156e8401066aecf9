#include "lightshuttle/runtime/native_check.hpp"

#include <cstdint>

namespace ls::runtime {
namespace {

// Postgres' protocol 3.0 (frontend/backend): a startup message, then the server's first message.
constexpr std::uint32_t kPgProtocol3 = 196608;
// "cannot_connect_now": the database system is starting up, shutting down or recovering.
constexpr std::string_view kPgCannotConnectNow = "57P03";
// An ErrorResponse larger than this is not a server's answer to a startup message.
constexpr std::uint32_t kPgMaxErrorLength = 2048;

void putU32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

std::uint32_t getU32(std::string_view s) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    v = (v << 8) | static_cast<unsigned char>(s[k]);
  }
  return v;
}

std::string postgresRequest(const NativeCheck& check) {
  std::string body;
  putU32(body, kPgProtocol3);
  body += "user";
  body += '\0';
  body += check.user.empty() ? std::string("postgres") : check.user;
  body += '\0';
  body += '\0';
  std::string out;
  putU32(out, static_cast<std::uint32_t>(body.size() + 4));
  return out + body;
}

// The server's first message: 'R' (an authentication request, or ok) means it accepts
// connections; 'E' decides by its SQLSTATE ('C' field).
NativeVerdict classifyPostgres(std::string_view reply) {
  if (reply.empty()) {
    return NativeVerdict::Incomplete;
  }
  if (reply[0] == 'R') {
    return NativeVerdict::Ready;
  }
  if (reply[0] != 'E') {
    return NativeVerdict::NotReady;
  }
  if (reply.size() < 5) {
    return NativeVerdict::Incomplete;
  }
  const std::uint32_t length = getU32(reply.substr(1, 4));
  if (length < 5 || length > kPgMaxErrorLength) {
    return NativeVerdict::NotReady;
  }
  if (reply.size() < 1 + static_cast<std::size_t>(length)) {
    return NativeVerdict::Incomplete;
  }
  std::string_view fields = reply.substr(5, length - 4);
  while (!fields.empty() && fields[0] != '\0') {
    const char type = fields[0];
    const std::size_t end = fields.find('\0', 1);
    if (end == std::string_view::npos) {
      return NativeVerdict::NotReady;  // a field without its terminator
    }
    if (type == 'C') {
      return fields.substr(1, end - 1) == kPgCannotConnectNow ? NativeVerdict::NotReady
                                                              : NativeVerdict::Ready;
    }
    fields.remove_prefix(end + 1);
  }
  return NativeVerdict::NotReady;  // an error without a code
}

void putBulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out += s;
  out += "\r\n";
}

std::string redisRequest(const NativeCheck& check) {
  std::string out;
  if (!check.password.empty()) {
    out += "*2\r\n";
    putBulk(out, "AUTH");
    putBulk(out, check.password);
  }
  out += "*1\r\n";
  putBulk(out, "PING");
  return out;
}

// One simple reply per command sent (AUTH, then PING); the PING's decides.
NativeVerdict classifyRedis(const NativeCheck& check, std::string_view reply) {
  const std::size_t replies = check.password.empty() ? 1 : 2;
  std::string_view last;
  for (std::size_t k = 0; k < replies; ++k) {
    const std::size_t end = reply.find("\r\n");
    if (end == std::string_view::npos) {
      return NativeVerdict::Incomplete;
    }
    last = reply.substr(0, end);
    if (last.empty() || (last[0] != '+' && last[0] != '-')) {
      return NativeVerdict::NotReady;  // not a simple reply: not what a redis answers here
    }
    reply.remove_prefix(end + 2);
  }
  if (last == "+PONG") {
    return NativeVerdict::Ready;
  }
  if (check.password.empty() && last.starts_with("-NOAUTH")) {
    return NativeVerdict::Ready;
  }
  return NativeVerdict::NotReady;
}

}  // namespace

std::string nativeCheckRequest(const NativeCheck& check) {
  switch (check.protocol) {
    case NativeCheck::Protocol::Postgres: return postgresRequest(check);
    case NativeCheck::Protocol::Redis: return redisRequest(check);
  }
  return {};
}

NativeVerdict classifyNativeReply(const NativeCheck& check, std::string_view reply) {
  // Only the first kNativeReplyCap bytes count, so that a verdict never changes as more follow.
  reply = reply.substr(0, kNativeReplyCap);
  NativeVerdict verdict = NativeVerdict::NotReady;
  switch (check.protocol) {
    case NativeCheck::Protocol::Postgres: verdict = classifyPostgres(reply); break;
    case NativeCheck::Protocol::Redis: verdict = classifyRedis(check, reply); break;
  }
  if (verdict == NativeVerdict::Incomplete && reply.size() >= kNativeReplyCap) {
    return NativeVerdict::NotReady;
  }
  return verdict;
}

}  // namespace ls::runtime
