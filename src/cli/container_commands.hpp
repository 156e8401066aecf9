// The commands that look into or copy out of a stack's containers: `cp`, `top`, `port`, `stats`.
// Each is one file (cp.cpp, top.cpp, port.cpp, stats.cpp) that registers its subcommand
// (registerX, listed in table.cpp); their options structs and run functions are here. They find
// containers by label (cli/container_lookup.hpp); data goes to stdout, diagnostics to stderr. Exit
// codes: 0 ok, 1 failure (unknown or stopped resource, missing path, engine error), 2 usage, 130
// interrupted (Ctrl+C while streaming).
#pragma once

#include <string>
#include <vector>

namespace ls::cli {

struct CpOptions {
  std::string file;         ///< -f; empty = discovery
  std::string project;      ///< -p; overrides the manifest's
  std::string source;       ///< `resource:/path`, a host path, or `-` (a tar on stdin)
  std::string destination;  ///< `resource:/path`, a host path, or `-` (a tar on stdout)
};
/// `lightshuttle cp`: 0 copied, 1 failure (missing path, unknown resource), 2 usage.
int runCp(const CpOptions& options);

struct TopOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;  ///< empty = every running resource
};
/// `lightshuttle top`: the processes of each running resource. 0 ok, 1 failure.
int runTop(const TopOptions& options);

struct PortOptions {
  std::string file;
  std::string project;
  std::string resource;
  std::string port;  ///< PORT or PORT/PROTO
};
/// `lightshuttle port`: prints HOST:PORT of a published container port. 0 ok, 1 unknown port or
/// resource, 2 a malformed port.
int runPort(const PortOptions& options);

struct StatsOptions {
  std::string file;
  std::string project;
  std::vector<std::string> resources;  ///< empty = every running resource
  bool noStream = false;               ///< one snapshot, then exit
  std::string format = "table";        ///< table | json
};
/// `lightshuttle stats`: 0 ok (or every container stopped), 1 failure, 130 after Ctrl+C.
int runStats(const StatsOptions& options);

}  // namespace ls::cli
