// Watch mode against the real engine (issue 18): a stack of a built `web` and a `dep` that
// depends on it, supervised by the lifecycle, with the watcher applying `watch:` rules. Every
// step waits for the watcher's lifecycle event, then reads the container back through exec.
#include "watch/watch.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <filesystem>
#include <fstream>

#include "core/async.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = lifecycle::LifecycleEvent::Kind;

// Waits this long at most for one watch event: a bound so a broken watcher fails the test
// instead of hanging the suite, never a timing assertion.
constexpr std::chrono::seconds kEventBound{120};

std::string messageOf(const Result<lifecycle::LifecycleEvent>& e) {
  if (!e) {
    return e.error().what();
  }
  return e->message;
}

class WatchEngineTest : public RuntimeEngineTest {
 protected:
  void SetUp() override {
    RuntimeEngineTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    dir = makeTempDir("lswatch");
    ASSERT_FALSE(dir.empty());
    write(dir / "Dockerfile", dockerfile("v1"));
    write(dir / "src/index.txt", "one");
    tag = "lightshuttle-test/" + project + "_web:dev";
  }

  void TearDown() override {
    RuntimeEngineTest::TearDown();
    if (api) {
      (void)run(api->removeImage(tag, true));
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  static std::string dockerfile(const std::string& version, bool broken = false) {
    return "FROM " + std::string(kBusybox) + "\n" + "RUN echo " + version + " > /version\n" +
           (broken ? "RUN false\n" : "") + "COPY src /app/src\nCMD [\"sleep\", \"3600\"]\n";
  }

  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }

  lifecycle::Plan plan() {
    lifecycle::PlanNode web;
    web.name = "web";
    web.kind = manifest::Kind::Dockerfile;
    web.spec = projectSpec("web", {});
    web.spec.command.reset();
    web.spec.image = runtime::BuildImage{.context = dir.string(), .tag = tag};
    web.spec.stopGracePeriod = 1s;
    lifecycle::PlanNode dep;
    dep.name = "dep";
    dep.spec = projectSpec("dep", {"sleep", "3600"});
    dep.spec.stopGracePeriod = 1s;
    dep.dependencies = {{.name = "web"}};
    auto p = lifecycle::Plan::create({web, dep});
    LS_CHECK(p.has_value());
    return std::move(*p);
  }

  manifest::Manifest manifest() const {
    manifest::Manifest m;
    m.file = (dir / "lightshuttle.yml").string();
    m.directory = dir;
    manifest::Resource web;
    web.name = "web";
    web.kind = manifest::Kind::Dockerfile;
    web.context = ".";
    web.watch = {{.path = "src", .action = manifest::WatchRule::Action::Sync, .target = "/app/src"},
                 {.path = "Dockerfile", .action = manifest::WatchRule::Action::Rebuild}};
    m.resources.push_back(web);
    return m;
  }

  // The next event of `kind` for `resource` (or a WatchFailed, returned too, so the test can
  // show its message).
  static asio::awaitable<Result<lifecycle::LifecycleEvent>> next(lifecycle::EventSubscription& sub,
                                                                 Kind kind, Clock& clock) {
    const auto deadline = clock.steady() + kEventBound;
    for (;;) {
      using namespace asio::experimental::awaitable_operators;
      auto ev = co_await (sub.next() || clock.sleepUntil(deadline));
      if (ev.index() == 1) {
        co_return Error(Errc::Timeout, "no " + std::string(lifecycle::eventKindName(kind)) +
                                           " event within the bound");
      }
      Result<lifecycle::LifecycleEvent> e = std::get<0>(std::move(ev));
      if (!e) {
        co_return e;
      }
      if (e->kind == kind || e->kind == Kind::WatchFailed) {
        co_return e;
      }
    }
  }

  // Runs `script` through sh -c in web's container: its stdout (and exit code when not 0).
  asio::awaitable<std::string> execOut(runtime::Runtime& r, lifecycle::LifecycleManager& m,
                                       std::string script) {
    auto view = m.get("web");
    if (!view) {
      co_return "<no web>";
    }
    runtime::ExecRequest req;
    req.cmd.push_back("sh");
    req.cmd.push_back("-c");
    req.cmd.push_back(script);
    req.timeout = 30s;
    const runtime::ContainerId id{view->containerId};
    auto res = co_await r.exec(id, req);
    if (!res) {
      co_return "<exec failed: " + res.error().what() + ">";
    }
    std::string out = res->stdoutText;
    if (res->exitCode != 0) {
      out += "<exit " + std::to_string(res->exitCode) + ">";
    }
    co_return out;
  }

  // Boots the stack, starts the watcher (quiet period `quiet`), runs `body`, then stops both.
  void scenario(std::chrono::nanoseconds quiet,
                std::function<asio::awaitable<void>(lifecycle::LifecycleManager&,
                                                    lifecycle::EventSubscription&)>
                    body) {
    SystemRng rng;
    lifecycle::LifecycleManager mgr(*rt, *clock, rng, plan());
    auto sub = mgr.subscribe();
    auto actions = watch::stackActions(mgr, *rt);
    auto watcher =
        watch::Watcher::create(manifest(), *actions, *clock, {.quiet = quiet, .maxDelay = 10s});
    ASSERT_TRUE(watcher.has_value()) << watcher.error().what();
    (void)run([&]() -> asio::awaitable<int> {
      Result<void> up = co_await mgr.start();
      EXPECT_TRUE(up.has_value()) << up.error().what();
      if (!up) {
        co_return 1;
      }
      ls::detail::TaskGroup tasks;
      auto ex = co_await asio::this_coro::executor;
      tasks.spawn(ex, [](watch::Watcher& w) -> asio::awaitable<void> {
        Result<void> r = co_await w.run();
        EXPECT_TRUE(r.has_value()) << r.error().what();
      }(**watcher));
      Result<lifecycle::LifecycleEvent> started = co_await next(*sub, Kind::WatchStarted, *clock);
      EXPECT_TRUE(started.has_value());
      co_await body(mgr, *sub);
      tasks.cancelAll();
      while (!tasks.empty()) {
        (void)co_await tasks.waitEmpty();
      }
      Result<void> down = co_await mgr.stop();
      EXPECT_TRUE(down.has_value()) << down.error().what();
      co_return 0;
    }());
  }

  fs::path dir;
  std::string tag;
};

TEST_F(WatchEngineTest, AChangedFileAndADeletionAreVisibleInTheContainer) {
  // Ensures a sync copies a changed file into the running container and removes a deleted one
  // (read back through exec), without recreating the container.
  scenario(25ms,
           [this](lifecycle::LifecycleManager& mgr,
                  lifecycle::EventSubscription& sub) -> asio::awaitable<void> {
             const std::string before = mgr.get("web")->containerId;
             const std::string got1 = co_await execOut(*rt, mgr, "cat /app/src/index.txt");
             EXPECT_EQ(got1, std::string("one"));
             write(dir / "src/index.txt", "two");
             write(dir / "src/new/deep.txt", "deep");
             auto synced = co_await next(sub, Kind::WatchSynced, *clock);
             EXPECT_TRUE(synced && synced->kind == Kind::WatchSynced) << messageOf(synced);
             // The two writes may land in one batch or two: wait until both are there.
             const std::string deep = co_await execOut(*rt, mgr, "cat /app/src/new/deep.txt");
             if (deep != "deep") {
               synced = co_await next(sub, Kind::WatchSynced, *clock);
             }
             const std::string got2 = co_await execOut(*rt, mgr, "cat /app/src/index.txt");
             EXPECT_EQ(got2, std::string("two"));
             const std::string got3 = co_await execOut(*rt, mgr, "cat /app/src/new/deep.txt");
             EXPECT_EQ(got3, std::string("deep"));
             fs::remove(dir / "src/index.txt");
             synced = co_await next(sub, Kind::WatchSynced, *clock);
             EXPECT_TRUE(synced && synced->kind == Kind::WatchSynced) << messageOf(synced);
             const std::string got4 = co_await execOut(*rt, mgr, "ls /app/src");
             EXPECT_EQ(got4, std::string("new\n"));
             EXPECT_EQ(mgr.get("web")->containerId, before);
           });
}

TEST_F(WatchEngineTest, ABurstOfAThousandWritesEndsAsOneSync) {
  // Ensures 1,000 file writes become one sync (one tar) and all arrive. The quiet period is
  // long here so a loaded machine pausing the writer cannot split the burst.
  scenario(1500ms,
           [this](lifecycle::LifecycleManager& mgr,
                  lifecycle::EventSubscription& sub) -> asio::awaitable<void> {
             for (int i = 0; i < 1000; ++i) {
               write(dir / "src/burst" / ("f" + std::to_string(i) + ".txt"), std::to_string(i));
             }
             auto synced = co_await next(sub, Kind::WatchSynced, *clock);
             EXPECT_TRUE(synced && synced->kind == Kind::WatchSynced) << messageOf(synced);
             if (synced) {
               EXPECT_EQ(synced->files, 1001u)
                   << synced->message;  // the directory and its 1,000 files
             }
             const std::string got5 = co_await execOut(*rt, mgr, "ls /app/src/burst | wc -l");
             EXPECT_EQ(got5, std::string("1000\n"));
             const std::string got6 = co_await execOut(*rt, mgr, "cat /app/src/burst/f999.txt");
             EXPECT_EQ(got6, std::string("999"));
           });
}

TEST_F(WatchEngineTest, ARebuildSwapsTheContainerAndLeavesTheDependentAlone) {
  // Ensures a rebuild recreates web from the new image (its container id changes, the new
  // image's content is there) while dep's container is untouched.
  scenario(25ms,
           [this](lifecycle::LifecycleManager& mgr,
                  lifecycle::EventSubscription& sub) -> asio::awaitable<void> {
             const std::string webBefore = mgr.get("web")->containerId;
             const std::string depBefore = mgr.get("dep")->containerId;
             write(dir / "Dockerfile", dockerfile("v2"));
             auto rebuilt = co_await next(sub, Kind::WatchRebuilt, *clock);
             EXPECT_TRUE(rebuilt && rebuilt->kind == Kind::WatchRebuilt) << messageOf(rebuilt);
             EXPECT_NE(mgr.get("web")->containerId, webBefore);
             EXPECT_EQ(mgr.get("dep")->containerId, depBefore);
             EXPECT_EQ(mgr.get("web")->status, lifecycle::ResourceStatus::Running);
             const std::string got7 = co_await execOut(*rt, mgr, "cat /version");
             EXPECT_EQ(got7, std::string("v2\n"));
           });
}

TEST_F(WatchEngineTest, AFailedRebuildKeepsTheOldContainerRunning) {
  // Ensures a Dockerfile that does not build leaves the old container serving and says why.
  scenario(25ms,
           [this](lifecycle::LifecycleManager& mgr,
                  lifecycle::EventSubscription& sub) -> asio::awaitable<void> {
             const std::string before = mgr.get("web")->containerId;
             write(dir / "Dockerfile", dockerfile("v3", /*broken=*/true));
             auto failed = co_await next(sub, Kind::WatchFailed, *clock);
             EXPECT_TRUE(failed.has_value());
             if (failed) {
               EXPECT_EQ(failed->kind, Kind::WatchFailed);
               EXPECT_NE(failed->message.find("old container keeps running"), std::string::npos)
                   << failed->message;
             }
             EXPECT_EQ(mgr.get("web")->containerId, before);
             EXPECT_EQ(mgr.get("web")->status, lifecycle::ResourceStatus::Running);
             const runtime::ContainerId oldId{before};
             auto st = co_await rt->inspect(oldId);
             EXPECT_TRUE(st && st->state == runtime::ContainerState::Running);
             const std::string got8 = co_await execOut(*rt, mgr, "cat /version");
             EXPECT_EQ(got8, std::string("v1\n"));
           });
}

}  // namespace
}  // namespace ls::testing
