// Shared between the lowering and the emitters of ls_export (not installed).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "export/yaml.hpp"
#include "lightshuttle/export/export.hpp"

namespace ls::exporter {

/// A resolved string (with the lowering's tokens) as a symbolic value.
Value splitResolved(std::string_view s);

/// What one emitter produces, before exportStack() sorts and checks it.
struct Emitted {
  std::vector<File> files;
  std::vector<ReportEntry> report;
  std::vector<std::string> nextSteps;
};

Result<Emitted> emitCompose(const Model& m, const ExportOptions& o);  ///< compose and swarm
Result<Emitted> emitKubernetes(const Model& m, const ExportOptions& o);
Result<Emitted> emitHelm(const Model& m, const ExportOptions& o);

/// The Kubernetes objects of a model, shared by the plain and the Helm emitters: scalars that
/// the chart makes configurable carry their Helm expression.
struct KubeFile {
  std::string name;              ///< "web.yaml"
  std::vector<yaml::Node> docs;  ///< one object each
};
struct Kube {
  std::vector<KubeFile> files;          ///< namespace.yaml first, then one per service
  std::string secretName;               ///< the Secret the user creates
  std::vector<std::size_t> secretVars;  ///< variables read from it, sorted by name
  std::vector<std::size_t> configVars;  ///< defaulted variables, configurable in Helm values
  std::vector<ReportEntry> report;
};
struct KubeOptions {
  bool helm = false;
  std::string chart;  ///< helm: the chart name (for `include "<chart>.…"`)
};
Result<Kube> buildKubernetes(const Model& m, const ExportOptions& o, const KubeOptions& k);

/// camelCase of a name made of [A-Za-z0-9_-] ("DB_PASSWORD" -> "dbPassword", "api-db" -> "apiDb").
std::string camelCase(std::string_view s);

/// Whole seconds for Kubernetes fields: rounded up, at least 1.
int wholeSeconds(std::chrono::nanoseconds d);

/// The image to run for a service on a multi-machine target: the pull reference, or the build
/// tag under `--registry`.
std::string deployImage(const Service& s, const ExportOptions& o);
/// The report entry of a built image on a multi-machine target: DROPPED unless it was pushed
/// to the registry named; nullopt for a pulled image.
std::optional<ReportEntry> buildOnCluster(const Service& s, const ExportOptions& o);

}  // namespace ls::exporter
