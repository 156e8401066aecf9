// `lightshuttle watch`: asks the supervisor of a running stack to watch the manifest's `watch:`
// rules (POST /api/v1/watch) and prints its watch events until Ctrl+C, then stops the watching
// it started. The watcher itself runs in the supervisor (so syncs, restarts and rebuilds go
// through the lifecycle that owns the containers); `up --watch` starts the same watcher.
// Also the supervisor's side: SupervisorWatch (cli/watch.hpp).
#include "cli/watch.hpp"

#include <fmt/core.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/control/client.hpp"
#include "lightshuttle/control/codec.hpp"

namespace asio = boost::asio;

namespace ls::cli {

// --- the supervisor's watcher ------------------------------------------------------------------

SupervisorWatch::SupervisorWatch(const manifest::Manifest& manifest,
                                 lifecycle::LifecycleManager& manager, runtime::Runtime& runtime,
                                 Clock& clock)
    : manifest_(manifest), manager_(manager), runtime_(runtime), clock_(clock) {}

SupervisorWatch::~SupervisorWatch() = default;

bool SupervisorWatch::watching() const { return running_ && tasks_.contains(*running_); }

Result<control::WatchAnswer> SupervisorWatch::start(const asio::any_io_executor& ex) {
  if (watching()) {
    std::string who;
    for (const std::string& r : watcher_->resources()) {
      who += (who.empty() ? "" : ", ") + r;
    }
    return control::WatchAnswer{.changed = false, .message = "already watching " + who};
  }
  if (!actions_) {
    actions_ = watch::stackActions(manager_, runtime_);
  }
  LS_ASSIGN_OR_RETURN(auto created, watch::Watcher::create(manifest_, *actions_, clock_));
  if (watcher_) {
    retired_.push_back(std::move(watcher_));  // its task may still be ending
  }
  watcher_ = std::move(created);
  watch::Watcher* w = watcher_.get();
  running_ = tasks_.spawn(ex, [](watch::Watcher* w) -> asio::awaitable<void> {
    Result<void> r = co_await w->run();
    (void)r;  // reported as watch_stopped by the watcher itself
  }(w));
  std::string who;
  for (const std::string& r : w->resources()) {
    who += (who.empty() ? "" : ", ") + r;
  }
  return control::WatchAnswer{.changed = true, .message = "watching " + who};
}

Result<control::WatchAnswer> SupervisorWatch::stop() {
  if (!watching()) {
    return control::WatchAnswer{.changed = false, .message = "not watching"};
  }
  tasks_.cancel(*running_);
  running_.reset();
  return control::WatchAnswer{.changed = true, .message = "watching stops"};
}

asio::awaitable<void> SupervisorWatch::shutdown() {
  tasks_.cancelAll();
  co_await asio::this_coro::reset_cancellation_state();
  while (!tasks_.empty()) {
    (void)co_await tasks_.waitEmpty();
  }
  running_.reset();
}

// --- `lightshuttle watch` ----------------------------------------------------------------------

namespace {

namespace json = boost::json;

bool isWatchEvent(lifecycle::LifecycleEvent::Kind k) {
  using K = lifecycle::LifecycleEvent::Kind;
  return k == K::WatchStarted || k == K::WatchSynced || k == K::WatchRestarted ||
         k == K::WatchRebuilding || k == K::WatchRebuilt || k == K::WatchFailed ||
         k == K::WatchStopped;
}

Result<control::WatchAnswer> answerOf(const control::HttpResponse& res) {
  if (res.status != 200) {
    return Error(res.status == 409 ? Errc::FailedPrecondition : Errc::Unavailable,
                 control::errorText(res));
  }
  boost::system::error_code ec;
  json::value doc = json::parse(res.body, ec);
  if (ec || !doc.is_object()) {
    return Error(Errc::Internal, "the supervisor sent an unreadable answer");
  }
  control::WatchAnswer a;
  const json::object& o = doc.as_object();
  if (const auto* c = o.if_contains("changed"); c != nullptr && c->is_bool()) {
    a.changed = c->as_bool();
  }
  if (const auto* m = o.if_contains("message"); m != nullptr && m->is_string()) {
    a.message = std::string(m->as_string());
  }
  return a;
}

struct WatchRun {
  bool interrupted = false;
  bool started = false;  // we started the watching (so we stop it)
};

asio::awaitable<Result<void>> follow(control::Client client, std::size_t width, bool json,
                                     WatchRun& run) {
  auto socket = co_await client.webSocket("/api/v1/events/ws", kSupervisorTimeout);
  if (!socket) {
    co_return std::move(socket).error();
  }
  auto& ws = **socket;
  auto snapshot = co_await ws.read(kSupervisorTimeout);
  if (!snapshot || !*snapshot) {
    co_return Error(Errc::Unavailable, "the supervisor closed its events socket");
  }
  Result<control::HttpResponse> posted =
      co_await client.request("POST", "/api/v1/watch", {}, kSupervisorTimeout);
  if (!posted) {
    co_await ws.close();
    co_return std::move(posted).error();
  }
  Result<control::WatchAnswer> answer = answerOf(*posted);
  if (!answer) {
    co_await ws.close();
    co_return std::move(answer).error();
  }
  run.started = answer->changed;
  fmt::print(stderr, "{} (Ctrl+C to stop)\n", answer->message);
  for (;;) {
    auto msg = co_await ws.read(std::chrono::hours(24 * 365));
    if (!msg) {
      co_await ws.close();
      if (msg.error().code() == Errc::Cancelled) {
        co_return ok();
      }
      co_return std::move(msg).error();
    }
    if (!*msg) {
      co_return Error(Errc::Unavailable,
                      "the supervisor closed its events socket (did the stack stop?)");
    }
    auto m = control::decodeEventMessage(**msg);
    if (!m || m->type != control::EventMessage::Type::Event || !m->event) {
      continue;
    }
    const lifecycle::LifecycleEvent& e = *m->event;
    using K = lifecycle::LifecycleEvent::Kind;
    if (json) {
      fmt::print("{}\n", control::encodeEvent(e));
    } else if (isWatchEvent(e.kind)) {
      fmt::print("{:<{}}  {}\n", e.resource.empty() ? "watch" : e.resource, width, e.message);
    } else if (e.kind == K::ResourceFailed || e.kind == K::StackStopping) {
      fmt::print("{:<{}}  {}{}\n", e.resource.empty() ? "stack" : e.resource, width,
                 lifecycle::eventKindName(e.kind), e.message.empty() ? "" : ": " + e.message);
    }
    std::fflush(stdout);
    if (e.kind == K::StackStopping) {
      co_await ws.close();
      co_return ok();
    }
  }
}

}  // namespace

int runWatch(const WatchCommandOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::ParseReport> report = loadManifestForCommand(options.file, exitCode);
  if (!report || !report->manifest || !report->ok()) {
    return exitCode == kExitOk ? kExitUsage : exitCode;
  }
  const manifest::Manifest& m = *report->manifest;
  bool anyRules = false;
  std::size_t width = 5;
  for (const auto& r : m.resources) {
    anyRules = anyRules || !r.watch.empty();
    width = std::max(width, r.name.size());
  }
  if (!anyRules) {
    fmt::print(stderr,
               "error: no resource of {} has watch rules; add `watch:` to a container or "
               "dockerfile resource (docs/manifest.md, Watch rules)\n",
               m.file);
    return kExitUsage;
  }
  std::optional<SupervisorRecord> sup = findSupervisor(m.project.name);
  if (!sup) {
    fmt::print(stderr,
               "error: project '{}' is not up under a supervisor; start it with `lightshuttle up "
               "--watch` (or `up -d`, then `lightshuttle watch`)\n",
               m.project.name);
    return kExitFailure;
  }
  const control::Client client = control::Client::unixSocket(sup->socket);
  asio::io_context ctx;
  WatchRun run;
  std::optional<Result<void>> out;
  asio::co_spawn(
      ctx, follow(client, width, options.json, run), [&](std::exception_ptr e, Result<void> r) {
        if (e) {
          out.emplace(Error(Errc::Internal, "unexpected exception following the supervisor"));
        } else {
          out.emplace(std::move(r));
        }
        ctx.stop();
      });
  // Ctrl+C: the follower is abandoned (its socket closes with the loop), then the watching we
  // started is stopped with a call of its own.
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      run.interrupted = true;
      ctx.stop();
    }
  });
  ctx.run();
  signals.cancel();
  if (run.started) {
    asio::io_context stopCtx;
    asio::co_spawn(stopCtx, client.request("POST", "/api/v1/watch/stop", {}, kSupervisorTimeout),
                   [](std::exception_ptr, Result<control::HttpResponse>) {});
    stopCtx.run();
  }
  if (out && !*out) {
    fmt::print(stderr, "error: {}\n", out->error().what());
    return kExitFailure;
  }
  return run.interrupted ? kExitInterrupted : kExitOk;
}

void registerWatch(Registrar& r) {
  auto o = std::make_shared<WatchCommandOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb("watch", "Apply the manifest's watch: rules to the running stack until Ctrl+C",
                     [o, &g] {
                       inherit(o->file, g.file);
                       return runWatch(*o);
                     });
  addFileFlag(*cmd, o->file);
  cmd->add_flag("--json", o->json, "Every event as a JSON line on stdout");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle up -d && lightshuttle watch\n"
      "  lightshuttle watch --json > watch.jsonl\n"
      "The stack's supervisor (`up -d`, or an attached `up`) does the watching: each change is\n"
      "synced into the container (sync), restarts it in place (restart, sync+restart), or\n"
      "rebuilds the image while the old container serves and then recreates only that\n"
      "resource (rebuild). Ctrl+C stops the watching this command started.\n"
      "Exit status: 0 the stack stopped, 1 no supervisor / failure, 2 no watch rules, 130 "
      "Ctrl+C.\n");
}

}  // namespace ls::cli
