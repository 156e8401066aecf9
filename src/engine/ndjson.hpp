// Decoder of a sequence of JSON texts (Docker's progress, build and event streams): objects
// separated by optional whitespace/newlines, not aligned with chunk boundaries.
// Pure and byte-fed, built on boost::json::stream_parser.
#pragma once

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::engine {

class NdjsonDecoder {
 public:
  explicit NdjsonDecoder(std::size_t maxMessageBytes = 16u << 20);

  /// Appends every complete JSON text to `out`. InvalidArgument on malformed JSON or a message
  /// larger than the limit (naming the byte offset); the decoder then stays failed.
  Result<void> feed(std::string_view bytes, std::vector<boost::json::value>& out);
  /// End of input: whitespace is fine; a partial text is an error
  /// (Unavailable: "stream ended inside a JSON message").
  Result<void> finish(std::vector<boost::json::value>& out);

 private:
  boost::json::stream_parser parser_;
  std::size_t maxMessageBytes_;
  std::size_t current_ = 0;  // bytes of the message in progress
  std::size_t offset_ = 0;
  bool inMessage_ = false;
  bool failed_ = false;
};

/// If `msg` is an error inside a 200 progress stream (`{"errorDetail":{"message":…,"code":…},
/// "error":…}` or a bare `{"error":…}`), the error it carries (Errc::Internal, or the class of
/// errorDetail.code when it is an HTTP status), with the engine's message kept verbatim.
std::optional<Error> streamError(const boost::json::value& msg);

}  // namespace ls::engine
