// `lightshuttle logs`: the project's logs, found by label, prefixed `name | ` and interleaved in
// the order they arrive (following with -f).
#include <fmt/color.h>
#include <fmt/core.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <ctime>

#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "engine/timestamp.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

constexpr fmt::terminal_color kPalette[] = {
    fmt::terminal_color::cyan,    fmt::terminal_color::yellow, fmt::terminal_color::green,
    fmt::terminal_color::magenta, fmt::terminal_color::blue,   fmt::terminal_color::bright_cyan,
};

asio::awaitable<Result<void>> follow(runtime::Runtime& rt, runtime::ContainerId id, std::string prefix,
                                     runtime::LogOptions opts, bool timestamps,
                                     std::optional<fmt::terminal_color> color) {
  LS_CO_ASSIGN_OR_RETURN(auto stream, co_await rt.logs(id, opts));
  for (;;) {
    LS_CO_ASSIGN_OR_RETURN(std::optional<runtime::LogChunk> chunk, co_await stream->next());
    if (!chunk) {
      co_return ok();
    }
    std::string text = std::move(chunk->bytes);
    if (!text.empty() && text.back() != '\n') {
      text.push_back('\n');
    }
    std::string ts;
    if (timestamps) {
      ts = engine::formatRfc3339Nano(std::chrono::time_point_cast<std::chrono::nanoseconds>(chunk->timestamp)) + " ";
    }
    if (color) {
      fmt::print(fg(*color), "{}", prefix);
      fmt::print("{}{}", ts, text);
    } else {
      fmt::print("{}{}{}", prefix, ts, text);
    }
    std::fflush(stdout);
  }
}

}  // namespace

int runLogs(const LogsOptions& options) {
  int exitCode = kExitOk;
  std::optional<ProjectContainers> found = openProject(options.project, options.file, exitCode);
  if (!found) {
    return exitCode;
  }
  const std::string& project = found->project;
  EngineSession* session = found->session.get();
  const std::vector<runtime::ManagedContainer>* listed = &found->containers;
  std::vector<runtime::ManagedContainer> chosen;
  for (const auto& name : options.resources) {
    bool found = false;
    for (const auto& c : *listed) {
      found = found || c.resource == name;
    }
    if (!found) {
      fmt::print(stderr, "error: no container for resource '{}' in project '{}' (see `lightshuttle ps -a`)\n",
                 name, project);
      return kExitFailure;
    }
  }
  for (const auto& c : *listed) {
    if (options.resources.empty() ||
        std::find(options.resources.begin(), options.resources.end(), c.resource) != options.resources.end()) {
      chosen.push_back(c);
    }
  }
  if (chosen.empty()) {
    fmt::print(stderr, "no containers for project '{}'\n", project);
    return kExitOk;
  }
  std::size_t width = 0;
  for (const auto& c : chosen) {
    width = std::max(width, c.resource.size());
  }
  const bool color = !options.noColor && std::getenv("NO_COLOR") == nullptr && ::isatty(STDOUT_FILENO) == 1;
  runtime::LogOptions lo;
  lo.follow = options.follow;
  lo.tail = options.tail;
  lo.since = options.since;
  int failures = 0;
  std::size_t pending = chosen.size();
  asio::signal_set signals(session->ctx, SIGINT, SIGTERM);
  std::size_t i = 0;
  for (const auto& c : chosen) {
    std::optional<fmt::terminal_color> col;
    if (color) {
      col = kPalette[i % std::size(kPalette)];
    }
    ++i;
    const std::string prefix =
        options.noPrefix ? std::string() : fmt::format("{:<{}} | ", c.resource, width);
    asio::co_spawn(session->ctx, follow(*session->runtime, c.id, prefix, lo, options.timestamps, col),
                   [&failures, &pending, &signals, name = c.resource](std::exception_ptr e,
                                                                       Result<void> r) {
                     if (e || !r) {
                       ++failures;
                       fmt::print(stderr, "error: logs of '{}': {}\n", name,
                                  e ? "unexpected exception" : r.error().what());
                     }
                     if (--pending == 0) {
                       signals.cancel();  // every stream ended: stop waiting for Ctrl+C
                     }
                   });
  }
  bool interrupted = false;
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      interrupted = true;
      session->ctx.stop();
    }
  });
  session->ctx.restart();
  session->ctx.run();
  if (interrupted) {
    return kExitInterrupted;
  }
  return failures > 0 ? kExitFailure : kExitOk;
}

}  // namespace ls::cli
