#include "manifest/keys.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace ls::manifest::detail {
namespace {

constexpr std::array<std::string_view, 6> kManifest{"lightshuttle", "project",       "resources",
                                                    "dashboard",    "observability", "export"};
constexpr std::array<std::string_view, 3> kProject{"name", "version", "description"};
constexpr std::array<std::string_view, 1> kDashboard{"port"};
constexpr std::array<std::string_view, 1> kObservability{"otel"};
constexpr std::array<std::string_view, 1> kOtel{"enabled"};
constexpr std::array<std::string_view, 4> kResource{"postgres", "redis", "container", "dockerfile"};
constexpr std::array<std::string_view, 13> kPostgres{"version",    "image",
                                                     "database",   "user",
                                                     "password",   "port",
                                                     "volume",     "healthcheck",
                                                     "depends_on", "restart_dependents",
                                                     "restart",    "stop_grace_period",
                                                     "labels"};
constexpr std::array<std::string_view, 11> kRedis{
    "version",     "image",      "password",           "port",    "volume",
    "healthcheck", "depends_on", "restart_dependents", "restart", "stop_grace_period",
    "labels"};
constexpr std::array<std::string_view, 15> kContainer{"image",
                                                      "ports",
                                                      "env",
                                                      "secrets",
                                                      "volumes",
                                                      "entrypoint",
                                                      "command",
                                                      "working_dir",
                                                      "healthcheck",
                                                      "depends_on",
                                                      "restart_dependents",
                                                      "restart",
                                                      "stop_grace_period",
                                                      "labels",
                                                      "watch"};
constexpr std::array<std::string_view, 18> kDockerfile{"context",     "dockerfile",
                                                       "build_args",  "target",
                                                       "ports",       "env",
                                                       "secrets",     "volumes",
                                                       "entrypoint",  "command",
                                                       "working_dir", "healthcheck",
                                                       "depends_on",  "restart_dependents",
                                                       "restart",     "stop_grace_period",
                                                       "labels",      "watch"};
constexpr std::array<std::string_view, 4> kWatchRule{"path", "action", "target", "ignore"};
constexpr std::array<std::string_view, 5> kHealthcheck{"test", "interval", "timeout", "retries",
                                                       "start_period"};
constexpr std::array<std::string_view, 3> kExport{"compose", "kubernetes", "helm"};
constexpr std::array<std::string_view, 1> kExportCompose{"resources"};
constexpr std::array<std::string_view, 4> kExportKubernetes{"namespace", "replicas",
                                                            "image_pull_policy", "resources"};
constexpr std::array<std::string_view, 4> kExportHelm{"chart_name", "chart_version", "replicas",
                                                      "resources"};
constexpr std::array<std::string_view, 3> kExportResource{"enabled", "replicas",
                                                          "image_pull_policy"};

constexpr std::array<KeyTable, 17> kTables{{
    {"manifest", kManifest},
    {"project", kProject},
    {"dashboard", kDashboard},
    {"observability", kObservability},
    {"otel", kOtel},
    {"resource", kResource},
    {"postgres", kPostgres},
    {"redis", kRedis},
    {"container", kContainer},
    {"dockerfile", kDockerfile},
    {"healthcheck", kHealthcheck},
    {"watch_rule", kWatchRule},
    {"export", kExport},
    {"export_compose", kExportCompose},
    {"export_kubernetes", kExportKubernetes},
    {"export_helm", kExportHelm},
    {"export_resource", kExportResource},
}};

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::span<const KeyTable> keyTables() { return kTables; }

std::span<const std::string_view> keysFor(std::string_view context) {
  for (const KeyTable& t : kTables) {
    if (t.context == context) {
      return t.keys;
    }
  }
  return {};
}

std::string_view closestKey(std::string_view word, std::span<const std::string_view> keys) {
  if (word.size() > 64) {
    return {};
  }
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string_view best;
  std::size_t bestDistance = limit + 1;
  for (std::string_view k : keys) {
    const std::size_t d = editDistance(word, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

}  // namespace ls::manifest::detail
