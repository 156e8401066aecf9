// MemoryRuntime: events published to subscribers, and the log and event streams that read them.
#include <algorithm>
#include <limits>

#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

namespace {

constexpr std::size_t kMaxEventBacklog = 1024;

}  // namespace

RuntimeEvent MemoryRuntime::Impl::reconnectedEvent(const std::string& project, SystemTime time) {
  RuntimeEvent e;
  e.kind = RuntimeEvent::Kind::Reconnected;
  e.project = project;
  e.time = time;
  return e;
}

void MemoryRuntime::Impl::pushEvent(Subscriber& sub, RuntimeEvent event) {
  if (engineDown) {
    sub.held.push_back(std::move(event));
    return;
  }
  if (sub.backlog.size() >= kMaxEventBacklog) {
    // A slow consumer never blocks the runtime: it loses the backlog and must reconcile.
    const SystemTime time = event.time;
    sub.backlog.clear();
    sub.backlog.push_back(reconnectedEvent(sub.filter.project, time));
    return;
  }
  sub.backlog.push_back(std::move(event));
}

void MemoryRuntime::Impl::publish(RuntimeEvent::Kind kind, const Container& c, SteadyTime at,
                                  std::optional<int> exitCode, std::string health) {
  RuntimeEvent e;
  e.kind = kind;
  e.id = c.id;
  e.name = c.spec.name;
  e.project = c.spec.project;
  e.resource = c.spec.resource;
  e.exitCode = exitCode;
  e.health = std::move(health);
  e.time = systemAt(at);
  for (auto& [id, sub] : subscribers) {
    if (!sub.filter.project.empty() && sub.filter.project != c.spec.project) {
      continue;
    }
    pushEvent(sub, e);
  }
  notify();
}

// --- streams -------------------------------------------------------------------------------

class MemoryRuntime::Impl::LogStream final : public LogChunkStream {
 public:
  LogStream(std::weak_ptr<Impl> impl, std::string containerId, LogOptions options,
            std::size_t cursor, std::size_t end)
      : impl_(std::move(impl)),
        containerId_(std::move(containerId)),
        options_(std::move(options)),
        cursor_(cursor),
        end_(end) {}
  ~LogStream() override { close(); }

  asio::awaitable<Result<std::optional<LogChunk>>> next() override;

  void close() override {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (auto impl = impl_.lock()) {
      impl->notify();
    }
  }

 private:
  bool matches(const LogChunk& chunk) const {
    const bool isStdout = chunk.stream == LogChunk::Stream::Stdout;
    if ((isStdout && !options_.stdoutStream) || (!isStdout && !options_.stderrStream)) {
      return false;
    }
    return !options_.since || chunk.timestamp >= *options_.since;
  }

  std::weak_ptr<Impl> impl_;
  std::string containerId_;
  LogOptions options_;
  std::size_t cursor_;
  std::size_t end_;  // one past the last chunk to deliver (max when following)
  bool closed_ = false;
  bool done_ = false;
};

asio::awaitable<Result<std::optional<LogChunk>>> MemoryRuntime::Impl::LogStream::next() {
  Impl* impl = nullptr;
  if (auto locked = impl_.lock()) {
    impl = locked.get();
  }
  if (impl == nullptr || closed_ || done_) {
    co_return std::nullopt;
  }
  for (;;) {
    impl->settle();
    const Container* c = impl->findById(containerId_);
    if (c == nullptr) {
      done_ = true;
      co_return std::nullopt;
    }
    while (cursor_ < std::min(end_, c->logs.size())) {
      const LogChunk& chunk = c->logs[cursor_++];
      if (options_.until && chunk.timestamp > *options_.until) {
        done_ = true;
        co_return std::nullopt;
      }
      if (matches(chunk)) {
        co_return std::optional<LogChunk>(chunk);
      }
    }
    if (!options_.follow || c->phase == Phase::Stopped) {
      done_ = true;
      co_return std::nullopt;
    }
    const std::size_t seen = cursor_;
    std::function<bool()> moved = [this, impl, seen] {
      const Container* x = impl->findById(containerId_);
      return closed_ || x == nullptr || x->phase == Phase::Stopped || x->logs.size() > seen;
    };
    LS_MEM_RETURN_IF_CANCELLED();
    Result<WaitEnd> waited = co_await impl->waitFor(moved, SteadyTime::max());
    if (!waited) {
      co_return std::move(waited).error();
    }
    if (closed_) {
      co_return std::nullopt;
    }
  }
}

class MemoryRuntime::Impl::EventStreamImpl final : public EventStream {
 public:
  EventStreamImpl(std::weak_ptr<Impl> impl, std::uint64_t id) : impl_(std::move(impl)), id_(id) {}
  ~EventStreamImpl() override { close(); }

  asio::awaitable<Result<RuntimeEvent>> next() override;

  void close() override {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (auto impl = impl_.lock()) {
      impl->subscribers.erase(id_);
      impl->notify();
    }
  }

 private:
  static Error closedError() { return Error(Errc::Cancelled, "event stream closed"); }

  std::weak_ptr<Impl> impl_;
  std::uint64_t id_;
  bool closed_ = false;
};

asio::awaitable<Result<RuntimeEvent>> MemoryRuntime::Impl::EventStreamImpl::next() {
  Impl* impl = nullptr;
  if (auto locked = impl_.lock()) {
    impl = locked.get();
  }
  if (impl == nullptr) {
    co_return Error(Errc::Unavailable, "event stream broken: the runtime is gone");
  }
  const std::uint64_t id = id_;
  for (;;) {
    impl->settle();
    auto it = impl->subscribers.find(id);
    if (closed_ || it == impl->subscribers.end()) {
      co_return closedError();
    }
    if (!it->second.backlog.empty()) {
      RuntimeEvent e = std::move(it->second.backlog.front());
      it->second.backlog.pop_front();
      co_return e;
    }
    std::function<bool()> arrived = [impl, id] {
      auto sub = impl->subscribers.find(id);
      return sub == impl->subscribers.end() || !sub->second.backlog.empty();
    };
    LS_MEM_RETURN_IF_CANCELLED();
    Result<WaitEnd> waited = co_await impl->waitFor(arrived, SteadyTime::max());
    if (!waited) {
      co_return std::move(waited).error();
    }
  }
}

asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> MemoryRuntime::Impl::logs(
    const ContainerId& id, const LogOptions& options) {
  LS_CO_ASSIGN_OR_RETURN(const auto* c, co_await enterContainer(Op::Logs, id.value));
  std::size_t cursor = 0;
  if (options.tail) {
    // Start so that the last `tail` lines this stream would deliver are included.
    cursor = c->logs.size();
    std::size_t kept = 0;
    while (cursor > 0 && kept < *options.tail) {
      const LogChunk& chunk = c->logs[cursor - 1];
      const bool isStdout = chunk.stream == LogChunk::Stream::Stdout;
      if ((isStdout ? options.stdoutStream : options.stderrStream) &&
          (!options.since || chunk.timestamp >= *options.since)) {
        ++kept;
      }
      --cursor;
    }
  }
  const std::size_t end = options.follow ? std::numeric_limits<std::size_t>::max() : c->logs.size();
  std::unique_ptr<LogChunkStream> stream =
      std::make_unique<LogStream>(weak_from_this(), c->id.value, options, cursor, end);
  co_return std::move(stream);
}

asio::awaitable<Result<std::unique_ptr<EventStream>>> MemoryRuntime::Impl::events(
    const EventFilter& filter) {
  Result<void> entered = co_await enter(Op::Events, filter.project);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  const std::uint64_t id = nextSubscriberId++;
  Subscriber sub;
  sub.filter = filter;
  subscribers.emplace(id, std::move(sub));
  std::unique_ptr<EventStream> stream = std::make_unique<EventStreamImpl>(weak_from_this(), id);
  co_return std::move(stream);
}

}  // namespace ls::runtime
