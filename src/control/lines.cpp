#include "control/lines.hpp"

#include <algorithm>

namespace ls::control::detail {

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> out;
  const auto cut = [&] {
    out.emplace_back(partial_, 0, kMaxLine);
    partial_.erase(0, kMaxLine);
  };
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::size_t take = nl == std::string_view::npos ? bytes.size() : nl;
    std::string_view piece = bytes.substr(0, take);
    while (!piece.empty()) {
      if (partial_.size() > kMaxLine) {
        cut();  // the "\r" held at the limit is followed by more of the line: it is content
      }
      const std::size_t n = std::min(piece.size(), kMaxLine + 1 - partial_.size());
      partial_.append(piece.substr(0, n));
      piece.remove_prefix(n);
      // NOTE: one byte past the limit is held when it is a "\r" that may start the "\r\n"
      // ending a line of exactly kMaxLine bytes (else that line would gain an empty one).
      if (partial_.size() > kMaxLine && partial_.back() != '\r') {
        cut();
      }
    }
    if (nl == std::string_view::npos) {
      break;
    }
    if (!partial_.empty() && partial_.back() == '\r') {
      partial_.pop_back();
    }
    out.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<std::string> LineSplitter::flush() {
  std::vector<std::string> out;
  if (partial_.size() > kMaxLine) {
    out.emplace_back(partial_, 0, kMaxLine);
    partial_.erase(0, kMaxLine);
  }
  if (!partial_.empty()) {
    out.push_back(std::move(partial_));
    partial_.clear();
  }
  return out;
}

}  // namespace ls::control::detail
