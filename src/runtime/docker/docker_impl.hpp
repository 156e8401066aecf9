// DockerRuntime's private state, shared by the files that implement its methods
// (docker_runtime.cpp: the core; docker_start.cpp: start; docker_streams.cpp: logs and events;
// docker_exec.cpp: exec; docker_containers.cpp: kill, wait, stats, update, archives...;
// docker_images.cpp: pull, build and image operations; docker_networks.cpp: the project
// network). Not a public header.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"

namespace ls::runtime {

namespace asio = boost::asio;

/// `s` in single quotes, as messages quote names and ids.
std::string q(std::string_view s);

/// The engine's exec create for a request's argv, env, working directory and user (an
/// ExecRequest or an InteractiveExecRequest), or InvalidArgument for an empty command.
template <typename Request>
Result<engine::ExecCreate> execCreateFor(const std::string& id, const Request& request) {
  if (request.cmd.empty()) {
    return Error(Errc::InvalidArgument, "exec in container " + q(id) + ": empty command");
  }
  engine::ExecCreate create;
  create.cmd = request.cmd;
  create.env = request.env;
  create.workingDir = request.workingDir;
  create.user = request.user;
  return create;
}
/// A duration for messages, in seconds ("1.5s").
std::string formatDuration(std::chrono::nanoseconds d);

/// Whether a failed request may be answered by looking again (an inspect, a listing): the
/// engine answered with a server error. Podman 4.3 answers 500 where Docker says what happened
/// (404, 409), and while a container of a network is half removed (containers/podman#16453,
/// #17341). NotFound is an answer; a refused or broken connection, a timeout or a cancellation
/// would fail again the same way.
bool transientInspectFailure(const Error& e);

/// Whether an engine event's action is a container's removal: Docker's "destroy", or podman
/// 4.3's "remove" (its compat events keep libpod's name for it).
inline bool isRemovalAction(std::string_view action) {
  return action == "destroy" || action == "remove";
}

/// An image name as Docker reports it, from podman's fully qualified one (`localhost/x` and
/// `docker.io/x` are Docker's `x`; docker_images.cpp). Only for names podman reported.
std::string familiarImageName(std::string_view name);

struct DockerRuntime::Impl {
  Impl(engine::Client& c, Clock& k) : client(c), api(c), clock(k) {}
  engine::Client& client;
  engine::Api api;
  Clock& clock;
  /// Blocking work (tarring build contexts) runs here so the loop keeps serving events.
  asio::thread_pool blocking{1};
  /// Projects whose network creation is in flight: later callers wait on the timer.
  std::map<std::string, std::shared_ptr<asio::steady_timer>> ensuring;
  /// Projects whose network this runtime ensured (start skips the check; a create that finds
  /// it gone takes the slow path, which ensures it again).
  std::set<std::string> networksReady;
  /// Set by the first native check whose container address did not answer (docker_probe.cpp):
  /// this engine's containers are not routed here, later checks are Unsupported at once.
  std::shared_ptr<bool> nativeUnreachable = std::make_shared<bool>(false);

  /// Whether the engine is podman (its `Libpod-API-Version` header); known once any versioned
  /// request has negotiated, false before.
  bool podman() const { return client.pingInfo() && client.pingInfo()->podman; }
  /// A container's image as Docker would name it (podman's `localhost/x` is `x`).
  std::string imageName(const std::string& name) const {
    return podman() ? familiarImageName(name) : name;
  }
  /// Negotiates unless done, so that podman() answers before a request that depends on it.
  asio::awaitable<Result<void>> knowEngine() {
    if (!client.pingInfo()) {
      LS_CO_TRY(co_await client.negotiate());
    }
    co_return ok();
  }

  asio::awaitable<Result<NetworkOutcome>> ensureNetworkOnce(const std::string& project);
  /// GET /networks/{name}; while the engine answers a server error there (podman 4.3 while a
  /// container of the network is half removed), the network as the listing by name shows it.
  asio::awaitable<Result<engine::NetworkInfo>> findNetwork(const std::string& name);
  /// POST /containers/{id}/exec. Docker answers 409 for a container that is not running;
  /// podman 4.3 answers 500 ("container state improper"): after a server error the container
  /// is inspected, and one that is not running is Conflict, one that is gone NotFound.
  asio::awaitable<Result<std::string>> createExec(const std::string& id,
                                                  const engine::ExecCreate& create);
  /// After a server error (podman 4.3's answer where Docker's is 409, or its wait racing the
  /// exit: "container has already been removed"): whether the container is gone or not running.
  asio::awaitable<bool> notRunningAfterServerError(const Error& failure, const std::string& id);
  /// After a server error from a create: whether the project's network is gone (podman 4.3
  /// answers 500 "network not found" where Docker answers 404).
  asio::awaitable<bool> networkGoneAfterServerError(const Error& failure,
                                                    const std::string& project);
  asio::awaitable<std::string> lastLogLines(const std::string& id, std::size_t n);
  asio::awaitable<Error> exitedBeforeReady(const std::string& id, const std::string& name,
                                           int exitCode);
  asio::awaitable<Result<ExecResult>> execUnbounded(const std::string& id,
                                                    const ExecRequest& request);
};

}  // namespace ls::runtime
