// The progress view shared by `up`, `build` and `pull` (progress.hpp).
#include "cli/progress.hpp"

#include <fmt/color.h>
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "lightshuttle/control/codec.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// A resource's row in the live status view.
struct StatusRow {
  std::string name;
  std::string state = "waiting";
  std::string detail;
  bool bad = false;
  bool good = false;
};

/// The live view's text: one line per resource (and the stack), each ending in "\x1b[K" so a
/// redraw over a longer previous line leaves nothing behind.
std::string renderStatus(const std::vector<StatusRow>& rows, const std::string& stackLine,
                         std::size_t width, bool color) {
  std::string out;
  for (const auto& r : rows) {
    const char* mark = r.bad ? "x" : (r.good ? "+" : "-");
    std::string line = fmt::format(" {} {:<{}}  {}", mark, r.name, width, r.state);
    if (!r.detail.empty()) {
      line += "  " + r.detail;
    }
    if (color && (r.bad || r.good)) {
      out += fmt::format(fg(r.bad ? fmt::terminal_color::red : fmt::terminal_color::green), "{}",
                         line);
    } else {
      out += line;
    }
    out += "\x1b[K\n";
  }
  out += stackLine + "\x1b[K\n";
  return out;
}

void applyEvent(std::vector<StatusRow>& rows, const lifecycle::LifecycleEvent& e,
                std::chrono::steady_clock::time_point t0, bool imagesOnly) {
  using K = lifecycle::LifecycleEvent::Kind;
  for (auto& r : rows) {
    if (r.name != e.resource) {
      continue;
    }
    const std::string at = fmt::format("{:.1f}s", secondsSince(t0));
    switch (e.kind) {
      case K::ResourceStarting:
        r.state = "starting";
        r.detail.clear();
        break;
      case K::ImagePreparing:
        r.state = "preparing image";
        r.detail = e.message.substr(0, 60);
        break;
      case K::ResourceProgress:
        r.state = "preparing image";
        r.detail = e.message.substr(0, 60);
        break;
      case K::ImageReady:
        r.state = imagesOnly ? "ready" : "image ready";
        r.detail = e.message.substr(0, 60);
        r.good = imagesOnly;
        break;
      case K::ImageFailed:
        r.state = "image failed";
        r.detail = e.message;
        r.bad = true;
        break;
      case K::ResourceStarted:
        r.state = "started";
        r.detail = at;
        break;
      case K::ResourceHealthy:
        r.state = "ready";
        r.detail = at;
        r.good = true;
        break;
      case K::ResourceCompleted:
        r.state = "completed";
        r.detail = at;
        r.good = true;
        break;
      case K::ResourceUnhealthy:
        r.state = "unhealthy";
        r.bad = true;
        break;
      case K::ResourceExited:
        r.state = e.exitCode ? fmt::format("exited ({})", *e.exitCode) : "exited";
        r.bad = true;
        break;
      case K::ResourceRestarting:
        r.state = "restarting";
        r.bad = false;
        r.good = false;
        break;
      case K::ResourceFailed:
        r.state = "failed";
        r.detail = e.message;
        r.bad = true;
        r.good = false;
        break;
      case K::ResourceStopped: r.state = "stopped"; break;
      case K::ResourceAdopted:
        r.state = "adopted (still running)";
        r.detail = at;
        r.good = true;
        break;
      default: break;
    }
  }
}

}  // namespace

std::string eventJson(const lifecycle::LifecycleEvent& e) { return control::encodeEvent(e); }

std::string eventLine(std::string_view resource, std::string_view kind, std::string_view message,
                      std::optional<int> exitCode, std::size_t width) {
  std::string line = fmt::format(
      "{:<{}}  {}", resource.empty() ? std::string_view("stack") : resource, width, kind);
  if (exitCode) {
    line += fmt::format(" (exit code {})", *exitCode);
  }
  if (!message.empty()) {
    line += fmt::format(": {}", message);
  }
  return line;
}

asio::awaitable<void> printProgress(lifecycle::EventSubscription& sub, ProgressConfig config,
                                    std::vector<std::string> names) {
  const std::string& mode = config.mode;
  const std::size_t width = config.width;
  const bool color = config.color;
  const bool live = mode == "tty" || (mode == "auto" && ::isatty(STDERR_FILENO) == 1);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<StatusRow> rows;
  for (auto& n : names) {
    rows.push_back(StatusRow{.name = std::move(n)});
  }
  bool drawing = live;
  std::size_t drawn = 0;
  auto redraw = [&](const std::string& stackLine) {
    std::string text;
    if (drawn > 0) {
      text += fmt::format("\x1b[{}A", drawn);  // back to the top of the view
    }
    text += renderStatus(rows, stackLine, width, color);
    drawn = rows.size() + 1;
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  };
  if (drawing) {
    redraw(" " + config.busyLine);
  }
  for (;;) {
    auto ev = co_await sub.next();
    if (!ev) {
      if (drawing && config.finalLine) {
        redraw(config.finalLine());
      }
      co_return;
    }
    const lifecycle::LifecycleEvent& e = *ev;
    if (mode == "json") {
      fmt::print(stderr, "{}\n", eventJson(e));
      continue;
    }
    if (drawing) {
      applyEvent(rows, e, t0, config.imagesOnly);
      using K = lifecycle::LifecycleEvent::Kind;
      if (e.kind == K::StackReady || e.kind == K::StackFailed || e.kind == K::StackStopping) {
        redraw(fmt::format(" stack {} after {:.1f}s", e.kind == K::StackReady ? "ready" : "failed",
                           secondsSince(t0)));
        drawing = false;  // from here on: plain lines, interleaved with logs
      } else {
        redraw(fmt::format(" {} ({:.1f}s)", config.busyLine, secondsSince(t0)));
      }
      continue;
    }
    if (e.kind >= lifecycle::LifecycleEvent::Kind::WatchStarted &&
        e.kind <= lifecycle::LifecycleEvent::Kind::WatchStopped) {
      // Watch mode's lines: "web    synced 3 files in 18 ms".
      const bool failed = e.kind == lifecycle::LifecycleEvent::Kind::WatchFailed;
      const std::string watchLine =
          fmt::format("{:<{}}  {}", e.resource.empty() ? "watch" : e.resource, width, e.message);
      if (color && failed) {
        fmt::print(stderr, fg(fmt::terminal_color::red), "{}\n", watchLine);
      } else {
        fmt::print(stderr, "{}\n", watchLine);
      }
      continue;
    }
    const std::string line =
        eventLine(e.resource, lifecycle::eventKindName(e.kind), e.message, e.exitCode, width);
    const bool bad = e.kind == lifecycle::LifecycleEvent::Kind::ResourceFailed ||
                     e.kind == lifecycle::LifecycleEvent::Kind::StackFailed;
    if (color && bad) {
      fmt::print(stderr, fg(fmt::terminal_color::red), "{}\n", line);
    } else {
      fmt::print(stderr, "{}\n", line);
    }
  }
}

}  // namespace ls::cli
