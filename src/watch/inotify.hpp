// Recursive file-system watching on Linux inotify, for the watch mode. No polling: the inotify
// descriptor is read through Asio when the kernel has events.
//
//   LS_ASSIGN_OR_RETURN(auto tree, TreeWatcher::open(ex, {"/src/app"}, wantDir));
//   for (;;) {
//     LS_CO_ASSIGN_OR_RETURN(TreeChanges c, co_await tree->next());   // touched paths
//   }
//
// What it reports is *touched paths*, not a verdict: editors save by writing a temporary file
// and renaming it over the original, or by deleting and re-creating it, so the caller looks at
// the file system once a batch is quiet (present = copy, absent = delete). New directories are
// watched as they appear and everything already inside them is reported; a directory moved or
// deleted is reported as itself. An event-queue overflow (IN_Q_OVERFLOW) re-walks every root
// and says so, so the caller can treat the whole tree as changed.
//
// Private to ls_watch. Threading: one coroutine calls `next` at a time, on the loop thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::watch::detail {

/// One `struct inotify_event` as read from the descriptor.
struct RawEvent {
  int wd = -1;
  std::uint32_t mask = 0;
  std::uint32_t cookie = 0;
  std::string name;  ///< empty for events on the watched directory itself
};

/// Decodes a buffer of inotify events (what one read(2) returns). Pure; a truncated trailing
/// record is dropped, a name is cut at its first NUL. Never reads past `bytes`.
std::vector<RawEvent> decodeEvents(std::string_view bytes);

struct TreeChanges {
  std::vector<std::filesystem::path> touched;  ///< absolute, in arrival order (may repeat)
  bool overflow = false;  ///< the kernel dropped events: every root was walked again
};

class TreeWatcher {
 public:
  /// Whether a directory found under a root is watched (a directory every rule ignores is
  /// not). Roots are always watched.
  using DirFilter = std::function<bool(const std::filesystem::path&)>;

  /// Watches every directory under each root (a root may be a file: its parent directory is
  /// watched and only that name reported). Errors: NotFound (a root does not exist),
  /// PermissionDenied, Unavailable (the inotify limits, with what to raise).
  static Result<std::unique_ptr<TreeWatcher>> open(const boost::asio::any_io_executor& ex,
                                                   std::vector<std::filesystem::path> roots,
                                                   DirFilter wantDir = {});
  ~TreeWatcher();
  TreeWatcher(const TreeWatcher&) = delete;
  TreeWatcher& operator=(const TreeWatcher&) = delete;

  /// The changes of the next read: waits until the kernel has events. Errors: Cancelled,
  /// Internal (the descriptor failed).
  boost::asio::awaitable<Result<TreeChanges>> next();

  /// Directories watched now.
  std::size_t watchCount() const;

  struct Impl;

 private:
  explicit TreeWatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ls::watch::detail
