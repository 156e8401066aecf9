// File: lightshuttle/export/export.hpp
//
// `lightshuttle export compose|kubernetes|helm|swarm`: the same stack as `up`, written for an
// existing engine, with a conversion report. Output is deterministic (byte-identical on every
// run: sorted keys, no timestamps, no argv) and never holds a secret value nor a placeholder
// that would deploy.
//
//   ExportOptions opts{.target = Target::Kubernetes, .outputDirectory = "/abs/export/kubernetes",
//                      .env = &env};
//   LS_ASSIGN_OR_RETURN(Artifacts a, exportStack(manifest, opts));
//   for (const File& f : a.files) write(opts.outputDirectory / f.path, f.contents);
//   if (a.lossy() && !allowLossy) fail;
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lightshuttle/export/model.hpp"

namespace ls::exporter {

enum class PublishMode { Ingress, Host };

struct ExportOptions {
  Target target = Target::Compose;
  /// Absolute directory the files will be written to (compose and swarm write build contexts
  /// and bind mounts relative to it).
  std::filesystem::path outputDirectory;
  const manifest::EnvMap* env = nullptr;           ///< see LowerOptions::env
  PublishMode publishMode = PublishMode::Ingress;  ///< swarm
  /// `HOST[:PORT]`: built images are referenced as `<registry>/lightshuttle/<project>_<r>:dev`.
  std::string registry;
  /// Digests `lightshuttle push` recorded for `registry`, by resource: those images are pinned
  /// (`...:dev@sha256:...`); a build without one is DROPPED on kubernetes, helm and swarm.
  std::map<std::string, std::string> pushed;
};

struct File {
  std::filesystem::path path;  ///< relative to the output directory
  std::string contents;
};

struct Artifacts {
  std::vector<File> files;  ///< sorted by path
  std::vector<ReportEntry> report;
  /// Commands the user runs before deploying (`kubectl create secret ...`), in order.
  std::vector<std::string> nextSteps;

  /// True when some entry was dropped.
  bool lossy() const;
};

/// Lowers and emits. Errors: those of lower(), InvalidArgument for what a target refuses
/// (a bind-mounted directory on Kubernetes, replicas > 1 with a ReadWriteOnce claim).
Result<Artifacts> exportStack(const manifest::Manifest& manifest, const ExportOptions& options);

/// The report as aligned text lines (resource, feature, outcome, detail), one per entry.
std::string renderReport(const std::vector<ReportEntry>& report);

}  // namespace ls::exporter
