#include "lightshuttle/control/codec.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>

#include "control/codec_json.hpp"
#include "control/json_fields.hpp"

namespace json = boost::json;

namespace ls::control {
namespace {

using lifecycle::Health;
using lifecycle::LifecycleEvent;
using lifecycle::ResourceStatus;
using lifecycle::StackStatus;

json::value timeOrNull(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? json::value(formatTime(*t)) : json::value(nullptr);
}

template <typename T>
json::value orNull(const std::optional<T>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

using detail::intField;
using detail::stringField;

// A `*_ms` field as a duration in nanoseconds; absent when it does not fit one.
std::optional<std::chrono::nanoseconds> millis(const json::object& o, std::string_view key) {
  constexpr std::int64_t kMax = std::chrono::nanoseconds::max().count() / 1'000'000;
  const std::optional<std::int64_t> ms = intField(o, key);
  if (!ms || *ms > kMax || *ms < -kMax) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(*ms);
}

std::optional<std::chrono::system_clock::time_point> timeField(const json::object& o,
                                                               std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  return parseTime(v->as_string());
}

template <typename E, int N>
std::optional<E> enumFromName(std::string_view name, std::string_view (*nameOf)(E) noexcept) {
  for (int i = 0; i < N; ++i) {
    if (nameOf(static_cast<E>(i)) == name) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

constexpr int kStatusCount = 8;
constexpr int kHealthCount = 4;
constexpr int kStackStatusCount = 6;
constexpr int kEventKindCount = static_cast<int>(LifecycleEvent::Kind::Lagged) + 1;

Result<json::object> parseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return Error(Errc::InvalidArgument, std::string(what) + " is not JSON: " + ec.message());
  }
  if (!v.is_object()) {
    return Error(Errc::InvalidArgument, std::string(what) + " is not a JSON object");
  }
  return std::move(v.as_object());
}

Result<lifecycle::ResourceView> viewFrom(const json::object& o) {
  lifecycle::ResourceView v;
  v.name = stringField(o, "name");
  if (v.name.empty()) {
    return Error(Errc::InvalidArgument, "a resource view without \"name\"");
  }
  for (auto k : {manifest::Kind::Postgres, manifest::Kind::Redis, manifest::Kind::Container,
                 manifest::Kind::Dockerfile}) {
    if (manifest::kindName(k) == stringField(o, "kind")) {
      v.kind = k;
    }
  }
  auto status =
      enumFromName<ResourceStatus, kStatusCount>(stringField(o, "status"), &lifecycle::statusName);
  if (!status) {
    return Error(Errc::InvalidArgument,
                 "resource " + v.name + ": unknown status '" + stringField(o, "status") + "'");
  }
  v.status = *status;
  v.health = enumFromName<Health, kHealthCount>(stringField(o, "health"), &lifecycle::healthName)
                 .value_or(Health::None);
  v.image = stringField(o, "image");
  v.imageId = stringField(o, "image_id");
  v.containerId = stringField(o, "container_id");
  v.containerName = stringField(o, "container_name");
  if (const json::value* ports = o.if_contains("ports"); ports != nullptr && ports->is_array()) {
    for (const json::value& pv : ports->as_array()) {
      if (!pv.is_object()) {
        continue;
      }
      const json::object& po = pv.as_object();
      runtime::PortBinding p;
      p.containerPort = static_cast<std::uint16_t>(intField(po, "container_port").value_or(0));
      const std::string proto = stringField(po, "protocol");
      p.protocol = proto == "udp"    ? runtime::Protocol::Udp
                   : proto == "sctp" ? runtime::Protocol::Sctp
                                     : runtime::Protocol::Tcp;
      p.hostAddress = stringField(po, "host_ip");
      if (auto hp = intField(po, "host_port")) {
        p.hostPort = static_cast<std::uint16_t>(*hp);
      }
      v.ports.push_back(std::move(p));
    }
  }
  if (const json::value* deps = o.if_contains("depends_on"); deps != nullptr && deps->is_array()) {
    for (const json::value& d : deps->as_array()) {
      if (d.is_string()) {
        v.dependsOn.emplace_back(d.as_string());
      }
    }
  }
  v.startedAt = timeField(o, "started_at");
  v.readyAt = timeField(o, "ready_at");
  v.timeToReady = millis(o, "time_to_ready_ms");
  v.restarts = static_cast<int>(intField(o, "restarts").value_or(0));
  if (const json::value* e = o.if_contains("last_error"); e != nullptr && e->is_string()) {
    v.lastError = std::string(e->as_string());
  }
  if (auto code = intField(o, "exit_code")) {
    v.exitCode = static_cast<int>(*code);
  }
  if (const json::value* op = o.if_contains("operation"); op != nullptr && op->is_string()) {
    v.operation = std::string(op->as_string());
  }
  return v;
}

Result<lifecycle::StackView> stackFrom(const json::object& o) {
  lifecycle::StackView s;
  s.project = stringField(o, "project");
  auto status = enumFromName<StackStatus, kStackStatusCount>(stringField(o, "status"),
                                                             &lifecycle::stackStatusName);
  if (!status) {
    return Error(Errc::InvalidArgument, "unknown stack status '" + stringField(o, "status") + "'");
  }
  s.status = *status;
  s.startedAt = timeField(o, "started_at");
  s.readyAt = timeField(o, "ready_at");
  s.resources = static_cast<std::size_t>(intField(o, "resources").value_or(0));
  s.resourcesReady = static_cast<std::size_t>(intField(o, "resources_ready").value_or(0));
  s.engineAvailable = stringField(o, "engine") != "unavailable";
  s.engineUnavailableSince = timeField(o, "engine_unavailable_since");
  if (const json::value* w = o.if_contains("watch"); w != nullptr && w->is_object()) {
    const json::value* active = w->as_object().if_contains("active");
    s.watch = lifecycle::StackView::Watch{
        .active = active != nullptr && active->is_bool() && active->as_bool(),
        .message = stringField(w->as_object(), "message")};
  }
  return s;
}

Result<LifecycleEvent> eventFrom(const json::object& o) {
  LifecycleEvent e;
  auto kind = enumFromName<LifecycleEvent::Kind, kEventKindCount>(stringField(o, "kind"),
                                                                  &lifecycle::eventKindName);
  if (!kind) {
    return Error(Errc::InvalidArgument, "unknown event kind '" + stringField(o, "kind") + "'");
  }
  e.kind = *kind;
  e.resource = stringField(o, "resource");
  e.time = timeField(o, "time").value_or(std::chrono::system_clock::time_point{});
  e.message = stringField(o, "message");
  if (auto code = intField(o, "exit_code")) {
    e.exitCode = static_cast<int>(*code);
  }
  e.containerId = stringField(o, "container_id");
  e.restarts = static_cast<int>(intField(o, "restarts").value_or(0));
  e.delay = millis(o, "delay_ms");
  e.missed = static_cast<std::uint64_t>(intField(o, "missed").value_or(0));
  const std::int64_t files = intField(o, "files").value_or(0);
  e.files = files > 0 ? static_cast<std::uint64_t>(files) : 0;
  e.took = millis(o, "took_ms");
  return e;
}

bool httpLooking(std::uint16_t port) {
  for (std::uint16_t p : {80, 443, 3000, 4200, 5000, 5173, 8000, 8080, 8081, 8443, 8888, 9000}) {
    if (p == port) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string formatTime(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parseTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
    if (pos + n > text.size()) {
      return std::nullopt;
    }
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return std::nullopt;
      }
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       s = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *mo < 1 || *mo > 12 || *d < 1 || *h > 23 || *mi > 59 ||
      *s > 60) {
    return std::nullopt;
  }
  // A day the month does not have is refused, not carried into the next month.
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*d > kDays[*mo - 1] + (*mo == 2 && leap ? 1 : 0)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
      }
      ++n;
      ++pos;
    }
    if (n == 0) {
      return std::nullopt;
    }
    for (std::size_t k = n; k < 9; ++k) {
      nanos *= 10;
    }
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= text.size() || text[pos + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = (text[pos] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  // Days from civil (Howard Hinnant's algorithm).
  const int yy = *y - (*mo <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(*mo + (*mo > 2 ? -3 : 9)) + 2) / 5 +
                       static_cast<unsigned>(*d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days =
      static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  const std::int64_t secs = days * 86400 + *h * 3600 + *mi * 60 + *s - offset;
  // Past what system_clock counts in nanoseconds (years before 1678 or after 2261): the
  // conversion below would overflow.
  using SystemDuration = std::chrono::system_clock::duration;
  constexpr std::int64_t kMaxSecs =
      std::chrono::duration_cast<std::chrono::seconds>(SystemDuration::max()).count() - 1;
  if (secs > kMaxSecs || secs < -kMaxSecs) {
    return std::nullopt;
  }
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
}

std::optional<std::string> portUrl(const lifecycle::ResourceView& view,
                                   const runtime::PortBinding& port) {
  if (!port.hostPort || port.protocol != runtime::Protocol::Tcp) {
    return std::nullopt;
  }
  const bool appKind =
      view.kind == manifest::Kind::Container || view.kind == manifest::Kind::Dockerfile;
  if (!appKind && !httpLooking(port.containerPort)) {
    return std::nullopt;
  }
  std::string host =
      port.hostAddress.empty() || port.hostAddress == "0.0.0.0" ? "127.0.0.1" : port.hostAddress;
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return "http://" + host + ":" + std::to_string(*port.hostPort) + "/";
}

namespace detail {

std::string stringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::int64_t> intField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  if (v->is_double()) {
    // NOTE: a double outside int64 cannot be cast (undefined behaviour); such text is not ours.
    const double d = v->as_double();
    if (d >= -9.2e18 && d <= 9.2e18) {
      return static_cast<std::int64_t>(d);
    }
  }
  return std::nullopt;
}

std::string sanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    ok = ok && !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) &&
         !(len == 4 && cp < 0x10000) && !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

json::object viewJson(const lifecycle::ResourceView& v) {
  json::object o;
  o["name"] = v.name;
  o["kind"] = std::string(manifest::kindName(v.kind));
  o["status"] = std::string(lifecycle::statusName(v.status));
  o["health"] = std::string(lifecycle::healthName(v.health));
  o["restarts"] = v.restarts;
  o["image"] = v.image;
  o["image_id"] = v.imageId;
  o["container_id"] = v.containerId;
  o["container_name"] = v.containerName;
  json::array ports;
  for (const runtime::PortBinding& p : v.ports) {
    json::object po;
    po["container_port"] = p.containerPort;
    po["protocol"] = std::string(runtime::protocolName(p.protocol));
    po["host_ip"] = p.hostAddress.empty() ? std::string("127.0.0.1") : p.hostAddress;
    po["host_port"] = p.hostPort ? json::value(*p.hostPort) : json::value(nullptr);
    const std::optional<std::string> url = portUrl(v, p);
    po["url"] = url ? json::value(*url) : json::value(nullptr);
    ports.push_back(std::move(po));
  }
  o["ports"] = std::move(ports);
  json::array deps;
  for (const std::string& d : v.dependsOn) {
    deps.push_back(json::value(d));
  }
  o["depends_on"] = std::move(deps);
  o["started_at"] = timeOrNull(v.startedAt);
  o["ready_at"] = timeOrNull(v.readyAt);
  o["time_to_ready_ms"] =
      v.timeToReady
          ? json::value(
                std::chrono::duration_cast<std::chrono::milliseconds>(*v.timeToReady).count())
          : json::value(nullptr);
  o["exit_code"] = orNull(v.exitCode);
  o["last_error"] = orNull(v.lastError);
  o["operation"] = orNull(v.operation);
  return o;
}

json::object stackJson(const lifecycle::StackView& s, const std::string& version, long pid,
                       const std::string& dashboardUrl) {
  json::object o;
  o["project"] = s.project;
  o["status"] = std::string(lifecycle::stackStatusName(s.status));
  o["supervisor_pid"] = pid;
  o["started_at"] = timeOrNull(s.startedAt);
  o["ready_at"] = timeOrNull(s.readyAt);
  o["version"] = version;
  o["resources"] = s.resources;
  o["resources_ready"] = s.resourcesReady;
  o["engine"] = s.engineAvailable ? "available" : "unavailable";
  o["engine_unavailable_since"] = timeOrNull(s.engineUnavailableSince);
  if (s.watch) {
    o["watch"] =
        json::object{{"active", s.watch->active}, {"message", sanitizeUtf8(s.watch->message)}};
  } else {
    o["watch"] = nullptr;
  }
  o["dashboard_url"] = dashboardUrl.empty() ? json::value(nullptr) : json::value(dashboardUrl);
  return o;
}

json::object detailJson(const lifecycle::ResourceDetail& d) {
  json::object o = viewJson(d.view);
  json::object env;
  for (const auto& [k, v] : d.env) {
    env[k] = sanitizeUtf8(v);
  }
  o["env"] = std::move(env);
  if (d.healthcheck) {
    json::object hc;
    json::array test;
    for (const std::string& t : d.healthcheck->test) {
      test.push_back(json::value(sanitizeUtf8(t)));
    }
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    hc["test"] = std::move(test);
    hc["interval_ms"] = duration_cast<milliseconds>(d.healthcheck->interval).count();
    hc["timeout_ms"] = duration_cast<milliseconds>(d.healthcheck->timeout).count();
    hc["retries"] = d.healthcheck->retries;
    hc["start_period_ms"] = duration_cast<milliseconds>(d.healthcheck->startPeriod).count();
    o["healthcheck"] = std::move(hc);
  } else {
    o["healthcheck"] = nullptr;
  }
  o["restart_policy"] = d.restartPolicy;
  json::array cmd;
  for (const std::string& c : d.command) {
    cmd.push_back(json::value(sanitizeUtf8(c)));
  }
  o["command"] = std::move(cmd);
  json::array vols;
  for (const std::string& v : d.volumes) {
    vols.push_back(json::value(v));
  }
  o["volumes"] = std::move(vols);
  return o;
}

json::object eventJson(const LifecycleEvent& e) {
  json::object o;
  o["kind"] = std::string(lifecycle::eventKindName(e.kind));
  o["resource"] = e.resource.empty() ? json::value(nullptr) : json::value(e.resource);
  o["time"] = formatTime(e.time);
  o["message"] = sanitizeUtf8(e.message);
  o["exit_code"] = orNull(e.exitCode);
  o["container_id"] = e.containerId;
  o["restarts"] = e.restarts;
  o["delay_ms"] =
      e.delay ? json::value(std::chrono::duration_cast<std::chrono::milliseconds>(*e.delay).count())
              : json::value(nullptr);
  if (e.kind == LifecycleEvent::Kind::Lagged) {
    o["missed"] = e.missed;
  }
  if (e.files > 0) {
    o["files"] = e.files;
  }
  if (e.took) {
    o["took_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(*e.took).count();
  }
  return o;
}

json::object logLineJson(std::chrono::system_clock::time_point ts, bool stderrStream,
                         std::string_view line) {
  json::object o;
  o["ts"] = formatTime(ts);
  o["stream"] = stderrStream ? "stderr" : "stdout";
  o["line"] = sanitizeUtf8(line);
  return o;
}

json::object statsJson(const runtime::StatsSample& s, double cpuPercent) {
  json::object o;
  o["ts"] = formatTime(s.timestamp);
  o["cpu_percent"] = cpuPercent;
  o["memory_bytes"] = s.memoryUsedBytes;
  o["memory_limit_bytes"] = s.memoryLimitBytes;
  o["net_rx_bytes"] = s.networkRxBytes;
  o["net_tx_bytes"] = s.networkTxBytes;
  o["block_read_bytes"] = s.blockReadBytes;
  o["block_write_bytes"] = s.blockWriteBytes;
  o["pids"] = s.pidsCurrent;
  return o;
}

std::string errorBody(std::string_view message, std::string_view resource) {
  json::object o;
  o["error"] = sanitizeUtf8(message);
  if (!resource.empty()) {
    o["resource"] = sanitizeUtf8(resource);
  }
  return json::serialize(o);
}

}  // namespace detail

std::string encodeView(const lifecycle::ResourceView& view) {
  return json::serialize(detail::viewJson(view));
}

std::string encodeViews(const std::vector<lifecycle::ResourceView>& views) {
  json::array a;
  for (const auto& v : views) {
    a.push_back(detail::viewJson(v));
  }
  return json::serialize(a);
}

std::string encodeViewsTagged(const std::vector<lifecycle::ResourceView>& views,
                              std::string_view key, bool value) {
  json::array a;
  for (const auto& v : views) {
    json::object o = detail::viewJson(v);
    o[key] = value;
    a.push_back(std::move(o));
  }
  return json::serialize(a);
}

std::string encodeStack(const lifecycle::StackView& stack, const std::string& version, long pid,
                        const std::string& dashboardUrl) {
  return json::serialize(detail::stackJson(stack, version, pid, dashboardUrl));
}

std::string encodeDetail(const lifecycle::ResourceDetail& d) {
  return json::serialize(detail::detailJson(d));
}

std::string encodeEvent(const LifecycleEvent& e) { return json::serialize(detail::eventJson(e)); }

Result<lifecycle::ResourceView> decodeView(std::string_view text) {
  LS_ASSIGN_OR_RETURN(json::object o, parseObject(text, "a resource view"));
  return viewFrom(o);
}

Result<std::vector<lifecycle::ResourceView>> decodeViews(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) {
    return Error(Errc::InvalidArgument, "the resource list is not a JSON array");
  }
  std::vector<lifecycle::ResourceView> out;
  for (const json::value& item : v.as_array()) {
    if (!item.is_object()) {
      return Error(Errc::InvalidArgument, "the resource list holds a value that is not an object");
    }
    LS_ASSIGN_OR_RETURN(lifecycle::ResourceView view, viewFrom(item.as_object()));
    out.push_back(std::move(view));
  }
  return out;
}

Result<lifecycle::StackView> decodeStack(std::string_view text) {
  LS_ASSIGN_OR_RETURN(json::object o, parseObject(text, "the stack"));
  return stackFrom(o);
}

Result<LifecycleEvent> decodeEvent(std::string_view text) {
  LS_ASSIGN_OR_RETURN(json::object o, parseObject(text, "an event"));
  return eventFrom(o);
}

Result<EventMessage> decodeEventMessage(std::string_view text) {
  LS_ASSIGN_OR_RETURN(json::object o, parseObject(text, "an events message"));
  EventMessage m;
  const std::string type = stringField(o, "type");
  if (const json::value* st = o.if_contains("stack"); st != nullptr && st->is_object()) {
    LS_ASSIGN_OR_RETURN(lifecycle::StackView s, stackFrom(st->as_object()));
    m.stack = std::move(s);
  }
  if (type == "snapshot") {
    m.type = EventMessage::Type::Snapshot;
    if (const json::value* rs = o.if_contains("resources"); rs != nullptr && rs->is_array()) {
      for (const json::value& r : rs->as_array()) {
        if (r.is_object()) {
          LS_ASSIGN_OR_RETURN(lifecycle::ResourceView view, viewFrom(r.as_object()));
          m.resources.push_back(std::move(view));
        }
      }
    }
    return m;
  }
  if (type == "lagged") {
    m.type = EventMessage::Type::Lagged;
    m.missed = static_cast<std::uint64_t>(intField(o, "missed").value_or(0));
    return m;
  }
  if (type != "event") {
    return Error(Errc::InvalidArgument, "unknown events message type '" + type + "'");
  }
  const json::value* ev = o.if_contains("event");
  if (ev == nullptr || !ev->is_object()) {
    return Error(Errc::InvalidArgument, "an event message without \"event\"");
  }
  LS_ASSIGN_OR_RETURN(LifecycleEvent e, eventFrom(ev->as_object()));
  m.event = std::move(e);
  if (const json::value* r = o.if_contains("resource"); r != nullptr && r->is_object()) {
    LS_ASSIGN_OR_RETURN(lifecycle::ResourceView view, viewFrom(r->as_object()));
    m.resource = std::move(view);
  }
  return m;
}

}  // namespace ls::control
