// The host side of `cp`: a host path made into a tar for the engine (TarWriter), and a tar from
// the engine extracted onto the host (TarReader) without ever writing outside the destination.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "archive/tar_reader.hpp"
#include "archive/tar_writer.hpp"
#include "lightshuttle/core/result.hpp"

namespace ls::cli {

/// Appends `source` (a file, a symlink, or a directory and everything below it) to `tar` under
/// `name`, or, with an empty `name`, a directory's contents at the top. Permission bits (set-id
/// and sticky included) and mtimes are kept, owners are not (the engine extracts as the
/// container's root). Sockets, FIFOs and devices are left out and listed in `skipped`.
/// NotFound when `source` does not exist; Unavailable when a file cannot be read.
Result<void> tarHostPath(const std::filesystem::path& source, const std::string& name,
                         ls::archive::TarWriter& tar, std::vector<std::string>& skipped);

/// Extracts an engine archive (as GET /containers/{id}/archive makes it: every entry under the
/// source's base name) into the existing directory `directory`, the top entry renamed `name`
/// (empty: its contents go straight into `directory`). Modes and mtimes are applied; directory
/// modes at `finish()`, so a read-only directory still gets its contents. Refused
/// (InvalidArgument): an entry with "..", or one that would go through a symlink the archive
/// made; (FailedPrecondition) replacing a directory with a file or the reverse.
///
/// With `contents` (the source was `DIR/.`) the archive is of a directory's contents, whichever
/// root the engine gives them: Docker's entries are under `./` (`./bin/run.sh`, with a `./` entry
/// for the directory itself), podman 4.3's have no root (`bin/run.sh`, no entry for the
/// directory, which is then made with the default mode).
class HostExtractor final : public ls::archive::TarReader::Handler {
 public:
  HostExtractor(std::filesystem::path directory, std::string name, bool contents = false);
  ~HostExtractor() override;
  HostExtractor(const HostExtractor&) = delete;
  HostExtractor& operator=(const HostExtractor&) = delete;

  Result<void> onEntry(const ls::archive::TarEntry& entry) override;
  Result<void> onData(std::string_view bytes) override;
  Result<void> onEntryEnd() override;
  /// Applies the directories' modes and times. Call once the reader has finished.
  Result<void> finish();

  /// Entries of kinds that are not extracted (devices, FIFOs).
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  Result<std::filesystem::path> target(const std::string& entryName) const;
  Result<void> checkParents(const std::filesystem::path& path) const;

  struct PendingDirectory {
    std::filesystem::path path;
    std::uint32_t mode;
    std::int64_t mtime;
  };
  /// The directory the top entry becomes (`directory` itself when `name` is empty).
  std::filesystem::path top() const;

  std::filesystem::path directory_;
  std::string name_;
  bool contents_ = false;
  bool topSeen_ = false;  // the first entry of a contents archive has been placed
  int fd_ = -1;           // the file being written
  std::filesystem::path filePath_;
  std::uint32_t fileMode_ = 0;
  std::int64_t fileMtime_ = 0;
  std::vector<PendingDirectory> directories_;
  std::vector<std::string> skipped_;
};

}  // namespace ls::cli
