// `lightshuttle top [resource…]`: the processes running in each resource's container, one table
// per resource under its name, as `docker compose top`.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "cli/commands.hpp"
#include "cli/container_commands.hpp"
#include "cli/container_lookup.hpp"
#include "cli/flags.hpp"
#include "cli/text_table.hpp"

namespace ls::cli {

int runTop(const TopOptions& options) {
  int exitCode = kExitOk;
  std::optional<RunningSelection> running =
      openRunning(options.project, options.file, options.resources, exitCode);
  if (!running) {
    return exitCode;
  }
  EngineSession& session = *running->stack.stack.session;
  const std::vector<std::string> noArgs;
  int failures = 0;
  bool first = true;
  for (const auto& c : running->chosen) {
    auto top = runSync(session, session.runtime->top(c.id, noArgs));
    if (!top) {
      fmt::print(stderr, "error: processes of resource '{}': {}\n", c.resource, top.error().what());
      ++failures;
      continue;
    }
    fmt::print("{}{} ({})\n", first ? "" : "\n", c.resource, c.name);
    first = false;
    std::fputs(renderTable(top->titles, top->processes).c_str(), stdout);
  }
  std::fflush(stdout);
  return failures > 0 ? kExitFailure : kExitOk;
}

void registerTop(Registrar& r) {
  auto o = std::make_shared<TopOptions>();
  auto* cmd =
      projectVerb(r, "top", "Show the processes running in the resources' containers", o, runTop);
  addResourcesArg(*cmd, o->resources, "Only these resources (default: every running one)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle top\n"
      "  lightshuttle top db web\n"
      "Exit status: 0 ok, 1 failure (an unknown or stopped resource, an engine\n"
      "error), 2 usage, 130 interrupted by Ctrl+C.\n");
}

}  // namespace ls::cli
