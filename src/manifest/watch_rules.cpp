// The loader's `watch:` rules: each rule read, then checked (paths, actions, targets, ignores).
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "archive/dockerignore.hpp"
#include "manifest/loader_impl.hpp"

namespace ls::manifest::detail {

// `watch:` rules. Paths are checked lexically (a symlink inside the directory may still lead
// out of it; the watcher follows none).
std::vector<WatchRule> Loader::walkWatch(Kind kind, const YAML::Node& n, const std::string& path,
                                         Loc loc) {
  std::vector<WatchRule> out;
  if (n.IsNull()) {
    return out;
  }
  if (!n.IsSequence()) {
    error(markOf(n, loc), path,
          fmt::format("expected a list of watch rules ({{path, action, target, ignore}}), got {}",
                      typeName(n)));
    return out;
  }
  std::size_t i = 0;
  for (const YAML::Node& item : n) {
    const std::string itemPath = fmt::format("{}[{}]", path, i++);
    const Loc itemLoc = markOf(item, markOf(n, loc));
    record(itemPath, itemLoc);
    if (!expectMap(item, itemPath, itemLoc, "a watch rule")) {
      continue;
    }
    WatchRule rule;
    bool sawPath = false;
    bool sawAction = false;
    bool valid = true;
    for (const auto& [key, value] : entries(item)) {
      const std::string& k = key.Scalar();
      const std::string fieldPath = itemPath + "." + k;
      const Loc keyLoc = markOf(key, itemLoc);
      record(fieldPath, markOf(value, keyLoc));
      if (k == "path") {
        std::optional<std::string> s = readString(value, fieldPath, keyLoc);
        sawPath = s.has_value();
        rule.path = s.value_or("");
      } else if (k == "action") {
        std::optional<std::string> s = readString(value, fieldPath, keyLoc);
        if (!s) {
          valid = false;
          continue;
        }
        sawAction = true;
        if (*s == "sync") {
          rule.action = WatchRule::Action::Sync;
        } else if (*s == "rebuild") {
          rule.action = WatchRule::Action::Rebuild;
        } else if (*s == "restart") {
          rule.action = WatchRule::Action::Restart;
        } else if (*s == "sync+restart") {
          rule.action = WatchRule::Action::SyncRestart;
        } else {
          valid = false;
          error(markOf(value, keyLoc), fieldPath,
                fmt::format("unknown watch action '{}'; expected sync, rebuild, restart or "
                            "sync+restart",
                            s->substr(0, 40)));
        }
      } else if (k == "target") {
        rule.target = readString(value, fieldPath, keyLoc);
      } else if (k == "ignore") {
        rule.ignore = readStringList(value, fieldPath, keyLoc);
      } else {
        unknownKey(key, itemPath, "watch_rule", "a watch rule");
      }
    }
    if (!sawPath) {
      valid = false;
      error(itemLoc, itemPath + ".path",
            "missing required key 'path' in a watch rule (a directory or file relative to the "
            "manifest, e.g. ./app)");
    }
    if (!sawAction && valid) {
      valid = false;
      error(itemLoc, itemPath + ".action",
            "missing required key 'action' in a watch rule; expected sync, rebuild, restart or "
            "sync+restart");
    }
    if (valid && checkWatchRule(kind, rule, item, itemPath, itemLoc)) {
      out.push_back(std::move(rule));
    }
  }
  return out;
}

bool Loader::checkWatchRule(Kind kind, WatchRule& rule, const YAML::Node& item,
                            const std::string& path, Loc loc) {
  const auto where = [&](const char* key) {
    const YAML::Node v = item[key];
    return v ? markOf(v, loc) : loc;
  };
  bool ok = true;
  const std::filesystem::path written(rule.path);
  const std::filesystem::path clean = written.lexically_normal();
  if (rule.path.find_first_not_of(" \t") == std::string::npos) {
    error(where("path"), path + ".path",
          "watch path is empty; expected a directory or file relative to the manifest, e.g. ./app");
    ok = false;
  } else if (written.is_absolute() || (!clean.empty() && *clean.begin() == "..")) {
    error(where("path"), path + ".path",
          fmt::format("watch path '{}' is outside the manifest's directory; watch paths are "
                      "relative to the manifest and stay inside its directory",
                      rule.path),
          "move the sources under the manifest's directory, or the manifest above them");
    ok = false;
  }
  const bool syncs =
      rule.action == WatchRule::Action::Sync || rule.action == WatchRule::Action::SyncRestart;
  if (syncs && (!rule.target || rule.target->empty())) {
    error(rule.target ? where("target") : loc, path + ".target",
          fmt::format("watch action '{}' needs a 'target': the absolute path in the container the "
                      "files are copied to (e.g. /app)",
                      watchActionName(rule.action)));
    ok = false;
  } else if (syncs && rule.target->front() != '/') {
    error(where("target"), path + ".target",
          fmt::format("watch target '{}' is not an absolute path in the container (e.g. /app)",
                      *rule.target));
    ok = false;
  } else if (!syncs && rule.target) {
    error(where("target"), path + ".target",
          fmt::format("'target' applies to the sync actions only, not to '{}'",
                      watchActionName(rule.action)),
          "remove it, or use action: sync or sync+restart");
    ok = false;
  }
  if (rule.action == WatchRule::Action::Rebuild && kind != Kind::Dockerfile) {
    error(where("action"), path + ".action",
          fmt::format("watch action 'rebuild' needs a dockerfile resource; this is a {} resource "
                      "(its image is not built here)",
                      kindName(kind)),
          "use restart or sync, or make it a dockerfile resource");
    ok = false;
  }
  for (std::size_t i = 0; i < rule.ignore.size(); ++i) {
    Result<ls::archive::DockerIgnore> parsed = ls::archive::DockerIgnore::parse(rule.ignore[i]);
    if (!parsed) {
      const std::string itemPath = fmt::format("{}.ignore[{}]", path, i);
      const auto at = manifest_.locations.find(itemPath);
      const Loc l = at == manifest_.locations.end() ? where("ignore")
                                                    : Loc{at->second.first, at->second.second};
      std::string msg = parsed.error().message();
      if (msg.starts_with("line 1: ")) {
        msg = msg.substr(8);
      }
      error(l, itemPath, "watch ignore " + msg);
      ok = false;
    } else if (rule.ignore[i].find('\n') != std::string::npos) {
      error(where("ignore"), fmt::format("{}.ignore[{}]", path, i),
            "a watch ignore pattern is one line; write one list item per pattern");
      ok = false;
    }
  }
  return ok;
}

}  // namespace ls::manifest::detail
