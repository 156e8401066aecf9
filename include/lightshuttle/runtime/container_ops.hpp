// File: lightshuttle/runtime/container_ops.hpp
//
// `ContainerOps`: the wider container surface of an engine, beside `Runtime` (runtime.hpp),
// which has what the lifecycle needs: signals, waits, rename, pause, live updates, processes,
// filesystem changes, port mappings, the rich inspect, container prune and the streamed exec.
// `DockerRuntime` and `MemoryRuntime` implement it (operations.hpp has the value types).
//
//   ls::runtime::DockerRuntime rt(*client, *clock);
//   ls::runtime::ContainerOps& containers = rt;
//   LS_CO_ASSIGN_OR_RETURN(ls::runtime::Signal sig, ls::runtime::validateSignal("term"));
//   LS_CO_TRY(co_await containers.kill(id, sig.name));
//   LS_CO_ASSIGN_OR_RETURN(auto out, co_await containers.wait(id,
//   ls::runtime::WaitCondition::NotRunning));
//
// Threading, cancellation, lifetimes and the errors common to every call: as `Runtime`.
// Every operation is optional: the defaults return Unsupported naming the operation, never a
// silent success. `id` is a name or an id. Common errors: NotFound (no such container),
// Conflict (wrong state, e.g. kill or pause of a stopped container), InvalidArgument (bad
// argument, named).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/operations.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::runtime {

class ContainerOps {
 public:
  virtual ~ContainerOps() = default;

  /// Sends `signal` (validateSignal; empty = SIGKILL) to the main process.
  virtual boost::asio::awaitable<Result<void>> kill(const ContainerId& id,
                                                    const std::string& signal);
  /// Waits per `condition` and says how the container ended (no timeout: cancel to stop).
  virtual boost::asio::awaitable<Result<WaitOutcome>> wait(const ContainerId& id,
                                                           WaitCondition condition);
  /// Renames a container (InvalidArgument for a name Docker would refuse; Conflict when taken).
  virtual boost::asio::awaitable<Result<void>> rename(const ContainerId& id,
                                                      const std::string& newName);
  /// Freezes / thaws every process of a running container.
  virtual boost::asio::awaitable<Result<void>> pause(const ContainerId& id);
  virtual boost::asio::awaitable<Result<void>> unpause(const ContainerId& id);
  /// Changes limits and the restart policy of a live container. An empty update makes no call.
  virtual boost::asio::awaitable<Result<UpdateOutcome>> update(const ContainerId& id,
                                                               const ResourceUpdate& update);
  /// The container's processes (`ps` arguments optional, e.g. {"-o", "pid,comm"}).
  virtual boost::asio::awaitable<Result<TopOutput>> top(const ContainerId& id,
                                                        const std::vector<std::string>& psArgs);
  /// Filesystem changes since the container was created.
  virtual boost::asio::awaitable<Result<std::vector<FilesystemChange>>> changes(
      const ContainerId& id);
  /// Every exposed port and where it is published.
  virtual boost::asio::awaitable<Result<std::vector<PortMapping>>> portMappings(
      const ContainerId& id);
  /// Ports, networks with aliases and IPv4, health with failing streak and last output, pid.
  virtual boost::asio::awaitable<Result<ContainerDetails>> inspectDetailed(const ContainerId& id);
  /// Removes every stopped container (of anyone: the engine's prune has no project filter here).
  virtual boost::asio::awaitable<Result<PruneReport>> pruneContainers();
  /// Streams an exec: Stdout/Stderr events as output comes, then exactly one Exit.
  virtual boost::asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> execStream(
      const ContainerId& id, const ExecRequest& request);
};

}  // namespace ls::runtime
