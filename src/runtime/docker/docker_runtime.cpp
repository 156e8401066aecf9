#include "lightshuttle/runtime/docker_runtime.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/core.h>
#include <map>
#include <set>
#include <variant>

#include "core/asio_fwd.hpp"
#include "core/async.hpp"
#include "engine/timestamp.hpp"
#include "lightshuttle/core/scope_guard.hpp"
#include "lightshuttle/engine/api.hpp"
#include "runtime/docker/build_context.hpp"
#include "runtime/docker/docker_impl.hpp"
#include "runtime/docker/spec_mapping.hpp"

namespace asio = boost::asio;

namespace ls::runtime {

std::string q(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string formatDuration(std::chrono::nanoseconds d) {
  const double s = std::chrono::duration<double>(d).count();
  return fmt::format("{:g}s", s);
}

namespace {

using namespace std::chrono_literals;

/// Whether something already listens on / holds addr:port (a bind attempt fails with EADDRINUSE).
bool hostPortInUse(const std::string& addr, std::uint16_t port, Protocol proto) {
  if (proto == Protocol::Sctp) {
    return false;  // never published from a manifest; nothing to probe
  }
  const bool v6 = addr.find(':') != std::string::npos;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET,
                          (proto == Protocol::Udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  auto closer = ScopeGuard([fd] { ::close(fd); });
  // A port whose last connection lingers in TIME_WAIT is free for a listener: only a socket
  // bound to it now (a listener, or a UDP socket) counts as "in use".
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc = -1;
  if (v6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    std::string a = addr;
    if (a.size() > 2 && a.front() == '[') {
      a = a.substr(1, a.size() - 2);
    }
    if (::inet_pton(AF_INET6, a.c_str(), &sa.sin6_addr) != 1) {
      return false;
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::inet_pton(AF_INET, addr.empty() ? "127.0.0.1" : addr.c_str(), &sa.sin_addr) != 1) {
      return false;
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  }
  return rc != 0 && errno == EADDRINUSE;
}

/// Whether the engine runs on this machine (a unix socket, or TCP to a loopback address), so
/// that probing a host port here says something about the engine's host.
bool engineIsLocal(const std::string& endpoint) {
  if (endpoint.rfind("unix://", 0) == 0) {
    return true;
  }
  for (const char* loopback : {"tcp://127.", "tcp://localhost:", "tcp://[::1]:"}) {
    if (endpoint.rfind(loopback, 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string unixSeconds(std::chrono::system_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
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
      buf.append(chunk->bytes);
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
        c.timestamp = std::chrono::time_point_cast<std::chrono::system_clock::duration>(split->first);
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
  } else if (action == "destroy") {
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
    o.filters["label"] = {filter.project.empty() ? std::string(kLabelProject)
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

// ---------------------------------------------------------------------------------------------

/// Tars a build context; runs on the blocking pool (co_spawned there), never on the loop.
asio::awaitable<Result<std::string>> tarContext(std::string context, std::string dockerfile) {
  co_return detail::makeBuildContextTar(context, dockerfile);
}


DockerRuntime::DockerRuntime(engine::Client& client, Clock& clock)
    : impl_(std::make_unique<Impl>(client, clock)) {}
DockerRuntime::~DockerRuntime() = default;

asio::awaitable<std::string> DockerRuntime::Impl::lastLogLines(const std::string& id, std::size_t n) {
  engine::LogsOptions o;
  o.tail = std::to_string(n);
  auto s = co_await api.logs(id, o);
  if (!s) {
    co_return std::string();
  }
  std::string out;
  for (;;) {
    auto c = co_await (*s)->next();
    if (!c || !*c) {
      break;
    }
    out += (*c)->bytes;
  }
  co_return out;
}

asio::awaitable<Error> DockerRuntime::Impl::exitedBeforeReady(const std::string& id,
                                                               const std::string& name,
                                                               int exitCode) {
  std::string logs = co_await lastLogLines(id, 20);
  std::string msg = "container " + q(name) + " exited with code " + std::to_string(exitCode) +
                    " before becoming ready";
  if (!logs.empty()) {
    if (logs.back() == '\n') {
      logs.pop_back();
    }
    msg += "; last log lines:\n" + logs;
  }
  co_return Error(Errc::FailedPrecondition, std::move(msg)).withReason("exited_before_ready");
}

namespace {

/// The image of a start: pulled per its policy, or built.
asio::awaitable<Result<void>> prepareStartImage(DockerRuntime& rt, const ContainerSpec& spec,
                                                const StartOptions& options) {
  if (const auto* pull = std::get_if<PullImage>(&spec.image)) {
    co_return co_await rt.pullImage(pull->reference, pull->policy, options.onProgress);
  }
  auto built = co_await rt.buildImage(std::get<BuildImage>(spec.image), options.onProgress);
  if (!built) {
    co_return std::move(built).error();
  }
  co_return ok();
}

}  // namespace

asio::awaitable<Result<ContainerId>> DockerRuntime::start(const ContainerSpec& spec,
                                                          const StartOptions& options) {
  auto& d = *impl_;
  const std::string what = "start resource " + q(spec.resource);
  // The fast path is create + start, as few calls as the engine needs: an image that is
  // present (pull policy missing/never) and a network this runtime ensured are not checked
  // first. A create or start that says "not found" (the image or the network) takes the slow
  // path once — pull per policy, ensure the network — and creates again; `always` pulls and
  // builds go first.
  // A prepared image (the lifecycle prepares it while the dependencies boot) is not checked
  // again: a create that says "not found" then only ensures the network and tries once more.
  const auto* pull = std::get_if<PullImage>(&spec.image);
  const bool checkImageFirst =
      !options.imagePrepared && (pull == nullptr || pull->policy == PullPolicy::Always);
  if (checkImageFirst) {
    auto prepared = prepareStartImage(*this, spec, options);
    if (auto r = co_await std::move(prepared); !r) {
      co_return std::move(r).error().context(what);
    }
  }
  if (!d.networksReady.contains(spec.project)) {
    if (auto net = co_await ensureProjectNetwork(spec.project); !net) {
      co_return std::move(net).error().context(what);
    }
  }
  const engine::ContainerCreate body = detail::toContainerCreate(spec);
  std::string id;
  Result<void> started = ok();
  for (int attempt = 0;; ++attempt) {
    auto created = co_await d.api.createContainer(spec.name, body);
    if (created) {
      id = created->id;
      auto outcome = co_await d.api.startContainer(id);
      started = outcome ? ok() : Result<void>(std::move(outcome).error());
      if (started) {
        break;
      }
      // Never leave a Created container behind.
      (void)co_await d.api.removeContainer(id, true, true);
    }
    // "Not found" from create (the image; the network on some engines) or from start (the
    // network, on Engine 20.10): the slow path, once.
    const Error& failure = created ? started.error() : created.error();
    // Podman answers a create on a missing network with 500 ("network not found"), not 404:
    // after a server error, a project network that is gone takes the slow path too.
    const bool networkGone = !created && attempt == 0 &&
                             co_await d.networkGoneAfterServerError(failure, spec.project);
    if ((failure.code() != Errc::NotFound && !networkGone) || attempt > 0) {
      if (!created) {
        Error err = Error(created.error()).context(what);
        if (co_await d.nameTakenAfterServerError(created.error(), spec.name)) {
          co_return Error(Errc::Conflict, "the container name " + q(spec.name) + " is already in use")
              .withReason("name_in_use")
              .withEngine(created.error().engine()->status, created.error().engine()->message)
              .context(what);
        }
        // Engine: 409 "The container name "/x" is already in use by container "…"".
        if (err.code() == Errc::Conflict &&
            created.error().message().find("already in use") != std::string::npos) {
          err.withReason("name_in_use");
        }
        co_return err;
      }
      break;
    }
    if (!checkImageFirst && !options.imagePrepared) {
      auto prepared = prepareStartImage(*this, spec, options);
      if (auto r = co_await std::move(prepared); !r) {
        co_return std::move(r).error().context(what);
      }
    }
    d.networksReady.erase(spec.project);
    if (auto net = co_await ensureProjectNetwork(spec.project); !net) {
      co_return std::move(net).error().context(what);
    }
  }
  if (!started) {
    Error err = std::move(started).error();
    const bool probe = engineIsLocal(d.client.endpointDescription());
    for (const auto& p : spec.ports) {
      if (probe && p.hostPort && hostPortInUse(p.hostAddress.empty() ? "127.0.0.1" : p.hostAddress,
                                      *p.hostPort, p.protocol)) {
        const std::string addr = p.hostAddress.empty() ? "127.0.0.1" : p.hostAddress;
        co_return Error(Errc::Conflict,
                        what + ": host port " + addr + ":" + std::to_string(*p.hostPort) +
                            " is already in use (by another container or program); free it or "
                            "choose another port for " + q(spec.resource))
            .withReason("port_allocated")
            .withEngine(err.engine() ? err.engine()->status : 0,
                        err.engine() ? err.engine()->message : err.message());
      }
    }
    co_return std::move(err).context(what);
  }
  co_return ContainerId{id};
}

asio::awaitable<Result<StopOutcome>> DockerRuntime::stop(const ContainerId& id,
                                                         std::chrono::nanoseconds grace) {
  auto& d = *impl_;
  if (grace < 0ns) {
    grace = 0ns;
  }
  if (grace % 1s == 0ns) {
    LS_CO_ASSIGN_OR_RETURN(
        engine::StopOutcome out,
        co_await d.api.stopContainer(id.value, std::chrono::duration_cast<std::chrono::seconds>(grace)));
    co_return out == engine::StopOutcome::Stopped ? StopOutcome::Stopped : StopOutcome::AlreadyStopped;
  }
  // Sub-second grace: the engine's `t` is whole seconds, so signal, wait, then kill ourselves.
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info, co_await d.api.inspectContainer(id.value));
  if (!info.state.running) {
    co_return StopOutcome::AlreadyStopped;
  }
  auto sig = co_await d.api.killContainer(id.value, detail::effectiveStopSignal(info.stopSignal));
  // 409 (podman: 500 with the container no longer running): it stopped meanwhile.
  if (!sig && sig.error().code() != Errc::Conflict &&
      !co_await d.notRunningAfterServerError(sig.error(), id.value)) {
    co_return std::move(sig).error();
  }
  auto waited = co_await d.api.waitContainer(
      id.value, "not-running", std::chrono::duration_cast<std::chrono::milliseconds>(grace) + 1ms);
  if (!waited) {
    if (waited.error().code() != Errc::Timeout) {
      if (co_await d.notRunningAfterServerError(waited.error(), id.value)) {
        co_return StopOutcome::Stopped;
      }
      co_return std::move(waited).error();
    }
    auto kill = co_await d.api.killContainer(id.value, "SIGKILL");
    if (!kill && kill.error().code() != Errc::Conflict &&
        !co_await d.notRunningAfterServerError(kill.error(), id.value)) {
      co_return std::move(kill).error();
    }
    auto killed = co_await d.api.waitContainer(id.value, "not-running", std::chrono::seconds(30));
    if (!killed && !co_await d.notRunningAfterServerError(killed.error(), id.value)) {
      co_return std::move(killed).error();
    }
  }
  co_return StopOutcome::Stopped;
}

asio::awaitable<Result<RemoveOutcome>> DockerRuntime::remove(const std::string& nameOrId) {
  auto r = co_await impl_->api.removeContainer(nameOrId, /*force=*/true, /*volumes=*/true);
  if (!r) {
    co_return std::move(r).error();
  }
  co_return *r == engine::RemoveOutcome::Removed ? RemoveOutcome::Removed
                                                 : RemoveOutcome::AlreadyRemoved;
}

asio::awaitable<Result<ContainerStatus>> DockerRuntime::inspect(const ContainerId& id) {
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info, co_await impl_->api.inspectContainer(id.value));
  co_return detail::toStatus(info);
}

asio::awaitable<Result<void>> DockerRuntime::waitHealthy(const ContainerId& id,
                                                         std::chrono::nanoseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  auto& d = *impl_;
  const auto deadline = d.clock.steady() + timeout;
  std::string lastSeen = "unknown";
  std::string name = id.value;
  std::unique_ptr<engine::EventsStream> stream;
  {
    // Most containers without a healthcheck are ready the moment start returns: one look first
    // spares them an events connection each (a wide stack would open one per container).
    LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info, co_await d.api.inspectContainer(id.value));
    const ContainerStatus st = detail::toStatus(info);
    if (st.state == ContainerState::Healthy || (st.state == ContainerState::Running && !st.hasHealthcheck)) {
      co_return ok();
    }
  }
  for (;;) {
    if (!stream) {
      // Subscribe first, then look: a transition between the two is never missed.
      engine::EventsOptions o;
      o.filters["type"] = {"container"};
      o.filters["container"] = {id.value};
      auto opened = co_await d.api.events(o);
      if (!opened) {
        co_return std::move(opened).error();
      }
      stream = std::move(opened).value();
      LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info, co_await d.api.inspectContainer(id.value));
      name = info.name;
      const ContainerStatus st = detail::toStatus(info);
      lastSeen = std::string(containerStateName(st.state));
      if (st.state == ContainerState::Healthy ||
          (st.state == ContainerState::Running && !st.hasHealthcheck)) {
        co_return ok();
      }
      if (st.state == ContainerState::Stopped) {
        co_return co_await d.exitedBeforeReady(id.value, name, st.exitCode.value_or(-1));
      }
    }
    auto r = co_await (stream->next() || d.clock.sleepUntil(deadline));
    if (r.index() == 1) {
      co_return Error(Errc::Timeout, "container " + q(name) + " was not ready after " +
                                         formatDuration(timeout) + " (last state: " + lastSeen + ")");
    }
    auto ev = std::get<0>(std::move(r));
    if (!ev || !*ev) {
      if (!ev && ev.error().code() == Errc::Cancelled) {
        co_return std::move(ev).error();
      }
      stream.reset();  // re-subscribe and re-inspect
      LS_CO_TRY(co_await d.clock.sleepFor(100ms));
      continue;
    }
    const engine::EngineEvent& e = **ev;
    if (e.action == "health_status: healthy") {
      co_return ok();
    }
    if (e.action == "health_status: unhealthy") {
      lastSeen = "unhealthy";
    } else if (e.action == "start") {
      // Without a healthcheck, running is ready; with one, keep waiting for health_status.
      LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info, co_await d.api.inspectContainer(id.value));
      const ContainerStatus st = detail::toStatus(info);
      lastSeen = std::string(containerStateName(st.state));
      if (st.state == ContainerState::Healthy || (st.state == ContainerState::Running && !st.hasHealthcheck)) {
        co_return ok();
      }
    } else if (e.action == "die") {
      int code = -1;
      if (auto it = e.attributes.find("exitCode"); it != e.attributes.end()) {
        code = std::atoi(it->second.c_str());
      }
      co_return co_await d.exitedBeforeReady(id.value, name, code);
    } else if (e.action == "destroy") {
      co_return Error(Errc::NotFound, "container " + q(name) + " was removed before becoming ready");
    }
  }
}

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
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info, co_await impl_->api.inspectContainer(id.value));
  LS_CO_ASSIGN_OR_RETURN(auto s, co_await impl_->api.logs(id.value, o, info.tty));
  co_return std::make_unique<DockerLogStream>(std::move(s));
}

namespace {

/// Inspects of one listing, run by a few workers at once (each on a pooled connection), so a
/// 50-container project costs a few round trips of latency instead of 50. The workers belong to
/// the listing's task group: a cancelled caller cancels them and waits for them.
struct InspectBatch {
  std::vector<std::string> ids;
  std::vector<std::optional<Result<engine::ContainerInfo>>> results;
  std::size_t next = 0;
};

constexpr std::size_t kInspectWorkers = 8;

asio::awaitable<void> inspectWorker(engine::Api& api, std::shared_ptr<InspectBatch> batch) {
  while (batch->next < batch->ids.size()) {
    if (co_await ls::detail::cancelled()) {
      co_return;
    }
    const std::size_t i = batch->next++;
    batch->results[i] = co_await api.inspectContainer(batch->ids[i]);
  }
}

}  // namespace

asio::awaitable<Result<std::vector<ManagedContainer>>> DockerRuntime::listManaged(
    const std::string& project) {
  auto& d = *impl_;
  std::vector<std::string> filter{std::string(kLabelProject) + "=" + project};
  LS_CO_ASSIGN_OR_RETURN(auto list, co_await d.api.listContainers(filter, true));
  // The listing has no health nor exit code: inspect each, concurrently.
  auto batch = std::make_shared<InspectBatch>();
  for (const auto& c : list) {
    batch->ids.push_back(c.id);
  }
  batch->results.resize(list.size());
  if (!list.empty()) {
    auto ex = co_await asio::this_coro::executor;
    ls::detail::TaskGroup workers;
    for (std::size_t w = 0; w < std::min(kInspectWorkers, list.size()); ++w) {
      workers.spawn(ex, inspectWorker(d.api, batch));
    }
    Result<void> waited = co_await workers.waitEmpty();
    if (!waited) {
      workers.cancelAll();
      co_await asio::this_coro::reset_cancellation_state();
      while (!workers.empty()) {
        (void)co_await workers.waitEmpty();
      }
      co_return Error(Errc::Cancelled, "listing the containers of project " + q(project) + " was cancelled");
    }
  }
  std::vector<ManagedContainer> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& c = list[i];
    ManagedContainer m;
    m.id = ContainerId{c.id};
    m.name = c.names.empty() ? c.id : c.names.front();
    if (auto it = c.labels.find(kLabelResource); it != c.labels.end()) {
      m.resource = it->second;
    }
    if (auto it = c.labels.find(kLabelConfigHash); it != c.labels.end()) {
      m.configHash = it->second;
    }
    Result<engine::ContainerInfo>& info = *batch->results[i];
    if (!info) {
      if (info.error().code() == Errc::NotFound) {
        continue;  // removed between the listing and the inspect
      }
      co_return std::move(info).error();
    }
    m.status = detail::toStatus(*info);
    m.image = info->image;
    for (const auto& bind : info->binds) {
      // "name:/path[:opts]" is a named volume; "/host/path:/path" a bind mount.
      if (!bind.empty() && bind.front() != '/') {
        m.namedVolumes.push_back(bind.substr(0, bind.find(':')));
      }
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const ManagedContainer& a, const ManagedContainer& b) {
    return std::tie(a.resource, a.name) < std::tie(b.resource, b.name);
  });
  co_return out;
}

// create -> start attached -> read every chunk -> exit code. Errors never echo the command.
asio::awaitable<Result<ExecResult>> DockerRuntime::Impl::execUnbounded(const std::string& id,
                                                                       const ExecRequest& request) {
  engine::ExecCreate create;
  create.cmd = request.cmd;
  create.env = request.env;
  create.workingDir = request.workingDir;
  create.user = request.user;
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
    std::string* target = c.stream == engine::StreamKind::Stderr ? &out.stderrText : &out.stdoutText;
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
  if (request.cmd.empty()) {
    co_return Error(Errc::InvalidArgument, "exec in container " + q(id.value) + ": empty command");
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

namespace {

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
      co_return Error(Errc::FailedPrecondition,
                      std::string("writing to an exec in container ") + q(containerId_) + ": stdin is " +
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

asio::awaitable<Result<std::unique_ptr<ExecSession>>> DockerRuntime::execInteractive(
    const ContainerId& id, const InteractiveExecRequest& request) {
  auto& d = *impl_;
  if (request.cmd.empty()) {
    co_return Error(Errc::InvalidArgument, "exec in container " + q(id.value) + ": empty command");
  }
  engine::ExecCreate create;
  create.cmd = request.cmd;
  create.env = request.env;
  create.workingDir = request.workingDir;
  create.user = request.user;
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
    Result<void> resized = co_await resizeExecWhenRunning(d.api, d.clock, execId, *create.consoleSize);
    if (!resized && resized.error().code() == Errc::Cancelled) {
      co_return std::move(resized).error();
    }
  }
  co_return std::unique_ptr<ExecSession>(std::make_unique<DockerExecSession>(
      d.api, d.clock, id.value, std::move(execId), std::move(stream), request.tty,
      request.attachStdin));
}

asio::awaitable<Result<RemoveOutcome>> DockerRuntime::removeVolume(const std::string& name) {
  LS_CO_ASSIGN_OR_RETURN(engine::RemoveOutcome r, co_await impl_->api.removeVolume(name));
  co_return r == engine::RemoveOutcome::Removed ? RemoveOutcome::Removed : RemoveOutcome::AlreadyRemoved;
}

asio::awaitable<Result<void>> DockerRuntime::ping() {
  // A new connection: a dockerd that is stopping closed its listener but still answers on the
  // connections it had accepted (it stops the containers meanwhile).
  engine::Request req{.method = "HEAD", .path = "/_ping", .timeout = std::chrono::milliseconds(2000),
                      .versioned = false, .fresh = true, .operation = "ping the engine"};
  LS_CO_ASSIGN_OR_RETURN(auto res, co_await impl_->client.request(std::move(req)));
  (void)res;
  co_return ok();
}

asio::awaitable<Result<std::unique_ptr<EventStream>>> DockerRuntime::events(const EventFilter& filter) {
  auto& d = *impl_;
  LS_CO_ASSIGN_OR_RETURN(auto first, co_await DockerEventStream::open(d.api, filter, std::nullopt));
  co_return std::make_unique<DockerEventStream>(d.api, d.clock, filter, std::move(first));
}

asio::awaitable<Result<void>> DockerRuntime::pullImage(const std::string& reference, PullPolicy policy,
                                                       const ProgressCallback& onProgress) {
  auto& d = *impl_;
  if (policy != PullPolicy::Always) {
    auto local = co_await d.api.inspectImage(reference);
    if (local) {
      co_return ok();
    }
    if (local.error().code() != Errc::NotFound) {
      co_return std::move(local).error();
    }
    if (policy == PullPolicy::Never) {
      co_return Error(Errc::NotFound, "image " + q(reference) +
                                          " is not present locally and the pull policy is 'never'; "
                                          "build or pull it first");
    }
  }
  auto progress = [&](const engine::PullProgress& p) {
    if (onProgress) {
      onProgress(ImageProgress{.image = reference, .id = p.id, .status = p.status,
                               .current = p.current, .total = p.total});
    }
  };
  co_return co_await d.api.pullImage(reference, progress);
}

asio::awaitable<Result<std::string>> DockerRuntime::buildImage(const BuildImage& build,
                                                               const ProgressCallback& onProgress) {
  auto& d = *impl_;
  const std::string what = "build image " + q(build.tag);
  auto dockerfile =
      detail::resolveDockerfile(build.context, build.dockerfile.empty() ? "Dockerfile" : build.dockerfile);
  if (!dockerfile) {
    co_return std::move(dockerfile).error().context(what);
  }
  auto tarring = tarContext(build.context, *dockerfile);
  auto tar = co_await asio::co_spawn(d.blocking, std::move(tarring), asio::use_awaitable);
  if (!tar) {
    co_return std::move(tar).error().context(what);
  }
  engine::BuildOptions o;
  o.tag = build.tag;
  o.dockerfile = *dockerfile;
  o.target = build.target;
  o.buildArgs = build.buildArgs;
  o.labels = build.labels;
  auto progress = [&](const engine::BuildProgress& p) {
    if (onProgress && !p.stream.empty()) {
      onProgress(ImageProgress{.image = build.tag, .status = p.stream});
    }
  };
  co_return co_await d.api.buildImage(std::move(tar).value(), o, progress);
}

asio::awaitable<Result<PreparedImage>> DockerRuntime::prepareImage(
    const ImageSource& image, const ProgressCallback& onProgress) {
  auto& d = *impl_;
  PreparedImage out;
  if (const auto* build = std::get_if<BuildImage>(&image)) {
    out.reference = build->tag;
    out.built = true;
    LS_CO_ASSIGN_OR_RETURN(out.id, co_await buildImage(*build, onProgress));
    co_return out;
  }
  const auto& pull = std::get<PullImage>(image);
  out.reference = pull.reference;
  if (pull.policy != PullPolicy::Always) {
    auto local = co_await d.api.inspectImage(pull.reference);
    if (local) {
      out.id = local->id;
      co_return out;
    }
    if (local.error().code() != Errc::NotFound) {
      co_return std::move(local).error();
    }
    if (pull.policy == PullPolicy::Never) {
      co_return Error(Errc::NotFound, "image " + q(pull.reference) +
                                          " is not present locally and the pull policy is 'never'; "
                                          "build or pull it first");
    }
  }
  auto progress = [&](const engine::PullProgress& p) {
    if (onProgress) {
      onProgress(ImageProgress{.image = pull.reference, .id = p.id, .status = p.status,
                               .current = p.current, .total = p.total});
    }
  };
  LS_CO_TRY(co_await d.api.pullImage(pull.reference, progress));
  out.pulled = true;
  LS_CO_ASSIGN_OR_RETURN(engine::ImageInfo info, co_await d.api.inspectImage(pull.reference));
  out.id = std::move(info.id);
  co_return out;
}

}  // namespace ls::runtime
