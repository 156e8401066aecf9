// The bytes of a sync: one tar of every copy of a batch (for Runtime::archivePut at "/"), and
// one command removing every deleted path (for Runtime::exec). Private to ls_watch.
#pragma once

#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "watch/rules.hpp"

namespace ls::watch::detail {

struct SyncTar {
  std::string bytes;
  std::size_t entries = 0;  ///< files, directories and links written
};

/// Reads every copy's source and writes it at its target (made relative to "/"): regular
/// files with their mode and mtime, directories, symbolic links as links. A source that
/// vanished since the batch was planned is left out (its deletion comes with the next batch).
/// Errors: Internal (a file that cannot be read), InvalidArgument (a name tar cannot hold).
Result<SyncTar> tarOfCopies(const std::vector<SyncCopy>& copies);

/// `rm -rf -- <paths...>`; empty when there is nothing to delete.
std::vector<std::string> deleteCommand(const std::vector<std::string>& paths);

}  // namespace ls::watch::detail
