// `lightshuttle down`: stops and removes everything labelled with the project, then its network
// (and with --volumes its named volumes). Works from labels alone: no running `up` is needed,
// and a killed one leaves nothing this cannot find.
#include <fmt/core.h>

#include <set>

#include "cli/commands.hpp"
#include "cli/session.hpp"

namespace ls::cli {

int runDown(const DownOptions& options) {
  int exitCode = kExitOk;
  std::optional<std::string> project = resolveProject(options.project, options.file, exitCode);
  if (!project) {
    return exitCode;
  }
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  auto& rt = *session->runtime;
  std::set<std::string> volumes;
  bool failed = false;
  std::size_t removedCount = 0;
  // Several passes: an `up` still starting may create containers while we remove others.
  for (int pass = 0; pass < 3; ++pass) {
    auto listed = runSync(*session, rt.listManaged(*project));
    if (!listed) {
      fmt::print(stderr, "error: {}\n", listed.error().what());
      return kExitFailure;
    }
    if (listed->empty()) {
      break;
    }
    std::vector<boost::asio::awaitable<Result<runtime::StopOutcome>>> stops;
    for (const auto& c : *listed) {
      volumes.insert(c.namedVolumes.begin(), c.namedVolumes.end());
      stops.push_back(rt.stop(c.id, options.timeout));
    }
    auto stopped = runAllSync(*session, std::move(stops));
    std::vector<boost::asio::awaitable<Result<runtime::RemoveOutcome>>> removes;
    for (std::size_t i = 0; i < listed->size(); ++i) {
      if (!stopped[i] && stopped[i].error().code() != Errc::NotFound) {
        fmt::print(stderr, "warning: stopping '{}': {}\n", (*listed)[i].name, stopped[i].error().what());
      }
      removes.push_back(rt.remove((*listed)[i].id.value));
    }
    auto removed = runAllSync(*session, std::move(removes));
    for (std::size_t i = 0; i < listed->size(); ++i) {
      const auto& c = (*listed)[i];
      if (removed[i]) {
        ++removedCount;
        fmt::print(stderr, "removed {} ({})\n", c.resource.empty() ? c.name : c.resource, c.name);
      } else {
        failed = true;
        fmt::print(stderr, "error: removing '{}': {}\n", c.name, removed[i].error().what());
      }
    }
  }
  auto net = runSync(*session, rt.teardownProjectNetwork(*project));
  if (!net) {
    failed = true;
    fmt::print(stderr, "error: {}\n", net.error().what());
  } else if (*net == runtime::RemoveOutcome::Removed) {
    fmt::print(stderr, "removed network {}\n", runtime::projectNetworkName(*project));
  }
  if (options.volumes) {
    for (const auto& v : volumes) {
      auto r = runSync(*session, rt.removeVolume(v));
      if (!r) {
        failed = true;
        fmt::print(stderr, "error: {}\n", r.error().what());
      } else if (*r == runtime::RemoveOutcome::Removed) {
        fmt::print(stderr, "removed volume {}\n", v);
      }
    }
  } else if (!volumes.empty()) {
    fmt::print(stderr, "kept {} named volume(s); `down --volumes` removes them\n", volumes.size());
  }
  if (removedCount == 0 && net && *net == runtime::RemoveOutcome::AlreadyRemoved) {
    fmt::print(stderr, "nothing to remove for project '{}'\n", *project);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace ls::cli
