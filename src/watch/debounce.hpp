// Debouncing of touched paths into batches. Pure: times come from the caller (the injected
// clock), so tests drive it with a manual clock.
//
//   Debouncer d({.quiet = 25ms, .maxDelay = 2s});
//   d.touch(path, clock.steady());                  // for every reported path
//   if (auto batch = d.take(clock.steady())) ...    // once quiet (or held too long)
//
// A batch is due once no path was touched for `quiet`, or `maxDelay` after its first path
// (so a tree that never stops changing is still synced). Private to ls_watch.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "lightshuttle/core/clock.hpp"

namespace ls::watch::detail {

struct DebounceOptions {
  std::chrono::nanoseconds quiet{std::chrono::milliseconds(25)};
  std::chrono::nanoseconds maxDelay{std::chrono::seconds(2)};
};

struct Batch {
  std::vector<std::filesystem::path> paths;  ///< distinct, sorted
  bool overflow = false;                     ///< events were lost: the roots were walked again
};

class Debouncer {
 public:
  explicit Debouncer(DebounceOptions options) : options_(options) {}

  void touch(const std::filesystem::path& path, Clock::SteadyTime now);
  /// Marks the pending batch as covering lost events (IN_Q_OVERFLOW).
  void overflow(Clock::SteadyTime now);
  bool empty() const { return paths_.empty() && !overflow_; }
  std::size_t pending() const { return paths_.size(); }
  /// When the pending batch is due; SteadyTime::max() when nothing is pending.
  Clock::SteadyTime deadline() const;
  /// The pending batch when it is due at `now` (and starts a new one), else nullopt.
  std::optional<Batch> take(Clock::SteadyTime now);

 private:
  void mark(Clock::SteadyTime now);

  DebounceOptions options_;
  std::set<std::filesystem::path> paths_;
  bool overflow_ = false;
  std::optional<Clock::SteadyTime> first_;
  Clock::SteadyTime last_{};
};

}  // namespace ls::watch::detail
