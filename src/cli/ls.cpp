// `lightshuttle ls [--format json]`: every stack of this user on this machine, supervised (a
// live record in the control dir) or only present as labelled containers on the engine.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::cli {
namespace {

namespace json = boost::json;

struct LsOptions {
  std::string format = "table";
};

struct StackRow {
  std::string project;
  std::string status;
  std::size_t running = 0;
  std::size_t total = 0;
  std::string manifest;
  std::string dashboardUrl;
  bool supervised = false;
};

int runLs(const LsOptions& o) {
  std::map<std::string, StackRow> rows;
  for (const SupervisorRecord& sup : listSupervisors()) {
    StackRow row{.project = sup.project,
                 .manifest = sup.manifest,
                 .dashboardUrl = sup.dashboardUrl,
                 .supervised = true};
    if (auto stack = supervisorStack(sup)) {
      row.status = std::string(lifecycle::stackStatusName(stack->status));
      row.running = stack->resourcesReady;
      row.total = stack->resources;
    } else {
      row.status = "unknown";
      fmt::print(stderr, "warning: {}\n", stack.error().what());
    }
    rows.emplace(sup.project, std::move(row));
  }
  int result = kExitOk;
  if (auto s = openEngine()) {
    engine::Api api(*s->client);
    auto listed = runSync(*s, api.listContainers({runtime::kLabelProject}, /*all=*/true));
    if (listed) {
      std::map<std::string, StackRow> engineRows;
      for (const auto& c : *listed) {
        auto it = c.labels.find(runtime::kLabelProject);
        if (it == c.labels.end()) {
          continue;
        }
        StackRow& row = engineRows[it->second];
        row.project = it->second;
        ++row.total;
        if (c.state == "running") {
          ++row.running;
        }
      }
      for (auto& [project, row] : engineRows) {
        if (rows.contains(project)) {
          continue;  // the supervisor's view is the better one
        }
        row.status = row.running == row.total ? "running" : row.running == 0 ? "exited" : "partial";
        rows.emplace(project, std::move(row));
      }
    } else {
      fmt::print(stderr, "error: {}\n", listed.error().what());
      result = kExitFailure;
    }
  } else {
    result = kExitFailure;
  }
  if (o.format == "json") {
    json::array out;
    for (const auto& [project, row] : rows) {
      json::object j;
      j["project"] = row.project;
      j["status"] = row.status;
      j["supervised"] = row.supervised;
      j["running"] = row.running;
      j["total"] = row.total;
      j["manifest"] = row.manifest.empty() ? json::value(nullptr) : json::value(row.manifest);
      j["dashboard_url"] =
          row.dashboardUrl.empty() ? json::value(nullptr) : json::value(row.dashboardUrl);
      out.push_back(std::move(j));
    }
    fmt::print("{}\n", json::serialize(out));
    return result;
  }
  fmt::print("{:<20} {:<12} {:<10} {:<40} {}\n", "PROJECT", "STATUS", "RESOURCES", "MANIFEST",
             "DASHBOARD");
  for (const auto& [project, row] : rows) {
    fmt::print("{:<20} {:<12} {:<10} {:<40} {}\n", row.project, row.status,
               std::to_string(row.running) + "/" + std::to_string(row.total),
               row.manifest.empty() ? "-" : row.manifest,
               row.dashboardUrl.empty() ? "-" : row.dashboardUrl);
  }
  return result;
}

}  // namespace

void registerLs(Registrar& r) {
  auto o = std::make_shared<LsOptions>();
  auto* cmd =
      r.verb("ls", "List the stacks on this machine: supervised ones and labelled containers",
             [o] { return runLs(*o); });
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "json"}));
  cmd->footer(
      "Examples:\n"
      "  lightshuttle ls\n"
      "  lightshuttle ls --format json | jq -r '.[] | select(.supervised) | .dashboard_url'\n"
      "RESOURCES is ready/total for a supervised stack (from its supervisor), running/total\n"
      "containers otherwise; MANIFEST and DASHBOARD are known for supervised stacks only.\n"
      "Exit status: 0 ok, 1 the engine could not be asked (supervised stacks are still listed).\n");
}

}  // namespace ls::cli
