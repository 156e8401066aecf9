// File: lightshuttle/core/text.hpp
//
// Small text helpers every module uses: RFC 3986 percent-encoding (URLs carry passwords and
// resource names) and quoting of names in messages.
//
//   percentEncode("p@ss word")   // "p%40ss%20word"
//   quoted("db")                 // "'db'"
#pragma once

#include <string>
#include <string_view>

namespace ls {

/// Percent-encodes everything but RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~).
std::string percentEncode(std::string_view text);
/// Decodes %XX sequences; malformed ones are kept as they are.
std::string percentDecode(std::string_view text);
/// `'text'`: how names appear in messages.
std::string quoted(std::string_view text);

}  // namespace ls
