// File: lightshuttle/runtime/operations.hpp
//
// Value types of the runtime's wider operations (signals, wait outcomes, stats, resource
// updates, processes, filesystem changes, archives, images), and the pure functions that go
// with them. The operations themselves are methods of `Runtime` (runtime.hpp: stats, archive
// upload) and of the interfaces beside it: `ContainerOps` (container_ops.hpp), `ImageOps`
// (image_ops.hpp) and `ArchiveOps` (archive_ops.hpp).
//
//   LS_CO_ASSIGN_OR_RETURN(Signal sig, validateSignal("term"));       // {"SIGTERM", 15}
//   LS_CO_TRY(co_await containers.kill(id, sig.name));                 // a ContainerOps&
//   LS_CO_ASSIGN_OR_RETURN(WaitOutcome out,
//                          co_await containers.wait(id, WaitCondition::NotRunning));
//   if (out.reason == WaitReason::Signal) { ... out.signal == "SIGTERM" ... }
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::runtime {

// --- signals ---------------------------------------------------------------------------------

/// A signal of this host's table: canonical name ("SIGTERM") and number (15 on Linux).
struct Signal {
  std::string name;
  int number = 0;
  friend bool operator==(const Signal&, const Signal&) = default;
};

/// Parses a signal as users write it: "SIGTERM", "term", "Sigterm", "15", " 9 ". Names and
/// numbers come from the host's real signal table (Linux: SIGSTOP is 19, SIGCHLD 17), and
/// real-time signals are accepted as "SIGRTMIN+N" / "SIGRTMAX-N". InvalidArgument for an empty,
/// unknown or out-of-range signal, naming it.
Result<Signal> validateSignal(std::string_view text);

/// The canonical name of signal `number` in the host's table ("SIGSEGV"), or nullopt.
std::optional<std::string> signalName(int number);

// --- wait ------------------------------------------------------------------------------------

/// Docker's `condition=` of POST /containers/{id}/wait.
enum class WaitCondition {
  NotRunning,  ///< returns at once when the container is not running
  NextExit,    ///< waits for the next exit, even when it is not running now
  Removed,     ///< waits until the container is removed
};
/// "not-running", "next-exit", "removed".
std::string_view waitConditionName(WaitCondition c) noexcept;

enum class WaitReason {
  Exited,        ///< exited on its own with exit_code
  Signal,        ///< killed by a signal (exit code 128+N); `signal` names it
  OomKilled,     ///< the kernel's OOM killer
  RuntimeError,  ///< the runtime failed it (e.g. an entrypoint that does not exist)
};
/// "exited", "signal", "oom_killed", "runtime_error".
std::string_view waitReasonName(WaitReason r) noexcept;

struct WaitOutcome {
  int exitCode = 0;
  WaitReason reason = WaitReason::Exited;
  std::optional<std::string> signal;  ///< "SIGKILL" when reason is Signal
  std::optional<std::chrono::system_clock::time_point> finishedAt;  ///< nullopt when unknown
  std::string error;  ///< the runtime's error text (RuntimeError), else empty
};

/// Classifies an exit as Docker reports it: OOM first, then 128+N as signal N (named from the
/// host table), then a runtime error text, else a plain exit.
WaitOutcome classifyExit(int exitCode, bool oomKilled, std::string_view runtimeError,
                         std::optional<std::chrono::system_clock::time_point> finishedAt);

// --- stats -----------------------------------------------------------------------------------

struct StatsSample {
  std::uint64_t cpuTotalNs = 0;   ///< container CPU time, all cores
  std::uint64_t cpuSystemNs = 0;  ///< host CPU time (Docker's system_cpu_usage)
  std::uint32_t onlineCpus = 0;
  std::uint64_t memoryUsedBytes = 0;   ///< usage minus inactive file cache (as `docker stats`)
  std::uint64_t memoryLimitBytes = 0;  ///< 0: no limit
  std::uint64_t networkRxBytes = 0;    ///< summed over interfaces
  std::uint64_t networkTxBytes = 0;
  std::uint64_t blockReadBytes = 0;
  std::uint64_t blockWriteBytes = 0;
  std::uint64_t pidsCurrent = 0;
  std::optional<std::uint64_t> pidsLimit;           ///< nullopt: unlimited
  std::chrono::system_clock::time_point timestamp;  ///< when the engine read it
};

/// CPU use between two samples in percent of ONE core (200 = two cores busy), as `docker
/// stats` shows it: Δcontainer / Δsystem × online CPUs × 100. 0 when either delta is not positive.
double cpuPercent(const StatsSample& previous, const StatsSample& current) noexcept;

/// Samples as the engine emits them (about one per second) until close() or the container stops.
class StatsStream {
 public:
  virtual ~StatsStream() = default;
  /// The next sample, or nullopt at the end (the container stopped or was removed).
  virtual boost::asio::awaitable<Result<std::optional<StatsSample>>> next() = 0;
  virtual void close() = 0;
};

// --- update, top, changes, ports, rich inspect ----------------------------------------------

/// Live changes of a container's limits (every field optional; an empty update is a no-op).
struct ResourceUpdate {
  std::optional<std::int64_t> cpuShares;
  std::optional<std::int64_t> cpuPeriod;  ///< microseconds
  std::optional<std::int64_t> cpuQuota;   ///< microseconds per period
  std::optional<std::string> cpusetCpus;  ///< "0-1"
  std::optional<std::string> cpusetMems;
  std::optional<std::int64_t> memoryBytes;
  std::optional<std::int64_t> memorySwapBytes;  ///< -1: unlimited swap
  std::optional<std::int64_t> memoryReservationBytes;
  std::optional<std::int64_t> pidsLimit;     ///< 0 or -1: unlimited
  std::optional<std::uint16_t> blkioWeight;  ///< 10..1000
  std::optional<RestartPolicy> restartPolicy;
  bool empty() const noexcept;
};

struct UpdateOutcome {
  std::vector<std::string> warnings;  ///< the engine's
};

struct TopOutput {
  std::vector<std::string> titles;                  ///< "UID", "PID", "CMD", ...
  std::vector<std::vector<std::string>> processes;  ///< one row per process, same order
};

struct FilesystemChange {
  enum class Kind { Modified, Added, Deleted };
  std::string path;
  Kind kind = Kind::Modified;
};

/// A container port and where it is published (hostPort nullopt: exposed, not published).
struct PortMapping {
  std::uint16_t containerPort = 0;
  Protocol protocol = Protocol::Tcp;
  std::string hostIp;
  std::optional<std::uint16_t> hostPort;
};

struct NetworkAttachment {
  std::string network;
  std::vector<std::string> aliases;
  std::string ipv4;  ///< empty when none
};

struct HealthDetails {
  std::string status = "none";  ///< "none" | "starting" | "healthy" | "unhealthy"
  int failingStreak = 0;
  std::string lastOutput;  ///< output of the last probe, may be empty
};

/// What `inspect` knows beyond ContainerStatus.
struct ContainerDetails {
  ContainerStatus status;
  std::string name;  ///< without the leading "/"
  std::string image;
  std::vector<PortMapping> ports;
  std::vector<NetworkAttachment> networks;
  HealthDetails health;
  std::optional<int> pid;  ///< main process, when running
  std::map<std::string, std::string> labels;
};

// --- archives --------------------------------------------------------------------------------

/// A path inside a container, from the engine's X-Docker-Container-Path-Stat header.
struct PathStat {
  std::string name;
  std::int64_t size = 0;
  std::uint32_t mode = 0;  ///< Go os.FileMode bits as the engine sends them (see isDirectory)
  std::string mtime;       ///< RFC 3339 as sent
  std::string linkTarget;  ///< empty unless a symlink
  bool isDirectory() const noexcept { return (mode & (1u << 31)) != 0; }
  bool isSymlink() const noexcept { return (mode & (1u << 27)) != 0; }
  std::uint32_t permissions() const noexcept { return mode & 0777u; }
};

/// Decodes the header value (standard base64 of a JSON object). InvalidArgument when malformed.
Result<PathStat> decodePathStat(std::string_view headerValue);

struct ArchivePutOptions {
  bool noOverwriteDirNonDir = false;  ///< refuse to replace a directory with a file and back
  bool copyUidGid = false;            ///< keep the archive's owners
};

/// Bytes of a tar (or other) stream, in order, until nullopt.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual boost::asio::awaitable<Result<std::optional<std::string>>> next() = 0;
  virtual void close() = 0;
};

struct CommitOptions {
  std::string repo;  ///< empty: an untagged image
  std::string tag;   ///< empty with a repo: "latest"
  std::string comment;
  std::string author;
  bool pause = true;                 ///< freeze the container while committing (Docker's default)
  std::vector<std::string> changes;  ///< Dockerfile instructions: "ENV A=1", "CMD [\"sh\"]"
};

struct PruneReport {
  std::vector<std::string> deleted;  ///< container ids, or image ids / untagged references
  std::uint64_t spaceReclaimed = 0;
};

// --- images ----------------------------------------------------------------------------------

struct ImageSummary {
  std::string id;
  std::vector<std::string> repoTags;  ///< without "<none>:<none>"
  std::vector<std::string> repoDigests;
  std::int64_t sizeBytes = 0;
  std::chrono::system_clock::time_point created;
  std::map<std::string, std::string> labels;
};

struct ImageDetails {
  std::string id;
  std::vector<std::string> repoTags;
  std::vector<std::string> repoDigests;
  std::string architecture;
  std::string os;
  std::int64_t sizeBytes = 0;
  std::string created;  ///< RFC 3339 as sent
  std::string author;
  std::string comment;
  std::vector<std::string> env;
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::string workingDir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> layers;  ///< RootFS layer digests
};

struct ImageHistoryEntry {
  std::string id;  ///< "<missing>" for layers of other images
  std::chrono::system_clock::time_point created;
  std::string createdBy;
  std::vector<std::string> tags;
  std::int64_t sizeBytes = 0;
  std::string comment;
};

/// Progress of a pull as a stream: Status items, then exactly one Done.
struct PullEvent {
  enum class Kind { Status, Done };
  Kind kind = Kind::Status;
  ImageProgress progress;  ///< Status
  std::string reference;   ///< Done: what was pulled
  std::string digest;      ///< Done: "sha256:…" when the engine said it
};

class PullStream {
 public:
  virtual ~PullStream() = default;
  /// The next event; after Done, nullopt. A failed pull is an error (never a Done).
  virtual boost::asio::awaitable<Result<std::optional<PullEvent>>> next() = 0;
  virtual void close() = 0;
};

/// A streamed exec: output as it comes, then exactly one Exit.
struct ExecEvent {
  enum class Kind { Stdout, Stderr, Exit };
  Kind kind = Kind::Stdout;
  std::string bytes;  ///< Stdout/Stderr
  int exitCode = 0;   ///< Exit
};

class ExecEventStream {
 public:
  virtual ~ExecEventStream() = default;
  /// The next event; nullopt after Exit.
  virtual boost::asio::awaitable<Result<std::optional<ExecEvent>>> next() = 0;
  virtual void close() = 0;
};

}  // namespace ls::runtime
