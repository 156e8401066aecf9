// File: lightshuttle/runtime/docker_runtime.hpp
//
// The `Runtime` backed by the Docker Engine API (or podman's compatible API), with the wider
// surface beside it: `ContainerOps`, `ImageOps` and `ArchiveOps`.
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
#include "lightshuttle/runtime/archive_ops.hpp"
#include "lightshuttle/runtime/container_ops.hpp"
#include "lightshuttle/runtime/image_ops.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::engine {
struct ContainerCreate;
}  // namespace ls::engine

namespace ls::runtime {

/// The engine's create body for `spec`, as `DockerRuntime::start` sends it (labels, the project
/// network with the resource as DNS alias, ports on 127.0.0.1, healthcheck). For callers that
/// create a variant of a resource's container themselves (`lightshuttle run`).
engine::ContainerCreate containerCreateFor(const ContainerSpec& spec);

class DockerRuntime final : public Runtime,
                            public ContainerOps,
                            public ImageOps,
                            public ArchiveOps {
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
  /// HEAD /_ping on a new connection (a stopping engine still answers on pooled ones).
  boost::asio::awaitable<Result<void>> ping() override;
  boost::asio::awaitable<Result<std::unique_ptr<EventStream>>> events(
      const EventFilter& filter) override;
  boost::asio::awaitable<Result<void>> pullImage(const std::string& reference, PullPolicy policy,
                                                 const ProgressCallback& onProgress) override;
  boost::asio::awaitable<Result<RemoveOutcome>> removeVolume(const std::string& name) override;
  /// createExec -> startExec (attached, no TTY) -> exit code; each stream capped at
  /// kExecOutputCap bytes. NotFound (no such container), Conflict (not running), Timeout.
  boost::asio::awaitable<Result<ExecResult>> exec(const ContainerId& id,
                                                  const ExecRequest& request) override;
  /// createExec -> start on a hijacked connection (101 UPGRADED) -> initial resize on engines
  /// before API 1.42 (newer ones get ConsoleSize). NotFound (no such container), Conflict (not
  /// running).
  /// A TCP check of the container's network address, for an engine on a local unix socket
  /// (a remote engine's addresses are not this host's); Unsupported otherwise, and for every
  /// later call once an address did not answer a connect within 500 ms.
  boost::asio::awaitable<Result<std::unique_ptr<NativeProber>>> nativeProber(
      const ContainerId& id, const NativeCheck& check) override;
  boost::asio::awaitable<Result<std::unique_ptr<ExecSession>>> execInteractive(
      const ContainerId& id, const InteractiveExecRequest& request) override;
  boost::asio::awaitable<Result<std::string>> buildImage(
      const BuildImage& build, const ProgressCallback& onProgress) override;
  /// `stop` with the grace (sub-second graces honoured), then POST /containers/{id}/start.
  boost::asio::awaitable<Result<void>> restart(const ContainerId& id,
                                               std::chrono::nanoseconds grace) override;
  /// GET /containers/{id}/stats?stream=0[&one-shot=1 on API 1.41+]; Conflict when the container
  /// is not running. statsStream: stream=1, ending when the container stops.
  boost::asio::awaitable<Result<StatsSample>> stats(const ContainerId& id) override;
  boost::asio::awaitable<Result<std::unique_ptr<StatsStream>>> statsStream(
      const ContainerId& id) override;
  /// archiveHead (a path that is neither a directory nor a symlink is InvalidArgument on every
  /// engine version), then PUT /containers/{id}/archive with the tar.
  boost::asio::awaitable<Result<void>> archivePut(const ContainerId& id, const std::string& path,
                                                  const std::string& tar,
                                                  const ArchivePutOptions& options) override;

  // --- ContainerOps (docker_containers.cpp). Engine endpoints and specifics:
  //  - kill: POST /containers/{id}/kill?signal=<canonical name>; the signal is validated
  //    first (validateSignal; empty = SIGKILL). Conflict when the container is not running;
  //  - wait: POST /containers/{id}/wait?condition=..., then inspect for OOMKilled, Error and
  //    FinishedAt (not for Removed: the container is gone). No request timeout: only the
  //    response header is bounded; cancel the caller to stop waiting;
  //  - rename: POST /containers/{id}/rename?name= (InvalidArgument for a name the engine
  //    refuses, before any request; Conflict when taken);
  //  - pause / unpause: POST /containers/{id}/pause|unpause (Conflict in the wrong state);
  //  - update: POST /containers/{id}/update (no call for an empty update); the engine's
  //    warnings; InvalidArgument (400) for limits it refuses;
  //  - top: GET /containers/{id}/top?ps_args= (InvalidArgument for an argument with whitespace:
  //    the engine splits ps_args on spaces; on podman, ps(1)'s -e/-f/-o become its format
  //    descriptors); changes: GET /containers/{id}/changes;
  //  - portMappings / inspectDetailed: GET /containers/{id}/json (NetworkSettings.Ports with
  //    exposed-only entries and sctp; the last health probe's output; pid while running);
  //  - pruneContainers: POST /containers/prune without filters: every stopped container of the
  //    engine, LightShuttle's or not;
  //  - execStream: exec create + attached start; Stdout/Stderr events as the engine delivers
  //    them, then one Exit with the code from GET /exec/{id}/json once it reports the process
  //    stopped (polled; a missing code is an error, never 0). `request.timeout` bounds the
  //    whole stream (Timeout).
  boost::asio::awaitable<Result<void>> kill(const ContainerId& id,
                                            const std::string& signal) override;
  boost::asio::awaitable<Result<WaitOutcome>> wait(const ContainerId& id,
                                                   WaitCondition condition) override;
  boost::asio::awaitable<Result<void>> rename(const ContainerId& id,
                                              const std::string& newName) override;
  boost::asio::awaitable<Result<void>> pause(const ContainerId& id) override;
  boost::asio::awaitable<Result<void>> unpause(const ContainerId& id) override;
  boost::asio::awaitable<Result<UpdateOutcome>> update(const ContainerId& id,
                                                       const ResourceUpdate& update) override;
  boost::asio::awaitable<Result<TopOutput>> top(const ContainerId& id,
                                                const std::vector<std::string>& psArgs) override;
  boost::asio::awaitable<Result<std::vector<FilesystemChange>>> changes(
      const ContainerId& id) override;
  boost::asio::awaitable<Result<std::vector<PortMapping>>> portMappings(
      const ContainerId& id) override;
  boost::asio::awaitable<Result<ContainerDetails>> inspectDetailed(const ContainerId& id) override;
  boost::asio::awaitable<Result<PruneReport>> pruneContainers() override;
  boost::asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> execStream(
      const ContainerId& id, const ExecRequest& request) override;

  // --- ArchiveOps and ImageOps (docker_images.cpp) ---
  /// HEAD /containers/{id}/archive?path= (the X-Docker-Container-Path-Stat header).
  boost::asio::awaitable<Result<PathStat>> archiveHead(const ContainerId& id,
                                                       const std::string& path) override;
  /// archiveHead, then GET /containers/{id}/archive?path= streamed.
  boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> archiveGet(
      const ContainerId& id, const std::string& path) override;
  /// GET /containers/{id}/export streamed.
  boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> exportContainer(
      const ContainerId& id) override;
  /// POST /commit (pauses the container unless `options.pause` is false, as Docker does).
  boost::asio::awaitable<Result<std::string>> commit(const ContainerId& id,
                                                     const CommitOptions& options) override;
  /// GET /images/json.
  boost::asio::awaitable<Result<std::vector<ImageSummary>>> listImages() override;
  /// GET /images/{name}/json.
  boost::asio::awaitable<Result<ImageDetails>> inspectImage(const std::string& reference) override;
  /// GET /images/{name}/history.
  boost::asio::awaitable<Result<std::vector<ImageHistoryEntry>>> imageHistory(
      const std::string& reference) override;
  /// POST /images/{source}/tag?repo=&tag= ("repo@sha256:..." targets are InvalidArgument).
  boost::asio::awaitable<Result<void>> tagImage(const std::string& source,
                                                const std::string& target) override;
  /// DELETE /images/{name}?force=: the untagged references and the deleted ids, in the
  /// engine's order. NotFound (not AlreadyRemoved: the caller named this image), Conflict.
  boost::asio::awaitable<Result<std::vector<std::string>>> removeImage(const std::string& reference,
                                                                       bool force) override;
  /// POST /images/prune with the dangling filter.
  boost::asio::awaitable<Result<PruneReport>> pruneImages() override;
  /// GET /images/get?names=... streamed.
  boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> saveImages(
      const std::vector<std::string>& references) override;
  /// POST /images/load with the tar; progress lines reach `onProgress`.
  boost::asio::awaitable<Result<std::vector<std::string>>> loadImages(
      const std::string& tar, const ProgressCallback& onProgress) override;
  /// POST /images/create?fromSrc=- with the root filesystem tar (never /images/load).
  boost::asio::awaitable<Result<std::string>> importImage(const std::string& rootfsTar,
                                                          const std::string& reference) override;
  /// POST /images/create?fromImage=&tag=: Status events, then one Done with the digest.
  boost::asio::awaitable<Result<std::unique_ptr<PullStream>>> pullStream(
      const std::string& reference) override;
  /// POST /images/{name}/push?tag=: progress per layer, the digest from the registry's answer.
  boost::asio::awaitable<Result<std::string>> pushImage(
      const std::string& reference, const ProgressCallback& onProgress) override;

 protected:
  /// GET /images/{ref}/json answers the id when the image is present (policy missing or never:
  /// no pull); otherwise POST /images/create, then the inspect.
  boost::asio::awaitable<Result<PreparedImage>> preparePull(
      const PullImage& pull, const ProgressCallback& onProgress) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ls::runtime
