// YAML text -> Manifest. Three passes: yaml-cpp builds the node tree (exceptions become
// diagnostics), a structural scan finds what yaml-cpp lets through (duplicate keys, unterminated
// quoted scalars, non-string keys, alias bombs), then a typed walk reads every known key and
// reports unknown ones. Model-level checks (names, references, cycles) live in validate.cpp.
#include "lightshuttle/manifest/loader.hpp"

#include <fmt/core.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdlib>
#include <exception>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>

#include "lightshuttle/core/file.hpp"
#include "manifest/keys.hpp"
#include "runtime/docker/dockerignore.hpp"
#include "manifest/validate.hpp"

namespace ls::manifest {
namespace {

struct Loc {
  int line = 0;
  int column = 0;
};

// Nodes visited by the structural scan before giving up (aliases can make a small file expand
// into a huge tree).
constexpr std::size_t kNodeBudget = 200'000;
// Deepest nesting the structural scan follows (a manifest needs about 8).
constexpr int kMaxDepth = 64;

std::string typeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return fmt::format("the value '{}'", n.Scalar().substr(0, 40));
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string joinKeys(std::span<const std::string_view> keys) {
  std::string out;
  for (std::string_view k : keys) {
    out += out.empty() ? "" : ", ";
    out += k;
  }
  return out;
}

bool isPlainScalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

// The conditions of the map form of `depends_on`.
constexpr std::array<std::string_view, 3> kConditionNames{"healthy", "started", "completed"};

// Counts the documents of a stream with yaml-cpp's event parser, remembering where each one's
// first node is. yaml-cpp 0.7 never consumes a ',' met where a block node is expected: it then
// yields empty documents at the same mark forever (YAML::LoadAll never returns), so the mark
// tells a stuck parser from a real second document.
class FirstMarkHandler final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> first;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { see(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { see(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    see(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    see(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    see(m);
  }
  void OnMapEnd() override {}

 private:
  void see(const YAML::Mark& m) {
    if (!first) {
      first = m;
    }
  }
};

struct DocumentScan {
  int documents = 0;                  ///< 0, 1, 2 (2 = at least two)
  std::optional<YAML::Mark> stuckAt;  ///< where yaml-cpp stopped making progress
  std::optional<YAML::Mark> second;   ///< first node of a real second document
};

DocumentScan scanDocuments(const std::string& text) {
  DocumentScan out;
  std::stringstream stream(text);
  YAML::Parser parser(stream);
  std::optional<YAML::Mark> previous;
  for (int i = 0; i < 3; ++i) {
    FirstMarkHandler handler;
    if (!parser.HandleNextDocument(handler)) {
      break;
    }
    const YAML::Mark mark = handler.first.value_or(YAML::Mark::null_mark());
    if (previous && previous->pos == mark.pos) {
      out.stuckAt = mark;
      return out;
    }
    out.documents = std::min(out.documents + 1, 2);
    if (i == 1) {
      out.second = mark;
    }
    previous = mark;
  }
  return out;
}

class Loader {
 public:
  Loader(std::string_view source, std::string file, std::filesystem::path directory)
      : source_(source), file_(std::move(file)), directory_(std::move(directory)) {}

  ParseReport run();

 private:
  // --- diagnostics -----------------------------------------------------------------------
  void report(Severity s, Loc loc, const std::string& path, std::string message,
              std::string help = {}) {
    Diagnostic d;
    d.severity = s;
    d.location = SourceLocation{file_, loc.line, loc.column, path};
    d.message = std::move(message);
    d.help = std::move(help);
    diags_.push_back(std::move(d));
  }
  void error(Loc loc, const std::string& path, std::string message, std::string help = {}) {
    report(Severity::Error, loc, path, std::move(message), std::move(help));
  }

  Loc markOf(const YAML::Node& n, Loc fallback) const {
    const YAML::Mark m = n.Mark();
    if (n.IsNull() || m.line < 0 || m.column < 0) {
      return fallback;
    }
    return Loc{m.line + 1, m.column + 1};
  }
  void record(const std::string& path, Loc loc) {
    manifest_.locations.emplace(path, std::make_pair(loc.line, loc.column));
  }

  // --- structural scan ---------------------------------------------------------------------
  /// `kindMap`: `n` is a resource body whose keys are kinds (left out of field paths).
  bool scan(const YAML::Node& n, const std::string& path, int depth, bool kindMap = false);
  void checkQuoted(const YAML::Node& n, const std::string& path);

  // --- typed walk --------------------------------------------------------------------------
  /// The entries of a mapping with first occurrences only (duplicates were reported by scan).
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& map);
  /// Reports keys of `map` not in `context`; returns false when `map` is not a mapping.
  bool expectMap(const YAML::Node& n, const std::string& path, Loc loc, std::string_view what);
  void unknownKey(const YAML::Node& key, const std::string& parent, std::string_view context,
                  std::string_view what);
  void unknownKey(const YAML::Node& key, const std::string& parent,
                  std::span<const std::string_view> keys, std::string_view what);

  std::optional<std::string> readString(const YAML::Node& n, const std::string& path, Loc loc);
  std::optional<long long> readInt(const YAML::Node& n, const std::string& path, Loc loc,
                                   long long min, long long max);
  std::optional<bool> readBool(const YAML::Node& n, const std::string& path, Loc loc);
  std::optional<std::chrono::nanoseconds> readDuration(const YAML::Node& n,
                                                       const std::string& path, Loc loc);
  std::vector<std::string> readStringList(const YAML::Node& n, const std::string& path, Loc loc);
  StringMap readStringMap(const YAML::Node& n, const std::string& path, Loc loc, bool envKeys);
  std::optional<std::vector<std::string>> readCommand(const YAML::Node& n, const std::string& path,
                                                      Loc loc, std::string_view what);
  void readDependsOn(Resource& r, const YAML::Node& n, const std::string& path, Loc loc);

  void walkTop(const YAML::Node& root);
  void walkProject(const YAML::Node& n, Loc loc);
  void walkResources(const YAML::Node& n, Loc loc);
  void walkResource(const std::string& name, Loc nameLoc, const YAML::Node& n);
  void walkResourceField(Resource& r, const std::string& key, const std::string& path, Loc keyLoc,
                         const YAML::Node& value);
  std::optional<Healthcheck> walkHealthcheck(const YAML::Node& n, const std::string& path,
                                             Loc loc);
  std::vector<WatchRule> walkWatch(Kind kind, const YAML::Node& n, const std::string& path,
                                   Loc loc);
  bool checkWatchRule(Kind kind, WatchRule& rule, const YAML::Node& item, const std::string& path,
                      Loc loc);
  void walkExport(const YAML::Node& n, Loc loc);
  void walkExportTarget(ExportTarget& t, std::string_view name, const YAML::Node& n, Loc loc);

  std::string_view source_;
  std::string file_;
  std::filesystem::path directory_;
  Manifest manifest_;
  std::vector<Diagnostic> diags_;
  std::size_t visited_ = 0;
  std::set<std::pair<int, int>> reportedMarks_;
};

// ---------------------------------------------------------------------------------------------

void Loader::checkQuoted(const YAML::Node& n, const std::string& path) {
  if (n.Tag() != "!") {
    return;
  }
  const YAML::Mark m = n.Mark();
  if (m.pos < 0 || static_cast<std::size_t>(m.pos) >= source_.size()) {
    return;
  }
  const char quote = source_[static_cast<std::size_t>(m.pos)];
  if (quote != '"' && quote != '\'') {
    return;
  }
  std::size_t i = static_cast<std::size_t>(m.pos) + 1;
  while (i < source_.size()) {
    const char c = source_[i];
    if (quote == '"' && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (quote == '\'' && i + 1 < source_.size() && source_[i + 1] == '\'') {
        i += 2;
        continue;
      }
      return;
    }
    ++i;
  }
  const Loc loc{m.line + 1, m.column + 1};
  if (reportedMarks_.insert({loc.line, loc.column}).second) {
    error(loc, path,
          fmt::format("unterminated {}-quoted string: the closing {} is missing, so the rest of "
                      "the file would become part of this value",
                      quote == '"' ? "double" : "single", quote));
  }
}

bool Loader::scan(const YAML::Node& n, const std::string& path, int depth, bool kindMap) {
  if (depth > kMaxDepth) {
    error(markOf(n, Loc{1, 1}), "",
          fmt::format("values are nested more than {} levels deep (a recursive alias?); refusing "
                      "to read them",
                      kMaxDepth));
    return false;
  }
  if (++visited_ > kNodeBudget) {
    error(Loc{1, 1}, "",
          fmt::format("the document expands to more than {} nodes (aliases?); refusing to read it",
                      kNodeBudget));
    return false;
  }
  if (n.IsScalar()) {
    checkQuoted(n, path);
    return true;
  }
  if (n.IsSequence()) {
    std::size_t i = 0;
    for (const YAML::Node& item : n) {
      if (!scan(item, fmt::format("{}[{}]", path, i++), depth + 1)) {
        return false;
      }
    }
    return true;
  }
  if (!n.IsMap()) {
    return true;
  }
  std::unordered_map<std::string, Loc> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary pair, references to it dangle.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const Loc keyLoc = markOf(key, markOf(n, Loc{1, 1}));
    if (!key.IsScalar()) {
      if (reportedMarks_.insert({keyLoc.line, keyLoc.column}).second) {
        error(keyLoc, path, "keys must be plain strings, not lists or mappings");
      }
      continue;
    }
    checkQuoted(key, path);
    const std::string& k = key.Scalar();
    // Field paths skip the kind key: resources.api.container.env -> resources.api.env.
    const std::string childPath = path.empty() ? k : kindMap ? path : path + "." + k;
    auto [pos, inserted] = seen.emplace(k, keyLoc);
    if (!inserted && reportedMarks_.insert({keyLoc.line, keyLoc.column}).second) {
      error(keyLoc, childPath,
            fmt::format("duplicate key '{}' (first defined at line {}, column {}); YAML would keep "
                        "only one of them",
                        k, pos->second.line, pos->second.column),
            "remove or rename one of the two");
    }
    if (!scan(value, childPath, depth + 1, depth == 1 && path == "resources")) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

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

void Loader::unknownKey(const YAML::Node& key, const std::string& parent,
                        std::string_view context, std::string_view what) {
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
      error(keyLoc, childPath,
            fmt::format("'{}' has no value; write '' for an empty string", k));
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
      error(keyLoc, childPath,
            fmt::format("dependency '{}' has no condition; {}", name, expected));
      continue;
    }
    if (!value.IsScalar()) {
      error(markOf(value, keyLoc), childPath,
            fmt::format("{}, got {}", expected, typeName(value)));
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
            fmt::format("invalid dependency condition '{}' for '{}'; {}", text.substr(0, 40),
                        name, expected),
            guess.empty() ? std::string() : fmt::format("did you mean '{}'?", guess));
    }
  }
}

// ---------------------------------------------------------------------------------------------

void Loader::walkTop(const YAML::Node& root) {
  bool sawProject = false;
  bool sawResources = false;
  for (const auto& [key, value] : entries(root)) {
    const std::string& k = key.Scalar();
    const Loc keyLoc = markOf(key, Loc{1, 1});
    record(k, markOf(value, keyLoc));
    if (k == "lightshuttle") {
      std::optional<std::string> v = readString(value, k, keyLoc);
      if (v && *v != "v0") {
        error(markOf(value, keyLoc), k,
              fmt::format("unsupported manifest version '{}'; this release reads v0", *v));
      }
    } else if (k == "project") {
      sawProject = true;
      walkProject(value, keyLoc);
    } else if (k == "resources") {
      sawResources = true;
      walkResources(value, keyLoc);
    } else if (k == "dashboard") {
      if (!value.IsNull() && expectMap(value, k, keyLoc, "'dashboard'")) {
        for (const auto& [dk, dv] : entries(value)) {
          const Loc dkLoc = markOf(dk, keyLoc);
          record("dashboard." + dk.Scalar(), markOf(dv, dkLoc));
          if (dk.Scalar() == "port") {
            if (auto p = readInt(dv, "dashboard.port", dkLoc, 1, 65535)) {
              manifest_.dashboardPort = static_cast<std::uint16_t>(*p);
            }
          } else {
            unknownKey(dk, "dashboard", "dashboard", "'dashboard'");
          }
        }
      }
    } else if (k == "observability") {
      if (!value.IsNull() && expectMap(value, k, keyLoc, "'observability'")) {
        for (const auto& [ok, ov] : entries(value)) {
          const Loc okLoc = markOf(ok, keyLoc);
          if (ok.Scalar() != "otel") {
            unknownKey(ok, "observability", "observability", "'observability'");
            continue;
          }
          record("observability.otel", markOf(ov, okLoc));
          if (ov.IsNull() || !expectMap(ov, "observability.otel", okLoc, "'otel'")) {
            continue;
          }
          for (const auto& [ek, ev] : entries(ov)) {
            if (ek.Scalar() != "enabled") {
              unknownKey(ek, "observability.otel", "otel", "'observability.otel'");
              continue;
            }
            const Loc ekLoc = markOf(ek, okLoc);
            record("observability.otel.enabled", markOf(ev, ekLoc));
            manifest_.otelEnabled = readBool(ev, "observability.otel.enabled", ekLoc);
          }
        }
      }
    } else if (k == "export") {
      walkExport(value, keyLoc);
    } else {
      unknownKey(key, "", "manifest", "the manifest");
    }
  }
  if (!sawProject) {
    error(Loc{1, 1}, "project", "missing required key 'project' (with at least 'name')");
  }
  if (!sawResources) {
    error(Loc{1, 1}, "resources",
          "missing required key 'resources' (a mapping of resource names; {} is allowed)");
  }
}

void Loader::walkProject(const YAML::Node& n, Loc loc) {
  if (!expectMap(n, "project", loc, "'project'")) {
    return;
  }
  bool sawName = false;
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string path = "project." + k;
    const Loc keyLoc = markOf(key, loc);
    record(path, markOf(value, keyLoc));
    if (k == "name") {
      sawName = true;
      std::optional<std::string> v = readString(value, path, keyLoc);
      if (!v) {
        if (value.IsNull()) {
          error(keyLoc, path, "project name is empty; expected a name like 'shop'");
        }
        continue;
      }
      manifest_.project.name = *v;
      if (!isValidName(*v)) {
        error(markOf(value, keyLoc), path,
              fmt::format("invalid project name '{}': expected 1 to 32 characters of a-z, 0-9, "
                          "'_' and '-', starting with a letter",
                          *v));
      }
    } else if (k == "version") {
      manifest_.project.version = readString(value, path, keyLoc);
    } else if (k == "description") {
      manifest_.project.description = readString(value, path, keyLoc);
    } else {
      unknownKey(key, "project", "project", "'project'");
    }
  }
  if (!sawName) {
    error(loc, "project.name", "missing required key 'name' in 'project'");
  }
}

void Loader::walkResources(const YAML::Node& n, Loc loc) {
  if (n.IsNull()) {
    return;
  }
  if (!expectMap(n, "resources", loc, "'resources'")) {
    return;
  }
  for (const auto& [key, value] : entries(n)) {
    walkResource(key.Scalar(), markOf(key, loc), value);
  }
}

void Loader::walkResource(const std::string& name, Loc nameLoc, const YAML::Node& n) {
  const std::string path = "resources." + name;
  record(path, nameLoc);
  if (!isValidName(name)) {
    error(nameLoc, path,
          fmt::format("invalid resource name '{}': expected 1 to 32 characters of a-z, 0-9, '_' "
                      "and '-', starting with a letter",
                      name));
  }
  const std::string kinds = "postgres, redis, container or dockerfile";
  if (n.IsNull() || (n.IsMap() && n.size() == 0)) {
    error(nameLoc, path, fmt::format("resource '{}' has no kind; expected one of {}", name, kinds));
    return;
  }
  if (!n.IsMap()) {
    error(markOf(n, nameLoc), path,
          fmt::format("expected resource '{}' as a mapping with one kind key ({}), got {}", name,
                      kinds, typeName(n)));
    return;
  }
  const auto kindEntries = entries(n);
  if (kindEntries.empty()) {
    // Only non-string keys (already reported by the structural scan).
    error(nameLoc, path, fmt::format("resource '{}' has no kind; expected one of {}", name, kinds));
    return;
  }
  if (kindEntries.size() > 1) {
    error(markOf(kindEntries[1].first, nameLoc), path,
          fmt::format("resource '{}' holds more than one kind ('{}' and '{}'); a resource has "
                      "exactly one of {}",
                      name, kindEntries[0].first.Scalar(), kindEntries[1].first.Scalar(), kinds),
          "indent the fields under the kind key");
    return;
  }
  const auto& [kindKey, body] = kindEntries.front();
  const std::string& kindText = kindKey.Scalar();
  Resource r;
  r.name = name;
  if (kindText == "postgres") {
    r.kind = Kind::Postgres;
  } else if (kindText == "redis") {
    r.kind = Kind::Redis;
  } else if (kindText == "container") {
    r.kind = Kind::Container;
  } else if (kindText == "dockerfile") {
    r.kind = Kind::Dockerfile;
  } else {
    const std::string_view guess = detail::closestKey(kindText, detail::keysFor("resource"));
    error(markOf(kindKey, nameLoc), path,
          fmt::format("unknown resource kind '{}'; expected {}", kindText, kinds),
          guess.empty() ? std::string() : fmt::format("did you mean '{}'?", guess));
    return;
  }
  const Loc kindLoc = markOf(kindKey, nameLoc);
  if (!body.IsNull() && expectMap(body, path, kindLoc, fmt::format("the {} body", kindText))) {
    const auto keys = detail::keysFor(kindText);
    for (const auto& [key, value] : entries(body)) {
      const std::string& k = key.Scalar();
      const std::string fieldPath = path + "." + k;
      const Loc keyLoc = markOf(key, kindLoc);
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        unknownKey(key, path, kindText, fmt::format("a {} resource", kindText));
        continue;
      }
      record(fieldPath, markOf(value, keyLoc));
      walkResourceField(r, k, fieldPath, keyLoc, value);
    }
  }
  if (r.kind == Kind::Container && (!r.image || r.image->find_first_not_of(" \t") ==
                                                    std::string::npos)) {
    if (!manifest_.locations.contains(path + ".image")) {
      error(kindLoc, path + ".image",
            fmt::format("container resource '{}' needs an 'image' (e.g. "
                        "lightshuttle-test/busybox:latest)",
                        name));
    } else {
      const auto [line, column] = manifest_.locations.at(path + ".image");
      error(Loc{line, column}, path + ".image", "image is empty; expected an image reference");
    }
  }
  if (r.kind == Kind::Dockerfile && r.context.find_first_not_of(" \t") == std::string::npos) {
    // Written but blank: at the value, as for a blank image; absent: at the kind.
    const auto written = manifest_.locations.find(path + ".context");
    if (written == manifest_.locations.end()) {
      error(kindLoc, path + ".context",
            fmt::format("dockerfile resource '{}' needs a 'context' directory (relative to the "
                        "manifest, e.g. ./app)",
                        name));
    } else {
      error(Loc{written->second.first, written->second.second}, path + ".context",
            "context is blank; expected a directory relative to the manifest (e.g. ./app)");
    }
  }
  manifest_.resources.push_back(std::move(r));
}

void Loader::walkResourceField(Resource& r, const std::string& k, const std::string& path,
                               Loc keyLoc, const YAML::Node& value) {
  const Loc valueLoc = markOf(value, keyLoc);
  if (k == "depends_on") {
    readDependsOn(r, value, path, keyLoc);
  } else if (k == "restart_dependents") {
    r.restartDependents = readBool(value, path, keyLoc).value_or(false);
  } else if (k == "healthcheck") {
    r.healthcheck = walkHealthcheck(value, path, keyLoc);
  } else if (k == "restart") {
    std::optional<std::string> s = readString(value, path, keyLoc);
    if (!s) {
      return;
    }
    const std::string expected = "expected no, on-failure, on-failure:N or always";
    if (*s == "no" || *s == "false") {
      r.restart.mode = RestartPolicy::Mode::No;
    } else if (*s == "always") {
      r.restart.mode = RestartPolicy::Mode::Always;
    } else if (*s == "on-failure") {
      r.restart.mode = RestartPolicy::Mode::OnFailure;
    } else if (s->starts_with("on-failure:")) {
      const std::string n = s->substr(11);
      int v = 0;
      bool ok = !n.empty() && n.size() <= 6;
      for (char c : n) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) {
          v = v * 10 + (c - '0');
        }
      }
      if (!ok) {
        error(valueLoc, path, fmt::format("invalid restart policy '{}': {}", *s, expected));
        return;
      }
      r.restart.mode = RestartPolicy::Mode::OnFailure;
      if (v > 0) {  // on-failure:0 is Docker's "no retry limit", as plain on-failure
        r.restart.maxRetries = v;
      }
    } else {
      error(valueLoc, path, fmt::format("invalid restart policy '{}': {}", *s, expected));
    }
  } else if (k == "stop_grace_period") {
    r.stopGracePeriod = readDuration(value, path, keyLoc);
  } else if (k == "labels") {
    r.labels = readStringMap(value, path, keyLoc, false);
  } else if (k == "version") {
    r.version = readString(value, path, keyLoc);
  } else if (k == "image") {
    r.image = readString(value, path, keyLoc);
  } else if (k == "database") {
    r.database = readString(value, path, keyLoc);
  } else if (k == "user") {
    r.user = readString(value, path, keyLoc);
  } else if (k == "password") {
    r.password = readString(value, path, keyLoc);
  } else if (k == "port") {
    if (auto p = readInt(value, path, keyLoc, 1, 65535)) {
      r.port = static_cast<std::uint16_t>(*p);
    }
  } else if (k == "volume") {
    if (value.IsNull()) {
      return;
    }
    if (isPlainScalar(value) && (value.Scalar() == "true" || value.Scalar() == "false")) {
      r.volume.mode = value.Scalar() == "true" ? DataVolume::Mode::Default : DataVolume::Mode::None;
      return;
    }
    std::optional<std::string> s = readString(value, path, keyLoc);
    if (!s) {
      return;
    }
    Result<VolumeMapping> m = parseVolumeMapping(*s + ":/data");
    if (!m || m->kind != VolumeMapping::Kind::Named) {
      error(valueLoc, path,
            fmt::format("invalid volume '{}': expected true, false or a volume name "
                        "([A-Za-z0-9][A-Za-z0-9_.-]*)",
                        *s));
      return;
    }
    r.volume.mode = DataVolume::Mode::Named;
    r.volume.name = *s;
  } else if (k == "ports") {
    if (value.IsNull()) {
      return;
    }
    if (!value.IsSequence()) {
      error(valueLoc, path,
            fmt::format("expected a list of port mappings, got {}", typeName(value)));
      return;
    }
    std::size_t i = 0;
    for (const YAML::Node& item : value) {
      const std::string itemPath = fmt::format("{}[{}]", path, i++);
      const Loc itemLoc = markOf(item, valueLoc);
      record(itemPath, itemLoc);
      if (!item.IsScalar()) {
        error(itemLoc, itemPath,
              fmt::format("expected a port mapping such as 8080 or \"8080:80\", got {}",
                          typeName(item)));
        continue;
      }
      Result<PortMapping> m = parsePortMapping(item.Scalar());
      if (!m) {
        error(itemLoc, itemPath, m.error().message());
        continue;
      }
      r.ports.push_back(*m);
    }
  } else if (k == "env") {
    r.env = readStringMap(value, path, keyLoc, true);
  } else if (k == "secrets") {
    r.secrets = readStringMap(value, path, keyLoc, true);
  } else if (k == "volumes") {
    r.volumes = readStringList(value, path, keyLoc);
  } else if (k == "entrypoint") {
    r.entrypoint = readCommand(value, path, keyLoc, "entrypoint");
  } else if (k == "command") {
    r.command = readCommand(value, path, keyLoc, "command");
  } else if (k == "working_dir") {
    r.workingDir = readString(value, path, keyLoc);
  } else if (k == "context") {
    r.context = readString(value, path, keyLoc).value_or("");
  } else if (k == "dockerfile") {
    r.dockerfile = readString(value, path, keyLoc);
  } else if (k == "build_args") {
    r.buildArgs = readStringMap(value, path, keyLoc, true);
  } else if (k == "target") {
    r.target = readString(value, path, keyLoc);
  } else if (k == "watch") {
    r.watch = walkWatch(r.kind, value, path, keyLoc);
  }
}

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
    Result<runtime::detail::DockerIgnore> parsed = runtime::detail::DockerIgnore::parse(rule.ignore[i]);
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

std::optional<Healthcheck> Loader::walkHealthcheck(const YAML::Node& n, const std::string& path,
                                                   Loc loc) {
  if (n.IsNull() || !expectMap(n, path, loc, "'healthcheck'")) {
    return std::nullopt;
  }
  Healthcheck h;
  bool sawTest = false;
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string fieldPath = path + "." + k;
    const Loc keyLoc = markOf(key, loc);
    record(fieldPath, markOf(value, keyLoc));
    if (k == "test") {
      sawTest = true;
      if (value.IsScalar()) {
        h.test = {"CMD-SHELL", value.Scalar()};
        continue;
      }
      h.test = readStringList(value, fieldPath, keyLoc);
      if (h.test.empty()) {
        error(markOf(value, keyLoc), fieldPath,
              "healthcheck test is empty; expected [\"CMD\", \"prog\", \"arg\"...], "
              "[\"CMD-SHELL\", \"command\"] or a command string");
      } else if (h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE") {
        error(markOf(value, keyLoc), fieldPath + "[0]",
              fmt::format("healthcheck test starts with '{}'; the first item must be CMD, "
                          "CMD-SHELL or NONE",
                          h.test[0]),
              fmt::format("write [\"CMD\", \"{}\", ...] or a plain string for a shell command",
                          h.test[0]));
      } else if (h.test[0] != "NONE" && h.test.size() < 2) {
        error(markOf(value, keyLoc), fieldPath,
              fmt::format("healthcheck test '{}' has no command after it", h.test[0]));
      }
    } else if (k == "interval") {
      h.interval = readDuration(value, fieldPath, keyLoc);
    } else if (k == "timeout") {
      h.timeout = readDuration(value, fieldPath, keyLoc);
    } else if (k == "start_period") {
      h.startPeriod = readDuration(value, fieldPath, keyLoc);
    } else if (k == "retries") {
      if (auto v = readInt(value, fieldPath, keyLoc, 0, 1000000)) {
        h.retries = static_cast<int>(*v);
      }
    } else {
      unknownKey(key, path, "healthcheck", "'healthcheck'");
    }
  }
  if (!sawTest) {
    error(loc, path + ".test", "missing required key 'test' in 'healthcheck'");
  }
  return h;
}

void Loader::walkExport(const YAML::Node& n, Loc loc) {
  if (n.IsNull() || !expectMap(n, "export", loc, "'export'")) {
    return;
  }
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const Loc keyLoc = markOf(key, loc);
    record("export." + k, markOf(value, keyLoc));
    if (k == "compose") {
      walkExportTarget(manifest_.exports.compose, k, value, keyLoc);
    } else if (k == "kubernetes") {
      walkExportTarget(manifest_.exports.kubernetes, k, value, keyLoc);
    } else if (k == "helm") {
      walkExportTarget(manifest_.exports.helm, k, value, keyLoc);
    } else {
      unknownKey(key, "export", "export", "'export'");
    }
  }
}

void Loader::walkExportTarget(ExportTarget& t, std::string_view name, const YAML::Node& n,
                              Loc loc) {
  const std::string path = "export." + std::string(name);
  const std::string context = "export_" + std::string(name);
  t.present = true;
  if (n.IsNull() || !expectMap(n, path, loc, fmt::format("'{}'", path))) {
    return;
  }
  const auto keys = detail::keysFor(context);
  const auto readPolicy = [&](const YAML::Node& v, const std::string& p, Loc l) {
    std::optional<std::string> s = readString(v, p, l);
    if (s && *s != "Always" && *s != "IfNotPresent" && *s != "Never") {
      error(markOf(v, l), p,
            fmt::format("invalid image pull policy '{}': expected Always, IfNotPresent or Never",
                        *s));
      return std::optional<std::string>();
    }
    return s;
  };
  for (const auto& [key, value] : entries(n)) {
    const std::string& k = key.Scalar();
    const std::string fieldPath = path + "." + k;
    const Loc keyLoc = markOf(key, loc);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      unknownKey(key, path, context, fmt::format("'{}'", path));
      continue;
    }
    record(fieldPath, markOf(value, keyLoc));
    if (k == "namespace") {
      t.namespace_ = readString(value, fieldPath, keyLoc);
      if (t.namespace_ && !isDnsLabel(*t.namespace_)) {
        error(markOf(value, keyLoc), fieldPath,
              fmt::format("invalid namespace '{}': expected a DNS label (1 to 63 of a-z, 0-9 and "
                          "'-', starting and ending with a letter or digit)",
                          *t.namespace_));
      }
    } else if (k == "replicas") {
      if (auto v = readInt(value, fieldPath, keyLoc, 0, 1000)) {
        t.replicas = static_cast<int>(*v);
      }
    } else if (k == "image_pull_policy") {
      t.imagePullPolicy = readPolicy(value, fieldPath, keyLoc);
    } else if (k == "chart_name") {
      t.chartName = readString(value, fieldPath, keyLoc);
    } else if (k == "chart_version") {
      t.chartVersion = readString(value, fieldPath, keyLoc);
    } else if (k == "resources") {
      if (value.IsNull() || !expectMap(value, fieldPath, keyLoc, fmt::format("'{}'", fieldPath))) {
        continue;
      }
      // compose: enabled; helm: enabled, replicas; kubernetes: all three.
      const auto allKeys = detail::keysFor("export_resource");
      const std::vector<std::string_view> resourceKeys(
          allKeys.begin(), allKeys.begin() + (name == "compose" ? 1 : name == "helm" ? 2 : 3));
      for (const auto& [rk, rv] : entries(value)) {
        const std::string rPath = fieldPath + "." + rk.Scalar();
        const Loc rLoc = markOf(rk, keyLoc);
        record(rPath, rLoc);
        ExportResource er;
        if (!rv.IsNull() && expectMap(rv, rPath, rLoc, fmt::format("'{}'", rPath))) {
          for (const auto& [fk, fv] : entries(rv)) {
            const std::string& f = fk.Scalar();
            const std::string fPath = rPath + "." + f;
            const Loc fLoc = markOf(fk, rLoc);
            if (std::find(resourceKeys.begin(), resourceKeys.end(), f) == resourceKeys.end()) {
              unknownKey(fk, rPath, resourceKeys, fmt::format("'{}'", rPath));
              continue;
            }
            record(fPath, markOf(fv, fLoc));
            if (f == "enabled") {
              er.enabled = readBool(fv, fPath, fLoc);
            } else if (f == "replicas") {
              if (auto v = readInt(fv, fPath, fLoc, 0, 1000)) {
                er.replicas = static_cast<int>(*v);
              }
            } else {
              er.imagePullPolicy = readPolicy(fv, fPath, fLoc);
            }
          }
        }
        t.resources.emplace_back(rk.Scalar(), std::move(er));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

ParseReport Loader::run() {
  ParseReport out;
  out.source = std::string(source_);
  manifest_.file = file_;
  manifest_.directory = directory_;
  YAML::Node root;
  try {
    const std::string text(source_);
    const DocumentScan documents = scanDocuments(text);
    if (documents.stuckAt) {
      const YAML::Mark m = *documents.stuckAt;
      error(m.line >= 0 ? Loc{m.line + 1, m.column + 1} : Loc{1, 1}, "",
            "invalid YAML: unexpected ',' outside a flow collection ([...] or {...})");
    } else if (documents.documents > 1) {
      const YAML::Mark m = documents.second.value_or(YAML::Mark::null_mark());
      error(m.line >= 0 ? Loc{m.line + 1, m.column + 1} : Loc{1, 1}, "",
            "the file holds more than one YAML document ('---'); a manifest is one document");
    } else {
      root = YAML::Load(text);
    }
  } catch (const YAML::Exception& e) {
    const Loc loc = e.mark.line >= 0 ? Loc{e.mark.line + 1, e.mark.column + 1} : Loc{1, 1};
    error(loc, "", fmt::format("invalid YAML: {}", e.msg));
  } catch (const std::exception& e) {
    error(Loc{1, 1}, "", fmt::format("invalid YAML: {}", e.what()));
  }
  if (diags_.empty()) {
    try {
      if (root.IsNull()) {
        error(Loc{1, 1}, "", "the manifest is empty; expected a mapping with 'project' and "
                             "'resources'");
      } else if (!root.IsMap()) {
        error(markOf(root, Loc{1, 1}), "",
              fmt::format("expected the manifest to be a mapping with 'project' and 'resources', "
                          "got {}",
                          typeName(root)));
      } else if (scan(root, "", 0)) {
        // An unterminated quote swallowed the rest of the file: nothing after it is meaningful.
        const bool swallowed = !diags_.empty() &&
                               diags_.back().message.starts_with("unterminated");
        if (!swallowed) {
          walkTop(root);
          detail::validateManifest(manifest_, diags_);
        }
      }
    } catch (const std::exception& e) {
      error(Loc{1, 1}, "", fmt::format("could not read the manifest: {}", e.what()));
    }
  }
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.location.line, a.location.column) <
           std::pair(b.location.line, b.location.column);
  });
  out.diagnostics = std::move(diags_);
  if (countSeverity(out.diagnostics, Severity::Error) == 0) {
    out.manifest = std::move(manifest_);
  }
  return out;
}

}  // namespace

std::string ParseReport::render(bool color) const {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += renderDiagnostic(d, source, color);
  }
  return out;
}

ParseReport parseManifest(std::string_view text, std::string file,
                          std::filesystem::path directory) {
  // A UTF-8 byte order mark would shift every yaml-cpp mark; drop it.
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  Loader loader(text, std::move(file), std::move(directory));
  return loader.run();
}

ParseReport loadManifestFile(const std::filesystem::path& path) {
  Result<std::string> text = readFile(path);
  if (!text) {
    ParseReport out;
    Diagnostic d;
    d.location.file = path.string();
    d.message = fmt::format("cannot read the manifest: {}", text.error().what());
    out.diagnostics.push_back(std::move(d));
    return out;
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) {
    absolute = path;
  }
  return parseManifest(*text, path.string(), absolute.parent_path());
}

Result<std::filesystem::path> discoverManifest(const DiscoveryOptions& options) {
  namespace fs = std::filesystem;
  const auto explicitFile = [](const fs::path& p, std::string_view how) -> Result<fs::path> {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      return Error(Errc::NotFound, fmt::format("manifest '{}' ({}) is not a readable file",
                                               p.string(), how));
    }
    return p;
  };
  if (options.file) {
    return explicitFile(*options.file, "from -f");
  }
  if (options.envFile && !options.envFile->empty()) {
    return explicitFile(*options.envFile, "from LIGHTSHUTTLE_FILE");
  }
  std::error_code ec;
  fs::path dir = fs::absolute(options.cwd, ec);
  if (ec) {
    dir = options.cwd;
  }
  for (fs::path d = dir;; d = d.parent_path()) {
    for (const char* name : {"lightshuttle.yml", "lightshuttle.yaml"}) {
      if (fs::is_regular_file(d / name, ec)) {
        return d / name;
      }
    }
    if (d == d.parent_path() || d.empty()) {
      break;
    }
  }
  return Error(Errc::NotFound,
               fmt::format("no lightshuttle.yml or lightshuttle.yaml found in '{}' or any parent "
                           "directory; create one or pass -f FILE",
                           dir.string()));
}

}  // namespace ls::manifest
