// `lightshuttle run [--rm] [-e K=V] [--no-deps] [-T] [-i] <resource> [-- cmd…]`: a one-off
// container of a resource (its image, environment with secrets resolved as `up` resolves them,
// volumes and the project network), attached to our terminal, exiting with the command's exit
// code. Its dependencies come up first unless --no-deps: with a supervisor running they must be
// ready already; without one, `up -d <dependencies>` boots them and leaves them supervised, while
// the image is pulled or built beside them.
// As in docker compose the container is kept unless --rm.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <random>
#include <thread>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/interactive.hpp"
#include "cli/session.hpp"
#include "cli/stack.hpp"
#include "cli/targets.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

constexpr int kExitCannotRun = 125;      ///< the container could not be created or started
constexpr int kExitNotExecutable = 126;  ///< the command exists but cannot be executed
constexpr int kExitNotFound = 127;       ///< the command does not exist in the image

struct RunOptions {
  std::string file;
  std::string envFile;
  std::string resource;
  std::vector<std::string> command;
  std::vector<std::string> env;  ///< -e KEY=value
  std::string workdir;
  std::string user;
  bool rm = false;
  bool noDeps = false;
  bool noTty = false;        ///< -T
  bool interactive = false;  ///< -i without a TTY: feed our stdin
};

/// The one-off container as a session (the process is the container's main process).
class AttachedContainer final : public runtime::ExecSession {
 public:
  AttachedContainer(engine::Api& api, std::string id, std::unique_ptr<engine::ExecStream> stream,
                    bool tty)
      : api_(api), id_(std::move(id)), stream_(std::move(stream)), tty_(tty) {}
  ~AttachedContainer() override { stream_->close(); }

  asio::awaitable<Result<void>> write(std::string_view bytes) override {
    if (!bytes.empty()) {
      last_ = bytes.back();
    }
    co_return co_await stream_->write(bytes);
  }
  asio::awaitable<Result<void>> closeStdin() override {
    if (tty_) {  // a TTY's end of file, as a user types it (see DockerExecSession)
      const std::string eof = last_ == '\n' || last_ == '\r' ? "\x04" : "\x04\x04";
      co_return co_await stream_->write(eof);
    }
    co_return stream_->closeStdin();
  }
  asio::awaitable<Result<std::optional<runtime::ExecChunk>>> read() override {
    LS_CO_ASSIGN_OR_RETURN(std::optional<engine::LogChunk> chunk, co_await stream_->next());
    if (!chunk) {
      co_return std::optional<runtime::ExecChunk>();
    }
    runtime::ExecChunk out;
    out.stream = chunk->stream == engine::StreamKind::Stderr ? runtime::ExecChunk::Stream::Stderr
                                                             : runtime::ExecChunk::Stream::Stdout;
    out.bytes = std::move(chunk->bytes);
    co_return std::optional<runtime::ExecChunk>(std::move(out));
  }
  asio::awaitable<Result<void>> resize(std::uint16_t height, std::uint16_t width) override {
    co_return co_await api_.resizeContainer(id_, engine::TtySize{.height = height, .width = width});
  }
  asio::awaitable<Result<int>> exitCode() override {
    co_return co_await api_.waitContainer(id_, "not-running", std::chrono::seconds(60));
  }
  void close() override { stream_->close(); }

 private:
  engine::Api& api_;
  std::string id_;
  std::unique_ptr<engine::ExecStream> stream_;
  bool tty_;
  char last_ = '\n';
};

std::string randomSuffix() {
  std::random_device rd;
  return fmt::format("{:06x}", rd() & 0xffffff);
}

/// Dependencies first: ready under the running supervisor, or booted by `up -d`.
int bringUpDependencies(const RunOptions& o, const lifecycle::Plan& plan,
                        const lifecycle::PlanNode& node) {
  auto closure = plan.closureOf({node.name});
  std::vector<std::string> deps;
  for (const auto& n : closure ? *closure : std::vector<std::string>{}) {
    if (n != node.name) {
      deps.push_back(n);
    }
  }
  if (deps.empty()) {
    return kExitOk;
  }
  if (std::optional<SupervisorRecord> sup = findSupervisor(plan.project())) {
    auto views = supervisorList(*sup);
    if (!views) {
      fmt::print(stderr, "error: {}\n", views.error().what());
      return kExitFailure;
    }
    for (const auto& d : deps) {
      for (const auto& v : *views) {
        if (v.view.name == d && v.view.status != lifecycle::ResourceStatus::Running &&
            v.view.status != lifecycle::ResourceStatus::Completed) {
          fmt::print(stderr,
                     "error: '{}' needs '{}', which is {} under the running supervisor: "
                     "`lightshuttle start {}` "
                     "first, or pass --no-deps\n",
                     node.name, d, lifecycle::statusName(v.view.status), d);
          return kExitFailure;
        }
      }
    }
    return kExitOk;
  }
  std::vector<std::string> direct;
  for (const auto& d : node.dependencies) {
    direct.push_back(d.name);
  }
  fmt::print(stderr, "starting the dependencies of {}: {}\n", node.name, listNames(deps));
  UpOptions up;
  up.file = o.file;
  up.envFile = o.envFile;
  up.resources = direct;
  up.detach = true;
  up.progress = "plain";
  return runUp(up);
}

/// The resource's image, present locally: pulled when missing, or built from its Dockerfile.
asio::awaitable<Result<void>> ensureImage(runtime::Runtime& rt,
                                          const runtime::ContainerSpec& spec) {
  if (const auto* pull = std::get_if<runtime::PullImage>(&spec.image)) {
    co_return co_await rt.pullImage(pull->reference, runtime::PullPolicy::Missing, {});
  }
  const auto& build = std::get<runtime::BuildImage>(spec.image);
  Result<void> present = co_await rt.pullImage(build.tag, runtime::PullPolicy::Never, {});
  if (present || present.error().code() != Errc::NotFound) {
    co_return present;
  }
  LS_CO_ASSIGN_OR_RETURN(std::string id, co_await rt.buildImage(build, {}));
  (void)id;
  co_return ok();
}

/// The resource's image prepared while its dependencies boot (a Dockerfile build takes about as
/// long as a database's first start, and the one-off container needs both): on a thread of its
/// own, with its own engine session and loop, joined before the container is created.
/// `cancel()` stops it when a dependency failed; the destructor cancels and joins.
class BackgroundImage {
 public:
  BackgroundImage(std::unique_ptr<EngineSession> session, runtime::ContainerSpec spec)
      : session_(std::move(session)), spec_(std::move(spec)), thread_([this] { run(); }) {}
  BackgroundImage(const BackgroundImage&) = delete;
  BackgroundImage& operator=(const BackgroundImage&) = delete;
  ~BackgroundImage() {
    cancel();
    join();
  }

  /// Thread-safe: the signal is emitted on the preparation's own loop.
  void cancel() {
    asio::post(session_->ctx, [this] { cancel_.emit(asio::cancellation_type::terminal); });
  }

  Result<void> result() {
    join();
    return result_ ? *result_ : Result<void>(Error(Errc::Internal, "image preparation lost"));
  }

 private:
  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  void run() {
    asio::co_spawn(
        session_->ctx, ensureImage(*session_->runtime, spec_),
        asio::bind_cancellation_slot(cancel_.slot(), [this](std::exception_ptr e, Result<void> r) {
          result_.emplace(e ? Result<void>(Error(Errc::Internal, "unexpected exception"))
                            : std::move(r));
        }));
    session_->ctx.run();
  }

  std::unique_ptr<EngineSession> session_;
  runtime::ContainerSpec spec_;
  asio::cancellation_signal cancel_;
  std::optional<Result<void>> result_;
  std::thread thread_;  // last: starts once everything it uses exists
};

/// The engine's answer to a start that failed, as docker's exit codes: 127 when the command
/// does not exist in the image, 126 when it cannot be executed, else 125.
int startFailureCode(const Error& e) {
  if (e.reason() == "command_not_found") {
    return kExitNotFound;
  }
  if (e.reason() == "command_not_executable") {
    return kExitNotExecutable;
  }
  return kExitCannotRun;
}

/// The one-off container: created, attached, started, driven until it exits; removed with --rm.
int runContainer(const RunOptions& o, const lifecycle::Plan& plan, const lifecycle::PlanNode& node,
                 std::optional<Result<void>> preparedImage) {
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  runtime::ContainerSpec spec = node.spec;
  for (const auto& kv : o.env) {
    spec.env[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  }
  engine::ContainerCreate create = runtime::containerCreateFor(spec);
  if (!o.command.empty()) {
    create.cmd = o.command;
  }
  if (!o.workdir.empty()) {
    create.workingDir = o.workdir;
  }
  if (!o.user.empty()) {
    create.user = o.user;
  }
  // Not the resource itself: no published ports, no healthcheck, no DNS alias, and labels that
  // keep `ps` and the supervisor from taking it for the resource (`down` still removes it).
  create.ports.clear();
  create.healthcheck.reset();
  create.networkAliases.clear();
  create.hostname.clear();
  create.labels.erase(runtime::kLabelResource);
  create.labels.erase(runtime::kLabelConfigHash);
  create.labels["lightshuttle.oneoff"] = node.name;
  const bool tty = !o.noTty && ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
  const bool feed = tty || o.interactive;
  create.tty = tty;
  create.openStdin = feed;
  const std::string name = plan.project() + "_" + node.name + "_run_" + randomSuffix();

  EngineSession& s = *session;
  engine::Api api(*s.client);
  if (!preparedImage) {
    preparedImage = runSync(s, ensureImage(*s.runtime, spec));
  }
  if (const Result<void>& img = *preparedImage; !img) {
    fmt::print(stderr, "error: the image of '{}': {}\n", node.name, img.error().what());
    return kExitCannotRun;
  }
  if (auto net = runSync(s, s.runtime->ensureProjectNetwork(plan.project())); !net) {
    fmt::print(stderr, "error: {}\n", net.error().what());
    return kExitCannotRun;
  }
  auto created = runSync(s, api.createContainer(name, create));
  if (!created) {
    fmt::print(stderr, "error: {}\n", created.error().what());
    return kExitCannotRun;
  }
  const std::string id = created->id;
  auto removeIfAsked = [&] {
    if (o.rm) {
      if (auto gone = runSync(s, api.removeContainer(id, /*force=*/true, /*volumes=*/true));
          !gone) {
        fmt::print(stderr, "warning: removing {}: {}\n", name, gone.error().what());
      }
    }
  };
  auto startFailed = [&](const Error& e) {
    fmt::print(stderr, "error: running {} in '{}': {}\n",
               o.command.empty() ? std::string("its command") : "'" + o.command.front() + "'",
               node.name, e.what());
    removeIfAsked();
    return startFailureCode(e);
  };
  auto attached = runSync(s, api.attachContainer(id, feed, tty));
  if (!attached) {
    if (attached.error().code() == Errc::Conflict) {
      // Podman 4.3 prepares the container (the OCI runtime's create) at attach, so a command
      // that cannot run is refused there with 409, where Docker refuses the start. The start
      // of the still created container gives the engine's start answer, read as Docker's
      // (127, 126, 125); one that starts runs without us: stopped, it is the attach's error.
      if (auto started = runSync(s, api.startContainer(id)); !started) {
        return startFailed(started.error());
      }
      (void)runSync(s, api.stopContainer(id, std::chrono::seconds(0)));
    }
    fmt::print(stderr, "error: {}\n", attached.error().what());
    removeIfAsked();
    return kExitCannotRun;
  }
  AttachedContainer process(api, id, std::move(attached).value(), tty);
  if (auto started = runSync(s, api.startContainer(id)); !started) {
    process.close();
    return startFailed(started.error());
  }
  if (tty) {
    if (auto size = terminalRowsCols()) {
      (void)runSync(s, api.resizeContainer(
                           id, engine::TtySize{.height = size->first, .width = size->second}));
    }
  }
  const int code = driveSession(s, process, feed, tty);
  removeIfAsked();
  return code;
}

int runRun(const RunOptions& o) {
  for (const auto& kv : o.env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      fmt::print(stderr, "error: -e: '{}' is not KEY=value\n", kv);
      return kExitUsage;
    }
  }
  int exitCode = kExitOk;
  auto prepared = prepareStack(o.file, o.envFile, exitCode, /*showWarnings=*/false);
  if (!prepared) {
    return reportPrepareFailure(prepared.error(), exitCode);
  }
  const lifecycle::Plan& plan = prepared->plan;
  const lifecycle::PlanNode* node = plan.find(o.resource);
  if (node == nullptr) {
    std::vector<std::string> known;
    for (const auto& n : plan.nodes()) {
      known.push_back(n.name);
    }
    fmt::print(stderr, "error: no resource '{}' in project '{}' (resources: {})\n", o.resource,
               plan.project(), listNames(known));
    return kExitUsage;
  }
  if (o.noDeps || node->dependencies.empty()) {
    return runContainer(o, plan, *node, std::nullopt);
  }
  auto prepSession = openEngine();
  if (!prepSession) {
    return kExitFailure;
  }
  BackgroundImage image(std::move(prepSession), node->spec);
  if (int rc = bringUpDependencies(o, plan, *node); rc != kExitOk) {
    image.cancel();
    return rc;
  }
  return runContainer(o, plan, *node, image.result());
}

}  // namespace

void registerRun(Registrar& r) {
  auto o = std::make_shared<RunOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb("run", "Run a one-off command in a new container of a resource", [o, &g] {
    inherit(o->file, g.file);
    inherit(o->envFile, g.envFile);
    return runRun(*o);
  });
  addResourceArg(*cmd, o->resource, "The resource whose image, environment and volumes it uses")
      ->required();
  cmd->add_option("command", o->command,
                  "The command and its arguments (after --; default: the resource's)");
  addFileFlag(*cmd, o->file);
  addEnvFileFlag(*cmd, o->envFile);
  addProcessFlags(*cmd, o->env, o->workdir, o->user);  // -e over the resource's environment
  cmd->add_flag("--rm", o->rm,
                "Remove the container when the command ends (kept otherwise, as in compose)");
  cmd->add_flag("--no-deps", o->noDeps, "Do not start the resources it depends on");
  cmd->add_flag("-T,--no-tty", o->noTty, "No terminal, even when ours is one");
  cmd->add_flag("-i,--interactive", o->interactive,
                "Feed our stdin to the command without a terminal too");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle run --rm app -- ./migrate          # against the running postgres\n"
      "  lightshuttle run --rm -e DEBUG=1 app -- sh -c 'env | sort'\n"
      "  lightshuttle run --rm -T app -- ./export > dump.csv\n"
      "Dependencies come up first (unless --no-deps): under a running supervisor they must be\n"
      "ready; otherwise `up -d <dependencies>` starts them, supervised, and leaves them running.\n"
      "With our stdin and stdout on a terminal the command gets one (keys, Ctrl+C included, go to\n"
      "it) unless -T. No ports are published. The container is named "
      "<project>_<resource>_run_<id>.\n"
      "Exit status: the command's own; 125 the container could not be started, 126 the command\n"
      "cannot be executed, 127 it does not exist in the image, 1 other failures, 2 usage or\n"
      "unknown resource.\n");
}

}  // namespace ls::cli
