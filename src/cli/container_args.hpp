// Pure readers of the arguments of `cp` and `port` (unit-tested in tests/unit/cli/).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::cli {

/// One side of `cp`: a path in a resource's container, a host path, or `-` (a tar stream).
struct CopyEndpoint {
  enum class Kind { Container, Host, Stream };
  Kind kind = Kind::Host;
  std::string resource;  ///< Container
  std::string path;  ///< Container: absolute (a relative one is taken from `/`); Host: as written
};

/// Reads `resource:/path`, a host path or `-` as docker cp does: a colon before any '/' marks a
/// container path, so a host path with a colon in it is written `./a:b` or absolute.
/// InvalidArgument for an empty argument, an empty resource (`:/x`) or path (`web:`).
Result<CopyEndpoint> parseCopyEndpoint(std::string_view arg);

/// Where `cp` puts things, decided as docker cp does from the source's kind and what exists at
/// the destination.
struct CopyPlacement {
  /// The directory the archive is extracted into (it must exist).
  std::string directory;
  /// The name the source takes there ("" for `SRC/.`: its contents go straight in).
  std::string name;
};

/// The facts about the destination that decide the placement.
struct DestinationState {
  bool exists = false;
  bool isDirectory = false;
  bool parentIsDirectory = false;  ///< whether the parent exists as a directory
};

/// `source` and `destination` are paths ('/'-separated); `sourceIsDirectory` is the source's
/// kind. Copies into an existing directory as `<dir>/<basename of source>` (or the contents, for
/// a source ending in `/.`), otherwise as the destination itself. FailedPrecondition, saying
/// why, when a directory would replace a file, the parent is missing, or a file is copied to a
/// path ending in '/' that is not a directory.
Result<CopyPlacement> placeCopy(std::string_view source, bool sourceIsDirectory,
                                std::string_view destination, const DestinationState& state);

/// `/a/b/` → `b`, `/a/b/.` → `.`, `/` → `/`.
std::string baseName(std::string_view path);
/// `/a/b` → `/a`, `b` → `.`, `/b` → `/`.
std::string parentPath(std::string_view path);

/// A published container port as `port` takes it: `80`, `80/tcp`, `53/udp`.
struct PortSpec {
  std::uint16_t port = 0;
  runtime::Protocol protocol = runtime::Protocol::Tcp;
};
/// InvalidArgument, naming the text, for a port outside 1..65535 or an unknown protocol.
Result<PortSpec> parsePortSpec(std::string_view text);

}  // namespace ls::cli
