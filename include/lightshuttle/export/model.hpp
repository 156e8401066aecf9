// File: lightshuttle/export/model.hpp
//
// The lowered model every exporter reads: the stack resolved exactly as `up` resolves it
// (spec::fromResource: images, defaults, built-in healthchecks, outputs, LSH_* variables), but
// with every value that must come from the target's own configuration kept symbolic:
//
//   "postgres://app:${DB_PASSWORD}@db:5432/app"
//      -> [Literal "postgres://app:", Variable DB_PASSWORD (secret), Literal "@",
//          Host db, Literal ":5432/app"]
//
// so an emitter renders `${DB_PASSWORD:?...}` (compose), `$(LS_SECRET_DB_PASSWORD)` with a
// secretKeyRef (Kubernetes) and the Service name for the host, and never sees a secret value.
//
//   LS_ASSIGN_OR_RETURN(Model model, lower(manifest, {.target = Target::Compose, .env = &env}));
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/manifest/env_file.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::exporter {

enum class Target { Compose, Kubernetes, Helm, Swarm };

/// "compose", "kubernetes", "helm", "swarm".
std::string_view targetName(Target t) noexcept;

/// How a manifest feature survived the conversion.
enum class Outcome {
  Translated,    ///< same meaning on the target
  Approximated,  ///< kept with a different mechanism; `detail` says how
  Dropped,       ///< lost; the export fails unless --allow-lossy
};

struct ReportEntry {
  std::string resource;  ///< empty for the stack as a whole
  std::string feature;   ///< "healthcheck", "depends_on", "secrets", ...
  Outcome outcome = Outcome::Translated;
  std::string detail;
};

/// A variable the deployed stack reads from the target's configuration.
struct Variable {
  std::string name;                     ///< DB_PASSWORD, LOG_LEVEL
  std::optional<std::string> fallback;  ///< the manifest's default (never kept for secrets)
  bool secret = false;                  ///< reaches a secret field, or is generated
  bool generated = false;               ///< a password `up` would generate
  std::vector<std::string> usedBy;      ///< field paths, for the report and .env.example
};

/// One piece of a symbolic value.
struct Part {
  enum class Kind { Literal, Variable, Host };
  Kind kind = Kind::Literal;
  std::string text;       ///< Literal
  std::size_t index = 0;  ///< Variable: into Model::variables; Host: into Model::services
};
using Value = std::vector<Part>;

/// True when some part of `v` is a secret variable of `m`.
struct Model;
bool isSecretValue(const Model& m, const Value& v);

struct Port {
  std::uint16_t container = 0;
  std::optional<std::uint16_t> host;
  std::string hostAddress;  ///< empty = 127.0.0.1
  bool udp = false;
};

struct Volume {
  enum class Kind { HostFile, HostDirectory, Named, Anonymous };
  Kind kind = Kind::Anonymous;
  std::filesystem::path source;  ///< absolute host path, or the volume name
  std::string target;
  bool readOnly = false;
};

struct Probe {
  std::vector<std::string> test;  ///< CMD / CMD-SHELL form, resolved
  std::chrono::nanoseconds interval{};
  std::chrono::nanoseconds timeout{};
  int retries = 0;
  std::chrono::nanoseconds startPeriod{};
};

struct Build {
  std::filesystem::path context;  ///< absolute
  std::string dockerfile;
  std::map<std::string, std::string> args;
  std::string target;
  std::string tag;  ///< lightshuttle/<project>_<resource>:dev
};

struct Dependency {
  std::size_t service = 0;  ///< index into Model::services
  manifest::DependencyCondition condition = manifest::DependencyCondition::Ready;
};

struct Service {
  std::string name;     ///< resource name as written
  std::string dnsName;  ///< injective DNS label (Kubernetes object and Service name)
  manifest::Kind kind = manifest::Kind::Container;
  std::string image;  ///< what runs: the pull reference, or the build tag
  std::optional<Build> build;
  std::map<std::string, Value> env;
  std::optional<std::vector<Value>> entrypoint;
  std::optional<std::vector<Value>> command;
  std::optional<std::string> workingDir;
  std::vector<Port> ports;
  std::vector<Volume> volumes;
  std::optional<Probe> healthcheck;  ///< nullopt: ready when running
  std::vector<Dependency> dependsOn;
  manifest::RestartPolicy restart;
  std::chrono::nanoseconds stopGracePeriod{std::chrono::seconds(10)};
  std::map<std::string, std::string> labels;
  bool referenced = false;  ///< another service depends on it or names it
  int replicas = 1;
  std::string pullPolicy = "IfNotPresent";
  /// redis with a password: the server reads it from this variable of `env`, never from argv.
  std::string passwordEnv;
};

struct Model {
  std::string project;
  std::string projectDns;
  std::optional<std::string> version;
  std::optional<std::string> description;
  std::string namespace_;  ///< Kubernetes/Helm
  std::string chartName;
  std::string chartVersion;
  std::vector<Variable> variables;
  std::vector<Service> services;  ///< dependency order, declaration order among equals
  std::vector<ReportEntry> report;
};

struct LowerOptions {
  Target target = Target::Compose;
  /// Variables visible at export time (.env over the process): a `${env.X}` without default
  /// that is unset is an error, as for `up`. Values are only used where the target has no way
  /// to read a variable (image names, volume paths, probes), and never when secret.
  const manifest::EnvMap* env = nullptr;
};

/// Lowers a validated manifest. Errors: InvalidArgument (a cycle, a name collision after DNS
/// normalization, a reference to a resource disabled for the target, a bad namespace),
/// NotFound (an unset `${env.X}` without default). Messages never contain secret values.
Result<Model> lower(const manifest::Manifest& manifest, const LowerOptions& options);

}  // namespace ls::exporter
