// `lightshuttle stats [--no-stream] [--format json] [resource…]`: live resource usage of the
// stack's running containers from the engine's stats streams, as `docker stats`: a table redrawn
// in place on a terminal (a new table per tick when piped), or one JSON object per line per
// sample. --no-stream reads two samples of each (CPU % needs a pair) and prints once.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <variant>

#include "cli/commands.hpp"
#include "cli/container_commands.hpp"
#include "cli/container_lookup.hpp"
#include "cli/flags.hpp"
#include "cli/stats_view.hpp"
#include "cli/text_table.hpp"
#include "core/asio_fwd.hpp"
#include "core/async.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

using namespace std::chrono_literals;

struct Row {
  runtime::ManagedContainer container;
  std::optional<runtime::StatsSample> previous;
  std::optional<runtime::StatsSample> current;
  bool ended = false;
  std::optional<Error> error;
};

struct View {
  bool json = false;
  bool noStream = false;
};

void printJson(const Row& row) {
  fmt::print("{}\n", statsJsonLine(row.container.resource, row.container.name, *row.previous,
                                   *row.current));
  std::fflush(stdout);
}

/// Reads samples of one container until its stream ends (it stopped), it fails, or, with
/// --no-stream, two samples are in. JSON lines are printed as samples come (from the second:
/// the first is the CPU baseline).
asio::awaitable<void> sample(runtime::Runtime& rt, Row& row, View view) {
  auto opened = co_await rt.statsStream(row.container.id);
  if (!opened) {
    if (opened.error().code() != Errc::Cancelled) {
      row.error = std::move(opened).error();
    }
    row.ended = true;
    co_return;
  }
  std::unique_ptr<runtime::StatsStream> stream = std::move(opened).value();
  for (;;) {
    Result<std::optional<runtime::StatsSample>> next = co_await stream->next();
    if (!next) {
      if (next.error().code() != Errc::Cancelled) {
        row.error = std::move(next).error();
      }
      break;
    }
    if (!*next) {
      break;
    }
    row.previous = std::move(row.current);
    row.current = std::move(**next);
    if (row.previous && view.json && !view.noStream) {
      printJson(row);
    }
    if (row.previous && view.noStream) {
      break;
    }
  }
  stream->close();
  row.ended = true;
}

std::string table(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> cells;
  for (const Row& r : rows) {
    if (r.current) {
      cells.push_back(statsRow(r.container.resource, r.previous, *r.current));
    }
  }
  return renderTable(statsHeader(), cells);
}

/// Redraws every second; returns at the first tick after every sampler has ended.
asio::awaitable<void> render(std::vector<Row>& rows, detail::TaskGroup& samplers, bool tty) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    asio::steady_timer tick(ex, 1s);
    auto [ec] = co_await tick.async_wait(detail::kUseTuple);
    if (ec) {
      co_return;
    }
    if (samplers.empty()) {
      co_return;
    }
    std::vector<Row> live;
    for (const Row& r : rows) {
      if (!r.ended) {
        live.push_back(r);
      }
    }
    const std::string text = table(live);
    if (tty) {
      fmt::print("\x1b[2J\x1b[H{}", text);  // clear, home: redrawn in place as docker does
    } else {
      fmt::print("{}\n", text);
    }
    std::fflush(stdout);
  }
}

/// Waits for every sampler to end.
asio::awaitable<void> allEnded(detail::TaskGroup& samplers) { (void)co_await samplers.waitEmpty(); }

/// Waits for SIGINT or SIGTERM; the signal number.
asio::awaitable<int> signalled() {
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
  auto [ec, number] = co_await signals.async_wait(detail::kUseTuple);
  co_return ec ? 0 : number;
}

asio::awaitable<Result<int>> collect(runtime::Runtime& rt, std::vector<Row>& rows, View view,
                                     bool tty) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  detail::TaskGroup samplers;
  for (Row& r : rows) {
    samplers.spawn(ex, sample(rt, r, view));
  }
  int received = 0;
  if (view.noStream || view.json) {
    auto outcome = co_await (signalled() || allEnded(samplers));
    if (outcome.index() == 0) {
      received = std::get<0>(outcome);
    }
  } else {
    auto outcome = co_await (signalled() || render(rows, samplers, tty));
    if (outcome.index() == 0) {
      received = std::get<0>(outcome);
    }
  }
  samplers.cancelAll();
  (void)co_await samplers.waitEmpty();
  co_return received;
}

}  // namespace

int runStats(const StatsOptions& options) {
  int exitCode = kExitOk;
  std::optional<RunningSelection> running =
      openRunning(options.project, options.file, options.resources, exitCode);
  if (!running) {
    return exitCode;
  }
  std::vector<Row> rows;
  for (auto& c : running->chosen) {
    rows.push_back(Row{.container = std::move(c)});
  }
  const View view{.json = options.format == "json", .noStream = options.noStream};
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  EngineSession& session = *running->stack.stack.session;
  Result<int> received = runSync(session, collect(*session.runtime, rows, view, tty));
  if (!received) {
    fmt::print(stderr, "error: {}\n", received.error().what());
    return kExitFailure;
  }
  int failures = 0;
  for (const Row& r : rows) {
    if (r.error) {
      ++failures;
      fmt::print(stderr, "error: stats of resource '{}': {}\n", r.container.resource,
                 r.error->what());
    }
  }
  if (*received != 0) {
    return *received == SIGTERM ? kExitTerminated : kExitInterrupted;
  }
  if (view.noStream) {
    if (view.json) {
      for (const Row& r : rows) {
        if (r.previous && r.current) {
          printJson(r);
        }
      }
    } else {
      std::vector<Row> complete;
      for (const Row& r : rows) {
        if (r.current) {
          complete.push_back(r);
        }
      }
      std::fputs(table(complete).c_str(), stdout);
    }
    std::fflush(stdout);
  }
  return failures > 0 ? kExitFailure : kExitOk;
}

void registerStats(Registrar& r) {
  auto o = std::make_shared<StatsOptions>();
  auto* cmd = projectVerb(
      r, "stats", "Live CPU, memory, network and disk use of the stack's containers", o, runStats);
  addResourcesArg(*cmd, o->resources, "Only these resources (default: every running one)");
  cmd->add_flag("--no-stream", o->noStream, "Print one snapshot and exit");
  cmd->add_option("--format", o->format, "table, or json: one object per line per sample")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->footer(
      "Examples:\n"
      "  lightshuttle stats                      # redrawn every second; Ctrl+C ends it\n"
      "  lightshuttle stats --no-stream db\n"
      "  lightshuttle stats --format json | jq .cpu_percent\n"
      "CPU % is of one core (200% = two cores busy), as docker stats. JSON lines carry resource,\n"
      "container, ts, cpu_percent, memory_bytes, memory_limit_bytes, memory_percent,\n"
      "net_rx_bytes, net_tx_bytes, block_read_bytes, block_write_bytes and pids; the first\n"
      "sample of each container is the CPU baseline and is not printed.\n"
      "Exit status: 0 ok (also when the containers stop), 1 an unknown or stopped resource or an\n"
      "engine error, 2 usage, 130 after Ctrl+C, 143 after SIGTERM.\n");
}

}  // namespace ls::cli
