// File: lightshuttle/core/sha256.hpp
//
// SHA-256 (FIPS 180-4), for content hashes: config-hash labels and docker context directories.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ls {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::array<std::uint8_t, 32> finish();

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t bufLen_ = 0;
  std::uint64_t total_ = 0;
};

/// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

}  // namespace ls
