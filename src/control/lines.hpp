// Splits a container's log chunks into lines, per stream (pure; used by the log routes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ls::control::detail {

class LineSplitter {
 public:
  /// Lines longer than this are cut into pieces of this size (a flood without newlines must
  /// not grow memory without bound).
  static constexpr std::size_t kMaxLine = 64 * 1024;

  /// The complete lines in `bytes` (without "\n" or "\r\n"); the rest waits for more.
  std::vector<std::string> feed(std::string_view bytes);
  /// What is left without a newline (at the end of the stream), or nothing.
  std::vector<std::string> flush();

 private:
  std::string partial_;
};

}  // namespace ls::control::detail
