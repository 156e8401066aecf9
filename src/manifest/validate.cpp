#include "manifest/validate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "lightshuttle/manifest/interpolation.hpp"
#include "manifest/keys.hpp"

namespace ls::manifest::detail {
namespace {

bool mayInterpolate(std::string_view s) { return s.find("${") != std::string_view::npos; }

/// A relative host path that climbs out of the manifest's directory (`../x`, `./a/../../x`):
/// the stack would then depend on where it is checked out. Absolute and `~` paths are explicit.
bool leavesManifestDirectory(const VolumeMapping& v) {
  if (v.kind != VolumeMapping::Kind::HostPath || v.source.empty() || v.source.front() == '/' ||
      v.source.front() == '~') {
    return false;
  }
  const std::filesystem::path normal = std::filesystem::path(v.source).lexically_normal();
  return !normal.empty() && *normal.begin() == "..";
}

class Validator {
 public:
  Validator(const Manifest& m, std::vector<Diagnostic>& out) : m_(m), out_(out) {}

  void run() {
    std::vector<std::string_view> names;
    for (const Resource& r : m_.resources) {
      names.push_back(r.name);
    }
    names_ = names;
    for (const Resource& r : m_.resources) {
      resource(r);
    }
    hostPorts();
    cycles();
    exports();
  }

 private:
  void add(Severity s, const std::string& path, std::string message, std::string help = {}) {
    Diagnostic d;
    d.severity = s;
    d.location = m_.locate(path);
    d.message = std::move(message);
    d.help = std::move(help);
    out_.push_back(std::move(d));
  }
  void error(const std::string& path, std::string message, std::string help = {}) {
    add(Severity::Error, path, std::move(message), std::move(help));
  }
  void warn(const std::string& path, std::string message, std::string help = {}) {
    add(Severity::Warning, path, std::move(message), std::move(help));
  }
  std::string suggestName(std::string_view name) const {
    const std::string_view g = closestKey(name, names_);
    return g.empty() ? std::string() : fmt::format("did you mean '{}'?", g);
  }

  // The field path of `r.dependsOn[i]`: "resources.a.depends_on.b" when written in the map form
  // (the loader located that key), else "resources.a.depends_on[i]".
  std::string dependencyPath(const Resource& r, std::size_t i) const {
    std::string mapPath = fmt::format("resources.{}.depends_on.{}", r.name, r.dependsOn[i]);
    if (m_.locations.contains(mapPath)) {
      return mapPath;
    }
    return fmt::format("resources.{}.depends_on[{}]", r.name, i);
  }

  void image(const std::string& path, const std::string& text) {
    if (mayInterpolate(text) || text.find_first_not_of(" \t") == std::string::npos) {
      return;
    }
    Result<ImageReference> ref = parseImageReference(text);
    if (!ref) {
      error(path, ref.error().message());
      return;
    }
    if (ref->digest.empty() && ref->tag.empty()) {
      warn(path,
           fmt::format("image '{}' has no tag, so each pull may bring a different image", text),
           "pin a version, e.g. " + ref->qualifiedRepository() + ":1.2");
    } else if (ref->digest.empty() && ref->tag == "latest") {
      warn(path,
           fmt::format("image '{}' uses the 'latest' tag, so each pull may bring a "
                       "different image",
                       text),
           "pin a version instead of latest");
    }
  }

  void resource(const Resource& r) {
    const std::string base = "resources." + r.name;
    if (r.image) {
      image(base + ".image", *r.image);
    }
    if ((r.kind == Kind::Postgres || r.kind == Kind::Redis) && r.image && r.version) {
      warn(base + ".version",
           fmt::format("'version' is ignored because 'image' is set ('{}')", *r.image));
    }
    if (r.kind == Kind::Postgres && r.database && !mayInterpolate(*r.database)) {
      const std::string& db = *r.database;
      bool ok = !db.empty() && db.size() <= 63 && ((db[0] >= 'a' && db[0] <= 'z') || db[0] == '_');
      for (char c : db) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      }
      if (!ok) {
        error(base + ".database",
              fmt::format("invalid database name '{}': expected 1 to 63 characters of a-z, 0-9 "
                          "and '_', not starting with a digit",
                          db));
      }
    }
    if (r.kind == Kind::Postgres && r.user && r.user->empty()) {
      error(base + ".user", "user is empty; remove it to use 'postgres'");
    }
    for (const auto& secret : r.secrets) {
      const std::string& key = secret.first;
      const bool inEnv =
          std::any_of(r.env.begin(), r.env.end(), [&key](const auto& e) { return e.first == key; });
      if (inEnv) {
        error(base + ".secrets." + key,
              fmt::format("'{}' is declared in both 'env' and 'secrets'; keep it in one", key));
      }
    }
    for (std::size_t i = 0; i < r.volumes.size(); ++i) {
      if (mayInterpolate(r.volumes[i])) {
        continue;
      }
      Result<VolumeMapping> v = parseVolumeMapping(r.volumes[i]);
      if (!v) {
        error(fmt::format("{}.volumes[{}]", base, i), v.error().message());
      } else if (leavesManifestDirectory(*v)) {
        error(fmt::format("{}.volumes[{}]", base, i),
              fmt::format("host path '{}' leaves the manifest's directory", v->source),
              "use an absolute path to mount outside the project");
      }
    }
    for (std::size_t i = 0; i < r.ports.size(); ++i) {
      if (r.ports[i].publishesOnAllInterfaces()) {
        warn(fmt::format("{}.ports[{}]", base, i),
             fmt::format("'{}' publishes on every network interface, reachable from other "
                         "machines",
                         r.ports[i].str()),
             "drop the address to publish on 127.0.0.1 only");
      }
    }
    if (r.workingDir && !mayInterpolate(*r.workingDir) &&
        (r.workingDir->empty() || r.workingDir->front() != '/')) {
      error(base + ".working_dir",
            fmt::format("working_dir '{}' must be an absolute path inside the container",
                        *r.workingDir));
    }
    std::set<std::string> seenDeps;
    for (std::size_t i = 0; i < r.dependsOn.size(); ++i) {
      const std::string& d = r.dependsOn[i];
      const std::string path = dependencyPath(r, i);
      if (d == r.name) {
        error(path, fmt::format("resource '{}' depends on itself", r.name));
      } else if (m_.find(d) == nullptr) {
        error(path,
              fmt::format("unknown resource '{}' in depends_on; declared resources: {}", d,
                          declared()),
              suggestName(d));
      } else if (!seenDeps.insert(d).second) {
        error(path, fmt::format("'{}' is listed twice in depends_on", d));
      }
    }
    forEachInterpolatable(r, [&](const std::string& path, const std::string& text) {
      Result<Template> t = parseTemplate(text);
      if (!t) {
        error(path, t.error().message());
        return;
      }
      std::vector<ResourceReference> refs;
      collectResourceReferences(*t, refs);
      for (const ResourceReference& ref : refs) {
        const Resource* target = m_.find(ref.resource);
        if (target == nullptr) {
          error(path,
                fmt::format("'${{resources.{}.{}}}' names an unknown resource '{}'; declared "
                            "resources: {}",
                            ref.resource, ref.property, ref.resource, declared()),
                suggestName(ref.resource));
          continue;
        }
        const auto outputs = outputNames(target->kind);
        if (std::find(outputs.begin(), outputs.end(), ref.property) == outputs.end()) {
          std::string list;
          for (std::string_view o : outputs) {
            list += list.empty() ? "" : ", ";
            list += o;
          }
          const std::string_view g = closestKey(ref.property, outputs);
          error(path,
                fmt::format("'${{resources.{}.{}}}': a {} resource has no output '{}'; it "
                            "offers {}",
                            ref.resource, ref.property, kindName(target->kind), ref.property, list),
                g.empty() ? std::string() : fmt::format("did you mean '{}'?", g));
        }
      }
    });
  }

  std::string declared() const {
    if (names_.empty()) {
      return "(none)";
    }
    std::string out;
    for (std::string_view n : names_) {
      out += out.empty() ? "" : ", ";
      out += n;
    }
    return out;
  }

  void hostPorts() {
    // Two resources publishing the same host port and protocol collide at start.
    std::map<std::pair<std::uint16_t, PortProtocol>, std::string> used;
    const auto claim = [&](std::uint16_t port, PortProtocol proto, const std::string& path) {
      auto [it, inserted] = used.emplace(std::make_pair(port, proto), path);
      if (!inserted) {
        error(path,
              fmt::format("host port {}/{} is already published by {}", port,
                          proto == PortProtocol::Udp ? "udp" : "tcp", it->second),
              "pick another host port, e.g. \"" + std::to_string(port + 1) + ":" +
                  std::to_string(port) + "\"");
      }
    };
    for (const Resource& r : m_.resources) {
      const std::string base = "resources." + r.name;
      if (r.kind == Kind::Postgres || r.kind == Kind::Redis) {
        const std::uint16_t def = r.kind == Kind::Postgres ? 5432 : 6379;
        claim(r.port.value_or(def), PortProtocol::Tcp, base + (r.port ? ".port" : ""));
      }
      for (std::size_t i = 0; i < r.ports.size(); ++i) {
        claim(r.ports[i].hostPort, r.ports[i].protocol, fmt::format("{}.ports[{}]", base, i));
      }
    }
  }

  // Where the dependency `from -> to` was written: the depends_on entry, else the first string
  // that references `to`.
  std::string edgePath(const Resource& from, const std::string& to) const {
    for (std::size_t i = 0; i < from.dependsOn.size(); ++i) {
      if (from.dependsOn[i] == to) {
        return dependencyPath(from, i);
      }
    }
    std::string found;
    forEachInterpolatable(from, [&](const std::string& path, const std::string& text) {
      if (!found.empty()) {
        return;
      }
      Result<Template> t = parseTemplate(text);
      if (!t) {
        return;
      }
      std::vector<ResourceReference> refs;
      collectResourceReferences(*t, refs);
      for (const ResourceReference& ref : refs) {
        if (ref.resource == to) {
          found = path;
          return;
        }
      }
    });
    return found.empty() ? "resources." + from.name : found;
  }

  void cycles() {
    std::map<std::string, std::vector<std::string>, std::less<>> graph;
    for (const Resource& r : m_.resources) {
      std::vector<std::string> deps;
      for (const std::string& d : dependenciesOf(r)) {
        if (m_.find(d) != nullptr) {
          deps.push_back(d);
        }
      }
      graph[r.name] = std::move(deps);
    }
    std::map<std::string, int, std::less<>> colour;  // 0 white, 1 grey, 2 black
    std::vector<std::string> stack;
    std::set<std::set<std::string>> reported;
    // Iterative DFS in declaration order.
    for (const Resource& root : m_.resources) {
      if (colour[root.name] != 0) {
        continue;
      }
      std::vector<std::pair<std::string, std::size_t>> work{{root.name, 0}};
      colour[root.name] = 1;
      stack.push_back(root.name);
      while (!work.empty()) {
        auto& [node, next] = work.back();
        const std::vector<std::string>& deps = graph[node];
        if (next >= deps.size()) {
          colour[node] = 2;
          stack.pop_back();
          work.pop_back();
          continue;
        }
        const std::string dep = deps[next++];
        if (colour[dep] == 1) {
          const auto start = std::find(stack.begin(), stack.end(), dep);
          std::vector<std::string> cycle(start, stack.end());
          std::set<std::string> key(cycle.begin(), cycle.end());
          if (reported.insert(key).second) {
            std::string text;
            for (const std::string& c : cycle) {
              text += c + " -> ";
            }
            text += dep;
            error(edgePath(*m_.find(cycle.front()), cycle.size() > 1 ? cycle[1] : dep),
                  fmt::format("dependency cycle: {}", text),
                  "remove one of these dependencies (depends_on or ${resources...} references)");
          }
        } else if (colour[dep] == 0) {
          colour[dep] = 1;
          stack.push_back(dep);
          work.emplace_back(dep, 0);
        }
      }
    }
  }

  void exports() {
    const auto check = [&](const ExportTarget& t, const char* name) {
      for (const auto& [res, settings] : t.resources) {
        if (m_.find(res) == nullptr) {
          error(fmt::format("export.{}.resources.{}", name, res),
                fmt::format("unknown resource '{}' in export.{}.resources; declared resources: {}",
                            res, name, declared()),
                suggestName(res));
        }
      }
    };
    check(m_.exports.compose, "compose");
    check(m_.exports.kubernetes, "kubernetes");
    check(m_.exports.helm, "helm");
  }

  const Manifest& m_;
  std::vector<Diagnostic>& out_;
  std::vector<std::string_view> names_;
};

}  // namespace

void validateManifest(const Manifest& m, std::vector<Diagnostic>& out) {
  Validator v(m, out);
  v.run();
}

}  // namespace ls::manifest::detail
