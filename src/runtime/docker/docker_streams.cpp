// DockerRuntime's streams: logs (one LogChunk per line) and events (reconnecting, replayed once).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "engine/timestamp.hpp"
#include "lightshuttle/engine/api.hpp"
#include "runtime/docker/docker_impl.hpp"

namespace ls::runtime {
namespace {

using namespace std::chrono_literals;

std::string unixSeconds(std::chrono::system_clock::time_point t) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return fmt::format("{}.{:09}", ns / 1000000000, ns % 1000000000);
}

// ---------------------------------------------------------------------------------------------
// Logs: engine chunks with a timestamp prefix on every line -> LogChunk per line.

class DockerLogStream final : public LogChunkStream {
 public:
  explicit DockerLogStream(std::unique_ptr<engine::LogStream> s) : s_(std::move(s)) {}

  asio::awaitable<Result<std::optional<LogChunk>>> next() override {
    for (;;) {
      if (auto c = takeLine(false)) {
        co_return c;
      }
      if (ended_) {
        co_return takeLine(true);
      }
      LS_CO_ASSIGN_OR_RETURN(std::optional<engine::LogChunk> chunk, co_await s_->next());
      if (!chunk) {
        ended_ = true;
        continue;
      }
      auto& buf = chunk->stream == engine::StreamKind::Stderr ? err_ : out_;
      std::string_view bytes = chunk->bytes;
      // Podman 4.3 logs a line written in parts (a write without its newline, then the rest)
      // as several records, each framed with its own timestamp; Docker sends the line as one
      // record with one. A record that continues a line leaves its timestamp out, so the line
      // keeps its first and no timestamp lands inside the text.
      if (chunk->frameStart && !buf.empty() && buf.back() != '\n') {
        if (auto split = engine::splitTimestampedLine(bytes)) {
          bytes = split->second;
        }
      }
      buf.append(bytes);
      order_.push_back(chunk->stream == engine::StreamKind::Stderr ? 2 : 1);
    }
  }

  void close() override { s_->close(); }

 private:
  /// One complete line (or, at the end, what remains) of the stream that received bytes first.
  std::optional<LogChunk> takeLine(bool flush) {
    while (!order_.empty()) {
      const int which = order_.front();
      std::string& buf = which == 2 ? err_ : out_;
      const auto nl = buf.find('\n');
      if (nl == std::string::npos && !(flush && !buf.empty())) {
        if (buf.empty()) {
          order_.erase(order_.begin());
          continue;
        }
        return std::nullopt;
      }
      const std::size_t len = nl == std::string::npos ? buf.size() : nl + 1;
      std::string line = buf.substr(0, len);
      buf.erase(0, len);
      if (buf.empty()) {
        order_.erase(order_.begin());
      }
      LogChunk c;
      c.stream = which == 2 ? LogChunk::Stream::Stderr : LogChunk::Stream::Stdout;
      auto split = engine::splitTimestampedLine(line);
      if (split) {
        c.timestamp =
            std::chrono::time_point_cast<std::chrono::system_clock::duration>(split->first);
        c.bytes = std::string(split->second);
      } else {
        c.timestamp = std::chrono::system_clock::now();
        c.bytes = std::move(line);
      }
      return c;
    }
    return std::nullopt;
  }

  std::unique_ptr<engine::LogStream> s_;
  std::string out_;
  std::string err_;
  std::vector<int> order_;  // which stream's pending bytes came first
  bool ended_ = false;
};

// ---------------------------------------------------------------------------------------------
// Events with reconnection.

std::optional<RuntimeEvent> toRuntimeEvent(const engine::EngineEvent& e) {
  if (e.type != "container") {
    return std::nullopt;
  }
  RuntimeEvent out;
  std::string_view action = e.action;
  if (action == "start") {
    out.kind = RuntimeEvent::Kind::Start;
  } else if (action == "die") {
    out.kind = RuntimeEvent::Kind::Die;
    if (auto it = e.attributes.find("exitCode"); it != e.attributes.end()) {
      out.exitCode = std::atoi(it->second.c_str());
    }
  } else if (action == "oom") {
    out.kind = RuntimeEvent::Kind::Oom;
  } else if (action.rfind("health_status", 0) == 0) {
    out.kind = RuntimeEvent::Kind::HealthStatus;
    const auto colon = action.find(": ");
    out.health = colon == std::string_view::npos ? "" : std::string(action.substr(colon + 2));
  } else if (isRemovalAction(action)) {
    out.kind = RuntimeEvent::Kind::Destroy;
  } else if (action == "stop") {
    out.kind = RuntimeEvent::Kind::Stop;
  } else {
    return std::nullopt;
  }
  out.id = ContainerId{e.actorId};
  auto attr = [&](const char* k) {
    auto it = e.attributes.find(k);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  out.name = attr("name");
  out.project = attr(kLabelProject);
  out.resource = attr(kLabelResource);
  out.time = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(e.timeNano)));
  return out;
}

class DockerEventStream final : public EventStream {
 public:
  DockerEventStream(engine::Api& api, Clock& clock, EventFilter filter,
                    std::unique_ptr<engine::EventsStream> first)
      : api_(api), clock_(clock), filter_(std::move(filter)), stream_(std::move(first)) {}

  asio::awaitable<Result<RuntimeEvent>> next() override {
    auto backoff = 50ms;
    for (;;) {
      if (closed_) {
        co_return Error(Errc::Cancelled, "event stream closed");
      }
      if (!stream_) {
        // Resume from the engine's own time of the last event seen (never our clock: the
        // engine's may differ); with none seen, only live events, and the marker says reconcile.
        auto opened = co_await open(api_, filter_, lastEvent_);
        if (!opened) {
          if (opened.error().code() == Errc::Cancelled) {
            co_return std::move(opened).error();
          }
          LS_CO_TRY(co_await clock_.sleepFor(backoff));
          backoff = std::min<std::chrono::milliseconds>(backoff * 2, 2s);
          continue;
        }
        stream_ = std::move(opened).value();
        replaying_ = lastEvent_.has_value();
        RuntimeEvent marker;
        marker.kind = RuntimeEvent::Kind::Reconnected;
        marker.project = filter_.project;
        marker.time = clock_.system();
        co_return marker;
      }
      auto ev = co_await stream_->next();
      if (!ev || !*ev) {
        if (!ev && ev.error().code() == Errc::Cancelled) {
          co_return std::move(ev).error();
        }
        stream_.reset();  // the engine went away (or ended the stream): reconnect with since=
        // Said once per break, at once: the caller may ping and mark the engine unavailable
        // while this stream retries on its next call.
        RuntimeEvent marker;
        marker.kind = RuntimeEvent::Kind::Disconnected;
        marker.project = filter_.project;
        marker.time = clock_.system();
        co_return marker;
      }
      backoff = 50ms;
      const engine::EngineEvent& e = **ev;
      const auto t = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(e.timeNano)));
      const std::string key = e.actorId + "|" + e.action;
      if (replaying_) {
        // Right after a reconnect, `since` replays what happened at and after the last event
        // seen: skip what was already delivered, then stop filtering (the engine may publish
        // concurrent events slightly out of timestamp order; those must not be dropped).
        if (t < *lastEvent_ || (t == *lastEvent_ && delivered_.count(key) > 0)) {
          continue;
        }
        replaying_ = false;
      }
      if (!lastEvent_ || t > *lastEvent_) {
        lastEvent_ = t;
        delivered_.clear();
      }
      if (t == *lastEvent_) {
        delivered_.insert(key);
      }
      if (auto mapped = toRuntimeEvent(e)) {
        co_return *mapped;
      }
    }
  }

  void close() override {
    closed_ = true;
    if (stream_) {
      stream_->close();
    }
  }

  static asio::awaitable<Result<std::unique_ptr<engine::EventsStream>>> open(
      engine::Api& api, const EventFilter& filter,
      std::optional<std::chrono::system_clock::time_point> since) {
    engine::EventsOptions o;
    o.filters["type"] = {"container"};
    o.filters["label"] = {filter.project.empty()
                              ? std::string(kLabelProject)
                              : std::string(kLabelProject) + "=" + filter.project};
    if (since) {
      o.since = unixSeconds(*since);
    }
    co_return co_await api.events(o);
  }

 private:
  engine::Api& api_;
  Clock& clock_;
  EventFilter filter_;
  std::unique_ptr<engine::EventsStream> stream_;
  std::optional<std::chrono::system_clock::time_point> lastEvent_;  ///< engine time
  bool replaying_ = false;
  std::set<std::string> delivered_;  ///< keys delivered at lastEvent_
  bool closed_ = false;
};

}  // namespace

asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> DockerRuntime::logs(
    const ContainerId& id, const LogOptions& options) {
  engine::LogsOptions o;
  o.follow = options.follow;
  o.timestamps = true;
  o.stdoutStream = options.stdoutStream;
  o.stderrStream = options.stderrStream;
  if (options.tail) {
    o.tail = std::to_string(*options.tail);
  }
  if (options.since) {
    o.since = unixSeconds(*options.since);
  }
  if (options.until) {
    o.until = unixSeconds(*options.until);
  }
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info,
                         co_await impl_->api.inspectContainer(id.value));
  LS_CO_ASSIGN_OR_RETURN(auto s, co_await impl_->api.logs(id.value, o, info.tty));
  co_return std::make_unique<DockerLogStream>(std::move(s));
}

asio::awaitable<Result<std::unique_ptr<EventStream>>> DockerRuntime::events(
    const EventFilter& filter) {
  auto& d = *impl_;
  LS_CO_ASSIGN_OR_RETURN(auto first, co_await DockerEventStream::open(d.api, filter, std::nullopt));
  co_return std::make_unique<DockerEventStream>(d.api, d.clock, filter, std::move(first));
}

}  // namespace ls::runtime
