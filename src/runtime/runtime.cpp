#include "lightshuttle/runtime/runtime.hpp"

#include "lightshuttle/core/sha256.hpp"

namespace ls::runtime {

std::string_view containerStateName(ContainerState s) noexcept {
  switch (s) {
    case ContainerState::Starting: return "starting";
    case ContainerState::Running: return "running";
    case ContainerState::Healthy: return "healthy";
    case ContainerState::Unhealthy: return "unhealthy";
    case ContainerState::Stopped: return "stopped";
  }
  return "unknown";
}

namespace {
/// Appends a length-prefixed field so that no two different specs serialise the same.
void put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ';';
}
}  // namespace

std::string configHash(const ContainerSpec& spec) {
  std::string s;
  put(s, "v1");
  put(s, spec.name);
  put(s, spec.project);
  put(s, spec.resource);
  if (const auto* pull = std::get_if<PullImage>(&spec.image)) {
    put(s, "pull");
    put(s, pull->reference);
  } else {
    const auto& b = std::get<BuildImage>(spec.image);
    put(s, "build");
    put(s, b.context);
    put(s, b.dockerfile);
    put(s, b.target);
    put(s, b.tag);
    for (const auto& [k, v] : b.buildArgs) {
      put(s, k);
      put(s, v);
    }
  }
  put(s, "env");
  for (const auto& [k, v] : spec.env) {
    put(s, k);
    put(s, v);
  }
  put(s, "entrypoint");
  if (spec.entrypoint) {
    for (const auto& a : *spec.entrypoint) {
      put(s, a);
    }
  }
  put(s, "command");
  if (spec.command) {
    for (const auto& a : *spec.command) {
      put(s, a);
    }
  }
  put(s, spec.workingDir.value_or(""));
  put(s, "ports");
  for (const auto& p : spec.ports) {
    put(s, std::to_string(p.containerPort));
    put(s, p.hostAddress);
    put(s, p.hostPort ? std::to_string(*p.hostPort) : "");
    put(s, protocolName(p.protocol));
  }
  put(s, "volumes");
  for (const auto& v : spec.volumes) {
    put(s, std::to_string(static_cast<int>(v.kind)));
    put(s, v.source);
    put(s, v.target);
    put(s, v.readOnly ? "ro" : "rw");
  }
  put(s, "health");
  if (spec.healthcheck) {
    for (const auto& a : spec.healthcheck->test) {
      put(s, a);
    }
    put(s, std::to_string(spec.healthcheck->interval.count()));
    put(s, std::to_string(spec.healthcheck->timeout.count()));
    put(s, std::to_string(spec.healthcheck->retries));
    put(s, std::to_string(spec.healthcheck->startPeriod.count()));
  }
  put(s, "labels");
  for (const auto& [k, v] : spec.labels) {
    put(s, k);
    put(s, v);
  }
  put(s, spec.stopSignal);
  put(s, std::to_string(spec.stopGracePeriod.count()));
  return sha256Hex(s);
}

boost::asio::awaitable<Result<void>> Runtime::ping() {
  Result<std::vector<ManagedContainer>> listed = co_await listManaged("lightshuttle-ping-probe");
  if (!listed) {
    co_return std::move(listed).error();
  }
  co_return ok();
}

boost::asio::awaitable<Result<RemoveOutcome>> Runtime::removeVolume(const std::string& name) {
  co_return Error(Errc::Unsupported, "this runtime has no volumes (removing '" + name + "')");
}

boost::asio::awaitable<Result<ExecResult>> Runtime::exec(const ContainerId& id,
                                                         const ExecRequest& request) {
  (void)request;  // never echoed: a command may hold a secret
  co_return Error(Errc::Unsupported,
                  "this runtime cannot run commands in containers (container " + id.value + ")");
}

boost::asio::awaitable<Result<std::unique_ptr<NativeProber>>> Runtime::nativeProber(
    const ContainerId& id, const NativeCheck& check) {
  (void)check;  // never echoed: it may hold a password
  co_return Error(Errc::Unsupported,
                  "this runtime cannot reach container addresses (container " + id.value + ")");
}

boost::asio::awaitable<Result<std::unique_ptr<ExecSession>>> Runtime::execInteractive(
    const ContainerId& id, const InteractiveExecRequest& request) {
  (void)request;  // never echoed: a command may hold a secret
  co_return Error(
      Errc::Unsupported,
      "this runtime cannot run interactive commands in containers (container " + id.value + ")");
}

std::string projectNetworkName(const std::string& project) { return "lightshuttle-" + project; }

boost::asio::awaitable<Result<PreparedImage>> Runtime::prepareImage(
    const ImageSource& image, const ProgressCallback& onProgress) {
  if (const auto* build = std::get_if<BuildImage>(&image)) {
    PreparedImage out;
    out.reference = build->tag;
    out.built = true;
    LS_CO_ASSIGN_OR_RETURN(out.id, co_await buildImage(*build, onProgress));
    co_return out;
  }
  co_return co_await preparePull(std::get<PullImage>(image), onProgress);
}

boost::asio::awaitable<Result<PreparedImage>> Runtime::preparePull(
    const PullImage& pull, const ProgressCallback& onProgress) {
  PreparedImage out;
  out.reference = pull.reference;
  bool pulled = false;
  auto watch = [&](const ImageProgress& p) {
    pulled = true;
    if (onProgress) {
      onProgress(p);
    }
  };
  const ProgressCallback watching = watch;
  LS_CO_TRY(co_await pullImage(pull.reference, pull.policy, watching));
  out.pulled = pulled || pull.policy == PullPolicy::Always;
  co_return out;
}

}  // namespace ls::runtime
