// The manifest loader and validator on arbitrary bytes: parseManifest must return (never throw,
// crash or hang), every diagnostic must render, and a successful load must have no errors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lightshuttle/manifest/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ls::manifest::ParseReport report = ls::manifest::parseManifest(text, "fuzz.yml", "/fuzz");
  const std::string rendered = report.render(true);
  const std::size_t errors =
      ls::manifest::countSeverity(report.diagnostics, ls::manifest::Severity::Error);
  if (report.ok() != (errors == 0)) {
    std::abort();
  }
  if (report.ok()) {
    for (const ls::manifest::Resource& r : report.manifest->resources) {
      (void)ls::manifest::dependenciesOf(r);
    }
  }
  return 0;
}
