// `lightshuttle pull [resource…]`: the images of the stack's image-based resources pulled ahead
// of time, in parallel, with the same progress view as `up` (runner in build.cpp).
#include <CLI/CLI.hpp>

#include "cli/images_cmd.hpp"
#include "cli/prepare_run.hpp"

namespace ls::cli {

int runPull(const PrepareVerbOptions& options) {
  return runPrepareVerb(options, PrepareVerb::Pull);
}

void registerPull(Registrar& r) {
  CLI::App* cmd = registerPrepareVerb(
      r, "pull",
      "Pull the images of the stack's resources now, in parallel, with up's progress view",
      PrepareVerb::Pull);
  cmd->footer(
      "Examples:\n"
      "  lightshuttle pull\n"
      "  lightshuttle pull db cache --policy missing\n"
      "At most 8 pulls run at once. Prints `resource  image  image-id` per image on stdout;\n"
      "Dockerfile resources are skipped (`lightshuttle build` makes them).\n"
      "Exit status: 0 every image present, 1 a pull failed (named on stderr), 2 unknown resource\n"
      "or invalid manifest.\n");
}

}  // namespace ls::cli
