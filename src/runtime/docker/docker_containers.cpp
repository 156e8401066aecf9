// DockerRuntime: ContainerOps (kill, wait, rename, pause, update, top, changes, ports, rich
// inspect, prune, streamed exec) and the in-place restart and stats of Runtime (operations.hpp).
#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/api_containers.hpp"
#include "runtime/docker/docker_impl.hpp"
#include "runtime/docker/spec_mapping.hpp"

namespace ls::runtime {
namespace {

using namespace std::chrono_literals;

// How many times a podman removal wait inspects a container whose inspect answers a server
// error (2.5 s in all), before it reports that error.
constexpr int kRemovalInspects = 25;

/// The exit code of container `id`'s last `die` event from `since` on, replayed from the
/// engine's event log (GET /events with since and until). Podman 4.3 answers an `until` in the
/// past with no event at all and a filter on the event name with none either (measured), so
/// `until` is the next whole second but one and the events are picked here: the replay ends
/// within 2 s. nullopt when the log has no such event.
asio::awaitable<std::optional<int>> lastDieExitCode(engine::Api& api, const std::string& id,
                                                    std::chrono::system_clock::time_point since,
                                                    std::chrono::system_clock::time_point now) {
  const auto seconds = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  engine::EventsOptions o;
  o.since = std::to_string(seconds(since));
  o.until = std::to_string(seconds(now) + 2);
  o.filters["container"] = {id};
  auto stream = co_await api.events(o);
  if (!stream) {
    co_return std::nullopt;
  }
  std::optional<int> code;
  for (;;) {
    auto ev = co_await (*stream)->next();
    if (!ev || !*ev) {
      co_return code;
    }
    const auto exit = (*ev)->attributes.find("exitCode");
    if ((*ev)->type == "container" && (*ev)->action == "die" && exit != (*ev)->attributes.end()) {
      code = std::atoi(exit->second.c_str());
    }
  }
}

std::chrono::system_clock::time_point toSys(const engine::Timestamp& t) {
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(t);
}

StatsSample toSample(const engine::StatsSnapshot& s) {
  StatsSample out;
  out.cpuTotalNs = s.cpuTotalNs;
  out.cpuSystemNs = s.systemCpuNs;
  out.onlineCpus = s.onlineCpus;
  out.memoryUsedBytes = s.memoryUsed;
  out.memoryLimitBytes = s.memoryLimit;
  out.networkRxBytes = s.networkRx;
  out.networkTxBytes = s.networkTx;
  out.blockReadBytes = s.blockRead;
  out.blockWriteBytes = s.blockWrite;
  out.pidsCurrent = s.pidsCurrent;
  out.pidsLimit = s.pidsLimit;
  if (s.read) {
    out.timestamp = toSys(*s.read);
  }
  return out;
}

Protocol toProtocol(const std::string& p) {
  if (p == "udp") {
    return Protocol::Udp;
  }
  return p == "sctp" ? Protocol::Sctp : Protocol::Tcp;
}

/// Podman's top takes format descriptors (`pid,comm`, read from /proc on the host), not ps(1)
/// options: given options it runs ps(1) inside the container instead, whose rows come back
/// unsplit and list that ps too. The descriptors for Docker's ps(1) options: `-e`, `-A`, `-f`
/// (every process of the container is listed anyway) keep Docker's default columns (`-ef`);
/// `-o LIST` (also `-eo LIST`, `-oLIST`) names them, with ps(1)'s aliases mapped. nullopt for
/// an option or keyword podman has no descriptor for: the arguments go as they are.
std::optional<std::string> podmanTopDescriptors(const std::vector<std::string>& psArgs) {
  // ps(1) keywords with a psgo descriptor: the same names, then ps(1)'s aliases of them.
  static const std::map<std::string_view, std::string_view> kKeywords = {
      {"args", "args"}, {"comm", "comm"},     {"etime", "etime"},  {"group", "group"},
      {"nice", "nice"}, {"pcpu", "pcpu"},     {"pgid", "pgid"},    {"pid", "pid"},
      {"ppid", "ppid"}, {"rgroup", "rgroup"}, {"ruser", "ruser"},  {"stime", "stime"},
      {"time", "time"}, {"tty", "tty"},       {"user", "user"},    {"vsz", "vsz"},
      {"rss", "rss"},   {"cmd", "args"},      {"command", "args"}, {"%cpu", "pcpu"},
      {"ni", "nice"},   {"euser", "user"},    {"uname", "user"},   {"ucomm", "comm"},
  };
  std::vector<std::string_view> lists;
  for (std::size_t i = 0; i < psArgs.size(); ++i) {
    const std::string_view a = psArgs[i];
    if (a == "-e" || a == "-A" || a == "-f" || a == "-ef" || a == "-fe") {
      continue;
    }
    if (a == "-o" || a == "-eo") {
      if (++i == psArgs.size()) {
        return std::nullopt;
      }
      lists.push_back(psArgs[i]);
    } else if (a.starts_with("-o") && a.size() > 2) {
      lists.push_back(a.substr(2));
    } else {
      return std::nullopt;
    }
  }
  if (lists.empty()) {  // Docker's -ef columns: UID PID PPID C STIME TTY TIME CMD
    return "user,pid,ppid,pcpu,stime,tty,time,args";
  }
  std::string out;
  for (std::string_view list : lists) {
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view keyword = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      const auto known = kKeywords.find(keyword);
      if (known == kKeywords.end()) {
        return std::nullopt;
      }
      out += (out.empty() ? "" : ",") + std::string(known->second);
    }
  }
  return out;
}

std::vector<PortMapping> toPortMappings(const std::vector<engine::PortEntry>& ports) {
  std::vector<PortMapping> out;
  out.reserve(ports.size());
  for (const auto& p : ports) {
    PortMapping m;
    m.containerPort = p.containerPort;
    m.protocol = toProtocol(p.protocol);
    m.hostIp = p.hostIp;
    m.hostPort = p.hostPort;
    out.push_back(std::move(m));
  }
  return out;
}

std::string restartPolicyName(RestartPolicy::Mode m) {
  switch (m) {
    case RestartPolicy::Mode::No: return "no";
    case RestartPolicy::Mode::OnFailure: return "on-failure";
    case RestartPolicy::Mode::Always: return "always";
  }
  return "no";
}

engine::ResourcesUpdate toEngineUpdate(const ResourceUpdate& u) {
  engine::ResourcesUpdate out;
  out.cpuShares = u.cpuShares;
  out.cpuPeriod = u.cpuPeriod;
  out.cpuQuota = u.cpuQuota;
  out.cpusetCpus = u.cpusetCpus;
  out.cpusetMems = u.cpusetMems;
  out.memory = u.memoryBytes;
  out.memorySwap = u.memorySwapBytes;
  out.memoryReservation = u.memoryReservationBytes;
  out.pidsLimit = u.pidsLimit;
  out.blkioWeight = u.blkioWeight;
  if (u.restartPolicy) {
    out.restartPolicy = restartPolicyName(u.restartPolicy->mode);
    out.restartMaxRetries = u.restartPolicy->maxRetries.value_or(0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stats as a stream: one sample per engine message; the empty message the engine sends for a
// container that is not running (any more) ends it.

class DockerStatsStream final : public StatsStream {
 public:
  explicit DockerStatsStream(std::unique_ptr<engine::StatsReader> reader)
      : reader_(std::move(reader)) {}
  ~DockerStatsStream() override { reader_->close(); }

  asio::awaitable<Result<std::optional<StatsSample>>> next() override {
    if (done_) {
      co_return std::optional<StatsSample>();
    }
    Result<std::optional<engine::StatsSnapshot>> snap = co_await reader_->next();
    if (!snap) {
      if (closed_) {
        co_return std::optional<StatsSample>();
      }
      co_return std::move(snap).error().context("reading container stats");
    }
    if (!*snap || !(*snap)->read) {
      done_ = true;
      reader_->close();
      co_return std::optional<StatsSample>();
    }
    co_return std::optional<StatsSample>(toSample(**snap));
  }

  void close() override {
    closed_ = true;
    done_ = true;
    reader_->close();
  }

 private:
  std::unique_ptr<engine::StatsReader> reader_;
  bool done_ = false;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Streamed exec: output chunks as the engine delivers them, then one Exit.

class DockerExecEventStream final : public ExecEventStream {
 public:
  DockerExecEventStream(engine::Client& client, Clock& clock, std::string containerId,
                        std::string execId, std::unique_ptr<engine::LogStream> output,
                        std::chrono::nanoseconds timeout)
      : client_(client),
        clock_(clock),
        containerId_(std::move(containerId)),
        execId_(std::move(execId)),
        output_(std::move(output)),
        timeout_(timeout) {
    if (timeout > std::chrono::nanoseconds::zero()) {
      deadline_ = clock.steady() + timeout;
    }
  }
  ~DockerExecEventStream() override { output_->close(); }

  asio::awaitable<Result<std::optional<ExecEvent>>> next() override {
    using namespace asio::experimental::awaitable_operators;
    if (closed_) {
      co_return Error(Errc::Cancelled,
                      "the exec stream of container " + q(containerId_) + " was closed");
    }
    if (done_) {
      co_return std::optional<ExecEvent>();
    }
    if (!deadline_) {
      co_return co_await step();
    }
    auto work = step();
    auto timer = clock_.sleepUntil(*deadline_);
    std::variant<Result<std::optional<ExecEvent>>, Result<void>> first =
        co_await (std::move(work) || std::move(timer));
    if (first.index() == 0) {
      co_return std::get<0>(std::move(first));
    }
    Result<void> slept = std::get<1>(std::move(first));
    if (!slept) {
      co_return std::move(slept).error();  // cancelled
    }
    done_ = true;
    output_->close();
    co_return Error(Errc::Timeout,
                    fmt::format("exec in container '{}' did not finish within {:g}s", containerId_,
                                std::chrono::duration<double>(timeout_).count()));
  }

  void close() override {
    closed_ = true;
    output_->close();
  }

 private:
  asio::awaitable<Result<std::optional<ExecEvent>>> step() {
    const std::string what = "reading the output of an exec in container " + q(containerId_);
    if (!outputEnded_) {
      Result<std::optional<engine::LogChunk>> chunk = co_await output_->next();
      if (!chunk) {
        done_ = true;
        output_->close();
        co_return std::move(chunk).error().context(what);
      }
      if (chunk->has_value()) {
        ExecEvent e;
        e.kind = (*chunk)->stream == engine::StreamKind::Stderr ? ExecEvent::Kind::Stderr
                                                                : ExecEvent::Kind::Stdout;
        e.bytes = std::move((*chunk)->bytes);
        co_return std::optional<ExecEvent>(std::move(e));
      }
      outputEnded_ = true;
      output_->close();
    }
    // The output ends when the process has closed it; the engine records the exit a moment
    // later (or much later, when the process keeps running without its output).
    engine::ContainersApi ops(client_);
    auto backoff = 5ms;
    for (;;) {
      Result<engine::ExecState> state = co_await ops.inspectExec(execId_);
      if (!state) {
        done_ = true;
        co_return std::move(state).error().context(what);
      }
      if (!state->running) {
        done_ = true;
        if (!state->exitCode) {
          co_return Error(Errc::Internal,
                          "the engine reported no exit code for an exec in container " +
                              q(containerId_) + " that is not running");
        }
        ExecEvent e;
        e.kind = ExecEvent::Kind::Exit;
        e.exitCode = *state->exitCode;
        co_return std::optional<ExecEvent>(std::move(e));
      }
      LS_CO_TRY(co_await clock_.sleepFor(backoff));
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 250ms);
    }
  }

  engine::Client& client_;
  Clock& clock_;
  std::string containerId_;
  std::string execId_;
  std::unique_ptr<engine::LogStream> output_;
  std::chrono::nanoseconds timeout_;
  std::optional<Clock::SteadyTime> deadline_;
  bool outputEnded_ = false;
  bool done_ = false;
  bool closed_ = false;
};

}  // namespace

asio::awaitable<Result<void>> DockerRuntime::restart(const ContainerId& id,
                                                     std::chrono::nanoseconds grace) {
  // NOTE: stop + start rather than POST /restart: `stop` already handles sub-second grace
  // periods, and the start's answer tells a container gone meanwhile (NotFound) apart.
  Result<StopOutcome> stopped = co_await stop(id, grace);
  if (!stopped) {
    co_return std::move(stopped).error().context("restart container " + q(id.value));
  }
  Result<engine::StartOutcome> started = co_await impl_->api.startContainer(id.value);
  if (!started) {
    co_return std::move(started).error().context("restart container " + q(id.value));
  }
  co_return ok();
}

asio::awaitable<Result<void>> DockerRuntime::kill(const ContainerId& id,
                                                  const std::string& signal) {
  std::string name = "SIGKILL";
  if (!signal.empty()) {
    Result<Signal> sig = validateSignal(signal);
    if (!sig) {
      co_return std::move(sig).error().context("kill container " + q(id.value));
    }
    name = sig->name;
  }
  engine::ContainersApi ops(impl_->client);
  auto killed = co_await ops.kill(id.value, name);
  if (!killed && co_await impl_->notRunningAfterServerError(killed.error(), id.value)) {
    // Docker answers 409 for a container that is not running; podman 4.3 answers 500.
    const auto& engineSaid = *killed.error().engine();
    co_return Error(Errc::Conflict, "kill container " + q(id.value) + ": it is not running")
        .withEngine(engineSaid.status, engineSaid.message);
  }
  co_return killed;
}

asio::awaitable<Result<WaitOutcome>> DockerRuntime::wait(const ContainerId& id,
                                                         WaitCondition condition) {
  engine::ContainersApi ops(impl_->client);
  if (condition == WaitCondition::Removed) {
    LS_CO_TRY(co_await impl_->knowEngine());  // which engine answers decides the wait
  }
  if (condition == WaitCondition::Removed && impl_->podman()) {
    // Podman before 4.6 answers wait?condition=removed with exit code 0 whatever the container
    // exited with (containers/podman#18889): take the code from a not-running wait, then wait
    // for the removal by looking until the container is gone.
    // The full id: podman's event filter does not find a removed container by its name.
    const auto since = impl_->clock.system() - 1s;
    auto before = co_await impl_->api.inspectContainer(id.value);
    const std::string fullId = before ? before->id : id.value;
    // An inspect while the removal is under way answers 500 "does not exist in database" now
    // and then: asked again (every 100 ms, at most kRemovalInspects times) until it says.
    auto settledInspect = [this, &id]() -> asio::awaitable<Result<engine::ContainerInfo>> {
      for (int attempt = 1;; ++attempt) {
        Result<engine::ContainerInfo> info = co_await impl_->api.inspectContainer(id.value);
        if (info || !transientInspectFailure(info.error()) || attempt == kRemovalInspects) {
          co_return info;
        }
        LS_CO_TRY(co_await impl_->clock.sleepFor(100ms));
      }
    };
    auto waited = co_await ops.wait(id.value, "not-running");
    if (!waited) {
      // Podman 4.3's wait on a container force-removed meanwhile answers, in about half the
      // runs, 200 {"StatusCode":0,"Error":{"Message":"container has already been removed"}}:
      // once the inspect says the container is gone, its exit code is its last die event's.
      auto gone = co_await settledInspect();
      if (!gone && gone.error().code() == Errc::NotFound) {
        if (auto code =
                co_await lastDieExitCode(impl_->api, fullId, since, impl_->clock.system())) {
          co_return classifyExit(*code, false, "", std::nullopt);
        }
      }
      co_return std::move(waited).error();
    }
    const int code = *waited;
    for (;;) {
      Result<engine::ContainerInfo> info = co_await settledInspect();
      if (!info && info.error().code() == Errc::NotFound) {
        co_return classifyExit(code, false, "", std::nullopt);
      }
      if (!info) {
        co_return std::move(info).error();
      }
      LS_CO_TRY(co_await impl_->clock.sleepFor(std::chrono::milliseconds(100)));
    }
  }
  const std::string cond(waitConditionName(condition));
  // Podman 4.3 stops a container in two steps ("stopped", then "exited" once conmon's cleanup
  // ran, about a second later), and a next-exit wait armed between them returns at the second,
  // which is no exit. On podman, a next-exit wait armed on a stopped container that returns
  // while the container has not started since is armed again.
  std::optional<std::optional<engine::Timestamp>> stoppedSince;
  if (condition == WaitCondition::NextExit) {
    LS_CO_TRY(co_await impl_->knowEngine());
    if (impl_->podman()) {
      auto armed = co_await impl_->api.inspectContainer(id.value);
      if (armed && !armed->state.running) {
        stoppedSince = armed->state.startedAt;
      }
    }
  }
  LS_CO_ASSIGN_OR_RETURN(int code, co_await ops.wait(id.value, cond));
  for (int rearmed = 0; stoppedSince && rearmed < 100; ++rearmed) {
    auto now = co_await impl_->api.inspectContainer(id.value);
    if (!now || now->state.running || now->state.startedAt != *stoppedSince) {
      break;
    }
    LS_CO_TRY(co_await impl_->clock.sleepFor(std::chrono::milliseconds(50)));
    LS_CO_ASSIGN_OR_RETURN(code, co_await ops.wait(id.value, cond));
  }
  if (condition == WaitCondition::Removed) {
    co_return classifyExit(code, false, "", std::nullopt);
  }
  Result<engine::ContainerInfo> info = co_await impl_->api.inspectContainer(id.value);
  if (!info) {
    if (info.error().code() == Errc::NotFound) {
      co_return classifyExit(code, false, "", std::nullopt);  // removed right after exiting
    }
    co_return std::move(info).error();
  }
  std::optional<std::chrono::system_clock::time_point> finished;
  if (info->state.finishedAt) {
    finished = toSys(*info->state.finishedAt);
  }
  // NOTE: the code is the wait's (the exit it saw), even if the container restarted since.
  co_return classifyExit(code, info->state.oomKilled, info->state.error, finished);
}

asio::awaitable<Result<void>> DockerRuntime::rename(const ContainerId& id,
                                                    const std::string& newName) {
  engine::ContainersApi ops(impl_->client);
  co_return co_await ops.rename(id.value, newName);
}

asio::awaitable<Result<void>> DockerRuntime::pause(const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  co_return co_await ops.pause(id.value);
}

asio::awaitable<Result<void>> DockerRuntime::unpause(const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  co_return co_await ops.unpause(id.value);
}

asio::awaitable<Result<StatsSample>> DockerRuntime::stats(const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(engine::StatsSnapshot snap, co_await ops.stats(id.value));
  if (!snap.read) {
    co_return Error(Errc::Conflict,
                    "read stats of container " + q(id.value) + ": it is not running");
  }
  co_return toSample(snap);
}

asio::awaitable<Result<std::unique_ptr<StatsStream>>> DockerRuntime::statsStream(
    const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<engine::StatsReader> reader,
                         co_await ops.statsStream(id.value));
  co_return std::make_unique<DockerStatsStream>(std::move(reader));
}

asio::awaitable<Result<UpdateOutcome>> DockerRuntime::update(const ContainerId& id,
                                                             const ResourceUpdate& update) {
  if (update.empty()) {
    co_return UpdateOutcome{};
  }
  engine::ContainersApi ops(impl_->client);
  const engine::ResourcesUpdate body = toEngineUpdate(update);
  LS_CO_ASSIGN_OR_RETURN(std::vector<std::string> warnings, co_await ops.update(id.value, body));
  UpdateOutcome out;
  out.warnings = std::move(warnings);
  co_return out;
}

asio::awaitable<Result<TopOutput>> DockerRuntime::top(const ContainerId& id,
                                                      const std::vector<std::string>& psArgs) {
  std::string joined;
  for (const auto& a : psArgs) {
    // The engine splits ps_args on spaces: an argument with whitespace cannot be passed as one.
    if (a.empty() || a.find_first_of(" \t\r\n") != std::string::npos) {
      co_return Error(Errc::InvalidArgument, "list processes of container " + q(id.value) +
                                                 ": ps argument " + q(a) +
                                                 " is empty or has whitespace");
    }
    joined += (joined.empty() ? "" : " ") + a;
  }
  LS_CO_TRY(co_await impl_->knowEngine());
  if (impl_->podman()) {
    if (std::optional<std::string> descriptors = podmanTopDescriptors(psArgs)) {
      joined = std::move(*descriptors);
    }
  }
  engine::ContainersApi ops(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(engine::TopResult top, co_await ops.top(id.value, joined));
  TopOutput out;
  out.titles = std::move(top.titles);
  out.processes = std::move(top.processes);
  co_return out;
}

asio::awaitable<Result<std::vector<FilesystemChange>>> DockerRuntime::changes(
    const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(std::vector<engine::FilesystemDiff> diffs, co_await ops.changes(id.value));
  std::vector<FilesystemChange> out;
  out.reserve(diffs.size());
  for (auto& d : diffs) {
    FilesystemChange c;
    c.path = std::move(d.path);
    switch (d.kind) {
      case engine::FilesystemDiff::Kind::Modified: c.kind = FilesystemChange::Kind::Modified; break;
      case engine::FilesystemDiff::Kind::Added: c.kind = FilesystemChange::Kind::Added; break;
      case engine::FilesystemDiff::Kind::Deleted: c.kind = FilesystemChange::Kind::Deleted; break;
    }
    out.push_back(std::move(c));
  }
  co_return out;
}

asio::awaitable<Result<std::vector<PortMapping>>> DockerRuntime::portMappings(
    const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerDetail detail, co_await ops.inspect(id.value));
  co_return toPortMappings(detail.ports);
}

asio::awaitable<Result<ContainerDetails>> DockerRuntime::inspectDetailed(const ContainerId& id) {
  engine::ContainersApi ops(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerDetail detail, co_await ops.inspect(id.value));
  const engine::ContainerInfo& info = detail.info;
  ContainerDetails out;
  out.status = detail::toStatus(info);
  out.name = info.name;
  out.image = impl_->imageName(info.image);
  out.ports = toPortMappings(detail.ports);
  for (const auto& [network, attachment] : info.networks) {
    NetworkAttachment a;
    a.network = network;
    a.aliases = attachment.aliases;
    a.ipv4 = attachment.ipAddress;
    out.networks.push_back(std::move(a));
  }
  const std::string& health = info.state.health;
  out.health.status = health.empty() ? "none" : health;
  out.health.failingStreak = info.state.failingStreak;
  out.health.lastOutput = detail.healthLastOutput;
  if (info.state.running && info.state.pid > 0) {
    out.pid = info.state.pid;
  }
  out.labels = info.labels;
  co_return out;
}

asio::awaitable<Result<PruneReport>> DockerRuntime::pruneContainers() {
  engine::ContainersApi ops(impl_->client);
  const std::map<std::string, std::vector<std::string>> noFilters;
  LS_CO_ASSIGN_OR_RETURN(engine::ContainerPruneResult pruned, co_await ops.prune(noFilters));
  PruneReport out;
  out.deleted = std::move(pruned.deleted);
  out.spaceReclaimed = pruned.spaceReclaimed;
  co_return out;
}

asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> DockerRuntime::execStream(
    const ContainerId& id, const ExecRequest& request) {
  auto& d = *impl_;
  LS_CO_ASSIGN_OR_RETURN(engine::ExecCreate create, execCreateFor(id.value, request));
  LS_CO_ASSIGN_OR_RETURN(std::string execId, co_await d.createExec(id.value, create));
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<engine::LogStream> output,
                         co_await d.api.startExec(execId));
  co_return std::make_unique<DockerExecEventStream>(d.client, d.clock, id.value, std::move(execId),
                                                    std::move(output), request.timeout);
}

}  // namespace ls::runtime
