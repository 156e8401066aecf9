// The build context of an image build: the context directory as a tar archive, built
// in-process (no `tar` binary) the way the Docker CLI builds it.
//
//   LS_ASSIGN_OR_RETURN(std::string dockerfile, resolveDockerfile(dir, "docker/Dockerfile"));
//   LS_ASSIGN_OR_RETURN(std::string body, makeBuildContextTar(dir, dockerfile));
//   // POST /build?dockerfile=<dockerfile> with `body` as application/x-tar
//
// What goes in:
// - every file, directory and symlink under the context directory, in byte-wise sorted order
//   (the archive is deterministic for a given tree), under forward-slash relative names;
// - except what `.dockerignore` at the context root excludes (see dockerignore.hpp); the
//   Dockerfile and `.dockerignore` themselves are always kept, as the Docker CLI does. An
//   excluded directory with a re-included path beneath it is still written (with its own mode)
//   so that the re-included path has its parent;
// - symlinks are written as symlinks with their target verbatim and are never followed, also
//   when they point to a directory;
// - sockets, fifos and device nodes are skipped silently;
// - owner and group are 0, modes are the file's permission bits, mtimes are the file's.
// The context root itself has no entry.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "archive/tar_writer.hpp"
#include "lightshuttle/core/result.hpp"

namespace ls::runtime::detail {

using archive::TarWriter;

/// Resolves the Dockerfile of a build: `dockerfile` is relative to `contextDir` (as in a compose
/// file), or absolute; empty means "Dockerfile". Symlinks are resolved. Returns its
/// forward-slash path relative to the context, the value of the Engine's `dockerfile` query
/// parameter. Errors, naming both paths: NotFound (no such context directory or Dockerfile),
/// InvalidArgument (the context is not a directory, the Dockerfile is not a regular file or lies
/// outside the context), PermissionDenied, Internal.
Result<std::string> resolveDockerfile(const std::filesystem::path& contextDir,
                                      std::string_view dockerfile);

/// Checks that a build can start: `resolveDockerfile` without the result.
Result<void> validateBuildContext(const std::filesystem::path& contextDir,
                                  std::string_view dockerfile);

/// Writes the build context of `contextDir` to `tar`, then finishes the archive. `dockerfile`
/// as in resolveDockerfile. Errors: those of resolveDockerfile; InvalidArgument for a malformed
/// `.dockerignore` (naming the file and the line); PermissionDenied or NotFound for an entry
/// that cannot be read, naming its path; Internal for other I/O errors and for a file that
/// changes while it is read. Blocking: reads the whole tree.
Result<void> writeBuildContextTar(const std::filesystem::path& contextDir,
                                  std::string_view dockerfile, TarWriter& tar);

/// The build context of `contextDir` as one tar archive in memory; see writeBuildContextTar.
Result<std::string> makeBuildContextTar(const std::filesystem::path& contextDir,
                                        std::string_view dockerfile);

}  // namespace ls::runtime::detail
