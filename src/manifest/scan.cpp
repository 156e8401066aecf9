// The loader's structural scan: the document count, duplicate keys, open quotes, alias bombs.
#include <fmt/core.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <unordered_map>

#include "manifest/loader_impl.hpp"

namespace ls::manifest::detail {
namespace {

// Nodes visited by the structural scan before giving up (aliases can make a small file expand
// into a huge tree).
constexpr std::size_t kNodeBudget = 200'000;
// Deepest nesting the structural scan follows (a manifest needs about 8).
constexpr int kMaxDepth = 64;

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

}  // namespace

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

}  // namespace ls::manifest::detail
