// File: lightshuttle/engine/types.hpp
//
// Small value types of the Docker Engine API client that other layers see.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ls::engine {

/// Engine timestamps keep their nanoseconds.
using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

/// The stream a piece of container output belongs to (Docker's multiplexed stream ids).
enum class StreamKind : std::uint8_t {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  System = 3,  ///< the daemon's own error stream
};

std::string_view streamKindName(StreamKind k) noexcept;

}  // namespace ls::engine
