#include "cli/session.hpp"

#include <fmt/core.h>

#include "cli/commands.hpp"

namespace ls::cli {

std::unique_ptr<EngineSession> openEngine() {
  auto ep = engine::resolveEndpoint(engine::EndpointEnv::fromProcess());
  if (!ep) {
    fmt::print(stderr, "error: {}\n", ep.error().what());
    return nullptr;
  }
  auto s = std::make_unique<EngineSession>();
  s->endpoint = *ep;
  s->client = engine::Client::create(*ep);
  s->clock = makeSystemClock();
  s->runtime = std::make_unique<runtime::DockerRuntime>(*s->client, *s->clock);
  return s;
}

std::optional<std::string> resolveProject(const std::string& projectFlag, const std::string& file,
                                          int& exitCode) {
  if (!projectFlag.empty()) {
    return projectFlag;
  }
  std::optional<manifest::ParseReport> report =
      loadManifestForCommand(file, exitCode, /*showWarnings=*/false);
  if (!report) {
    return std::nullopt;
  }
  if (!report->manifest) {
    exitCode = kExitUsage;
    return std::nullopt;
  }
  return report->manifest->project.name;
}

std::optional<ProjectContainers> openProject(const std::string& projectFlag,
                                             const std::string& file, int& exitCode) {
  std::optional<std::string> project = resolveProject(projectFlag, file, exitCode);
  if (!project) {
    return std::nullopt;
  }
  ProjectContainers out;
  out.project = *project;
  out.session = openEngine();
  if (!out.session) {
    exitCode = kExitFailure;
    return std::nullopt;
  }
  auto listed = runSync(*out.session, out.session->runtime->listManaged(out.project));
  if (!listed) {
    fmt::print(stderr, "error: {}\n", listed.error().what());
    exitCode = kExitFailure;
    return std::nullopt;
  }
  out.containers = std::move(listed).value();
  return out;
}

std::optional<SupervisorRecord> runningSupervisor(const std::string& projectFlag,
                                                  const std::string& file, std::string_view why,
                                                  int& exitCode) {
  std::optional<std::string> project = resolveProject(projectFlag, file, exitCode);
  if (!project) {
    return std::nullopt;
  }
  std::optional<SupervisorRecord> sup = findSupervisor(*project);
  if (!sup) {
    fmt::print(stderr, "error: project '{}' has no running supervisor: {}\n", *project, why);
    exitCode = kExitFailure;
  }
  return sup;
}

}  // namespace ls::cli
