// DockerRuntime's exec: the bounded exec (output captured, a timeout) and the interactive session.
#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <variant>

#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "runtime/docker/docker_impl.hpp"

namespace ls::runtime {

namespace {

using namespace std::chrono_literals;

/// An interactive exec over the engine's hijacked connection.
/// POST /exec/{id}/resize once the exec's process runs. Docker sizes an exec that is starting;
/// podman 4.3 answers 500 ("exec session state improper") until its process runs, which
/// under load is later than the hijacked start returns. So a server error or a conflict is
/// asked again for a while (20 ms, 40 ms, ... at most 100 ms apart, 2 s in all); NotFound means
/// the exec finished (nothing left to size).
asio::awaitable<Result<void>> resizeExecWhenRunning(engine::Api& api, Clock& clock,
                                                    const std::string& execId,
                                                    engine::TtySize size) {
  const auto deadline = clock.steady() + 2s;
  std::chrono::milliseconds delay = 20ms;
  for (;;) {
    Result<void> resized = co_await api.resizeExec(execId, size);
    if (resized || resized.error().code() == Errc::NotFound) {
      co_return ok();
    }
    const Errc code = resized.error().code();
    const bool notRunningYet =
        code == Errc::Conflict || (code == Errc::Internal && resized.error().engine().has_value());
    if (!notRunningYet || clock.steady() + delay > deadline) {
      co_return resized;
    }
    LS_CO_TRY(co_await clock.sleepFor(delay));
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
}

class DockerExecSession final : public ExecSession {
 public:
  DockerExecSession(engine::Api& api, Clock& clock, std::string containerId, std::string execId,
                    std::unique_ptr<engine::ExecStream> stream, bool tty, bool stdinAttached)
      : api_(api),
        clock_(clock),
        containerId_(std::move(containerId)),
        execId_(std::move(execId)),
        stream_(std::move(stream)),
        tty_(tty),
        stdinOpen_(stdinAttached),
        stdinAttached_(stdinAttached) {}

  ~DockerExecSession() override { stream_->close(); }

  asio::awaitable<Result<void>> write(std::string_view bytes) override {
    if (!stdinOpen_) {
      co_return Error(Errc::FailedPrecondition, std::string("writing to an exec in container ") +
                                                    q(containerId_) + ": stdin is " +
                                                    (stdinAttached_ ? "closed" : "not attached"));
    }
    if (!bytes.empty()) {
      lastWritten_ = bytes.back();
    }
    auto r = co_await stream_->write(bytes);
    if (!r) {
      co_return std::move(r).error().context("writing to an exec in container " + q(containerId_));
    }
    co_return ok();
  }

  asio::awaitable<Result<void>> closeStdin() override {
    if (!stdinOpen_) {
      co_return ok();
    }
    stdinOpen_ = false;
    if (tty_) {
      // Docker ends a TTY exec's whole session (output included) when its stdin closes, and
      // the process never learns: type the terminal's end-of-file instead, twice after a
      // partial line (the first ^D only hands that line over).
      const std::string eof = lastWritten_ == '\n' || lastWritten_ == '\r' ? "\x04" : "\x04\x04";
      auto r = co_await stream_->write(eof);
      if (!r) {
        co_return std::move(r).error().context("closing the stdin of an exec in container " +
                                               q(containerId_));
      }
      co_return ok();
    }
    co_return stream_->closeStdin();
  }

  asio::awaitable<Result<std::optional<ExecChunk>>> read() override {
    Result<std::optional<engine::LogChunk>> chunk = co_await stream_->next();
    if (!chunk) {
      co_return std::move(chunk).error().context("reading the output of an exec in container " +
                                                 q(containerId_));
    }
    if (!chunk->has_value()) {
      co_return std::optional<ExecChunk>();
    }
    ExecChunk out;
    out.stream = (*chunk)->stream == engine::StreamKind::Stderr ? ExecChunk::Stream::Stderr
                                                                : ExecChunk::Stream::Stdout;
    out.bytes = std::move((*chunk)->bytes);
    co_return std::optional<ExecChunk>(std::move(out));
  }

  asio::awaitable<Result<void>> resize(std::uint16_t height, std::uint16_t width) override {
    if (!tty_) {
      co_return Error(Errc::FailedPrecondition,
                      "resizing an exec in container " + q(containerId_) + ": it has no TTY");
    }
    engine::TtySize size{.height = height, .width = width};
    co_return co_await resizeExecWhenRunning(api_, clock_, execId_, size);
  }

  asio::awaitable<Result<int>> exitCode() override {
    // The stream ends when the process exits; the engine may record the exit code a moment later.
    for (int attempt = 0;; ++attempt) {
      Result<int> code = co_await api_.execExitCode(execId_);
      if (code || code.error().code() != Errc::FailedPrecondition || attempt >= 100) {
        co_return code;
      }
      LS_CO_TRY(co_await clock_.sleepFor(20ms));
    }
  }

  void close() override { stream_->close(); }

 private:
  engine::Api& api_;
  Clock& clock_;
  std::string containerId_;
  std::string execId_;
  std::unique_ptr<engine::ExecStream> stream_;
  bool tty_;
  bool stdinOpen_;
  bool stdinAttached_;
  char lastWritten_ = '\n';
};

}  // namespace

// create -> start attached -> read every chunk -> exit code. Errors never echo the command.
asio::awaitable<Result<ExecResult>> DockerRuntime::Impl::execUnbounded(const std::string& id,
                                                                       const ExecRequest& request) {
  LS_CO_ASSIGN_OR_RETURN(engine::ExecCreate create, execCreateFor(id, request));
  LS_CO_ASSIGN_OR_RETURN(std::string execId, co_await createExec(id, create));
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<engine::LogStream> output, co_await api.startExec(execId));
  ExecResult out;
  for (;;) {
    Result<std::optional<engine::LogChunk>> chunk = co_await output->next();
    if (!chunk) {
      output->close();
      co_return std::move(chunk).error().context("reading the output of an exec in container " +
                                                 q(id));
    }
    if (!chunk->has_value()) {
      break;
    }
    const engine::LogChunk& c = **chunk;
    std::string* target =
        c.stream == engine::StreamKind::Stderr ? &out.stderrText : &out.stdoutText;
    if (target->size() < kExecOutputCap) {
      target->append(c.bytes, 0, std::min(c.bytes.size(), kExecOutputCap - target->size()));
    }
  }
  output->close();
  // The stream ends when the process exits; the engine may record the exit code a moment later.
  for (int attempt = 0;; ++attempt) {
    Result<int> code = co_await api.execExitCode(execId);
    if (code) {
      out.exitCode = *code;
      co_return out;
    }
    if (code.error().code() != Errc::FailedPrecondition || attempt >= 50) {
      co_return std::move(code).error();
    }
    LS_CO_TRY(co_await clock.sleepFor(10ms));
  }
}

asio::awaitable<Result<ExecResult>> DockerRuntime::exec(const ContainerId& id,
                                                        const ExecRequest& request) {
  using namespace asio::experimental::awaitable_operators;
  auto& d = *impl_;
  if (auto valid = execCreateFor(id.value, request); !valid) {
    co_return std::move(valid).error();
  }
  if (request.timeout <= std::chrono::nanoseconds::zero()) {
    co_return co_await d.execUnbounded(id.value, request);
  }
  auto work = d.execUnbounded(id.value, request);
  auto timer = d.clock.sleepFor(request.timeout);
  std::variant<Result<ExecResult>, Result<void>> first =
      co_await (std::move(work) || std::move(timer));
  if (first.index() == 0) {
    co_return std::get<0>(std::move(first));
  }
  Result<void> slept = std::get<1>(std::move(first));
  if (!slept) {
    co_return std::move(slept).error();  // cancelled
  }
  co_return Error(Errc::Timeout, "exec in container " + q(id.value) + " did not finish within " +
                                     formatDuration(request.timeout));
}

asio::awaitable<Result<std::unique_ptr<ExecSession>>> DockerRuntime::execInteractive(
    const ContainerId& id, const InteractiveExecRequest& request) {
  auto& d = *impl_;
  LS_CO_ASSIGN_OR_RETURN(engine::ExecCreate create, execCreateFor(id.value, request));
  create.privileged = request.privileged;
  create.attachStdin = request.attachStdin;
  create.attachStdout = request.attachStdout;
  create.attachStderr = request.attachStderr;
  create.tty = request.tty;
  const bool sized = request.tty && request.height > 0 && request.width > 0;
  if (sized) {
    create.consoleSize = engine::TtySize{.height = request.height, .width = request.width};
  }
  LS_CO_ASSIGN_OR_RETURN(std::string execId, co_await d.createExec(id.value, create));
  engine::ExecStart start;
  start.tty = request.tty;
  start.consoleSize = create.consoleSize;
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<engine::ExecStream> stream,
                         co_await d.api.startExecAttached(execId, start));
  if (sized && engine::compareApiVersions(d.client.apiVersion(), "1.42") < 0) {
    // No ConsoleSize before API 1.42: size the terminal as soon as the process runs (the engine
    // waits for the start itself; retry briefly like the docker CLI). Best effort: a process
    // that already exited cannot be resized and that is no reason to fail the session.
    Result<void> resized =
        co_await resizeExecWhenRunning(d.api, d.clock, execId, *create.consoleSize);
    if (!resized && resized.error().code() == Errc::Cancelled) {
      co_return std::move(resized).error();
    }
  }
  co_return std::unique_ptr<ExecSession>(
      std::make_unique<DockerExecSession>(d.api, d.clock, id.value, std::move(execId),
                                          std::move(stream), request.tty, request.attachStdin));
}

}  // namespace ls::runtime
