#pragma once
#include <span>
#include <string_view>
namespace ls::control {
struct Asset {
  std::string_view path;         // "/", "/assets/app.js", "/assets/login.html", ...
  std::string_view contentType;  // "text/html; charset=utf-8", ...
  std::string_view body;         // gzip-compressed bytes when gzip is true
  bool gzip = false;             // served with Content-Encoding: gzip
  std::string_view etag;         // a strong ETag (quoted hash of the content)
};
/// Every embedded file of the dashboard; "/" is index.html.
std::span<const Asset> dashboardAssets();
}  // namespace ls::control
