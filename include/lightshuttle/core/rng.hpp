// File: lightshuttle/core/rng.hpp
//
// Injected randomness: backoff jitter, generated passwords and API tokens take an `Rng&`.
// `SystemRng` reads the kernel CSPRNG (getrandom); `SeededRng` is deterministic for tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ls {

class Rng {
 public:
  virtual ~Rng() = default;
  /// 64 uniformly distributed random bits.
  virtual std::uint64_t next() = 0;

  /// Uniform in [0, bound); bound must be > 0. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t bound);
  /// Uniform in [0, 1).
  double unit();
  /// `length` characters from [A-Za-z0-9], suitable for passwords and tokens.
  std::string alnum(std::size_t length);
  /// `bytes` random bytes as lowercase hex (2 × bytes characters).
  std::string hex(std::size_t bytes);
};

/// The kernel's CSPRNG via getrandom(2). Aborts only if the kernel refuses (an invariant here).
class SystemRng final : public Rng {
 public:
  std::uint64_t next() override;
};

/// Deterministic splitmix64 sequence, for tests. Not for secrets.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() override;

 private:
  std::uint64_t state_;
};

}  // namespace ls
