// RFC 3339 timestamps as the Engine writes them (log lines, events' `time`, inspect fields):
// "2024-05-01T12:34:56.123456789Z" or with a numeric offset, 0–9 fractional digits.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "lightshuttle/core/result.hpp"

namespace ls::engine {

using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

/// Parses one timestamp; InvalidArgument naming the text on anything else (a date out of range,
/// missing 'T', bad offset, >9 fraction digits, trailing characters).
Result<Timestamp> parseRfc3339(std::string_view text);

/// Formats as UTC with exactly 9 fraction digits: "2024-05-01T12:34:56.123456789Z".
std::string formatRfc3339Nano(Timestamp t);

/// Splits a `timestamps=1` log line "TS rest" into its timestamp and the rest (after one space).
Result<std::pair<Timestamp, std::string_view>> splitTimestampedLine(std::string_view line);

}  // namespace ls::engine
