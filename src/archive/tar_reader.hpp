// A streaming tar reader, the counterpart of TarWriter: POSIX ustar with PAX extended headers
// (path, linkpath, size, mtime), GNU long names ('L', 'K') and base-256 numbers, as the Docker
// engine's archive endpoints (Go's archive/tar) produce them. Pure: bytes are pushed in pieces of
// any size and entries come out through a handler, with no I/O and nothing buffered beyond one
// header block and the extended-header records.
//
//   struct Print : TarReader::Handler {
//     Result<void> onEntry(const TarEntry& e) override { ...e.name, e.mode, e.size... }
//     Result<void> onData(std::string_view bytes) override { ... }
//     Result<void> onEntryEnd() override { return ok(); }
//   } print;
//   TarReader tar(print);
//   while (auto piece = co_await stream.next(); ...) LS_CO_TRY(tar.feed(*piece));
//   LS_CO_TRY(tar.finish());
//
// Errors are InvalidArgument naming the entry and what is wrong (a bad checksum, a size that is
// not a number, an extended header over 1 MiB, a truncated archive). A handler's error stops the
// reader and is returned as it is. After an error every further call returns it again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"

namespace ls::archive {

enum class TarReadType {
  File,
  Directory,
  Symlink,
  Hardlink,  ///< `linkTarget` names an earlier entry of the archive
  Other,     ///< devices, FIFOs, unknown types: reported so the caller can say it skipped them
};

struct TarEntry {
  TarReadType type = TarReadType::File;
  /// As stored (PAX or GNU long name when present), without a trailing '/'. Not sanitised: the
  /// caller decides what an absolute name or a ".." component means for it.
  std::string name;
  std::uint32_t mode = 0;  ///< permission, set-id and sticky bits (07777)
  std::uint64_t size = 0;  ///< data bytes that follow (files; 0 for the others)
  std::int64_t mtime = 0;  ///< seconds since the epoch
  std::string linkTarget;  ///< symlinks and hardlinks
  char typeFlag = '0';     ///< the raw type byte (for messages about Other)
};

class TarReader {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual Result<void> onEntry(const TarEntry& entry) = 0;
    /// The entry's data, in order, in pieces of any size (files only).
    virtual Result<void> onData(std::string_view bytes) = 0;
    virtual Result<void> onEntryEnd() = 0;
  };

  /// Extended headers (PAX, GNU long names) larger than this are refused.
  static constexpr std::uint64_t kMaxExtendedHeader = 1024 * 1024;

  explicit TarReader(Handler& handler) : handler_(handler) {}

  /// Consumes the next bytes of the archive.
  Result<void> feed(std::string_view bytes);
  /// Ends the input: InvalidArgument when it stopped inside a header or an entry. An archive
  /// without the end-of-archive marker is accepted when it stopped between entries.
  Result<void> finish();

  /// Entries reported so far.
  std::uint64_t entries() const { return entries_; }

 private:
  enum class State { Header, Data, Padding, Extended, End };

  Result<void> fail(std::string message);
  Result<void> onHeaderBlock();
  Result<void> applyPax(std::string_view records);

  Handler& handler_;
  State state_ = State::Header;
  std::string block_;            // the header block being assembled
  std::uint64_t remaining_ = 0;  // data (or extended header) bytes still to come
  std::uint64_t padding_ = 0;    // zero bytes after the data up to the block boundary
  char extendedType_ = 0;        // 'x', 'g', 'L' or 'K' while reading an extended header
  std::string extended_;         // its bytes
  // Overrides the next header takes from the extended headers before it.
  std::optional<std::string> nextName_;
  std::optional<std::string> nextLink_;
  std::optional<std::uint64_t> nextSize_;
  std::optional<std::int64_t> nextMtime_;
  bool zeroBlockSeen_ = false;
  std::uint64_t entries_ = 0;
  std::optional<Error> failed_;
};

}  // namespace ls::archive
