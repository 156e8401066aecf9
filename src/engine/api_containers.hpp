// Engine API calls of the containers operations of the wider runtime surface: kill, wait (no
// request timeout), rename, pause/unpause, live resource updates, top, filesystem changes, stats
// (one sample or a stream), a rich inspect (every port with exposed-only and sctp entries, the
// health log, the host resources), container prune and exec inspect. Private to the library:
// DockerRuntime (src/runtime/docker/docker_containers.cpp) maps these values to operations.hpp.
//
//   ls::engine::ContainersApi containers(client);
//   LS_CO_TRY(co_await containers.kill("demo_db", "SIGTERM"));
//   LS_CO_ASSIGN_OR_RETURN(int code, co_await containers.wait("demo_db", "not-running"));
//
// Errors are classified by status once (engine/errors.hpp): 404 NotFound, 409 Conflict (e.g.
// kill, pause, top or exec of a container that is not running), 400 InvalidArgument. A name or
// id that cannot go verbatim into a request path is InvalidArgument before any request.
// Raw JSON stays in api_containers.cpp: the decode* functions take the body text.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/engine/types.hpp"

namespace ls::engine {

/// Whether the engine accepts `name` as a container name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at
/// least two characters), optionally after one leading '/'. InvalidArgument naming it otherwise.
Result<void> checkContainerName(std::string_view name);

/// POST /containers/{id}/update: every field optional; absent fields are not sent.
struct ResourcesUpdate {
  std::optional<std::int64_t> cpuShares;
  std::optional<std::int64_t> cpuPeriod;
  std::optional<std::int64_t> cpuQuota;
  std::optional<std::string> cpusetCpus;
  std::optional<std::string> cpusetMems;
  std::optional<std::int64_t> memory;
  std::optional<std::int64_t> memorySwap;
  std::optional<std::int64_t> memoryReservation;
  std::optional<std::int64_t> pidsLimit;
  std::optional<std::uint16_t> blkioWeight;
  std::optional<std::string> restartPolicy;  ///< "no" | "always" | "on-failure" | "unless-stopped"
  int restartMaxRetries = 0;                 ///< with "on-failure"
  bool empty() const noexcept;
};

/// GET /containers/{id}/top.
struct TopResult {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

/// One entry of GET /containers/{id}/changes.
struct FilesystemDiff {
  enum class Kind { Modified = 0, Added = 1, Deleted = 2 };
  std::string path;
  Kind kind = Kind::Modified;
  friend bool operator==(const FilesystemDiff&, const FilesystemDiff&) = default;
};

/// One answer of GET /containers/{id}/stats, reduced to what a sample needs.
struct StatsSnapshot {
  /// When the engine read it; nullopt for the empty answer the engine gives for a container
  /// that is not running (Docker: its `read` is the zero time; podman 4.3: an empty body).
  std::optional<Timestamp> read;
  std::uint64_t cpuTotalNs = 0;   ///< cpu_stats.cpu_usage.total_usage
  std::uint64_t systemCpuNs = 0;  ///< cpu_stats.system_cpu_usage
  std::uint32_t onlineCpus = 0;   ///< online_cpus, else the length of percpu_usage
  std::uint64_t memoryUsage = 0;  ///< memory_stats.usage as sent
  /// usage minus the inactive file cache (cgroup v1: stats.total_inactive_file; v2:
  /// stats.inactive_file), as `docker stats` computes it.
  std::uint64_t memoryUsed = 0;
  std::uint64_t memoryLimit = 0;  ///< 0 when absent or the cgroup's "no limit" value
  std::uint64_t networkRx = 0;    ///< summed over every interface
  std::uint64_t networkTx = 0;
  std::uint64_t blockRead = 0;  ///< io_service_bytes_recursive, op "read" in any case
  std::uint64_t blockWrite = 0;
  std::uint64_t pidsCurrent = 0;
  std::optional<std::uint64_t> pidsLimit;  ///< nullopt: unlimited (absent, 0 or the max value)
};

/// GET /containers/{id}/stats?stream=1 as a stream of snapshots.
class StatsReader {
 public:
  explicit StatsReader(std::unique_ptr<ResponseStream> body);
  ~StatsReader();
  StatsReader(const StatsReader&) = delete;
  StatsReader& operator=(const StatsReader&) = delete;
  /// The next snapshot, or nullopt when the engine ended the stream (container removed).
  boost::asio::awaitable<Result<std::optional<StatsSnapshot>>> next();
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A container port as NetworkSettings.Ports reports it: one entry per host binding, or one
/// without a host side for a port that is exposed but not published.
struct PortEntry {
  std::uint16_t containerPort = 0;
  std::string protocol;  ///< "tcp" | "udp" | "sctp"
  std::string hostIp;    ///< empty without a binding
  std::optional<std::uint16_t> hostPort;
  friend bool operator==(const PortEntry&, const PortEntry&) = default;
};

/// HostConfig limits as inspect reports them (0: not set).
struct HostResources {
  std::int64_t memory = 0;
  std::int64_t memorySwap = 0;
  std::int64_t memoryReservation = 0;
  std::int64_t cpuShares = 0;
  std::int64_t cpuPeriod = 0;
  std::int64_t cpuQuota = 0;
  std::int64_t nanoCpus = 0;
  std::string cpusetCpus;
  std::string cpusetMems;
  std::int64_t pidsLimit = 0;  ///< 0 or -1: unlimited
  std::uint16_t blkioWeight = 0;
  std::string restartPolicy;
  int restartMaxRetries = 0;
};

/// GET /containers/{id}/json with what `ContainerInfo` leaves out.
struct ContainerDetail {
  ContainerInfo info;
  std::vector<PortEntry> ports;  ///< sorted by port, protocol, host address
  std::string healthLastOutput;  ///< Output of the last State.Health.Log entry
  HostResources resources;
};

/// POST /containers/prune.
struct ContainerPruneResult {
  std::vector<std::string> deleted;  ///< container ids
  std::uint64_t spaceReclaimed = 0;
};

/// GET /exec/{id}/json.
struct ExecState {
  bool running = false;
  std::optional<int> exitCode;  ///< nullopt while the engine has none (never read as 0)
  int pid = 0;
};

// The JSON mapping (body text in, values out). InvalidArgument naming the field on a wrong type.
Result<int> decodeWaitResponse(std::string_view body);
std::string encodeResourcesUpdate(const ResourcesUpdate& update);
Result<std::vector<std::string>> decodeUpdateWarnings(std::string_view body);
Result<TopResult> decodeTop(std::string_view body);
Result<std::vector<FilesystemDiff>> decodeChanges(std::string_view body);
Result<StatsSnapshot> decodeStats(std::string_view body);
Result<ContainerDetail> decodeContainerDetail(std::string_view body);
Result<ContainerPruneResult> decodeContainerPrune(std::string_view body);
Result<ExecState> decodeExecState(std::string_view body);

class ContainersApi {
 public:
  explicit ContainersApi(Client& client) : client_(client) {}

  /// POST /containers/{id}/kill?signal=<signal> (a name the engine knows: "SIGTERM").
  boost::asio::awaitable<Result<void>> kill(const std::string& id, const std::string& signal);
  /// POST /containers/{id}/wait?condition=<condition>; the StatusCode. No timeout: the engine
  /// answers the header at once and the body when the condition holds, which may take hours;
  /// cancel the awaiting coroutine to stop waiting (Cancelled).
  boost::asio::awaitable<Result<int>> wait(const std::string& id, const std::string& condition);
  /// POST /containers/{id}/rename?name=<newName> (checkContainerName first).
  boost::asio::awaitable<Result<void>> rename(const std::string& id, const std::string& newName);
  boost::asio::awaitable<Result<void>> pause(const std::string& id);
  boost::asio::awaitable<Result<void>> unpause(const std::string& id);
  /// The engine's warnings. Callers skip empty updates (this call sends whatever it gets).
  boost::asio::awaitable<Result<std::vector<std::string>>> update(const std::string& id,
                                                                  const ResourcesUpdate& update);
  /// GET /containers/{id}/top, with ps_args only when not empty.
  boost::asio::awaitable<Result<TopResult>> top(const std::string& id, const std::string& psArgs);
  boost::asio::awaitable<Result<std::vector<FilesystemDiff>>> changes(const std::string& id);
  /// One sample: stream=0, with one-shot=1 on API 1.41+ (older engines take a second or two to
  /// prime the CPU counters).
  boost::asio::awaitable<Result<StatsSnapshot>> stats(const std::string& id);
  /// Samples as the engine reads them (about one a second).
  boost::asio::awaitable<Result<std::unique_ptr<StatsReader>>> statsStream(const std::string& id);
  boost::asio::awaitable<Result<ContainerDetail>> inspect(const std::string& id);
  /// POST /containers/prune; `filters` as the engine's filters parameter (empty: not sent).
  boost::asio::awaitable<Result<ContainerPruneResult>> prune(
      const std::map<std::string, std::vector<std::string>>& filters);
  boost::asio::awaitable<Result<ExecState>> inspectExec(const std::string& execId);

 private:
  Client& client_;
};

}  // namespace ls::engine
