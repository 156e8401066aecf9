// docs/manifest.schema.json against the parser's key tables: each context of the loader is a
// `$defs` entry whose properties are exactly the keys the loader accepts there.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "lightshuttle/manifest/loader.hpp"
#include "manifest/keys.hpp"

namespace ls::manifest {
namespace {

boost::json::value loadSchema() {
  std::ifstream in(LS_MANIFEST_SCHEMA);
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str());
}

TEST(SchemaTest, EveryParserKeyIsInTheSchemaAndViceVersa) {
  // Ensures the hand-kept JSON Schema and the loader accept exactly the same keys everywhere.
  const boost::json::value schema = loadSchema();
  const boost::json::object& defs = schema.at("$defs").as_object();
  std::set<std::string> contexts;
  for (const detail::KeyTable& table : detail::keyTables()) {
    contexts.insert(std::string(table.context));
    ASSERT_TRUE(defs.contains(table.context)) << "schema lacks $defs/" << table.context;
    const boost::json::object& def = defs.at(table.context).as_object();
    EXPECT_EQ(def.at("additionalProperties"), boost::json::value(false)) << table.context;
    std::set<std::string> schemaKeys;
    for (const auto& [key, value] : def.at("properties").as_object()) {
      schemaKeys.insert(std::string(key));
    }
    const std::set<std::string> parserKeys(table.keys.begin(), table.keys.end());
    EXPECT_EQ(schemaKeys, parserKeys) << table.context;
  }
  // Every closed object of the schema corresponds to a parser context.
  for (const auto& [name, def] : defs) {
    if (def.is_object() && def.as_object().contains("properties") &&
        def.as_object().contains("additionalProperties") &&
        def.as_object().at("additionalProperties") == boost::json::value(false)) {
      EXPECT_TRUE(contexts.contains(std::string(name))) << "schema-only object " << name;
    }
  }
}

TEST(SchemaTest, SchemaDefaultsMatchTheDocumentedDefaults) {
  // Ensures the defaults the schema advertises are the ones the spec layer applies.
  const boost::json::value schema = loadSchema();
  const boost::json::object& defs = schema.at("$defs").as_object();
  const auto def = [&](const char* d, const char* p) {
    return defs.at(d).at("properties").at(p).at("default");
  };
  EXPECT_EQ(def("healthcheck", "interval"), boost::json::value("5s"));
  EXPECT_EQ(def("healthcheck", "timeout"), boost::json::value("3s"));
  EXPECT_EQ(def("healthcheck", "retries"), boost::json::value(5));
  EXPECT_EQ(def("postgres", "port"), boost::json::value(5432));
  EXPECT_EQ(def("redis", "port"), boost::json::value(6379));
  EXPECT_EQ(def("container", "stop_grace_period"), boost::json::value("10s"));
}

}  // namespace
}  // namespace ls::manifest
