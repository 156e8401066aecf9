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
// SIGKILL), so a stale record or socket is never mistaken for a live supervisor. It is an open
// file description lock (F_OFD_SETLK), so others can test it (F_OFD_GETLK) without taking it.
//
// The socket serves the control API (docs/control-api.md, lightshuttle/control/server.hpp) to
// peers of our own uid without a token; the functions below are its CLI side.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/events.hpp"
#include "lightshuttle/lifecycle/handle.hpp"

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
  std::string dashboardUrl;  ///< `http://127.0.0.1:PORT/` (no token), or empty
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
  Result<void> record(const std::string& manifest, const std::string& log,
                      const std::string& dashboardUrl = {}) const;
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

/// How long a CLI call waits for a supervisor's answer before calling it wedged.
inline constexpr std::chrono::seconds kSupervisorTimeout{10};

/// Asks the supervisor for every resource of the stack, in plan order.
Result<std::vector<SupervisedResource>> supervisorList(
    const SupervisorRecord& sup, std::chrono::nanoseconds timeout = kSupervisorTimeout);
/// Asks the supervisor for the stack object (status, engine availability).
Result<lifecycle::StackView> supervisorStack(const SupervisorRecord& sup,
                                             std::chrono::nanoseconds timeout = kSupervisorTimeout);
/// Asks the supervisor to recreate `resource` and follows its events until it is ready again
/// (ok), failed (the cause), or `timeout` passed. `onEvent` sees each event of the resource.
Result<void> supervisorRestart(
    const SupervisorRecord& sup, const std::string& resource,
    std::optional<std::chrono::nanoseconds> timeout,
    const std::function<void(const lifecycle::LifecycleEvent&)>& onEvent);
/// Asks the supervisor to `op` ("start" or "stop") `resource` and follows its events until the
/// operation completed (ok) or failed (the cause), or `timeout` passed (Timeout).
Result<void> supervisorOperate(const SupervisorRecord& sup, const std::string& resource,
                               const std::string& op,
                               std::optional<std::chrono::nanoseconds> timeout);
/// Follows the supervisor's events socket: `onMessage` gets each message as sent (the snapshot
/// first, see docs/control-api.md) and returns false to stop. Ok when it stopped or the
/// supervisor closed the socket (its stack is gone); Timeout once `timeout` passed.
Result<void> supervisorFollow(const SupervisorRecord& sup,
                              std::optional<std::chrono::nanoseconds> timeout,
                              const std::function<bool(std::string_view)>& onMessage);
/// Every live supervisor of this user (from the control dir), by project name.
std::vector<SupervisorRecord> listSupervisors();

/// Asks the supervisor to stop the stack gracefully and exit (returns once it has accepted).
Result<void> supervisorStop(const SupervisorRecord& sup);

/// The supervisor's dashboard: URLs and token (from its unix socket only).
struct DashboardInfo {
  std::string project;
  std::string url;  ///< empty when it serves no TCP listener
  std::string loginUrl;
  std::string token;
};
Result<DashboardInfo> supervisorDashboard(const SupervisorRecord& sup);

}  // namespace ls::cli
