// Rendering shared by several verbs (declared in flags.hpp).
#include <fmt/core.h>

#include <algorithm>

#include "cli/flags.hpp"
#include "lightshuttle/control/codec.hpp"
#include "lightshuttle/lifecycle/handle.hpp"

namespace ls::cli {

std::vector<std::string> endpointLines(const std::vector<lifecycle::ResourceView>& views) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::size_t width = 0;
  for (const auto& v : views) {
    for (const auto& p : v.ports) {
      if (!p.hostPort) {
        continue;
      }
      std::string host =
          p.hostAddress.empty() || p.hostAddress == "0.0.0.0" ? "127.0.0.1" : p.hostAddress;
      std::optional<std::string> url = control::portUrl(v, p);
      rows.emplace_back(v.name, url ? *url : fmt::format("{}:{}", host, *p.hostPort));
      width = std::max(width, v.name.size());
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, where] : rows) {
    out.push_back(fmt::format("{:<{}}  {}", name, width, where));
  }
  return out;
}

}  // namespace ls::cli
