// The stack as `up` and `restart` see it: the manifest, the environment (.env over the process),
// generated secrets (kept in .lightshuttle/secrets.json), resolved into a lifecycle plan.
#pragma once

#include <string>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/plan.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::cli {

struct Prepared {
  manifest::Manifest manifest;
  lifecycle::Plan plan;
};

/// Loads, validates (diagnostics on stderr) and resolves the stack. On failure `exitCode` is 2
/// for an invalid manifest or resolution error and 1 otherwise; the error says what went wrong
/// (the message "the manifest is not valid" means the diagnostics were already printed).
Result<Prepared> prepareStack(const std::string& file, const std::string& envFile, int& exitCode,
                              bool showWarnings = true);

}  // namespace ls::cli
