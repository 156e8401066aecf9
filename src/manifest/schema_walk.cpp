// The loader's typed walk: every known key read into the model, unknown keys reported.
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "manifest/keys.hpp"
#include "manifest/loader_impl.hpp"

namespace ls::manifest::detail {

void Loader::walkTop(const YAML::Node& root) {
  bool sawProject = false;
  bool sawResources = false;
  for (const auto& [key, value] : entries(root)) {
    const std::string& k = key.Scalar();
    const Loc keyLoc = markOf(key, Loc{1, 1});
    record(k, markOf(value, keyLoc));
    if (k == "lightshuttle") {
      std::optional<std::string> v = readString(value, k, keyLoc);
      if (v && *v != "v0") {
        error(markOf(value, keyLoc), k,
              fmt::format("unsupported manifest version '{}'; this release reads v0", *v));
      }
    } else if (k == "project") {
      sawProject = true;
      walkProject(value, keyLoc);
    } else if (k == "resources") {
      sawResources = true;
      walkResources(value, keyLoc);
    } else if (k == "dashboard") {
      if (!value.IsNull() && expectMap(value, k, keyLoc, "'dashboard'")) {
        for (const auto& [dk, dv] : entries(value)) {
          const Loc dkLoc = markOf(dk, keyLoc);
          record("dashboard." + dk.Scalar(), markOf(dv, dkLoc));
          if (dk.Scalar() == "port") {
            if (auto p = readInt(dv, "dashboard.port", dkLoc, 1, 65535)) {
              manifest_.dashboardPort = static_cast<std::uint16_t>(*p);
            }
          } else {
            unknownKey(dk, "dashboard", "dashboard", "'dashboard'");
          }
        }
      }
    } else if (k == "observability") {
      if (!value.IsNull() && expectMap(value, k, keyLoc, "'observability'")) {
        for (const auto& [ok, ov] : entries(value)) {
          const Loc okLoc = markOf(ok, keyLoc);
          if (ok.Scalar() != "otel") {
            unknownKey(ok, "observability", "observability", "'observability'");
            continue;
          }
          record("observability.otel", markOf(ov, okLoc));
          if (ov.IsNull() || !expectMap(ov, "observability.otel", okLoc, "'otel'")) {
            continue;
          }
          for (const auto& [ek, ev] : entries(ov)) {
            if (ek.Scalar() != "enabled") {
              unknownKey(ek, "observability.otel", "otel", "'observability.otel'");
              continue;
            }
            const Loc ekLoc = markOf(ek, okLoc);
            record("observability.otel.enabled", markOf(ev, ekLoc));
            manifest_.otelEnabled = readBool(ev, "observability.otel.enabled", ekLoc);
          }
        }
      }
    } else if (k == "export") {
      walkExport(value, keyLoc);
    } else {
      unknownKey(key, "", "manifest", "the manifest");
    }
  }
  if (!sawProject) {
    error(Loc{1, 1}, "project", "missing required key 'project' (with at least 'name')");
  }
  if (!sawResources) {
    error(Loc{1, 1}, "resources",
          "missing required key 'resources' (a mapping of resource names; {} is allowed)");
  }
}

void Loader::walkProject(const YAML::Node& n, Loc loc) {
  if (!expectMap(n, "project", loc, "'project'")) {
    return;
  }
  bool sawName = false;
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string path = "project." + k;
    const Loc keyLoc = markOf(key, loc);
    record(path, markOf(value, keyLoc));
    if (k == "name") {
      sawName = true;
      std::optional<std::string> v = readString(value, path, keyLoc);
      if (!v) {
        if (value.IsNull()) {
          error(keyLoc, path, "project name is empty; expected a name like 'shop'");
        }
        continue;
      }
      manifest_.project.name = *v;
      if (!isValidName(*v)) {
        error(markOf(value, keyLoc), path,
              fmt::format("invalid project name '{}': expected 1 to 32 characters of a-z, 0-9, "
                          "'_' and '-', starting with a letter",
                          *v));
      }
    } else if (k == "version") {
      manifest_.project.version = readString(value, path, keyLoc);
    } else if (k == "description") {
      manifest_.project.description = readString(value, path, keyLoc);
    } else {
      unknownKey(key, "project", "project", "'project'");
    }
  }
  if (!sawName) {
    error(loc, "project.name", "missing required key 'name' in 'project'");
  }
}

void Loader::walkResources(const YAML::Node& n, Loc loc) {
  if (n.IsNull()) {
    return;
  }
  if (!expectMap(n, "resources", loc, "'resources'")) {
    return;
  }
  for (const auto& [key, value] : entries(n)) {
    walkResource(key.Scalar(), markOf(key, loc), value);
  }
}

void Loader::walkResource(const std::string& name, Loc nameLoc, const YAML::Node& n) {
  const std::string path = "resources." + name;
  record(path, nameLoc);
  if (!isValidName(name)) {
    error(nameLoc, path,
          fmt::format("invalid resource name '{}': expected 1 to 32 characters of a-z, 0-9, '_' "
                      "and '-', starting with a letter",
                      name));
  }
  const std::string kinds = "postgres, redis, container or dockerfile";
  if (n.IsNull() || (n.IsMap() && n.size() == 0)) {
    error(nameLoc, path, fmt::format("resource '{}' has no kind; expected one of {}", name, kinds));
    return;
  }
  if (!n.IsMap()) {
    error(markOf(n, nameLoc), path,
          fmt::format("expected resource '{}' as a mapping with one kind key ({}), got {}", name,
                      kinds, typeName(n)));
    return;
  }
  const auto kindEntries = entries(n);
  if (kindEntries.empty()) {
    // Only non-string keys (already reported by the structural scan).
    error(nameLoc, path, fmt::format("resource '{}' has no kind; expected one of {}", name, kinds));
    return;
  }
  if (kindEntries.size() > 1) {
    error(markOf(kindEntries[1].first, nameLoc), path,
          fmt::format("resource '{}' holds more than one kind ('{}' and '{}'); a resource has "
                      "exactly one of {}",
                      name, kindEntries[0].first.Scalar(), kindEntries[1].first.Scalar(), kinds),
          "indent the fields under the kind key");
    return;
  }
  const auto& [kindKey, body] = kindEntries.front();
  const std::string& kindText = kindKey.Scalar();
  Resource r;
  r.name = name;
  if (kindText == "postgres") {
    r.kind = Kind::Postgres;
  } else if (kindText == "redis") {
    r.kind = Kind::Redis;
  } else if (kindText == "container") {
    r.kind = Kind::Container;
  } else if (kindText == "dockerfile") {
    r.kind = Kind::Dockerfile;
  } else {
    const std::string_view guess = detail::closestKey(kindText, detail::keysFor("resource"));
    error(markOf(kindKey, nameLoc), path,
          fmt::format("unknown resource kind '{}'; expected {}", kindText, kinds),
          guess.empty() ? std::string() : fmt::format("did you mean '{}'?", guess));
    return;
  }
  const Loc kindLoc = markOf(kindKey, nameLoc);
  if (!body.IsNull() && expectMap(body, path, kindLoc, fmt::format("the {} body", kindText))) {
    const auto keys = detail::keysFor(kindText);
    for (const auto& [key, value] : entries(body)) {
      const std::string& k = key.Scalar();
      const std::string fieldPath = path + "." + k;
      const Loc keyLoc = markOf(key, kindLoc);
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        unknownKey(key, path, kindText, fmt::format("a {} resource", kindText));
        continue;
      }
      record(fieldPath, markOf(value, keyLoc));
      walkResourceField(r, k, fieldPath, keyLoc, value);
    }
  }
  if (r.kind == Kind::Container &&
      (!r.image || r.image->find_first_not_of(" \t") == std::string::npos)) {
    if (!manifest_.locations.contains(path + ".image")) {
      error(kindLoc, path + ".image",
            fmt::format("container resource '{}' needs an 'image' (e.g. "
                        "lightshuttle-test/busybox:latest)",
                        name));
    } else {
      const auto [line, column] = manifest_.locations.at(path + ".image");
      error(Loc{line, column}, path + ".image", "image is empty; expected an image reference");
    }
  }
  if (r.kind == Kind::Dockerfile && r.context.find_first_not_of(" \t") == std::string::npos) {
    // Written but blank: at the value, as for a blank image; absent: at the kind.
    const auto written = manifest_.locations.find(path + ".context");
    if (written == manifest_.locations.end()) {
      error(kindLoc, path + ".context",
            fmt::format("dockerfile resource '{}' needs a 'context' directory (relative to the "
                        "manifest, e.g. ./app)",
                        name));
    } else {
      error(Loc{written->second.first, written->second.second}, path + ".context",
            "context is blank; expected a directory relative to the manifest (e.g. ./app)");
    }
  }
  manifest_.resources.push_back(std::move(r));
}

void Loader::walkResourceField(Resource& r, const std::string& k, const std::string& path,
                               Loc keyLoc, const YAML::Node& value) {
  const Loc valueLoc = markOf(value, keyLoc);
  if (k == "depends_on") {
    readDependsOn(r, value, path, keyLoc);
  } else if (k == "restart_dependents") {
    r.restartDependents = readBool(value, path, keyLoc).value_or(false);
  } else if (k == "healthcheck") {
    r.healthcheck = walkHealthcheck(value, path, keyLoc);
  } else if (k == "restart") {
    std::optional<std::string> s = readString(value, path, keyLoc);
    if (!s) {
      return;
    }
    const std::string expected = "expected no, on-failure, on-failure:N or always";
    if (*s == "no" || *s == "false") {
      r.restart.mode = RestartPolicy::Mode::No;
    } else if (*s == "always") {
      r.restart.mode = RestartPolicy::Mode::Always;
    } else if (*s == "on-failure") {
      r.restart.mode = RestartPolicy::Mode::OnFailure;
    } else if (s->starts_with("on-failure:")) {
      const std::string n = s->substr(11);
      int v = 0;
      bool ok = !n.empty() && n.size() <= 6;
      for (char c : n) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) {
          v = v * 10 + (c - '0');
        }
      }
      if (!ok) {
        error(valueLoc, path, fmt::format("invalid restart policy '{}': {}", *s, expected));
        return;
      }
      r.restart.mode = RestartPolicy::Mode::OnFailure;
      if (v > 0) {  // on-failure:0 is Docker's "no retry limit", as plain on-failure
        r.restart.maxRetries = v;
      }
    } else {
      error(valueLoc, path, fmt::format("invalid restart policy '{}': {}", *s, expected));
    }
  } else if (k == "stop_grace_period") {
    r.stopGracePeriod = readDuration(value, path, keyLoc);
  } else if (k == "labels") {
    r.labels = readStringMap(value, path, keyLoc, false);
  } else if (k == "version") {
    r.version = readString(value, path, keyLoc);
  } else if (k == "image") {
    r.image = readString(value, path, keyLoc);
  } else if (k == "database") {
    r.database = readString(value, path, keyLoc);
  } else if (k == "user") {
    r.user = readString(value, path, keyLoc);
  } else if (k == "password") {
    r.password = readString(value, path, keyLoc);
  } else if (k == "port") {
    if (auto p = readInt(value, path, keyLoc, 1, 65535)) {
      r.port = static_cast<std::uint16_t>(*p);
    }
  } else if (k == "volume") {
    if (value.IsNull()) {
      return;
    }
    if (isPlainScalar(value) && (value.Scalar() == "true" || value.Scalar() == "false")) {
      r.volume.mode = value.Scalar() == "true" ? DataVolume::Mode::Default : DataVolume::Mode::None;
      return;
    }
    std::optional<std::string> s = readString(value, path, keyLoc);
    if (!s) {
      return;
    }
    Result<VolumeMapping> m = parseVolumeMapping(*s + ":/data");
    if (!m || m->kind != VolumeMapping::Kind::Named) {
      error(valueLoc, path,
            fmt::format("invalid volume '{}': expected true, false or a volume name "
                        "([A-Za-z0-9][A-Za-z0-9_.-]*)",
                        *s));
      return;
    }
    r.volume.mode = DataVolume::Mode::Named;
    r.volume.name = *s;
  } else if (k == "ports") {
    if (value.IsNull()) {
      return;
    }
    if (!value.IsSequence()) {
      error(valueLoc, path,
            fmt::format("expected a list of port mappings, got {}", typeName(value)));
      return;
    }
    std::size_t i = 0;
    for (const YAML::Node& item : value) {
      const std::string itemPath = fmt::format("{}[{}]", path, i++);
      const Loc itemLoc = markOf(item, valueLoc);
      record(itemPath, itemLoc);
      if (!item.IsScalar()) {
        error(itemLoc, itemPath,
              fmt::format("expected a port mapping such as 8080 or \"8080:80\", got {}",
                          typeName(item)));
        continue;
      }
      Result<PortMapping> m = parsePortMapping(item.Scalar());
      if (!m) {
        error(itemLoc, itemPath, m.error().message());
        continue;
      }
      r.ports.push_back(*m);
    }
  } else if (k == "env") {
    r.env = readStringMap(value, path, keyLoc, true);
  } else if (k == "secrets") {
    r.secrets = readStringMap(value, path, keyLoc, true);
  } else if (k == "volumes") {
    r.volumes = readStringList(value, path, keyLoc);
  } else if (k == "entrypoint") {
    r.entrypoint = readCommand(value, path, keyLoc, "entrypoint");
  } else if (k == "command") {
    r.command = readCommand(value, path, keyLoc, "command");
  } else if (k == "working_dir") {
    r.workingDir = readString(value, path, keyLoc);
  } else if (k == "context") {
    r.context = readString(value, path, keyLoc).value_or("");
  } else if (k == "dockerfile") {
    r.dockerfile = readString(value, path, keyLoc);
  } else if (k == "build_args") {
    r.buildArgs = readStringMap(value, path, keyLoc, true);
  } else if (k == "target") {
    r.target = readString(value, path, keyLoc);
  } else if (k == "watch") {
    r.watch = walkWatch(r.kind, value, path, keyLoc);
  }
}

std::optional<Healthcheck> Loader::walkHealthcheck(const YAML::Node& n, const std::string& path,
                                                   Loc loc) {
  if (n.IsNull() || !expectMap(n, path, loc, "'healthcheck'")) {
    return std::nullopt;
  }
  Healthcheck h;
  bool sawTest = false;
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string fieldPath = path + "." + k;
    const Loc keyLoc = markOf(key, loc);
    record(fieldPath, markOf(value, keyLoc));
    if (k == "test") {
      sawTest = true;
      if (value.IsScalar()) {
        h.test = {"CMD-SHELL", value.Scalar()};
        continue;
      }
      h.test = readStringList(value, fieldPath, keyLoc);
      if (h.test.empty()) {
        error(markOf(value, keyLoc), fieldPath,
              "healthcheck test is empty; expected [\"CMD\", \"prog\", \"arg\"...], "
              "[\"CMD-SHELL\", \"command\"] or a command string");
      } else if (h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE") {
        error(markOf(value, keyLoc), fieldPath + "[0]",
              fmt::format("healthcheck test starts with '{}'; the first item must be CMD, "
                          "CMD-SHELL or NONE",
                          h.test[0]),
              fmt::format("write [\"CMD\", \"{}\", ...] or a plain string for a shell command",
                          h.test[0]));
      } else if (h.test[0] != "NONE" && h.test.size() < 2) {
        error(markOf(value, keyLoc), fieldPath,
              fmt::format("healthcheck test '{}' has no command after it", h.test[0]));
      }
    } else if (k == "interval") {
      h.interval = readDuration(value, fieldPath, keyLoc);
    } else if (k == "timeout") {
      h.timeout = readDuration(value, fieldPath, keyLoc);
    } else if (k == "start_period") {
      h.startPeriod = readDuration(value, fieldPath, keyLoc);
    } else if (k == "retries") {
      if (auto v = readInt(value, fieldPath, keyLoc, 0, 1000000)) {
        h.retries = static_cast<int>(*v);
      }
    } else {
      unknownKey(key, path, "healthcheck", "'healthcheck'");
    }
  }
  if (!sawTest) {
    error(loc, path + ".test", "missing required key 'test' in 'healthcheck'");
  }
  return h;
}

void Loader::walkExport(const YAML::Node& n, Loc loc) {
  if (n.IsNull() || !expectMap(n, "export", loc, "'export'")) {
    return;
  }
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const Loc keyLoc = markOf(key, loc);
    record("export." + k, markOf(value, keyLoc));
    if (k == "compose") {
      walkExportTarget(manifest_.exports.compose, k, value, keyLoc);
    } else if (k == "kubernetes") {
      walkExportTarget(manifest_.exports.kubernetes, k, value, keyLoc);
    } else if (k == "helm") {
      walkExportTarget(manifest_.exports.helm, k, value, keyLoc);
    } else {
      unknownKey(key, "export", "export", "'export'");
    }
  }
}

void Loader::walkExportTarget(ExportTarget& t, std::string_view name, const YAML::Node& n,
                              Loc loc) {
  const std::string path = "export." + std::string(name);
  const std::string context = "export_" + std::string(name);
  t.present = true;
  if (n.IsNull() || !expectMap(n, path, loc, fmt::format("'{}'", path))) {
    return;
  }
  const auto keys = detail::keysFor(context);
  const auto readPolicy = [&](const YAML::Node& v, const std::string& p, Loc l) {
    std::optional<std::string> s = readString(v, p, l);
    if (s && *s != "Always" && *s != "IfNotPresent" && *s != "Never") {
      error(markOf(v, l), p,
            fmt::format("invalid image pull policy '{}': expected Always, IfNotPresent or Never",
                        *s));
      return std::optional<std::string>();
    }
    return s;
  };
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string fieldPath = path + "." + k;
    const Loc keyLoc = markOf(key, loc);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      unknownKey(key, path, context, fmt::format("'{}'", path));
      continue;
    }
    record(fieldPath, markOf(value, keyLoc));
    if (k == "namespace") {
      t.namespace_ = readString(value, fieldPath, keyLoc);
      if (t.namespace_ && !isDnsLabel(*t.namespace_)) {
        error(markOf(value, keyLoc), fieldPath,
              fmt::format("invalid namespace '{}': expected a DNS label (1 to 63 of a-z, 0-9 and "
                          "'-', starting and ending with a letter or digit)",
                          *t.namespace_));
      }
    } else if (k == "replicas") {
      if (auto v = readInt(value, fieldPath, keyLoc, 0, 1000)) {
        t.replicas = static_cast<int>(*v);
      }
    } else if (k == "image_pull_policy") {
      t.imagePullPolicy = readPolicy(value, fieldPath, keyLoc);
    } else if (k == "chart_name") {
      t.chartName = readString(value, fieldPath, keyLoc);
    } else if (k == "chart_version") {
      t.chartVersion = readString(value, fieldPath, keyLoc);
    } else if (k == "resources") {
      if (value.IsNull() || !expectMap(value, fieldPath, keyLoc, fmt::format("'{}'", fieldPath))) {
        continue;
      }
      // compose: enabled; helm: enabled, replicas; kubernetes: all three.
      const auto allKeys = detail::keysFor("export_resource");
      const std::vector<std::string_view> resourceKeys(allKeys.begin(),
                                                       allKeys.begin() + (name == "compose" ? 1
                                                                          : name == "helm"  ? 2
                                                                                            : 3));
      for (const auto& [rk, rv] : entries(value)) {
        const std::string rPath = fieldPath + "." + rk.Scalar();
        const Loc rLoc = markOf(rk, keyLoc);
        record(rPath, rLoc);
        ExportResource er;
        if (!rv.IsNull() && expectMap(rv, rPath, rLoc, fmt::format("'{}'", rPath))) {
          for (const auto& [fk, fv] : entries(rv)) {
            const std::string& f = fk.Scalar();
            const std::string fPath = rPath + "." + f;
            const Loc fLoc = markOf(fk, rLoc);
            if (std::find(resourceKeys.begin(), resourceKeys.end(), f) == resourceKeys.end()) {
              unknownKey(fk, rPath, resourceKeys, fmt::format("'{}'", rPath));
              continue;
            }
            record(fPath, markOf(fv, fLoc));
            if (f == "enabled") {
              er.enabled = readBool(fv, fPath, fLoc);
            } else if (f == "replicas") {
              if (auto v = readInt(fv, fPath, fLoc, 0, 1000)) {
                er.replicas = static_cast<int>(*v);
              }
            } else {
              er.imagePullPolicy = readPolicy(fv, fPath, fLoc);
            }
          }
        }
        t.resources.emplace_back(rk.Scalar(), std::move(er));
      }
    }
  }
}

}  // namespace ls::manifest::detail
