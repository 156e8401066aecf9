// `lightshuttle build [resource…]`: the Dockerfile resources' images built ahead of time, in
// parallel (bounded), with the same progress view as `up`. Also the runner `pull` shares: the
// lifecycle's prepare step (LifecycleManager::prepareImages) on a plan of the chosen resources.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/images_cmd.hpp"
#include "cli/prepare_run.hpp"
#include "cli/progress.hpp"
#include "cli/session.hpp"
#include "cli/stack.hpp"
#include "core/async.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/manager.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

asio::awaitable<Result<std::vector<lifecycle::ImageOutcome>>> prepareWithProgress(
    lifecycle::LifecycleManager& mgr, std::vector<std::string> names, ProgressConfig config) {
  auto sub = mgr.subscribe();
  const asio::any_io_executor ex = co_await asio::this_coro::executor;
  ls::detail::TaskGroup printer;
  std::vector<std::string> rows = names;
  printer.spawn(ex, printProgress(*sub, std::move(config), std::move(rows)));
  Result<std::vector<lifecycle::ImageOutcome>> out = co_await mgr.prepareImages(std::move(names));
  sub->close();
  (void)co_await printer.waitEmpty();
  co_return out;
}

}  // namespace

int runPrepareVerb(const PrepareVerbOptions& options, PrepareVerb verb) {
  const bool building = verb == PrepareVerb::Build;
  int exitCode = kExitOk;
  auto prepared = prepareStack(options.file, options.envFile, exitCode, /*showWarnings=*/false);
  if (!prepared) {
    return reportPrepareFailure(prepared.error(), exitCode);
  }
  const lifecycle::Plan& plan = prepared->plan;
  if (const int bad = checkResourceNames(plan, options.resources); bad != kExitOk) {
    return bad;
  }
  // The resources this verb applies to, in plan order; the others named are skipped aloud.
  std::vector<lifecycle::PlanNode> nodes;
  for (const lifecycle::PlanNode& n : plan.nodes()) {
    const bool named = options.resources.empty() ||
                       std::find(options.resources.begin(), options.resources.end(), n.name) !=
                           options.resources.end();
    if (!named) {
      continue;
    }
    const bool isBuild = std::holds_alternative<runtime::BuildImage>(n.spec.image);
    if (isBuild != building) {
      if (!options.resources.empty()) {
        fmt::print(stderr, "{}: {}, skipped\n", n.name,
                   building ? "uses an image (nothing to build)"
                            : "is built from a Dockerfile (use `lightshuttle build`)");
      }
      continue;
    }
    lifecycle::PlanNode copy = n;
    copy.dependencies.clear();  // only its image matters here
    if (auto* pull = std::get_if<runtime::PullImage>(&copy.spec.image);
        pull && pull->policy != runtime::PullPolicy::Never) {
      pull->policy =
          options.policy == "missing" ? runtime::PullPolicy::Missing : runtime::PullPolicy::Always;
    }
    nodes.push_back(std::move(copy));
  }
  if (nodes.empty()) {
    fmt::print(stderr, "nothing to {}: project '{}' has no {}\n", building ? "build" : "pull",
               plan.project(), building ? "dockerfile resource" : "resource with an image to pull");
    return kExitOk;
  }
  std::vector<std::string> names;
  std::size_t width = 0;
  for (const auto& n : nodes) {
    names.push_back(n.name);
    width = std::max(width, n.name.size());
  }
  Result<lifecycle::Plan> subset = lifecycle::Plan::create(std::move(nodes));
  if (!subset) {
    fmt::print(stderr, "error: {}\n", subset.error().what());
    return kExitFailure;
  }
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  SystemRng rng;
  lifecycle::LifecycleManager mgr(*session->runtime, *session->clock, rng,
                                  std::move(subset).value());
  const auto t0 = std::chrono::steady_clock::now();
  ProgressConfig config;
  config.mode = options.progress;
  config.width = width;
  config.color =
      !options.noColor && std::getenv("NO_COLOR") == nullptr && ::isatty(STDERR_FILENO) == 1;
  config.imagesOnly = true;
  config.busyLine = building ? "building" : "pulling";
  const std::string noun = building ? "built" : "pulled";
  config.finalLine = [t0, noun] {
    return fmt::format(" images {} after {:.1f}s", noun, secondsSince(t0));
  };
  auto result = runSync(*session, prepareWithProgress(mgr, names, config));
  if (!result) {
    fmt::print(stderr, "error: {}\n", result.error().what());
    return kExitFailure;
  }
  int status = kExitOk;
  for (const lifecycle::ImageOutcome& o : *result) {
    if (!o.image) {
      fmt::print(stderr, "error: {} of '{}' failed: {}\n", building ? "build" : "pull", o.resource,
                 o.image.error().what());
      status = kExitFailure;
      continue;
    }
    fmt::print("{:<{}}  {}  {}\n", o.resource, width, o.image->reference, o.image->id);
  }
  if (status == kExitOk && options.progress != "json") {
    fmt::print(stderr, "{} {} image{} in {:.2f}s\n", noun, result->size(),
               result->size() == 1 ? "" : "s", secondsSince(t0));
  }
  return status;
}

int runBuild(const PrepareVerbOptions& options) {
  return runPrepareVerb(options, PrepareVerb::Build);
}

CLI::App* registerPrepareVerb(Registrar& r, const char* name, const char* description,
                              PrepareVerb verb) {
  auto o = std::make_shared<PrepareVerbOptions>();
  auto progress = std::make_shared<std::string>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb(name, description, [o, progress, &g, verb] {
    inherit(o->file, g.file);
    inherit(o->envFile, g.envFile);
    inherit(*progress, g.progress);
    if (!progress->empty()) {
      o->progress = *progress;
    }
    o->noColor = o->noColor || g.noColor;
    return runPrepareVerb(*o, verb);
  });
  addResourcesArg(*cmd, o->resources, "Only these resources (default: all)");
  addFileFlag(*cmd, o->file);
  addEnvFileFlag(*cmd, o->envFile);
  cmd->add_option("--progress", *progress,
                  "Progress on stderr: auto (live view on a terminal), tty, plain, json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));
  cmd->add_flag("--no-color", o->noColor, "No colours (NO_COLOR is honoured too)");
  if (verb == PrepareVerb::Pull) {
    cmd->add_option("--policy", o->policy,
                    "always: pull every image from its registry; missing: only absent ones "
                    "(images with pull_policy never are only checked)")
        ->check(CLI::IsMember({"always", "missing"}));
  }
  return cmd;
}

void registerBuild(Registrar& r) {
  CLI::App* cmd = registerPrepareVerb(
      r, "build",
      "Build the Dockerfile resources' images now, in parallel, with up's progress view",
      PrepareVerb::Build);
  cmd->footer(
      "Examples:\n"
      "  lightshuttle build              # every dockerfile resource\n"
      "  lightshuttle build web --progress plain\n"
      "At most max(1, CPUs/2) builds run at once. Prints `resource  tag  image-id` per image on\n"
      "stdout. `up` runs the same step itself, while the dependencies boot.\n"
      "Exit status: 0 every image built, 1 a build failed (named on stderr), 2 unknown resource\n"
      "or invalid manifest.\n");
}

}  // namespace ls::cli
