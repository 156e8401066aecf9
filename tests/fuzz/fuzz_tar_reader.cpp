// The tar reader on arbitrary bytes: never crashes, errors are InvalidArgument, the events do not
// depend on how the input is split into pieces, every file entry that ends delivered exactly its
// declared size, and what it read writes back (TarWriter) and reads again to the same entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "archive/tar_reader.hpp"
#include "archive/tar_writer.hpp"

namespace {

using ls::archive::TarEntry;
using ls::archive::TarReader;
using ls::archive::TarReadType;

void check(bool cond) {
  if (!cond) {
    std::abort();
  }
}

struct Read {
  TarEntry entry;
  std::string data;
  bool ended = false;
};

struct Collect final : TarReader::Handler {
  std::vector<Read> entries;
  ls::Result<void> onEntry(const TarEntry& e) override {
    entries.push_back(Read{e, {}, false});
    return ls::ok();
  }
  ls::Result<void> onData(std::string_view bytes) override {
    check(!entries.empty() && !entries.back().ended);
    entries.back().data.append(bytes);
    check(entries.back().data.size() <= entries.back().entry.size);
    return ls::ok();
  }
  ls::Result<void> onEntryEnd() override {
    check(!entries.empty() && !entries.back().ended);
    check(entries.back().data.size() == entries.back().entry.size);
    entries.back().ended = true;
    return ls::ok();
  }
};

/// Reads `input` in pieces of `piece` bytes (0: at once); true when it was a valid archive.
bool readAll(std::string_view input, std::size_t piece, Collect& out) {
  TarReader reader(out);
  ls::Result<void> r = ls::ok();
  if (piece == 0) {
    r = reader.feed(input);
  } else {
    for (std::size_t i = 0; i < input.size() && r; i += piece) {
      r = reader.feed(input.substr(i, piece));
    }
  }
  if (r) {
    r = reader.finish();
  }
  if (!r) {
    check(r.error().code() == ls::Errc::InvalidArgument);
    check(!reader.feed("x") && !reader.finish());  // errors stick
  }
  return static_cast<bool>(r);
}

bool same(const Read& a, const Read& b) {
  return a.entry.type == b.entry.type && a.entry.name == b.entry.name &&
         a.entry.mode == b.entry.mode && a.entry.size == b.entry.size &&
         a.entry.linkTarget == b.entry.linkTarget && a.data == b.data && a.ended == b.ended;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Collect whole;
  const bool valid = readAll(input, 0, whole);
  Collect split;
  const std::size_t piece = size == 0 ? 1 : 1 + static_cast<std::size_t>(data[0]) % 700;
  check(readAll(input, piece, split) == valid);
  check(split.entries.size() == whole.entries.size());
  for (std::size_t i = 0; i < whole.entries.size(); ++i) {
    check(same(whole.entries[i], split.entries[i]));
  }
  if (!valid) {
    return 0;
  }
  // Round trip through the writer: files, directories and symlinks it can express.
  std::string rewritten;
  ls::archive::TarWriter writer(rewritten);
  std::vector<Read> kept;
  for (const Read& r : whole.entries) {
    ls::archive::TarHeader h;
    switch (r.entry.type) {
      case TarReadType::File: h.type = ls::archive::TarEntryType::File; break;
      case TarReadType::Directory: h.type = ls::archive::TarEntryType::Directory; break;
      case TarReadType::Symlink: h.type = ls::archive::TarEntryType::Symlink; break;
      default: continue;
    }
    h.name = r.entry.name;
    h.mode = r.entry.mode;
    h.size = r.entry.size;
    h.mtime = r.entry.mtime;
    h.linkTarget = h.type == ls::archive::TarEntryType::Symlink ? r.entry.linkTarget : "";
    if (!writer.addEntry(h, r.data)) {
      continue;  // a name the writer refuses (NUL byte)
    }
    Read expect = r;
    if (h.type == ls::archive::TarEntryType::Symlink) {
      expect.entry.mode = 0777;
    } else if (h.type == ls::archive::TarEntryType::Directory) {
      expect.entry.linkTarget.clear();
    } else {
      expect.entry.linkTarget.clear();
    }
    kept.push_back(expect);
  }
  check(static_cast<bool>(writer.finish()));
  Collect again;
  check(readAll(rewritten, 0, again));
  check(again.entries.size() == kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    check(same(again.entries[i], kept[i]));
  }
  return 0;
}
