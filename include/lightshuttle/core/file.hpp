// File: lightshuttle/core/file.hpp
//
// File helpers with the crash-safety state and secret files need.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"

namespace ls {

/// Writes `data` to `path` atomically: a temporary file beside it (created with `mode`, e.g.
/// 0600 for secrets), fsync, rename over `path`, then fsync of the directory. Readers see the
/// old content or the new, never a torn file; the temporary is removed on every failure path.
/// Errors: PermissionDenied, NotFound (missing directory), Internal (other I/O errors); the
/// message names the path and the failing step.
Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view data,
                             mode_t mode = 0644);

/// Reads a whole file. Errors: NotFound, PermissionDenied, Internal.
Result<std::string> readFile(const std::filesystem::path& path);

}  // namespace ls
