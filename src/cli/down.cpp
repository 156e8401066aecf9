// `lightshuttle down`: stops and removes everything labelled with the project, then its network
// (and with --volumes its named volumes). Works from labels alone: no running `up` is needed,
// and a killed one leaves nothing this cannot find.
#include <fmt/core.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/manifest/grammar.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::cli {
namespace {

/// Waits (at most `bound`) until `pid` has exited: gone, or a zombie waiting for its parent.
void waitProcessGone(pid_t pid, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(pid, 0) != 0) {
      return;
    }
    auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat || stat->find(") Z") != std::string::npos || stat->find(") X") != std::string::npos) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// Stops the live supervisor of `project` (a detached `up`, or an attached one in another
/// terminal), if any: it stops the stack gracefully and exits. Waits up to `wait` for it.
/// True when there was one and it is gone.
bool stopSupervisor(const std::string& project, std::chrono::nanoseconds wait) {
  std::optional<SupervisorRecord> sup = findSupervisor(project);
  if (!sup) {
    return false;
  }
  fmt::print(stderr, "stopping the supervisor of '{}' (pid {})\n", project, sup->pid);
  if (auto asked = supervisorStop(*sup); !asked) {
    // Its socket is gone or stuck: a signal does the same.
    ::kill(sup->pid, SIGTERM);
  }
  if (!waitSupervisorGone(project, wait)) {
    fmt::print(stderr, "warning: the supervisor (pid {}) did not stop in time; removing by label\n",
               sup->pid);
    return false;
  }
  // Its lock goes a moment before the process does (it still unwinds): return once the process
  // has exited too, so "down" means gone (bounded: the stack is already down at this point).
  waitProcessGone(sup->pid, std::chrono::seconds(2));
  return true;
}

}  // namespace

int runDown(const DownOptions& options) {
  int exitCode = kExitOk;
  std::optional<std::string> project;
  std::set<std::string> manifestVolumes;                   // named volumes the manifest declares
  std::map<std::string, std::chrono::nanoseconds> graces;  // resource -> stop_grace_period
  if (!options.project.empty()) {
    project = options.project;
  } else {
    std::optional<manifest::ParseReport> report =
        loadManifestForCommand(options.file, exitCode, /*showWarnings=*/false);
    if (!report || !report->manifest) {
      return exitCode == kExitOk ? kExitUsage : exitCode;
    }
    project = report->manifest->project.name;
    // Volumes exist without containers too (e.g. after a rolled-back boot): take them from the
    // manifest as well as from the containers' mounts.
    for (const auto& r : report->manifest->resources) {
      if (r.stopGracePeriod) {
        graces[r.name] = *r.stopGracePeriod;
      }
      if (r.volume.mode == manifest::DataVolume::Mode::Default &&
          (r.kind == manifest::Kind::Postgres || r.kind == manifest::Kind::Redis)) {
        manifestVolumes.insert(spec::dataVolumeName(*project, r.name));
      } else if (r.volume.mode == manifest::DataVolume::Mode::Named) {
        manifestVolumes.insert(r.volume.name);
      }
      for (const auto& text : r.volumes) {
        if (text.find("${") != std::string::npos) {
          continue;  // interpolated: only known once resolved
        }
        auto m = manifest::parseVolumeMapping(text);
        if (m && m->kind == manifest::VolumeMapping::Kind::Named) {
          manifestVolumes.insert(m->source);
        }
      }
    }
  }
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  auto& rt = *session->runtime;
  std::set<std::string> volumes = manifestVolumes;
  // With --volumes, note the containers' named volumes first: a supervisor removes its
  // containers itself. (Not otherwise: listing inspects every container.)
  if (options.volumes) {
    if (auto before = runSync(*session, rt.listManaged(*project))) {
      for (const auto& c : *before) {
        volumes.insert(c.namedVolumes.begin(), c.namedVolumes.end());
      }
    }
  }
  constexpr std::chrono::nanoseconds kDefaultGrace = std::chrono::seconds(10);
  std::chrono::nanoseconds longestGrace = options.timeout.value_or(kDefaultGrace);
  for (const auto& [name, grace] : graces) {
    longestGrace = std::max(longestGrace, grace);
  }
  const bool supervisorStopped = stopSupervisor(*project, longestGrace + std::chrono::seconds(60));
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
      std::chrono::nanoseconds grace = kDefaultGrace;
      if (options.timeout) {
        grace = *options.timeout;
      } else if (auto it = graces.find(c.resource); it != graces.end()) {
        grace = it->second;
      }
      stops.push_back(rt.stop(c.id, grace));
    }
    auto stopped = runAllSync(*session, std::move(stops));
    std::vector<boost::asio::awaitable<Result<runtime::RemoveOutcome>>> removes;
    for (std::size_t i = 0; i < listed->size(); ++i) {
      if (!stopped[i] && stopped[i].error().code() != Errc::NotFound) {
        fmt::print(stderr, "warning: stopping '{}': {}\n", (*listed)[i].name,
                   stopped[i].error().what());
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
  if (supervisorStopped && removedCount == 0 && !failed) {
    fmt::print(stderr, "stack '{}' stopped and removed by its supervisor\n", *project);
  } else if (removedCount == 0 && net && *net == runtime::RemoveOutcome::AlreadyRemoved) {
    fmt::print(stderr, "nothing to remove for project '{}'\n", *project);
  }
  return failed ? kExitFailure : kExitOk;
}

void registerDown(Registrar& r) {
  struct Flags {
    DownOptions down;
    std::string timeout;
  };
  auto f = std::make_shared<Flags>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb(
      "down", "Stop and remove the project's containers and network (works from labels alone)",
      [f, &g] {
        if (!durationFlag("--timeout", f->timeout, f->down.timeout)) {
          return static_cast<int>(kExitUsage);
        }
        inherit(f->down.file, g.file);
        inherit(f->down.project, g.project);
        return runDown(f->down);
      });
  addFileFlag(*cmd, f->down.file, kProjectFileHelp);
  addProjectFlag(*cmd, f->down.project);
  cmd->add_flag("-v,--volumes", f->down.volumes,
                "Also remove the named volumes the containers used");
  cmd->add_option("-t,--timeout", f->timeout,
                  "Grace period before SIGKILL for every container (e.g. 10s, 500ms; default: "
                  "each resource's stop_grace_period, else 10s)");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle down\n"
      "  lightshuttle down --volumes --timeout 2s\n"
      "  lightshuttle down -p basic        # no manifest needed, from any directory\n"
      "A running supervisor of the project is asked to stop first.\n"
      "Exit status: 0 everything removed, 1 something could not be removed.\n");
}

}  // namespace ls::cli
