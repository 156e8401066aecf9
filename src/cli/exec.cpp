// `lightshuttle exec <resource> -- cmd…`: runs a command in a resource's running container,
// streaming its stdout and stderr to ours and exiting with its exit code.
#include <fmt/core.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "lightshuttle/engine/api.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

asio::awaitable<Result<int>> execIn(engine::Api& api, std::string containerId, engine::ExecCreate spec) {
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

}  // namespace

int runExec(const ExecOptions& options) {
  if (options.interactive || options.tty) {
    fmt::print(stderr,
               "error: interactive exec (-i/-t) is not supported yet; run the command without -it, "
               "or use `docker exec -it <project>_{} …`\n",
               options.resource);
    return kExitUsage;
  }
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
    fmt::print(stderr, "error: resource '{}' of project '{}' is not running (see `lightshuttle ps -a`)\n",
               options.resource, found->project);
    return kExitFailure;
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

}  // namespace ls::cli
