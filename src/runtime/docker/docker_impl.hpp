// DockerRuntime's private state, shared by the files that implement its methods
// (docker_runtime.cpp: the core; docker_containers.cpp: kill, wait, stats, update, archives...;
// docker_images.cpp: image operations). Not a public header.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"

namespace ls::runtime {

namespace asio = boost::asio;

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

  asio::awaitable<Result<NetworkOutcome>> ensureNetworkOnce(const std::string& project);
  asio::awaitable<std::string> lastLogLines(const std::string& id, std::size_t n);
  asio::awaitable<Error> exitedBeforeReady(const std::string& id, const std::string& name,
                                           int exitCode);
  asio::awaitable<Result<ExecResult>> execUnbounded(const std::string& id,
                                                    const ExecRequest& request);
};

}  // namespace ls::runtime
