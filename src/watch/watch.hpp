// Watch mode: file changes under the manifest's `watch:` rules become sync, restart and
// rebuild actions on the running stack (`lightshuttle up --watch`, `lightshuttle watch`).
//
//   auto actions = watch::stackActions(manager, runtime);
//   LS_ASSIGN_OR_RETURN(auto watcher, watch::Watcher::create(manifest, *actions, clock));
//   co_await watcher->run();             // until cancelled; every action is a lifecycle event
//
// The watcher reads inotify (no polling), gathers touched paths until the tree is quiet for
// `quiet` (at most `maxDelay` after the first), then looks at each path once: present = copy,
// absent = delete, which makes rename-saves and delete+create saves one change. Per batch and
// per resource it runs the strongest action a rule asked for: a rebuild (the new image is
// built while the old container serves, then only that resource is recreated; a failed build
// leaves the old container running), else a sync (one tar through the archive API, deletions
// in one exec) followed by an in-place restart when a rule asks for one.
//
// Threading: everything runs on the loop thread of the lifecycle manager.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/events.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/manifest/model.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::watch {

/// A container path to copy to, and the host file (or directory, or link) it comes from.
struct Copy {
  std::string source;  ///< absolute host path
  std::string target;  ///< absolute container path
};

/// What the watcher does to the stack; `stackActions` is the real one, tests pass fakes.
class Actions {
 public:
  virtual ~Actions() = default;
  /// Copies `copies` into `resource`'s running container (one archive) after removing
  /// `deletions` (one exec). Returns the entries written.
  virtual boost::asio::awaitable<Result<std::size_t>> sync(
      const std::string& resource, const std::vector<Copy>& copies,
      const std::vector<std::string>& deletions) = 0;
  /// Restarts `resource`'s container in place and waits until it is ready.
  virtual boost::asio::awaitable<Result<void>> restart(const std::string& resource) = 0;
  /// Builds `resource`'s image again (the old container keeps running); returns its id.
  virtual boost::asio::awaitable<Result<std::string>> build(const std::string& resource) = 0;
  /// Recreates `resource` from `image` and waits until it is ready.
  virtual boost::asio::awaitable<Result<void>> recreate(const std::string& resource,
                                                        const std::string& image) = 0;
  /// Publishes a watch event (lifecycle bus).
  virtual void publish(lifecycle::LifecycleEvent event) = 0;
};

/// Builds the image of a plan node (a dockerfile resource) and returns the image id. The seam
/// for the lifecycle's own "prepare this resource's image" once it exists; the default calls
/// Runtime::buildImage with the node's BuildImage.
using ImageBuilder =
    std::function<boost::asio::awaitable<Result<std::string>>(const lifecycle::PlanNode&)>;

/// The actions on a real stack: the manager for restarts, recreates and events; the runtime
/// for the archive, the exec and (by default) the build.
std::unique_ptr<Actions> stackActions(lifecycle::LifecycleManager& manager,
                                      runtime::Runtime& runtime, ImageBuilder build = {});

struct WatchOptions {
  /// A batch is flushed once nothing changed for this long...
  std::chrono::nanoseconds quiet{std::chrono::milliseconds(25)};
  /// ... or this long after its first change, whichever comes first.
  std::chrono::nanoseconds maxDelay{std::chrono::seconds(2)};
};

/// Counters for tests and the bench.
struct WatchStats {
  std::size_t batches = 0;
  std::size_t watchedDirectories = 0;
};

class Watcher {
 public:
  /// Compiles the manifest's rules. Errors: FailedPrecondition (no resource has watch rules),
  /// InvalidArgument (a rule that does not compile, naming the resource).
  static Result<std::unique_ptr<Watcher>> create(const manifest::Manifest& manifest,
                                                 Actions& actions, Clock& clock,
                                                 WatchOptions options = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  /// Watches until cancelled (then ok), publishing watch_started first and watch_stopped last.
  /// Errors: NotFound (a watched path does not exist), Unavailable (inotify limits).
  boost::asio::awaitable<Result<void>> run();

  /// Resources with rules, in manifest order.
  std::vector<std::string> resources() const;
  WatchStats stats() const;

  struct Impl;

 private:
  explicit Watcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// "18 ms" below a second, else "4.2 s".
std::string formatTook(std::chrono::nanoseconds d);

}  // namespace ls::watch
