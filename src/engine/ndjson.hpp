// Decoder of a sequence of JSON texts (Docker's progress, build and event streams): objects
// separated by optional whitespace/newlines, not aligned with chunk boundaries.
// Pure and byte-fed, built on boost::json::stream_parser.
#pragma once

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::engine {

/// Framing of a JSON-text sequence without building values: validates each message (full JSON
/// grammar, same errors as NdjsonDecoder) and returns it as a slice, so a consumer parses only
/// the messages it needs, once, from contiguous bytes. Runs at validation speed (> 1 GB/s).
class NdjsonSplitter {
 public:
  explicit NdjsonSplitter(std::size_t maxMessageBytes = 16u << 20);
  ~NdjsonSplitter();
  NdjsonSplitter(const NdjsonSplitter&) = delete;
  NdjsonSplitter& operator=(const NdjsonSplitter&) = delete;

  /// Appends a view of every message completed by `bytes` to `out`. The views point into
  /// `bytes` or into this splitter, and stay valid until the next feed/finish. Errors as
  /// NdjsonDecoder::feed; the splitter then stays failed.
  Result<void> feed(std::string_view bytes, std::vector<std::string_view>& out);
  /// End of input (see NdjsonDecoder::finish).
  Result<void> finish(std::vector<std::string_view>& out);

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
  std::size_t maxMessageBytes_;
  std::size_t current_ = 0;  // bytes of the message in progress
  std::size_t offset_ = 0;
  bool inMessage_ = false;
  bool failed_ = false;
  std::string partial_;    // bytes of a message begun in an earlier feed
  std::string assembled_;  // the last message completed from partial_ (what a view may show)
};

/// A sequence of JSON texts decoded to values: NdjsonSplitter, then one parse per message.
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
  Result<void> parseAll(std::vector<boost::json::value>& out);
  NdjsonSplitter splitter_;
  boost::json::parser parser_;  // reused: its buffers survive between messages
  std::vector<std::string_view> slices_;
};

/// If `msg` is an error inside a 200 progress stream (`{"errorDetail":{"message":…,"code":…},
/// "error":…}` or a bare `{"error":…}`), the error it carries (Errc::Internal, or the class of
/// errorDetail.code when it is an HTTP status), with the engine's message kept verbatim.
std::optional<Error> streamError(const boost::json::value& msg);

}  // namespace ls::engine
