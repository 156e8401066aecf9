#include "lightshuttle/core/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ls {
namespace {

Result<int> parseDigit(std::string_view s) {
  if (s.size() != 1 || s[0] < '0' || s[0] > '9') {
    return Error(Errc::InvalidArgument, "not a digit '" + std::string(s) + "'");
  }
  return s[0] - '0';
}

Result<void> requireEven(int n) {
  if (n % 2 != 0) {
    return unexpected(Error(Errc::FailedPrecondition, "odd number " + std::to_string(n)));
  }
  return ok();
}

// Records how far each helper got, to prove the macros return before the following statements.
struct Trace {
  std::vector<std::string> steps;
};

Result<void> checkAllEven(const std::vector<int>& xs, Trace& trace) {
  for (int x : xs) {
    trace.steps.push_back("check " + std::to_string(x));
    LS_TRY(requireEven(x));
  }
  trace.steps.push_back("done");
  return ok();
}

Result<int> sumDigits(std::string_view a, std::string_view b, Trace& trace) {
  trace.steps.push_back("parse a");
  LS_ASSIGN_OR_RETURN(const int x, parseDigit(a));
  trace.steps.push_back("parse b");
  int y = 0;
  LS_ASSIGN_OR_RETURN(y, parseDigit(b));
  trace.steps.push_back("sum");
  return x + y;
}

Result<int> halfOfEvenDigit(std::string_view s) {
  LS_ASSIGN_OR_RETURN(int d, parseDigit(s));
  LS_TRY(requireEven(d));
  return d / 2;
}

Result<std::unique_ptr<int>> makeBox(int v) { return std::make_unique<int>(v); }

Result<int> unbox(std::unique_ptr<int> p) {
  LS_ASSIGN_OR_RETURN(auto box, makeBox(*p + 1));
  return *box;
}

TEST(ResultTest, HoldsValue) {
  // Ensures a Result built from a value reports success and exposes the value every way.
  Result<std::string> r = std::string("demo_db");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), "demo_db");
  EXPECT_EQ(*r, "demo_db");
  EXPECT_EQ(r->size(), 7u);
  r.value() += "_1";
  EXPECT_EQ(*r, "demo_db_1");
}

TEST(ResultTest, HoldsError) {
  // Ensures a Result built from an Error or unexpected() reports failure and exposes the error.
  const Result<int> fromError = Error(Errc::NotFound, "no such image 'x'");
  ASSERT_FALSE(fromError.has_value());
  EXPECT_FALSE(static_cast<bool>(fromError));
  EXPECT_EQ(fromError.error().code(), Errc::NotFound);
  EXPECT_EQ(fromError.error().message(), "no such image 'x'");

  const Result<int> fromUnexpected = unexpected(Error(Errc::Timeout, "timed out"));
  ASSERT_FALSE(fromUnexpected.has_value());
  EXPECT_EQ(fromUnexpected.error().code(), Errc::Timeout);
}

TEST(ResultTest, ConvertsCompatibleValues) {
  // Ensures a value of a type convertible to T (a string literal for std::string) is accepted.
  const Result<std::string> r = "literal";
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "literal");
}

TEST(ResultTest, ErrorCanBeMovedOutAndAmended) {
  // Ensures the error can be taken by rvalue and wrapped with context as it rises.
  Result<int> r = Error(Errc::Unavailable, "connection refused");
  r.error().context("ping engine");
  Error e = std::move(r).error();
  EXPECT_EQ(e.what(), "ping engine: connection refused");
}

TEST(ResultVoidTest, SuccessAndFailure) {
  // Ensures Result<void> distinguishes ok() from an error and value() is a no-op on success.
  const Result<void> good = ok();
  EXPECT_TRUE(good.has_value());
  EXPECT_TRUE(static_cast<bool>(good));
  good.value();

  const Result<void> defaulted;
  EXPECT_TRUE(defaulted.has_value());

  const Result<void> bad = Error(Errc::PermissionDenied, "open '/etc/shadow'");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), Errc::PermissionDenied);

  const Result<void> badU = unexpected(Error(Errc::Internal, "boom"));
  ASSERT_FALSE(badU.has_value());
  EXPECT_EQ(badU.error().message(), "boom");
}

struct TryCase {
  std::vector<int> input;
  bool ok;
  std::vector<std::string> steps;
};

TEST(ResultMacrosTest, TryReturnsAtFirstError) {
  // Ensures LS_TRY returns the first error and skips every statement after it.
  const TryCase cases[] = {
      {{}, true, {"done"}},
      {{2, 4}, true, {"check 2", "check 4", "done"}},
      {{3, 4}, false, {"check 3"}},
      {{2, 5, 6}, false, {"check 2", "check 5"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.input));
    Trace trace;
    const Result<void> r = checkAllEven(c.input, trace);
    EXPECT_EQ(r.has_value(), c.ok);
    EXPECT_EQ(trace.steps, c.steps);
    if (!c.ok) {
      EXPECT_EQ(r.error().code(), Errc::FailedPrecondition);
    }
  }
}

struct AssignCase {
  std::string a;
  std::string b;
  bool ok;
  int sum;
  std::vector<std::string> steps;
  std::string error;
};

TEST(ResultMacrosTest, AssignOrReturnBindsOrReturns) {
  // Ensures LS_ASSIGN_OR_RETURN binds the value on success and returns the error unchanged.
  const AssignCase cases[] = {
      {"3", "4", true, 7, {"parse a", "parse b", "sum"}, ""},
      {"x", "4", false, 0, {"parse a"}, "not a digit 'x'"},
      {"3", "yy", false, 0, {"parse a", "parse b"}, "not a digit 'yy'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.a + "+" + c.b);
    Trace trace;
    const Result<int> r = sumDigits(c.a, c.b, trace);
    EXPECT_EQ(trace.steps, c.steps);
    ASSERT_EQ(r.has_value(), c.ok);
    if (c.ok) {
      EXPECT_EQ(*r, c.sum);
    } else {
      EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
      EXPECT_EQ(r.error().message(), c.error);
    }
  }
}

TEST(ResultMacrosTest, MixesTryAndAssignInOneFunction) {
  // Ensures both macros compose in one function and return whichever error comes first.
  EXPECT_EQ(halfOfEvenDigit("8").value(), 4);
  EXPECT_EQ(halfOfEvenDigit("7").error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(halfOfEvenDigit("?").error().code(), Errc::InvalidArgument);
}

TEST(ResultMacrosTest, AssignOrReturnMovesMoveOnlyValues) {
  // Ensures LS_ASSIGN_OR_RETURN works with move-only values such as std::unique_ptr.
  const Result<int> r = unbox(std::make_unique<int>(41));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 42);
}

TEST(ResultTest, AndThenChainsOnSuccessAndShortCircuitsOnError) {
  // Ensures and_then feeds the value to the next step and passes an error through untouched.
  const Result<int> chained = parseDigit("6").and_then([](int d) -> Result<int> { return d * 10; });
  ASSERT_TRUE(chained.has_value());
  EXPECT_EQ(*chained, 60);

  bool called = false;
  const Result<int> failed = parseDigit("z").and_then([&](int d) -> Result<int> {
    called = true;
    return d;
  });
  EXPECT_FALSE(called);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message(), "not a digit 'z'");

  const Result<int> secondFails = parseDigit("5").and_then(
      [](int d) -> Result<int> { return Error(Errc::Conflict, "step two " + std::to_string(d)); });
  ASSERT_FALSE(secondFails.has_value());
  EXPECT_EQ(secondFails.error().code(), Errc::Conflict);
}

TEST(ResultTest, TransformMapsValueAndKeepsError) {
  // Ensures transform maps the value to a new type and leaves an error as it was.
  const Result<std::string> mapped = parseDigit("9").transform(
      [](int d) { return std::string(static_cast<std::size_t>(d), '*'); });
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(*mapped, "*********");

  bool called = false;
  const Result<std::string> kept = parseDigit("").transform([&](int) {
    called = true;
    return std::string("x");
  });
  EXPECT_FALSE(called);
  ASSERT_FALSE(kept.has_value());
  EXPECT_EQ(kept.error().code(), Errc::InvalidArgument);
}

TEST(ResultTest, ValueOrFallsBackOnlyOnError) {
  // Ensures value_or returns the held value on success and the fallback on error.
  const Result<int> good = 5;
  const Result<int> bad = Error(Errc::NotFound, "missing");
  EXPECT_EQ(good.value_or(-1), 5);
  EXPECT_EQ(bad.value_or(-1), -1);

  const Result<std::string> badStr = Error(Errc::NotFound, "missing");
  EXPECT_EQ(badStr.value_or("default"), "default");
}

TEST(ResultTest, SupportsMoveOnlyValues) {
  // Ensures a move-only T can be stored, accessed, moved out and passed through and_then.
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(**r, 7);
  std::unique_ptr<int> taken = std::move(r).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);

  Result<std::unique_ptr<int>> again = std::make_unique<int>(8);
  const Result<int> doubled =
      std::move(again).and_then([](std::unique_ptr<int> p) -> Result<int> { return *p * 2; });
  EXPECT_EQ(doubled.value(), 16);

  const Result<int> viaTransform =
      makeBox(3).transform([](std::unique_ptr<int> p) { return *p + 1; });
  EXPECT_EQ(viaTransform.value(), 4);

  const Result<std::unique_ptr<int>> failed = Error(Errc::Internal, "no box");
  EXPECT_FALSE(failed.has_value());
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  // Ensures reading the value of a failed Result is a broken invariant that aborts with the error.
  const Result<int> r = Error(Errc::NotFound, "no such volume 'data'");
  EXPECT_DEATH((void)r.value(), "value\\(\\) of a failed Result: no such volume 'data'");
}

TEST(ResultDeathTest, VoidValueOfErrorAborts) {
  // Ensures Result<void>::value() on an error aborts as well.
  const Result<void> r = Error(Errc::Timeout, "health check timed out");
  EXPECT_DEATH(r.value(), "health check timed out");
}

TEST(ResultDeathTest, ErrorOfSuccessAborts) {
  // Ensures asking a successful Result for its error aborts instead of returning garbage.
  const Result<int> r = 1;
  EXPECT_DEATH((void)r.error(), "error\\(\\) of a successful Result");
}

TEST(ResultDeathTest, CheckAbortsOnBrokenInvariant) {
  // Ensures LS_CHECK aborts and names the failed condition.
  const int zero = 0;
  EXPECT_DEATH(LS_CHECK(zero == 1), "invariant 'zero == 1' broken");
}

}  // namespace
}  // namespace ls
