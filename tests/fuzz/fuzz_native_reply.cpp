// Native readiness replies (runtime/native_check.hpp) on arbitrary bytes, for both protocols,
// with and without a redis password: never crashes, and a verdict, once given, stays the same
// when more bytes follow (a check decides on the bytes read so far).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lightshuttle/runtime/native_check.hpp"

namespace {

using ls::runtime::NativeCheck;
using ls::runtime::NativeVerdict;

void check(bool cond) {
  if (!cond) {
    std::abort();
  }
}

void classifyEveryPrefix(const NativeCheck& probe, std::string_view input) {
  NativeVerdict decided = NativeVerdict::Incomplete;
  for (std::size_t n = 0; n <= input.size(); ++n) {
    const NativeVerdict v = ls::runtime::classifyNativeReply(probe, input.substr(0, n));
    if (decided != NativeVerdict::Incomplete) {
      check(v == decided);
    }
    decided = v;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const NativeCheck postgres{.protocol = NativeCheck::Protocol::Postgres, .port = 5432};
  const NativeCheck redis{.protocol = NativeCheck::Protocol::Redis, .port = 6379};
  const NativeCheck redisAuth{
      .protocol = NativeCheck::Protocol::Redis, .port = 6379, .password = "pw"};
  classifyEveryPrefix(postgres, input);
  classifyEveryPrefix(redis, input);
  classifyEveryPrefix(redisAuth, input);
  return 0;
}
