// The stack as `up` and `restart` see it: the manifest, the environment (.env over the process),
// generated secrets (kept in .lightshuttle/secrets.json), resolved into a lifecycle plan.
#pragma once

#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/plan.hpp"
#include "lightshuttle/manifest/model.hpp"

namespace ls::cli {

struct Prepared {
  manifest::Manifest manifest;
  lifecycle::Plan plan;
};

/// The reason of prepareStack's error when the manifest's diagnostics were already printed.
inline constexpr const char* kManifestInvalidReason = "manifest_invalid";

/// Loads, validates (diagnostics on stderr) and resolves the stack. On failure `exitCode` is 2
/// for an invalid manifest or resolution error and 1 otherwise; the error says what went wrong
/// (reason kManifestInvalidReason: the diagnostics were already printed).
Result<Prepared> prepareStack(const std::string& file, const std::string& envFile, int& exitCode,
                              bool showWarnings = true);

/// Prints prepareStack's failure on stderr unless its diagnostics were already printed, and
/// returns the exit code to end with (1 when prepareStack left it at 0).
int reportPrepareFailure(const Error& error, int exitCode);

/// Every name in `resources` is a resource of `plan`: kExitOk, else kExitUsage after an error
/// on stderr naming the unknown one and the project's resources.
int checkResourceNames(const lifecycle::Plan& plan, const std::vector<std::string>& resources);

}  // namespace ls::cli
