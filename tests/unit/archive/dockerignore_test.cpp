#include "archive/dockerignore.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ls::archive {
namespace {

struct MatchCase {
  std::string_view patterns;  // the .dockerignore text
  std::string_view path;      // context-relative path
  bool excluded;
  std::string_view rule;  // what the row exercises
};

// clang-format off
const std::vector<MatchCase> kMatchCases = {
  // Plain names are anchored at the context root.
  {"foo", "foo", true, "exact name"},
  {"foo", "foobar", false, "no implicit prefix match"},
  {"foo", "a/foo", false, "anchored at the root, not at any depth"},
  // Parent-directory rule: a pattern matching a parent excludes everything beneath it.
  {"foo", "foo/bar", true, "parent directory matches"},
  {"a/b", "a/b/c/d", true, "deep descendant of a matched directory"},
  {"a/b", "a/bc", false, "parent rule works on whole path components"},
  {"a*", "abc/def", true, "glob matching the parent directory"},
  {"*", "a/b", true, "'*' matches the top-level parent"},
  // '*', '?'
  {"*.md", "README.md", true, "'*' within a component"},
  {"*.md", "docs/README.md", false, "'*' does not cross '/'"},
  {"*/*.md", "docs/README.md", true, "one '*' per component"},
  {"a/*/c", "a/b/d/c", false, "'*' matches exactly one component"},
  {"?.txt", "a.txt", true, "'?' matches one character"},
  {"?.txt", "ab.txt", false, "'?' matches only one character"},
  {"a?b", "a/b", false, "'?' does not match '/'"},
  {"a?c", "a\xC3\xA9" "c", true, "'?' matches one multi-byte character"},
  // Character classes (Go filepath.Match syntax).
  {"[abc].txt", "b.txt", true, "class member"},
  {"[abc].txt", "d.txt", false, "not a class member"},
  {"[a-c][0-9]", "b7", true, "ranges"},
  {"[^a-c]x", "bx", false, "'^' negates a class"},
  {"[^a-c]x", "dx", true, "'^' negation matches outside the range"},
  {"[!a]x", "!x", true, "'!' in a class is a literal, as in Go and Docker"},
  {"[!a]x", "bx", false, "'!' in a class does not negate"},
  {"[\\]]", "]", true, "escaped ']' inside a class"},
  // Escapes.
  {"\\*.txt", "*.txt", true, "escaped '*' is literal"},
  {"\\*.txt", "a.txt", false, "escaped '*' is not a wildcard"},
  {"\\[x\\]", "[x]", true, "escaped brackets are literal"},
  {"\\a", "a", true, "escaping an ordinary character"},
  // '**'
  {"**/foo", "foo", true, "leading '**/' matches zero directories"},
  {"**/foo", "a/b/foo", true, "leading '**/' matches several directories"},
  {"**/foo", "a/xfoo", false, "'**/foo' needs a whole component"},
  {"**/node_modules", "a/node_modules/b/c", true, "'**' plus the parent rule"},
  {"**/*.go", "x/y/z.go", true, "'**' followed by a glob"},
  {"**/*.go", "z.go", true, "'**' followed by a glob, zero directories"},
  {"a/**/b", "a/b", true, "middle '**' matches zero directories"},
  {"a/**/b", "a/x/y/b", true, "middle '**' matches several directories"},
  {"a/**/b", "a/x/c", false, "middle '**' still needs the rest"},
  {"foo/**", "foo/a/b", true, "trailing '**' matches everything beneath"},
  {"foo/**", "foo", false, "trailing '**' does not match the directory itself"},
  {"**", "any/thing", true, "'**' alone matches everything"},
  {"**foo", "a/xfoo", true, "Docker's shortcut: '**text' is a suffix test"},
  // Negation and order: the last matching pattern wins.
  {"*.md\n!README.md", "README.md", false, "exception re-includes"},
  {"*.md\n!README.md", "CHANGES.md", true, "exception is specific"},
  {"!README.md\n*.md", "README.md", true, "a later pattern overrides an earlier exception"},
  {"*.log\n!important.log\n*.log", "important.log", true, "exclude, include, exclude again"},
  {"docs\n!docs/keep.txt", "docs/keep.txt", false, "re-include beneath an excluded directory"},
  {"docs\n!docs/keep.txt", "docs/other.txt", true, "siblings stay excluded"},
  {"docs\n!docs/keep.txt", "docs", true, "the directory itself stays excluded"},
  {"docs/*\n!docs/keep", "docs/keep/x", false, "an exception covers what is beneath it"},
  {"*\n!keep", "keep/sub/file", false, "re-include a whole tree"},
  {"dir\n!dir/sub\ndir/sub/x", "dir/sub/y", false, "directory re-included"},
  {"dir\n!dir/sub\ndir/sub/x", "dir/sub/x", true, "then excluded again beneath it"},
  {"foo\n! foo", "foo", false, "white space after '!' is trimmed"},
  // Comments, blank lines, white space.
  {"#foo", "#foo", false, "'#' line is a comment"},
  {" #foo", "#foo", true, "'#' after white space is a pattern"},
  {"# comment\n\n   \n\tfoo  \n", "foo", true, "blank lines and surrounding white space"},
  {"\xC2\xA0" "foo" "\xC2\xA0", "foo", true, "unicode white space is trimmed like Go"},
  {"\xEF\xBB\xBF" "foo", "foo", true, "UTF-8 byte order mark"},
  {"foo\r\nbar\r\n", "bar", true, "CRLF line endings"},
  // Pattern cleaning.
  {"/foo", "foo", true, "leading '/' removed"},
  {"./foo", "foo", true, "leading './' removed"},
  {"foo/", "foo", true, "trailing '/' removed"},
  {"foo/", "foo/x", true, "trailing '/' removed, parent rule applies"},
  {"a/../b", "b", true, "'..' resolved"},
  {"a//b/./c", "a/b/c", true, "empty and '.' elements removed"},
  {"x\n/!x", "x", false, "Docker quirk: '/!x' is cleaned into the exception '!x'"},
  // Paths given to excluded() are cleaned too; the root is never excluded.
  {"foo", "./foo", true, "path './foo'"},
  {"foo", "foo/", true, "path 'foo/'"},
  {"*", "", false, "empty path is the root"},
  {"*", ".", false, "'.' is the root"},
};
// clang-format on

TEST(DockerIgnoreTest, MatchTable) {
  // Ensures every .dockerignore rule gives Docker's verdict on the rows of the table.
  ASSERT_GE(kMatchCases.size(), 40u);
  for (const MatchCase& c : kMatchCases) {
    SCOPED_TRACE(testing::Message()
                 << "patterns '" << c.patterns << "', path '" << c.path << "': " << c.rule);
    auto ignore = DockerIgnore::parse(c.patterns);
    ASSERT_TRUE(ignore.has_value()) << ignore.error().what();
    EXPECT_EQ(ignore->excluded(c.path), c.excluded);
  }
}

struct ReincludeCase {
  std::string_view patterns;
  std::string_view dir;
  bool mayReinclude;
};

TEST(DockerIgnoreTest, MayReincludeUnderTable) {
  // Ensures the walker descends into an excluded directory exactly when an exception could
  // match beneath it.
  const std::vector<ReincludeCase> cases = {
      {"build", "build", false},               // no exceptions at all
      {"docs\n!docs/keep.txt", "docs", true},  // literal exception beneath
      {"vendor\n!*.go", "vendor", false},      // '*.go' only matches at the top level
      {"vendor\n!**/*.go", "vendor", true},    // '**' reaches any depth
      {"a\n!a/b/c", "a/b", true},              // on the way to the exception
      {"a\n!a/b/c", "a/x", false},             // elsewhere
      {"!a/b/c\na", "a/b/c", false},           // matches the directory itself: no help
      {"x\n!x*", "x", false},                  // 'x*' cannot continue past "x/"
      {"a\n!**keep", "a", true},               // suffix shortcut: conservative
      {"a\n![a-c]/keep", "b", true},           // class in the first component
      {"a\n![a-c]/keep", "d", false},          // class excludes the directory
      {"*\n!src", ".", true},                  // the root holds everything
  };
  for (const ReincludeCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "patterns '" << c.patterns << "', dir '" << c.dir << "'");
    auto ignore = DockerIgnore::parse(c.patterns);
    ASSERT_TRUE(ignore.has_value()) << ignore.error().what();
    EXPECT_EQ(ignore->mayReincludeUnder(c.dir), c.mayReinclude);
  }
}

TEST(DockerIgnoreTest, NoReincludeMeansEverythingBeneathIsExcluded) {
  // Ensures a "no" from mayReincludeUnder is safe: nothing beneath that directory is included.
  auto ignore = DockerIgnore::parse("vendor\n!*.go\n!vendor2/x\n");
  ASSERT_TRUE(ignore.has_value());
  ASSERT_TRUE(ignore->excluded("vendor"));
  ASSERT_FALSE(ignore->mayReincludeUnder("vendor"));
  for (std::string_view p : {"vendor/a.go", "vendor/x/y.go", "vendor/main.go"}) {
    EXPECT_TRUE(ignore->excluded(p)) << p;
  }
}

TEST(DockerIgnoreTest, MalformedPatternsNameLineAndPattern) {
  // Ensures a malformed pattern is an InvalidArgument naming the line number and the pattern.
  struct Bad {
    std::string_view text;
    std::string_view expected;  // substring of the message
  };
  const std::vector<Bad> cases = {
      {"ok\n[abc\n", "line 2: invalid pattern '[abc': unterminated character class"},
      {"foo\\", "line 1: invalid pattern 'foo\\': trailing backslash"},
      {"# c\n\n[]", "line 3: invalid pattern '[]': empty character class"},
      {"[a-]", "incomplete range in character class"},
      {"[-a]", "misplaced '-' in character class"},
      {"[^]", "empty character class"},
      {"x\n!", "line 2: invalid pattern '!': '!' needs a pattern after it"},
      {"!  ", "line 1: invalid pattern '!'"},
      {"[\xFF]", "invalid utf-8 in character class"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(testing::Message() << "text '" << c.text << "'");
    auto ignore = DockerIgnore::parse(c.text);
    ASSERT_FALSE(ignore.has_value());
    EXPECT_EQ(ignore.error().code(), Errc::InvalidArgument);
    EXPECT_NE(ignore.error().message().find(c.expected), std::string::npos)
        << ignore.error().message();
  }
}

TEST(DockerIgnoreTest, CommentsAndBlankLinesAddNoPatterns) {
  // Ensures comments and blank lines are dropped and exceptions are counted.
  auto ignore = DockerIgnore::parse("# top\n\n  \n*.tmp\n#!x\n!keep.tmp\n");
  ASSERT_TRUE(ignore.has_value());
  EXPECT_EQ(ignore->size(), 2u);
  EXPECT_TRUE(ignore->hasExceptions());
  auto none = DockerIgnore::parse("");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->size(), 0u);
  EXPECT_FALSE(none->excluded("anything"));
}

TEST(DockerIgnoreTest, AlwaysIncludeIsLiteralAndWins) {
  // Ensures alwaysInclude re-includes exactly its path, with glob characters taken literally.
  auto ignore = DockerIgnore::parse("*\n");
  ASSERT_TRUE(ignore.has_value());
  ignore->alwaysInclude("Dockerfile");
  ignore->alwaysInclude("sub/[x]/Dockerfile");
  EXPECT_FALSE(ignore->excluded("Dockerfile"));
  EXPECT_TRUE(ignore->excluded("Dockerfile.dev"));
  EXPECT_FALSE(ignore->excluded("sub/[x]/Dockerfile"));
  EXPECT_TRUE(ignore->excluded("sub/x/Dockerfile"));
  EXPECT_TRUE(ignore->excluded("sub/[x]/other"));
  EXPECT_TRUE(ignore->mayReincludeUnder("sub/[x]"));
  EXPECT_FALSE(ignore->mayReincludeUnder("sub/x"));
}

TEST(DockerIgnoreTest, CleanSlashPathFollowsGo) {
  // Ensures path cleaning gives the results of Go's path.Clean.
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"", "."},
      {".", "."},
      {"a/", "a"},
      {"./a//b", "a/b"},
      {"a/./b/../c", "a/c"},
      {"a/..", "."},
      {"..", ".."},
      {"../../a", "../../a"},
      {"a/../../b", "../b"},
      {"/", "/"},
      {"//a", "/a"},
      {"/../a", "/a"},
      {"/..", "/"},
      {"a/b/", "a/b"},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(cleanSlashPath(in), out) << "'" << in << "'";
  }
}

}  // namespace
}  // namespace ls::archive
