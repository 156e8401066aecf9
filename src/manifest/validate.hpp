// Model-level checks run after the YAML walk: references between resources, interpolations,
// dependency cycles, grammars of values that may interpolate, and warnings.
#pragma once

#include <vector>

#include "lightshuttle/manifest/diagnostic.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::manifest::detail {

/// Appends every problem of `m` to `out` (errors and warnings), located through m.locate().
void validateManifest(const Manifest& m, std::vector<Diagnostic>& out);

}  // namespace ls::manifest::detail
