#include "control/lines.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ls::control::detail {
namespace {

using Lines = std::vector<std::string>;

Lines append(Lines a, const Lines& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Lines as "size:first bytes" so a failure with 64 KiB lines stays readable.
std::vector<std::string> summary(const Lines& lines) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    out.push_back(std::to_string(l.size()) + ":" + l.substr(0, 8) + (l.size() > 8 ? "..." : ""));
  }
  return out;
}

Lines splitPieces(const std::vector<std::string_view>& pieces) {
  LineSplitter s;
  Lines out;
  for (std::string_view p : pieces) {
    out = append(std::move(out), s.feed(p));
  }
  return append(std::move(out), s.flush());
}

TEST(LineSplitterTest, SplitsLinesWithLfAndCrlf) {
  // Ensures feed returns the complete lines without their "\n" or "\r\n", keeps a lone "\r"
  // inside a line, and flush returns the unterminated rest once.
  struct Case {
    std::string label;
    std::string input;
    Lines lines;
  };
  const std::vector<Case> cases = {
      {"empty", "", {}},
      {"one line", "a\n", {"a"}},
      {"no newline", "abc", {"abc"}},
      {"two lines and a rest", "a\nb\nc", {"a", "b", "c"}},
      {"crlf", "a\r\nb\r\n", {"a", "b"}},
      {"mixed", "a\r\nb\nc\r\n", {"a", "b", "c"}},
      {"empty lines", "\n\n\r\n", {"", "", ""}},
      {"lone cr inside", "a\rb\n", {"a\rb"}},
      {"cr cr lf", "a\r\r\n", {"a\r"}},
      {"cr at the very end", "a\r", {"a\r"}},
      {"nul bytes", std::string("a\0b\n", 4), {std::string("a\0b", 3)}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(splitPieces({c.input}), c.lines) << c.label;
  }
}

TEST(LineSplitterTest, GivesTheSameLinesWhereverTheInputIsSplit) {
  // Ensures a chunk boundary at any byte (inside a line, between "\r" and "\n", right after a
  // newline) changes nothing, in two and in three pieces.
  const std::string input = "first\r\nsecond\n\nthird line\r\r\n\r\nlast without newline";
  const Lines whole = splitPieces({input});
  ASSERT_EQ(whole, (Lines{"first", "second", "", "third line\r", "", "last without newline"}));
  const std::string_view in(input);
  for (std::size_t i = 0; i <= in.size(); ++i) {
    EXPECT_EQ(splitPieces({in.substr(0, i), in.substr(i)}), whole) << "split at " << i;
    for (std::size_t j = i; j <= in.size(); ++j) {
      EXPECT_EQ(splitPieces({in.substr(0, i), in.substr(i, j - i), in.substr(j)}), whole)
          << "split at " << i << " and " << j;
    }
  }
  Lines bytewise;
  LineSplitter s;
  for (char c : input) {
    bytewise = append(std::move(bytewise), s.feed(std::string_view(&c, 1)));
  }
  EXPECT_EQ(append(std::move(bytewise), s.flush()), whole);
}

TEST(LineSplitterTest, CutsLinesLongerThanTheLimit) {
  // Ensures a line past kMaxLine is returned in pieces of exactly kMaxLine (the last shorter),
  // whether it arrives at once or in small chunks, so a flood without newlines stays bounded.
  constexpr std::size_t kMax = LineSplitter::kMaxLine;
  const std::string exact(kMax, 'x');
  const std::string longer = std::string(kMax, 'a') + std::string(kMax, 'b') + "tail";
  EXPECT_EQ(summary(splitPieces({exact + "\n"})), summary({exact}));
  EXPECT_EQ(summary(splitPieces({longer + "\nnext\n"})),
            summary({std::string(kMax, 'a'), std::string(kMax, 'b'), "tail", "next"}));

  LineSplitter s;
  Lines out;
  const std::string chunk(1024, 'z');
  for (std::size_t sent = 0; sent < 3 * kMax; sent += chunk.size()) {
    out = append(std::move(out), s.feed(chunk));
  }
  ASSERT_EQ(out.size(), 2u) << "a complete piece is returned as soon as more bytes follow it";
  EXPECT_EQ(out[0].size(), kMax);
  EXPECT_EQ(out[1].size(), kMax);
  const Lines rest = s.flush();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].size(), kMax);
}

TEST(LineSplitterTest, DoesNotTurnTheCrOfALineAtTheLimitIntoAnExtraLine) {
  // Ensures a line of exactly kMaxLine bytes ends the same with "\r\n" as with "\n" (one line,
  // not the line and an empty one made of its "\r"), wherever the input is split, while a "\r"
  // that is content past the limit still starts the next piece.
  constexpr std::size_t kMax = LineSplitter::kMaxLine;
  const std::string exact(kMax, 'x');
  struct Case {
    std::string label;
    std::string input;
    Lines lines;
  };
  const std::vector<Case> cases = {
      {"crlf at the limit", exact + "\r\nnext\r\n", {exact, "next"}},
      {"cr as content at the limit", exact + "\rmore\n", {exact, "\rmore"}},
      {"cr at the limit, then the end", exact + "\r", {exact, "\r"}},
      {"crlf one past the limit", exact + "y\r\n", {exact, "y"}},
      {"crlf one short of the limit", exact.substr(1) + "\r\n", {exact.substr(1)}},
      {"cr cr lf at the limit", exact + "\r\r\n", {exact, "\r"}},
  };
  for (const Case& c : cases) {
    const std::string_view in(c.input);
    for (std::size_t i = kMax - 3; i <= in.size(); ++i) {
      EXPECT_EQ(summary(splitPieces({in.substr(0, i), in.substr(i)})), summary(c.lines))
          << c.label << ", split at " << i;
    }
    EXPECT_EQ(summary(splitPieces({in})), summary(c.lines)) << c.label;
  }
}

TEST(LineSplitterTest, FlushesOnlyOnce) {
  // Ensures flush empties the splitter: a second flush, or a flush after a complete line, gives
  // nothing, and feeding afterwards starts a fresh line.
  LineSplitter s;
  EXPECT_EQ(s.feed("a\nb"), Lines{"a"});
  EXPECT_EQ(s.flush(), Lines{"b"});
  EXPECT_EQ(s.flush(), Lines{});
  EXPECT_EQ(s.feed("c\n"), Lines{"c"});
  EXPECT_EQ(s.flush(), Lines{});
}

}  // namespace
}  // namespace ls::control::detail
