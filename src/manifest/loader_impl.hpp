// The manifest loader's private state, shared by the files of its passes (loader.cpp: the run;
// scan.cpp: the document count and the structural scan; readers.cpp: readers of one value;
// schema_walk.cpp: the typed walk; watch_rules.cpp: `watch:` rules). Not a public header.
#pragma once

#include <yaml-cpp/mark.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/manifest/loader.hpp"

namespace YAML {
class Node;
}  // namespace YAML

namespace ls::manifest::detail {

struct Loc {
  int line = 0;
  int column = 0;
};

/// How a value reads in a message: "nothing", "the value 'x'", "a list" or "a mapping".
std::string typeName(const YAML::Node& n);
/// A scalar without a tag or quotes (a quoted "true" is a string, not a bool).
bool isPlainScalar(const YAML::Node& n);

struct DocumentScan {
  int documents = 0;                  ///< 0, 1, 2 (2 = at least two)
  std::optional<YAML::Mark> stuckAt;  ///< where yaml-cpp stopped making progress
  std::optional<YAML::Mark> second;   ///< first node of a real second document
};

/// Counts the documents of `text` without building them (see scan.cpp).
DocumentScan scanDocuments(const std::string& text);

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

  Loc markOf(const YAML::Node& n, Loc fallback) const;
  void record(const std::string& path, Loc loc) {
    manifest_.locations.emplace(path, std::make_pair(loc.line, loc.column));
  }

  // --- structural scan (scan.cpp) ----------------------------------------------------------
  /// `kindMap`: `n` is a resource body whose keys are kinds (left out of field paths).
  bool scan(const YAML::Node& n, const std::string& path, int depth, bool kindMap = false);
  void checkQuoted(const YAML::Node& n, const std::string& path);

  // --- readers (readers.cpp) ---------------------------------------------------------------
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
  std::optional<std::chrono::nanoseconds> readDuration(const YAML::Node& n, const std::string& path,
                                                       Loc loc);
  std::vector<std::string> readStringList(const YAML::Node& n, const std::string& path, Loc loc);
  StringMap readStringMap(const YAML::Node& n, const std::string& path, Loc loc, bool envKeys);
  std::optional<std::vector<std::string>> readCommand(const YAML::Node& n, const std::string& path,
                                                      Loc loc, std::string_view what);
  void readDependsOn(Resource& r, const YAML::Node& n, const std::string& path, Loc loc);

  // --- typed walk (schema_walk.cpp; watch rules in watch_rules.cpp) ------------------------
  void walkTop(const YAML::Node& root);
  void walkProject(const YAML::Node& n, Loc loc);
  void walkResources(const YAML::Node& n, Loc loc);
  void walkResource(const std::string& name, Loc nameLoc, const YAML::Node& n);
  void walkResourceField(Resource& r, const std::string& key, const std::string& path, Loc keyLoc,
                         const YAML::Node& value);
  std::optional<Healthcheck> walkHealthcheck(const YAML::Node& n, const std::string& path, Loc loc);
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

}  // namespace ls::manifest::detail
