// `.dockerignore` parsing and matching, with the Docker CLI's and BuildKit's semantics.
//
// Pure: no I/O. The build-context walker asks, for each context-relative path it meets,
// whether the path is excluded and, for an excluded directory, whether it must still descend
// because a later `!` pattern could re-include something beneath it.
//
//   LS_ASSIGN_OR_RETURN(auto ignore, DockerIgnore::parse(text));
//   ignore.alwaysInclude("Dockerfile");
//   if (ignore.excluded("node_modules")) { ... }
//
// Rules, in the order the Docker CLI applies them:
// - One pattern per line; a UTF-8 byte order mark at the start is dropped; a trailing '\r' on
//   a line is dropped. A line whose FIRST character is '#' is a comment (" #x" is a pattern).
// - Leading and trailing white space (Go's unicode.IsSpace) is trimmed; blank lines are ignored.
// - A leading '!' makes an exception (re-include) pattern; the rest is trimmed again.
// - The pattern is cleaned like Go's path.Clean ("./a//b/../c" is "a/c") and one leading '/' is
//   removed. The cleaned text is then read again: "/!x" thus becomes the exception "x", as in
//   Docker. A lone "!" is an error.
// - Syntax is Go's filepath.Match: '*' (a run of non-'/' characters), '?' (one non-'/'
//   character), '[...]' classes with ranges and a leading '^' for negation, and '\' escaping
//   the next character (also inside classes). A '!' inside brackets is a literal, as in Go and
//   Docker (it does not negate); a class may match '/', as in Go. Malformed patterns (unterminated
//   or empty class, a bad range, a trailing '\') are InvalidArgument errors naming the line and the
//   pattern.
// - '**' matches any number of directories, including none: "**/x" matches "x" and "a/b/x";
//   "a/**/b" matches "a/b"; "a/**" matches everything under "a" but not "a" itself. Like
//   Docker, a pattern made of a leading '**' and plain text ("**foo") matches every path that
//   ends with that text ("xfoo" included).
// - A pattern matches a path when it matches the path itself or any of its parent
//   directories, so "build" excludes "build/x/y". The LAST matching pattern decides: excluded
//   when it is a plain pattern, included when it is an exception (or when none matches).
// - Patterns do not distinguish files from directories (a trailing '/' is cleaned away).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::archive {

/// Go's path.Clean for '/'-separated paths: removes empty and "." elements, resolves ".."
/// lexically, keeps a leading '/', and gives "." for an empty result.
std::string cleanSlashPath(std::string_view path);

/// One state of a compiled `.dockerignore` pattern (an NFA read left to right). Internal.
struct GlobNode {
  enum class Kind : std::uint8_t {
    Literal,    ///< one character (its raw bytes in `literal`)
    AnyChar,    ///< '?': one character other than '/'
    AnyRun,     ///< '*': any run of characters other than '/'
    Class,      ///< '[...]': one character in (or, negated, not in) `ranges`
    DeepTail,   ///< trailing '**': anything, '/' included
    DeepEntry,  ///< inner '**': nothing, or anything that ends with '/' ...
    DeepInner,  ///< ... (the state inside that run)
  };
  Kind kind = Kind::Literal;
  bool negated = false;
  std::string literal;
  std::vector<std::pair<char32_t, char32_t>> ranges;
};

class DockerIgnore {
 public:
  /// Parses the text of a `.dockerignore` file. Errors: InvalidArgument, with the message
  /// "line N: invalid pattern '<pattern>': <reason>" (N is 1-based).
  static Result<DockerIgnore> parse(std::string_view text);

  /// True when `relPath` (context-relative, '/'-separated; cleaned first, a leading '/' is
  /// ignored) must be left out of the build context. The context root ("" or ".") is never
  /// excluded.
  bool excluded(std::string_view relPath) const;

  /// For a directory `relDir`: true when some exception pattern could match a path strictly
  /// beneath it (an exception matching `relDir` itself or a parent cannot re-include anything
  /// beneath an excluded `relDir`), so a walker that found `relDir` excluded must still descend
  /// into it, emitting the directory only if something beneath is included. False guarantees
  /// that every path beneath an excluded `relDir` is excluded too. May answer true
  /// conservatively.
  bool mayReincludeUnder(std::string_view relDir) const;

  /// Appends an exception for exactly `relPath` (taken literally, not as a pattern), the way
  /// the Docker CLI keeps the Dockerfile and `.dockerignore` in the context.
  void alwaysInclude(std::string_view relPath);

  /// Number of patterns (exceptions included).
  std::size_t size() const { return patterns_.size(); }
  /// True when at least one pattern is an exception ('!').
  bool hasExceptions() const { return hasExceptions_; }

 private:
  struct Pattern {
    std::string text;  // cleaned pattern without the leading '!', for diagnostics
    bool exception = false;
    bool suffixOnly = false;  // Docker's "**text" shortcut: the path ends with `suffix`
    std::string suffix;
    std::vector<GlobNode> nodes;
  };

  static bool matchesSelfOrParent(const Pattern& pattern, std::string_view path);
  static bool mayMatchBeneath(const Pattern& pattern, std::string_view dirSlash);

  std::vector<Pattern> patterns_;
  bool hasExceptions_ = false;
};

}  // namespace ls::archive
