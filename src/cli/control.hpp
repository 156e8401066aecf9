// How CLI commands find and talk to a running `up` (the supervisor of a project).
//
// Every `up` takes an exclusive lock on `<control dir>/<project>.lock` for as long as it
// supervises the stack, records itself in `<project>.json` (pid, manifest, log) and serves a
// control socket `<project>.sock`. The control dir is `$XDG_RUNTIME_DIR/lightshuttle`, else
// `/tmp/lightshuttle-<uid>`, created 0700 and refused when another user could write to it.
// Keyed by project, because the project is what the engine's labels and network are keyed by:
// `ps -p X`, `down -p X` and `restart` find the supervisor from the project alone, and two
// stacks of one project name (even from different directories) cannot both be supervised.
//
// The lock is the liveness test (the kernel drops it when the supervisor dies, even by
// SIGKILL), so a stale record or socket is never mistaken for a live supervisor.
//
// Protocol: one request per connection, one JSON object per line each way. Requests
// {"op":"list"}, {"op":"restart","resource":R}, {"op":"stop"}; replies {"ok":true,...} or
// {"ok":false,"code":"<errc>","message":...}. The socket accepts only peers of our own uid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/handle.hpp"

namespace boost::asio {
class io_context;
}
namespace ls::lifecycle {
class LifecycleManager;
}

namespace ls::cli {

/// The per-user control directory (created 0700 when missing). FailedPrecondition when it is
/// not a directory of ours or group/others can access it.
Result<std::filesystem::path> controlDir();

struct SupervisorRecord {
  pid_t pid = 0;
  std::string project;
  std::string manifest;  ///< the manifest file it runs
  std::string log;       ///< its log file (detached), or empty
  std::filesystem::path socket;
};

/// Held by a supervisor for its whole life; releasing it (destruction, or process death) tells
/// everyone the project is no longer supervised.
class SupervisorLock {
 public:
  /// Takes the project's lock. Conflict (naming the pid holding it) when another supervisor
  /// runs; FailedPrecondition when the control dir is unsafe.
  static Result<SupervisorLock> acquire(const std::string& project);
  SupervisorLock(SupervisorLock&& other) noexcept;
  SupervisorLock& operator=(SupervisorLock&& other) noexcept;
  SupervisorLock(const SupervisorLock&) = delete;
  SupervisorLock& operator=(const SupervisorLock&) = delete;
  ~SupervisorLock();

  /// Writes the record (atomically, 0600) once the supervisor knows its log and socket.
  Result<void> record(const std::string& manifest, const std::string& log) const;
  const std::filesystem::path& socketPath() const { return socket_; }

 private:
  SupervisorLock() = default;
  int fd_ = -1;
  std::string project_;
  std::filesystem::path dir_;
  std::filesystem::path socket_;
};

/// The live supervisor of `project`, if any (the lock is held and the record readable).
std::optional<SupervisorRecord> findSupervisor(const std::string& project);

/// Waits until `project` has no live supervisor (its lock is free), at most `timeout`.
/// True when it is gone.
bool waitSupervisorGone(const std::string& project, std::chrono::nanoseconds timeout);

/// A resource as the supervisor sees it, with the container's name.
struct SupervisedResource {
  lifecycle::ResourceView view;
  std::string containerName;
};

/// Asks the supervisor for every resource of the stack, in plan order.
Result<std::vector<SupervisedResource>> supervisorList(const SupervisorRecord& sup);
/// Asks the supervisor to recreate `resource` (returns once it is ready again, or failed).
Result<void> supervisorRestart(const SupervisorRecord& sup, const std::string& resource);
/// Asks the supervisor to stop the stack gracefully and exit (returns once it has accepted).
Result<void> supervisorStop(const SupervisorRecord& sup);

/// The control socket of a running supervisor: accepts on `path` and serves requests on the
/// loop of `ctx` (the manager's loop). `onStop` is called for a "stop" request.
class ControlServer {
 public:
  static Result<std::unique_ptr<ControlServer>> open(boost::asio::io_context& ctx,
                                                     const std::filesystem::path& path,
                                                     lifecycle::LifecycleManager& manager,
                                                     std::function<void()> onStop);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  /// Stops accepting (requests in flight finish); removes the socket file.
  void close();

 struct Impl;  // private to control.cpp

 private:
  explicit ControlServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace ls::cli
