// `lightshuttle exec <resource> -- cmd…`: runs a command in a resource's running container,
// streaming its stdout and stderr to ours and exiting with its exit code. With -i our stdin
// feeds the command; with -t it gets a terminal (ours goes raw while -i -t run on a terminal,
// and follows its size).
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <variant>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/interactive.hpp"
#include "cli/session.hpp"
#include "core/asio_fwd.hpp"
#include "lightshuttle/engine/api.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

asio::awaitable<Result<int>> execIn(engine::Api& api, std::string containerId,
                                    engine::ExecCreate spec) {
  LS_CO_ASSIGN_OR_RETURN(std::string execId, co_await api.createExec(containerId, spec));
  LS_CO_ASSIGN_OR_RETURN(auto out, co_await api.startExec(execId));
  for (;;) {
    LS_CO_ASSIGN_OR_RETURN(std::optional<engine::LogChunk> chunk, co_await out->next());
    if (!chunk) {
      break;
    }
    std::FILE* to = chunk->stream == engine::StreamKind::Stderr ? stderr : stdout;
    std::fwrite(chunk->bytes.data(), 1, chunk->bytes.size(), to);
    std::fflush(to);
  }
  // The engine may still report the exec as running for a moment after its output ended.
  for (int attempt = 0;; ++attempt) {
    auto code = co_await api.execExitCode(execId);
    if (code || code.error().code() != Errc::FailedPrecondition || attempt >= 40) {
      co_return code;
    }
    asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

// ---------------------------------------------------------------------------------------------
// Interactive exec (-i, -t)

constexpr std::size_t kStdinChunk = 32 * 1024;

/// Writes all of `data` to `fd`. Our stdout may share its open file with stdin, which Asio made
/// non-blocking: wait out EAGAIN instead of dropping output.
Result<void> writeFully(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
        (void)::poll(&p, 1, -1);
        continue;
      }
      return Error(Errc::Unavailable, std::string("writing the command's output to ") +
                                          (fd == STDERR_FILENO ? "stderr" : "stdout") + ": " +
                                          std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

/// The size of the terminal on `fd`, when it is one and knows its size.
std::optional<winsize> terminalSize(int fd) {
  winsize ws{};
  if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) {
    return std::nullopt;
  }
  return ws;
}

/// Puts the terminal on `fd` in raw mode (keys, Ctrl+C included, go to the command) and puts
/// it back as it was on destruction: every return path, and the signals we handle (they end
/// the session normally).
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) {
      return;
    }
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) {
      (void)::tcsetattr(fd_, TCSANOW, &saved_);
    }
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

/// Restores the file status flags of `fd` on destruction: Asio sets O_NONBLOCK on our dup of
/// stdin, which shares the open file (and its flags) with the shell's terminal or pipe.
class FdFlagsGuard {
 public:
  explicit FdFlagsGuard(int fd) : fd_(fd), flags_(::fcntl(fd, F_GETFL)) {}
  ~FdFlagsGuard() {
    if (flags_ != -1) {
      (void)::fcntl(fd_, F_SETFL, flags_);
    }
  }
  FdFlagsGuard(const FdFlagsGuard&) = delete;
  FdFlagsGuard& operator=(const FdFlagsGuard&) = delete;

 private:
  int fd_;
  int flags_;
};

struct InteractiveIo {
  bool feedStdin = false;      ///< -i: our stdin goes to the command
  bool blockingStdin = false;  ///< stdin cannot be polled (a regular file, /dev/null): plain reads
  bool tty = false;            ///< -t: the command has a terminal
  int resizeFd = -1;           ///< with -t: the terminal whose size the command's follows
};

/// Whether reads of stdin must be plain blocking reads: epoll refuses regular files and
/// devices such as /dev/null (they never block anyway).
bool stdinNeedsBlockingReads() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0) {
    return true;
  }
  return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode) ||
         (S_ISCHR(st.st_mode) && ::isatty(STDIN_FILENO) == 0);
}

/// Suspends until cancelled (by the `||` that another pump won).
asio::awaitable<void> park() {
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  auto [ec] = co_await forever.async_wait(detail::kUseTuple);
  (void)ec;
}

/// Our output side: the command's stdout and stderr to ours until it exits.
asio::awaitable<Result<void>> pumpOutput(runtime::ExecSession& exec) {
  for (;;) {
    LS_CO_ASSIGN_OR_RETURN(std::optional<runtime::ExecChunk> chunk, co_await exec.read());
    if (!chunk) {
      co_return ok();
    }
    const int fd =
        chunk->stream == runtime::ExecChunk::Stream::Stderr ? STDERR_FILENO : STDOUT_FILENO;
    LS_CO_TRY(writeFully(fd, chunk->bytes));
  }
}

/// Copies our stdin to the command until EOF, then ends its input. A write that fails (the
/// command exited or closed its stdin) ends the copy: the output side says how it ended.
asio::awaitable<Result<void>> feedStdin(runtime::ExecSession& exec, const InteractiveIo& io) {
  std::string buf(kStdinChunk, '\0');
  if (io.blockingStdin) {
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      const std::string_view piece(buf.data(), static_cast<std::size_t>(n));
      Result<void> wrote = co_await exec.write(piece);
      if (!wrote) {
        co_return ok();
      }
    }
  } else {
    const int fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      co_return Error(Errc::Internal,
                      std::string("cannot duplicate stdin: ") + std::strerror(errno));
    }
    asio::posix::stream_descriptor in(co_await asio::this_coro::executor);
    boost::system::error_code assigned;
    in.assign(fd, assigned);
    if (assigned) {
      ::close(fd);
      co_return Error(Errc::Internal, "cannot watch stdin: " + assigned.message());
    }
    for (;;) {
      auto [ec, n] = co_await in.async_read_some(asio::buffer(buf), detail::kUseTuple);
      if (ec == asio::error::operation_aborted) {
        co_return Error(Errc::Cancelled, "reading stdin cancelled");
      }
      if (ec || n == 0) {
        break;  // EOF (or a broken stdin: treated alike)
      }
      const std::string_view piece(buf.data(), n);
      Result<void> wrote = co_await exec.write(piece);
      if (!wrote) {
        co_return ok();
      }
    }
  }
  (void)co_await exec.closeStdin();  // with -t: the terminal's ^D
  co_return ok();
}

asio::awaitable<Result<void>> pumpStdin(runtime::ExecSession& exec, const InteractiveIo& io) {
  if (io.feedStdin) {
    Result<void> fed = co_await feedStdin(exec, io);
    if (!fed) {
      co_return fed;
    }
  }
  co_await park();  // the command's exit, seen on the output side, ends the session
  co_return ok();
}

/// Follows our terminal's size (SIGWINCH) with the command's.
asio::awaitable<Result<void>> pumpResizes(runtime::ExecSession& exec, const InteractiveIo& io) {
  if (!io.tty || io.resizeFd < 0) {
    co_await park();
    co_return ok();
  }
  asio::signal_set winch(co_await asio::this_coro::executor, SIGWINCH);
  for (;;) {
    auto [ec, sig] = co_await winch.async_wait(detail::kUseTuple);
    (void)sig;
    if (ec) {
      co_return ok();  // cancelled: the session is over
    }
    if (auto ws = terminalSize(io.resizeFd)) {
      (void)co_await exec.resize(ws->ws_row, ws->ws_col);  // fails only once the command exited
    }
  }
}

/// The first SIGINT, SIGTERM, SIGHUP or SIGQUIT (in raw mode Ctrl+C is a key for the command).
asio::awaitable<Result<int>> waitForSignal() {
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGQUIT);
  auto [ec, sig] = co_await signals.async_wait(detail::kUseTuple);
  if (ec) {
    co_return Error(Errc::Cancelled, "signal wait cancelled");
  }
  co_return sig;
}

/// How an interactive session ended: the output ended (the command exited), or a signal.
struct SessionEnd {
  std::optional<int> signal;
};

asio::awaitable<Result<SessionEnd>> pumpSession(runtime::ExecSession& exec, InteractiveIo io) {
  using namespace asio::experimental::awaitable_operators;
  auto output = pumpOutput(exec);
  auto input = pumpStdin(exec, io);
  auto resizes = pumpResizes(exec, io);
  auto signals = waitForSignal();
  auto first =
      co_await (std::move(output) || std::move(input) || std::move(resizes) || std::move(signals));
  switch (first.index()) {
    case 0: {
      LS_CO_TRY(std::get<0>(first));
      co_return SessionEnd{};
    }
    case 1: LS_CO_TRY(std::get<1>(first)); break;
    case 2: LS_CO_TRY(std::get<2>(first)); break;
    default: {
      LS_CO_ASSIGN_OR_RETURN(int sig, std::get<3>(std::move(first)));
      SessionEnd end;
      end.signal = sig;
      co_return end;
    }
  }
  co_return Error(Errc::Internal, "the exec session ended without its output ending");
}

InteractiveIo interactiveIo(bool feedStdin, bool tty) {
  InteractiveIo io;
  io.feedStdin = feedStdin;
  io.blockingStdin = feedStdin && stdinNeedsBlockingReads();
  io.tty = tty;
  if (tty) {
    io.resizeFd = ::isatty(STDIN_FILENO) == 1 ? STDIN_FILENO
                                              : (::isatty(STDOUT_FILENO) == 1 ? STDOUT_FILENO : -1);
  }
  return io;
}

int execInteractive(EngineSession& session, const runtime::ContainerId& id,
                    const ExecOptions& options) {
  runtime::InteractiveExecRequest request;
  request.cmd = options.command;
  request.env = options.env;
  request.workingDir = options.workdir;
  request.user = options.user;
  request.tty = options.tty;
  request.attachStdin = options.interactive;
  if (auto ws = terminalSize(interactiveIo(false, options.tty).resizeFd)) {
    request.height = ws->ws_row;
    request.width = ws->ws_col;
  }
  auto opened = runSync(session, session.runtime->execInteractive(id, request));
  if (!opened) {
    fmt::print(stderr, "error: {}\n", opened.error().what());
    return kExitFailure;
  }
  std::unique_ptr<runtime::ExecSession> exec = std::move(opened).value();
  return driveSession(session, *exec, options.interactive, options.tty);
}

}  // namespace

int driveSession(EngineSession& session, runtime::ExecSession& exec, bool feedStdin, bool tty) {
  const InteractiveIo io = interactiveIo(feedStdin, tty);
  std::fflush(stdout);
  std::fflush(stderr);
  Result<SessionEnd> ended = SessionEnd{};
  {
    FdFlagsGuard stdinFlags(STDIN_FILENO);
    // Raw only when the keys go to the command (docker does the same): with -t alone, Ctrl+C
    // stays ours and detaches.
    std::optional<RawTerminal> raw;
    if (tty && feedStdin && ::isatty(STDIN_FILENO) == 1) {
      raw.emplace(STDIN_FILENO);
    }
    ended = runSync(session, pumpSession(exec, io));
  }  // terminal and stdin flags restored here, before anything else is printed
  if (!ended) {
    exec.close();
    fmt::print(stderr, "error: {}\n", ended.error().what());
    return kExitFailure;
  }
  if (ended->signal) {
    exec.close();  // detach; the command may keep running in the container
    return 128 + *ended->signal;
  }
  auto code = runSync(session, exec.exitCode());
  exec.close();
  if (!code) {
    fmt::print(stderr, "error: {}\n", code.error().what());
    return kExitFailure;
  }
  return *code;
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> terminalRowsCols() {
  if (auto ws = terminalSize(interactiveIo(false, true).resizeFd)) {
    return std::pair<std::uint16_t, std::uint16_t>(ws->ws_row, ws->ws_col);
  }
  return std::nullopt;
}

int runExec(const ExecOptions& options) {
  int exitCode = kExitOk;
  std::optional<ProjectContainers> found = openProject(options.project, options.file, exitCode);
  if (!found) {
    return exitCode;
  }
  EngineSession* session = found->session.get();
  const runtime::ManagedContainer* target = nullptr;
  for (const auto& c : found->containers) {
    if (c.resource == options.resource) {
      target = &c;
    }
  }
  if (target == nullptr || target->status.state == runtime::ContainerState::Stopped ||
      target->status.state == runtime::ContainerState::Starting) {
    fmt::print(stderr,
               "error: resource '{}' of project '{}' is not running (see `lightshuttle ps -a`)\n",
               options.resource, found->project);
    return kExitFailure;
  }
  if (options.interactive || options.tty) {
    return execInteractive(*session, target->id, options);
  }
  engine::Api api(*session->client);
  engine::ExecCreate spec;
  spec.cmd = options.command;
  spec.env = options.env;
  spec.workingDir = options.workdir;
  spec.user = options.user;
  auto code = runSync(*session, execIn(api, target->id.value, spec));
  if (!code) {
    fmt::print(stderr, "error: {}\n", code.error().what());
    return kExitFailure;
  }
  return *code;
}

void addProcessFlags(CLI::App& cmd, std::vector<std::string>& env, std::string& workdir,
                     std::string& user) {
  cmd.add_option("-e,--env", env, "Set an environment variable (KEY=value)")
      ->allow_extra_args(false);
  cmd.add_option("-w,--workdir", workdir, "Working directory inside the container");
  cmd.add_option("-u,--user", user, "User to run as");
}

void registerExec(Registrar& r) {
  auto o = std::make_shared<ExecOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb("exec", "Run a command in a resource's running container", [o, &g] {
    inherit(o->file, g.file);
    inherit(o->project, g.project);
    return runExec(*o);
  });
  addResourceArg(*cmd, o->resource, "The resource")->required();
  cmd->add_option("command", o->command, "The command and its arguments (after --)")->required();
  addFileFlag(*cmd, o->file, kProjectFileHelp, /*shortF=*/false);
  addProjectFlag(*cmd, o->project);
  addProcessFlags(*cmd, o->env, o->workdir, o->user);
  cmd->add_flag("-i,--interactive", o->interactive, "Feed our stdin to the command");
  cmd->add_flag("-t,--tty", o->tty, "Allocate a terminal for the command");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle exec db -- psql -U app -c 'select 1'\n"
      "  lightshuttle exec cache -- redis-cli -a \"$PASSWORD\" ping\n"
      "  lightshuttle exec -it db -- psql -U app\n"
      "  lightshuttle exec -i db -- psql -U app < dump.sql\n"
      "With -i -t on a terminal, keys (Ctrl+C included) go to the command and the terminal size\n"
      "follows ours. Exit status: the command's own, or 1 when it could not be run.\n");
}

}  // namespace ls::cli
