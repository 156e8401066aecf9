// The supervisor's side of watch mode: one watcher per supervisor, started by `up --watch` or
// by `lightshuttle watch` through the control API (POST /api/v1/watch), stopped by
// POST /api/v1/watch/stop or before the stack is stopped. Private to the CLI.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "lightshuttle/control/server.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/manifest/model.hpp"
#include "lightshuttle/runtime/runtime.hpp"
#include "watch/watch.hpp"

namespace ls::cli {

class SupervisorWatch {
 public:
  /// All references must outlive this object.
  SupervisorWatch(const manifest::Manifest& manifest, lifecycle::LifecycleManager& manager,
                  runtime::Runtime& runtime, Clock& clock);
  ~SupervisorWatch();

  /// Starts watching on `ex` (idempotent: `changed` false when it already watches). Errors:
  /// FailedPrecondition (no watch rules), InvalidArgument (a rule that does not compile).
  Result<control::WatchAnswer> start(const boost::asio::any_io_executor& ex);
  /// Stops watching (the watcher ends on the loop's next turn). Idempotent.
  Result<control::WatchAnswer> stop();
  bool watching() const;
  /// Cancels the watcher and waits until it has ended (before the stack is stopped).
  boost::asio::awaitable<void> shutdown();

 private:
  const manifest::Manifest& manifest_;
  lifecycle::LifecycleManager& manager_;
  runtime::Runtime& runtime_;
  Clock& clock_;
  std::unique_ptr<watch::Actions> actions_;
  std::unique_ptr<watch::Watcher> watcher_;
  /// Watchers stopped but possibly still ending: kept alive until the tasks group is empty.
  std::vector<std::unique_ptr<watch::Watcher>> retired_;
  ls::detail::TaskGroup tasks_;
  std::optional<ls::detail::TaskGroup::Id> running_;
};

}  // namespace ls::cli
