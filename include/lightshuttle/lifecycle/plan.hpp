// File: lightshuttle/lifecycle/plan.hpp
//
// `Plan`: the stack as a dependency graph, computed before any I/O. Nodes carry the resolved
// `ContainerSpec`, the outputs the resource offers, and its dependencies, each with the condition
// a dependent waits for (`ready` or `completed`). Nodes are kept in a deterministic dependency
// order: dependencies before dependents, declaration order among equals.
//
//   LS_ASSIGN_OR_RETURN(std::vector<spec::Resolved> stack, spec::resolveStack(manifest, ctx));
//   LS_ASSIGN_OR_RETURN(Plan plan, Plan::fromResolved(manifest, std::move(stack)));
//   for (const PlanNode& n : plan.nodes()) { ... }          // start order
//   for (const std::string& name : plan.shutdownOrder()) { ... }
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/manifest/model.hpp"
#include "lightshuttle/runtime/types.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::lifecycle {

/// What a dependent waits for before it starts: Ready (healthy when the dependency has a
/// healthcheck, running otherwise) or Completed (the dependency exited with code 0).
using DependencyCondition = manifest::DependencyCondition;

/// "ready" or "completed".
std::string_view conditionName(DependencyCondition c) noexcept;

struct Dependency {
  std::string name;
  DependencyCondition condition = DependencyCondition::Ready;
  friend bool operator==(const Dependency&, const Dependency&) = default;
};

struct PlanNode {
  std::string name;  ///< resource name (also `spec.resource`)
  manifest::Kind kind = manifest::Kind::Container;
  runtime::ContainerSpec spec;
  spec::Outputs outputs;
  std::vector<Dependency> dependencies;  ///< explicit first, then implicit; no duplicates
  /// A `restart` of this resource also recreates its direct dependents (and theirs, by the same
  /// rule); otherwise dependents are left running.
  bool restartDependents = false;
  /// The manifest's `watch:` rules of this resource (paths relative to the manifest's
  /// directory), applied by watch mode (src/watch/): syncs, in-place restarts and rebuilds.
  std::vector<manifest::WatchRule> watch;
};

class Plan {
 public:
  /// Builds a plan from nodes in declaration order. Errors: InvalidArgument (an empty or
  /// duplicate name, a dependency on an unknown resource, a self-dependency),
  /// FailedPrecondition ("dependency cycle: a -> b -> a", naming the cycle).
  static Result<Plan> create(std::vector<PlanNode> nodes);

  /// Builds a plan from `spec::resolveStack` output: kinds, dependency conditions and
  /// `restart_dependents` come from `manifest` (a resource missing from it is InvalidArgument).
  /// Same errors as `create`.
  static Result<Plan> fromResolved(const manifest::Manifest& manifest,
                                   std::vector<spec::Resolved> resolved);

  /// Nodes in dependency order (declaration order among equals).
  const std::vector<PlanNode>& nodes() const { return nodes_; }
  std::size_t size() const { return nodes_.size(); }
  /// The node named `name`, or null.
  const PlanNode* find(std::string_view name) const;
  /// Position of `name` in `nodes()`, or nullopt.
  std::optional<std::size_t> indexOf(std::string_view name) const;
  /// Direct dependents of `name`, in plan order (empty for an unknown name).
  std::vector<std::string> dependentsOf(std::string_view name) const;
  /// Every resource that depends on `name` directly or transitively, in plan order.
  std::vector<std::string> transitiveDependentsOf(std::string_view name) const;
  /// `names` plus everything they depend on, transitively, in plan order. Unknown names are
  /// InvalidArgument.
  Result<std::vector<std::string>> closureOf(const std::vector<std::string>& names) const;
  /// Names in reverse dependency order (dependents before their dependencies).
  std::vector<std::string> shutdownOrder() const;
  /// True when some dependent waits for `name` to complete (it is a one-shot job).
  bool isOneShot(std::string_view name) const;
  /// The project of the stack (from the first node's spec; empty for an empty plan).
  const std::string& project() const { return project_; }

 private:
  std::vector<PlanNode> nodes_;
  std::string project_;
};

}  // namespace ls::lifecycle
