// The wider runtime surface: the Unsupported defaults of ContainerOps, ArchiveOps, ImageOps and of
// Runtime's optional operations, and the pure functions of operations.hpp (signal table, exit
// classification, CPU percent, path-stat decoding).
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <cstring>

#include "lightshuttle/runtime/archive_ops.hpp"
#include "lightshuttle/runtime/container_ops.hpp"
#include "lightshuttle/runtime/image_ops.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::runtime {
namespace {

using Aw = boost::asio::awaitable<Result<void>>;

Error unsupported(std::string_view operation, std::string_view target = {}) {
  std::string msg = "this runtime does not support " + std::string(operation);
  if (!target.empty()) {
    msg += " (" + std::string(target) + ")";
  }
  return Error(Errc::Unsupported, std::move(msg));
}

std::string containerOf(const ContainerId& id) { return "container '" + id.value + "'"; }
std::string imageOf(const std::string& ref) { return "image '" + ref + "'"; }

/// The host's named signals (Linux numbering via <signal.h>, never a hard-coded BSD table).
struct NamedSignal {
  const char* name;
  int number;
};
constexpr NamedSignal kSignals[] = {
    {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},
    {"SIGILL", SIGILL},       {"SIGTRAP", SIGTRAP}, {"SIGABRT", SIGABRT},
    {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},   {"SIGKILL", SIGKILL},
    {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV}, {"SIGUSR2", SIGUSR2},
    {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},
#ifdef SIGSTKFLT
    {"SIGSTKFLT", SIGSTKFLT},
#endif
    {"SIGCHLD", SIGCHLD},     {"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU},
    {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH},
    {"SIGIO", SIGIO},
#ifdef SIGPWR
    {"SIGPWR", SIGPWR},
#endif
    {"SIGSYS", SIGSYS},
};
// Aliases accepted on input, reported under their canonical name.
constexpr NamedSignal kAliases[] = {
    {"SIGIOT", SIGABRT},
    {"SIGCLD", SIGCHLD},
    {"SIGPOLL", SIGIO},
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::optional<int> parseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> realtimeName(int n) {
  const int lo = SIGRTMIN;
  const int hi = SIGRTMAX;
  if (n < lo || n > hi) {
    return std::nullopt;
  }
  if (n == lo) {
    return "SIGRTMIN";
  }
  if (n == hi) {
    return "SIGRTMAX";
  }
  if (n - lo <= hi - n) {
    return "SIGRTMIN+" + std::to_string(n - lo);
  }
  return "SIGRTMAX-" + std::to_string(hi - n);
}

// Base64 (standard alphabet, padding optional).
std::optional<std::string> base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '+' || c == '-')
      return 62;
    if (c == '/' || c == '_')
      return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
  }
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

// --- signals ---------------------------------------------------------------------------------

Result<Signal> validateSignal(std::string_view text) {
  const std::string t = trim(text);
  if (t.empty()) {
    return Error(Errc::InvalidArgument,
                 "empty signal; expected a name like SIGTERM or a number like 15");
  }
  if (auto n = parseInt(t)) {
    if (auto name = signalName(*n)) {
      return Signal{*name, *n};
    }
    return Error(Errc::InvalidArgument, "signal " + t + " is not a signal of this host (1-" +
                                            std::to_string(SIGRTMAX) + ")");
  }
  std::string upper;
  for (char c : t) {
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (upper.rfind("SIG", 0) != 0) {
    upper = "SIG" + upper;
  }
  for (const auto& s : kSignals) {
    if (upper == s.name) {
      return Signal{s.name, s.number};
    }
  }
  for (const auto& s : kAliases) {
    if (upper == s.name) {
      return Signal{*signalName(s.number), s.number};
    }
  }
  for (const char* base : {"SIGRTMIN", "SIGRTMAX"}) {
    const std::size_t len = std::strlen(base);
    if (upper.rfind(base, 0) != 0) {
      continue;
    }
    const bool isMin = base[6] == 'I';
    int n = isMin ? SIGRTMIN : SIGRTMAX;
    if (upper.size() > len) {
      const char op = upper[len];
      auto off = parseInt(std::string_view(upper).substr(len + 1));
      if ((op != '+' && op != '-') || !off || *off < 0) {
        break;
      }
      n += op == '+' ? *off : -*off;
    }
    if (auto name = realtimeName(n)) {
      return Signal{*name, n};
    }
    break;
  }
  return Error(
      Errc::InvalidArgument,
      "unknown signal '" + t + "'; expected a name like SIGTERM, TERM, SIGRTMIN+3 or a number");
}

std::optional<std::string> signalName(int number) {
  for (const auto& s : kSignals) {
    if (s.number == number) {
      return std::string(s.name);
    }
  }
  return realtimeName(number);
}

// --- wait ------------------------------------------------------------------------------------

std::string_view waitConditionName(WaitCondition c) noexcept {
  switch (c) {
    case WaitCondition::NotRunning: return "not-running";
    case WaitCondition::NextExit: return "next-exit";
    case WaitCondition::Removed: return "removed";
  }
  return "not-running";
}

std::string_view waitReasonName(WaitReason r) noexcept {
  switch (r) {
    case WaitReason::Exited: return "exited";
    case WaitReason::Signal: return "signal";
    case WaitReason::OomKilled: return "oom_killed";
    case WaitReason::RuntimeError: return "runtime_error";
  }
  return "exited";
}

WaitOutcome classifyExit(int exitCode, bool oomKilled, std::string_view runtimeError,
                         std::optional<std::chrono::system_clock::time_point> finishedAt) {
  WaitOutcome out;
  out.exitCode = exitCode;
  out.finishedAt = finishedAt;
  const std::string error = trim(runtimeError);
  if (oomKilled) {
    out.reason = WaitReason::OomKilled;
  } else if (exitCode > 128 && signalName(exitCode - 128)) {
    out.reason = WaitReason::Signal;
    out.signal = signalName(exitCode - 128);
  } else if (!error.empty()) {
    out.reason = WaitReason::RuntimeError;
    out.error = error;
  }
  return out;
}

// --- stats, updates, archives ------------------------------------------------------------------

double cpuPercent(const StatsSample& previous, const StatsSample& current) noexcept {
  if (current.cpuTotalNs <= previous.cpuTotalNs || current.cpuSystemNs <= previous.cpuSystemNs) {
    return 0.0;
  }
  const double cpu = static_cast<double>(current.cpuTotalNs - previous.cpuTotalNs);
  const double sys = static_cast<double>(current.cpuSystemNs - previous.cpuSystemNs);
  const double cpus = current.onlineCpus > 0 ? current.onlineCpus : 1;
  return cpu / sys * cpus * 100.0;
}

bool ResourceUpdate::empty() const noexcept {
  return !cpuShares && !cpuPeriod && !cpuQuota && !cpusetCpus && !cpusetMems && !memoryBytes &&
         !memorySwapBytes && !memoryReservationBytes && !pidsLimit && !blkioWeight &&
         !restartPolicy;
}

Result<PathStat> decodePathStat(std::string_view headerValue) {
  auto json = base64Decode(trim(headerValue));
  if (!json) {
    return Error(Errc::InvalidArgument, "path stat header is not base64");
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*json, ec);
  if (ec || !v.is_object()) {
    return Error(Errc::InvalidArgument, "path stat header is not a JSON object");
  }
  const auto& o = v.as_object();
  PathStat st;
  auto str = [&](std::string_view k) -> std::string {
    const auto* f = o.if_contains(k);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  auto num = [&](std::string_view k) -> std::optional<std::int64_t> {
    const auto* f = o.if_contains(k);
    if (f == nullptr || !f->is_number()) {
      return std::nullopt;
    }
    boost::system::error_code nec;
    const auto n = f->to_number<std::int64_t>(nec);
    return nec ? std::nullopt : std::optional<std::int64_t>(n);
  };
  st.name = str("name");
  st.size = num("size").value_or(0);
  st.mode = static_cast<std::uint32_t>(num("mode").value_or(0));
  st.mtime = str("mtime");
  st.linkTarget = str("linkTarget");
  return st;
}

// --- Unsupported defaults: Runtime's optional operations (runtime.cpp has exec and volumes) ---

Aw Runtime::restart(const ContainerId& id, std::chrono::nanoseconds) {
  co_return unsupported("restart", containerOf(id));
}
boost::asio::awaitable<Result<StatsSample>> Runtime::stats(const ContainerId& id) {
  co_return unsupported("stats", containerOf(id));
}
boost::asio::awaitable<Result<std::unique_ptr<StatsStream>>> Runtime::statsStream(
    const ContainerId& id) {
  co_return unsupported("stats streams", containerOf(id));
}
Aw Runtime::archivePut(const ContainerId& id, const std::string& path, const std::string&,
                       const ArchivePutOptions&) {
  co_return unsupported("archives", containerOf(id) + " path '" + path + "'");
}

// --- Unsupported defaults: ContainerOps ---

Aw ContainerOps::kill(const ContainerId& id, const std::string&) {
  co_return unsupported("kill", containerOf(id));
}
boost::asio::awaitable<Result<WaitOutcome>> ContainerOps::wait(const ContainerId& id,
                                                               WaitCondition) {
  co_return unsupported("wait", containerOf(id));
}
Aw ContainerOps::rename(const ContainerId& id, const std::string&) {
  co_return unsupported("rename", containerOf(id));
}
Aw ContainerOps::pause(const ContainerId& id) { co_return unsupported("pause", containerOf(id)); }
Aw ContainerOps::unpause(const ContainerId& id) {
  co_return unsupported("unpause", containerOf(id));
}
boost::asio::awaitable<Result<UpdateOutcome>> ContainerOps::update(const ContainerId& id,
                                                                   const ResourceUpdate&) {
  co_return unsupported("resource updates", containerOf(id));
}
boost::asio::awaitable<Result<TopOutput>> ContainerOps::top(const ContainerId& id,
                                                            const std::vector<std::string>&) {
  co_return unsupported("listing processes", containerOf(id));
}
boost::asio::awaitable<Result<std::vector<FilesystemChange>>> ContainerOps::changes(
    const ContainerId& id) {
  co_return unsupported("filesystem changes", containerOf(id));
}
boost::asio::awaitable<Result<std::vector<PortMapping>>> ContainerOps::portMappings(
    const ContainerId& id) {
  co_return unsupported("port mappings", containerOf(id));
}
boost::asio::awaitable<Result<ContainerDetails>> ContainerOps::inspectDetailed(
    const ContainerId& id) {
  co_return unsupported("detailed inspect", containerOf(id));
}
boost::asio::awaitable<Result<PruneReport>> ContainerOps::pruneContainers() {
  co_return unsupported("pruning containers");
}
boost::asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> ContainerOps::execStream(
    const ContainerId& id, const ExecRequest&) {
  co_return unsupported("streamed exec", containerOf(id));
}

// --- Unsupported defaults: ArchiveOps ---

boost::asio::awaitable<Result<PathStat>> ArchiveOps::archiveHead(const ContainerId& id,
                                                                 const std::string& path) {
  co_return unsupported("archives", containerOf(id) + " path '" + path + "'");
}
boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> ArchiveOps::archiveGet(
    const ContainerId& id, const std::string& path) {
  co_return unsupported("archives", containerOf(id) + " path '" + path + "'");
}
boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> ArchiveOps::exportContainer(
    const ContainerId& id) {
  co_return unsupported("exporting containers", containerOf(id));
}

// --- Unsupported defaults: ImageOps ---

boost::asio::awaitable<Result<std::string>> ImageOps::commit(const ContainerId& id,
                                                             const CommitOptions&) {
  co_return unsupported("commit", containerOf(id));
}
boost::asio::awaitable<Result<std::vector<ImageSummary>>> ImageOps::listImages() {
  co_return unsupported("listing images");
}
boost::asio::awaitable<Result<ImageDetails>> ImageOps::inspectImage(const std::string& reference) {
  co_return unsupported("inspecting images", imageOf(reference));
}
boost::asio::awaitable<Result<std::vector<ImageHistoryEntry>>> ImageOps::imageHistory(
    const std::string& reference) {
  co_return unsupported("image history", imageOf(reference));
}
Aw ImageOps::tagImage(const std::string& source, const std::string&) {
  co_return unsupported("tagging images", imageOf(source));
}
boost::asio::awaitable<Result<std::vector<std::string>>> ImageOps::removeImage(
    const std::string& reference, bool) {
  co_return unsupported("removing images", imageOf(reference));
}
boost::asio::awaitable<Result<PruneReport>> ImageOps::pruneImages() {
  co_return unsupported("pruning images");
}
boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> ImageOps::saveImages(
    const std::vector<std::string>&) {
  co_return unsupported("saving images");
}
boost::asio::awaitable<Result<std::vector<std::string>>> ImageOps::loadImages(
    const std::string&, const ProgressCallback&) {
  co_return unsupported("loading images");
}
boost::asio::awaitable<Result<std::string>> ImageOps::importImage(const std::string&,
                                                                  const std::string& reference) {
  co_return unsupported("importing images", imageOf(reference));
}
boost::asio::awaitable<Result<std::unique_ptr<PullStream>>> ImageOps::pullStream(
    const std::string& reference) {
  co_return unsupported("pull streams", imageOf(reference));
}
boost::asio::awaitable<Result<std::string>> ImageOps::pushImage(const std::string& reference,
                                                                const ProgressCallback&) {
  co_return unsupported("pushing images", imageOf(reference));
}

}  // namespace ls::runtime
