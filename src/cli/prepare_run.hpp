// The runner `build` and `pull` share (build.cpp).
#pragma once

#include "cli/flags.hpp"
#include "cli/images_cmd.hpp"

namespace ls::cli {

enum class PrepareVerb { Build, Pull };

/// Loads the stack, keeps the resources the verb applies to (named ones of the other kind are
/// skipped with a note), runs the lifecycle's prepare step on them with the progress view,
/// prints `resource  image  id` per image on stdout and each failure on stderr.
int runPrepareVerb(const PrepareVerbOptions& options, PrepareVerb verb);

/// The verb `name` with the flags `build` and `pull` share (and `--policy` for pull).
CLI::App* registerPrepareVerb(Registrar& r, const char* name, const char* description,
                              PrepareVerb verb);

}  // namespace ls::cli
