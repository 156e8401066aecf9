// Kubernetes objects of the lowered model (plain manifests, and the tree the Helm chart is
// written from): Namespace, a project ConfigMap for defaulted variables, and per service a
// Deployment, a Service, a ConfigMap of plain env, a ConfigMap of bind-mounted files and PVCs.
// Secrets are read with secretKeyRef from one Secret the user creates.
#include <fmt/core.h>

#include <algorithm>

#include "export/internal.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace ls::exporter {
namespace {

using yaml::Node;

constexpr const char* kWaitImage = "busybox:1.36";
constexpr std::size_t kMaxConfigFile = 512 * 1024;

// A Go template string literal.
std::string goString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// A ConfigMap key: [-._a-zA-Z0-9]+.
std::string configKey(std::size_t i, const std::filesystem::path& p) {
  std::string name;
  for (char c : p.filename().string()) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    name += ok ? c : '_';
  }
  return fmt::format("f{}-{}", i, name);
}

class KubeBuilder {
 public:
  KubeBuilder(const Model& m, const ExportOptions& o, const KubeOptions& k) : m_(m), o_(o), k_(k) {
    out_.secretName = m.projectDns + "-secrets";
  }

  Result<Kube> run();

 private:
  void note(const Service& s, std::string feature, Outcome o, std::string detail) {
    out_.report.push_back(ReportEntry{s.name, std::move(feature), o, std::move(detail)});
  }
  std::string valuesKey(const Service& s) const { return camelCase(s.dnsName); }

  Node metadata(const std::string& name, const Service* s) const {
    Node md;
    md["name"] = Node::str(name);
    md["namespace"] = Node::str(m_.namespace_, "{{ .Release.Namespace | quote }}");
    md["labels"] = labels(s);
    return md;
  }
  Node labels(const Service* s) const {
    Node l;
    if (s != nullptr) {
      l["app.kubernetes.io/name"] = Node::str(s->dnsName);
      l["app.kubernetes.io/component"] = Node::str(std::string(manifest::kindName(s->kind)));
    }
    l["app.kubernetes.io/instance"] = Node::str(m_.projectDns, "{{ .Release.Name | quote }}");
    l["app.kubernetes.io/part-of"] = Node::str(m_.projectDns);
    l["app.kubernetes.io/managed-by"] = Node::str("lightshuttle");
    return l;
  }
  Node selector(const Service& s) const {
    Node l;
    l["app.kubernetes.io/name"] = Node::str(s.dnsName);
    l["app.kubernetes.io/instance"] = Node::str(m_.projectDns, "{{ .Release.Name | quote }}");
    return l;
  }
  Node secretName() const {
    return Node::str(out_.secretName,
                     fmt::format("{{{{ include \"{}.secretName\" . | quote }}}}", k_.chart));
  }

  bool fromSecret(const Variable& v) const { return v.secret || !v.fallback; }
  void useVariable(std::size_t i) {
    const Variable& v = m_.variables[i];
    auto& list = fromSecret(v) ? out_.secretVars : out_.configVars;
    if (std::find(list.begin(), list.end(), i) == list.end()) {
      list.push_back(i);
    }
  }
  std::string helperName(std::size_t i) const {
    return (fromSecret(m_.variables[i]) ? "LS_SECRET_" : "LS_CONFIG_") + m_.variables[i].name;
  }
  Node valueFrom(std::size_t i) {
    useVariable(i);
    const Variable& v = m_.variables[i];
    Node from;
    if (fromSecret(v)) {
      from["secretKeyRef"]["name"] = secretName();
      from["secretKeyRef"]["key"] = Node::str(v.name);
    } else {
      from["configMapKeyRef"]["name"] = Node::str(m_.projectDns + "-config");
      from["configMapKeyRef"]["key"] = Node::str(v.name);
    }
    return from;
  }
  // A value in env/command/args: `$(` escaped, variables through helper env entries.
  std::string render(const Value& v, std::set<std::size_t>& helpers) {
    std::string out;
    for (const Part& p : v) {
      switch (p.kind) {
        case Part::Kind::Literal:
          for (std::size_t i = 0; i < p.text.size(); ++i) {
            if (p.text.compare(i, 2, "$(") == 0) {
              out += "$";
            }
            out += p.text[i];
          }
          break;
        case Part::Kind::Host: out += m_.services[p.index].dnsName; break;
        case Part::Kind::Variable:
          helpers.insert(p.index);
          out += "$(" + helperName(p.index) + ")";
          break;
      }
    }
    return out;
  }
  std::string renderPlain(const Value& v) const {
    std::string out;
    for (const Part& p : v) {
      out += p.kind == Part::Kind::Host ? m_.services[p.index].dnsName : p.text;
    }
    return out;
  }
  bool isPlain(const Value& v) const {
    return std::all_of(v.begin(), v.end(),
                       [](const Part& p) { return p.kind != Part::Kind::Variable; });
  }

  Result<void> service(const Service& s);
  Node probe(const Probe& p, int periodFactor, int failureThreshold) const;
  Node waitFor(const Service& s, const Dependency& d);

  const Model& m_;
  const ExportOptions& o_;
  const KubeOptions& k_;
  Kube out_;
  std::set<std::string> claims_;
};

Node KubeBuilder::probe(const Probe& p, int periodFactor, int failureThreshold) const {
  Node cmd = Node::sequence();
  const auto host = [&](const std::string& t) { return renderPlain(splitResolved(t)); };
  if (!p.test.empty() && p.test[0] == "CMD-SHELL") {
    std::string joined;
    for (std::size_t i = 1; i < p.test.size(); ++i) {
      joined += (i > 1 ? " " : "") + host(p.test[i]);
    }
    cmd.push(Node::str("sh"));
    cmd.push(Node::str("-c"));
    cmd.push(Node::str(joined));
  } else {
    for (std::size_t i = (!p.test.empty() && p.test[0] == "CMD") ? 1 : 0; i < p.test.size(); ++i) {
      cmd.push(Node::str(host(p.test[i])));
    }
  }
  Node n;
  n["exec"]["command"] = std::move(cmd);
  n["periodSeconds"] =
      Node::integer(std::max(wholeSeconds(p.interval) * periodFactor, periodFactor > 1 ? 10 : 1));
  n["timeoutSeconds"] = Node::integer(wholeSeconds(p.timeout));
  n["failureThreshold"] = Node::integer(std::max(failureThreshold, 1));
  return n;
}

Node KubeBuilder::waitFor(const Service& s, const Dependency& d) {
  const Service& dep = m_.services[d.service];
  if (d.condition == manifest::DependencyCondition::Completed) {
    note(s, "depends_on." + dep.name, Outcome::Approximated,
         "a Deployment never completes: the init container waits for it to be ready instead");
  }
  std::string host = dep.dnsName;
  Node c;
  c["name"] =
      Node::str("wait-" + dep.dnsName.substr(0, std::min<std::size_t>(dep.dnsName.size(), 58)));
  std::string script;
  if (dep.kind == manifest::Kind::Postgres) {
    c["image"] = Node::str(
        dep.image, k_.helm ? fmt::format("{{{{ include \"{}.image\" .Values.services.{}.image }}}}",
                                         k_.chart, valuesKey(dep))
                           : "");
    script = fmt::format("until pg_isready -q -h {} -p 5432; do echo waiting for {}; sleep 1; done",
                         host, dep.name);
  } else if (dep.kind == manifest::Kind::Redis) {
    c["image"] = Node::str(
        dep.image, k_.helm ? fmt::format("{{{{ include \"{}.image\" .Values.services.{}.image }}}}",
                                         k_.chart, valuesKey(dep))
                           : "");
    script = fmt::format(
        "until [ \"$(redis-cli -h {} -p 6379 ping 2>/dev/null)\" = PONG ]; do echo waiting for {}; "
        "sleep 1; done",
        host, dep.name);
    if (!dep.passwordEnv.empty()) {
      auto it = dep.env.find(dep.passwordEnv);
      if (it != dep.env.end() && it->second.size() == 1 &&
          it->second[0].kind == Part::Kind::Variable) {
        Node e;
        e["name"] = Node::str("REDISCLI_AUTH");
        e["valueFrom"] = valueFrom(it->second[0].index);
        c["env"].push(std::move(e));
      }
    }
  } else if (!dep.ports.empty()) {
    c["image"] = Node::str(kWaitImage);
    script = fmt::format("until nc -z -w 2 {} {}; do echo waiting for {}; sleep 1; done", host,
                         dep.ports[0].container, dep.name);
  } else {
    // A headless Service resolves only once a pod behind it is ready.
    c["image"] = Node::str(kWaitImage);
    script = fmt::format("until nslookup {} >/dev/null 2>&1; do echo waiting for {}; sleep 1; done",
                         host, dep.name);
    note(s, "depends_on." + dep.name, Outcome::Approximated,
         fmt::format("'{}' has no port: the init container waits until its headless Service "
                     "resolves (a ready pod)",
                     dep.name));
  }
  // Kubernetes expands $(NAME) in commands: the script's own $( must stay literal.
  std::string escaped;
  for (std::size_t i = 0; i < script.size(); ++i) {
    if (script.compare(i, 2, "$(") == 0) {
      escaped += '$';
    }
    escaped += script[i];
  }
  script = std::move(escaped);
  c["command"].push(Node::str("sh"));
  c["command"].push(Node::str("-c"));
  c["command"].push(Node::str(script));
  return c;
}

Result<void> KubeBuilder::service(const Service& s) {
  KubeFile file{.name = s.dnsName + ".yaml"};
  const std::string vk = valuesKey(s);
  Node container;
  container["name"] = Node::str(s.dnsName);
  container["image"] = Node::str(
      deployImage(s, o_),
      fmt::format("{{{{ include \"{}.image\" .Values.services.{}.image }}}}", k_.chart, vk));
  container["imagePullPolicy"] = Node::str(
      s.pullPolicy, fmt::format("{{{{ .Values.services.{}.image.pullPolicy | quote }}}}", vk));
  if (s.build) {
    out_.report.push_back(*buildOnCluster(s, o_));
  } else {
    note(s, "image", Outcome::Translated, s.image);
  }

  // Environment: plain values in the service's ConfigMap (envFrom); a value that is exactly one
  // variable reads it directly (secretKeyRef / configMapKeyRef); mixed values expand $(helpers).
  std::set<std::size_t> helpers;
  Node plain = Node::mapping();
  std::vector<Node> direct;
  std::map<std::string, Value> env = s.env;
  const bool pgVolume =
      s.kind == manifest::Kind::Postgres &&
      std::any_of(s.volumes.begin(), s.volumes.end(), [](const Volume& v) {
        return v.kind == Volume::Kind::Named && v.target == "/var/lib/postgresql/data";
      });
  if (pgVolume && !env.contains("PGDATA")) {
    env["PGDATA"] = Value{Part{.text = "/var/lib/postgresql/data/pgdata"}};
    note(s, "volume", Outcome::Approximated,
         "PGDATA is a subdirectory of the claim (a fresh volume's root holds lost+found)");
  }
  for (const auto& [k, v] : env) {
    if (isPlain(v)) {
      const std::string text = renderPlain(v);
      plain[k] = Node::str(
          text, fmt::format("{{{{ index .Values.services.{}.env {} | quote }}}}", vk, goString(k)));
      continue;
    }
    Node e;
    e["name"] = Node::str(k);
    if (v.size() == 1) {
      e["valueFrom"] = valueFrom(v[0].index);
    } else {
      e["value"] = Node::str(render(v, helpers));
    }
    direct.push_back(std::move(e));
  }
  const auto argv = [&](const std::optional<std::vector<Value>>& items, const char* key) {
    if (!items) {
      return;
    }
    Node& list = container[key] = Node::sequence();
    for (const Value& v : *items) {
      list.push(Node::str(render(v, helpers)));
    }
  };
  argv(s.entrypoint, "command");
  argv(s.command, "args");
  Node envList = Node::sequence();
  for (std::size_t h : helpers) {
    Node e;
    e["name"] = Node::str(helperName(h));
    e["valueFrom"] = valueFrom(h);
    envList.push(std::move(e));
  }
  for (Node& e : direct) {
    envList.push(std::move(e));
  }
  if (!envList.seq.empty()) {
    container["env"] = std::move(envList);
  }
  if (!plain.map.empty()) {
    container["envFrom"].push(Node())["configMapRef"]["name"] = Node::str(s.dnsName + "-env");
  }
  if (!s.env.empty()) {
    note(s, "env", Outcome::Translated,
         fmt::format("plain values in ConfigMap {}-env; secrets by secretKeyRef to {}; values "
                     "that embed one expand $(LS_SECRET_*)",
                     s.dnsName, out_.secretName));
  }
  if (s.workingDir) {
    container["workingDir"] = Node::str(*s.workingDir);
  }
  if (!s.ports.empty()) {
    Node& ports = container["ports"] = Node::sequence();
    for (const Port& p : s.ports) {
      Node port;
      port["containerPort"] = Node::integer(p.container);
      port["protocol"] = Node::str(p.udp ? "UDP" : "TCP");
      ports.push(std::move(port));
    }
  }
  if (s.healthcheck) {
    const Probe& p = *s.healthcheck;
    const int startupBudget =
        p.retries + static_cast<int>((p.startPeriod + p.interval - std::chrono::nanoseconds(1)) /
                                     std::max(p.interval, std::chrono::nanoseconds(1)));
    container["startupProbe"] = probe(p, 1, startupBudget);
    container["readinessProbe"] = probe(p, 1, p.retries);
    container["livenessProbe"] = probe(p, 2, p.retries * 2);
    note(s, "healthcheck", Outcome::Translated,
         "startupProbe (start_period + retries), readinessProbe (same test and timings) and a "
         "looser livenessProbe");
  } else {
    note(s, "healthcheck", Outcome::Translated, "none: ready when running");
  }

  // Volumes.
  Node podVolumes = Node::sequence();
  Node files = Node::mapping();
  bool rwoClaim = false;
  for (std::size_t i = 0; i < s.volumes.size(); ++i) {
    const Volume& v = s.volumes[i];
    const std::string volName = fmt::format("vol-{}", i);
    Node mount;
    mount["name"] = Node::str(volName);
    mount["mountPath"] = Node::str(v.target);
    Node pv;
    pv["name"] = Node::str(volName);
    switch (v.kind) {
      case Volume::Kind::Named: {
        LS_ASSIGN_OR_RETURN(std::string claim, manifest::dnsLabelFromName(v.source.string()));
        pv["persistentVolumeClaim"]["claimName"] = Node::str(claim);
        rwoClaim = true;
        if (claims_.insert(claim).second) {
          Node pvc;
          pvc["apiVersion"] = Node::str("v1");
          pvc["kind"] = Node::str("PersistentVolumeClaim");
          pvc["metadata"] = metadata(claim, &s);
          pvc["spec"]["accessModes"].push(Node::str("ReadWriteOnce"));
          pvc["spec"]["resources"]["requests"]["storage"] = Node::str("1Gi");
          file.docs.push_back(std::move(pvc));
        }
        note(s, "volumes", Outcome::Approximated,
             fmt::format("'{}' is the PersistentVolumeClaim {} (ReadWriteOnce, 1Gi: set the size "
                         "you need)",
                         v.source.string(), claim));
        break;
      }
      case Volume::Kind::Anonymous:
        pv["emptyDir"] = Node::mapping();
        note(s, "volumes", Outcome::Translated, v.target + " is an emptyDir (gone with the pod)");
        break;
      case Volume::Kind::HostFile: {
        LS_ASSIGN_OR_RETURN(std::string text, readFile(v.source));
        if (text.size() > kMaxConfigFile || text.find('\0') != std::string::npos) {
          return Error(Errc::InvalidArgument,
                       fmt::format("resources.{}.volumes[{}]: '{}' is binary or larger than "
                                   "512 KiB: it cannot become a ConfigMap; copy it into the "
                                   "image instead",
                                   s.name, i, v.source.string()));
        }
        const std::string key = configKey(i, v.source);
        files[key] = Node::str(text);
        pv["configMap"]["name"] = Node::str(s.dnsName + "-files");
        mount["subPath"] = Node::str(key);
        mount["readOnly"] = Node::boolean(true);
        note(s, "volumes", v.readOnly ? Outcome::Translated : Outcome::Approximated,
             fmt::format("'{}' is key {} of ConfigMap {}-files{}", v.source.string(), key,
                         s.dnsName, v.readOnly ? "" : ", mounted read-only"));
        break;
      }
      case Volume::Kind::HostDirectory:
        return Error(Errc::InvalidArgument,
                     fmt::format("resources.{}.volumes[{}]: the bind-mounted directory '{}' cannot "
                                 "be exported to {}: a cluster node does not have it. Copy it into "
                                 "the image (a dockerfile resource with COPY), mount single files "
                                 "(they become a ConfigMap), or use a named volume",
                                 s.name, i, v.source.string(), targetName(o_.target)));
    }
    if (v.readOnly) {
      mount["readOnly"] = Node::boolean(true);
    }
    container["volumeMounts"].push(std::move(mount));
    podVolumes.push(std::move(pv));
  }
  if (rwoClaim && s.replicas > 1) {
    return Error(Errc::InvalidArgument,
                 fmt::format("resource '{}': {} replicas cannot share a ReadWriteOnce volume; set "
                             "replicas to 1 for it in export.kubernetes.resources",
                             s.name, s.replicas));
  }

  Node pod;
  pod["enableServiceLinks"] = Node::boolean(false);
  pod["terminationGracePeriodSeconds"] = Node::integer(wholeSeconds(s.stopGracePeriod));
  for (const Dependency& d : s.dependsOn) {
    pod["initContainers"].push(waitFor(s, d));
  }
  if (!s.dependsOn.empty()) {
    note(s, "depends_on", Outcome::Translated,
         "init containers wait for each dependency's readiness (pg_isready, redis PING, TCP, or "
         "DNS of a headless Service)");
  }
  pod["containers"].push(std::move(container));
  if (!podVolumes.seq.empty()) {
    pod["volumes"] = std::move(podVolumes);
  }
  if (s.restart.mode != manifest::RestartPolicy::Mode::Always) {
    note(s, "restart", Outcome::Approximated,
         fmt::format("'{}' becomes Always: a Deployment's pods always restart", s.restart.str()));
  }
  note(s, "stop_grace_period", Outcome::Translated, "terminationGracePeriodSeconds");

  Node deployment;
  deployment["apiVersion"] = Node::str("apps/v1");
  deployment["kind"] = Node::str("Deployment");
  deployment["metadata"] = metadata(s.dnsName, &s);
  for (const auto& [k, v] : s.labels) {
    deployment["metadata"]["annotations"][k] = Node::str(v);
  }
  if (!s.labels.empty()) {
    note(s, "labels", Outcome::Approximated, "written as annotations of the Deployment");
  }
  Node& spec = deployment["spec"];
  spec["replicas"] =
      Node::integer(s.replicas, fmt::format("{{{{ .Values.services.{}.replicas }}}}", vk));
  spec["selector"]["matchLabels"] = selector(s);
  spec["strategy"]["type"] = Node::str(rwoClaim ? "Recreate" : "RollingUpdate");
  spec["template"]["metadata"]["labels"] = labels(&s);
  spec["template"]["spec"] = std::move(pod);
  file.docs.insert(file.docs.begin(), std::move(deployment));

  if (!s.ports.empty() || s.referenced) {
    Node svc;
    svc["apiVersion"] = Node::str("v1");
    svc["kind"] = Node::str("Service");
    svc["metadata"] = metadata(s.dnsName, &s);
    svc["spec"]["selector"] = selector(s);
    if (s.ports.empty()) {
      svc["spec"]["clusterIP"] = Node::str("None");
      note(s, "service", Outcome::Translated,
           "a headless Service: no port, but its name resolves for its dependents");
    } else {
      svc["spec"]["type"] = Node::str("ClusterIP");
      for (const Port& p : s.ports) {
        Node port;
        port["name"] = Node::str(fmt::format("{}-{}", p.udp ? "udp" : "tcp", p.container));
        port["port"] = Node::integer(p.container);
        port["targetPort"] = Node::integer(p.container);
        port["protocol"] = Node::str(p.udp ? "UDP" : "TCP");
        svc["spec"]["ports"].push(std::move(port));
      }
      std::string forwards;
      for (const Port& p : s.ports) {
        if (p.host) {
          forwards += fmt::format(" {}:{}", *p.host, p.container);
        }
      }
      if (!forwards.empty()) {
        note(s, "ports", Outcome::Approximated,
             fmt::format("a ClusterIP Service; from this machine: kubectl port-forward -n {} "
                         "svc/{}{}",
                         m_.namespace_, s.dnsName, forwards));
      }
    }
    file.docs.insert(file.docs.begin() + 1, std::move(svc));
  }
  if (!plain.map.empty()) {
    Node cm;
    cm["apiVersion"] = Node::str("v1");
    cm["kind"] = Node::str("ConfigMap");
    cm["metadata"] = metadata(s.dnsName + "-env", &s);
    cm["data"] = std::move(plain);
    file.docs.push_back(std::move(cm));
  }
  if (!files.map.empty()) {
    Node cm;
    cm["apiVersion"] = Node::str("v1");
    cm["kind"] = Node::str("ConfigMap");
    cm["metadata"] = metadata(s.dnsName + "-files", &s);
    cm["data"] = std::move(files);
    file.docs.push_back(std::move(cm));
  }
  out_.files.push_back(std::move(file));
  return ok();
}

Result<Kube> KubeBuilder::run() {
  if (!k_.helm) {
    Node ns;
    ns["apiVersion"] = Node::str("v1");
    ns["kind"] = Node::str("Namespace");
    ns["metadata"]["name"] = Node::str(m_.namespace_);
    ns["metadata"]["labels"] = labels(nullptr);
    out_.files.push_back(KubeFile{.name = "namespace.yaml", .docs = {std::move(ns)}});
  }
  for (const Service& s : m_.services) {
    LS_TRY(service(s));
  }
  const auto byName = [&](std::size_t a, std::size_t b) {
    return m_.variables[a].name < m_.variables[b].name;
  };
  std::sort(out_.secretVars.begin(), out_.secretVars.end(), byName);
  std::sort(out_.configVars.begin(), out_.configVars.end(), byName);
  if (!out_.configVars.empty()) {
    Node cm;
    cm["apiVersion"] = Node::str("v1");
    cm["kind"] = Node::str("ConfigMap");
    cm["metadata"] = metadata(m_.projectDns + "-config", nullptr);
    for (std::size_t i : out_.configVars) {
      const Variable& v = m_.variables[i];
      cm["data"][v.name] =
          Node::str(v.fallback.value_or(""),
                    fmt::format("{{{{ .Values.config.{} | quote }}}}", camelCase(v.name)));
    }
    out_.files.push_back(KubeFile{.name = "config.yaml", .docs = {std::move(cm)}});
    out_.report.push_back(ReportEntry{"", "env variables", Outcome::Approximated,
                                      fmt::format("variables with a default are keys of ConfigMap "
                                                  "{}-config, holding the default",
                                                  m_.projectDns)});
  }
  return std::move(out_);
}

}  // namespace

std::string camelCase(std::string_view s) {
  std::string out;
  bool up = false;
  for (char c : s) {
    if (c == '_' || c == '-') {
      up = !out.empty();
      continue;
    }
    const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    out += up && l >= 'a' && l <= 'z' ? static_cast<char>(l - 'a' + 'A') : l;
    up = false;
  }
  return out;
}

int wholeSeconds(std::chrono::nanoseconds d) {
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<int>(std::clamp<std::int64_t>(s, 1, 1 << 30));
}

Result<Kube> buildKubernetes(const Model& m, const ExportOptions& o, const KubeOptions& k) {
  KubeBuilder b(m, o, k);
  return b.run();
}

namespace {

std::string documents(const std::vector<Node>& docs, const yaml::WriteOptions& w) {
  std::string out;
  for (const Node& d : docs) {
    out += "---\n" + yaml::write(d, w);
  }
  return out;
}

}  // namespace

Result<Emitted> emitKubernetes(const Model& m, const ExportOptions& o) {
  LS_ASSIGN_OR_RETURN(Kube kube, buildKubernetes(m, o, KubeOptions{}));
  Emitted out;
  out.report = std::move(kube.report);
  std::string applyList;
  for (const KubeFile& f : kube.files) {
    out.files.push_back(File{f.name, documents(f.docs, {})});
    applyList += " -f " + f.name;
  }
  if (!kube.secretVars.empty()) {
    Node secret;
    secret["apiVersion"] = Node::str("v1");
    secret["kind"] = Node::str("Secret");
    secret["metadata"]["name"] = Node::str(kube.secretName);
    secret["metadata"]["namespace"] = Node::str(m.namespace_);
    secret["type"] = Node::str("Opaque");
    std::string create =
        fmt::format("kubectl create secret generic {} -n {}", kube.secretName, m.namespace_);
    std::string comments;
    for (std::size_t i : kube.secretVars) {
      const Variable& v = m.variables[i];
      secret["data"][v.name] = Node::str(fmt::format("<base64 of {}>", v.name));
      create += fmt::format(" --from-literal={}=\"${}\"", v.name, v.name);
      std::string uses;
      for (const std::string& u : v.usedBy) {
        uses += (uses.empty() ? "" : ", ") + u;
      }
      comments += fmt::format("#   {}: {}{}\n", v.name, v.secret ? "secret" : "required",
                              uses.empty() ? "" : " (" + uses + ")");
    }
    out.files.push_back(File{
        "secret.example.yaml",
        fmt::format("# The Secret the stack reads. Create it before applying the other files:\n"
                    "#   {}\n"
                    "# or fill in data: below with base64 values (as written, the API refuses "
                    "this file).\n{}{}",
                    create, comments, documents({secret}, {}))});
    out.nextSteps.push_back(fmt::format("kubectl apply -f namespace.yaml"));
    out.nextSteps.push_back(create);
    applyList.erase(0, std::string(" -f namespace.yaml").size());
    out.report.push_back(ReportEntry{"", "secrets", Outcome::Approximated,
                                     fmt::format("read by secretKeyRef from Secret {} that you "
                                                 "create (see secret.example.yaml)",
                                                 kube.secretName)});
  }
  out.nextSteps.push_back("kubectl apply" + applyList);
  return out;
}

}  // namespace ls::exporter
