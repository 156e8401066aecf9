// A minimal streaming tar writer: POSIX ustar, with PAX extended headers only when a field does
// not fit (a path longer than ustar's 100-byte name plus 155-byte prefix, a link target longer
// than 100 bytes, a size of 8 GiB or more, an mtime before 1970 or past 2242). Pure: the bytes
// go to a sink, no I/O.
//
//   std::string out;
//   TarWriter tar(out);
//   LS_TRY(tar.addEntry({.type = TarEntryType::Directory, .name = "app", .mode = 0755}));
//   LS_TRY(tar.addEntry({.name = "app/run.sh", .mode = 0755, .size = body.size()}, body));
//   LS_TRY(tar.addEntry({.type = TarEntryType::Symlink, .name = "run", .linkTarget =
//   "app/run.sh"})); LS_TRY(tar.finish());
//
// Large files stream: beginEntry(header with the size), write() the data in any number of
// chunks, endEntry() (which pads to the 512-byte block). Owner and group are always 0 and
// unnamed; the Docker build context does the same.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"

namespace ls::archive {

enum class TarEntryType { File, Directory, Symlink };

struct TarHeader {
  TarEntryType type = TarEntryType::File;
  /// '/'-separated relative path; a directory gets a trailing '/' if it has none. No NUL bytes.
  std::string name;
  /// Permission bits, set-id and sticky bits (masked with 07777). Symlinks are written 0777.
  std::uint32_t mode = 0644;
  /// Bytes of data that follow: files only (0 for directories and symlinks).
  std::uint64_t size = 0;
  /// Modification time, seconds since the epoch.
  std::int64_t mtime = 0;
  /// Symlinks only: the target, written verbatim. No NUL bytes.
  std::string linkTarget;
};

class TarWriter {
 public:
  /// Receives the archive bytes in order, in pieces of any size.
  using Sink = std::function<void(std::string_view)>;

  explicit TarWriter(Sink sink) : sink_(std::move(sink)) {}
  /// Appends to `out`, which must outlive the writer.
  explicit TarWriter(std::string& out)
      : sink_([&out](std::string_view bytes) { out.append(bytes); }) {}

  /// Writes the header (and a PAX header before it when needed). Errors: InvalidArgument for an
  /// empty name, a NUL byte in the name or link target, or data on a directory or symlink;
  /// FailedPrecondition when an entry is still open or the archive is finished.
  Result<void> beginEntry(const TarHeader& header);
  /// Appends data to the open entry. FailedPrecondition beyond the declared size or with no
  /// open entry.
  Result<void> write(std::string_view data);
  /// Closes the open entry and pads it to a block. FailedPrecondition when fewer bytes than the
  /// declared size were written (the entry is then left open).
  Result<void> endEntry();
  /// beginEntry + write + endEntry; `data` must be exactly `header.size` bytes.
  Result<void> addEntry(const TarHeader& header, std::string_view data = {});
  /// Writes the end-of-archive marker (two zero blocks). Nothing may follow.
  Result<void> finish();

  /// Bytes handed to the sink so far.
  std::uint64_t bytesWritten() const { return written_; }

 private:
  void emit(std::string_view bytes);

  Sink sink_;
  bool open_ = false;
  bool finished_ = false;
  std::string openName_;
  std::uint64_t remaining_ = 0;  // data bytes the open entry still expects
  std::uint64_t entrySize_ = 0;
  std::uint64_t written_ = 0;
};

}  // namespace ls::archive
