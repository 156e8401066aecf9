#include "control/lines.hpp"

namespace ls::control::detail {

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::size_t take = nl == std::string_view::npos ? bytes.size() : nl;
    std::string_view piece = bytes.substr(0, take);
    while (partial_.size() + piece.size() > kMaxLine) {
      const std::size_t room = kMaxLine - partial_.size();
      partial_.append(piece.substr(0, room));
      out.push_back(std::move(partial_));
      partial_.clear();
      piece.remove_prefix(room);
    }
    partial_.append(piece);
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
  if (!partial_.empty()) {
    out.push_back(std::move(partial_));
    partial_.clear();
  }
  return out;
}

}  // namespace ls::control::detail
