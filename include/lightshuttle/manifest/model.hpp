// File: lightshuttle/manifest/model.hpp
//
// The manifest (v0) as typed values, after loading and validation. Strings that may hold
// `${...}` interpolations are kept as written; defaults are *not* filled in here (the spec layer
// applies them, `config` materialises them). Every value keeps where it was written: `locate()`
// maps a field path such as "resources.api.ports[1]" to its file:line:column.
//
//   ParseReport report = parseManifest(text, "lightshuttle.yml");
//   for (const Resource& r : report.manifest->resources) { ... }
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/error.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace ls::manifest {

enum class Kind { Postgres, Redis, Container, Dockerfile };

/// "postgres", "redis", "container", "dockerfile".
std::string_view kindName(Kind kind) noexcept;
/// The outputs a resource of `kind` offers to `${resources.<name>.<prop>}`, in order.
std::span<const std::string_view> outputNames(Kind kind) noexcept;

struct Project {
  std::string name;
  std::optional<std::string> version;
  std::optional<std::string> description;
};

/// A user healthcheck; unset timings take the defaults (5s, 3s, 5 retries, 5s).
struct Healthcheck {
  std::vector<std::string> test;  ///< CMD / CMD-SHELL / NONE form, interpolatable
  std::optional<std::chrono::nanoseconds> interval;
  std::optional<std::chrono::nanoseconds> timeout;
  std::optional<int> retries;
  std::optional<std::chrono::nanoseconds> startPeriod;
};

struct RestartPolicy {
  enum class Mode { No, OnFailure, Always };
  Mode mode = Mode::No;
  std::optional<int> maxRetries;  ///< `on-failure:N`

  /// "no", "on-failure", "on-failure:3", "always".
  std::string str() const;
};

/// `volume:` of postgres/redis: `true` (default) = the named volume `<project>_<resource>_data`,
/// `false` = none (data lives in the container), a string = that named volume.
struct DataVolume {
  enum class Mode { Default, None, Named };
  Mode mode = Mode::Default;
  std::string name;  ///< for Named
};

/// What a dependent waits for (`depends_on: {job: completed, db: healthy}`).
enum class DependencyCondition {
  /// `healthy` / the list form: healthy with a healthcheck, else running. `started` maps here
  /// too: the lifecycle has no "running but not yet healthy" condition.
  Ready,
  Completed,  ///< `completed`: exited with code 0 (a one-shot job)
};

/// One `watch:` rule of a container or dockerfile resource: what `up --watch` and
/// `lightshuttle watch` do when files under `path` change.
struct WatchRule {
  enum class Action {
    Sync,         ///< copy changed files (and deletions) into the running container at `target`
    Rebuild,      ///< build the image again, then recreate the resource (dockerfile only)
    Restart,      ///< restart the container
    SyncRestart,  ///< sync, then restart the container
  };
  std::string path;  ///< relative to the manifest's directory, inside it (checked)
  Action action = Action::Sync;
  std::optional<std::string> target;  ///< absolute path in the container (sync actions)
  std::vector<std::string> ignore;    ///< .dockerignore-syntax patterns, relative to `path`
};

/// "sync", "rebuild", "restart", "sync+restart".
std::string_view watchActionName(WatchRule::Action action) noexcept;

/// An ordered string map (declaration order kept, keys unique).
using StringMap = std::vector<std::pair<std::string, std::string>>;

struct Resource {
  std::string name;
  Kind kind = Kind::Container;

  // Every kind.
  std::vector<std::string> dependsOn;  ///< names, in order (list or map form)
  /// Conditions of the map form by dependency name (every entry of that form is present); an
  /// absent name (the list form, a `${resources...}` reference) is Ready.
  std::map<std::string, DependencyCondition, std::less<>> dependsOnConditions;
  /// `restart_dependents: true`: restarting this resource also recreates its dependents.
  bool restartDependents = false;
  std::optional<Healthcheck> healthcheck;
  RestartPolicy restart;
  std::optional<std::chrono::nanoseconds> stopGracePeriod;  ///< default 10s
  StringMap labels;

  // postgres / redis.
  std::optional<std::string> version;
  std::optional<std::string> image;  ///< also container (required there)
  std::optional<std::string> database;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<std::uint16_t> port;  ///< host port; the server keeps 5432 / 6379 inside
  DataVolume volume;

  // container / dockerfile.
  std::vector<PortMapping> ports;
  StringMap env;
  StringMap secrets;
  std::vector<std::string> volumes;                    ///< mappings as written (may interpolate)
  std::optional<std::vector<std::string>> entrypoint;  ///< a string is stored as sh -c
  std::optional<std::vector<std::string>> command;     ///< a string is stored as sh -c
  std::optional<std::string> workingDir;
  std::vector<WatchRule> watch;  ///< `watch:` rules, in order

  // dockerfile.
  std::string context;                    ///< relative to the manifest's directory
  std::optional<std::string> dockerfile;  ///< relative to the context; default "Dockerfile"
  StringMap buildArgs;
  std::optional<std::string> target;
};

/// Calls `fn(path, text)` for every string of `r` where `${...}` may appear, in a fixed order:
/// image, database, user, password, context, dockerfile, target, build_args values, env values,
/// secrets values, volumes, entrypoint and command items, working_dir, healthcheck test items.
/// `path` is the full field path ("resources.api.env.DATABASE_URL").
void forEachInterpolatable(
    const Resource& r,
    const std::function<void(const std::string& path, const std::string& text)>& fn);

/// The resources `r` depends on: `depends_on` entries in order, then every resource named by a
/// `${resources.<name>.*}` in its interpolatable strings (first occurrence), without duplicates
/// and without `r` itself. Unparseable strings contribute nothing.
std::vector<std::string> dependenciesOf(const Resource& r);

struct ExportResource {
  std::optional<bool> enabled;
  std::optional<int> replicas;
  std::optional<std::string> imagePullPolicy;
};

struct ExportTarget {
  bool present = false;
  std::optional<std::string> namespace_;       ///< kubernetes
  std::optional<int> replicas;                 ///< kubernetes, helm
  std::optional<std::string> imagePullPolicy;  ///< kubernetes
  std::optional<std::string> chartName;        ///< helm
  std::optional<std::string> chartVersion;     ///< helm
  std::vector<std::pair<std::string, ExportResource>> resources;
};

struct Export {
  ExportTarget compose;
  ExportTarget kubernetes;
  ExportTarget helm;
};

struct Manifest {
  std::string file;                 ///< path as given to the loader (for diagnostics)
  std::filesystem::path directory;  ///< directory relative paths are resolved against
  Project project;
  std::vector<Resource> resources;  ///< declaration order
  std::optional<std::uint16_t> dashboardPort;
  std::optional<bool> otelEnabled;
  Export exports;

  const Resource* find(std::string_view name) const;
  /// Where `path` (or its closest written ancestor) was written; line 0 when unknown.
  SourceLocation locate(std::string_view path) const;

  /// Field path -> 1-based line/column, filled by the loader.
  std::map<std::string, std::pair<int, int>, std::less<>> locations;
};

}  // namespace ls::manifest
