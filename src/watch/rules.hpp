// The manifest's `watch:` rules compiled for matching, and what one quiet batch of touched
// paths asks of each resource. Pure apart from `RuleSet::compile`, which reads the build
// contexts' `.dockerignore` files.
//
//   LS_ASSIGN_OR_RETURN(RuleSet rules, RuleSet::compile(manifest));
//   std::vector<ResourceWork> work = planBatch(rules, states);   // states: lstat at flush time
//
// Private to ls_watch.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "archive/dockerignore.hpp"
#include "lightshuttle/core/result.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::watch::detail {

using Action = manifest::WatchRule::Action;

struct Rule {
  std::string resource;
  Action action = Action::Sync;
  std::filesystem::path root;        ///< absolute and lexically normal
  bool file = false;                 ///< `root` named a file when compiled
  std::string target;                ///< container path (sync actions), without a trailing '/'
  ls::archive::DockerIgnore ignore;  ///< the rule's `ignore`, relative to `root`
  /// Rebuild rules: the build context and its `.dockerignore` (a change the build would not
  /// see triggers nothing).
  std::optional<std::filesystem::path> context;
  std::optional<ls::archive::DockerIgnore> contextIgnore;
};

/// The state of a touched path when its batch is flushed.
struct PathState {
  enum class Kind { File, Directory, Symlink, Missing };
  std::filesystem::path path;  ///< absolute
  Kind kind = Kind::Missing;
};

struct SyncCopy {
  std::filesystem::path source;  ///< absolute host path
  std::string target;            ///< absolute container path
  PathState::Kind kind = PathState::Kind::File;
};

/// What one batch asks of one resource. `rebuild` wins over everything (the new image has the
/// files); otherwise sync first, then restart.
struct ResourceWork {
  std::string resource;
  std::vector<SyncCopy> copies;        ///< sync rules: present paths, in path order
  std::vector<std::string> deletions;  ///< sync rules: container paths of absent ones
  bool restart = false;
  bool rebuild = false;
  std::size_t files = 0;  ///< touched paths some rule of this resource matched
};

class RuleSet {
 public:
  /// Compiles every resource's rules: paths resolved against the manifest's directory, ignore
  /// patterns parsed, build contexts' `.dockerignore` read for rebuild rules. Errors:
  /// InvalidArgument (a pattern the loader let through, a `.dockerignore` that does not
  /// parse), naming the resource.
  static Result<RuleSet> compile(const manifest::Manifest& manifest);
  /// For tests: rules as given.
  static RuleSet fromRules(std::vector<Rule> rules);

  const std::vector<Rule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }
  /// The distinct roots to watch (a root inside another is left out).
  std::vector<std::filesystem::path> roots() const;
  /// Whether some rule still wants changes at or below directory `dir` (false when every rule
  /// covering it ignores it and could not re-include anything beneath).
  bool wantsDirectory(const std::filesystem::path& dir) const;
  /// Indices of the rules `path` triggers, each with `path` relative to the rule's root
  /// ('/'-separated; empty for the root itself).
  std::vector<std::pair<std::size_t, std::string>> match(const std::filesystem::path& path) const;

 private:
  std::vector<Rule> rules_;
};

/// The work of one batch, one entry per resource in rule order; resources no rule matched are
/// absent. Deletions are pruned to their topmost path ("/app/d" covers "/app/d/x").
std::vector<ResourceWork> planBatch(const RuleSet& rules, const std::vector<PathState>& batch);

/// `path` relative to `root` when it is `root` or beneath it ('/'-separated), else nullopt.
std::optional<std::string> relativeInside(const std::filesystem::path& root,
                                          const std::filesystem::path& path);

}  // namespace ls::watch::detail
