#include "lightshuttle/manifest/model.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>

#include "lightshuttle/manifest/interpolation.hpp"

namespace ls::manifest {
namespace {

constexpr std::array<std::string_view, 6> kPostgresOutputs{"host",     "port",     "user",
                                                           "password", "database", "url"};
constexpr std::array<std::string_view, 4> kRedisOutputs{"host", "port", "password", "url"};
constexpr std::array<std::string_view, 2> kContainerOutputs{"host", "ports"};

}  // namespace

std::string_view watchActionName(WatchRule::Action action) noexcept {
  switch (action) {
    case WatchRule::Action::Sync: return "sync";
    case WatchRule::Action::Rebuild: return "rebuild";
    case WatchRule::Action::Restart: return "restart";
    case WatchRule::Action::SyncRestart: return "sync+restart";
  }
  return "sync";
}

std::string_view kindName(Kind kind) noexcept {
  switch (kind) {
    case Kind::Postgres: return "postgres";
    case Kind::Redis: return "redis";
    case Kind::Container: return "container";
    case Kind::Dockerfile: return "dockerfile";
  }
  return "container";
}

std::span<const std::string_view> outputNames(Kind kind) noexcept {
  switch (kind) {
    case Kind::Postgres: return kPostgresOutputs;
    case Kind::Redis: return kRedisOutputs;
    case Kind::Container:
    case Kind::Dockerfile: return kContainerOutputs;
  }
  return kContainerOutputs;
}

std::string RestartPolicy::str() const {
  switch (mode) {
    case Mode::No: return "no";
    case Mode::Always: return "always";
    case Mode::OnFailure:
      return maxRetries ? fmt::format("on-failure:{}", *maxRetries) : "on-failure";
  }
  return "no";
}

const Resource* Manifest::find(std::string_view name) const {
  for (const Resource& r : resources) {
    if (r.name == name) {
      return &r;
    }
  }
  return nullptr;
}

SourceLocation Manifest::locate(std::string_view path) const {
  std::string_view p = path;
  while (true) {
    if (auto it = locations.find(p); it != locations.end()) {
      return SourceLocation{file, it->second.first, it->second.second, std::string(path)};
    }
    const std::size_t cut = p.find_last_of(".[");
    if (cut == std::string_view::npos || cut == 0) {
      break;
    }
    p = p.substr(0, cut);
  }
  return SourceLocation{file, 0, 0, std::string(path)};
}

void forEachInterpolatable(const Resource& r,
                           const std::function<void(const std::string&, const std::string&)>& fn) {
  const std::string base = "resources." + r.name + ".";
  const auto opt = [&](const char* key, const std::optional<std::string>& v) {
    if (v) {
      fn(base + key, *v);
    }
  };
  const auto map = [&](const char* key, const StringMap& m) {
    for (const auto& [k, v] : m) {
      fn(base + key + "." + k, v);
    }
  };
  const auto list = [&](const char* key, const std::vector<std::string>& l, std::size_t skip) {
    for (std::size_t i = skip; i < l.size(); ++i) {
      fn(fmt::format("{}{}[{}]", base, key, i), l[i]);
    }
  };
  opt("image", r.image);
  opt("database", r.database);
  opt("user", r.user);
  opt("password", r.password);
  if (r.kind == Kind::Dockerfile) {
    fn(base + "context", r.context);
  }
  opt("dockerfile", r.dockerfile);
  opt("target", r.target);
  map("build_args", r.buildArgs);
  map("env", r.env);
  map("secrets", r.secrets);
  list("volumes", r.volumes, 0);
  if (r.entrypoint) {
    list("entrypoint", *r.entrypoint, 0);
  }
  if (r.command) {
    list("command", *r.command, 0);
  }
  opt("working_dir", r.workingDir);
  if (r.healthcheck) {
    list("healthcheck.test", r.healthcheck->test, 1);
  }
}

std::vector<std::string> dependenciesOf(const Resource& r) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& name) {
    if (name != r.name && std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  };
  for (const std::string& d : r.dependsOn) {
    add(d);
  }
  forEachInterpolatable(r, [&](const std::string&, const std::string& text) {
    Result<Template> t = parseTemplate(text);
    if (!t) {
      return;
    }
    std::vector<ResourceReference> refs;
    collectResourceReferences(*t, refs);
    for (const ResourceReference& ref : refs) {
      add(ref.resource);
    }
  });
  return out;
}

}  // namespace ls::manifest
