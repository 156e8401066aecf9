#include "lightshuttle/manifest/env_file.hpp"

#include <gtest/gtest.h>

namespace ls::manifest {
namespace {

TEST(EnvFileTest, ParsesTheDotenvGrammar) {
  // Ensures comments, export, quotes and inline comments follow the documented grammar.
  Result<EnvMap> env = parseEnvFile(
      "\xEF\xBB\xBF# c\n\nA=1\nexport B = two \nC=\"x # y\" tail\n"
      "D='q'\nE=v # note\nF=\nG=a=b\nA=3\n",
      ".env");
  ASSERT_TRUE(env.has_value()) << env.error().message();
  EXPECT_EQ(env->at("A"), "3");
  EXPECT_EQ(env->at("B"), "two");
  EXPECT_EQ(env->at("C"), "x # y");
  EXPECT_EQ(env->at("D"), "q");
  EXPECT_EQ(env->at("E"), "v");
  EXPECT_EQ(env->at("F"), "");
  EXPECT_EQ(env->at("G"), "a=b");
}

TEST(EnvFileTest, RejectsLinesWithoutEqualsAndNamesTheLine) {
  // Ensures a malformed line is an error located at its 1-based line, without its value.
  Result<EnvMap> env = parseEnvFile("A=1\nsecret-value-here\n", ".env");
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().location()->line, 2);
  EXPECT_EQ(env.error().message(), ".env:2: expected KEY=VALUE");
}

TEST(EnvFileTest, DotenvWinsOverTheProcess) {
  // Ensures the overlay order, an empty dotenv value included.
  const EnvMap merged = overlayEnvironment({{"A", "p"}, {"B", "p"}}, {{"B", ""}, {"C", "d"}});
  EXPECT_EQ(merged.at("A"), "p");
  EXPECT_EQ(merged.at("B"), "");
  EXPECT_EQ(merged.at("C"), "d");
}

}  // namespace
}  // namespace ls::manifest
