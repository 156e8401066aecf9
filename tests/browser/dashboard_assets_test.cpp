// The dashboard as embedded into the binary by cmake/EmbedAssets.cmake: what the control server
// serves from ls::control::dashboardAssets().
#include "control/dashboard_assets.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using ls::control::Asset;
using ls::control::dashboardAssets;

const Asset* find(std::string_view path) {
  for (const Asset& a : dashboardAssets()) {
    if (a.path == path) {
      return &a;
    }
  }
  return nullptr;
}

TEST(DashboardAssets, IndexLoginScriptAndStyleAreEmbedded) {
  // Ensures the page works with no files beside the binary: every file index.html loads is there.
  const Asset* index = find("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->contentType, "text/html; charset=utf-8");
  ASSERT_NE(find("/assets/app.js"), nullptr);
  EXPECT_EQ(find("/assets/app.js")->contentType, "text/javascript; charset=utf-8");
  ASSERT_NE(find("/assets/app.css"), nullptr);
  EXPECT_EQ(find("/assets/app.css")->contentType, "text/css; charset=utf-8");
  ASSERT_NE(find("/assets/login.html"), nullptr);
  EXPECT_EQ(find("/assets/index.html"), nullptr) << "index.html is served as / only";
}

TEST(DashboardAssets, TextIsGzipWithStrongDistinctEtags) {
  // Ensures each body is what its flags say (gzip magic) and each ETag is a quoted strong tag.
  std::set<std::string_view> etags;
  std::size_t total = 0;
  for (const Asset& a : dashboardAssets()) {
    SCOPED_TRACE(std::string(a.path));
    EXPECT_TRUE(a.path == "/" || a.path.starts_with("/assets/"));
    ASSERT_GE(a.body.size(), 2u);
    if (a.contentType.starts_with("text/")) {
      EXPECT_TRUE(a.gzip);
    }
    if (a.gzip) {
      EXPECT_EQ(static_cast<unsigned char>(a.body[0]), 0x1f);
      EXPECT_EQ(static_cast<unsigned char>(a.body[1]), 0x8b);
    }
    ASSERT_GE(a.etag.size(), 3u);
    EXPECT_EQ(a.etag.front(), '"');
    EXPECT_EQ(a.etag.back(), '"');
    EXPECT_FALSE(a.etag.starts_with("W/"));
    EXPECT_TRUE(etags.insert(a.etag).second) << "duplicate ETag";
    total += a.body.size();
  }
  // The budget: all assets together at most 500 KiB compressed.
  EXPECT_LE(total, 500u * 1024u);
}

}  // namespace
