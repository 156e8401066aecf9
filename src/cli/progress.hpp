// The progress view of commands that follow lifecycle events on stderr (`up`, `build`, `pull`):
// a live per-resource view redrawn in place on a terminal, else one line per event, or JSON
// lines (the control API's event objects).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/lifecycle/events.hpp"

namespace ls::cli {

struct ProgressConfig {
  std::string mode = "auto";  ///< auto | tty | plain | json
  std::size_t width = 0;      ///< resource-name column
  bool color = false;
  /// `build`/`pull`: an image ready is the end of a resource's work (shown as done).
  bool imagesOnly = false;
  /// The live view's last line while work is in flight (the elapsed time is appended).
  std::string busyLine = "stack starting";
  /// The live view's last line once the subscription closes while it is still drawn (e.g.
  /// "images ready after 3.1s"); empty: nothing more is drawn.
  std::function<std::string()> finalLine;
};

/// One event as a JSON line: the control API's event object (control/codec.hpp).
std::string eventJson(const lifecycle::LifecycleEvent& e);

/// One event as a plain progress line: "db     resource_healthy", "web    resource_failed: …".
std::string eventLine(std::string_view resource, std::string_view kind, std::string_view message,
                      std::optional<int> exitCode, std::size_t width);

/// Prints the events of `sub` on stderr until it is closed (or the caller is cancelled).
boost::asio::awaitable<void> printProgress(lifecycle::EventSubscription& sub, ProgressConfig config,
                                           std::vector<std::string> names);

}  // namespace ls::cli
