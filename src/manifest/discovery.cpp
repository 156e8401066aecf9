// Manifest discovery: -f, else LIGHTSHUTTLE_FILE, else lightshuttle.yml upward from the cwd.
#include <fmt/core.h>

#include <filesystem>
#include <string_view>

#include "lightshuttle/manifest/loader.hpp"

namespace ls::manifest {

Result<std::filesystem::path> discoverManifest(const DiscoveryOptions& options) {
  namespace fs = std::filesystem;
  const auto explicitFile = [](const fs::path& p, std::string_view how) -> Result<fs::path> {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      return Error(Errc::NotFound,
                   fmt::format("manifest '{}' ({}) is not a readable file", p.string(), how));
    }
    return p;
  };
  if (options.file) {
    return explicitFile(*options.file, "from -f");
  }
  if (options.envFile && !options.envFile->empty()) {
    return explicitFile(*options.envFile, "from LIGHTSHUTTLE_FILE");
  }
  std::error_code ec;
  fs::path dir = fs::absolute(options.cwd, ec);
  if (ec) {
    dir = options.cwd;
  }
  for (fs::path d = dir;; d = d.parent_path()) {
    for (const char* name : {"lightshuttle.yml", "lightshuttle.yaml"}) {
      if (fs::is_regular_file(d / name, ec)) {
        return d / name;
      }
    }
    if (d == d.parent_path() || d.empty()) {
      break;
    }
  }
  return Error(Errc::NotFound,
               fmt::format("no lightshuttle.yml or lightshuttle.yaml found in '{}' or any parent "
                           "directory; create one or pass -f FILE",
                           dir.string()));
}

}  // namespace ls::manifest
