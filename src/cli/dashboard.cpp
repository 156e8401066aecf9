// `lightshuttle dashboard`: the login URL of a running stack, asked of its supervisor over the
// private unix socket (the token is never written to a file or a log).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"

namespace ls::cli {

int runDashboard(const DashboardOptions& options) {
  int exitCode = kExitOk;
  std::optional<SupervisorRecord> sup = runningSupervisor(
      options.project, options.file,
      "start it with `lightshuttle up -d` (or `lightshuttle up` in another terminal)", exitCode);
  if (!sup) {
    return exitCode;
  }
  Result<DashboardInfo> info = supervisorDashboard(*sup);
  if (!info) {
    fmt::print(stderr, "error: {}\n", info.error().what());
    return kExitFailure;
  }
  if (info->url.empty()) {
    fmt::print(stderr, "error: the supervisor of '{}' serves no dashboard\n", sup->project);
    return kExitFailure;
  }
  if (options.json) {
    boost::json::object o;
    o["url"] = info->url;
    o["login_url"] = info->loginUrl;
    o["token"] = info->token;
    o["project"] = info->project;
    fmt::print("{}\n", boost::json::serialize(o));
    return kExitOk;
  }
  fmt::print("{}\n", info->loginUrl);
  return kExitOk;
}

void registerDashboard(Registrar& r) {
  auto o = std::make_shared<DashboardOptions>();
  auto* cmd = projectVerb(r, "dashboard",
                          "Print the login URL of a running stack's dashboard and control API", o,
                          runDashboard);
  cmd->add_flag("--json", o->json,
                "Print {\"url\", \"login_url\", \"token\", \"project\"} as JSON on stdout");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle dashboard            # open the printed URL in a browser\n"
      "  lightshuttle dashboard -p basic --json\n"
      "The URL carries the stack's token; opening it logs the browser in (a cookie) and removes\n"
      "the token from the address bar. Exit status: 0 ok, 1 no running supervisor, 2 no "
      "project.\n");
}

}  // namespace ls::cli
