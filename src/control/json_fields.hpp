// Lenient readers of one field of a JSON object, shared by the control codec and the CLI's
// supervisor records (private to ls_control and what links it). A missing field or one of
// another type reads as empty, never as an error: the caller decides what is required.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ls::control::detail {

/// The string at `key`, or "" when it is absent or not a string.
std::string stringField(const boost::json::object& o, std::string_view key);

/// The integer at `key` (an int64, a uint64 cast, or a double in range truncated), or nullopt
/// when it is absent or not a number.
std::optional<std::int64_t> intField(const boost::json::object& o, std::string_view key);

}  // namespace ls::control::detail
