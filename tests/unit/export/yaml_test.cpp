#include "export/yaml.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ls::exporter::yaml {
namespace {

TEST(YamlQuoteTest, QuotesEveryStringAReaderCouldMisread) {
  // Ensures strings that YAML 1.1 or 1.2 would read as booleans, nulls, numbers, dates,
  // aliases, tags, flow collections or comments are double-quoted (issue 15: invalid YAML).
  const std::vector<std::string> quoted{
      "",        "yes",        "Yes",  "NO",    "on",       "Off",         "y",     "n",
      "true",    "False",      "null", "~",     "1",        "0755",        "1e3",   "1E3",
      "0x1F",    "0o17",       ".5",   "1.",    "-1",       "+1",          ".inf",  ".NaN",
      "1_000",   "2001-12-14", "1:20", "a: b",  "a:b",      "a #b",        "#c",    "*star",
      "&anchor", "!tag",       "%dir", "@at",   "`tick",    "-c",          "- x",   "? q",
      "[a]",     "{a}",        "a,b]", " lead", "trail ",   "line\nbreak", "\"q\"", "'q'",
      "|",       ">",          "=",    "<<",    "tab\there"};
  for (const std::string& s : quoted) {
    EXPECT_FALSE(isPlainSafe(s)) << "'" << s << "'";
    EXPECT_EQ(quote(s).front(), '"') << "'" << s << "'";
  }
}

TEST(YamlQuoteTest, LeavesOrdinaryWordsPlain) {
  // Ensures names, paths and versions stay readable (plain) when nothing can misread them.
  for (const std::string s :
       {"app", "lightshuttle/quickstart_web", "16-alpine", "v1", "apps/v1",
        "/var/lib/postgresql/data", "ReadWriteOnce", "a b c", "x=1", "user@host", "CMD-SHELL"}) {
    EXPECT_TRUE(isPlainSafe(s)) << s;
    EXPECT_EQ(quote(s), s);
  }
}

TEST(YamlQuoteTest, EscapesInsideDoubleQuotes) {
  // Ensures quotes, backslashes and control characters are escaped, UTF-8 kept as is.
  EXPECT_EQ(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote("x\ny\tz\r"), "\"x\\ny\\tz\\r\"");
  EXPECT_EQ(quote(std::string("\x01") + "\x7f"), "\"\\x01\\x7f\"");
  EXPECT_EQ(quote("café: ok"), "\"café: ok\"");
}

TEST(YamlWriteTest, WritesSortedBlockStyle) {
  // Ensures keys are sorted, sequences of maps are inlined after "- ", and empty collections
  // are written in flow form.
  Node doc;
  doc["spec"]["replicas"] = Node::integer(2);
  doc["kind"] = Node::str("Deployment");
  doc["apiVersion"] = Node::str("apps/v1");
  Node c;
  c["name"] = Node::str("web");
  c["args"].push(Node::str("-c"));
  c["args"].push(Node::str("echo on"));
  doc["spec"]["containers"].push(std::move(c));
  doc["spec"]["empty"] = Node::mapping();
  doc["spec"]["none"] = Node::sequence();
  doc["spec"]["flag"] = Node::boolean(false);
  EXPECT_EQ(write(doc),
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "spec:\n"
            "  containers:\n"
            "    - args:\n"
            "        - \"-c\"\n"
            "        - echo on\n"
            "      name: web\n"
            "  empty: {}\n"
            "  flag: false\n"
            "  none: []\n"
            "  replicas: 2\n");
}

TEST(YamlWriteTest, HelmModeWritesExpressionsAndEscapesTemplates) {
  // Ensures the Helm rendering writes a scalar's expression and makes every literal `{{`
  // print literally (template injection guard).
  Node doc;
  doc["replicas"] = Node::integer(1, "{{ .Values.replicas }}");
  doc["arg"] = Node::str("{{ user text }}");
  EXPECT_EQ(write(doc), "arg: \"{{ user text }}\"\nreplicas: 1\n");
  EXPECT_EQ(write(doc, {.helm = true}),
            "arg: \"{{ \"{{\" }} user text }}\"\nreplicas: {{ .Values.replicas }}\n");
}

}  // namespace
}  // namespace ls::exporter::yaml
