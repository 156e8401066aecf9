#include "archive/dockerignore.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>

namespace ls::archive {
namespace {

constexpr char32_t kRuneError = 0xFFFD;

struct Rune {
  char32_t value = 0;
  std::size_t width = 1;
};

bool isContinuation(unsigned char c) { return c >= 0x80 && c <= 0xBF; }

// Go's utf8.DecodeRuneInString: a malformed or truncated sequence decodes as U+FFFD of width 1.
Rune decodeRune(std::string_view s, std::size_t pos) {
  const auto c0 = static_cast<unsigned char>(s[pos]);
  if (c0 < 0x80) {
    return {c0, 1};
  }
  std::size_t width = 0;
  char32_t value = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    width = 2;
    value = c0 & 0x1Fu;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    width = 3;
    value = c0 & 0x0Fu;
    lo = c0 == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    hi = c0 == 0xED ? 0x9F : 0xBF;  // no surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    width = 4;
    value = c0 & 0x07u;
    lo = c0 == 0xF0 ? 0x90 : 0x80;
    hi = c0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
  } else {
    return {kRuneError, 1};
  }
  if (pos + width > s.size()) {
    return {kRuneError, 1};
  }
  const auto c1 = static_cast<unsigned char>(s[pos + 1]);
  if (c1 < lo || c1 > hi) {
    return {kRuneError, 1};
  }
  value = (value << 6) | (c1 & 0x3Fu);
  for (std::size_t k = 2; k < width; ++k) {
    const auto c = static_cast<unsigned char>(s[pos + k]);
    if (!isContinuation(c)) {
      return {kRuneError, 1};
    }
    value = (value << 6) | (c & 0x3Fu);
  }
  return {value, width};
}

// Go's unicode.IsSpace.
bool isSpace(char32_t r) {
  if (r < 0x100) {
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  }
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
         r == 0x205F || r == 0x3000;
}

// Go's strings.TrimSpace.
std::string_view trimSpace(std::string_view s) {
  std::size_t start = 0;
  while (start < s.size()) {
    const Rune r = decodeRune(s, start);
    if (!isSpace(r.value)) {
      break;
    }
    start += r.width;
  }
  std::size_t end = start;
  for (std::size_t pos = start; pos < s.size();) {
    const Rune r = decodeRune(s, pos);
    pos += r.width;
    if (!isSpace(r.value)) {
      end = pos;
    }
  }
  return s.substr(start, end - start);
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A context-relative path as the matcher wants it: cleaned, without a leading '/'.
std::string normalizePath(std::string_view path) {
  std::string p = cleanSlashPath(path);
  if (!p.empty() && p.front() == '/') {
    p.erase(0, 1);
  }
  return p.empty() ? std::string(".") : p;
}

}  // namespace

std::string cleanSlashPath(std::string_view path) {
  if (path.empty()) {
    return ".";
  }
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    const std::string_view elem = path.substr(i, j - i);
    if (elem == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(elem);
      }
    } else if (!elem.empty() && elem != ".") {
      parts.push_back(elem);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) {
      out += '/';
    }
    out += parts[k];
  }
  return out.empty() ? std::string(".") : out;
}

// ---- compilation ------------------------------------------------------------------------------

namespace {

// Reads one class member (Go's getEsc) at `pos`. Returns the reason on a syntax error.
std::optional<std::string> classMember(std::string_view p, std::size_t& pos, bool upperBound,
                                       char32_t& out) {
  if (pos >= p.size()) {
    return "unterminated character class";
  }
  if (p[pos] == '-') {
    return "misplaced '-' in character class";
  }
  if (p[pos] == ']') {
    return upperBound ? "incomplete range in character class" : "empty character class";
  }
  if (p[pos] == '\\') {
    ++pos;
    if (pos >= p.size()) {
      return "unterminated character class";
    }
  }
  const Rune r = decodeRune(p, pos);
  if (r.value == kRuneError && r.width == 1) {
    return "invalid utf-8 in character class";
  }
  pos += r.width;
  if (pos >= p.size()) {
    return "unterminated character class";
  }
  out = r.value;
  return std::nullopt;
}

using Kind = GlobNode::Kind;

// Compiles the body of a pattern (no leading '!'); returns the reason on a syntax error.
std::optional<std::string> compileGlob(std::string_view p, std::vector<GlobNode>& nodes) {
  std::size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        i += 2;
        if (i < p.size() && p[i] == '/') {
          ++i;
        }
        if (i >= p.size()) {
          nodes.push_back({.kind = Kind::DeepTail});
        } else {
          nodes.push_back({.kind = Kind::DeepEntry});
          nodes.push_back({.kind = Kind::DeepInner});
        }
      } else {
        nodes.push_back({.kind = Kind::AnyRun});
        ++i;
      }
    } else if (c == '?') {
      nodes.push_back({.kind = Kind::AnyChar});
      ++i;
    } else if (c == '[') {
      GlobNode node{.kind = Kind::Class};
      std::size_t j = i + 1;
      if (j < p.size() && p[j] == '^') {
        node.negated = true;
        ++j;
      }
      for (;;) {
        if (j < p.size() && p[j] == ']' && !node.ranges.empty()) {
          ++j;
          break;
        }
        char32_t lo = 0;
        if (auto reason = classMember(p, j, false, lo)) {
          return reason;
        }
        char32_t hi = lo;
        if (p[j] == '-') {  // classMember guarantees j < p.size()
          ++j;
          if (auto reason = classMember(p, j, true, hi)) {
            return reason;
          }
        }
        node.ranges.emplace_back(lo, hi);
      }
      nodes.push_back(std::move(node));
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) {
        return "trailing backslash";
      }
      const Rune r = decodeRune(p, i + 1);
      nodes.push_back({.kind = Kind::Literal, .literal = std::string(p.substr(i + 1, r.width))});
      i += 1 + r.width;
    } else {
      const Rune r = decodeRune(p, i);
      nodes.push_back({.kind = Kind::Literal, .literal = std::string(p.substr(i, r.width))});
      i += r.width;
    }
  }
  return std::nullopt;
}

void compileLiteral(std::string_view p, std::vector<GlobNode>& nodes) {
  for (std::size_t i = 0; i < p.size();) {
    const Rune r = decodeRune(p, i);
    nodes.push_back({.kind = Kind::Literal, .literal = std::string(p.substr(i, r.width))});
    i += r.width;
  }
}

// ---- matching ---------------------------------------------------------------------------------

// Simulates a pattern's NFA over a path, one character at a time. States are node indexes;
// index nodes.size() is "matched". Epsilon moves only go forward, so one pass closes a set.
class Simulation {
 public:
  explicit Simulation(const std::vector<GlobNode>& nodes)
      : nodes_(nodes), cur_(nodes.size() + 1, 0), next_(nodes.size() + 1, 0) {
    cur_[0] = 1;
    close(cur_);
  }

  bool accepting() const { return cur_[nodes_.size()] != 0; }
  bool alive() const { return alive_; }
  /// Some state short of "matched" is active: more input could still match.
  bool pending() const {
    return std::any_of(cur_.begin(), cur_.end() - 1, [](std::uint8_t s) { return s != 0; });
  }

  void step(std::string_view unit, char32_t rune) {
    std::fill(next_.begin(), next_.end(), std::uint8_t{0});
    const bool slash = unit == "/";
    bool any = false;
    auto set = [&](std::size_t k) {
      next_[k] = 1;
      any = true;
    };
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
      if (cur_[k] == 0) {
        continue;
      }
      const GlobNode& n = nodes_[k];
      switch (n.kind) {
        case Kind::Literal:
          if (unit == n.literal) {
            set(k + 1);
          }
          break;
        case Kind::AnyChar:
          if (!slash) {
            set(k + 1);
          }
          break;
        case Kind::AnyRun:
          if (!slash) {
            set(k);
          }
          break;
        case Kind::Class: {
          bool in = false;
          for (const auto& [lo, hi] : n.ranges) {
            if (lo <= rune && rune <= hi) {
              in = true;
              break;
            }
          }
          if (in != n.negated) {
            set(k + 1);
          }
          break;
        }
        case Kind::DeepTail: set(k); break;
        case Kind::DeepEntry:
          set(k + 1);
          if (slash) {
            set(k + 2);
          }
          break;
        case Kind::DeepInner:
          set(k);
          if (slash) {
            set(k + 1);
          }
          break;
      }
    }
    close(next_);
    cur_.swap(next_);
    alive_ = any;
  }

 private:
  void close(std::vector<std::uint8_t>& set) const {
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
      if (set[k] == 0) {
        continue;
      }
      const Kind kind = nodes_[k].kind;
      if (kind == Kind::AnyRun || kind == Kind::DeepTail) {
        set[k + 1] = 1;
      } else if (kind == Kind::DeepEntry) {
        set[k + 2] = 1;
      }
    }
  }

  const std::vector<GlobNode>& nodes_;
  std::vector<std::uint8_t> cur_;
  std::vector<std::uint8_t> next_;
  bool alive_ = true;
};

}  // namespace

bool DockerIgnore::matchesSelfOrParent(const Pattern& pattern, std::string_view path) {
  if (pattern.suffixOnly) {
    auto matches = [&](std::string_view p) {
      return endsWith(p, pattern.suffix) ||
             (!pattern.suffix.empty() && pattern.suffix.front() == '/' &&
              p == std::string_view(pattern.suffix).substr(1));
    };
    for (std::size_t pos = path.find('/'); pos != std::string_view::npos;
         pos = path.find('/', pos + 1)) {
      if (matches(path.substr(0, pos))) {
        return true;
      }
    }
    return matches(path);
  }
  Simulation sim(pattern.nodes);
  for (std::size_t pos = 0; pos < path.size();) {
    const Rune r = decodeRune(path, pos);
    const std::string_view unit = path.substr(pos, r.width);
    if (unit == "/" && sim.accepting()) {
      return true;  // the pattern matches the parent directory path[0, pos)
    }
    sim.step(unit, r.value);
    if (!sim.alive()) {
      return false;
    }
    pos += r.width;
  }
  return sim.accepting();
}

bool DockerIgnore::mayMatchBeneath(const Pattern& pattern, std::string_view dirSlash) {
  if (pattern.suffixOnly) {
    return true;
  }
  Simulation sim(pattern.nodes);
  for (std::size_t pos = 0; pos < dirSlash.size();) {
    const Rune r = decodeRune(dirSlash, pos);
    sim.step(dirSlash.substr(pos, r.width), r.value);
    if (!sim.alive()) {
      return false;
    }
    pos += r.width;
  }
  return sim.pending();
}

// ---- public API -------------------------------------------------------------------------------

Result<DockerIgnore> DockerIgnore::parse(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) {
    text.remove_prefix(kBom.size());
  }
  DockerIgnore ignore;
  int lineNo = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty() && line.front() == '#') {
      continue;
    }
    const std::string_view written = trimSpace(line);
    if (written.empty()) {
      continue;
    }
    // First pass, as the CLI reads the file: split off '!', clean, drop a leading '/'.
    std::string_view body = written;
    const bool invert = body.front() == '!';
    if (invert) {
      body = trimSpace(body.substr(1));
    }
    std::string pattern(body);
    if (!pattern.empty()) {
      pattern = cleanSlashPath(pattern);
      if (pattern.size() > 1 && pattern.front() == '/') {
        pattern.erase(0, 1);
      }
    }
    if (invert) {
      pattern.insert(0, 1, '!');
    }
    // Second pass, as the matcher reads the list: trim, clean, then '!' again.
    std::string_view again = trimSpace(pattern);
    if (again.empty()) {
      continue;
    }
    std::string cleaned = cleanSlashPath(again);
    Pattern compiled;
    if (cleaned.front() == '!') {
      if (cleaned.size() == 1) {
        return Error(Errc::InvalidArgument, "line " + std::to_string(lineNo) +
                                                ": invalid pattern '" + std::string(written) +
                                                "': '!' needs a pattern after it");
      }
      compiled.exception = true;
      cleaned.erase(0, 1);
    }
    if (auto reason = compileGlob(cleaned, compiled.nodes)) {
      return Error(Errc::InvalidArgument, "line " + std::to_string(lineNo) + ": invalid pattern '" +
                                              std::string(written) + "': " + *reason);
    }
    // Docker's shortcut for "**" followed by plain text: a suffix test, not a regexp.
    if (cleaned.size() >= 2 && cleaned.compare(0, 2, "**") == 0 &&
        cleaned.find_first_of("*?[]\\", 2) == std::string::npos) {
      compiled.suffixOnly = true;
      compiled.suffix = cleaned.substr(2);
    }
    compiled.text = std::move(cleaned);
    ignore.hasExceptions_ = ignore.hasExceptions_ || compiled.exception;
    ignore.patterns_.push_back(std::move(compiled));
  }
  return ignore;
}

bool DockerIgnore::excluded(std::string_view relPath) const {
  const std::string path = normalizePath(relPath);
  if (path == ".") {
    return false;
  }
  bool matched = false;
  for (const Pattern& pattern : patterns_) {
    // Only a pattern that can flip the verdict needs evaluating: the last match decides.
    if (pattern.exception != matched) {
      continue;
    }
    if (matchesSelfOrParent(pattern, path)) {
      matched = !pattern.exception;
    }
  }
  return matched;
}

bool DockerIgnore::mayReincludeUnder(std::string_view relDir) const {
  if (!hasExceptions_) {
    return false;
  }
  const std::string dir = normalizePath(relDir);
  if (dir == ".") {
    return true;
  }
  const std::string dirSlash = dir + "/";
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [&](const Pattern& p) { return p.exception && mayMatchBeneath(p, dirSlash); });
}

void DockerIgnore::alwaysInclude(std::string_view relPath) {
  std::string path = normalizePath(relPath);
  if (path == ".") {
    return;
  }
  Pattern pattern;
  pattern.exception = true;
  compileLiteral(path, pattern.nodes);
  pattern.text = std::move(path);
  patterns_.push_back(std::move(pattern));
  hasExceptions_ = true;
}

}  // namespace ls::archive
