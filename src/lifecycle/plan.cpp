#include "lightshuttle/lifecycle/plan.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace ls::lifecycle {

namespace {

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Finds one cycle among `nodes` (indices into `all` that could not be ordered) and renders it
// "a -> b -> a", starting from the first node of the cycle in declaration order.
std::string describeCycle(const std::vector<PlanNode>& all, const std::vector<std::size_t>& left,
                          const std::map<std::string, std::size_t, std::less<>>& index) {
  std::set<std::size_t> remaining(left.begin(), left.end());
  enum class Colour { White, Grey, Black };
  std::map<std::size_t, Colour> colour;
  std::vector<std::size_t> path;
  std::vector<std::size_t> cycle;
  std::function<bool(std::size_t)> visit = [&](std::size_t i) {
    colour[i] = Colour::Grey;
    path.push_back(i);
    for (const Dependency& d : all[i].dependencies) {
      const std::size_t j = index.at(d.name);
      if (!remaining.contains(j)) {
        continue;
      }
      if (colour[j] == Colour::Grey) {
        auto from = std::find(path.begin(), path.end(), j);
        cycle.assign(from, path.end());
        cycle.push_back(j);
        return true;
      }
      if (colour[j] == Colour::White && visit(j)) {
        return true;
      }
    }
    path.pop_back();
    colour[i] = Colour::Black;
    return false;
  };
  for (std::size_t i : left) {
    if (colour[i] == Colour::White && visit(i)) {
      break;
    }
  }
  std::string out;
  for (std::size_t i : cycle) {
    if (!out.empty()) {
      out += " -> ";
    }
    out += all[i].name;
  }
  return out;
}

}  // namespace

std::string_view conditionName(DependencyCondition c) noexcept {
  return c == DependencyCondition::Completed ? "completed" : "ready";
}

Result<Plan> Plan::create(std::vector<PlanNode> nodes) {
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name.empty()) {
      return Error(Errc::InvalidArgument, "a resource of the plan has an empty name");
    }
    if (!index.emplace(nodes[i].name, i).second) {
      return Error(Errc::InvalidArgument, "resource " + quote(nodes[i].name) + " appears twice");
    }
  }
  for (const PlanNode& n : nodes) {
    std::set<std::string, std::less<>> seen;
    for (const Dependency& d : n.dependencies) {
      if (d.name == n.name) {
        return Error(Errc::InvalidArgument, "resource " + quote(n.name) + " depends on itself");
      }
      if (!index.contains(d.name)) {
        return Error(Errc::InvalidArgument,
                     "resource " + quote(n.name) + " depends on unknown resource " + quote(d.name));
      }
      if (!seen.insert(d.name).second) {
        return Error(Errc::InvalidArgument,
                     "resource " + quote(n.name) + " depends on " + quote(d.name) + " twice");
      }
    }
  }

  // Repeatedly take the first node, in declaration order, whose dependencies are all placed.
  std::vector<std::size_t> order;
  std::vector<bool> placed(nodes.size(), false);
  while (order.size() < nodes.size()) {
    bool progressed = false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (placed[i]) {
        continue;
      }
      const bool ready = std::all_of(nodes[i].dependencies.begin(), nodes[i].dependencies.end(),
                                     [&](const Dependency& d) { return placed[index.at(d.name)]; });
      if (ready) {
        placed[i] = true;
        order.push_back(i);
        progressed = true;
        break;
      }
    }
    if (!progressed) {
      std::vector<std::size_t> left;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!placed[i]) {
          left.push_back(i);
        }
      }
      return Error(Errc::FailedPrecondition,
                   "dependency cycle: " + describeCycle(nodes, left, index));
    }
  }

  Plan plan;
  plan.nodes_.reserve(nodes.size());
  for (std::size_t i : order) {
    plan.nodes_.push_back(std::move(nodes[i]));
  }
  if (!plan.nodes_.empty()) {
    plan.project_ = plan.nodes_.front().spec.project;
  }
  return plan;
}

Result<Plan> Plan::fromResolved(const manifest::Manifest& manifest,
                                std::vector<spec::Resolved> resolved) {
  std::vector<PlanNode> nodes;
  nodes.reserve(resolved.size());
  for (spec::Resolved& r : resolved) {
    const std::string name = r.spec.resource;
    const manifest::Resource* resource = manifest.find(name);
    if (resource == nullptr) {
      return Error(Errc::InvalidArgument,
                   "resolved resource " + quote(name) + " is not in the manifest");
    }
    PlanNode node;
    node.name = name;
    node.kind = resource->kind;
    node.spec = std::move(r.spec);
    node.outputs = std::move(r.outputs);
    node.restartDependents = resource->restartDependents;
    node.watch = resource->watch;
    for (std::string& d : r.dependencies) {
      Dependency dep;
      if (auto it = resource->dependsOnConditions.find(d);
          it != resource->dependsOnConditions.end()) {
        dep.condition = it->second;
      }
      dep.name = std::move(d);
      node.dependencies.push_back(std::move(dep));
    }
    nodes.push_back(std::move(node));
  }
  // Declaration order among equals: resolveStack already returns a dependency order, so put the
  // nodes back in manifest order before ordering.
  std::map<std::string, std::size_t, std::less<>> declared;
  for (std::size_t i = 0; i < manifest.resources.size(); ++i) {
    declared.emplace(manifest.resources[i].name, i);
  }
  std::stable_sort(nodes.begin(), nodes.end(), [&](const PlanNode& a, const PlanNode& b) {
    return declared.at(a.name) < declared.at(b.name);
  });
  return create(std::move(nodes));
}

const PlanNode* Plan::find(std::string_view name) const {
  for (const PlanNode& n : nodes_) {
    if (n.name == name) {
      return &n;
    }
  }
  return nullptr;
}

std::optional<std::size_t> Plan::indexOf(std::string_view name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Plan::dependentsOf(std::string_view name) const {
  std::vector<std::string> out;
  for (const PlanNode& n : nodes_) {
    for (const Dependency& d : n.dependencies) {
      if (d.name == name) {
        out.push_back(n.name);
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> Plan::transitiveDependentsOf(std::string_view name) const {
  std::set<std::string, std::less<>> reached{std::string(name)};
  std::vector<std::string> out;
  // Plan order puts every dependent after its dependencies: one forward sweep suffices.
  for (const PlanNode& n : nodes_) {
    for (const Dependency& d : n.dependencies) {
      if (reached.contains(d.name)) {
        reached.insert(n.name);
        out.push_back(n.name);
        break;
      }
    }
  }
  return out;
}

Result<std::vector<std::string>> Plan::closureOf(const std::vector<std::string>& names) const {
  std::set<std::string, std::less<>> wanted;
  for (const std::string& name : names) {
    if (find(name) == nullptr) {
      return Error(Errc::InvalidArgument, "unknown resource " + quote(name));
    }
    wanted.insert(name);
  }
  // Plan order puts dependencies first: one backward sweep collects them.
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    if (wanted.contains(it->name)) {
      for (const Dependency& d : it->dependencies) {
        wanted.insert(d.name);
      }
    }
  }
  std::vector<std::string> out;
  for (const PlanNode& n : nodes_) {
    if (wanted.contains(n.name)) {
      out.push_back(n.name);
    }
  }
  return out;
}

std::vector<std::string> Plan::shutdownOrder() const {
  std::vector<std::string> out;
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    out.push_back(it->name);
  }
  return out;
}

bool Plan::isOneShot(std::string_view name) const {
  for (const PlanNode& n : nodes_) {
    for (const Dependency& d : n.dependencies) {
      if (d.name == name && d.condition == DependencyCondition::Completed) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace ls::lifecycle
