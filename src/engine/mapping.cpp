#include "engine/mapping.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "engine/json_reader.hpp"
#include "lightshuttle/engine/client.hpp"

namespace json = boost::json;

namespace ls::engine {
namespace {

json::array toArray(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) {
    a.emplace_back(s);
  }
  return a;
}

}  // namespace

Result<json::value> parseBody(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return Error(Errc::InvalidArgument,
                 std::string(what) + ": the engine's answer is not JSON (" + ec.message() + ")");
  }
  return v;
}

std::string encodeLabelFilters(const std::vector<std::string>& labels) {
  json::object o;
  o["label"] = toArray(labels);
  return json::serialize(o);
}

std::string encodeFilters(const std::map<std::string, std::vector<std::string>>& filters) {
  json::object o;
  for (const auto& [k, v] : filters) {
    o[k] = toArray(v);
  }
  return json::serialize(o);
}

std::string encodeStringMap(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) {
    o[k] = v;
  }
  return json::serialize(o);
}

std::string encodeExecCreate(const ExecCreate& spec) {
  json::object o;
  o["Cmd"] = toArray(spec.cmd);
  if (!spec.env.empty()) {
    o["Env"] = toArray(spec.env);
  }
  if (!spec.workingDir.empty()) {
    o["WorkingDir"] = spec.workingDir;
  }
  if (!spec.user.empty()) {
    o["User"] = spec.user;
  }
  o["Privileged"] = spec.privileged;
  o["AttachStdin"] = spec.attachStdin;
  o["AttachStdout"] = spec.attachStdout;
  o["AttachStderr"] = spec.attachStderr;
  o["Tty"] = spec.tty;
  if (spec.tty && spec.consoleSize) {
    o["ConsoleSize"] = json::array{spec.consoleSize->height, spec.consoleSize->width};
  }
  return json::serialize(o);
}

std::string encodeNetworkCreate(const NetworkCreate& spec) {
  json::object o;
  o["Name"] = spec.name;
  o["Driver"] = spec.driver;
  o["CheckDuplicate"] = spec.checkDuplicate;
  if (!spec.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : spec.labels) {
      labels[k] = v;
    }
    o["Labels"] = std::move(labels);
  }
  return json::serialize(o);
}

Result<NetworkInfo> decodeNetworkInfo(const json::value& v) {
  JsonReader r(v, "network");
  NetworkInfo out;
  out.id = r.str("Id");
  out.name = r.str("Name");
  out.driver = r.str("Driver");
  out.labels = r.stringMap("Labels");
  if (const json::value* cs = r.raw("Containers"); cs && cs->is_object()) {
    for (const auto& [id, c] : cs->as_object()) {
      (void)c;
      out.containerIds.emplace_back(id);
    }
  }
  LS_TRY(r.status());
  return out;
}

Result<EngineEvent> decodeEngineEvent(const json::value& v) {
  JsonReader r(v, "event");
  EngineEvent out;
  out.type = r.str("Type");
  out.action = r.str("Action");
  JsonReader actor = r.child("Actor");
  out.actorId = actor.str("ID");
  out.attributes = actor.stringMap("Attributes");
  out.timeNano = r.i64Lenient("timeNano");
  if (out.timeNano == 0) {
    out.timeNano = r.i64Lenient("time") * 1000000000;
  }
  r.merge(actor);
  LS_TRY(r.status());
  return out;
}

Result<BuildProgress> decodeBuildProgress(const json::value& v) {
  JsonReader r(v, "build");
  BuildProgress out;
  out.stream = r.str("stream");
  JsonReader aux = r.child("aux");
  out.imageId = aux.str("ID");
  r.merge(aux);
  LS_TRY(r.status());
  return out;
}

std::string encodeContainerCreate(const ContainerCreate& spec, std::string_view apiVersion) {
  json::object o;
  o["Image"] = spec.image;
  if (!spec.cmd.empty()) {
    o["Cmd"] = toArray(spec.cmd);
  }
  if (spec.entrypoint) {
    // An empty array resets the image's entrypoint; JSON [""] is what the CLI sends for that.
    o["Entrypoint"] = spec.entrypoint->empty() ? json::array{""} : toArray(*spec.entrypoint);
  }
  if (!spec.env.empty()) {
    o["Env"] = toArray(spec.env);
  }
  if (!spec.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : spec.labels) {
      labels[k] = v;
    }
    o["Labels"] = std::move(labels);
  }
  if (!spec.workingDir.empty()) {
    o["WorkingDir"] = spec.workingDir;
  }
  if (!spec.anonymousVolumes.empty()) {
    json::object vols;
    for (const auto& path : spec.anonymousVolumes) {
      vols[path] = json::object{};
    }
    o["Volumes"] = std::move(vols);
  }
  if (!spec.user.empty()) {
    o["User"] = spec.user;
  }
  if (!spec.hostname.empty()) {
    o["Hostname"] = spec.hostname;
  }
  o["Tty"] = spec.tty;
  o["OpenStdin"] = spec.openStdin;
  o["AttachStdout"] = true;
  o["AttachStderr"] = true;
  if (!spec.stopSignal.empty()) {
    o["StopSignal"] = spec.stopSignal;
  }
  if (spec.stopTimeoutSeconds) {
    o["StopTimeout"] = *spec.stopTimeoutSeconds;
  }
  if (spec.healthcheck) {
    const auto& h = *spec.healthcheck;
    json::object hc;
    hc["Test"] = toArray(h.test);
    hc["Interval"] = h.interval.count();
    hc["Timeout"] = h.timeout.count();
    hc["StartPeriod"] = h.startPeriod.count();
    hc["Retries"] = h.retries;
    if (h.startInterval.count() > 0 && compareApiVersions(apiVersion, "1.44") >= 0) {
      hc["StartInterval"] = h.startInterval.count();
    }
    o["Healthcheck"] = std::move(hc);
  }
  json::object host;
  if (!spec.ports.empty()) {
    json::object exposed;
    json::object bindings;
    for (const auto& p : spec.ports) {
      const std::string key = std::to_string(p.containerPort) + "/" + p.protocol;
      exposed[key] = json::object{};
      json::object b;
      b["HostIp"] = p.hostIp;
      b["HostPort"] = p.hostPort;
      auto& slot = bindings[key];
      if (!slot.is_array()) {
        slot = json::array{};
      }
      slot.as_array().push_back(std::move(b));
    }
    o["ExposedPorts"] = std::move(exposed);
    host["PortBindings"] = std::move(bindings);
  }
  if (!spec.binds.empty()) {
    host["Binds"] = toArray(spec.binds);
  }
  if (!spec.networkMode.empty()) {
    host["NetworkMode"] = spec.networkMode;
  }
  host["AutoRemove"] = spec.autoRemove;
  if (spec.init) {
    host["Init"] = true;
  }
  if (!spec.restartPolicy.empty()) {
    json::object rp;
    rp["Name"] = spec.restartPolicy;
    rp["MaximumRetryCount"] = spec.restartMaxRetries;
    host["RestartPolicy"] = std::move(rp);
  }
  o["HostConfig"] = std::move(host);
  if (!spec.networkMode.empty() && !spec.networkAliases.empty()) {
    json::object ep;
    ep["Aliases"] = toArray(spec.networkAliases);
    json::object eps;
    eps[spec.networkMode] = std::move(ep);
    json::object nc;
    nc["EndpointsConfig"] = std::move(eps);
    o["NetworkingConfig"] = std::move(nc);
  }
  return json::serialize(o);
}

Result<VersionInfo> decodeVersion(const json::value& v) {
  JsonReader r(v, "version");
  VersionInfo out;
  out.version = r.str("Version");
  out.apiVersion = r.str("ApiVersion");
  out.minApiVersion = r.str("MinAPIVersion");
  out.os = r.str("Os");
  out.arch = r.str("Arch");
  out.kernelVersion = r.str("KernelVersion");
  if (const json::value* comps = r.raw("Components"); comps && comps->is_array()) {
    for (const auto& c : comps->as_array()) {
      JsonReader cr(c, "version.Components[]");
      out.components.push_back(cr.str("Name"));
      r.merge(cr);
    }
  }
  LS_TRY(r.status());
  return out;
}

Result<EngineInfo> decodeInfo(const json::value& v) {
  JsonReader r(v, "info");
  EngineInfo out;
  out.name = r.str("Name");
  out.serverVersion = r.str("ServerVersion");
  out.operatingSystem = r.str("OperatingSystem");
  out.storageDriver = r.str("Driver");
  out.cgroupDriver = r.str("CgroupDriver");
  out.cgroupVersion = r.str("CgroupVersion");
  out.securityOptions = r.strings("SecurityOptions");
  for (const auto& s : out.securityOptions) {
    if (s.find("name=rootless") != std::string::npos) {
      out.rootless = true;
    }
  }
  out.containers = static_cast<int>(r.i64Lenient("Containers"));
  out.containersRunning = static_cast<int>(r.i64Lenient("ContainersRunning"));
  out.images = static_cast<int>(r.i64Lenient("Images"));
  out.ncpu = static_cast<int>(r.i64Lenient("NCPU"));
  out.memTotal = r.i64Lenient("MemTotal");
  LS_TRY(r.status());
  return out;
}

Result<CreatedContainer> decodeCreated(const json::value& v) {
  JsonReader r(v, "create");
  CreatedContainer out;
  out.id = r.str("Id");
  out.warnings = r.strings("Warnings");
  LS_TRY(r.status());
  if (out.id.empty()) {
    return Error(Errc::InvalidArgument, "engine response: 'create.Id' is missing");
  }
  return out;
}

Result<ContainerInfo> decodeContainerInfo(const json::value& v) {
  JsonReader r(v, "container");
  ContainerInfo out;
  out.id = r.str("Id");
  out.name = r.str("Name");
  if (!out.name.empty() && out.name.front() == '/') {
    out.name.erase(0, 1);
  }
  out.imageId = r.str("Image");
  out.restartCount = static_cast<int>(r.i64Lenient("RestartCount"));
  JsonReader cfg = r.child("Config");
  out.image = cfg.str("Image");
  out.labels = cfg.stringMap("Labels");
  out.tty = cfg.boolean("Tty");
  out.stopSignal = cfg.str("StopSignal");
  {
    JsonReader hc = cfg.child("Healthcheck");
    const auto test = hc.strings("Test");
    out.hasHealthcheck = !test.empty() && test.front() != "NONE";
    cfg.merge(hc);
  }
  JsonReader st = r.child("State");
  auto& s = out.state;
  s.status = st.str("Status");
  s.running = st.boolean("Running");
  s.paused = st.boolean("Paused");
  s.restarting = st.boolean("Restarting");
  s.oomKilled = st.boolean("OOMKilled");
  s.dead = st.boolean("Dead");
  s.pid = static_cast<int>(st.i64Lenient("Pid"));
  s.exitCode = static_cast<int>(st.i64Lenient("ExitCode"));
  s.error = st.str("Error");
  s.startedAt = st.time("StartedAt");
  s.finishedAt = st.time("FinishedAt");
  JsonReader health = st.child("Health");
  s.health = health.str("Status");
  s.failingStreak = static_cast<int>(health.i64Lenient("FailingStreak"));
  {
    JsonReader hostCfg = r.child("HostConfig");
    out.binds = hostCfg.strings("Binds");
    r.merge(hostCfg);
  }
  JsonReader net = r.child("NetworkSettings");
  if (const json::value* ports = net.raw("Ports"); ports && ports->is_object()) {
    for (const auto& [key, bindings] : ports->as_object()) {
      std::string_view k = key;
      const auto slash = k.find('/');
      PublishedPort base;
      std::from_chars(k.data(), k.data() + (slash == std::string_view::npos ? k.size() : slash),
                      base.containerPort);
      base.protocol = slash == std::string_view::npos ? "tcp" : std::string(k.substr(slash + 1));
      if (!bindings.is_array()) {
        continue;  // exposed but not published
      }
      for (const auto& b : bindings.as_array()) {
        JsonReader br(b, "container.NetworkSettings.Ports");
        PublishedPort p = base;
        p.hostIp = br.str("HostIp");
        const std::string hp = br.str("HostPort");
        std::from_chars(hp.data(), hp.data() + hp.size(), p.hostPort);
        r.merge(br);
        out.ports.push_back(std::move(p));
      }
    }
  }
  if (const json::value* nets = net.raw("Networks"); nets && nets->is_object()) {
    for (const auto& [name, n] : nets->as_object()) {
      JsonReader nr(n, "container.NetworkSettings.Networks");
      NetworkAttachment a;
      a.networkId = nr.str("NetworkID");
      a.ipAddress = nr.str("IPAddress");
      a.aliases = nr.strings("Aliases");
      r.merge(nr);
      out.networks.emplace(std::string(name), std::move(a));
    }
  }
  r.merge(cfg);
  r.merge(st);
  r.merge(health);
  r.merge(net);
  LS_TRY(r.status());
  return out;
}

Result<std::vector<ContainerSummary>> decodeContainerList(const json::value& v) {
  if (!v.is_array()) {
    return Error(Errc::InvalidArgument, "engine response: container list is not an array");
  }
  std::vector<ContainerSummary> out;
  out.reserve(v.as_array().size());
  for (const auto& e : v.as_array()) {
    JsonReader r(e, "containers[]");
    ContainerSummary c;
    c.id = r.str("Id");
    c.names = r.strings("Names");
    for (auto& n : c.names) {
      if (!n.empty() && n.front() == '/') {
        n.erase(0, 1);
      }
    }
    c.image = r.str("Image");
    c.state = r.str("State");
    c.status = r.str("Status");
    c.labels = r.stringMap("Labels");
    LS_TRY(r.status());
    out.push_back(std::move(c));
  }
  return out;
}

Result<ImageInfo> decodeImageInfo(const json::value& v) {
  JsonReader r(v, "image");
  ImageInfo out;
  out.id = r.str("Id");
  out.repoTags = r.strings("RepoTags");
  out.repoDigests = r.strings("RepoDigests");
  out.size = r.i64Lenient("Size");
  JsonReader cfg = r.child("Config");
  out.labels = cfg.stringMap("Labels");
  r.merge(cfg);
  LS_TRY(r.status());
  return out;
}

Result<PullProgress> decodePullProgress(const json::value& v) {
  JsonReader r(v, "pull");
  PullProgress out;
  out.id = r.str("id");
  out.status = r.str("status");
  JsonReader d = r.child("progressDetail");
  out.current = d.i64Lenient("current");
  out.total = d.i64Lenient("total");
  r.merge(d);
  LS_TRY(r.status());
  return out;
}

}  // namespace ls::engine
