// DockerRuntime::start: create + start on the fast path, the slow path once, the host-port probe.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <variant>

#include "engine/api_containers.hpp"
#include "lightshuttle/core/scope_guard.hpp"
#include "lightshuttle/engine/api.hpp"
#include "runtime/docker/docker_impl.hpp"
#include "runtime/docker/spec_mapping.hpp"

namespace ls::runtime {
namespace {

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
  // A name the engine refuses is refused before any request: Docker answers 400, podman 4.3
  // 500, and the project network would have been made for nothing.
  if (Result<void> named = engine::checkContainerName(spec.name); !named) {
    co_return std::move(named).error().context(what);
  }
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
    const bool networkGone =
        !created && attempt == 0 && co_await d.networkGoneAfterServerError(failure, spec.project);
    if ((failure.code() != Errc::NotFound && !networkGone) || attempt > 0) {
      if (!created) {
        // A name in use is already Conflict "name_in_use" (engine::Api: Docker's 409, podman's
        // 500 followed by an inspect of the name).
        co_return Error(created.error()).context(what);
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
      if (probe && p.hostPort &&
          hostPortInUse(p.hostAddress.empty() ? "127.0.0.1" : p.hostAddress, *p.hostPort,
                        p.protocol)) {
        const std::string addr = p.hostAddress.empty() ? "127.0.0.1" : p.hostAddress;
        co_return Error(Errc::Conflict,
                        what + ": host port " + addr + ":" + std::to_string(*p.hostPort) +
                            " is already in use (by another container or program); free it or "
                            "choose another port for " +
                            q(spec.resource))
            .withReason("port_allocated")
            .withEngine(err.engine() ? err.engine()->status : 0,
                        err.engine() ? err.engine()->message : err.message());
      }
    }
    co_return std::move(err).context(what);
  }
  co_return ContainerId{id};
}

}  // namespace ls::runtime
