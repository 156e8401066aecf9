// `lightshuttle deploy swarm` / `undeploy swarm`: export the stack for swarm (after pushing the
// built images when --registry is given), hand it to `docker stack deploy` (the docker CLI,
// against the engine DOCKER_HOST names), and wait until every service runs all its replicas
// (healthy, where it has a healthcheck: swarm reports a task running only then). `undeploy`
// removes the stack (services, its networks) and nothing else.
#include <fmt/core.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/export/export.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace ls::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

struct Output {
  int status = -1;
  std::string text;
};

// Runs a docker CLI command (argv quoted, never through user text unquoted); captures stdout
// when asked, stderr goes to ours.
Output docker(const std::vector<std::string>& args, bool capture) {
  std::string cmd = "docker";
  for (const std::string& a : args) {
    cmd += " " + shellQuote(a);
  }
  Output out;
  if (!capture) {
    cmd += " >&2";
    const int rc = std::system(cmd.c_str());
    out.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
  }
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    out.text.append(buf, n);
  }
  const int rc = ::pclose(p);
  out.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    if (end > start) {
      out.push_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

std::optional<manifest::Manifest> loadForDeploy(const DeployOptions& options, int& exitCode) {
  std::optional<manifest::ParseReport> report = loadManifestForCommand(options.file, exitCode);
  if (!report || !report->ok()) {
    exitCode = exitCode == kExitOk ? kExitUsage : exitCode;
    return std::nullopt;
  }
  return std::move(*report->manifest);
}

// What swarm recorded of a service's tasks: how many failed (or were rejected) and the last
// error, for the failure message and to stop waiting for a service that keeps failing.
struct TaskHistory {
  int failed = 0;
  std::string lastError;  // "<state>: <error>", else the newest task's state, else "no task"
};

TaskHistory taskHistory(const std::string& service) {
  Output ps = docker(
      {"service", "ps", service, "--no-trunc", "--format", "{{.CurrentState}}: {{.Error}}"}, true);
  TaskHistory h;
  for (const std::string& l : lines(ps.text)) {
    const std::size_t sep = l.find(": ");
    const bool hasError = sep != std::string::npos && sep + 2 < l.size();
    if (hasError && h.lastError.empty()) {
      h.lastError = l;  // newest first
    }
    if (l.starts_with("Failed") || l.starts_with("Rejected")) {
      ++h.failed;
    }
  }
  if (h.lastError.empty()) {
    const std::vector<std::string> all = lines(ps.text);
    h.lastError = all.empty() ? "no task" : all.front();
  }
  return h;
}

// A service with no replica running whose tasks failed this often is not converging: the
// deploy says so now instead of at --timeout (swarm would go on restarting it).
constexpr int kFailedTasksBeforeGivingUp = 3;

// How long every service must keep all its replicas running, no task failing, to be converged.
constexpr std::chrono::seconds kStableFor{5};

}  // namespace

int runDeploy(const DeployOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::Manifest> m = loadForDeploy(options, exitCode);
  if (!m) {
    return exitCode;
  }
  std::optional<manifest::EnvMap> env = loadVariables(*m, options.envFile);
  if (!env) {
    return kExitFailure;
  }
  const bool builds = std::any_of(m->resources.begin(), m->resources.end(), [](const auto& r) {
    return r.kind == manifest::Kind::Dockerfile;
  });
  if (builds && !options.registry.empty()) {
    const int pushed = runPush(PushOptions{
        .file = options.file, .envFile = options.envFile, .registry = options.registry});
    if (pushed != kExitOk) {
      return pushed;
    }
  }
  const fs::path dir = m->directory / ".lightshuttle" / "deploy" / "swarm";
  exporter::ExportOptions eo{.target = exporter::Target::Swarm,
                             .outputDirectory = dir,
                             .env = &*env,
                             .publishMode = options.publishMode == "host"
                                                ? exporter::PublishMode::Host
                                                : exporter::PublishMode::Ingress,
                             .registry = options.registry};
  if (!eo.registry.empty()) {
    eo.pushed = pushedDigests(m->directory, eo.registry);
  }
  Result<exporter::Artifacts> artifacts = exporter::exportStack(*m, eo);
  if (!artifacts) {
    fmt::print(stderr, "error: {}\n", artifacts.error().what());
    return kExitFailure;
  }
  if (artifacts->lossy() && !options.allowLossy) {
    fmt::print(stderr, "{}", exporter::renderReport(artifacts->report));
    fmt::print(stderr,
               "error: the swarm export drops what is marked DROPPED above (pass "
               "--registry to push the built images, or --allow-lossy)\n");
    return kExitFailure;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const exporter::File& f : artifacts->files) {
    if (Result<void> w = writeFileAtomic(dir / f.path, f.contents, 0600); !w) {
      fmt::print(stderr, "error: {}\n", w.error().what());
      return kExitFailure;
    }
  }
  Result<std::string> stack = manifest::dnsLabelFromName(m->project.name);
  // docker stack deploy interpolates ${X:?...} from its environment: ours, with .env over it.
  for (const auto& [k, v] : *env) {
    ::setenv(k.c_str(), v.c_str(), 1);
  }
  fmt::print(stderr, "deploy | docker stack deploy -c {} {}\n", (dir / "docker-stack.yml").string(),
             *stack);
  if (docker({"stack", "deploy", "-c", (dir / "docker-stack.yml").string(), "--prune", *stack},
             false)
          .status != 0) {
    fmt::print(stderr, "error: docker stack deploy of '{}' failed (its message is above)\n",
               *stack);
    return kExitFailure;
  }
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::map<std::string, std::string> shown;
  std::optional<std::chrono::steady_clock::time_point> stableSince;
  std::map<std::string, int> failedAtStable;
  for (;;) {
    Output services =
        docker({"stack", "services", *stack, "--format", "{{.Name}} {{.Replicas}}"}, true);
    bool converged = services.status == 0 && !lines(services.text).empty();
    std::vector<std::string> pending;
    std::map<std::string, TaskHistory> failing;
    for (const std::string& l : lines(services.text)) {
      const std::string name = l.substr(0, l.find(' '));
      const std::string replicas = l.substr(l.find(' ') + 1);
      if (shown[name] != replicas) {
        fmt::print(stderr, "deploy | {} {}\n", name, replicas);
        shown[name] = replicas;
      }
      const auto slash = replicas.find('/');
      const std::string running = replicas.substr(0, slash);
      const std::string wanted =
          slash == std::string::npos
              ? ""
              : replicas.substr(slash + 1, replicas.find(' ', slash) - slash - 1);
      if (slash == std::string::npos || running != wanted) {
        converged = false;
        pending.push_back(name);
        if (running == "0") {
          if (TaskHistory h = taskHistory(name); h.failed >= kFailedTasksBeforeGivingUp) {
            failing.emplace(name, std::move(h));
          }
        }
      }
    }
    if (converged) {
      // Swarm counts a task running from the moment its container starts: a service whose
      // container exits at once looks converged for an instant. Converged means it stays so
      // for kStableFor with no task failing meanwhile (as `docker service create` verifies).
      std::map<std::string, int> failedNow;
      for (const std::string& l : lines(services.text)) {
        const std::string name = l.substr(0, l.find(' '));
        failedNow[name] = taskHistory(name).failed;
      }
      if (!stableSince || failedNow != failedAtStable) {
        stableSince = std::chrono::steady_clock::now();
        failedAtStable = std::move(failedNow);
        fmt::print(stderr, "deploy | every service runs all its replicas; verifying for {}\n",
                   manifest::formatDuration(kStableFor));
      } else if (std::chrono::steady_clock::now() - *stableSince >= kStableFor) {
        fmt::print("deployed stack '{}': every service runs all its replicas\n", *stack);
        return kExitOk;
      }
    } else {
      stableSince.reset();
    }
    if (!failing.empty()) {
      for (const auto& [name, h] : failing) {
        fmt::print(stderr, "error: service '{}' did not converge: {} ({} tasks failed)\n", name,
                   h.lastError, h.failed);
      }
      fmt::print(stderr,
                 "error: stack '{}' keeps failing (`lightshuttle undeploy swarm` removes it)\n",
                 *stack);
      return kExitFailure;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (const std::string& name : pending) {
        fmt::print(stderr, "error: service '{}' did not converge: {}\n", name,
                   taskHistory(name).lastError);
      }
      fmt::print(stderr,
                 "error: stack '{}' did not converge within {} (`lightshuttle undeploy "
                 "swarm` removes it)\n",
                 *stack, manifest::formatDuration(options.timeout));
      return kExitFailure;
    }
    std::this_thread::sleep_for(1s);
  }
}

int runUndeploy(const DeployOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::Manifest> m = loadForDeploy(options, exitCode);
  if (!m) {
    return exitCode;
  }
  Result<std::string> stack = manifest::dnsLabelFromName(m->project.name);
  if (docker({"stack", "rm", *stack}, false).status != 0) {
    fmt::print(stderr, "error: docker stack rm '{}' failed\n", *stack);
    return kExitFailure;
  }
  // Removal is asynchronous: wait until the stack's services, tasks and networks are gone.
  const std::string label = "label=com.docker.stack.namespace=" + *stack;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (;;) {
    const bool services =
        !lines(docker({"service", "ls", "-q", "--filter", label}, true).text).empty();
    const bool networks =
        !lines(docker({"network", "ls", "-q", "--filter", label}, true).text).empty();
    const bool containers = !lines(docker({"ps", "-aq", "--filter", label}, true).text).empty();
    if (!services && !networks && !containers) {
      fmt::print("removed stack '{}'\n", *stack);
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      fmt::print(stderr, "error: stack '{}' still has {}{}{} after {}\n", *stack,
                 services ? "services " : "", networks ? "networks " : "",
                 containers ? "containers" : "", manifest::formatDuration(options.timeout));
      return kExitFailure;
    }
    std::this_thread::sleep_for(500ms);
  }
}

void registerDeploy(Registrar& r) {
  struct Flags {
    DeployOptions deploy;
    std::string timeout;
  };
  auto f = std::make_shared<Flags>();
  const GlobalOptions& g = r.global();
  auto prepare = [f, &g]() -> bool {
    std::optional<std::chrono::nanoseconds> t;
    if (!durationFlag("--timeout", f->timeout, t)) {
      return false;
    }
    if (t) {
      f->deploy.timeout = *t;
    }
    inherit(f->deploy.file, g.file);
    inherit(f->deploy.envFile, g.envFile);
    return true;
  };
  auto* deployCmd = r.verb(
      "deploy", "Deploy the stack to a docker swarm (push, export, docker stack deploy, wait)",
      [f, prepare] { return prepare() ? runDeploy(f->deploy) : static_cast<int>(kExitUsage); });
  auto* undeployCmd = r.verb(
      "undeploy", "Remove the stack `deploy` created, and nothing else",
      [f, prepare] { return prepare() ? runUndeploy(f->deploy) : static_cast<int>(kExitUsage); });
  for (auto* cmd : {deployCmd, undeployCmd}) {
    cmd->add_option("target", f->deploy.target, "swarm")
        ->required()
        ->check(CLI::IsMember({"swarm"}));
    addFileFlag(*cmd, f->deploy.file);
    cmd->add_option("--timeout", f->timeout, "How long to wait (default 5m)");
  }
  addEnvFileFlag(*deployCmd, f->deploy.envFile);
  deployCmd->add_option("--registry", f->deploy.registry,
                        "HOST[:PORT]: push the built images there first");
  deployCmd->add_option("--publish-mode", f->deploy.publishMode, "ingress (routing mesh) or host")
      ->check(CLI::IsMember({"ingress", "host"}));
  deployCmd->add_flag("--allow-lossy", f->deploy.allowLossy,
                      "Deploy even when the export drops something");
  deployCmd->footer(
      "Examples:\n"
      "  lightshuttle deploy swarm --registry 127.0.0.1:5000 --publish-mode host\n"
      "  DOCKER_HOST=unix:///run/other.sock lightshuttle deploy swarm --registry 127.0.0.1:5000\n"
      "  lightshuttle undeploy swarm\n"
      "The engine DOCKER_HOST names must be a swarm manager (docker swarm init). Secrets come "
      "from\n"
      "the environment and .env, never from a file. Exit status: 0 converged, 1 failed, 2 "
      "usage.\n");
}

}  // namespace ls::cli
