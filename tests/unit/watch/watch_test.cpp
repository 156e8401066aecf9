// Watch mode (issue 18): rule matching and ignore patterns, debouncing on the manual clock,
// the inotify decoder and tree watcher (editor save sequences, new directories), the tar of a
// batch, and the watcher end to end on a fake Actions with a manual clock.
#include "watch/watch.hpp"

#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "lightshuttle/core/clock.hpp"
#include "support/loop.hpp"
#include "support/process.hpp"
#include "watch/debounce.hpp"
#include "watch/inotify.hpp"
#include "watch/rules.hpp"
#include "watch/sync.hpp"

namespace ls::watch {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using detail::Action;
using detail::Debouncer;
using detail::PathState;
using detail::Rule;
using detail::RuleSet;

ls::archive::DockerIgnore ignoreOf(const std::string& text) {
  auto parsed = ls::archive::DockerIgnore::parse(text);
  EXPECT_TRUE(parsed.has_value());
  return std::move(*parsed);
}

Rule rule(std::string resource, Action action, fs::path root, std::string target = {},
          const std::string& ignore = {}) {
  Rule r;
  r.resource = std::move(resource);
  r.action = action;
  r.root = std::move(root);
  r.target = std::move(target);
  r.ignore = ignoreOf(ignore);
  return r;
}

class TempDir : public ls::testing::TempDir {
 public:
  TempDir() : ls::testing::TempDir("ls-watch-test") {}
};

void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// --- rules ---------------------------------------------------------------------------------

TEST(WatchRulesTest, SyncMapsPathsUnderTheRootToTheTarget) {
  // Ensures a changed file under a sync rule's root is copied to the same place under target.
  RuleSet rules = RuleSet::fromRules({rule("web", Action::Sync, "/p/web/src", "/app/src")});
  auto work = detail::planBatch(rules, {{"/p/web/src/a/b.js", PathState::Kind::File},
                                        {"/p/web/other.js", PathState::Kind::File}});
  ASSERT_EQ(work.size(), 1u);
  EXPECT_EQ(work[0].resource, "web");
  ASSERT_EQ(work[0].copies.size(), 1u);
  EXPECT_EQ(work[0].copies[0].target, "/app/src/a/b.js");
  EXPECT_EQ(work[0].files, 1u);
  EXPECT_FALSE(work[0].restart);
  EXPECT_FALSE(work[0].rebuild);
}

TEST(WatchRulesTest, APrefixThatIsNotADirectoryBoundaryDoesNotMatch) {
  // Ensures /p/src-old is not taken for a path under /p/src.
  RuleSet rules = RuleSet::fromRules({rule("web", Action::Sync, "/p/src", "/app")});
  EXPECT_TRUE(rules.match("/p/src-old/x").empty());
  EXPECT_EQ(rules.match("/p/src/x").size(), 1u);
}

TEST(WatchRulesTest, IgnorePatternsUseDockerignoreSyntaxRelativeToTheRoot) {
  // Ensures ignore patterns (globs, **, exceptions) leave matching changes alone.
  RuleSet rules = RuleSet::fromRules(
      {rule("web", Action::Sync, "/p/src", "/app", "*.tmp\n**/__pycache__\nlogs\n!logs/keep.txt")});
  EXPECT_TRUE(rules.match("/p/src/x.tmp").empty());
  EXPECT_TRUE(rules.match("/p/src/a/__pycache__/m.pyc").empty());
  EXPECT_TRUE(rules.match("/p/src/logs/today.log").empty());
  EXPECT_EQ(rules.match("/p/src/logs/keep.txt").size(), 1u);
  EXPECT_EQ(rules.match("/p/src/a/x.tmp.js").size(), 1u);
  // Directories: one fully ignored is not watched; one with a re-included file is.
  EXPECT_FALSE(rules.wantsDirectory("/p/src/a/__pycache__"));
  EXPECT_TRUE(rules.wantsDirectory("/p/src/logs"));
  EXPECT_TRUE(rules.wantsDirectory("/p/src/a"));
}

TEST(WatchRulesTest, RebuildRulesHonourTheContextsDockerignore) {
  // Ensures a change the build would not see (excluded by .dockerignore) triggers no rebuild.
  Rule r = rule("web", Action::Rebuild, "/p/web");
  r.context = "/p/web";
  r.contextIgnore = ignoreOf("node_modules\n*.md\n");
  RuleSet rules = RuleSet::fromRules({r});
  EXPECT_TRUE(rules.match("/p/web/node_modules/x/index.js").empty());
  EXPECT_TRUE(rules.match("/p/web/README.md").empty());
  EXPECT_EQ(rules.match("/p/web/app.py").size(), 1u);
}

TEST(WatchRulesTest, DeletionsArePrunedToTheirTopmostPath) {
  // Ensures a deleted directory and the files under it become one `rm -rf` path.
  RuleSet rules = RuleSet::fromRules({rule("web", Action::Sync, "/p/src", "/app")});
  auto work = detail::planBatch(rules, {{"/p/src/d", PathState::Kind::Missing},
                                        {"/p/src/d/x", PathState::Kind::Missing},
                                        {"/p/src/d/y/z", PathState::Kind::Missing},
                                        {"/p/src/dd", PathState::Kind::Missing},
                                        {"/p/src/keep", PathState::Kind::File}});
  ASSERT_EQ(work.size(), 1u);
  EXPECT_EQ(work[0].deletions, (std::vector<std::string>{"/app/d", "/app/dd"}));
  ASSERT_EQ(work[0].copies.size(), 1u);
  EXPECT_EQ(detail::deleteCommand(work[0].deletions),
            (std::vector<std::string>{"rm", "-rf", "--", "/app/d", "/app/dd"}));
  EXPECT_TRUE(detail::deleteCommand({}).empty());
}

TEST(WatchRulesTest, TheStrongestActionWinsPerResource) {
  // Ensures sync+restart syncs and restarts, and a rebuild supersedes syncs and restarts.
  RuleSet rules = RuleSet::fromRules({rule("web", Action::SyncRestart, "/p/conf", "/etc/app"),
                                      rule("web", Action::Rebuild, "/p/deps"),
                                      rule("api", Action::Restart, "/p/conf")});
  auto work = detail::planBatch(rules, {{"/p/conf/a.ini", PathState::Kind::File}});
  ASSERT_EQ(work.size(), 2u);
  EXPECT_EQ(work[0].resource, "web");
  EXPECT_TRUE(work[0].restart);
  EXPECT_EQ(work[0].copies.size(), 1u);
  EXPECT_EQ(work[1].resource, "api");
  EXPECT_TRUE(work[1].restart);
  EXPECT_TRUE(work[1].copies.empty());
  work = detail::planBatch(rules, {{"/p/conf/a.ini", PathState::Kind::File},
                                   {"/p/deps/req.txt", PathState::Kind::File}});
  EXPECT_TRUE(work[0].rebuild);
  EXPECT_TRUE(work[0].copies.empty());
  EXPECT_FALSE(work[0].restart);
  EXPECT_EQ(work[0].files, 2u);
}

TEST(WatchRulesTest, AFileRootSyncsToTheTargetItself) {
  // Ensures a rule whose path is one file copies it to exactly `target`.
  Rule r = rule("web", Action::Sync, "/p/app.conf", "/etc/app.conf");
  r.file = true;
  RuleSet rules = RuleSet::fromRules({r});
  auto work = detail::planBatch(rules, {{"/p/app.conf", PathState::Kind::File}});
  ASSERT_EQ(work.size(), 1u);
  EXPECT_EQ(work[0].copies[0].target, "/etc/app.conf");
}

TEST(WatchRulesTest, CompileResolvesPathsAgainstTheManifestDirectory) {
  // Ensures compile() makes rule paths absolute under the manifest's directory and reads the
  // build context's .dockerignore for rebuild rules.
  TempDir dir;
  writeFile(dir.path() / "web/.dockerignore", "*.log\n");
  writeFile(dir.path() / "web/src/a.js", "x");
  manifest::Manifest m;
  m.directory = dir.path();
  manifest::Resource r;
  r.name = "web";
  r.kind = manifest::Kind::Dockerfile;
  r.context = "./web";
  r.watch = {{.path = "./web/src", .action = Action::Sync, .target = "/app/src/"},
             {.path = "web", .action = Action::Rebuild}};
  m.resources.push_back(r);
  Result<RuleSet> rules = RuleSet::compile(m);
  ASSERT_TRUE(rules.has_value()) << rules.error().what();
  ASSERT_EQ(rules->rules().size(), 2u);
  EXPECT_EQ(rules->rules()[0].root, dir.path() / "web/src");
  EXPECT_EQ(rules->rules()[0].target, "/app/src");
  EXPECT_EQ(rules->roots(), (std::vector<fs::path>{dir.path() / "web"}));
  EXPECT_TRUE(rules->match(dir.path() / "web/x.log").empty());
  EXPECT_EQ(rules->match(dir.path() / "web/src/a.js").size(), 2u);
}

// --- debouncing ----------------------------------------------------------------------------

TEST(WatchDebounceTest, ABatchIsDueOnceTheTreeIsQuiet) {
  // Ensures touches keep pushing the deadline until `quiet` passes without one.
  Debouncer d({.quiet = 25ms, .maxDelay = 2s});
  const Clock::SteadyTime t0{};
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.deadline(), Clock::SteadyTime::max());
  d.touch("/a", t0);
  d.touch("/b", t0 + 20ms);
  EXPECT_EQ(d.deadline(), t0 + 45ms);
  EXPECT_FALSE(d.take(t0 + 44ms).has_value());
  d.touch("/a", t0 + 40ms);
  EXPECT_FALSE(d.take(t0 + 45ms).has_value());
  auto batch = d.take(t0 + 65ms);
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->paths, (std::vector<fs::path>{"/a", "/b"}));
  EXPECT_TRUE(d.empty());
}

TEST(WatchDebounceTest, ABurstOfAThousandTouchesIsOneBatch) {
  // Ensures a `git checkout` of 1,000 files (touches 1 ms apart) is one batch, not 1,000.
  Debouncer d({.quiet = 25ms, .maxDelay = 2s});
  const Clock::SteadyTime t0{};
  int batches = 0;
  std::size_t paths = 0;
  for (int i = 0; i < 1000; ++i) {
    const Clock::SteadyTime now = t0 + std::chrono::milliseconds(i);
    if (auto b = d.take(now)) {
      ++batches;
      paths += b->paths.size();
    }
    d.touch("/src/f" + std::to_string(i), now);
  }
  auto last = d.take(t0 + 999ms + 25ms);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(batches, 0);
  EXPECT_EQ(last->paths.size() + paths, 1000u);
}

TEST(WatchDebounceTest, ATreeThatNeverGoesQuietIsFlushedAfterMaxDelay) {
  // Ensures constant changes cannot starve the sync: maxDelay bounds a batch's age.
  Debouncer d({.quiet = 25ms, .maxDelay = 100ms});
  const Clock::SteadyTime t0{};
  for (int i = 0; i <= 100; i += 10) {
    d.touch("/f", t0 + std::chrono::milliseconds(i));
  }
  EXPECT_EQ(d.deadline(), t0 + 100ms);
  EXPECT_TRUE(d.take(t0 + 100ms).has_value());
}

TEST(WatchDebounceTest, AnOverflowIsCarriedByTheBatch) {
  // Ensures a lost-events batch is flagged so the caller resyncs everything.
  Debouncer d({});
  d.overflow(Clock::SteadyTime{});
  EXPECT_FALSE(d.empty());
  auto b = d.take(Clock::SteadyTime{} + 1s);
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->overflow);
  EXPECT_TRUE(b->paths.empty());
}

// --- inotify ---------------------------------------------------------------------------------

std::string encodeRaw(int wd, std::uint32_t mask, const std::string& name, std::size_t len) {
  struct inotify_event h {};
  h.wd = wd;
  h.mask = mask;
  h.len = static_cast<std::uint32_t>(len);
  std::string out(reinterpret_cast<const char*>(&h), sizeof(h));
  std::string padded = name;
  padded.resize(len, '\0');
  return out + padded;
}

TEST(WatchInotifyTest, DecodesRecordsAndDropsATruncatedTail) {
  // Ensures the decoder reads names up to their NUL padding and stops at a cut record.
  std::string bytes = encodeRaw(1, IN_CREATE, "a.txt", 16) + encodeRaw(2, IN_DELETE_SELF, "", 0) +
                      encodeRaw(3, IN_MODIFY, "cut", 16);
  bytes.resize(bytes.size() - 5);
  auto evs = detail::decodeEvents(bytes);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].wd, 1);
  EXPECT_EQ(evs[0].name, "a.txt");
  EXPECT_EQ(evs[1].mask, static_cast<std::uint32_t>(IN_DELETE_SELF));
  EXPECT_TRUE(evs[1].name.empty());
  EXPECT_TRUE(detail::decodeEvents(std::string(3, 'x')).empty());
}

// Reads the tree's changes until `done(touched)` holds (or a generous safety bound passes, so a
// broken watcher fails instead of hanging the suite).
std::set<fs::path> readUntil(detail::TreeWatcher& tree, asio::io_context& ctx,
                             const std::function<bool(const std::set<fs::path>&)>& done) {
  std::set<fs::path> seen;
  auto reader = [&]() -> asio::awaitable<void> {
    while (!done(seen)) {
      auto c = co_await tree.next();
      if (!c) {
        break;
      }
      seen.insert(c->touched.begin(), c->touched.end());
    }
  };
  auto finished = ls::testing::spawnInto(ctx, reader());
  EXPECT_TRUE(ls::testing::runUntilFilled(ctx, finished, 20s))
      << "the watcher never reported the expected paths";
  return seen;
}

TEST(WatchInotifyTest, RenameOverAndDeleteCreateSavesReportTheSavedFile) {
  // Ensures the two editor save styles (write a temp file and rename it over the original; or
  // delete and re-create) report the saved file, and it is present at flush time.
  TempDir dir;
  writeFile(dir.path() / "src/main.py", "v1");
  asio::io_context ctx;
  auto tree = detail::TreeWatcher::open(ctx.get_executor(), {dir.path() / "src"});
  ASSERT_TRUE(tree.has_value()) << tree.error().what();
  writeFile(dir.path() / "src/.main.py.swp", "v2");
  fs::rename(dir.path() / "src/.main.py.swp", dir.path() / "src/main.py");
  auto seen =
      readUntil(**tree, ctx, [&](const auto& s) { return s.contains(dir.path() / "src/main.py"); });
  EXPECT_TRUE(seen.contains(dir.path() / "src/.main.py.swp"));  // gone at flush: no copy

  fs::remove(dir.path() / "src/main.py");
  writeFile(dir.path() / "src/main.py", "v3");
  seen =
      readUntil(**tree, ctx, [&](const auto& s) { return s.contains(dir.path() / "src/main.py"); });
  RuleSet rules = RuleSet::fromRules({rule("web", Action::Sync, dir.path() / "src", "/app")});
  std::vector<PathState> states;
  for (const auto& p : seen) {
    states.push_back({p, fs::exists(p) ? PathState::Kind::File : PathState::Kind::Missing});
  }
  auto work = detail::planBatch(rules, states);
  ASSERT_EQ(work.size(), 1u);
  ASSERT_EQ(work[0].copies.size(), 1u);
  EXPECT_EQ(work[0].copies[0].target, "/app/main.py");
}

TEST(WatchInotifyTest, NewDirectoriesAreWatchedAndTheirFilesReported) {
  // Ensures `mkdir -p a/b && echo > a/b/c` is seen although c may be created before the new
  // directories' watches exist, and that later changes inside them are seen too.
  TempDir dir;
  fs::create_directories(dir.path() / "src");
  asio::io_context ctx;
  auto tree = detail::TreeWatcher::open(ctx.get_executor(), {dir.path() / "src"});
  ASSERT_TRUE(tree.has_value());
  const std::size_t before = (*tree)->watchCount();
  writeFile(dir.path() / "src/a/b/c.txt", "x");
  auto seen = readUntil(**tree, ctx,
                        [&](const auto& s) { return s.contains(dir.path() / "src/a/b/c.txt"); });
  EXPECT_EQ((*tree)->watchCount(), before + 2);
  writeFile(dir.path() / "src/a/b/d.txt", "y");
  seen = readUntil(**tree, ctx,
                   [&](const auto& s) { return s.contains(dir.path() / "src/a/b/d.txt"); });
  EXPECT_TRUE(seen.contains(dir.path() / "src/a/b/d.txt"));
}

TEST(WatchInotifyTest, ADirectoryMovedInsideTheTreeIsReportedAtItsNewPlace) {
  // Ensures a watched directory keeps only its name and its parent's watch: after `mv a z`,
  // changes in z and in the directories beneath it are reported under z, never under a
  // (issue 18: a directory no longer keeps its whole path).
  TempDir dir;
  writeFile(dir.path() / "src/a/b/old.txt", "x");
  asio::io_context ctx;
  auto tree = detail::TreeWatcher::open(ctx.get_executor(), {dir.path() / "src"});
  ASSERT_TRUE(tree.has_value()) << tree.error().what();
  EXPECT_EQ((*tree)->watchCount(), 3u);
  fs::rename(dir.path() / "src/a", dir.path() / "src/z");
  auto seen = readUntil(**tree, ctx,
                        [&](const auto& s) { return s.contains(dir.path() / "src/z/b/old.txt"); });
  EXPECT_EQ((*tree)->watchCount(), 3u);
  writeFile(dir.path() / "src/z/b/new.txt", "y");
  seen = readUntil(**tree, ctx,
                   [&](const auto& s) { return s.contains(dir.path() / "src/z/b/new.txt"); });
  EXPECT_FALSE(seen.contains(dir.path() / "src/a/b/new.txt"));
}

TEST(WatchInotifyTest, ARemovedTreeGivesBackItsWatches) {
  // Ensures the watches of a deleted directory tree are forgotten as the kernel drops them.
  TempDir dir;
  writeFile(dir.path() / "src/a/b/c/f.txt", "x");
  asio::io_context ctx;
  auto tree = detail::TreeWatcher::open(ctx.get_executor(), {dir.path() / "src"});
  ASSERT_TRUE(tree.has_value()) << tree.error().what();
  EXPECT_EQ((*tree)->watchCount(), 4u);
  fs::remove_all(dir.path() / "src/a");
  writeFile(dir.path() / "src/after.txt", "y");
  auto seen = readUntil(**tree, ctx, [&](const auto& s) {
    return s.contains(dir.path() / "src/after.txt") && (*tree)->watchCount() == 1;
  });
  EXPECT_TRUE(seen.contains(dir.path() / "src/a"));
}

TEST(WatchInotifyTest, AFileRootReportsOnlyThatFile) {
  // Ensures a root naming a file watches its directory but reports that name only.
  TempDir dir;
  writeFile(dir.path() / "conf/app.yml", "v1");
  asio::io_context ctx;
  auto tree = detail::TreeWatcher::open(ctx.get_executor(), {dir.path() / "conf/app.yml"});
  ASSERT_TRUE(tree.has_value()) << tree.error().what();
  writeFile(dir.path() / "conf/other.yml", "x");  // its events come first, and are dropped
  writeFile(dir.path() / "conf/app.yml", "v2");
  auto seen = readUntil(**tree, ctx,
                        [&](const auto& s) { return s.contains(dir.path() / "conf/app.yml"); });
  EXPECT_FALSE(seen.contains(dir.path() / "conf/other.yml"));
}

TEST(WatchInotifyTest, AMissingRootIsNotFound) {
  // Ensures a watch path that does not exist fails clearly instead of watching nothing.
  asio::io_context ctx;
  auto tree = detail::TreeWatcher::open(ctx.get_executor(), {"/nonexistent/ls-watch"});
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error().code(), Errc::NotFound);
}

// --- the tar of a batch ----------------------------------------------------------------------

TEST(WatchSyncTest, TheTarOfABatchHoldsEveryCopyAtItsTarget) {
  // Ensures one archive carries files (content and mode), directories and links, named by
  // their container path relative to "/", and skips a source that vanished.
  TempDir dir;
  writeFile(dir.path() / "a.txt", "hello");
  fs::permissions(dir.path() / "a.txt", fs::perms(0750));
  fs::create_directories(dir.path() / "d");
  fs::create_symlink("a.txt", dir.path() / "l");
  auto tar = detail::tarOfCopies({{dir.path() / "a.txt", "/app/a.txt"},
                                  {dir.path() / "d", "/app/d", PathState::Kind::Directory},
                                  {dir.path() / "l", "/app/l", PathState::Kind::Symlink},
                                  {dir.path() / "gone", "/app/gone"}});
  ASSERT_TRUE(tar.has_value()) << tar.error().what();
  EXPECT_EQ(tar->entries, 3u);
  const std::string& b = tar->bytes;
  ASSERT_EQ(b.size() % 512, 0u);
  EXPECT_EQ(std::string(b.data(), std::strlen(b.data())), "app/a.txt");
  EXPECT_EQ(std::string(b.data() + 100, 7), "0000750");  // mode
  EXPECT_EQ(b.substr(512, 5), "hello");
  EXPECT_EQ(std::string(b.data() + 1024, std::strlen(b.data() + 1024)), "app/d/");
  EXPECT_EQ(b[1024 + 156], '5');  // directory
  EXPECT_EQ(std::string(b.data() + 1536, std::strlen(b.data() + 1536)), "app/l");
  EXPECT_EQ(b[1536 + 156], '2');  // symlink
  EXPECT_EQ(std::string(b.data() + 1536 + 157, 5), "a.txt");
  EXPECT_EQ(b.find("gone"), std::string::npos);
}

// --- the watcher end to end on a fake stack --------------------------------------------------

class FakeActions final : public Actions {
 public:
  struct Sync {
    std::string resource;
    std::vector<Copy> copies;
    std::vector<std::string> deletions;
  };
  std::vector<Sync> syncs;
  std::vector<std::string> restarts, builds, recreates;
  std::vector<lifecycle::LifecycleEvent> events;
  bool failBuild = false;

  asio::awaitable<Result<std::size_t>> sync(const std::string& r, const std::vector<Copy>& c,
                                            const std::vector<std::string>& d) override {
    syncs.push_back({r, c, d});
    co_return c.size() + d.size();
  }
  asio::awaitable<Result<void>> restart(const std::string& r) override {
    restarts.push_back(r);
    co_return ok();
  }
  asio::awaitable<Result<std::string>> build(const std::string& r) override {
    builds.push_back(r);
    if (failBuild) {
      co_return Error(Errc::FailedPrecondition, "step 2/3: RUN false: exit code 1");
    }
    co_return std::string("sha256:new");
  }
  asio::awaitable<Result<void>> recreate(const std::string& r, const std::string& image) override {
    recreates.push_back(r + "@" + image);
    co_return ok();
  }
  void publish(lifecycle::LifecycleEvent e) override { events.push_back(std::move(e)); }
};

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_.file = "lightshuttle.yml";
    m_.directory = dir_.path();
    fs::create_directories(dir_.path() / "src");
    fs::create_directories(dir_.path() / "deps");
    manifest::Resource web;
    web.name = "web";
    web.kind = manifest::Kind::Dockerfile;
    web.context = ".";
    web.watch = {{.path = "src", .action = Action::Sync, .target = "/app", .ignore = {"*.tmp"}},
                 {.path = "deps", .action = Action::Rebuild}};
    m_.resources.push_back(web);
  }

  void start() {
    auto w = Watcher::create(m_, actions_, clock_, {.quiet = 25ms, .maxDelay = 2s});
    ASSERT_TRUE(w.has_value()) << w.error().what();
    watcher_ = std::move(*w);
    asio::co_spawn(
        ctx_, watcher_->run(),
        asio::bind_cancellation_slot(cancel_.slot(), [this](std::exception_ptr, Result<void> r) {
          ended_ = true;
          result_ = r ? "" : r.error().what();
        }));
    settle();
    ASSERT_EQ(actions_.events.size(), 1u);
    EXPECT_EQ(actions_.events[0].kind, lifecycle::LifecycleEvent::Kind::WatchStarted);
  }

  // Runs the loop until nothing is ready (every queued file event has been read).
  void settle() {
    for (int idle = 0; idle < 3;) {
      idle = ctx_.poll() == 0 ? idle + 1 : 0;
    }
  }

  void TearDown() override {
    if (watcher_ && !ended_) {
      cancel_.emit(asio::cancellation_type::terminal);
      settle();
      EXPECT_TRUE(ended_);
    }
  }

  TempDir dir_;
  manifest::Manifest m_;
  FakeActions actions_;
  ManualClock clock_;
  asio::io_context ctx_;
  asio::cancellation_signal cancel_;
  std::unique_ptr<Watcher> watcher_;
  bool ended_ = false;
  std::string result_;
};

TEST_F(WatcherTest, AThousandFileBurstIsOneSyncAfterTheQuietPeriod) {
  // Ensures 1,000 writes become exactly one sync of 1,000 files, only once virtual time has
  // passed the quiet period, and that ignored files are left out.
  start();
  for (int i = 0; i < 1000; ++i) {
    writeFile(dir_.path() / "src" / ("f" + std::to_string(i) + ".js"), "x");
  }
  writeFile(dir_.path() / "src/scratch.tmp", "x");
  settle();
  EXPECT_TRUE(actions_.syncs.empty());  // not quiet yet on the manual clock
  clock_.advance(24ms);
  settle();
  EXPECT_TRUE(actions_.syncs.empty());
  clock_.advance(1ms);
  settle();
  ASSERT_EQ(actions_.syncs.size(), 1u);
  EXPECT_EQ(actions_.syncs[0].copies.size(), 1000u);
  ASSERT_GE(actions_.events.size(), 2u);
  EXPECT_EQ(actions_.events.back().kind, lifecycle::LifecycleEvent::Kind::WatchSynced);
  EXPECT_EQ(actions_.events.back().files, 1000u);
  EXPECT_EQ(actions_.events.back().message, "synced 1000 files in 0 ms");
  EXPECT_EQ(watcher_->stats().batches, 1u);
}

TEST_F(WatcherTest, ADeletionIsSyncedAsARemoval) {
  // Ensures a deleted file reaches the action as a container path to remove.
  writeFile(dir_.path() / "src/old.js", "x");
  start();
  fs::remove(dir_.path() / "src/old.js");
  settle();
  clock_.advance(25ms);
  settle();
  ASSERT_EQ(actions_.syncs.size(), 1u);
  EXPECT_TRUE(actions_.syncs[0].copies.empty());
  EXPECT_EQ(actions_.syncs[0].deletions, (std::vector<std::string>{"/app/old.js"}));
  EXPECT_EQ(actions_.events.back().message, "synced 1 file (1 deleted) in 0 ms");
}

TEST_F(WatcherTest, ARebuildBuildsThenRecreatesAndAFailedBuildSaysSo) {
  // Ensures a rebuild rule builds first and recreates with the new image; a failed build
  // recreates nothing and publishes why (the old container keeps running).
  start();
  writeFile(dir_.path() / "deps/requirements.txt", "flask");
  settle();
  clock_.advance(25ms);
  settle();
  EXPECT_EQ(actions_.builds, (std::vector<std::string>{"web"}));
  EXPECT_EQ(actions_.recreates, (std::vector<std::string>{"web@sha256:new"}));
  EXPECT_EQ(actions_.events.back().kind, lifecycle::LifecycleEvent::Kind::WatchRebuilt);
  EXPECT_EQ(actions_.events.back().message, "rebuilt in 0 ms, ready");

  actions_.failBuild = true;
  writeFile(dir_.path() / "deps/requirements.txt", "flask==9");
  settle();
  clock_.advance(25ms);
  settle();
  EXPECT_EQ(actions_.recreates.size(), 1u);
  EXPECT_EQ(actions_.events.back().kind, lifecycle::LifecycleEvent::Kind::WatchFailed);
  EXPECT_NE(actions_.events.back().message.find("old container keeps running"), std::string::npos);
  EXPECT_NE(actions_.events.back().message.find("RUN false"), std::string::npos);
}

TEST_F(WatcherTest, CancellingStopsTheWatcherWithAnEvent) {
  // Ensures run() ends on cancellation and says so.
  start();
  cancel_.emit(asio::cancellation_type::terminal);
  settle();
  EXPECT_TRUE(ended_);
  EXPECT_TRUE(result_.empty()) << result_;
  EXPECT_EQ(actions_.events.back().kind, lifecycle::LifecycleEvent::Kind::WatchStopped);
}

TEST(WatcherCreateTest, AManifestWithoutRulesIsAPrecondition) {
  // Ensures `watch` on a manifest without rules is refused with what to add.
  manifest::Manifest m;
  m.file = "lightshuttle.yml";
  FakeActions actions;
  ManualClock clock;
  auto w = Watcher::create(m, actions, clock);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code(), Errc::FailedPrecondition);
}

TEST(WatchFormatTest, DurationsReadLikeTheIssueSays) {
  // Ensures "18 ms" and "4.2 s" (the output lines of issue 18).
  EXPECT_EQ(formatTook(18ms), "18 ms");
  EXPECT_EQ(formatTook(4200ms), "4.2 s");
}

}  // namespace
}  // namespace ls::watch
