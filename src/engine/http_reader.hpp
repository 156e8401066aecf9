// Incremental reader of one HTTP/1.1 response (status line, headers, identity, content-length
// or chunked body), fed bytes as they arrive. Pure: no I/O. Built on Beast's basic_parser.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::engine {

struct HttpHead {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keepAlive = false;
  bool chunked = false;
  std::optional<std::uint64_t> contentLength;

  /// First value of a header, case-insensitive name; empty when absent.
  std::string_view header(std::string_view name) const;
};

class HttpResponseReader {
 public:
  struct Options {
    bool headRequest = false;                ///< response to HEAD: no body follows
    std::optional<std::uint64_t> bodyLimit;  ///< none for streams
    std::uint32_t headerLimit = 64 * 1024;
  };
  HttpResponseReader();
  explicit HttpResponseReader(Options opts);
  ~HttpResponseReader();
  HttpResponseReader(HttpResponseReader&&) noexcept;
  HttpResponseReader& operator=(HttpResponseReader&&) noexcept;

  /// Feeds bytes; decoded body bytes accumulate for `takeBody`. Returns how many of `bytes`
  /// belong to this response: less than `bytes.size()` only once the message is complete (the
  /// rest belongs to the connection's next use). InvalidArgument on a malformed response.
  Result<std::size_t> feed(std::string_view bytes);
  /// The peer closed the connection. Completes an EOF-delimited body; Unavailable when the
  /// response was cut short (mid-header, mid-chunk, short content-length).
  Result<void> feedEof();

  bool headerDone() const;
  bool done() const;
  const HttpHead& head() const;
  /// Body bytes decoded since the last call.
  std::string takeBody();
  std::size_t pendingBodySize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ls::engine
