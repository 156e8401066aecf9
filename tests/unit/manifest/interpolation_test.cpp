#include "lightshuttle/manifest/interpolation.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "lightshuttle/core/rng.hpp"

namespace ls::manifest {
namespace {

InterpolationContext context(std::map<std::string, std::string, std::less<>> env) {
  auto shared = std::make_shared<std::map<std::string, std::string, std::less<>>>(std::move(env));
  InterpolationContext ctx;
  ctx.env = [shared](std::string_view name) -> std::optional<std::string> {
    auto it = shared->find(name);
    return it == shared->end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  ctx.output = [](std::string_view res, std::string_view prop) -> std::optional<std::string> {
    if (res == "db" && prop == "url") {
      return "postgres://db";
    }
    return std::nullopt;
  };
  return ctx;
}

TEST(InterpolationTest, SubstitutesEveryForm) {
  // Ensures env, defaults (nested), resource outputs and both escapes give the expected text.
  const InterpolationContext ctx = context({{"A", "1"}, {"EMPTY", ""}, {"B", "x"}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain", "plain"},
      {"${env.A}", "1"},
      {"a${env.A}b${env.B}c", "a1bxc"},
      {"${env.MISSING:-d}", "d"},
      {"${env.EMPTY:-d}", "d"},
      {"${env.MISSING:-}", ""},
      {"${env.MISSING:-${env.A}}", "1"},
      {"${env.M1:-${env.M2:-${env.B}}}", "x"},
      {"${env.M:-a:-b}", "a:-b"},
      {"${resources.db.url}/x", "postgres://db/x"},
      {"$${env.A}", "${env.A}"},
      {"${{ env.A }}", "${ env.A }"},
      {"cost: $5", "cost: $5"},
      {"$", "$"},
      {"${env.A}$", "1$"},
      {"${env.M:-${env.A}-${env.B}}", "1-x"},
  };
  for (const auto& [in, out] : cases) {
    Result<std::string> r = interpolate(in, ctx);
    ASSERT_TRUE(r.has_value()) << in << ": " << r.error().message();
    EXPECT_EQ(*r, out) << in;
  }
}

TEST(InterpolationTest, RejectsMalformedReferences) {
  // Ensures syntax errors name the problem and what is accepted.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"${env.A", "unterminated '${'"},
      {"${ env.A }", "unknown reference"},
      {"${secret.X}", "unknown reference"},
      {"${env.}", "empty variable name"},
      {"${resources.db}", "malformed reference"},
      {"${resources..url}", "malformed reference"},
      {"${resources.db.}", "malformed reference"},
      {"${resources.${env.A}.url}", "cannot nest"},
      {"${{ x", "unterminated '${{' escape"},
      {"${}", "unknown reference"},
  };
  for (const auto& [in, why] : cases) {
    Result<Template> t = parseTemplate(in);
    ASSERT_FALSE(t.has_value()) << in;
    EXPECT_NE(t.error().message().find(why), std::string::npos)
        << in << " -> " << t.error().message();
  }
}

std::string nested(int depth) {
  std::string s = "end";
  for (int i = 0; i < depth; ++i) {
    s = "${env.V" + std::to_string(i) + ":-" + s + "}";
  }
  return s;
}

TEST(InterpolationTest, AllowsTenNestingLevelsAndNoMore) {
  // Ensures the depth limit: 10 nested defaults resolve, 11 are refused.
  Result<std::string> ten = interpolate(nested(10), context({}));
  ASSERT_TRUE(ten.has_value()) << ten.error().message();
  EXPECT_EQ(*ten, "end");
  Result<Template> eleven = parseTemplate(nested(11));
  ASSERT_FALSE(eleven.has_value());
  EXPECT_NE(eleven.error().message().find("deeper than 10"), std::string::npos);
}

TEST(InterpolationTest, UnsetVariableNamesItWithoutValues) {
  // Ensures a missing variable is NotFound and the message suggests a default.
  Result<std::string> r = interpolate("x${env.SECRET_TOKEN}", context({}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::NotFound);
  EXPECT_NE(r.error().message().find("'SECRET_TOKEN' is not set"), std::string::npos);
}

TEST(InterpolationTest, CollectsReferencesInsideDefaults) {
  // Ensures collection walks into defaults, for implicit dependencies and secrets check.
  Result<Template> t =
      parseTemplate("${env.A:-${resources.db.url}} ${env.B} ${resources.cache.host}");
  ASSERT_TRUE(t.has_value());
  std::vector<ResourceReference> refs;
  collectResourceReferences(*t, refs);
  ASSERT_EQ(refs.size(), 2U);
  EXPECT_EQ(refs[0].resource, "db");
  EXPECT_EQ(refs[1].resource, "cache");
  std::vector<EnvUse> uses;
  collectEnvUses(*t, uses);
  ASSERT_EQ(uses.size(), 2U);
  EXPECT_EQ(uses[0].name, "A");
  EXPECT_EQ(uses[0].fallback, "${resources.db.url}");
  EXPECT_FALSE(uses[1].fallback.has_value());
}

TEST(InterpolationTest, LiteralTextRoundTripsThroughEscaping) {
  // Ensures (property) for random text, escaping every "${" as "$${" renders the text back.
  SeededRng rng(42);
  const std::string alphabet = "${}:-.ab $";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const auto len = rng.below(24);
    for (std::uint64_t i = 0; i < len; ++i) {
      text += alphabet[rng.below(alphabet.size())];
    }
    std::string escaped;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 2, "${") == 0) {
        escaped += "$${";
        ++i;
      } else {
        escaped += text[i];
      }
    }
    Result<std::string> r = interpolate(escaped, context({}));
    ASSERT_TRUE(r.has_value()) << escaped << ": " << r.error().message();
    EXPECT_EQ(*r, text) << escaped;
  }
}

TEST(InterpolationTest, NeverCrashesOnRandomInput) {
  // Ensures (property) any text either renders or fails with an error, never crashes.
  SeededRng rng(7);
  const std::string alphabet = "${}:-.envresourcs{$";
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const auto len = rng.below(40);
    for (std::uint64_t i = 0; i < len; ++i) {
      text += alphabet[rng.below(alphabet.size())];
    }
    Result<std::string> r = interpolate(text, context({{"e", "v"}}));
    if (!r.has_value()) {
      EXPECT_FALSE(r.error().message().empty());
    }
  }
}

}  // namespace
}  // namespace ls::manifest
