// The keys the loader accepts in each mapping of the manifest, named by context. The JSON Schema
// (docs/manifest.schema.json) has one `$defs` entry per context with exactly these properties; a
// unit test holds the two together.
#pragma once

#include <span>
#include <string_view>

namespace ls::manifest::detail {

struct KeyTable {
  std::string_view context;  ///< "manifest", "project", "postgres", "healthcheck", ...
  std::span<const std::string_view> keys;
};

/// Every context, in a stable order.
std::span<const KeyTable> keyTables();

/// The keys of one context (empty when the context is unknown).
std::span<const std::string_view> keysFor(std::string_view context);

/// The closest key to `word` within edit distance max(1, |word| / 3), or empty.
std::string_view closestKey(std::string_view word, std::span<const std::string_view> keys);

}  // namespace ls::manifest::detail
