// `lightshuttle version [--format json]`: our version (and commit when the build knows it),
// the engine's version and the API version we negotiated with it.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/engine/api.hpp"

namespace ls::cli {
namespace {

namespace json = boost::json;

struct VersionOptions {
  std::string format = "table";
};

std::string commit() {
#ifdef LS_GIT_COMMIT
  return LS_GIT_COMMIT;
#else
  return {};
#endif
}

struct EngineVersion {
  engine::VersionInfo info;
  std::string negotiated;
};

int runVersion(const VersionOptions& o) {
  std::optional<EngineVersion> ev;
  std::string failure;
  std::string endpoint;
  if (auto s = openEngine()) {
    endpoint = s->endpoint.uri();
    engine::Api api(*s->client);
    auto negotiated = runSync(*s, s->client->negotiate());
    auto info =
        negotiated ? runSync(*s, api.version()) : Result<engine::VersionInfo>(negotiated.error());
    if (info) {
      ev = EngineVersion{std::move(info).value(), s->client->apiVersion()};
    } else {
      failure = info.error().what();
    }
  } else {
    failure = "no usable engine endpoint";
  }
  const std::string ours = LS_VERSION;
  if (o.format == "json") {
    json::object out;
    out["version"] = ours;
    out["commit"] = commit().empty() ? json::value(nullptr) : json::value(commit());
    if (ev) {
      json::object e;
      e["version"] = ev->info.version;
      e["api_version"] = ev->info.apiVersion;
      e["min_api_version"] = ev->info.minApiVersion;
      e["os"] = ev->info.os;
      e["arch"] = ev->info.arch;
      out["engine"] = e;
      out["api_version"] = ev->negotiated;
    } else {
      out["engine"] = nullptr;
      out["api_version"] = nullptr;
      out["engine_error"] = failure;
    }
    fmt::print("{}\n", json::serialize(out));
  } else {
    fmt::print("lightshuttle  {}{}\n", ours, commit().empty() ? "" : " (" + commit() + ")");
    if (ev) {
      fmt::print("engine        {} ({}/{}, API {} to {})\n", ev->info.version, ev->info.os,
                 ev->info.arch, ev->info.minApiVersion, ev->info.apiVersion);
      fmt::print("api           {} (negotiated)\n", ev->negotiated);
    }
  }
  if (!ev) {
    fmt::print(stderr, "error: engine unreachable{}: {}\n",
               endpoint.empty() ? "" : " at " + endpoint, failure);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void registerVersion(Registrar& r) {
  auto o = std::make_shared<VersionOptions>();
  auto* cmd = r.verb("version", "Print our version, the engine's and the negotiated API version",
                     [o] { return runVersion(*o); });
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "json"}));
  cmd->footer(
      "Examples:\n"
      "  lightshuttle version\n"
      "  lightshuttle version --format json | jq -r .api_version\n"
      "`lightshuttle --version` prints ours only, without asking the engine.\n"
      "Exit status: 0 ok, 1 engine unreachable (our version is printed all the same).\n");
}

}  // namespace ls::cli
