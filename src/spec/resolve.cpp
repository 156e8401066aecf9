// from_resource: defaults per kind, built-in healthchecks, generated passwords, outputs and the
// LSH_<DEP>_<PROP> injection.
#include "lightshuttle/spec/resolve.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "lightshuttle/manifest/interpolation.hpp"

namespace ls::spec {
namespace {

using manifest::Kind;
using manifest::Manifest;
using manifest::Resource;

constexpr std::uint16_t kPostgresPort = 5432;
constexpr std::uint16_t kRedisPort = 6379;
constexpr const char* kPostgresDataDir = "/var/lib/postgresql/data";
constexpr const char* kRedisDataDir = "/data";

class Resolver {
 public:
  Resolver(const Manifest& m, const Resource& r, const ResolveContext& ctx)
      : m_(m), r_(r), ctx_(ctx), base_("resources." + r.name) {
    interp_.env = [this](std::string_view name) -> std::optional<std::string> {
      if (ctx_.env == nullptr) {
        return std::nullopt;
      }
      auto it = ctx_.env->find(name);
      return it == ctx_.env->end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    interp_.output = [this](std::string_view res,
                            std::string_view prop) -> std::optional<std::string> {
      const Outputs* outs = outputsOf(res);
      if (outs == nullptr) {
        return std::nullopt;
      }
      for (const auto& [k, v] : *outs) {
        if (k == prop) {
          return v;
        }
      }
      return std::nullopt;
    };
  }

  Result<Resolved> run();

 private:
  const Outputs* outputsOf(std::string_view res) const {
    if (ctx_.outputs == nullptr) {
      return nullptr;
    }
    auto it = ctx_.outputs->find(res);
    return it == ctx_.outputs->end() ? nullptr : &it->second;
  }

  Error located(Error e, const std::string& path) const {
    SourceLocation loc = m_.locate(path);
    std::string message = e.message();
    return Error(e.code(), fmt::format("{}: {}", path, message)).withLocation(std::move(loc));
  }

  Result<std::string> sub(const std::string& text, const std::string& path) const {
    Result<std::string> out = manifest::interpolate(text, interp_);
    if (!out) {
      return located(std::move(out).error(), path);
    }
    return out;
  }
  Result<std::optional<std::string>> subOpt(const std::optional<std::string>& text,
                                            const std::string& field) const {
    if (!text) {
      return std::optional<std::string>();
    }
    LS_ASSIGN_OR_RETURN(std::string v, sub(*text, base_ + "." + field));
    return std::optional<std::string>(std::move(v));
  }
  Result<std::vector<std::string>> subList(const std::vector<std::string>& items,
                                           const std::string& field, std::size_t skip) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i < skip) {
        out.push_back(items[i]);
        continue;
      }
      LS_ASSIGN_OR_RETURN(std::string v, sub(items[i], fmt::format("{}.{}[{}]", base_, field, i)));
      out.push_back(std::move(v));
    }
    return out;
  }
  Result<void> subMap(const manifest::StringMap& in, const std::string& field,
                      std::map<std::string, std::string>& out) const {
    for (const auto& [k, v] : in) {
      LS_ASSIGN_OR_RETURN(std::string value, sub(v, base_ + "." + field + "." + k));
      out[k] = std::move(value);
    }
    return ok();
  }

  std::string hostPath(const std::string& source) const {
    std::filesystem::path p;
    if (source.starts_with("~")) {
      const char* home = std::getenv("HOME");
      p = std::filesystem::path(home != nullptr ? home : "/") /
          source.substr(source.size() > 1 && source[1] == '/' ? 2 : 1);
    } else {
      p = source;
      if (p.is_relative()) {
        p = m_.directory / p;
      }
    }
    return p.lexically_normal().string();
  }

  Result<void> healthcheck(runtime::ContainerSpec& spec) const {
    if (!r_.healthcheck) {
      return ok();
    }
    runtime::HealthcheckSpec h;
    LS_ASSIGN_OR_RETURN(h.test, subList(r_.healthcheck->test, "healthcheck.test", 1));
    h.interval = r_.healthcheck->interval.value_or(h.interval);
    h.timeout = r_.healthcheck->timeout.value_or(h.timeout);
    h.retries = r_.healthcheck->retries.value_or(h.retries);
    h.startPeriod = r_.healthcheck->startPeriod.value_or(h.startPeriod);
    spec.healthcheck = std::move(h);
    return ok();
  }

  void dataVolume(runtime::ContainerSpec& spec, const char* target) const {
    using VB = runtime::VolumeBinding;
    switch (r_.volume.mode) {
      case manifest::DataVolume::Mode::Default:
        spec.volumes.push_back(VB{.kind = VB::Kind::Named,
                                  .source = dataVolumeName(m_.project.name, r_.name),
                                  .target = target});
        break;
      case manifest::DataVolume::Mode::Named:
        spec.volumes.push_back(
            VB{.kind = VB::Kind::Named, .source = r_.volume.name, .target = target});
        break;
      case manifest::DataVolume::Mode::None: break;
    }
  }

  Result<void> postgres(Resolved& out);
  Result<void> redis(Resolved& out);
  Result<void> container(Resolved& out);

  const Manifest& m_;
  const Resource& r_;
  const ResolveContext& ctx_;
  std::string base_;
  manifest::InterpolationContext interp_;
};

Result<void> Resolver::postgres(Resolved& out) {
  runtime::ContainerSpec& spec = out.spec;
  LS_ASSIGN_OR_RETURN(std::optional<std::string> image, subOpt(r_.image, "image"));
  spec.image = runtime::PullImage{.reference = image.value_or(effectiveImage(m_.project.name, r_))};
  LS_ASSIGN_OR_RETURN(std::optional<std::string> db, subOpt(r_.database, "database"));
  LS_ASSIGN_OR_RETURN(std::optional<std::string> user, subOpt(r_.user, "user"));
  LS_ASSIGN_OR_RETURN(std::optional<std::string> pw, subOpt(r_.password, "password"));
  const std::string database = db.value_or(r_.name);
  const std::string userName = user.value_or("postgres");
  const std::string password = pw ? *pw : ctx_.secrets->getOrCreate(r_.name, "password", *ctx_.rng);
  spec.env["POSTGRES_DB"] = database;
  spec.env["POSTGRES_USER"] = userName;
  spec.env["POSTGRES_PASSWORD"] = password;
  spec.secretEnvKeys.insert("POSTGRES_PASSWORD");
  spec.ports.push_back(
      {.containerPort = kPostgresPort, .hostPort = r_.port.value_or(kPostgresPort)});
  dataVolume(spec, kPostgresDataDir);
  LS_TRY(healthcheck(spec));
  if (!spec.healthcheck) {
    spec.healthcheck = builtinHealthcheck(Kind::Postgres, userName, false);
  }
  const std::string host = r_.name;
  out.outputs = {{"host", host},
                 {"port", std::to_string(kPostgresPort)},
                 {"user", userName},
                 {"password", password},
                 {"database", database},
                 {"url", fmt::format("postgres://{}:{}@{}:{}/{}", manifest::percentEncode(userName),
                                     manifest::percentEncode(password), host, kPostgresPort,
                                     manifest::percentEncode(database))}};
  return ok();
}

Result<void> Resolver::redis(Resolved& out) {
  runtime::ContainerSpec& spec = out.spec;
  LS_ASSIGN_OR_RETURN(std::optional<std::string> image, subOpt(r_.image, "image"));
  spec.image = runtime::PullImage{.reference = image.value_or(effectiveImage(m_.project.name, r_))};
  LS_ASSIGN_OR_RETURN(std::optional<std::string> pw, subOpt(r_.password, "password"));
  const std::string password = pw.value_or("");
  spec.ports.push_back({.containerPort = kRedisPort, .hostPort = r_.port.value_or(kRedisPort)});
  dataVolume(spec, kRedisDataDir);
  if (!password.empty()) {
    // The server takes the password as an argument (official image convention); the probe
    // reads it from REDISCLI_AUTH. redis-cli exits 0 on NOAUTH, so the probe checks for PONG.
    spec.command = std::vector<std::string>{"redis-server", "--requirepass", password};
    spec.env["REDISCLI_AUTH"] = password;
    spec.secretEnvKeys.insert("REDISCLI_AUTH");
  }
  LS_TRY(healthcheck(spec));
  if (!spec.healthcheck) {
    spec.healthcheck = builtinHealthcheck(Kind::Redis, "", !password.empty());
    spec.healthcheck->native->password = password;  // AUTH, then PING
  }
  const std::string host = r_.name;
  out.outputs = {
      {"host", host},
      {"port", std::to_string(kRedisPort)},
      {"password", password},
      {"url", password.empty() ? fmt::format("redis://{}:{}", host, kRedisPort)
                               : fmt::format("redis://:{}@{}:{}", manifest::percentEncode(password),
                                             host, kRedisPort)}};
  return ok();
}

Result<void> Resolver::container(Resolved& out) {
  runtime::ContainerSpec& spec = out.spec;
  if (r_.kind == Kind::Container) {
    LS_ASSIGN_OR_RETURN(std::string image, sub(r_.image.value_or(""), base_ + ".image"));
    if (Result<manifest::ImageReference> ref = manifest::parseImageReference(image); !ref) {
      return located(std::move(ref).error(), base_ + ".image");
    }
    spec.image = runtime::PullImage{.reference = image};
  } else {
    runtime::BuildImage build;
    LS_ASSIGN_OR_RETURN(std::string context, sub(r_.context, base_ + ".context"));
    build.context = hostPath(context);
    LS_ASSIGN_OR_RETURN(std::optional<std::string> dockerfile, subOpt(r_.dockerfile, "dockerfile"));
    build.dockerfile = dockerfile.value_or("Dockerfile");
    LS_TRY(subMap(r_.buildArgs, "build_args", build.buildArgs));
    LS_ASSIGN_OR_RETURN(std::optional<std::string> target, subOpt(r_.target, "target"));
    build.target = target.value_or("");
    build.tag = fmt::format("lightshuttle/{}_{}:dev", m_.project.name, r_.name);
    spec.image = std::move(build);
  }
  LS_TRY(subMap(r_.env, "env", spec.env));
  LS_TRY(subMap(r_.secrets, "secrets", spec.env));
  for (const auto& [k, v] : r_.secrets) {
    spec.secretEnvKeys.insert(k);
  }
  if (r_.entrypoint) {
    LS_ASSIGN_OR_RETURN(spec.entrypoint, subList(*r_.entrypoint, "entrypoint", 0));
  }
  if (r_.command) {
    LS_ASSIGN_OR_RETURN(spec.command, subList(*r_.command, "command", 0));
  }
  LS_ASSIGN_OR_RETURN(spec.workingDir, subOpt(r_.workingDir, "working_dir"));
  std::string ports;
  for (const manifest::PortMapping& p : r_.ports) {
    spec.ports.push_back({.containerPort = p.containerPort,
                          .hostAddress = p.hostAddress,
                          .hostPort = p.hostPort,
                          .protocol = p.protocol == manifest::PortProtocol::Udp
                                          ? runtime::Protocol::Udp
                                          : runtime::Protocol::Tcp});
    ports += ports.empty() ? "" : ",";
    ports += std::to_string(p.containerPort);
  }
  for (std::size_t i = 0; i < r_.volumes.size(); ++i) {
    const std::string path = fmt::format("{}.volumes[{}]", base_, i);
    LS_ASSIGN_OR_RETURN(std::string text, sub(r_.volumes[i], path));
    Result<manifest::VolumeMapping> v = manifest::parseVolumeMapping(text);
    if (!v) {
      return located(std::move(v).error(), path);
    }
    using VB = runtime::VolumeBinding;
    VB binding{.target = v->target, .readOnly = v->readOnly};
    switch (v->kind) {
      case manifest::VolumeMapping::Kind::HostPath:
        binding.kind = VB::Kind::HostPath;
        binding.source = hostPath(v->source);
        break;
      case manifest::VolumeMapping::Kind::Named:
        binding.kind = VB::Kind::Named;
        binding.source = v->source;
        break;
      case manifest::VolumeMapping::Kind::Anonymous: binding.kind = VB::Kind::Anonymous; break;
    }
    spec.volumes.push_back(std::move(binding));
  }
  LS_TRY(healthcheck(spec));
  out.outputs = {{"host", r_.name}, {"ports", ports}};
  return ok();
}

Result<Resolved> Resolver::run() {
  LS_CHECK(ctx_.secrets != nullptr && ctx_.rng != nullptr);
  Resolved out;
  runtime::ContainerSpec& spec = out.spec;
  spec.name = m_.project.name + "_" + r_.name;
  spec.project = m_.project.name;
  spec.resource = r_.name;
  out.dependencies = manifest::dependenciesOf(r_);
  for (const std::string& dep : out.dependencies) {
    if (outputsOf(dep) == nullptr) {
      return located(
          Error(Errc::NotFound, fmt::format("dependency '{}' has not been resolved yet", dep)),
          base_);
    }
  }
  switch (r_.kind) {
    case Kind::Postgres: LS_TRY(postgres(out)); break;
    case Kind::Redis: LS_TRY(redis(out)); break;
    case Kind::Container:
    case Kind::Dockerfile: LS_TRY(container(out)); break;
  }
  for (const auto& [k, v] : r_.labels) {
    LS_ASSIGN_OR_RETURN(spec.labels[k], sub(v, base_ + ".labels." + k));
  }
  spec.restart.mode = r_.restart.mode == manifest::RestartPolicy::Mode::Always
                          ? runtime::RestartPolicy::Mode::Always
                      : r_.restart.mode == manifest::RestartPolicy::Mode::OnFailure
                          ? runtime::RestartPolicy::Mode::OnFailure
                          : runtime::RestartPolicy::Mode::No;
  spec.restart.maxRetries = r_.restart.maxRetries;
  spec.stopGracePeriod = r_.stopGracePeriod.value_or(std::chrono::seconds(10));
  // LSH_<DEP>_<PROP> for every direct dependency, never over a key the user set.
  for (const std::string& dep : out.dependencies) {
    const manifest::Resource* depResource = m_.find(dep);
    for (const auto& [prop, value] : *outputsOf(dep)) {
      const std::string key = injectedVariable(dep, prop);
      if (spec.env.contains(key)) {
        continue;
      }
      spec.env[key] = value;
      const bool secret = (prop == "password" || prop == "url") && depResource != nullptr &&
                          (depResource->kind == Kind::Postgres || depResource->kind == Kind::Redis);
      if (secret) {
        spec.secretEnvKeys.insert(key);
      }
    }
  }
  return out;
}

}  // namespace

std::string effectiveImage(std::string_view project, const manifest::Resource& r) {
  switch (r.kind) {
    case Kind::Postgres:
      return r.image.value_or(fmt::format("postgres:{}-alpine", r.version.value_or("16")));
    case Kind::Redis:
      return r.image.value_or(fmt::format("redis:{}-alpine", r.version.value_or("7")));
    case Kind::Container: return r.image.value_or("");
    case Kind::Dockerfile: return fmt::format("lightshuttle/{}_{}:dev", project, r.name);
  }
  return "";
}

std::optional<runtime::HealthcheckSpec> builtinHealthcheck(Kind kind, std::string_view user,
                                                           bool authenticated) {
  using Protocol = runtime::NativeCheck::Protocol;
  if (kind == Kind::Postgres) {
    return runtime::HealthcheckSpec{
        .test = {"CMD", "pg_isready", "-U", std::string(user)},
        .native = runtime::NativeCheck{
            .protocol = Protocol::Postgres, .port = kPostgresPort, .user = std::string(user)}};
  }
  if (kind == Kind::Redis) {
    // redis-cli exits 0 on NOAUTH, so with a password the probe must look for PONG.
    runtime::HealthcheckSpec hc{
        .test = {"CMD", "redis-cli", "ping"},
        .native = runtime::NativeCheck{.protocol = Protocol::Redis, .port = kRedisPort}};
    if (authenticated) {
      hc.test = {"CMD-SHELL", "redis-cli ping | grep -q PONG"};
    }
    return hc;
  }
  return std::nullopt;
}

std::string dataVolumeName(std::string_view project, std::string_view resource) {
  return fmt::format("{}_{}_data", project, resource);
}

std::string injectedVariable(std::string_view dependency, std::string_view property) {
  std::string out = "LSH_";
  const auto append = [&out](std::string_view s) {
    for (char c : s) {
      out += c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
  };
  append(dependency);
  out += '_';
  append(property);
  return out;
}

Result<Resolved> fromResource(const Manifest& manifest, const Resource& r,
                              const ResolveContext& context) {
  Resolver resolver(manifest, r, context);
  return resolver.run();
}

Result<std::vector<Resolved>> resolveStack(const Manifest& manifest,
                                           const ResolveContext& context) {
  std::map<std::string, Outputs, std::less<>> outputs;
  if (context.outputs != nullptr) {
    outputs = *context.outputs;
  }
  ResolveContext ctx = context;
  ctx.outputs = &outputs;
  std::vector<Resolved> out;
  std::set<std::string> done;
  // Kahn's algorithm, declaration order among the ready: pick the first unresolved resource
  // whose dependencies are all resolved.
  while (done.size() < manifest.resources.size()) {
    const Resource* next = nullptr;
    for (const Resource& r : manifest.resources) {
      if (done.contains(r.name)) {
        continue;
      }
      const std::vector<std::string> deps = manifest::dependenciesOf(r);
      if (std::all_of(deps.begin(), deps.end(), [&](const std::string& d) {
            return done.contains(d) || manifest.find(d) == nullptr;
          })) {
        next = &r;
        break;
      }
    }
    if (next == nullptr) {
      return Error(Errc::InvalidArgument, "dependency cycle among the remaining resources");
    }
    LS_ASSIGN_OR_RETURN(Resolved resolved, fromResource(manifest, *next, ctx));
    outputs[next->name] = resolved.outputs;
    done.insert(next->name);
    out.push_back(std::move(resolved));
  }
  return out;
}

}  // namespace ls::spec
