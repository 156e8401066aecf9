// DockerRuntime's core: construction, stop, remove, inspect, the readiness wait, the managed
// listing, volumes and ping. Start, streams, exec and pull/build live in the sibling files.
#include "lightshuttle/runtime/docker_runtime.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdlib>
#include <variant>

#include "core/async.hpp"
#include "lightshuttle/engine/api.hpp"
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

DockerRuntime::DockerRuntime(engine::Client& client, Clock& clock)
    : impl_(std::make_unique<Impl>(client, clock)) {}
DockerRuntime::~DockerRuntime() = default;

asio::awaitable<std::string> DockerRuntime::Impl::lastLogLines(const std::string& id,
                                                               std::size_t n) {
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

asio::awaitable<Result<StopOutcome>> DockerRuntime::stop(const ContainerId& id,
                                                         std::chrono::nanoseconds grace) {
  auto& d = *impl_;
  if (grace < 0ns) {
    grace = 0ns;
  }
  if (grace % 1s == 0ns) {
    LS_CO_ASSIGN_OR_RETURN(engine::StopOutcome out,
                           co_await d.api.stopContainer(
                               id.value, std::chrono::duration_cast<std::chrono::seconds>(grace)));
    co_return out == engine::StopOutcome::Stopped ? StopOutcome::Stopped
                                                  : StopOutcome::AlreadyStopped;
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
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerInfo info,
                         co_await impl_->api.inspectContainer(id.value));
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
    if (st.state == ContainerState::Healthy ||
        (st.state == ContainerState::Running && !st.hasHealthcheck)) {
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
                                         formatDuration(timeout) + " (last state: " + lastSeen +
                                         ")");
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
      if (st.state == ContainerState::Healthy ||
          (st.state == ContainerState::Running && !st.hasHealthcheck)) {
        co_return ok();
      }
    } else if (e.action == "die") {
      int code = -1;
      if (auto it = e.attributes.find("exitCode"); it != e.attributes.end()) {
        code = std::atoi(it->second.c_str());
      }
      co_return co_await d.exitedBeforeReady(id.value, name, code);
    } else if (isRemovalAction(e.action)) {
      co_return Error(Errc::NotFound,
                      "container " + q(name) + " was removed before becoming ready");
    }
  }
}

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
      co_return Error(Errc::Cancelled,
                      "listing the containers of project " + q(project) + " was cancelled");
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
    m.image = d.imageName(info->image);
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

asio::awaitable<Result<RemoveOutcome>> DockerRuntime::removeVolume(const std::string& name) {
  LS_CO_ASSIGN_OR_RETURN(engine::RemoveOutcome r, co_await impl_->api.removeVolume(name));
  co_return r == engine::RemoveOutcome::Removed ? RemoveOutcome::Removed
                                                : RemoveOutcome::AlreadyRemoved;
}

asio::awaitable<Result<void>> DockerRuntime::ping() {
  // A new connection: a dockerd that is stopping closed its listener but still answers on the
  // connections it had accepted (it stops the containers meanwhile).
  engine::Request req{.method = "HEAD",
                      .path = "/_ping",
                      .timeout = std::chrono::milliseconds(2000),
                      .versioned = false,
                      .fresh = true,
                      .operation = "ping the engine"};
  LS_CO_ASSIGN_OR_RETURN(auto res, co_await impl_->client.request(std::move(req)));
  (void)res;
  co_return ok();
}

}  // namespace ls::runtime
