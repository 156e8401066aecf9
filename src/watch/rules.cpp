#include "watch/rules.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ls::watch::detail {

namespace fs = std::filesystem;

std::optional<std::string> relativeInside(const fs::path& root, const fs::path& path) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  // A trailing empty element (root written "a/b/") matches anything.
  if (r != root.end() && !(std::next(r) == root.end() && r->empty())) {
    return std::nullopt;
  }
  std::string rel;
  for (; p != path.end(); ++p) {
    if (p->empty()) {
      continue;
    }
    rel += rel.empty() ? "" : "/";
    rel += p->string();
  }
  return rel;
}

namespace {

Result<ls::archive::DockerIgnore> parsePatterns(const std::vector<std::string>& patterns) {
  std::string text;
  for (const std::string& p : patterns) {
    text += p + "\n";
  }
  return ls::archive::DockerIgnore::parse(text);
}

std::string joinTarget(const std::string& target, const std::string& rel) {
  if (rel.empty()) {
    return target;
  }
  return target == "/" ? "/" + rel : target + "/" + rel;
}

}  // namespace

Result<RuleSet> RuleSet::compile(const manifest::Manifest& m) {
  std::vector<Rule> rules;
  std::error_code ec;
  const fs::path base = (m.directory.empty() ? fs::current_path(ec) : fs::absolute(m.directory, ec))
                            .lexically_normal();
  for (const manifest::Resource& r : m.resources) {
    std::optional<ls::archive::DockerIgnore> contextIgnore;
    std::optional<fs::path> context;
    if (r.kind == manifest::Kind::Dockerfile && !r.context.empty()) {
      context = (base / r.context).lexically_normal();
      std::ifstream in(*context / ".dockerignore", std::ios::binary);
      std::stringstream text;
      if (in) {
        text << in.rdbuf();
      }
      auto parsed = ls::archive::DockerIgnore::parse(text.str());
      if (!parsed) {
        return Error(Errc::InvalidArgument, "resource '" + r.name +
                                                "': " + (*context / ".dockerignore").string() +
                                                ": " + parsed.error().message());
      }
      contextIgnore = std::move(*parsed);
    }
    for (const manifest::WatchRule& w : r.watch) {
      Rule rule;
      rule.resource = r.name;
      rule.action = w.action;
      rule.root = (base / w.path).lexically_normal();
      if (!rule.root.empty() && rule.root.filename().empty()) {
        rule.root = rule.root.parent_path();
      }
      rule.file = fs::exists(rule.root, ec) && !fs::is_directory(rule.root, ec);
      rule.target = w.target.value_or("");
      while (rule.target.size() > 1 && rule.target.back() == '/') {
        rule.target.pop_back();
      }
      auto ignore = parsePatterns(w.ignore);
      if (!ignore) {
        return Error(Errc::InvalidArgument,
                     "resource '" + r.name + "': watch ignore: " + ignore.error().message());
      }
      rule.ignore = std::move(*ignore);
      if (w.action == Action::Rebuild) {
        rule.context = context;
        rule.contextIgnore = contextIgnore;
      }
      rules.push_back(std::move(rule));
    }
  }
  return fromRules(std::move(rules));
}

RuleSet RuleSet::fromRules(std::vector<Rule> rules) {
  RuleSet s;
  s.rules_ = std::move(rules);
  return s;
}

std::vector<fs::path> RuleSet::roots() const {
  std::vector<fs::path> all;
  for (const Rule& r : rules_) {
    all.push_back(r.root);
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<fs::path> out;
  for (const fs::path& p : all) {
    const bool covered = std::any_of(out.begin(), out.end(), [&](const fs::path& q) {
      std::error_code ec;
      return fs::is_directory(q, ec) && relativeInside(q, p).has_value();
    });
    if (!covered) {
      out.push_back(p);
    }
  }
  return out;
}

bool RuleSet::wantsDirectory(const fs::path& dir) const {
  for (const Rule& r : rules_) {
    std::optional<std::string> rel = relativeInside(r.root, dir);
    if (!rel) {
      // A directory above a root (the root lies beneath it) is needed to reach the root.
      if (relativeInside(dir, r.root)) {
        return true;
      }
      continue;
    }
    if (rel->empty() || !r.ignore.excluded(*rel) || r.ignore.mayReincludeUnder(*rel)) {
      return true;
    }
  }
  return false;
}

std::vector<std::pair<std::size_t, std::string>> RuleSet::match(const fs::path& path) const {
  std::vector<std::pair<std::size_t, std::string>> out;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    std::optional<std::string> rel = relativeInside(r.root, path);
    if (!rel) {
      continue;
    }
    if (!rel->empty() && r.ignore.excluded(*rel)) {
      continue;
    }
    if (r.context && r.contextIgnore) {
      std::optional<std::string> inContext = relativeInside(*r.context, path);
      if (inContext && !inContext->empty() && r.contextIgnore->excluded(*inContext)) {
        continue;
      }
    }
    out.emplace_back(i, std::move(*rel));
  }
  return out;
}

std::vector<ResourceWork> planBatch(const RuleSet& rules, const std::vector<PathState>& batch) {
  std::vector<ResourceWork> out;
  std::map<std::string, std::size_t> index;
  std::map<std::string, std::set<std::string>> counted;  // resource -> host paths counted
  std::map<std::string, std::set<std::string>> copied;   // resource -> container paths
  std::map<std::string, std::set<std::string>> deleted;
  std::vector<PathState> sorted = batch;
  std::sort(sorted.begin(), sorted.end(),
            [](const PathState& a, const PathState& b) { return a.path < b.path; });
  for (const PathState& st : sorted) {
    for (const auto& [ruleIndex, rel] : rules.match(st.path)) {
      const Rule& rule = rules.rules()[ruleIndex];
      auto [it, added] = index.try_emplace(rule.resource, out.size());
      if (added) {
        out.push_back(ResourceWork{.resource = rule.resource});
      }
      ResourceWork& w = out[it->second];
      if (counted[rule.resource].insert(st.path.string()).second) {
        ++w.files;
      }
      const bool syncs = rule.action == Action::Sync || rule.action == Action::SyncRestart;
      if (rule.action == Action::Rebuild) {
        w.rebuild = true;
      }
      if (rule.action == Action::Restart || rule.action == Action::SyncRestart) {
        w.restart = true;
      }
      if (!syncs) {
        continue;
      }
      const std::string target = joinTarget(rule.target, rel);
      if (st.kind == PathState::Kind::Missing) {
        deleted[rule.resource].insert(target);
      } else if (copied[rule.resource].insert(target).second) {
        w.copies.push_back(SyncCopy{.source = st.path, .target = target, .kind = st.kind});
      }
    }
  }
  for (ResourceWork& w : out) {
    // Topmost deletions only: "rm -rf /app/d" covers "/app/d/x".
    std::string last;
    for (const std::string& d : deleted[w.resource]) {
      if (!last.empty() && d.size() > last.size() && d.compare(0, last.size(), last) == 0 &&
          (d[last.size()] == '/' || last == "/")) {
        continue;
      }
      w.deletions.push_back(d);
      last = d;
    }
    if (w.rebuild) {
      w.copies.clear();
      w.deletions.clear();
      w.restart = false;
    }
  }
  return out;
}

}  // namespace ls::watch::detail
