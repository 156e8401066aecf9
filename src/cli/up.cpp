// `lightshuttle up`: boot the stack in dependency order, supervise it, and on Ctrl+C tear it all
// down. Attached: progress, then every resource's logs prefixed `name | `. Detached (`-d`): a
// supervisor process keeps running in the background (recorded in .lightshuttle/) and this
// command returns once the stack is ready.
#include <fcntl.h>
#include <fmt/color.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <cstring>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/progress.hpp"
#include "cli/session.hpp"
#include "cli/stack.hpp"
#include "cli/watch.hpp"
#include "core/asio_fwd.hpp"
#include "core/async.hpp"
#include "lightshuttle/control/codec.hpp"
#include "lightshuttle/control/server.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/manifest/env_file.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

using namespace std::chrono_literals;

bool isTty(int fd) { return ::isatty(fd) == 1; }

bool useColor(const UpOptions& o, int fd) {
  return !o.noColor && std::getenv("NO_COLOR") == nullptr && isTty(fd);
}

constexpr fmt::terminal_color kPalette[] = {
    fmt::terminal_color::cyan,          fmt::terminal_color::yellow,
    fmt::terminal_color::green,         fmt::terminal_color::magenta,
    fmt::terminal_color::blue,          fmt::terminal_color::bright_cyan,
    fmt::terminal_color::bright_yellow, fmt::terminal_color::bright_green,
};

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Follows one resource's logs, printing `name | line` on stdout.
asio::awaitable<void> followLogs(lifecycle::LifecycleManager& mgr, std::string name,
                                 std::size_t width, std::optional<fmt::terminal_color> color,
                                 std::chrono::system_clock::time_point since) {
  runtime::LogOptions lo;
  lo.follow = true;
  lo.since = since;
  auto stream = co_await mgr.logs(name, lo);
  if (!stream) {
    co_return;
  }
  const std::string prefix = fmt::format("{:<{}} | ", name, width);
  for (;;) {
    auto chunk = co_await (*stream)->next();
    if (!chunk || !*chunk) {
      co_return;
    }
    std::string text = std::move((*chunk)->bytes);
    if (!text.empty() && text.back() != '\n') {
      text.push_back('\n');
    }
    if (color) {
      fmt::print(fg(*color), "{}", prefix);
      fmt::print("{}", text);
    } else {
      fmt::print("{}{}", prefix, text);
    }
    std::fflush(stdout);
  }
}

enum class Stop { None, Interrupt, Terminate, Control };

/// Like compose: 130 after SIGINT, 143 after SIGTERM; 0 when `down` asked.
int stopExitCode(Stop why) {
  switch (why) {
    case Stop::Interrupt: return kExitInterrupted;
    case Stop::Terminate: return kExitTerminated;
    default: return kExitOk;
  }
}

void writeLine(int fd, const std::string& line) {
  const std::string out = line + "\n";
  (void)!::write(fd, out.data(), out.size());  // the reader may be gone: EPIPE is fine
}

/// A detached supervisor's boot progress, sent to the waiting `up -d` as "event <json>" lines.
asio::awaitable<void> forwardEvents(lifecycle::EventSubscription& sub, int fd) {
  for (;;) {
    auto ev = co_await sub.next();
    if (!ev) {
      co_return;
    }
    writeLine(fd, "event " + eventJson(*ev));
  }
}

/// Sends what is still queued, then stops the forwarding (before "ready"/"failed" is written).
void flushForwarded(lifecycle::EventSubscription* sub, int fd) {
  if (sub == nullptr) {
    return;
  }
  for (const auto& ev : sub->drain()) {
    writeLine(fd, "event " + eventJson(ev));
  }
  sub->close();
}

struct UpState {
  Stop why = Stop::None;  // what asked first to stop: SIGINT, SIGTERM, or the control socket
  int signals = 0;        // stop requests so far
  bool booted = false;
  asio::cancellation_signal cancelBoot;
  std::unique_ptr<asio::steady_timer> stopRequested;
  bool killing = false;  // a forced stop (second signal) is in flight
  std::unique_ptr<asio::steady_timer> killDone;
  std::function<void(Stop)> requestStop;
  /// The progress printer, the event forwarder and the log followers: all cancelled and
  /// awaited before upMain returns, so none outlives the manager.
  ls::detail::TaskGroup tasks;
};

/// Where the control server listens, for upMain.
struct ControlPlan {
  std::filesystem::path socket;
  std::uint16_t port = 0;
  const SupervisorLock* lock = nullptr;
  std::string manifest;
  std::string log;
  Clock* clock = nullptr;
  SupervisorWatch* watch = nullptr;
};

asio::awaitable<int> upBody(lifecycle::LifecycleManager& mgr, const UpOptions& o, UpState& st,
                            int readyFd, std::size_t width, SupervisorWatch& watch);

/// Opens the control API, runs the stack, and closes the API (every connection ended) before
/// the manager goes. A port that is taken fails before anything starts.
asio::awaitable<int> upMain(lifecycle::LifecycleManager& mgr, const UpOptions& o, UpState& st,
                            int readyFd, std::size_t width, ControlPlan cp) {
  control::ServerOptions so;
  so.unixSocket = cp.socket;
  so.tcpPort = cp.port;
  so.version = LS_VERSION;
  so.supervisorPid = ::getpid();
  auto exec = co_await asio::this_coro::executor;
  SupervisorWatch* watch = cp.watch;
  so.watch = [watch, exec](bool start) -> Result<control::WatchAnswer> {
    if (start) {
      return watch->start(exec);
    }
    return watch->stop();
  };
  auto server = co_await control::Server::open(mgr, *cp.clock, std::move(so),
                                               [&st] { st.requestStop(Stop::Control); });
  if (!server) {
    const std::string msg = server.error().what();
    fmt::print(stderr, "error: {}\n", msg);
    if (readyFd >= 0) {
      writeLine(readyFd, "failed: " + msg);
    }
    co_return kExitFailure;
  }
  if (auto rec = cp.lock->record(cp.manifest, cp.log, (*server)->url()); !rec) {
    fmt::print(stderr, "warning: {}\n", rec.error().what());
  }
  // The login URL carries the token: shown on the terminal only, never in a log.
  if (readyFd >= 0) {
    writeLine(readyFd, "dashboard " + (*server)->loginUrl());
  } else {
    fmt::print(stderr, "dashboard: {}\n", (*server)->loginUrl());
  }
  const int code = co_await upBody(mgr, o, st, readyFd, width, *watch);
  co_await watch->shutdown();
  co_await (*server)->shutdown();
  co_return code;
}

asio::awaitable<void> endTasks(ls::detail::TaskGroup& tasks) {
  tasks.cancelAll();
  co_await asio::this_coro::reset_cancellation_state();
  while (!tasks.empty()) {
    (void)co_await tasks.waitEmpty();
  }
}

asio::awaitable<int> upBody(lifecycle::LifecycleManager& mgr, const UpOptions& o, UpState& st,
                            int readyFd, std::size_t width, SupervisorWatch& watch) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto wallStart = std::chrono::system_clock::now();
  auto ex = co_await asio::this_coro::executor;
  st.stopRequested =
      std::make_unique<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
  st.killDone = std::make_unique<asio::steady_timer>(ex, asio::steady_timer::time_point::max());

  auto sub = mgr.subscribe();
  std::vector<std::string> names;
  for (const auto& node : mgr.plan().nodes()) {
    names.push_back(node.name);
  }
  st.tasks.spawn(ex, printProgress(*sub,
                                   ProgressConfig{.mode = o.progress,
                                                  .width = width,
                                                  .color = useColor(o, STDERR_FILENO)},
                                   std::move(names)));
  lifecycle::EventSubscriptionPtr forwarded;
  if (readyFd >= 0) {
    forwarded = mgr.subscribe();
    st.tasks.spawn(ex, forwardEvents(*forwarded, readyFd));
  }

  if (st.why != Stop::None) {
    sub->close();
    co_await endTasks(st.tasks);
    co_return stopExitCode(st.why);  // stopped before anything started
  }
  std::vector<std::string> selection = o.resources;
  auto booting = mgr.start(std::move(selection));
  auto booted = co_await asio::co_spawn(
      ex, std::move(booting),
      asio::bind_cancellation_slot(st.cancelBoot.slot(), asio::use_awaitable));
  if (!booted) {
    const std::string msg = booted.error().what();
    fmt::print(stderr, "error: {}\n", msg);
    if (readyFd >= 0) {
      flushForwarded(forwarded.get(), readyFd);
      writeLine(readyFd, "failed: " + msg);
    }
    // The manager rolled back already (so no stop() is needed; calling it is a tested no-op,
    // LifecycleCancelTest.StopAfterACancelledOrFailedBootIsAHarmlessNoOp, clean under ASan);
    // if a second Ctrl+C took the shutdown over meanwhile, wait for that kill to finish.
    if (st.killing) {
      auto [ec] = co_await st.killDone->async_wait(ls::detail::kUseTuple);
      (void)ec;
    }
    sub->close();
    co_await endTasks(st.tasks);
    co_return st.why == Stop::None ? kExitFailure : stopExitCode(st.why);
  }
  st.booted = true;
  const bool liveView = o.progress == "tty" || (o.progress == "auto" && isTty(STDERR_FILENO));
  if (!liveView) {  // the live view shows it in place; a line here would be drawn over
    fmt::print(stderr, "stack '{}' ready in {:.2f}s\n", mgr.plan().project(), secondsSince(t0));
  }
  const std::vector<std::string> endpoints = endpointLines(mgr.list());
  if (readyFd >= 0) {
    flushForwarded(forwarded.get(), readyFd);
    for (const auto& line : endpoints) {
      writeLine(readyFd, "endpoint " + line);
    }
    writeLine(readyFd, "ready");
    ::close(readyFd);
  }
  if (readyFd < 0) {
    for (const auto& line : endpoints) {
      fmt::print(stderr, "{}\n", line);
    }
  }
  if (!o.detach && st.why == Stop::None) {
    std::size_t i = 0;
    const bool color = useColor(o, STDOUT_FILENO);
    for (const auto& node : mgr.plan().nodes()) {
      std::optional<fmt::terminal_color> c;
      if (color) {
        c = kPalette[i % std::size(kPalette)];
      }
      ++i;
      st.tasks.spawn(ex, followLogs(mgr, node.name, width, c, wallStart));
    }
  }
  if (o.watch && st.why == Stop::None) {
    // The stack runs without watching when the rules cannot start (said once, on stderr).
    if (Result<control::WatchAnswer> w = watch.start(ex); !w) {
      fmt::print(stderr, "error: --watch: {}\n", w.error().what());
    }
  }
  if (st.why == Stop::None) {
    auto [ec] = co_await st.stopRequested->async_wait(ls::detail::kUseTuple);
    (void)ec;
  }
  co_await watch.shutdown();  // no sync or rebuild races the teardown
  fmt::print(stderr, "stopping stack '{}'{}\n", mgr.plan().project(),
             st.signals > 1 ? " (forced)" : "");
  auto stopped = st.signals > 1 ? co_await mgr.kill() : co_await mgr.stop();
  sub->close();
  co_await endTasks(st.tasks);
  if (!stopped) {
    fmt::print(stderr, "error: {}\n", stopped.error().what());
    co_return kExitFailure;
  }
  co_return stopExitCode(st.why);
}

int runAttached(const UpOptions& o, int readyFd) {
  int exitCode = kExitOk;
  auto prepared = prepareStack(o.file, o.envFile, exitCode);
  if (!prepared) {
    if (prepared.error().reason() != kManifestInvalidReason) {
      fmt::print(stderr, "error: {}\n", prepared.error().what());
    }
    if (readyFd >= 0) {
      const std::string line = "failed: " + prepared.error().what() + "\n";
      (void)!::write(readyFd, line.data(), line.size());
    }
    return exitCode == kExitOk ? kExitFailure : exitCode;
  }
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  // One supervisor per project: held until the teardown is over (declared before the manager,
  // so released after it), found by `ps`, `restart` and `down` through the project alone.
  auto lock = SupervisorLock::acquire(prepared->plan.project());
  if (!lock) {
    fmt::print(stderr, "error: {}\n", lock.error().what());
    if (readyFd >= 0) {
      const std::string line = "failed: " + lock.error().what() + "\n";
      (void)!::write(readyFd, line.data(), line.size());
    }
    return kExitFailure;
  }
  const std::filesystem::path stateDir = prepared->manifest.directory / ".lightshuttle";
  ControlPlan cp;
  cp.socket = lock->socketPath();
  cp.port = o.dashboardPort ? *o.dashboardPort : prepared->manifest.dashboardPort.value_or(0);
  cp.lock = &*lock;
  cp.manifest = prepared->manifest.file;
  cp.log = readyFd >= 0 ? (stateDir / "supervisor.log").string() : std::string();
  cp.clock = session->clock.get();
  if (auto rec = lock->record(cp.manifest, cp.log); !rec) {
    fmt::print(stderr, "warning: {}\n", rec.error().what());
  }
  SystemRng rng;
  lifecycle::Options lo;
  lo.startTimeout = o.timeout;
  lo.keepOnFailure = o.keepOnFailure;
  std::size_t width = 5;
  for (const auto& n : prepared->plan.nodes()) {
    width = std::max(width, n.name.size());
  }
  lifecycle::LifecycleManager mgr(*session->runtime, *session->clock, rng,
                                  std::move(prepared->plan), lo);
  SupervisorWatch watch(prepared->manifest, mgr, *session->runtime, *session->clock);
  cp.watch = &watch;

  UpState st;
  asio::signal_set signals(session->ctx, SIGINT, SIGTERM);
  // A stop request: SIGINT/SIGTERM, or `down` through the control socket. The first stops
  // gracefully (cancelling a boot in flight); a second one kills everything at once.
  st.requestStop = [&](Stop why) {
    ++st.signals;
    st.why = st.signals == 1 ? why : st.why;
    if (st.signals == 1) {
      if (why != Stop::Control) {
        fmt::print(stderr, "\ngracefully stopping... (press Ctrl+C again to force)\n");
      }
      if (!st.booted) {
        st.cancelBoot.emit(asio::cancellation_type::terminal);
      }
      if (st.stopRequested) {
        st.stopRequested->cancel();
      }
    } else if (!st.killing) {
      // Everything at once, no grace; upMain waits for it before returning.
      st.killing = true;
      asio::co_spawn(session->ctx, mgr.kill(), [&st](std::exception_ptr, Result<void>) {
        st.killing = false;
        if (st.killDone) {
          st.killDone->cancel();
        }
      });
    }
  };
  std::function<void(const boost::system::error_code&, int)> onSignal;
  onSignal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    st.requestStop(sig == SIGINT ? Stop::Interrupt : Stop::Terminate);
    signals.async_wait(onSignal);
  };
  signals.async_wait(onSignal);
  int result = kExitFailure;
  asio::co_spawn(session->ctx, upMain(mgr, o, st, readyFd, width, cp),
                 [&](std::exception_ptr e, int code) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       fmt::print(stderr, "internal error: {}\n", ex.what());
                     }
                     result = kExitFailure;
                   } else {
                     result = code;
                   }
                   signals.cancel();
                   session->ctx.stop();
                 });
  session->ctx.run();
  return result;
}

int runDetached(const UpOptions& o) {
  // Find the manifest first (no threads exist yet, so forking is safe).
  int exitCode = kExitOk;
  std::optional<manifest::ParseReport> report = loadManifestForCommand(o.file, exitCode);
  if (!report || !report->manifest || !report->ok()) {
    return exitCode == kExitOk ? kExitUsage : exitCode;
  }
  if (auto sup = findSupervisor(report->manifest->project.name)) {
    fmt::print(stderr,
               "error: project '{}' is already up: its supervisor runs (pid {}, {}); use "
               "`lightshuttle ps`, or `lightshuttle down` first\n",
               sup->project, sup->pid, sup->manifest);
    return kExitFailure;
  }
  const std::filesystem::path stateDir = report->manifest->directory / ".lightshuttle";
  std::error_code ec;
  std::filesystem::create_directories(stateDir, ec);
  ::chmod(stateDir.c_str(), 0700);
  const std::filesystem::path logPath = stateDir / "supervisor.log";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    fmt::print(stderr, "error: cannot create a pipe: {}\n", std::strerror(errno));
    return kExitFailure;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    fmt::print(stderr, "error: cannot start the supervisor: {}\n", std::strerror(errno));
    return kExitFailure;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setsid();
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
    }
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    UpOptions child = o;
    child.file = report->manifest->file;
    child.noColor = true;
    std::_Exit(runAttached(child, fds[1]));
  }
  ::close(fds[1]);
  // Ctrl+C while waiting must reach the supervisor (it is in its own session): forward it as
  // SIGTERM, which makes it roll back, and keep reading until it is done.
  static volatile sig_atomic_t interrupted = 0;
  struct sigaction sa {};
  sa.sa_handler = [](int) { interrupted = 1; };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: read() returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  bool forwarded = false;
  std::string reply;    // the final line: "ready" or "failed: …"
  std::string pending;  // bytes of an incomplete line
  std::size_t width = 5;
  for (const auto& r : report->manifest->resources) {
    width = std::max(width, r.name.size());
  }
  // The supervisor's boot progress, shown like `--progress plain` (or passed on as JSON).
  std::string loginUrl;
  std::vector<std::string> endpoints;
  auto onLine = [&](const std::string& line) {
    if (line.rfind("dashboard ", 0) == 0) {
      loginUrl = line.substr(10);
      return;
    }
    if (line.rfind("endpoint ", 0) == 0) {
      endpoints.push_back(line.substr(9));
      return;
    }
    if (line.rfind("event ", 0) != 0) {
      reply = line;
      return;
    }
    if (o.progress == "json") {
      fmt::print(stderr, "{}\n", line.substr(6));
      return;
    }
    auto ev = control::decodeEvent(line.substr(6));
    if (!ev) {
      return;
    }
    fmt::print(stderr, "{}\n",
               eventLine(ev->resource, lifecycle::eventKindName(ev->kind), ev->message,
                         ev->exitCode, width));
  };
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      pending.append(buf, static_cast<std::size_t>(n));
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        onLine(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      if (interrupted != 0 && !forwarded) {
        forwarded = true;
        fmt::print(stderr, "\nstopping the boot...\n");
        ::kill(pid, SIGTERM);
      }
      continue;
    }
    break;
  }
  ::close(fds[0]);
  if (forwarded) {
    return kExitInterrupted;
  }
  if (reply.rfind("ready", 0) == 0) {
    fmt::print(stderr,
               "stack '{}' is up; supervisor pid {} (log: {}); `lightshuttle down` stops it\n",
               report->manifest->project.name, pid, logPath.string());
    if (!loginUrl.empty()) {
      fmt::print(stderr, "dashboard: {}\n", loginUrl);
    }
    for (const auto& line : endpoints) {
      fmt::print(stderr, "{}\n", line);
    }
    return kExitOk;
  }
  if (reply.rfind("failed: ", 0) == 0) {
    fmt::print(stderr, "error: {}\n", reply.substr(8));
  } else {
    fmt::print(stderr, "error: the supervisor stopped before the stack was ready; see {}\n",
               logPath.string());
  }
  return kExitFailure;
}

}  // namespace

int runUp(const UpOptions& options) {
  if (options.detach) {
    return runDetached(options);
  }
  return runAttached(options, -1);
}

void registerUp(Registrar& r) {
  struct Flags {
    UpOptions up;
    std::string timeout;
    std::string progress;
    bool wait = false;
  };
  auto f = std::make_shared<Flags>();
  const GlobalOptions& g = r.global();
  auto* cmd =
      r.verb("up", "Boot the stack in dependency order, supervise it, and tear it down on Ctrl+C",
             [f, &g] {
               UpOptions& o = f->up;
               if (!durationFlag("--timeout", f->timeout, o.timeout)) {
                 return static_cast<int>(kExitUsage);
               }
               inherit(o.file, g.file);
               inherit(o.envFile, g.envFile);
               inherit(f->progress, g.progress);
               if (!f->progress.empty()) {
                 o.progress = f->progress;
               }
               o.noColor = o.noColor || g.noColor;
               o.detach = o.detach || f->wait;
               return runUp(o);
             });
  UpOptions& o = f->up;
  addResourcesArg(*cmd, o.resources, "Only these resources (and what they depend on)");
  addFileFlag(*cmd, o.file);
  addEnvFileFlag(*cmd, o.envFile);
  cmd->add_flag(
      "-d,--detach", o.detach,
      "Return once every resource is ready; a supervisor keeps running in the background");
  cmd->add_flag("--wait", f->wait, "Same as --detach: wait until ready, then return");
  cmd->add_option("--timeout", f->timeout,
                  "Start timeout per resource (default: from its healthcheck, at least 30s)");
  cmd->add_flag("--no-color", o.noColor, "No colours (NO_COLOR is honoured too)");
  cmd->add_flag("--keep-on-failure", o.keepOnFailure,
                "Leave started resources running when the boot fails (for debugging)");
  cmd->add_option("--dashboard-port", o.dashboardPort,
                  "TCP port of the control API and dashboard on 127.0.0.1 (default: the manifest's "
                  "dashboard.port, else a free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--progress", f->progress,
                  "Progress on stderr: auto (live view on a terminal), tty, plain, json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));
  cmd->add_flag(
      "--watch", o.watch,
      "Once ready, sync / restart / rebuild on file changes per the manifest's watch: rules");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle up                      # attached: progress, then logs; Ctrl+C stops all\n"
      "  lightshuttle up -d                   # return when ready; `lightshuttle down` stops it\n"
      "  lightshuttle up web --timeout 2m     # web and what it depends on\n"
      "  lightshuttle up --progress json 2> events.jsonl\n"
      "  lightshuttle up -d --dashboard-port 4800\n"
      "  lightshuttle up --watch              # and apply the watch: rules on every save\n"
      "A second Ctrl+C kills everything at once. The dashboard's login URL is printed once the\n"
      "control API listens (`lightshuttle dashboard` prints it again).\n"
      "Exit status: 0 ok, 1 boot failed, 2 invalid manifest, 130 after Ctrl+C, 143 after "
      "SIGTERM.\n");
}

}  // namespace ls::cli
