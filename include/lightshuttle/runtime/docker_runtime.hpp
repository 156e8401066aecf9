// File: lightshuttle/runtime/docker_runtime.hpp
//
// The `Runtime` backed by the Docker Engine API (or podman's compatible API).
//
//   boost::asio::io_context ctx;
//   auto endpoint = ls::engine::resolveEndpoint(ls::engine::EndpointEnv::fromProcess()).value();
//   auto client = ls::engine::Client::create(endpoint);
//   auto clock = ls::makeSystemClock();
//   ls::runtime::DockerRuntime rt(*client, *clock);
//   // co_spawn coroutines that use `rt` on ctx, then ctx.run()
//
// Conventions it applies to every spec: the container is named `spec.name`, labelled
// lightshuttle.project / lightshuttle.resource / lightshuttle.config-hash, attached to the
// project's bridge network `lightshuttle-<project>` with the resource name as DNS alias, and
// publishes ports on 127.0.0.1 unless the spec names an address. Restart policies are left to
// the lifecycle manager (the engine's own restart policy stays "no").
#pragma once

#include <memory>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::runtime {

class DockerRuntime final : public Runtime {
 public:
  /// `client` and `clock` must outlive the runtime.
  DockerRuntime(engine::Client& client, Clock& clock);
  ~DockerRuntime() override;

  boost::asio::awaitable<Result<ContainerId>> start(const ContainerSpec& spec,
                                                    const StartOptions& options) override;
  boost::asio::awaitable<Result<StopOutcome>> stop(const ContainerId& id,
                                                   std::chrono::nanoseconds grace) override;
  boost::asio::awaitable<Result<RemoveOutcome>> remove(const std::string& nameOrId) override;
  boost::asio::awaitable<Result<ContainerStatus>> inspect(const ContainerId& id) override;
  boost::asio::awaitable<Result<void>> waitHealthy(const ContainerId& id,
                                                   std::chrono::nanoseconds timeout) override;
  boost::asio::awaitable<Result<std::unique_ptr<LogChunkStream>>> logs(
      const ContainerId& id, const LogOptions& options) override;
  boost::asio::awaitable<Result<NetworkOutcome>> ensureProjectNetwork(
      const std::string& project) override;
  boost::asio::awaitable<Result<RemoveOutcome>> teardownProjectNetwork(
      const std::string& project) override;
  boost::asio::awaitable<Result<std::vector<ManagedContainer>>> listManaged(
      const std::string& project) override;
  boost::asio::awaitable<Result<std::unique_ptr<EventStream>>> events(
      const EventFilter& filter) override;
  boost::asio::awaitable<Result<void>> pullImage(const std::string& reference, PullPolicy policy,
                                                 const ProgressCallback& onProgress) override;
  boost::asio::awaitable<Result<RemoveOutcome>> removeVolume(const std::string& name) override;
  /// createExec -> startExec (attached, no TTY) -> exit code; each stream capped at
  /// kExecOutputCap bytes. NotFound (no such container), Conflict (not running), Timeout.
  boost::asio::awaitable<Result<ExecResult>> exec(const ContainerId& id,
                                                  const ExecRequest& request) override;
  boost::asio::awaitable<Result<std::string>> buildImage(const BuildImage& build,
                                                         const ProgressCallback& onProgress) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ls::runtime
