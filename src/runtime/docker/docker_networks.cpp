// DockerRuntime: the project network (ensure, tear down), and the answers podman gives as
// server errors where Docker's say what happened (network inspect, exec in a stopped
// container, a taken name).
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <vector>

#include "core/asio_fwd.hpp"
#include "core/async.hpp"
#include "engine/mapping.hpp"
#include "lightshuttle/core/scope_guard.hpp"
#include "runtime/docker/docker_impl.hpp"

namespace ls::runtime {
namespace {

/// GET /networks?filters={"name":[name]}: the networks whose name contains `name`. Docker's
/// listing leaves the attached containers out; podman's fills them in without failing on a
/// container that is half gone.
asio::awaitable<Result<std::vector<engine::NetworkInfo>>> listNetworksNamed(
    engine::Client& client, const std::string& name) {
  engine::Request req{.path = "/networks", .operation = "list networks named " + q(name)};
  req.query.emplace_back("filters", engine::encodeFilters({{"name", {name}}}));
  LS_CO_ASSIGN_OR_RETURN(engine::Response res, co_await client.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, engine::parseBody(res.body, "list networks"));
  if (!v.is_array()) {
    co_return Error(Errc::InvalidArgument, "list networks: the engine's answer is not a list");
  }
  std::vector<engine::NetworkInfo> out;
  for (const auto& item : v.as_array()) {
    LS_CO_ASSIGN_OR_RETURN(engine::NetworkInfo n, engine::decodeNetworkInfo(item));
    out.push_back(std::move(n));
  }
  co_return out;
}

// Attempts of findNetwork while the engine answers server errors: 50 ms, then 100, 150, ...
// up to 450 ms (2.25 s of pauses in all), about as long as a stack's removal keeps containers
// half gone.
constexpr int kNetworkLookupAttempts = 10;
constexpr auto kNetworkLookupStep = std::chrono::milliseconds(50);

}  // namespace

bool transientInspectFailure(const Error& e) {
  return e.code() == Errc::Internal && e.engine().has_value() && e.engine()->status >= 500;
}

asio::awaitable<Result<engine::NetworkInfo>> DockerRuntime::Impl::findNetwork(
    const std::string& name) {
  for (int attempt = 1;; ++attempt) {
    auto inspected = co_await api.inspectNetwork(name);
    if (inspected || !transientInspectFailure(inspected.error())) {
      co_return inspected;
    }
    // The listing by exact name (the "name" filter matches substrings) answers when only the
    // inspect's container resolution failed.
    auto listed = co_await listNetworksNamed(client, name);
    if (listed) {
      for (engine::NetworkInfo& n : *listed) {
        if (n.name == name) {
          co_return std::move(n);
        }
      }
      co_return Error(Errc::NotFound, "network " + q(name) + " not found");
    }
    if (attempt == kNetworkLookupAttempts || !transientInspectFailure(listed.error())) {
      co_return std::move(inspected).error();  // the inspect's answer explains more
    }
    LS_CO_TRY(co_await clock.sleepFor(kNetworkLookupStep * attempt));
  }
}

asio::awaitable<Result<NetworkOutcome>> DockerRuntime::Impl::ensureNetworkOnce(
    const std::string& project) {
  const std::string name = projectNetworkName(project);
  auto existing = co_await findNetwork(name);
  if (existing) {
    auto it = existing->labels.find(kLabelProject);
    if (it == existing->labels.end() || it->second != project) {
      co_return Error(Errc::FailedPrecondition,
                      "network " + q(name) +
                          " exists but was not created by lightshuttle for "
                          "project " +
                          q(project) +
                          "; it is left untouched: remove or rename it, "
                          "or choose another project name")
          .withReason("foreign_network");
    }
    co_return NetworkOutcome::AlreadyExisted;
  }
  if (existing.error().code() != Errc::NotFound) {
    co_return std::move(existing).error();
  }
  engine::NetworkCreate spec;
  spec.name = name;
  spec.labels[kLabelProject] = project;
  auto created = co_await api.createNetwork(spec);
  if (!created) {
    if (created.error().code() == Errc::Conflict) {
      co_return NetworkOutcome::AlreadyExisted;  // another process created it meanwhile
    }
    co_return std::move(created).error();
  }
  co_return NetworkOutcome::Created;
}

asio::awaitable<Result<NetworkOutcome>> DockerRuntime::ensureProjectNetwork(
    const std::string& project) {
  auto& d = *impl_;
  // Concurrent callers in this process wait for the one in flight, then re-check.
  while (d.ensuring.count(project) > 0) {
    auto timer = d.ensuring[project];
    auto [ec] = co_await timer->async_wait(ls::detail::kUseTuple);
    (void)ec;
  }
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
  d.ensuring[project] = timer;
  auto done = ScopeGuard([&d, &project, timer] {
    d.ensuring.erase(project);
    timer->cancel();
  });
  auto outcome = co_await d.ensureNetworkOnce(project);
  if (outcome) {
    d.networksReady.insert(project);
  }
  co_return outcome;
}

asio::awaitable<Result<RemoveOutcome>> DockerRuntime::teardownProjectNetwork(
    const std::string& project) {
  auto& d = *impl_;
  d.networksReady.erase(project);
  const std::string name = projectNetworkName(project);
  auto existing = co_await d.findNetwork(name);
  if (!existing) {
    if (existing.error().code() == Errc::NotFound) {
      co_return RemoveOutcome::AlreadyRemoved;
    }
    co_return std::move(existing).error();
  }
  auto it = existing->labels.find(kLabelProject);
  if (it == existing->labels.end() || it->second != project) {
    co_return Error(Errc::FailedPrecondition, "network " + q(name) +
                                                  " was not created by lightshuttle for project " +
                                                  q(project) + "; it is left untouched")
        .withReason("foreign_network");
  }
  if (!existing->containerIds.empty()) {
    co_return Error(Errc::FailedPrecondition, "network " + q(name) + " still has " +
                                                  std::to_string(existing->containerIds.size()) +
                                                  " container(s) attached; remove them first")
        .withReason("network_in_use");
  }
  auto removed = co_await d.api.removeNetwork(existing->id);
  if (!removed) {
    co_return std::move(removed).error();
  }
  co_return *removed == engine::RemoveOutcome::Removed ? RemoveOutcome::Removed
                                                       : RemoveOutcome::AlreadyRemoved;
}

// --- containers: answers podman gives as server errors --------------------------------------

asio::awaitable<Result<std::string>> DockerRuntime::Impl::createExec(
    const std::string& id, const engine::ExecCreate& create) {
  auto created = co_await api.createExec(id, create);
  if (created || !transientInspectFailure(created.error())) {
    co_return created;
  }
  auto info = co_await api.inspectContainer(id);
  if (!info) {
    if (info.error().code() == Errc::NotFound) {
      co_return std::move(info).error();
    }
    co_return std::move(created).error();
  }
  if (!info->state.running || info->state.paused) {
    const auto& engineSaid = *created.error().engine();
    co_return Error(Errc::Conflict, "exec in container " + q(id) + ": it is not running")
        .withEngine(engineSaid.status, engineSaid.message);
  }
  co_return std::move(created).error();
}

asio::awaitable<bool> DockerRuntime::Impl::notRunningAfterServerError(const Error& failure,
                                                                      const std::string& id) {
  if (!transientInspectFailure(failure)) {
    co_return false;
  }
  auto info = co_await api.inspectContainer(id);
  if (!info) {
    co_return info.error().code() == Errc::NotFound;
  }
  co_return !info->state.running;
}

asio::awaitable<bool> DockerRuntime::Impl::networkGoneAfterServerError(const Error& failure,
                                                                       const std::string& project) {
  if (!transientInspectFailure(failure)) {
    co_return false;
  }
  auto network = co_await findNetwork(projectNetworkName(project));
  co_return !network && network.error().code() == Errc::NotFound;
}

}  // namespace ls::runtime
