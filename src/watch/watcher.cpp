// The watch loop: one coroutine reads file events into the debouncer, another flushes quiet
// batches into actions. Both run on the loop thread and share no locks.
#include <sys/stat.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>
#include <set>

#include "core/async.hpp"
#include "watch/debounce.hpp"
#include "watch/inotify.hpp"
#include "watch/rules.hpp"
#include "watch/watch.hpp"

namespace ls::watch {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using lifecycle::LifecycleEvent;
using EvKind = lifecycle::LifecycleEvent::Kind;

std::string formatTook(std::chrono::nanoseconds d) {
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof(buf), "%.0f ms", ms);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f s", ms / 1000);
  }
  return buf;
}

namespace {

detail::PathState stateOf(const fs::path& p) {
  struct stat st {};
  detail::PathState s{.path = p};
  if (::lstat(p.c_str(), &st) != 0) {
    s.kind = detail::PathState::Kind::Missing;
  } else if (S_ISDIR(st.st_mode)) {
    s.kind = detail::PathState::Kind::Directory;
  } else if (S_ISLNK(st.st_mode)) {
    s.kind = detail::PathState::Kind::Symlink;
  } else {
    s.kind = detail::PathState::Kind::File;
  }
  return s;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

struct Watcher::Impl {
  Impl(Actions& a, Clock& c, WatchOptions o, detail::RuleSet r)
      : actions(a),
        clock(c),
        options(o),
        rules(std::move(r)),
        debouncer({.quiet = o.quiet, .maxDelay = o.maxDelay}) {}

  Actions& actions;
  Clock& clock;
  WatchOptions options;
  detail::RuleSet rules;
  detail::Debouncer debouncer;
  ls::detail::Notifier touched;
  WatchStats stats;
  detail::TreeWatcher* tree = nullptr;

  void publish(EvKind kind, const std::string& resource, std::string message, std::size_t files = 0,
               std::optional<std::chrono::nanoseconds> took = {}) {
    LifecycleEvent ev;
    ev.kind = kind;
    ev.resource = resource;
    ev.time = clock.system();
    ev.message = std::move(message);
    ev.files = files;
    ev.took = took;
    actions.publish(std::move(ev));
  }

  asio::awaitable<Result<void>> readLoop() {
    for (;;) {
      Result<detail::TreeChanges> changes = co_await tree->next();
      if (!changes) {
        if (changes.error().code() == Errc::Cancelled) {
          co_return ok();
        }
        co_return std::move(changes).error();
      }
      const Clock::SteadyTime now = clock.steady();
      if (changes->overflow) {
        debouncer.overflow(now);
      }
      for (const fs::path& p : changes->touched) {
        debouncer.touch(p, now);
      }
      stats.watchedDirectories = tree->watchCount();
      touched.notifyAll();
    }
  }

  asio::awaitable<Result<void>> flushLoop() {
    for (;;) {
      while (debouncer.empty()) {
        Result<void> woke = co_await touched.wait();
        if (!woke) {
          co_return ok();
        }
      }
      const Clock::SteadyTime due = debouncer.deadline();
      if (clock.steady() < due) {
        Result<void> slept = co_await clock.sleepUntil(due);
        if (!slept) {
          co_return ok();
        }
        continue;  // more may have arrived meanwhile: the deadline moved
      }
      std::optional<detail::Batch> batch = debouncer.take(clock.steady());
      if (!batch) {
        continue;
      }
      ++stats.batches;
      co_await execute(std::move(*batch));
      if (co_await ls::detail::cancelled()) {
        co_return ok();
      }
    }
  }

  asio::awaitable<void> execute(detail::Batch batch) {
    std::vector<detail::PathState> states;
    states.reserve(batch.paths.size());
    for (const fs::path& p : batch.paths) {
      states.push_back(stateOf(p));
    }
    for (detail::ResourceWork& w : detail::planBatch(rules, states)) {
      if (w.rebuild) {
        co_await rebuild(w);
        continue;
      }
      if (!w.copies.empty() || !w.deletions.empty()) {
        const Clock::SteadyTime t0 = clock.steady();
        std::vector<Copy> copies;
        copies.reserve(w.copies.size());
        for (const detail::SyncCopy& c : w.copies) {
          copies.push_back(Copy{.source = c.source.string(), .target = c.target});
        }
        Result<std::size_t> synced = co_await actions.sync(w.resource, copies, w.deletions);
        const auto took = clock.steady() - t0;
        if (!synced) {
          publish(EvKind::WatchFailed, w.resource, "sync failed: " + synced.error().what(), w.files,
                  took);
          continue;  // no restart on files that did not arrive
        }
        std::string msg = "synced " + plural(w.files, "file", "files");
        if (!w.deletions.empty()) {
          msg += " (" + std::to_string(w.deletions.size()) + " deleted)";
        }
        publish(EvKind::WatchSynced, w.resource, msg + " in " + formatTook(took), w.files, took);
      }
      if (w.restart) {
        const Clock::SteadyTime t0 = clock.steady();
        Result<void> restarted = co_await actions.restart(w.resource);
        const auto took = clock.steady() - t0;
        if (!restarted) {
          publish(EvKind::WatchFailed, w.resource, "restart failed: " + restarted.error().what(),
                  w.files, took);
        } else {
          publish(EvKind::WatchRestarted, w.resource,
                  "restarted in " + formatTook(took) + ", ready", w.files, took);
        }
      }
    }
  }

  asio::awaitable<void> rebuild(const detail::ResourceWork& w) {
    const Clock::SteadyTime t0 = clock.steady();
    publish(EvKind::WatchRebuilding, w.resource,
            "rebuilding (" + plural(w.files, "file", "files") + " changed)", w.files);
    Result<std::string> image = co_await actions.build(w.resource);
    if (!image) {
      publish(EvKind::WatchFailed, w.resource,
              "rebuild failed, the old container keeps running: " + image.error().what(), w.files,
              clock.steady() - t0);
      co_return;
    }
    Result<void> recreated = co_await actions.recreate(w.resource, *image);
    const auto took = clock.steady() - t0;
    if (!recreated) {
      publish(EvKind::WatchFailed, w.resource,
              "rebuilt, but the new container did not become ready: " + recreated.error().what(),
              w.files, took);
      co_return;
    }
    publish(EvKind::WatchRebuilt, w.resource, "rebuilt in " + formatTook(took) + ", ready", w.files,
            took);
  }
};

Watcher::Watcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Watcher::~Watcher() = default;

Result<std::unique_ptr<Watcher>> Watcher::create(const manifest::Manifest& manifest,
                                                 Actions& actions, Clock& clock,
                                                 WatchOptions options) {
  LS_ASSIGN_OR_RETURN(detail::RuleSet rules, detail::RuleSet::compile(manifest));
  if (rules.empty()) {
    return Error(Errc::FailedPrecondition,
                 "no resource of " + manifest.file +
                     " has watch rules; add `watch:` to a container or dockerfile resource "
                     "(see docs/manifest.md, Watch rules)");
  }
  return std::unique_ptr<Watcher>(
      new Watcher(std::make_unique<Impl>(actions, clock, options, std::move(rules))));
}

asio::awaitable<Result<void>> Watcher::run() {
  using namespace asio::experimental::awaitable_operators;
  Impl& d = *impl_;
  auto ex = co_await asio::this_coro::executor;
  const detail::RuleSet* rules = &d.rules;
  auto tree = detail::TreeWatcher::open(
      ex, d.rules.roots(), [rules](const fs::path& dir) { return rules->wantsDirectory(dir); });
  if (!tree) {
    co_return std::move(tree).error().context("starting the watcher");
  }
  d.tree = tree->get();
  d.stats.watchedDirectories = d.tree->watchCount();
  const std::vector<std::string> names = resources();
  std::string who;
  for (const std::string& n : names) {
    who += (who.empty() ? "" : ", ") + n;
  }
  d.publish(EvKind::WatchStarted, "",
            "watching " + plural(d.rules.rules().size(), "rule", "rules") + " (" +
                plural(d.stats.watchedDirectories, "directory", "directories") + ") for " + who);
  std::variant<Result<void>, Result<void>> first = co_await (d.readLoop() || d.flushLoop());
  d.tree = nullptr;
  Result<void> result =
      first.index() == 0 ? std::get<0>(std::move(first)) : std::get<1>(std::move(first));
  d.publish(EvKind::WatchStopped, "",
            result ? "watching stopped" : "watching stopped: " + result.error().what());
  co_return result;
}

std::vector<std::string> Watcher::resources() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const detail::Rule& r : impl_->rules.rules()) {
    if (seen.insert(r.resource).second) {
      out.push_back(r.resource);
    }
  }
  return out;
}

WatchStats Watcher::stats() const { return impl_->stats; }

}  // namespace ls::watch
