#include "cli/stack.hpp"

#include <fmt/core.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/manifest/env_file.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::cli {

Result<Prepared> prepareStack(const std::string& file, const std::string& envFile, int& exitCode,
                              bool showWarnings) {
  std::optional<manifest::ParseReport> report =
      loadManifestForCommand(file, exitCode, showWarnings);
  if (!report || !report->manifest || !report->ok()) {
    if (exitCode == kExitOk) {
      exitCode = kExitUsage;
    }
    return Error(Errc::InvalidArgument, "the manifest is not valid")
        .withReason(kManifestInvalidReason);
  }
  manifest::Manifest m = *report->manifest;
  manifest::EnvMap dotenv;
  const std::filesystem::path envPath =
      envFile.empty() ? m.directory / ".env" : std::filesystem::path(envFile);
  if (auto loaded = manifest::loadEnvFile(envPath)) {
    dotenv = std::move(loaded).value();
  } else if (loaded.error().code() != Errc::NotFound || !envFile.empty()) {
    exitCode = kExitFailure;
    return std::move(loaded).error();
  }
  const manifest::EnvMap env = manifest::overlayEnvironment(manifest::processEnvironment(), dotenv);
  auto store = spec::SecretStore::open(m.directory);
  if (!store) {
    exitCode = kExitFailure;
    return std::move(store).error();
  }
  SystemRng rng;
  spec::ResolveContext ctx{.env = &env, .secrets = &*store, .rng = &rng};
  auto stack = spec::resolveStack(m, ctx);
  if (!stack) {
    exitCode = kExitUsage;
    return std::move(stack).error();
  }
  if (auto saved = store->save(); !saved) {
    exitCode = kExitFailure;
    return std::move(saved).error();
  }
  auto plan = lifecycle::Plan::fromResolved(m, std::move(stack).value());
  if (!plan) {
    exitCode = kExitUsage;
    return std::move(plan).error();
  }
  return Prepared{std::move(m), std::move(plan).value()};
}

int reportPrepareFailure(const Error& error, int exitCode) {
  if (error.reason() != kManifestInvalidReason) {
    fmt::print(stderr, "error: {}\n", error.what());
  }
  return exitCode == kExitOk ? kExitFailure : exitCode;
}

int checkResourceNames(const lifecycle::Plan& plan, const std::vector<std::string>& resources) {
  for (const auto& name : resources) {
    if (plan.find(name) == nullptr) {
      std::string known;
      for (const auto& n : plan.nodes()) {
        known += (known.empty() ? "" : ", ") + n.name;
      }
      fmt::print(stderr, "error: no resource '{}' in project '{}' (resources: {})\n", name,
                 plan.project(), known);
      return kExitUsage;
    }
  }
  return kExitOk;
}

}  // namespace ls::cli
