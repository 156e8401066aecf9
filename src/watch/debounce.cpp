#include "watch/debounce.hpp"

#include <algorithm>

namespace ls::watch::detail {

void Debouncer::mark(Clock::SteadyTime now) {
  if (!first_) {
    first_ = now;
  }
  last_ = std::max(last_, now);
}

void Debouncer::touch(const std::filesystem::path& path, Clock::SteadyTime now) {
  paths_.insert(path);
  mark(now);
}

void Debouncer::overflow(Clock::SteadyTime now) {
  overflow_ = true;
  mark(now);
}

Clock::SteadyTime Debouncer::deadline() const {
  if (empty() || !first_) {
    return Clock::SteadyTime::max();
  }
  return std::min(last_ + options_.quiet, *first_ + options_.maxDelay);
}

std::optional<Batch> Debouncer::take(Clock::SteadyTime now) {
  if (empty() || now < deadline()) {
    return std::nullopt;
  }
  Batch b;
  b.paths.assign(paths_.begin(), paths_.end());
  b.overflow = overflow_;
  paths_.clear();
  overflow_ = false;
  first_.reset();
  last_ = {};
  return b;
}

}  // namespace ls::watch::detail
