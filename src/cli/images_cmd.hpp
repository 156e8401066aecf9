// `build`, `pull` and `images`: the stack's images ahead of time, through the lifecycle's
// prepare step (the one `up` runs while dependencies boot). Their options and run functions;
// the shared runner is in build.cpp.
#pragma once

#include <string>
#include <vector>

namespace ls::cli {

struct PrepareVerbOptions {
  std::string file;
  std::string envFile;
  std::vector<std::string> resources;  ///< empty: every resource the verb applies to
  std::string progress = "auto";       ///< auto | tty | plain | json
  bool noColor = false;
  /// pull: `always` pulls every image from its registry (as docker compose does), `missing`
  /// only the absent ones. Images whose pull_policy is `never` are checked, never pulled.
  std::string policy = "always";
};

/// `lightshuttle build`: builds the Dockerfile resources (all, or the named ones) in parallel,
/// at most max(1, CPUs / 2) at once. 0 every image built, 1 a build failed (named), 2 usage
/// (unknown resource, invalid manifest).
int runBuild(const PrepareVerbOptions& options);

/// `lightshuttle pull`: pulls the images of the non-Dockerfile resources in parallel. 0 every
/// image present, 1 a pull failed (named), 2 usage.
int runPull(const PrepareVerbOptions& options);

struct ImagesOptions {
  std::string file;
  std::string envFile;
  std::vector<std::string> resources;
  std::string format = "table";  ///< table | json
};

/// `lightshuttle images`: the images the stack uses (resource, image, id, size, built or
/// pulled, present or not). 0 ok, 1 engine failure, 2 usage.
int runImages(const ImagesOptions& options);

}  // namespace ls::cli
