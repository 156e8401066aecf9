#include "engine/timestamp.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

namespace ls::engine {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

constexpr Timestamp at(year_month_day date, nanoseconds timeOfDay) {
  return sys_days{date} + timeOfDay;
}

constexpr nanoseconds hms(int h, int m, int s, std::int64_t ns = 0) {
  return hours{h} + minutes{m} + seconds{s} + nanoseconds{ns};
}

TEST(TimestampTest, ParsesTheFormsTheEngineWrites) {
  // Ensures 9, fewer and no fraction digits, 'Z' and numeric offsets all parse to the instant.
  struct Case {
    const char* text;
    Timestamp expected;
  };
  const std::vector<Case> cases = {
      {"2024-05-01T12:34:56.123456789Z", at(2024y / May / 1, hms(12, 34, 56, 123456789))},
      {"2024-05-01T12:34:56.1234Z", at(2024y / May / 1, hms(12, 34, 56, 123400000))},
      {"2024-05-01T12:34:56.1Z", at(2024y / May / 1, hms(12, 34, 56, 100000000))},
      {"2024-05-01T12:34:56.000000001Z", at(2024y / May / 1, hms(12, 34, 56, 1))},
      {"2024-05-01T12:34:56Z", at(2024y / May / 1, hms(12, 34, 56))},
      {"2024-05-01T14:34:56.5+02:00", at(2024y / May / 1, hms(12, 34, 56, 500000000))},
      {"2024-05-01T07:04:56-05:30", at(2024y / May / 1, hms(12, 34, 56))},
      {"2024-05-01T12:34:56-00:00", at(2024y / May / 1, hms(12, 34, 56))},
      {"2024-05-01T12:34:56+00:00", at(2024y / May / 1, hms(12, 34, 56))},
      {"2024-01-01T01:00:00+02:00", at(2023y / December / 31, hms(23, 0, 0))},
      {"2023-12-31T23:30:00-01:00", at(2024y / January / 1, hms(0, 30, 0))},
      {"2024-05-01t12:34:56z", at(2024y / May / 1, hms(12, 34, 56))},
      {"1970-01-01T00:00:00Z", Timestamp{}},
      {"1969-12-31T23:59:59.999999999Z", Timestamp{} - 1ns},
      {"2024-02-29T00:00:00Z", at(2024y / February / 29, hms(0, 0, 0))},
      {"2000-02-29T23:59:59Z", at(2000y / February / 29, hms(23, 59, 59))},
      {"2262-04-11T23:47:16.854775807Z", Timestamp::max()},
      {"1677-09-21T00:12:43.145224192Z", Timestamp::min()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto ts = parseRfc3339(c.text);
    ASSERT_TRUE(ts) << ts.error().what();
    EXPECT_EQ(*ts, c.expected);
  }
}

TEST(TimestampTest, FormatOfParseRoundTrips) {
  // Ensures formatting gives UTC with 9 digits, and parsing what we format is the identity.
  struct Case {
    const char* text;
    const char* canonical;
  };
  const std::vector<Case> cases = {
      {"2024-05-01T12:34:56.123456789Z", "2024-05-01T12:34:56.123456789Z"},
      {"2024-05-01T12:34:56.12Z", "2024-05-01T12:34:56.120000000Z"},
      {"2024-05-01T12:34:56Z", "2024-05-01T12:34:56.000000000Z"},
      {"2024-05-01T14:34:56.5+02:00", "2024-05-01T12:34:56.500000000Z"},
      {"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00.000000000Z"},
      {"1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z"},
      {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000000Z"},
      {"2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775807Z"},
      {"1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224192Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto ts = parseRfc3339(c.text);
    ASSERT_TRUE(ts) << ts.error().what();
    const std::string formatted = formatRfc3339Nano(*ts);
    EXPECT_EQ(formatted, c.canonical);
    auto again = parseRfc3339(formatted);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *ts);
  }
}

TEST(TimestampTest, FormatHandlesTheWholeRange) {
  // Ensures every representable instant, including the extremes, formats and parses back.
  const std::vector<Timestamp> instants = {
      Timestamp::min(),
      Timestamp::min() + 1ns,
      Timestamp{} - 1ns,
      Timestamp{},
      Timestamp::max() - 1ns,
      Timestamp::max(),
      at(2024y / December / 31, hms(23, 59, 59, 999)),
  };
  for (Timestamp t : instants) {
    const std::string text = formatRfc3339Nano(t);
    SCOPED_TRACE(text);
    ASSERT_EQ(text.size(), 30u);
    auto back = parseRfc3339(text);
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(*back, t);
  }
}

TEST(TimestampTest, RejectsInvalidInput) {
  // Ensures each malformed or impossible timestamp is InvalidArgument naming the text.
  const std::vector<std::string> cases = {
      "",
      "2024",
      "2024-05-01",
      "2024-05-01 12:34:56Z",
      "2024-05-01X12:34:56Z",
      "2024-05-01T12:34:56",
      "2024-05-01T12:34:56.Z",
      "2024-05-01T12:34:56.1234567890Z",
      "2024-05-01T12:34:56.123456789",
      "2024-05-01T12:34:56ZZ",
      "2024-05-01T12:34:56Z ",
      " 2024-05-01T12:34:56Z",
      "2024-05-01T12:34:56+02",
      "2024-05-01T12:34:56+0200",
      "2024-05-01T12:34:56+02:0",
      "2024-05-01T12:34:56+24:00",
      "2024-05-01T12:34:56+02:60",
      "2024-05-01T12:34:56+02:00 trailing",
      "2024-13-01T00:00:00Z",
      "2024-00-01T00:00:00Z",
      "2024-05-00T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2024-05-01T24:00:00Z",
      "2024-05-01T12:60:00Z",
      "2024-05-01T12:34:60Z",
      "2024-5-01T12:34:56Z",
      "2024-05-1T12:34:56Z",
      "2024-05-01T1:34:56Z",
      "+024-05-01T12:34:56Z",
      "2024-05-01T12:34:56.12a4Z",
      "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z",
      "2262-04-11T23:47:16.854775808Z",
      "1677-09-21T00:12:43.145224191Z",
      "2262-04-12T01:47:16+02:00x",
      std::string("2024-05-01T12:34:56\0Z", 21),
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    auto ts = parseRfc3339(text);
    ASSERT_FALSE(ts) << formatRfc3339Nano(*ts);
    EXPECT_EQ(ts.error().code(), Errc::InvalidArgument);
    EXPECT_EQ(ts.error().message().rfind("invalid rfc 3339 timestamp '", 0), 0u);
  }
}

TEST(TimestampTest, ErrorQuotesLongTextBounded) {
  // Ensures garbage passed as a timestamp is quoted in a bounded, printable form.
  const std::string garbage = std::string(200, 'x') + "\n";
  auto ts = parseRfc3339(garbage);
  ASSERT_FALSE(ts);
  EXPECT_EQ(ts.error().message(), "invalid rfc 3339 timestamp '" + std::string(64, 'x') +
                                      "...': expected a date as YYYY-MM-DD");
  auto ctl = parseRfc3339("\x01\x7f");
  ASSERT_FALSE(ctl);
  EXPECT_EQ(ctl.error().message(),
            "invalid rfc 3339 timestamp '\?\?': expected a date as YYYY-MM-DD");
}

TEST(TimestampTest, SplitsTimestampedLogLines) {
  // Ensures a `timestamps=1` line splits after exactly one space, keeping the rest verbatim.
  struct Case {
    const char* line;
    Timestamp ts;
    const char* rest;
  };
  const Timestamp t = at(2024y / May / 1, hms(12, 34, 56, 123456789));
  const std::vector<Case> cases = {
      {"2024-05-01T12:34:56.123456789Z hello world\n", t, "hello world\n"},
      {"2024-05-01T12:34:56.123456789Z ", t, ""},
      {"2024-05-01T12:34:56.123456789Z \n", t, "\n"},
      {"2024-05-01T12:34:56.123456789Z   indented", t, "  indented"},
      {"2024-05-01T14:34:56.123456789+02:00 x", t, "x"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    auto split = splitTimestampedLine(c.line);
    ASSERT_TRUE(split) << split.error().what();
    EXPECT_EQ(split->first, c.ts);
    EXPECT_EQ(split->second, c.rest);
  }
}

TEST(TimestampTest, RejectsLinesWithoutATimestamp) {
  // Ensures a line lacking the prefix, or with a bad one, is InvalidArgument.
  const std::vector<std::string> cases = {
      "",
      "hello",
      "2024-05-01T12:34:56.123456789Z",
      "hello world",
      " 2024-05-01T12:34:56.123456789Z x",
      "2024-05-01T12:34:56.123456789 x",
  };
  for (const std::string& line : cases) {
    SCOPED_TRACE(line);
    auto split = splitTimestampedLine(line);
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().code(), Errc::InvalidArgument);
  }
}

}  // namespace
}  // namespace ls::engine
