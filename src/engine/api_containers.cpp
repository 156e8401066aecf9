// Engine API calls for the containers operations of the wider runtime surface, and the JSON
// mapping of their requests and answers.
#include "engine/api_containers.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <tuple>

#include "engine/json_messages.hpp"
#include "engine/json_reader.hpp"
#include "engine/mapping.hpp"
#include "engine/ndjson.hpp"
#include "engine/timestamp.hpp"

namespace asio = boost::asio;
namespace json = boost::json;

namespace ls::engine {
namespace {

std::string quoted(std::string_view what, std::string_view id) {
  return std::string(what) + " '" + std::string(id) + "'";
}

/// A container or exec id that can go verbatim into a request path.
Result<void> checkPathSegment(std::string_view kind, std::string_view id) {
  if (id.empty()) {
    return Error(Errc::InvalidArgument, "empty " + std::string(kind) + " name or id");
  }
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '/' || c == '?' || c == '#' || c == '%') {
      return Error(Errc::InvalidArgument,
                   std::string(kind) + " '" + std::string(id) +
                       "' has a character no engine accepts in a name or id (whitespace, control, "
                       "'/', '?', '#' or '%')");
    }
  }
  return ok();
}

/// A body that must be one JSON value.
Result<json::value> parse(std::string_view body, std::string_view what) {
  return parseBody(body, what);
}

/// The cgroup "no limit" values (v1 reports PAGE_COUNTER_MAX rounded to pages) and beyond.
constexpr std::uint64_t kUnlimited = std::uint64_t{1} << 62;

Result<StatsSnapshot> decodeStatsValue(const json::value& v) {
  JsonReader r(v, "stats");
  if (!r.isObject()) {
    LS_TRY(r.status());
    return Error(Errc::InvalidArgument, "engine response: 'stats' is not an object");
  }
  StatsSnapshot out;
  if (const std::string read = r.str("read"); !read.empty() && read.rfind("0001-01-01", 0) != 0) {
    auto t = parseRfc3339(read);
    if (!t) {
      return Error(Errc::InvalidArgument, "engine response: 'stats.read' is not an RFC 3339 time");
    }
    out.read = *t;
  }
  JsonReader cpu = r.child("cpu_stats");
  JsonReader usage = cpu.child("cpu_usage");
  out.cpuTotalNs = usage.u64("total_usage");
  out.systemCpuNs = cpu.u64("system_cpu_usage");
  out.onlineCpus =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(cpu.u64("online_cpus"), 1u << 20));
  if (out.onlineCpus == 0) {
    if (const json::array* per = usage.array("percpu_usage")) {
      out.onlineCpus = static_cast<std::uint32_t>(per->size());
    }
  }
  r.merge(cpu);
  r.merge(usage);

  JsonReader mem = r.child("memory_stats");
  out.memoryUsage = mem.u64("usage");
  JsonReader memStats = mem.child("stats");
  // `docker stats`: cgroup v1 reports total_inactive_file (and inactive_file for the cgroup
  // alone); v2 only inactive_file.
  std::uint64_t inactive = 0;
  if (memStats.raw("total_inactive_file") != nullptr) {
    inactive = memStats.u64("total_inactive_file");
  } else {
    inactive = memStats.u64("inactive_file");
  }
  out.memoryUsed = inactive < out.memoryUsage ? out.memoryUsage - inactive : out.memoryUsage;
  const std::uint64_t limit = mem.u64("limit");
  out.memoryLimit = limit >= kUnlimited ? 0 : limit;
  r.merge(mem);
  r.merge(memStats);

  if (const json::object* nets = r.object("networks")) {
    for (const auto& [name, n] : *nets) {
      JsonReader nf = r.element(n, ".networks." + std::string(name));
      out.networkRx += nf.u64("rx_bytes");
      out.networkTx += nf.u64("tx_bytes");
      r.merge(nf);
    }
  }

  JsonReader blkio = r.child("blkio_stats");
  if (const json::array* entries = blkio.array("io_service_bytes_recursive")) {
    for (const auto& e : *entries) {
      JsonReader ef = blkio.element(e, ".io_service_bytes_recursive[]");
      std::string op = ef.str("op");
      std::transform(op.begin(), op.end(), op.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (op == "read") {
        out.blockRead += ef.u64("value");
      } else if (op == "write") {
        out.blockWrite += ef.u64("value");
      }
      blkio.merge(ef);
    }
  }
  r.merge(blkio);

  JsonReader pids = r.child("pids_stats");
  out.pidsCurrent = pids.u64("current");
  if (const std::uint64_t pl = pids.u64("limit"); pl != 0 && pl < kUnlimited) {
    out.pidsLimit = pl;
  }
  r.merge(pids);
  LS_TRY(r.status());
  return out;
}

/// "80/tcp" -> (80, "tcp"). InvalidArgument for anything else (an engine only sends tcp, udp
/// and sctp).
Result<std::pair<std::uint16_t, std::string>> parsePortKey(std::string_view key) {
  const auto slash = key.find('/');
  const std::string_view num = key.substr(0, slash);
  const std::string_view proto = slash == std::string_view::npos ? "tcp" : key.substr(slash + 1);
  std::uint16_t port = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), port);
  if (ec != std::errc() || p != num.data() + num.size() || port == 0) {
    return Error(Errc::InvalidArgument,
                 "engine response: port '" + std::string(key) + "' is not <port>/<protocol>");
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return Error(Errc::InvalidArgument, "engine response: port '" + std::string(key) +
                                            "' has an unknown protocol (tcp, udp or sctp)");
  }
  return std::make_pair(port, std::string(proto));
}

Result<std::vector<PortEntry>> decodePorts(JsonReader& net) {
  std::vector<PortEntry> out;
  const json::object* ports = net.object("Ports");
  if (ports == nullptr) {
    return out;
  }
  for (const auto& [key, bindings] : *ports) {
    LS_ASSIGN_OR_RETURN(auto parsed, parsePortKey(key));
    PortEntry base;
    base.containerPort = parsed.first;
    base.protocol = std::move(parsed.second);
    if (bindings.is_null() || (bindings.is_array() && bindings.as_array().empty())) {
      out.push_back(base);  // exposed, not published
      continue;
    }
    if (!bindings.is_array()) {
      return Error(Errc::InvalidArgument, "engine response: 'container.NetworkSettings.Ports." +
                                              std::string(key) + "' is not an array");
    }
    for (const auto& b : bindings.as_array()) {
      JsonReader bf = net.element(b, ".Ports." + std::string(key) + "[]");
      PortEntry e = base;
      e.hostIp = bf.str("HostIp");
      const std::string hp = bf.str("HostPort");
      LS_TRY(bf.status());
      if (!hp.empty()) {
        std::uint16_t port = 0;
        auto [p, ec] = std::from_chars(hp.data(), hp.data() + hp.size(), port);
        if (ec != std::errc() || p != hp.data() + hp.size()) {
          return Error(Errc::InvalidArgument, "engine response: host port '" + hp + "' of '" +
                                                  std::string(key) + "' is not a port number");
        }
        e.hostPort = port;
      }
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const PortEntry& a, const PortEntry& b) {
    return std::tie(a.containerPort, a.protocol, a.hostIp) <
           std::tie(b.containerPort, b.protocol, b.hostIp);
  });
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Mapping

Result<void> checkContainerName(std::string_view name) {
  std::string_view n = name;
  if (!n.empty() && n.front() == '/') {
    n.remove_prefix(1);
  }
  bool valid = n.size() >= 2;
  for (std::size_t i = 0; valid && i < n.size(); ++i) {
    const char c = n[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    valid = alnum || (i > 0 && (c == '_' || c == '.' || c == '-'));
  }
  if (!valid) {
    return Error(Errc::InvalidArgument, "invalid container name '" + std::string(name) +
                                            "': only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed");
  }
  return ok();
}

bool ResourcesUpdate::empty() const noexcept {
  return !cpuShares && !cpuPeriod && !cpuQuota && !cpusetCpus && !cpusetMems && !memory &&
         !memorySwap && !memoryReservation && !pidsLimit && !blkioWeight && !restartPolicy;
}

Result<int> decodeWaitResponse(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "wait for container"));
  JsonReader r(v, "wait");
  JsonReader err = r.child("Error");
  const std::string message = err.str("Message");
  const json::value* code = r.raw("StatusCode");
  LS_TRY(r.status());
  if (!message.empty()) {
    return Error(Errc::Internal, "the engine could not wait for the container: " + message);
  }
  if (code == nullptr || !(code->is_int64() || code->is_uint64())) {
    return Error(Errc::InvalidArgument,
                 "engine response: 'wait.StatusCode' is missing or not an integer");
  }
  return static_cast<int>(code->to_number<std::int64_t>());
}

std::string encodeResourcesUpdate(const ResourcesUpdate& u) {
  json::object o;
  auto put = [&o](std::string_view key, const std::optional<std::int64_t>& v) {
    if (v) {
      o[key] = *v;
    }
  };
  put("CpuShares", u.cpuShares);
  put("CpuPeriod", u.cpuPeriod);
  put("CpuQuota", u.cpuQuota);
  if (u.cpusetCpus) {
    o["CpusetCpus"] = *u.cpusetCpus;
  }
  if (u.cpusetMems) {
    o["CpusetMems"] = *u.cpusetMems;
  }
  put("Memory", u.memory);
  put("MemorySwap", u.memorySwap);
  put("MemoryReservation", u.memoryReservation);
  put("PidsLimit", u.pidsLimit);
  if (u.blkioWeight) {
    o["BlkioWeight"] = *u.blkioWeight;
  }
  if (u.restartPolicy) {
    json::object rp;
    rp["Name"] = *u.restartPolicy;
    if (*u.restartPolicy == "on-failure") {
      rp["MaximumRetryCount"] = u.restartMaxRetries;
    }
    o["RestartPolicy"] = std::move(rp);
  }
  return json::serialize(o);
}

Result<std::vector<std::string>> decodeUpdateWarnings(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::vector<std::string>{};
  }
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "update container"));
  JsonReader r(v, "update");
  std::vector<std::string> out = r.strings("Warnings");
  LS_TRY(r.status());
  return out;
}

Result<TopResult> decodeTop(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "list processes"));
  JsonReader r(v, "top");
  TopResult out;
  out.titles = r.strings("Titles");
  if (const json::array* procs = r.array("Processes")) {
    for (const auto& p : *procs) {
      if (!p.is_array()) {
        return Error(Errc::InvalidArgument, "engine response: 'top.Processes[]' is not an array");
      }
      std::vector<std::string> row;
      for (const auto& cell : p.as_array()) {
        if (!cell.is_string()) {
          return Error(Errc::InvalidArgument,
                       "engine response: 'top.Processes[][]' is not a string");
        }
        row.emplace_back(cell.as_string());
      }
      out.processes.push_back(std::move(row));
    }
  }
  LS_TRY(r.status());
  return out;
}

Result<std::vector<FilesystemDiff>> decodeChanges(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "list filesystem changes"));
  std::vector<FilesystemDiff> out;
  if (v.is_null()) {
    return out;  // the engine answers null when nothing changed
  }
  if (!v.is_array()) {
    return Error(Errc::InvalidArgument, "engine response: 'changes' is not an array");
  }
  for (const auto& e : v.as_array()) {
    JsonReader f(e, "changes[]");
    FilesystemDiff d;
    d.path = f.str("Path");
    const std::int64_t kind = f.i64("Kind");
    LS_TRY(f.status());
    if (kind < 0 || kind > 2) {
      return Error(Errc::InvalidArgument, "engine response: change kind " + std::to_string(kind) +
                                              " of '" + d.path + "' is not 0, 1 or 2");
    }
    d.kind = static_cast<FilesystemDiff::Kind>(kind);
    out.push_back(std::move(d));
  }
  return out;
}

Result<StatsSnapshot> decodeStats(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    // Podman 4.3 answers a one-shot read of a container that is not running with 200 and no
    // body at all, where Docker sends a sample whose `read` is the zero time: no sample either way.
    return StatsSnapshot{};
  }
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "read container stats"));
  return decodeStatsValue(v);
}

Result<ContainerDetail> decodeContainerDetail(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "inspect container"));
  ContainerDetail out;
  LS_ASSIGN_OR_RETURN(out.info, decodeContainerInfo(v));
  JsonReader r(v, "container");
  JsonReader net = r.child("NetworkSettings");
  LS_ASSIGN_OR_RETURN(out.ports, decodePorts(net));
  JsonReader state = r.child("State");
  JsonReader health = state.child("Health");
  if (const json::array* log = health.array("Log"); log != nullptr && !log->empty()) {
    JsonReader last = health.element(log->back(), ".Log[]");
    out.healthLastOutput = last.str("Output");
    health.merge(last);
  }
  JsonReader host = r.child("HostConfig");
  HostResources& res = out.resources;
  res.memory = host.i64("Memory");
  res.memorySwap = host.i64("MemorySwap");
  res.memoryReservation = host.i64("MemoryReservation");
  res.cpuShares = host.i64("CpuShares");
  res.cpuPeriod = host.i64("CpuPeriod");
  res.cpuQuota = host.i64("CpuQuota");
  res.nanoCpus = host.i64("NanoCpus");
  res.cpusetCpus = host.str("CpusetCpus");
  res.cpusetMems = host.str("CpusetMems");
  res.pidsLimit = host.i64("PidsLimit");
  res.blkioWeight =
      static_cast<std::uint16_t>(std::clamp<std::int64_t>(host.i64("BlkioWeight"), 0, 65535));
  JsonReader restart = host.child("RestartPolicy");
  res.restartPolicy = restart.str("Name");
  res.restartMaxRetries = static_cast<int>(restart.i64("MaximumRetryCount"));
  for (const JsonReader* f : {&net, &state, &health, &host, &restart}) {
    r.merge(*f);
  }
  LS_TRY(r.status());
  return out;
}

Result<ContainerPruneResult> decodeContainerPrune(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "prune containers"));
  JsonReader r(v, "prune");
  ContainerPruneResult out;
  out.deleted = r.strings("ContainersDeleted");
  out.spaceReclaimed = r.u64("SpaceReclaimed");
  LS_TRY(r.status());
  return out;
}

Result<ExecState> decodeExecState(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parse(body, "inspect exec"));
  JsonReader r(v, "exec");
  if (!r.isObject()) {
    LS_TRY(r.status());
    return Error(Errc::InvalidArgument, "engine response: 'exec' is not an object");
  }
  ExecState out;
  out.running = r.boolean("Running");
  if (r.raw("ExitCode") != nullptr) {
    out.exitCode = static_cast<int>(r.i64("ExitCode"));
  }
  out.pid = static_cast<int>(r.i64("Pid"));
  LS_TRY(r.status());
  return out;
}

// ---------------------------------------------------------------------------------------------
// StatsReader

struct StatsReader::Impl {
  explicit Impl(std::unique_ptr<ResponseStream> body) : messages(std::move(body)) {}
  JsonMessages messages;
};

StatsReader::StatsReader(std::unique_ptr<ResponseStream> body)
    : impl_(std::make_unique<Impl>(std::move(body))) {}
StatsReader::~StatsReader() = default;
void StatsReader::close() { impl_->messages.close(); }

asio::awaitable<Result<std::optional<StatsSnapshot>>> StatsReader::next() {
  LS_CO_ASSIGN_OR_RETURN(std::optional<json::value> v, co_await impl_->messages.next());
  if (!v) {
    co_return std::optional<StatsSnapshot>();
  }
  LS_CO_ASSIGN_OR_RETURN(StatsSnapshot snap, decodeStatsValue(*v));
  co_return std::optional<StatsSnapshot>(std::move(snap));
}

// ---------------------------------------------------------------------------------------------
// ContainersApi

asio::awaitable<Result<void>> ContainersApi::kill(const std::string& id,
                                                  const std::string& signal) {
  LS_CO_TRY(checkPathSegment("container", id));
  Request req{.method = "POST",
              .path = "/containers/" + id + "/kill",
              .operation = quoted("kill container", id)};
  req.query.emplace_back("signal", signal);
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<int>> ContainersApi::wait(const std::string& id,
                                                 const std::string& condition) {
  LS_CO_TRY(checkPathSegment("container", id));
  const std::string what = quoted("wait for container", id);
  // NOTE: a stream, not a buffered request: the request timeout bounds only the header, which
  // the engine sends as soon as the wait is registered; the body comes when the condition holds.
  Request req{.method = "POST", .path = "/containers/" + id + "/wait", .operation = what};
  req.query.emplace_back("condition", condition);
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<ResponseStream> body,
                         co_await client_.stream(std::move(req)));
  std::string text;
  for (;;) {
    Result<std::optional<std::string>> piece = co_await body->next();
    if (!piece) {
      body->close();
      co_return std::move(piece).error().context(what);
    }
    if (!*piece) {
      break;
    }
    text += **piece;
    if (text.size() > (1u << 20)) {
      co_return Error(Errc::InvalidArgument, what + ": the engine's answer is too large");
    }
  }
  auto code = decodeWaitResponse(text);
  if (!code) {
    co_return std::move(code).error().context(what);
  }
  co_return *code;
}

asio::awaitable<Result<void>> ContainersApi::rename(const std::string& id,
                                                    const std::string& newName) {
  LS_CO_TRY(checkPathSegment("container", id));
  const std::string what = quoted("rename container", id);
  if (auto valid = checkContainerName(newName); !valid) {
    co_return std::move(valid).error().context(what);
  }
  Request req{.method = "POST", .path = "/containers/" + id + "/rename", .operation = what};
  req.query.emplace_back("name", newName);
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<void>> ContainersApi::pause(const std::string& id) {
  LS_CO_TRY(checkPathSegment("container", id));
  Request req{.method = "POST",
              .path = "/containers/" + id + "/pause",
              .operation = quoted("pause container", id)};
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<void>> ContainersApi::unpause(const std::string& id) {
  LS_CO_TRY(checkPathSegment("container", id));
  Request req{.method = "POST",
              .path = "/containers/" + id + "/unpause",
              .operation = quoted("unpause container", id)};
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<std::vector<std::string>>> ContainersApi::update(
    const std::string& id, const ResourcesUpdate& update) {
  LS_CO_TRY(checkPathSegment("container", id));
  const std::string what = quoted("update container", id);
  Request req{.method = "POST",
              .path = "/containers/" + id + "/update",
              .body = encodeResourcesUpdate(update),
              .operation = what};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto warnings = decodeUpdateWarnings(res.body);
  if (!warnings) {
    co_return std::move(warnings).error().context(what);
  }
  co_return std::move(warnings).value();
}

asio::awaitable<Result<TopResult>> ContainersApi::top(const std::string& id,
                                                      const std::string& psArgs) {
  LS_CO_TRY(checkPathSegment("container", id));
  const std::string what = quoted("list processes of container", id);
  Request req{.path = "/containers/" + id + "/top", .operation = what};
  if (!psArgs.empty()) {
    req.query.emplace_back("ps_args", psArgs);
  }
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto top = decodeTop(res.body);
  if (!top) {
    co_return std::move(top).error().context(what);
  }
  co_return std::move(top).value();
}

asio::awaitable<Result<std::vector<FilesystemDiff>>> ContainersApi::changes(const std::string& id) {
  LS_CO_TRY(checkPathSegment("container", id));
  const std::string what = quoted("list filesystem changes of container", id);
  Request req{.path = "/containers/" + id + "/changes", .operation = what};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto changes = decodeChanges(res.body);
  if (!changes) {
    co_return std::move(changes).error().context(what);
  }
  co_return std::move(changes).value();
}

asio::awaitable<Result<StatsSnapshot>> ContainersApi::stats(const std::string& id) {
  LS_CO_TRY(checkPathSegment("container", id));
  if (client_.apiVersion().empty()) {
    LS_CO_TRY(co_await client_.negotiate());  // one-shot depends on the version
  }
  const std::string what = quoted("read stats of container", id);
  Request req{.path = "/containers/" + id + "/stats", .operation = what};
  req.query.emplace_back("stream", "0");
  if (compareApiVersions(client_.apiVersion(), "1.41") >= 0) {
    req.query.emplace_back("one-shot", "1");
  }
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto snap = decodeStats(res.body);
  if (!snap) {
    co_return std::move(snap).error().context(what);
  }
  co_return std::move(snap).value();
}

asio::awaitable<Result<std::unique_ptr<StatsReader>>> ContainersApi::statsStream(
    const std::string& id) {
  LS_CO_TRY(checkPathSegment("container", id));
  Request req{.path = "/containers/" + id + "/stats",
              .operation = quoted("stream stats of container", id)};
  req.query.emplace_back("stream", "1");
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<ResponseStream> body,
                         co_await client_.stream(std::move(req)));
  co_return std::make_unique<StatsReader>(std::move(body));
}

asio::awaitable<Result<ContainerDetail>> ContainersApi::inspect(const std::string& id) {
  LS_CO_TRY(checkPathSegment("container", id));
  const std::string what = quoted("inspect container", id);
  Request req{.path = "/containers/" + id + "/json", .operation = what};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto detail = decodeContainerDetail(res.body);
  if (!detail) {
    co_return std::move(detail).error().context(what);
  }
  co_return std::move(detail).value();
}

asio::awaitable<Result<ContainerPruneResult>> ContainersApi::prune(
    const std::map<std::string, std::vector<std::string>>& filters) {
  Request req{.method = "POST", .path = "/containers/prune", .operation = "prune containers"};
  if (!filters.empty()) {
    req.query.emplace_back("filters", encodeFilters(filters));
  }
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto pruned = decodeContainerPrune(res.body);
  if (!pruned) {
    co_return std::move(pruned).error().context("prune containers");
  }
  co_return std::move(pruned).value();
}

asio::awaitable<Result<ExecState>> ContainersApi::inspectExec(const std::string& execId) {
  LS_CO_TRY(checkPathSegment("exec", execId));
  const std::string what = quoted("inspect exec", execId);
  Request req{.path = "/exec/" + execId + "/json", .operation = what};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  auto state = decodeExecState(res.body);
  if (!state) {
    co_return std::move(state).error().context(what);
  }
  co_return std::move(state).value();
}

}  // namespace ls::engine
