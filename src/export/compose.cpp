// docker compose (docker-compose.yml + .env.example) and docker swarm (docker-stack.yml for
// `docker stack deploy`): one emitter, the swarm differences in one place each.
#include <fmt/core.h>

#include <algorithm>

#include "export/internal.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace ls::exporter {
namespace {

using yaml::Node;

class ComposeEmitter {
 public:
  ComposeEmitter(const Model& m, const ExportOptions& o)
      : m_(m), o_(o), swarm_(o.target == Target::Swarm) {}

  Result<Emitted> run();

 private:
  void note(const Service& s, std::string feature, Outcome o, std::string detail) {
    out_.report.push_back(ReportEntry{s.name, std::move(feature), o, std::move(detail)});
  }

  // Compose interpolates every string: a literal '$' is written '$$'.
  std::string render(const Value& v) {
    std::string out;
    for (const Part& p : v) {
      switch (p.kind) {
        case Part::Kind::Literal:
          for (char c : p.text) {
            out += c == '$' ? std::string("$$") : std::string(1, c);
          }
          break;
        case Part::Kind::Host: out += m_.services[p.index].name; break;
        case Part::Kind::Variable: {
          const Variable& var = m_.variables[p.index];
          used_.insert(p.index);
          const bool plainDefault = var.fallback && !var.secret &&
                                    var.fallback->find_first_of("${}") == std::string::npos;
          out += plainDefault ? fmt::format("${{{}:-{}}}", var.name, *var.fallback)
                              : fmt::format("${{{}:?{} is required}}", var.name, var.name);
          break;
        }
      }
    }
    return out;
  }
  std::string renderText(const std::string& resolved) { return render(splitResolved(resolved)); }

  std::string relativePath(const std::filesystem::path& p) const {
    if (o_.outputDirectory.empty()) {
      return p.string();
    }
    std::string rel = p.lexically_relative(o_.outputDirectory).string();
    if (rel.empty()) {
      rel = ".";
    }
    return rel.starts_with(".") ? rel : "./" + rel;
  }

  Node service(const Service& s);
  void ports(const Service& s, Node& svc);
  void volumes(const Service& s, Node& svc);
  void healthcheck(const Service& s, Node& svc);
  void dependencies(const Service& s, Node& svc);
  std::string envExample() const;

  const Model& m_;
  const ExportOptions& o_;
  bool swarm_;
  Emitted out_;
  std::set<std::size_t> used_;
  std::map<std::string, std::string> namedVolumes_;
};

void ComposeEmitter::ports(const Service& s, Node& svc) {
  if (s.ports.empty()) {
    return;
  }
  Node& list = svc["ports"] = Node::sequence();
  for (const Port& p : s.ports) {
    if (swarm_) {
      Node port;
      port["target"] = Node::integer(p.container);
      port["published"] = Node::integer(p.host.value_or(p.container));
      port["protocol"] = Node::str(p.udp ? "udp" : "tcp");
      port["mode"] = Node::str(o_.publishMode == PublishMode::Host ? "host" : "ingress");
      list.push(std::move(port));
      continue;
    }
    std::string address = p.hostAddress.empty() ? "127.0.0.1" : p.hostAddress;
    if (address.find(':') != std::string::npos) {
      address = "[" + address + "]";
    }
    list.push(Node::str(fmt::format("{}:{}:{}{}", address,
                                    p.host ? std::to_string(*p.host) : std::string(), p.container,
                                    p.udp ? "/udp" : "")));
  }
  if (swarm_) {
    note(s, "ports", Outcome::Approximated,
         fmt::format("published on every interface of every node ({} mode); the manifest's bind "
                     "address (127.0.0.1 by default) does not exist in swarm",
                     o_.publishMode == PublishMode::Host ? "host" : "ingress"));
  } else {
    note(s, "ports", Outcome::Translated,
         "same bindings (127.0.0.1 unless the manifest names one)");
  }
}

void ComposeEmitter::volumes(const Service& s, Node& svc) {
  if (s.volumes.empty()) {
    return;
  }
  Node& list = svc["volumes"] = Node::sequence();
  bool bind = false;
  for (const Volume& v : s.volumes) {
    const std::string ro = v.readOnly ? ":ro" : "";
    switch (v.kind) {
      case Volume::Kind::Named:
        namedVolumes_[v.source.string()] = v.source.string();
        list.push(Node::str(fmt::format("{}:{}{}", v.source.string(), v.target, ro)));
        break;
      case Volume::Kind::Anonymous: list.push(Node::str(v.target)); break;
      case Volume::Kind::HostFile:
      case Volume::Kind::HostDirectory:
        bind = true;
        list.push(Node::str(fmt::format("{}:{}{}", relativePath(v.source), v.target, ro)));
        break;
    }
  }
  note(s, "volumes", bind && swarm_ ? Outcome::Approximated : Outcome::Translated,
       bind && swarm_ ? "bind mounts must exist at that path on every node a task runs on"
                      : "named volumes keep the names `up` uses; bind mounts are relative to "
                        "the export directory");
}

void ComposeEmitter::healthcheck(const Service& s, Node& svc) {
  if (!s.healthcheck) {
    note(s, "healthcheck", Outcome::Translated, "none: ready when running");
    return;
  }
  const Probe& p = *s.healthcheck;
  Node& h = svc["healthcheck"];
  Node& test = h["test"] = Node::sequence();
  for (const std::string& t : p.test) {
    test.push(Node::str(renderText(t)));
  }
  h["interval"] = Node::str(manifest::formatDuration(p.interval));
  h["timeout"] = Node::str(manifest::formatDuration(p.timeout));
  h["retries"] = Node::integer(p.retries);
  h["start_period"] = Node::str(manifest::formatDuration(p.startPeriod));
  note(s, "healthcheck", Outcome::Translated, "same test and timings");
}

void ComposeEmitter::dependencies(const Service& s, Node& svc) {
  if (s.dependsOn.empty()) {
    return;
  }
  if (swarm_) {
    std::string names;
    for (const Dependency& d : s.dependsOn) {
      names += (names.empty() ? "" : ", ") + m_.services[d.service].name;
    }
    note(s, "depends_on", Outcome::Approximated,
         fmt::format("swarm has no start order: the service restarts (restart_policy) until {} "
                     "answer",
                     names));
    return;
  }
  Node& deps = svc["depends_on"];
  for (const Dependency& d : s.dependsOn) {
    const Service& dep = m_.services[d.service];
    const char* condition = d.condition == manifest::DependencyCondition::Completed
                                ? "service_completed_successfully"
                            : dep.healthcheck ? "service_healthy"
                                              : "service_started";
    deps[dep.name]["condition"] = Node::str(condition);
  }
  note(s, "depends_on", Outcome::Translated,
       "depends_on conditions: healthy (with a healthcheck), started (without), completed");
}

Node ComposeEmitter::service(const Service& s) {
  Node svc;
  if (s.build && swarm_) {
    svc["image"] = Node::str(deployImage(s, o_));
    out_.report.push_back(*buildOnCluster(s, o_));
  } else if (s.build) {
    svc["image"] = Node::str(s.image);
    Node& b = svc["build"];
    b["context"] = Node::str(relativePath(s.build->context));
    b["dockerfile"] = Node::str(s.build->dockerfile);
    if (!s.build->target.empty()) {
      b["target"] = Node::str(s.build->target);
    }
    for (const auto& [k, v] : s.build->args) {
      b["args"][k] = Node::str(v);
    }
    note(s, "build", Outcome::Translated, "compose builds the same context, target and args");
  } else {
    svc["image"] = Node::str(s.image);
    note(s, "image", Outcome::Translated, s.image);
  }
  if (!s.env.empty()) {
    Node& env = svc["environment"];
    for (const auto& [k, v] : s.env) {
      env[k] = Node::str(render(v));
    }
    const bool secret = std::any_of(s.env.begin(), s.env.end(),
                                    [&](const auto& kv) { return isSecretValue(m_, kv.second); });
    note(s, "env", Outcome::Translated,
         secret ? "secrets as ${KEY:?KEY is required}, read from the environment or .env"
                : "same variables");
  }
  const auto argv = [&](const std::vector<Value>& items) {
    Node list = Node::sequence();
    for (const Value& v : items) {
      list.push(Node::str(render(v)));
    }
    return list;
  };
  if (s.entrypoint) {
    svc["entrypoint"] = argv(*s.entrypoint);
  }
  if (s.command) {
    svc["command"] = argv(*s.command);
  }
  if (s.workingDir) {
    svc["working_dir"] = Node::str(render(splitResolved(*s.workingDir)));
  }
  ports(s, svc);
  volumes(s, svc);
  healthcheck(s, svc);
  dependencies(s, svc);
  if (swarm_) {
    Node& deploy = svc["deploy"];
    deploy["replicas"] = Node::integer(s.replicas);
    if (o_.publishMode == PublishMode::Host) {
      // Without the ingress mesh nothing needs a virtual IP, and where IPVS is missing a VIP
      // does not answer at all: names resolve to the tasks themselves.
      deploy["endpoint_mode"] = Node::str("dnsrr");
      note(s, "endpoint", Outcome::Approximated,
           "DNS round robin (endpoint_mode dnsrr): the service name resolves to its tasks, no "
           "virtual IP");
    }
    Node& rp = deploy["restart_policy"];
    switch (s.restart.mode) {
      case manifest::RestartPolicy::Mode::Always: rp["condition"] = Node::str("any"); break;
      case manifest::RestartPolicy::Mode::OnFailure:
        rp["condition"] = Node::str("on-failure");
        if (s.restart.maxRetries) {
          rp["max_attempts"] = Node::integer(*s.restart.maxRetries);
        }
        break;
      case manifest::RestartPolicy::Mode::No:
        rp["condition"] = Node::str("on-failure");
        note(s, "restart", Outcome::Approximated,
             "'no' becomes on-failure: without a start order a task that fails before its "
             "dependencies answer must be retried");
        break;
    }
  } else {
    svc["restart"] = Node::str(s.restart.str());
    note(s, "restart", Outcome::Translated, s.restart.str());
  }
  svc["stop_grace_period"] = Node::str(manifest::formatDuration(s.stopGracePeriod));
  for (const auto& [k, v] : s.labels) {
    svc["labels"][k] = Node::str(v);
  }
  return svc;
}

std::string ComposeEmitter::envExample() const {
  std::string out = fmt::format(
      "# Variables the exported stack reads. Copy this file to .env beside {} and fill in\n"
      "# every empty value: the stack does not start while a required one is missing.\n",
      swarm_ ? "docker-stack.yml" : "docker-compose.yml");
  if (swarm_) {
    out +=
        "# docker stack deploy does not read .env: export them first (set -a; . ./.env; set +a).\n";
  }
  for (std::size_t i : used_) {
    const Variable& v = m_.variables[i];
    std::string uses;
    for (const std::string& u : v.usedBy) {
      uses += (uses.empty() ? "" : ", ") + u;
    }
    out += "\n";
    if (v.secret) {
      out += fmt::format("# {}: secret, required{} (used by {})\n{}=\n", v.name,
                         v.generated ? "; `lightshuttle up` generates it" : "", uses, v.name);
    } else if (v.fallback) {
      out += fmt::format("# {}: optional, default '{}' (used by {})\n# {}={}\n", v.name,
                         *v.fallback, uses, v.name, *v.fallback);
    } else {
      out += fmt::format("# {}: required (used by {})\n{}=\n", v.name, uses, v.name);
    }
  }
  return out;
}

Result<Emitted> ComposeEmitter::run() {
  Node doc;
  if (swarm_) {
    doc["version"] = Node::str("3.8");
  }
  Node& services = doc["services"] = Node::mapping();
  for (const Service& s : m_.services) {
    services[s.name] = service(s);
  }
  for (const auto& [key, name] : namedVolumes_) {
    doc["volumes"][key]["name"] = Node::str(name);
  }
  const std::string file = swarm_ ? "docker-stack.yml" : "docker-compose.yml";
  out_.files.push_back(File{file, "# Generated by `lightshuttle export " +
                                      std::string(targetName(o_.target)) + "` from project " +
                                      m_.project + ". Do not edit: export again.\n" +
                                      yaml::write(doc)});
  if (!used_.empty()) {
    out_.files.push_back(File{".env.example", envExample()});
  }
  if (swarm_) {
    out_.nextSteps.push_back("cp .env.example .env   # then fill it in");
    out_.nextSteps.push_back(fmt::format(
        "set -a; . ./.env; set +a; docker stack deploy -c docker-stack.yml {}", m_.projectDns));
  } else {
    if (!used_.empty()) {
      out_.nextSteps.push_back("cp .env.example .env   # then fill it in");
    }
    out_.nextSteps.push_back(fmt::format("docker-compose -p {} up -d", m_.project));
  }
  return std::move(out_);
}

}  // namespace

std::string deployImage(const Service& s, const ExportOptions& o) {
  if (!s.build || o.registry.empty()) {
    return s.image;
  }
  auto digest = o.pushed.find(s.name);
  return o.registry + "/" + s.image + (digest == o.pushed.end() ? "" : "@" + digest->second);
}

std::optional<ReportEntry> buildOnCluster(const Service& s, const ExportOptions& o) {
  if (!s.build) {
    return std::nullopt;
  }
  if (o.registry.empty()) {
    return ReportEntry{s.name, "build", Outcome::Dropped,
                       fmt::format("the nodes pull images and '{}' is only built here: run "
                                   "`lightshuttle push --registry HOST:PORT {}`, then export with "
                                   "the same --registry",
                                   s.image, s.name)};
  }
  if (!o.pushed.contains(s.name)) {
    return ReportEntry{
        s.name, "build", Outcome::Dropped,
        fmt::format("'{}' was not pushed to {}: run `lightshuttle push --registry {} "
                    "{}` first",
                    s.name, o.registry, o.registry, s.name)};
  }
  return ReportEntry{s.name, "build", Outcome::Translated,
                     fmt::format("runs {} (pushed by `lightshuttle push`)", deployImage(s, o))};
}

Result<Emitted> emitCompose(const Model& m, const ExportOptions& o) {
  ComposeEmitter e(m, o);
  return e.run();
}

}  // namespace ls::exporter
