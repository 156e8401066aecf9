// File: lightshuttle/lifecycle/handle.hpp
//
// `LifecycleHandle`: the control-plane view of a running stack, used by the CLI (`ps`, `logs`,
// `restart`) and the control API. `LifecycleManager` implements it; a fake can implement it for
// tests of those layers.
//
//   for (const ResourceView& v : handle.list()) { print(v.name, statusName(v.status)); }
//   Result<void> r = co_await handle.restart("db");   // Conflict if "db" is already restarting
//
// Threading: call from the lifecycle's loop thread; `list`/`get` are snapshots and never call
// the runtime.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/events.hpp"
#include "lightshuttle/manifest/model.hpp"
#include "lightshuttle/runtime/operations.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::lifecycle {

enum class ResourceStatus {
  Pending,     ///< not started (waiting for dependencies, or not selected)
  Starting,    ///< its container is being created or is not ready yet
  Running,     ///< ready (healthy with a healthcheck; health may change later)
  Completed,   ///< a one-shot resource that exited with code 0
  Restarting,  ///< waiting out a restart backoff, or being recreated
  Exited,      ///< exited on its own and its policy does not restart it
  Failed,      ///< could not start or become ready, or its restarts were given up
  Stopped,     ///< stopped by us (or from outside) and removed
};

/// "pending", "starting", "running", "completed", "restarting", "exited", "failed", "stopped".
std::string_view statusName(ResourceStatus s) noexcept;

enum class Health {
  None,  ///< no healthcheck
  Starting,
  Healthy,
  Unhealthy,
};

/// "none", "starting", "healthy", "unhealthy".
std::string_view healthName(Health h) noexcept;

struct ResourceView {
  std::string name;
  manifest::Kind kind = manifest::Kind::Container;
  ResourceStatus status = ResourceStatus::Pending;
  Health health = Health::None;
  std::string image;          ///< pull reference or build tag
  std::string imageId;        ///< the engine's id of the image last prepared for it; empty before
  std::string containerId;    ///< empty when no container exists
  std::string containerName;  ///< `<project>_<resource>`
  std::vector<runtime::PortBinding> ports;  ///< as published (from inspect) once ready
  std::vector<std::string> dependsOn;       ///< direct dependencies, explicit and implicit
  std::optional<std::chrono::system_clock::time_point> startedAt;  ///< its container started
  std::optional<std::chrono::system_clock::time_point> readyAt;    ///< it last became ready
  /// From the last launch's beginning (its image already prepared: container created) to ready.
  std::optional<std::chrono::nanoseconds> timeToReady;
  int restarts = 0;
  std::optional<std::string> lastError;  ///< never contains a secret value
  std::optional<int> exitCode;           ///< of the last exit seen
  /// The handle operation in flight on it ("restart", "start", "stop"), if any.
  std::optional<std::string> operation;
};

/// A resource's configuration as it runs, for a detail page: secret values are "***".
struct ResourceDetail {
  ResourceView view;
  std::vector<std::pair<std::string, std::string>> env;  ///< sorted by key; secrets masked
  std::optional<runtime::HealthcheckSpec> healthcheck;
  std::string restartPolicy;         ///< "no", "always", "on-failure", "on-failure:3"
  std::vector<std::string> command;  ///< the command it runs (secret values masked)
  std::vector<std::string> volumes;  ///< "source:target[:ro]"
};

enum class StackStatus {
  Starting,  ///< booting (or not yet started)
  Ready,     ///< booted, and every selected resource is running (healthy) or completed
  Degraded,  ///< booted, but a selected resource is not running, or unhealthy
  Stopping,
  Stopped,
  Failed,  ///< the boot failed
};

/// "starting", "ready", "degraded", "stopping", "stopped", "failed".
std::string_view stackStatusName(StackStatus s) noexcept;

struct StackView {
  std::string project;
  StackStatus status = StackStatus::Starting;
  std::optional<std::chrono::system_clock::time_point> startedAt;  ///< the boot began
  std::optional<std::chrono::system_clock::time_point> readyAt;    ///< the boot ended ready
  std::size_t resources = 0;                                       ///< in the plan
  std::size_t resourcesReady = 0;  ///< running (healthy) or completed
  /// False during an engine outage (EngineUnavailable until EngineAvailable).
  bool engineAvailable = true;
  std::optional<std::chrono::system_clock::time_point> engineUnavailableSince;
  /// Watch mode, as the last watch_started / watch_stopped event said: null until a watcher
  /// announced itself; its message is that event's ("watching 2 rules (3 directories) for web").
  struct Watch {
    bool active = false;
    std::string message;
  };
  std::optional<Watch> watch;
};

class LifecycleHandle {
 public:
  virtual ~LifecycleHandle() = default;

  /// Every resource, in plan order.
  virtual std::vector<ResourceView> list() const = 0;
  /// One resource. NotFound for an unknown name.
  virtual Result<ResourceView> get(std::string_view name) const = 0;
  /// Recreates exactly `name` (stop, remove, start, wait ready); its dependents are left running
  /// unless it is marked `restart_dependents`. Errors: NotFound, Conflict (a restart or another
  /// operation on it is in flight), FailedPrecondition (the stack is not running, a dependency
  /// is not ready), and the start errors of the resource.
  virtual boost::asio::awaitable<Result<void>> restart(std::string name) = 0;
  /// Starts `name` when it is not running (after `stop(name)` or an exit); ok when it already
  /// runs. Errors as `restart`.
  virtual boost::asio::awaitable<Result<void>> start(std::string name) = 0;
  /// Stops and removes `name` with its grace period; supervision leaves it stopped. Idempotent.
  /// Errors: NotFound, Conflict, FailedPrecondition (the stack is not running), runtime errors.
  virtual boost::asio::awaitable<Result<void>> stop(std::string name) = 0;
  /// The container's logs (see Runtime::logs). NotFound for an unknown name;
  /// FailedPrecondition when it has no container.
  virtual boost::asio::awaitable<Result<std::unique_ptr<runtime::LogChunkStream>>> logs(
      std::string name, runtime::LogOptions options) = 0;
  /// A new event subscriber (see events.hpp).
  virtual EventSubscriptionPtr subscribe() = 0;

  /// The stack as a whole (a snapshot; never calls the runtime).
  virtual StackView stack() const = 0;
  /// One resource's configuration. NotFound for an unknown name.
  virtual Result<ResourceDetail> detail(std::string_view name) const = 0;
  /// One stats sample of the resource's container. NotFound; FailedPrecondition when it has no
  /// container; Unsupported when the runtime has no stats.
  virtual boost::asio::awaitable<Result<runtime::StatsSample>> statsSample(std::string name) = 0;
  /// The engine's stats stream of the resource's container (about one sample per second until
  /// closed or the container stops). Errors as `statsSample`.
  virtual boost::asio::awaitable<Result<std::unique_ptr<runtime::StatsStream>>> stats(
      std::string name) = 0;
  /// An interactive exec in the resource's running container (see Runtime::execInteractive).
  /// NotFound; FailedPrecondition when it is not running.
  virtual boost::asio::awaitable<Result<std::unique_ptr<runtime::ExecSession>>> execInteractive(
      std::string name, runtime::InteractiveExecRequest request) = 0;
};

}  // namespace ls::lifecycle
