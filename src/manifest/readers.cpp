// The loader's readers of one value (string, int, bool, duration, list, map, command, depends_on).
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <set>
#include <string>

#include "manifest/keys.hpp"
#include "manifest/loader_impl.hpp"

namespace ls::manifest::detail {
namespace {

std::string joinKeys(std::span<const std::string_view> keys) {
  std::string out;
  for (std::string_view k : keys) {
    out += out.empty() ? "" : ", ";
    out += k;
  }
  return out;
}

// The conditions of the map form of `depends_on`.
constexpr std::array<std::string_view, 3> kConditionNames{"healthy", "started", "completed"};

}  // namespace

std::string typeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return fmt::format("the value '{}'", n.Scalar().substr(0, 40));
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

bool isPlainScalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

Loc Loader::markOf(const YAML::Node& n, Loc fallback) const {
  const YAML::Mark m = n.Mark();
  if (n.IsNull() || m.line < 0 || m.column < 0) {
    return fallback;
  }
  return Loc{m.line + 1, m.column + 1};
}

std::vector<std::pair<YAML::Node, YAML::Node>> Loader::entries(const YAML::Node& map) {
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: the iterator's pair is a temporary
    if (!key.IsScalar() || !seen.insert(key.Scalar()).second) {
      continue;
    }
    out.emplace_back(key, it->second);
  }
  return out;
}

bool Loader::expectMap(const YAML::Node& n, const std::string& path, Loc loc,
                       std::string_view what) {
  if (n.IsMap()) {
    return true;
  }
  error(markOf(n, loc), path, fmt::format("expected {} as a mapping, got {}", what, typeName(n)));
  return false;
}

void Loader::unknownKey(const YAML::Node& key, const std::string& parent, std::string_view context,
                        std::string_view what) {
  unknownKey(key, parent, detail::keysFor(context), what);
}

void Loader::unknownKey(const YAML::Node& key, const std::string& parent,
                        std::span<const std::string_view> keys, std::string_view what) {
  const std::string& k = key.Scalar();
  const std::string_view guess = detail::closestKey(k, keys);
  error(markOf(key, Loc{1, 1}), parent.empty() ? k : parent + "." + k,
        fmt::format("unknown key '{}' in {}; accepted keys: {}", k, what, joinKeys(keys)),
        guess.empty() ? std::string() : fmt::format("did you mean '{}'?", guess));
}

std::optional<std::string> Loader::readString(const YAML::Node& n, const std::string& path,
                                              Loc loc) {
  if (n.IsNull()) {
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    error(markOf(n, loc), path, fmt::format("expected a string, got {}", typeName(n)));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<long long> Loader::readInt(const YAML::Node& n, const std::string& path, Loc loc,
                                         long long min, long long max) {
  if (n.IsNull()) {
    return std::nullopt;
  }
  const std::string expected = fmt::format("expected an integer from {} to {}", min, max);
  if (!n.IsScalar()) {
    error(markOf(n, loc), path, fmt::format("{}, got {}", expected, typeName(n)));
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  long long v = 0;
  bool ok = !s.empty() && s.size() <= 12;
  for (char c : s) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) {
      v = v * 10 + (c - '0');
    }
  }
  if (!ok || v < min || v > max) {
    error(markOf(n, loc), path, fmt::format("{}, got '{}'", expected, s.substr(0, 40)));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Loader::readBool(const YAML::Node& n, const std::string& path, Loc loc) {
  if (n.IsNull()) {
    return std::nullopt;
  }
  if (isPlainScalar(n)) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  error(markOf(n, loc), path, fmt::format("expected true or false, got {}", typeName(n)));
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> Loader::readDuration(const YAML::Node& n,
                                                             const std::string& path, Loc loc) {
  std::optional<std::string> s = readString(n, path, loc);
  if (!s) {
    return std::nullopt;
  }
  Result<std::chrono::nanoseconds> d = parseDuration(*s);
  if (!d) {
    error(markOf(n, loc), path, d.error().message());
    return std::nullopt;
  }
  return *d;
}

std::vector<std::string> Loader::readStringList(const YAML::Node& n, const std::string& path,
                                                Loc loc) {
  std::vector<std::string> out;
  if (n.IsNull()) {
    return out;
  }
  if (!n.IsSequence()) {
    error(markOf(n, loc), path, fmt::format("expected a list of strings, got {}", typeName(n)));
    return out;
  }
  std::size_t i = 0;
  for (const YAML::Node& item : n) {
    const std::string itemPath = fmt::format("{}[{}]", path, i++);
    const Loc itemLoc = markOf(item, markOf(n, loc));
    record(itemPath, itemLoc);
    if (!item.IsScalar()) {
      error(itemLoc, itemPath, fmt::format("expected a string, got {}", typeName(item)));
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

StringMap Loader::readStringMap(const YAML::Node& n, const std::string& path, Loc loc,
                                bool envKeys) {
  StringMap out;
  if (n.IsNull()) {
    return out;
  }
  if (!expectMap(n, path, loc, "this field")) {
    return out;
  }
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string childPath = path + "." + k;
    const Loc keyLoc = markOf(key, loc);
    record(childPath, markOf(value, keyLoc));
    if (k.empty() || (envKeys && (k.find('=') != std::string::npos ||
                                  k.find_first_of(" \t\n") != std::string::npos))) {
      error(keyLoc, childPath,
            fmt::format("invalid variable name '{}': it must be non-empty, without '=' or spaces",
                        k));
      continue;
    }
    if (value.IsNull()) {
      error(keyLoc, childPath, fmt::format("'{}' has no value; write '' for an empty string", k));
      continue;
    }
    if (!value.IsScalar()) {
      error(markOf(value, keyLoc), childPath,
            fmt::format("expected a string value, got {}", typeName(value)));
      continue;
    }
    out.emplace_back(k, value.Scalar());
  }
  return out;
}

std::optional<std::vector<std::string>> Loader::readCommand(const YAML::Node& n,
                                                            const std::string& path, Loc loc,
                                                            std::string_view what) {
  if (n.IsNull()) {
    return std::nullopt;
  }
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s.find_first_not_of(" \t") == std::string::npos) {
      error(markOf(n, loc), path,
            fmt::format("{} is empty; give a command string or a non-empty list", what));
      return std::nullopt;
    }
    return std::vector<std::string>{"sh", "-c", s};
  }
  if (!n.IsSequence()) {
    error(markOf(n, loc), path,
          fmt::format("expected {} as a string or a list of strings, got {}", what, typeName(n)));
    return std::nullopt;
  }
  std::vector<std::string> argv = readStringList(n, path, loc);
  if (argv.empty()) {
    error(markOf(n, loc), path,
          fmt::format("{} is an empty list; remove it to keep the image's default", what));
    return std::nullopt;
  }
  return argv;
}

void Loader::readDependsOn(Resource& r, const YAML::Node& n, const std::string& path, Loc loc) {
  if (n.IsNull()) {
    return;
  }
  if (n.IsSequence()) {
    r.dependsOn = readStringList(n, path, loc);
    return;
  }
  if (!n.IsMap()) {
    const std::string example = n.IsScalar() ? n.Scalar().substr(0, 40) : "db";
    error(markOf(n, loc), path,
          fmt::format("expected a list of resource names or a mapping of resource name to "
                      "condition (healthy, started or completed), got {}",
                      typeName(n)),
          fmt::format("write [{0}] or {{{0}: healthy}}", example));
    return;
  }
  // The map form: `{db: healthy, job: completed}`; duplicate keys were reported by scan.
  constexpr std::string_view expected = "expected healthy, started or completed";
  for (const auto& [key, value] : entries(n)) {
    const std::string& name = key.Scalar();
    const std::string childPath = path + "." + name;
    const Loc keyLoc = markOf(key, loc);
    record(childPath, keyLoc);
    r.dependsOn.push_back(name);
    if (value.IsNull()) {
      error(keyLoc, childPath, fmt::format("dependency '{}' has no condition; {}", name, expected));
      continue;
    }
    if (!value.IsScalar()) {
      error(markOf(value, keyLoc), childPath, fmt::format("{}, got {}", expected, typeName(value)));
      continue;
    }
    const std::string& text = value.Scalar();
    if (text == "healthy" || text == "started") {
      // `started` waits like `healthy` for now: the lifecycle has no "running, not yet
      // healthy" condition to wait on.
      r.dependsOnConditions[name] = DependencyCondition::Ready;
    } else if (text == "completed") {
      r.dependsOnConditions[name] = DependencyCondition::Completed;
    } else {
      const std::string_view guess = detail::closestKey(text, kConditionNames);
      error(markOf(value, keyLoc), childPath,
            fmt::format("invalid dependency condition '{}' for '{}'; {}", text.substr(0, 40), name,
                        expected),
            guess.empty() ? std::string() : fmt::format("did you mean '{}'?", guess));
    }
  }
}

}  // namespace ls::manifest::detail
