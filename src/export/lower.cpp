// Lowering: the manifest resolved by spec::fromResource (the same code `up` runs) with every
// variable, generated password and host replaced by a sentinel token, then the resolved strings
// split back into symbolic values. Tokens are made of URL-unreserved characters so they survive
// the percent-encoding of credentials inside `url` outputs.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <functional>
#include <set>

#include "export/internal.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/manifest/grammar.hpp"
#include "lightshuttle/manifest/interpolation.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::exporter {
namespace {

using manifest::Kind;
using manifest::Manifest;
using manifest::Resource;

constexpr std::string_view kVarToken = "~lsx7v";
constexpr std::string_view kHostToken = "~lsx7h";

std::string varToken(std::size_t i) { return fmt::format("{}{}~", kVarToken, i); }
std::string hostToken(std::size_t i) { return fmt::format("{}{}~", kHostToken, i); }

std::string upperVar(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

bool looksSecret(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kMarkers{
      "PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "API_KEY", "AUTH"};
  const std::string upper = upperVar(key);
  return std::any_of(kMarkers.begin(), kMarkers.end(),
                     [&](std::string_view m) { return upper.find(m) != std::string::npos; });
}

/// Splits a resolved string at the tokens.
Value split(std::string_view s) {
  Value out;
  std::string lit;
  std::size_t i = 0;
  while (i < s.size()) {
    const bool var = s.compare(i, kVarToken.size(), kVarToken) == 0;
    const bool host = s.compare(i, kHostToken.size(), kHostToken) == 0;
    if (var || host) {
      const std::size_t start = i + kVarToken.size();
      const std::size_t end = s.find('~', start);
      if (end != std::string_view::npos && end > start) {
        if (!lit.empty()) {
          out.push_back(Part{.kind = Part::Kind::Literal, .text = lit});
          lit.clear();
        }
        out.push_back(Part{.kind = var ? Part::Kind::Variable : Part::Kind::Host,
                           .index = std::stoul(std::string(s.substr(start, end - start)))});
        i = end + 1;
        continue;
      }
    }
    lit += s[i++];
  }
  if (!lit.empty() || out.empty()) {
    out.push_back(Part{.kind = Part::Kind::Literal, .text = lit});
  }
  return out;
}

class Lowerer {
 public:
  Lowerer(const Manifest& m, const LowerOptions& o) : m_(m), o_(o), copy_(m) {}

  Result<Model> run();

 private:
  const manifest::ExportTarget& settings() const {
    switch (o_.target) {
      case Target::Kubernetes:
      case Target::Helm: return m_.exports.kubernetes;
      case Target::Compose:
      case Target::Swarm: return m_.exports.compose;
    }
    return m_.exports.compose;
  }
  const manifest::ExportResource* resourceSettings(const manifest::ExportTarget& t,
                                                   std::string_view name) const {
    for (const auto& [n, s] : t.resources) {
      if (n == name) {
        return &s;
      }
    }
    return nullptr;
  }
  bool enabled(std::string_view name) const {
    const manifest::ExportResource* s = resourceSettings(settings(), name);
    if (o_.target == Target::Helm && s == nullptr) {
      s = resourceSettings(m_.exports.helm, name);
    }
    return s == nullptr || s->enabled.value_or(true);
  }

  std::size_t variable(const std::string& name) {
    for (std::size_t i = 0; i < model_.variables.size(); ++i) {
      if (model_.variables[i].name == name) {
        return i;
      }
    }
    model_.variables.push_back(Variable{.name = name});
    return model_.variables.size() - 1;
  }
  bool nameTaken(const std::string& name) const {
    return std::any_of(model_.variables.begin(), model_.variables.end(),
                       [&](const Variable& v) { return v.name == name; });
  }
  std::string freshName(std::string base) const {
    std::string name = base;
    for (int i = 2; nameTaken(name); ++i) {
      name = fmt::format("{}_{}", base, i);
    }
    return name;
  }

  void note(std::string resource, std::string feature, Outcome o, std::string detail) {
    model_.report.push_back(
        ReportEntry{std::move(resource), std::move(feature), o, std::move(detail)});
  }

  Result<void> collectVariables();
  Result<void> replaceLiteralSecrets();
  Result<std::vector<const Resource*>> order();
  Result<Value> bake(const std::string& resolved, const std::string& field);
  Result<Service> convert(const Resource& r, const spec::Resolved& resolved);

  const Manifest& m_;
  const LowerOptions& o_;
  Manifest copy_;
  Model model_;
  manifest::EnvMap tokens_;
};

Result<void> Lowerer::collectVariables() {
  for (const Resource& r : copy_.resources) {
    Result<void> status = ok();
    const auto visit = [&](const std::string& path, const std::string& text) {
      if (!status) {
        return;
      }
      Result<manifest::Template> t = manifest::parseTemplate(text);
      if (!t) {
        status = Error(Errc::InvalidArgument, fmt::format("{}: {}", path, t.error().message()));
        return;
      }
      std::vector<manifest::EnvUse> uses;
      manifest::collectEnvUses(*t, uses);
      for (const manifest::EnvUse& use : uses) {
        Variable& v = model_.variables[variable(use.name)];
        if (!v.fallback && use.fallback) {
          v.fallback = use.fallback;
        }
        if (std::find(v.usedBy.begin(), v.usedBy.end(), path) == v.usedBy.end()) {
          v.usedBy.push_back(path);
        }
        if (!use.fallback) {
          const std::string* value = nullptr;
          if (o_.env != nullptr) {
            if (auto it = o_.env->find(use.name); it != o_.env->end()) {
              value = &it->second;
            }
          }
          if (value == nullptr || value->empty()) {
            status = Error(Errc::NotFound,
                           fmt::format("{}: ${{env.{}}} is not set and has no default; set it "
                                       "(in the environment or .env) or give it a default "
                                       "(${{env.{}:-value}}): `up` would refuse it too",
                                       path, use.name, use.name))
                         .withLocation(m_.locate(path));
            return;
          }
        }
      }
    };
    manifest::forEachInterpolatable(r, visit);
    for (const auto& [k, v] : r.labels) {
      visit(fmt::format("resources.{}.labels.{}", r.name, k), v);
    }
    LS_TRY(status);
  }
  return ok();
}

// A secret written as a literal in the manifest (a postgres/redis password, a `secrets:` value,
// an env value whose key looks secret) must not reach the export: it becomes a variable the
// target supplies. A postgres without password gets one too (`up` would generate it).
Result<void> Lowerer::replaceLiteralSecrets() {
  for (Resource& r : copy_.resources) {
    const bool builtin = r.kind == Kind::Postgres || r.kind == Kind::Redis;
    const std::string base = upperVar(r.name);
    if (builtin) {
      const bool literal =
          r.password && !r.password->empty() && r.password->find("${") == std::string::npos;
      const bool generate = r.kind == Kind::Postgres && !r.password;
      if (literal || generate) {
        const std::string name = freshName(base + "_PASSWORD");
        Variable& v = model_.variables[variable(name)];
        v.secret = true;
        v.generated = generate;
        v.usedBy.push_back(fmt::format("resources.{}.password", r.name));
        r.password = fmt::format("${{env.{}}}", name);
        note(r.name, "password", Outcome::Approximated,
             generate ? fmt::format("`up` generates it; the export reads it from {}", name)
                      : fmt::format("written in the manifest; the export reads it from {} "
                                    "(the literal is not copied)",
                                    name));
      }
    }
    const auto fix = [&](manifest::StringMap& map, const char* field, bool all) {
      for (auto& [k, value] : map) {
        if (!(all || looksSecret(k)) || value.empty() || value.find("${") != std::string::npos) {
          continue;
        }
        const std::string name = freshName(upperVar(k));
        Variable& v = model_.variables[variable(name)];
        v.secret = true;
        v.usedBy.push_back(fmt::format("resources.{}.{}.{}", r.name, field, k));
        value = fmt::format("${{env.{}}}", name);
        note(r.name, std::string(field) + "." + k, Outcome::Approximated,
             fmt::format("a literal secret; the export reads it from {}", name));
      }
    };
    fix(r.secrets, "secrets", true);
    fix(r.env, "env", false);
  }
  return ok();
}

Result<std::vector<const Resource*>> Lowerer::order() {
  std::vector<const Resource*> enabledResources;
  for (const Resource& r : copy_.resources) {
    if (!enabled(r.name)) {
      note(r.name, "enabled", Outcome::Translated,
           fmt::format("disabled for {} in export:", targetName(o_.target)));
      continue;
    }
    for (const std::string& dep : manifest::dependenciesOf(r)) {
      if (copy_.find(dep) == nullptr) {
        return Error(Errc::InvalidArgument,
                     fmt::format("resource '{}' depends on unknown resource '{}'", r.name, dep));
      }
      if (!enabled(dep)) {
        return Error(Errc::InvalidArgument,
                     fmt::format("resource '{}' depends on '{}', which export: disables for {}; "
                                 "enable it or disable '{}' too",
                                 r.name, dep, targetName(o_.target), r.name));
      }
    }
    enabledResources.push_back(&r);
  }
  // Depth-first, so a cycle can be named; dependencies first, declaration order among equals.
  std::vector<const Resource*> out;
  std::map<std::string, int, std::less<>> state;  // 1 visiting, 2 done
  std::vector<std::string> path;
  std::function<Result<void>(const Resource&)> visit = [&](const Resource& r) -> Result<void> {
    if (state[r.name] == 2) {
      return ok();
    }
    if (state[r.name] == 1) {
      std::string cycle;
      auto it = std::find(path.begin(), path.end(), r.name);
      for (; it != path.end(); ++it) {
        cycle += *it + " -> ";
      }
      return Error(Errc::InvalidArgument, fmt::format("dependency cycle: {}{}", cycle, r.name));
    }
    state[r.name] = 1;
    path.push_back(r.name);
    for (const std::string& dep : manifest::dependenciesOf(r)) {
      LS_TRY(visit(*copy_.find(dep)));
    }
    path.pop_back();
    state[r.name] = 2;
    out.push_back(&r);
    return ok();
  };
  for (const Resource* r : enabledResources) {
    LS_TRY(visit(*r));
  }
  return out;
}

// A value the target cannot read from its configuration (an image name, a path, a probe):
// variables take their export-time value; a secret there is refused.
Result<Value> Lowerer::bake(const std::string& resolved, const std::string& field) {
  Value out;
  bool baked = false;
  for (Part& p : split(resolved)) {
    if (p.kind != Part::Kind::Variable) {
      out.push_back(std::move(p));
      continue;
    }
    const Variable& v = model_.variables[p.index];
    if (v.secret) {
      return Error(Errc::InvalidArgument,
                   fmt::format("{}: uses the secret {} where {} cannot read a variable; the "
                               "export would write it in clear",
                               field, v.name, targetName(o_.target)));
    }
    std::string value;
    if (o_.env != nullptr && o_.env->contains(v.name) && !o_.env->find(v.name)->second.empty()) {
      value = o_.env->find(v.name)->second;
    } else {
      value = v.fallback.value_or("");
    }
    out.push_back(Part{.kind = Part::Kind::Literal, .text = std::move(value)});
    baked = true;
  }
  if (baked) {
    const auto dot = field.find('.', 10);
    note(field.substr(10, dot - 10), field.substr(dot + 1), Outcome::Approximated,
         "the variable is resolved at export time (the target reads none here)");
  }
  // Merge adjacent literals.
  Value merged;
  for (Part& p : out) {
    if (!merged.empty() && p.kind == Part::Kind::Literal &&
        merged.back().kind == Part::Kind::Literal) {
      merged.back().text += p.text;
    } else {
      merged.push_back(std::move(p));
    }
  }
  return merged;
}

std::string literalOnly(const Value& v) {
  std::string s;
  for (const Part& p : v) {
    s += p.text;
  }
  return s;
}

Result<Service> Lowerer::convert(const Resource& r, const spec::Resolved& resolved) {
  const runtime::ContainerSpec& spec = resolved.spec;
  const std::string base = "resources." + r.name;
  Service s;
  s.name = r.name;
  LS_ASSIGN_OR_RETURN(s.dnsName, manifest::dnsLabelFromName(r.name));
  s.kind = r.kind;
  const auto noHost = [&](const Value& v, const std::string& field) -> Result<std::string> {
    for (const Part& p : v) {
      if (p.kind != Part::Kind::Literal) {
        return Error(Errc::InvalidArgument,
                     fmt::format("{}: a resource reference cannot be exported here", field));
      }
    }
    return literalOnly(v);
  };
  if (const auto* pull = std::get_if<runtime::PullImage>(&spec.image)) {
    LS_ASSIGN_OR_RETURN(Value v, bake(pull->reference, base + ".image"));
    LS_ASSIGN_OR_RETURN(s.image, noHost(v, base + ".image"));
  } else {
    const auto& b = std::get<runtime::BuildImage>(spec.image);
    Build build{.context = b.context, .dockerfile = b.dockerfile, .target = b.target, .tag = b.tag};
    for (const auto& [k, v] : b.buildArgs) {
      LS_ASSIGN_OR_RETURN(Value baked, bake(v, base + ".build_args." + k));
      LS_ASSIGN_OR_RETURN(build.args[k], noHost(baked, base + ".build_args." + k));
    }
    LS_ASSIGN_OR_RETURN(Value ctx, bake(b.context, base + ".context"));
    LS_ASSIGN_OR_RETURN(std::string ctxText, noHost(ctx, base + ".context"));
    build.context = ctxText;
    s.image = b.tag;
    s.build = std::move(build);
  }
  for (const auto& [k, v] : spec.env) {
    s.env[k] = split(v);
  }
  const auto values = [&](const std::vector<std::string>& items) {
    std::vector<Value> out;
    for (const std::string& i : items) {
      out.push_back(split(i));
    }
    return out;
  };
  if (spec.entrypoint) {
    s.entrypoint = values(*spec.entrypoint);
  }
  if (spec.command) {
    s.command = values(*spec.command);
  }
  if (r.kind == Kind::Redis && spec.env.contains("REDISCLI_AUTH")) {
    // The server reads the password from its environment through a config on stdin, so it is
    // never in argv (nor in the exported command).
    s.passwordEnv = "REDISCLI_AUTH";
    const bool dataVolume = std::any_of(spec.volumes.begin(), spec.volumes.end(),
                                        [](const auto& v) { return v.target == "/data"; });
    std::string script = "exec redis-server - <<EOF\nrequirepass \"$REDISCLI_AUTH\"\n";
    if (dataVolume) {
      script += "dir /data\n";
    }
    script += "EOF\n";
    s.command = std::vector<Value>{split("sh"), split("-c"), split(script)};
    note(r.name, "password", Outcome::Approximated,
         "the server reads it from REDISCLI_AUTH through a config on stdin, never from argv; "
         "it must not contain '\"', '\\' or a newline");
  }
  if (spec.workingDir) {
    LS_ASSIGN_OR_RETURN(Value v, bake(*spec.workingDir, base + ".working_dir"));
    LS_ASSIGN_OR_RETURN(s.workingDir, noHost(v, base + ".working_dir"));
  }
  for (const runtime::PortBinding& p : spec.ports) {
    s.ports.push_back(Port{.container = p.containerPort,
                           .host = p.hostPort,
                           .hostAddress = p.hostAddress,
                           .udp = p.protocol == runtime::Protocol::Udp});
  }
  for (std::size_t i = 0; i < spec.volumes.size(); ++i) {
    const runtime::VolumeBinding& b = spec.volumes[i];
    const std::string field = fmt::format("{}.volumes[{}]", base, i);
    Volume v{.target = b.target, .readOnly = b.readOnly};
    switch (b.kind) {
      case runtime::VolumeBinding::Kind::HostPath: {
        LS_ASSIGN_OR_RETURN(Value baked, bake(b.source, field));
        LS_ASSIGN_OR_RETURN(std::string path, noHost(baked, field));
        v.source = path;
        std::error_code ec;
        v.kind = std::filesystem::is_regular_file(v.source, ec) ? Volume::Kind::HostFile
                                                                : Volume::Kind::HostDirectory;
        break;
      }
      case runtime::VolumeBinding::Kind::Named: {
        LS_ASSIGN_OR_RETURN(Value baked, bake(b.source, field));
        LS_ASSIGN_OR_RETURN(std::string name, noHost(baked, field));
        v.kind = Volume::Kind::Named;
        v.source = name;
        break;
      }
      case runtime::VolumeBinding::Kind::Anonymous: v.kind = Volume::Kind::Anonymous; break;
    }
    s.volumes.push_back(std::move(v));
  }
  if (spec.healthcheck &&
      !(spec.healthcheck->test.size() == 1 && spec.healthcheck->test[0] == "NONE")) {
    Probe p{.interval = spec.healthcheck->interval,
            .timeout = spec.healthcheck->timeout,
            .retries = spec.healthcheck->retries,
            .startPeriod = spec.healthcheck->startPeriod};
    for (std::size_t i = 0; i < spec.healthcheck->test.size(); ++i) {
      const std::string field = fmt::format("{}.healthcheck.test[{}]", base, i);
      LS_ASSIGN_OR_RETURN(Value v, bake(spec.healthcheck->test[i], field));
      // Hosts in a probe: the resource name resolves on compose and swarm networks; Kubernetes
      // gets the Service name (the emitters render Host parts).
      std::string text;
      for (const Part& part : v) {
        text += part.kind == Part::Kind::Host ? hostToken(part.index) : part.text;
      }
      p.test.push_back(std::move(text));
    }
    s.healthcheck = std::move(p);
  }
  s.restart = r.restart;
  s.stopGracePeriod = spec.stopGracePeriod;
  for (const auto& [k, v] : spec.labels) {
    LS_ASSIGN_OR_RETURN(Value baked, bake(v, base + ".labels." + k));
    LS_ASSIGN_OR_RETURN(s.labels[k], noHost(baked, base + ".labels." + k));
  }
  const manifest::ExportTarget& t = settings();
  const manifest::ExportResource* rs = resourceSettings(t, r.name);
  const manifest::ExportResource* hs =
      o_.target == Target::Helm ? resourceSettings(m_.exports.helm, r.name) : nullptr;
  s.replicas = (hs && hs->replicas)                                      ? *hs->replicas
               : (rs && rs->replicas)                                    ? *rs->replicas
               : (o_.target == Target::Helm && m_.exports.helm.replicas) ? *m_.exports.helm.replicas
                                                                         : t.replicas.value_or(1);
  s.pullPolicy = (rs && rs->imagePullPolicy) ? *rs->imagePullPolicy
                                             : t.imagePullPolicy.value_or("IfNotPresent");
  return s;
}

Result<Model> Lowerer::run() {
  model_.project = m_.project.name;
  LS_ASSIGN_OR_RETURN(model_.projectDns, manifest::dnsLabelFromName(m_.project.name));
  model_.version = m_.project.version;
  model_.description = m_.project.description;
  // Names first: two resources must never land on one object name.
  std::map<std::string, std::string> dnsNames;
  for (const Resource& r : m_.resources) {
    LS_ASSIGN_OR_RETURN(std::string dns, manifest::dnsLabelFromName(r.name));
    auto [it, inserted] = dnsNames.emplace(dns, r.name);
    if (!inserted) {
      return Error(Errc::InvalidArgument,
                   fmt::format("resources '{}' and '{}' both become the DNS name '{}'", it->second,
                               r.name, dns));
    }
  }
  for (const Resource& r : m_.resources) {
    forEachInterpolatable(r, [&](const std::string& path, const std::string& text) {
      if (text.find("~lsx7") != std::string::npos) {
        model_.report.push_back(
            ReportEntry{r.name, path, Outcome::Dropped, "contains the reserved text '~lsx7'"});
      }
    });
  }
  LS_TRY(collectVariables());
  LS_TRY(replaceLiteralSecrets());
  for (std::size_t i = 0; i < model_.variables.size(); ++i) {
    tokens_[model_.variables[i].name] = varToken(i);
  }
  LS_ASSIGN_OR_RETURN(std::vector<const Resource*> ordered, order());

  spec::SecretStore store = spec::SecretStore::inMemory();
  SeededRng rng(0);  // every password is a variable by now: nothing is generated
  std::map<std::string, spec::Outputs, std::less<>> outputs;
  spec::ResolveContext ctx{.env = &tokens_, .secrets = &store, .rng = &rng, .outputs = &outputs};
  std::vector<spec::Resolved> resolved;
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    const Resource& r = *ordered[i];
    LS_ASSIGN_OR_RETURN(spec::Resolved res, spec::fromResource(copy_, r, ctx));
    // The host of every output becomes a token the emitters render as the target's name.
    const std::string token = hostToken(i);
    for (auto& [key, value] : res.outputs) {
      if (key == "host") {
        value = token;
      } else if (key == "url") {
        for (const std::string lead : {"@", "//"}) {
          const std::string around = lead + r.name + ":";
          if (auto at = value.find(around); at != std::string::npos) {
            value.replace(at, around.size(), lead + token + ":");
            break;
          }
        }
      }
    }
    outputs[r.name] = res.outputs;
    resolved.push_back(std::move(res));
  }
  // What reaches a secret field is a secret everywhere (a URL holding a password, too).
  for (const spec::Resolved& res : resolved) {
    for (const std::string& key : res.spec.secretEnvKeys) {
      auto it = res.spec.env.find(key);
      if (it == res.spec.env.end()) {
        continue;
      }
      for (const Part& p : split(it->second)) {
        if (p.kind == Part::Kind::Variable && !model_.variables[p.index].secret) {
          Variable& v = model_.variables[p.index];
          v.secret = true;
          if (v.fallback) {
            note(res.spec.resource, "secrets", Outcome::Approximated,
                 fmt::format("the default of {} is a development secret and is not exported; "
                             "{} is required",
                             v.name, v.name));
            v.fallback.reset();
          }
        }
      }
    }
  }
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    index[ordered[i]->name] = i;
  }
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    LS_ASSIGN_OR_RETURN(Service s, convert(*ordered[i], resolved[i]));
    for (const std::string& dep : resolved[i].dependencies) {
      auto it = ordered[i]->dependsOnConditions.find(dep);
      s.dependsOn.push_back(Dependency{.service = index.at(dep),
                                       .condition = it == ordered[i]->dependsOnConditions.end()
                                                        ? manifest::DependencyCondition::Ready
                                                        : it->second});
    }
    model_.services.push_back(std::move(s));
  }
  for (const Service& s : model_.services) {
    for (const Dependency& d : s.dependsOn) {
      model_.services[d.service].referenced = true;
    }
  }
  // Kubernetes names.
  if (m_.exports.kubernetes.namespace_) {
    if (!manifest::isDnsLabel(*m_.exports.kubernetes.namespace_)) {
      return Error(Errc::InvalidArgument,
                   fmt::format("export.kubernetes.namespace '{}' is not a DNS label (1-63 of "
                               "a-z, 0-9 and '-', starting and ending alphanumeric)",
                               *m_.exports.kubernetes.namespace_));
    }
    model_.namespace_ = *m_.exports.kubernetes.namespace_;
  } else {
    model_.namespace_ = model_.projectDns;
  }
  LS_ASSIGN_OR_RETURN(model_.chartName, manifest::dnsLabelFromName(
                                            m_.exports.helm.chartName.value_or(m_.project.name)));
  model_.chartVersion = m_.exports.helm.chartVersion.value_or(m_.project.version.value_or("0.1.0"));
  return std::move(model_);
}

}  // namespace

std::string_view targetName(Target t) noexcept {
  switch (t) {
    case Target::Compose: return "compose";
    case Target::Kubernetes: return "kubernetes";
    case Target::Helm: return "helm";
    case Target::Swarm: return "swarm";
  }
  return "compose";
}

bool isSecretValue(const Model& m, const Value& v) {
  return std::any_of(v.begin(), v.end(), [&](const Part& p) {
    return p.kind == Part::Kind::Variable && m.variables[p.index].secret;
  });
}

Value splitResolved(std::string_view s) { return split(s); }

Result<Model> lower(const Manifest& manifest, const LowerOptions& options) {
  Lowerer l(manifest, options);
  return l.run();
}

}  // namespace ls::exporter
