// .dockerignore parsing and matching on arbitrary text: never crashes, errors are
// InvalidArgument naming a line, and the verdicts obey the rules the build-context walker
// relies on (checked on paths made from the input's own lines):
// - the context root is never excluded, and spelling a path "./p" or "p/" changes nothing;
// - beneath an excluded directory with no exception patterns, everything is excluded;
// - beneath an excluded directory where mayReincludeUnder says no, everything is excluded;
// - alwaysInclude(p) makes p included.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive/dockerignore.hpp"

namespace {

using ls::archive::DockerIgnore;

void check(bool cond) {
  if (!cond) {
    std::abort();
  }
}

constexpr std::size_t kMaxPath = 256;
constexpr std::size_t kMaxPaths = 12;

// Candidate paths: each line with its glob syntax turned into plain characters (so that the
// path tends to match its own pattern), capped in length and number.
std::vector<std::string> pathsFrom(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size() && out.size() < kMaxPaths) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, std::min(end - start, kMaxPath));
    start = end + 1;
    while (!line.empty() && (line.front() == '!' || line.front() == '/' || line.front() == ' ')) {
      line.remove_prefix(1);
    }
    std::string path;
    for (char c : line) {
      switch (c) {
        case '*':
        case '?':
        case '[':
        case ']':
        case '\\':
        case '^': path += 'a'; break;
        case '\r':
        case '\0': break;
        default: path += c;
      }
    }
    const std::string cleaned = ls::archive::cleanSlashPath(path);
    if (cleaned != "." && cleaned.front() != '/' && cleaned.rfind("..", 0) != 0) {
      out.push_back(cleaned);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = DockerIgnore::parse(text);
  if (!parsed) {
    check(parsed.error().code() == ls::Errc::InvalidArgument);
    check(parsed.error().message().rfind("line ", 0) == 0);
    return 0;
  }
  DockerIgnore ignore = std::move(*parsed);
  check(!ignore.excluded("") && !ignore.excluded(".") && !ignore.excluded("/"));

  const std::vector<std::string> paths = pathsFrom(text);
  for (const std::string& p : paths) {
    const bool ex = ignore.excluded(p);
    check(ignore.excluded("./" + p) == ex);
    check(ignore.excluded(p + "/") == ex);
    if (!ex) {
      continue;
    }
    const bool mayReinclude = ignore.mayReincludeUnder(p);
    check(ignore.hasExceptions() || !mayReinclude);
    for (const std::string& q : paths) {
      const std::string child = p + "/" + q;
      const bool childExcluded = ignore.excluded(child);
      if (!ignore.hasExceptions() || !mayReinclude) {
        check(childExcluded);
      }
    }
  }
  if (!paths.empty()) {
    ignore.alwaysInclude(paths.front());
    check(!ignore.excluded(paths.front()));
  }
  return 0;
}
