#include "lightshuttle/core/rng.hpp"

#include <sys/random.h>

#include <cerrno>

#include "lightshuttle/core/result.hpp"

namespace ls {

std::uint64_t Rng::below(std::uint64_t bound) {
  LS_CHECK(bound > 0);
  // Reject the top sliver that would bias the modulo.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  std::uint64_t x = next();
  while (x >= limit) {
    x = next();
  }
  return x % bound;
}

double Rng::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::string Rng::alnum(std::size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(kAlphabet[below(sizeof(kAlphabet) - 1)]);
  }
  return out;
}

std::string Rng::hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    if (i % 8 == 0) {
      word = next();
    }
    const auto b = static_cast<unsigned>(word & 0xff);
    word >>= 8;
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::uint64_t SystemRng::next() {
  std::uint64_t v = 0;
  auto* p = reinterpret_cast<unsigned char*>(&v);
  std::size_t got = 0;
  while (got < sizeof(v)) {
    const ssize_t n = ::getrandom(p + got, sizeof(v) - got, 0);
    if (n < 0) {
      LS_CHECK(errno == EINTR);
      continue;
    }
    got += static_cast<std::size_t>(n);
  }
  return v;
}

std::uint64_t SeededRng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace ls
