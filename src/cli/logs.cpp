// `lightshuttle logs`: the project's logs, found by label, prefixed `name | ` and interleaved in
// the order they arrive (following with -f).
#include <fmt/color.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "engine/timestamp.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

constexpr fmt::terminal_color kPalette[] = {
    fmt::terminal_color::cyan,    fmt::terminal_color::yellow, fmt::terminal_color::green,
    fmt::terminal_color::magenta, fmt::terminal_color::blue,   fmt::terminal_color::bright_cyan,
};

asio::awaitable<Result<void>> follow(runtime::Runtime& rt, runtime::ContainerId id,
                                     std::string prefix, runtime::LogOptions opts, bool timestamps,
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
      ts = engine::formatRfc3339Nano(
               std::chrono::time_point_cast<std::chrono::nanoseconds>(chunk->timestamp)) +
           " ";
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
      fmt::print(
          stderr,
          "error: no container for resource '{}' in project '{}' (see `lightshuttle ps -a`)\n",
          name, project);
      return kExitFailure;
    }
  }
  for (const auto& c : *listed) {
    if (options.resources.empty() || std::find(options.resources.begin(), options.resources.end(),
                                               c.resource) != options.resources.end()) {
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
  const bool color =
      !options.noColor && std::getenv("NO_COLOR") == nullptr && ::isatty(STDOUT_FILENO) == 1;
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
    asio::co_spawn(
        session->ctx, follow(*session->runtime, c.id, prefix, lo, options.timestamps, col),
        [&failures, &pending, &signals, name = c.resource](std::exception_ptr e, Result<void> r) {
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

void registerLogs(Registrar& r) {
  struct Flags {
    LogsOptions logs;
    std::string tail;
    std::string since;
  };
  auto f = std::make_shared<Flags>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb("logs", "Show the project's logs, prefixed with the resource name", [f, &g] {
    LogsOptions& o = f->logs;
    if (!f->tail.empty()) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(f->tail.c_str(), &end, 10);
      if (end == f->tail.c_str() || *end != '\0') {
        std::fprintf(stderr, "error: --tail: '%s' is not a line count\n", f->tail.c_str());
        return static_cast<int>(kExitUsage);
      }
      o.tail = n;
    }
    if (!f->since.empty()) {
      if (auto d = manifest::parseDuration(f->since)) {
        o.since = std::chrono::system_clock::now() -
                  std::chrono::duration_cast<std::chrono::system_clock::duration>(*d);
      } else if (auto t = engine::parseRfc3339(f->since)) {
        o.since = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t);
      } else {
        std::fprintf(stderr,
                     "error: --since: '%s' is neither a duration (10m) nor an RFC 3339 time\n",
                     f->since.c_str());
        return static_cast<int>(kExitUsage);
      }
    }
    inherit(o.file, g.file);
    inherit(o.project, g.project);
    o.noColor = o.noColor || g.noColor;
    return runLogs(o);
  });
  LogsOptions& o = f->logs;
  addResourcesArg(*cmd, o.resources, "Only these resources");
  addFileFlag(*cmd, o.file, kProjectFileHelp, /*shortF=*/false);
  addProjectFlag(*cmd, o.project);
  cmd->add_flag("-f,--follow", o.follow, "Keep following new output");
  cmd->add_option("-n,--tail", f->tail, "Only the last N lines of each resource");
  cmd->add_option("--since", f->since,
                  "Only output newer than this: a duration (10m) or RFC 3339 time");
  cmd->add_flag("-t,--timestamps", o.timestamps, "Prefix each line with its time");
  cmd->add_flag("--no-color", o.noColor, "No colours");
  cmd->add_flag("--no-log-prefix", o.noPrefix, "Do not prefix lines with the resource name");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle logs\n"
      "  lightshuttle logs -f --tail 20 web\n"
      "  lightshuttle logs --since 5m -t db\n"
      "  lightshuttle -f other.yml logs -f   # -f before the verb is the manifest\n"
      "Note: after the verb -f means --follow (as in docker compose); name a manifest with "
      "--file.\n");
}

}  // namespace ls::cli
