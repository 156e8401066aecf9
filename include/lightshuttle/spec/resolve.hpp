// File: lightshuttle/spec/resolve.hpp
//
// Spec resolution: a validated manifest resource becomes the `ContainerSpec` a runtime starts,
// plus the outputs it offers to dependents (`${resources.db.url}`, `LSH_DB_URL`). Defaults per
// kind, built-in healthchecks and generated passwords are decided here, and every `${...}` is
// substituted (environment from `.env` over the process, outputs of dependencies).
//
//   auto store = SecretStore::open(manifest.directory);          // .lightshuttle/secrets.json
//   SystemRng rng;
//   ResolveContext ctx{.env = &env, .secrets = &*store, .rng = &rng};
//   LS_ASSIGN_OR_RETURN(std::vector<Resolved> stack, resolveStack(manifest, ctx));
//   LS_TRY(store->save());
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/manifest/env_file.hpp"
#include "lightshuttle/manifest/model.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::spec {

/// Outputs of one resource, in the kind's order (see manifest::outputNames).
using Outputs = std::vector<std::pair<std::string, std::string>>;

/// Generated secrets of one project, kept in `<manifest dir>/.lightshuttle/secrets.json` (0600,
/// written atomically) so a later `up` reuses them and a persistent volume keeps working.
class SecretStore {
 public:
  /// Loads the store of the manifest in `manifestDirectory`; a missing file is an empty store.
  /// Errors: InvalidArgument (a corrupt file), PermissionDenied, Internal.
  static Result<SecretStore> open(const std::filesystem::path& manifestDirectory);
  /// A store that is never written (for `config`, `validate` and tests).
  static SecretStore inMemory();

  /// The stored secret `key` of `resource`, if any.
  std::optional<std::string> get(std::string_view resource, std::string_view key) const;
  /// The stored secret, or a new 24-character password from `rng` (remembered, marks dirty).
  std::string getOrCreate(std::string_view resource, std::string_view key, Rng& rng);
  /// True when getOrCreate generated something not yet saved.
  bool dirty() const { return dirty_; }
  /// Writes the store when dirty (creates `.lightshuttle/` with 0700). No-op in memory.
  Result<void> save();

  /// Path of the backing file (empty in memory).
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::map<std::string, std::map<std::string, std::string>> values_;
  bool dirty_ = false;
};

/// Length and alphabet of generated passwords (no 0 O 1 I l).
inline constexpr std::size_t kGeneratedPasswordLength = 24;
inline constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

struct ResolveContext {
  const manifest::EnvMap* env = nullptr;  ///< variables for ${env.X}; null = none set
  SecretStore* secrets = nullptr;         ///< required
  Rng* rng = nullptr;                     ///< required
  /// Outputs of resources resolved so far, by name (dependencies must be present).
  const std::map<std::string, Outputs, std::less<>>* outputs = nullptr;
};

struct Resolved {
  runtime::ContainerSpec spec;
  Outputs outputs;
  std::vector<std::string> dependencies;  ///< explicit then implicit, see dependenciesOf()
};

/// Resolves one resource. Errors: NotFound (an unset ${env.X} without default, a dependency
/// whose outputs are missing), InvalidArgument (a value that is invalid once interpolated);
/// each carries the field's location. Messages never contain secret values.
Result<Resolved> fromResource(const manifest::Manifest& manifest, const manifest::Resource& r,
                              const ResolveContext& context);

/// Resolves every resource in dependency order (declaration order among equals).
Result<std::vector<Resolved>> resolveStack(const manifest::Manifest& manifest,
                                           const ResolveContext& context);

/// The image a resource runs when it names none: `postgres:<version|16>-alpine`,
/// `redis:<version|7>-alpine`; for container the written image; for dockerfile the build tag
/// `lightshuttle/<project>_<resource>:dev`.
std::string effectiveImage(std::string_view project, const manifest::Resource& r);

/// The probe of postgres (`pg_isready -U <user>`) and redis (`redis-cli ping`, checking for PONG
/// through a shell when `authenticated`), each with its native check (without the redis
/// password, which the caller sets); nullopt for other kinds.
std::optional<runtime::HealthcheckSpec> builtinHealthcheck(manifest::Kind kind,
                                                           std::string_view user,
                                                           bool authenticated);

/// The name of the default data volume of a postgres/redis resource: `<project>_<resource>_data`.
std::string dataVolumeName(std::string_view project, std::string_view resource);

/// `LSH_<DEP>_<PROP>` with both parts upper-cased and '-' turned into '_'.
std::string injectedVariable(std::string_view dependency, std::string_view property);

}  // namespace ls::spec
