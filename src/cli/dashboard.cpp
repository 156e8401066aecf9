// `lightshuttle dashboard`: the login URL of a running stack, asked of its supervisor over the
// private unix socket (the token is never written to a file or a log).
#include <fmt/core.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/session.hpp"

namespace ls::cli {

int runDashboard(const DashboardOptions& options) {
  int exitCode = kExitOk;
  std::optional<std::string> project = resolveProject(options.project, options.file, exitCode);
  if (!project) {
    return exitCode;
  }
  std::optional<SupervisorRecord> sup = findSupervisor(*project);
  if (!sup) {
    fmt::print(stderr, "error: project '{}' is not running under a supervisor; start it with "
                       "`lightshuttle up -d` (or `lightshuttle up` in another terminal)\n", *project);
    return kExitFailure;
  }
  Result<DashboardInfo> info = supervisorDashboard(*sup);
  if (!info) {
    fmt::print(stderr, "error: {}\n", info.error().what());
    return kExitFailure;
  }
  if (info->url.empty()) {
    fmt::print(stderr, "error: the supervisor of '{}' serves no dashboard\n", *project);
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

}  // namespace ls::cli
