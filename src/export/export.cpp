// exportStack(): lower, emit for the target, and put the report and the files in order.
#include "lightshuttle/export/export.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "export/internal.hpp"

namespace ls::exporter {

bool Artifacts::lossy() const {
  return std::any_of(report.begin(), report.end(),
                     [](const ReportEntry& e) { return e.outcome == Outcome::Dropped; });
}

Result<Artifacts> exportStack(const manifest::Manifest& manifest, const ExportOptions& options) {
  LS_ASSIGN_OR_RETURN(Model model,
                      lower(manifest, LowerOptions{.target = options.target, .env = options.env}));
  Result<Emitted> emitted = Error(Errc::Internal, "no emitter");
  switch (options.target) {
    case Target::Compose:
    case Target::Swarm: emitted = emitCompose(model, options); break;
    case Target::Kubernetes: emitted = emitKubernetes(model, options); break;
    case Target::Helm: emitted = emitHelm(model, options); break;
  }
  if (!emitted) {
    return std::move(emitted).error().context(fmt::format("export {}", targetName(options.target)));
  }
  Artifacts out;
  out.files = std::move(emitted->files);
  std::sort(out.files.begin(), out.files.end(),
            [](const File& a, const File& b) { return a.path < b.path; });
  for (std::size_t i = 1; i < out.files.size(); ++i) {
    if (out.files[i].path == out.files[i - 1].path) {
      return Error(Errc::Internal, fmt::format("two files at '{}'", out.files[i].path.string()));
    }
  }
  out.report = std::move(model.report);
  out.report.insert(out.report.end(), emitted->report.begin(), emitted->report.end());
  // Stack-wide entries first, then by resource in stack order, each in the order found.
  std::stable_sort(out.report.begin(), out.report.end(),
                   [&](const ReportEntry& a, const ReportEntry& b) {
                     const auto rank = [&](const std::string& r) -> std::size_t {
                       if (r.empty()) {
                         return 0;
                       }
                       for (std::size_t i = 0; i < model.services.size(); ++i) {
                         if (model.services[i].name == r) {
                           return i + 1;
                         }
                       }
                       return model.services.size() + 1;
                     };
                     return rank(a.resource) < rank(b.resource);
                   });
  out.nextSteps = std::move(emitted->nextSteps);
  return out;
}

std::string renderReport(const std::vector<ReportEntry>& report) {
  std::size_t rw = 8, fw = 7;
  for (const ReportEntry& e : report) {
    rw = std::max(rw, e.resource.size());
    fw = std::max(fw, e.feature.size());
  }
  std::string out =
      fmt::format("{:<{}}  {:<{}}  {:<12}  {}\n", "RESOURCE", rw, "FEATURE", fw, "OUTCOME", "HOW");
  for (const ReportEntry& e : report) {
    const char* outcome = e.outcome == Outcome::Translated     ? "translated"
                          : e.outcome == Outcome::Approximated ? "approximated"
                                                               : "DROPPED";
    out += fmt::format("{:<{}}  {:<{}}  {:<12}  {}\n", e.resource.empty() ? "(stack)" : e.resource,
                       rw, e.feature, fw, outcome, e.detail);
  }
  return out;
}

}  // namespace ls::exporter
