// Unit tests of the shared JSON field reader (engine/json_reader.hpp): defaults, path-qualified
// type errors, the two integer readings and the two ways errors are kept.
#include "engine/json_reader.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdint>
#include <limits>

namespace json = boost::json;

namespace ls::engine {
namespace {

std::string errorOf(const JsonReader& r) {
  auto s = r.status();
  return s ? std::string() : s.error().message();
}

TEST(JsonReader, MissingAndNullFieldsGiveDefaults) {
  // Ensures absent and null fields read as the type's default without an error.
  const json::value v = json::parse(R"({"s":null,"n":null,"b":null,"a":null,"o":null})");
  JsonReader r(v, "x");
  EXPECT_EQ(r.str("s"), "");
  EXPECT_EQ(r.str("missing"), "");
  EXPECT_EQ(r.i64("n"), 0);
  EXPECT_EQ(r.i64Lenient("n"), 0);
  EXPECT_EQ(r.u64("n"), 0u);
  EXPECT_FALSE(r.boolean("b"));
  EXPECT_TRUE(r.strings("a").empty());
  EXPECT_TRUE(r.stringMap("o").empty());
  EXPECT_EQ(r.array("a"), nullptr);
  EXPECT_EQ(r.object("o"), nullptr);
  EXPECT_FALSE(r.time("s").has_value());
  EXPECT_TRUE(r.status().has_value());
}

TEST(JsonReader, NullReadsAsAnEmptyObjectAndOtherValuesAreErrors) {
  // Ensures a null document is an empty object and a non-object one an error naming its path.
  const json::value null;
  JsonReader empty(null, "x");
  EXPECT_FALSE(empty.isObject());
  EXPECT_TRUE(empty.status().has_value());

  const json::value number = 3;
  JsonReader r(number, "x");
  EXPECT_EQ(errorOf(r), "engine response: 'x' is not an object");
}

TEST(JsonReader, IntegerReadingsDifferOnDoublesAndLargeUnsigned) {
  // Ensures i64 saturates a uint64 and refuses a double ("an integer"), while i64Lenient casts
  // the uint64 and truncates the double ("a number").
  const json::value v = json::parse(R"({"big":18446744073709551615,"d":2.75,"neg":-4})");
  {
    JsonReader r(v, "x");
    EXPECT_EQ(r.i64("big"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(r.i64("neg"), -4);
    EXPECT_EQ(r.u64("neg"), 0u);
    EXPECT_EQ(r.u64("big"), std::numeric_limits<std::uint64_t>::max());
    EXPECT_TRUE(r.status().has_value());
    EXPECT_EQ(r.i64("d"), 0);
    EXPECT_EQ(errorOf(r), "engine response: 'x.d' is not an integer");
  }
  {
    JsonReader r(v, "x");
    EXPECT_EQ(r.i64Lenient("big"), -1);
    EXPECT_EQ(r.i64Lenient("d"), 2);
    EXPECT_TRUE(r.status().has_value());
    const json::value s = json::parse(R"({"n":"1"})");
    JsonReader bad(s, "y");
    EXPECT_EQ(bad.i64Lenient("n"), 0);
    EXPECT_EQ(errorOf(bad), "engine response: 'y.n' is not a number");
  }
}

TEST(JsonReader, KeepsTheFirstErrorWithItsPath) {
  // Ensures the first type error is the one reported, with the field's full path.
  const json::value v = json::parse(R"({"a":1,"b":"x","l":["a",2],"m":{"k":1},"t":"never"})");
  JsonReader r(v, "top");
  EXPECT_EQ(r.strings("l"), std::vector<std::string>{});
  EXPECT_EQ(r.str("a"), "");
  EXPECT_EQ(errorOf(r), "engine response: 'top.l' is not an array of strings");

  JsonReader m(v, "top");
  EXPECT_TRUE(m.stringMap("m").empty());
  EXPECT_EQ(errorOf(m), "engine response: 'top.m' is not an object of strings");

  JsonReader t(v, "top");
  EXPECT_FALSE(t.time("t").has_value());
  EXPECT_EQ(errorOf(t), "engine response: 'top.t' is not an RFC 3339 time");
}

TEST(JsonReader, OwnSlotTakesChildErrorsThroughMerge) {
  // Ensures a reader with its own slot gets a child's construction error at once and its later
  // errors only through merge().
  const json::value v = json::parse(R"({"c":{"n":"x"},"bad":[1]})");
  JsonReader r(v, "p");
  JsonReader c = r.child("c");
  EXPECT_EQ(c.i64("n"), 0);
  EXPECT_TRUE(r.status().has_value());
  r.merge(c);
  EXPECT_EQ(errorOf(r), "engine response: 'p.c.n' is not an integer");

  JsonReader r2(v, "p");
  JsonReader bad = r2.child("bad");
  EXPECT_FALSE(bad.isObject());
  EXPECT_EQ(errorOf(r2), "engine response: 'p.bad' is not an object");

  JsonReader e = r2.element(v.as_object().at("c"), "[0]");
  EXPECT_EQ(e.str("n"), "x");
  EXPECT_EQ(e.path(), "p[0]");
}

TEST(JsonReader, SharedSlotCollectsEveryReadersFirstError) {
  // Ensures readers built on a caller's slot (and their children) all report into it.
  const json::value v = json::parse(R"({"c":{"n":"x"}})");
  std::optional<Error> err;
  JsonReader r(v, "p", err);
  JsonReader c = r.child("c");
  EXPECT_EQ(c.i64Lenient("n"), 0);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->message(), "engine response: 'p.c.n' is not a number");
  EXPECT_EQ(errorOf(r), "engine response: 'p.c.n' is not a number");
}

}  // namespace
}  // namespace ls::engine
