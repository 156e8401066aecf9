#include "archive/tar_writer.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <utility>

namespace ls::archive {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kNameSize = 100;
constexpr std::size_t kPrefixSize = 155;
constexpr std::size_t kLinkSize = 100;
constexpr std::uint64_t kMaxOctal11 = 077777777777ULL;  // 11 octal digits: 8 GiB - 1

// ustar header field offsets.
constexpr std::size_t kOffName = 0;
constexpr std::size_t kOffMode = 100;
constexpr std::size_t kOffUid = 108;
constexpr std::size_t kOffGid = 116;
constexpr std::size_t kOffSize = 124;
constexpr std::size_t kOffMtime = 136;
constexpr std::size_t kOffChksum = 148;
constexpr std::size_t kOffType = 156;
constexpr std::size_t kOffLink = 157;
constexpr std::size_t kOffMagic = 257;
constexpr std::size_t kOffVersion = 263;
constexpr std::size_t kOffDevMajor = 329;
constexpr std::size_t kOffDevMinor = 337;
constexpr std::size_t kOffPrefix = 345;

using Block = std::array<char, kBlock>;

// Zero-padded octal in `width - 1` digits followed by NUL. The caller keeps `value` in range.
void putOctal(Block& b, std::size_t off, std::size_t width, std::uint64_t value) {
  for (std::size_t k = width - 1; k-- > 0;) {
    b[off + k] = static_cast<char>('0' + (value & 7u));
    value >>= 3;
  }
  b[off + width - 1] = '\0';
}

void putBytes(Block& b, std::size_t off, std::string_view s) {
  if (!s.empty()) {  // an empty view may hold a null pointer, which memcpy must not get
    std::memcpy(b.data() + off, s.data(), s.size());
  }
}

std::size_t decimalDigits(std::size_t n) {
  std::size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// "<len> <key>=<value>\n" where <len> counts the whole record, itself included.
std::string paxRecord(std::string_view key, std::string_view value) {
  const std::size_t base = key.size() + value.size() + 3;  // ' ', '=', '\n'
  std::size_t len = base + 1;
  while (base + decimalDigits(len) != len) {
    len = base + decimalDigits(len);
  }
  std::string rec = std::to_string(len);
  rec += ' ';
  rec += key;
  rec += '=';
  rec += value;
  rec += '\n';
  return rec;
}

// Splits `name` into ustar prefix and name at a '/', when it fits that way.
bool splitUstar(std::string_view name, std::string_view& prefix, std::string_view& base) {
  if (name.size() <= kNameSize) {
    prefix = {};
    base = name;
    return true;
  }
  // The split '/' is dropped, so the prefix ends at most at index kPrefixSize.
  const std::size_t searchEnd = std::min(name.size() - 1, kPrefixSize);
  for (std::size_t i = searchEnd + 1; i-- > 1;) {
    if (name[i] != '/') {
      continue;
    }
    const std::size_t baseLen = name.size() - i - 1;
    if (baseLen == 0) {
      continue;  // a directory's trailing '/'
    }
    if (baseLen > kNameSize) {
      return false;  // a '/' further left only makes the base longer
    }
    prefix = name.substr(0, i);
    base = name.substr(i + 1);
    return true;
  }
  return false;
}

void finishHeader(Block& b, char type) {
  b[kOffType] = type;
  putBytes(b, kOffMagic, std::string_view("ustar\0", 6));
  putBytes(b, kOffVersion, "00");
  putOctal(b, kOffUid, 8, 0);
  putOctal(b, kOffGid, 8, 0);
  putOctal(b, kOffDevMajor, 8, 0);
  putOctal(b, kOffDevMinor, 8, 0);
  std::memset(b.data() + kOffChksum, ' ', 8);
  std::uint32_t sum = 0;
  for (char c : b) {
    sum += static_cast<unsigned char>(c);
  }
  putOctal(b, kOffChksum, 7, sum);  // six digits and NUL; the eighth byte stays ' '
}

std::size_t paddingFor(std::uint64_t size) {
  return static_cast<std::size_t>((kBlock - size % kBlock) % kBlock);
}

}  // namespace

void TarWriter::emit(std::string_view bytes) {
  sink_(bytes);
  written_ += bytes.size();
}

Result<void> TarWriter::beginEntry(const TarHeader& header) {
  if (finished_) {
    return Error(Errc::FailedPrecondition, "tar archive already finished");
  }
  if (open_) {
    return Error(Errc::FailedPrecondition,
                 "tar entry '" + openName_ + "' is still open when adding '" + header.name + "'");
  }
  if (header.name.empty()) {
    return Error(Errc::InvalidArgument, "tar entry with an empty name");
  }
  if (header.name.find('\0') != std::string::npos) {
    return Error(Errc::InvalidArgument, "tar entry name contains a nul byte");
  }
  if (header.linkTarget.find('\0') != std::string::npos) {
    return Error(Errc::InvalidArgument,
                 "link target of tar entry '" + header.name + "' contains a nul byte");
  }
  if (header.type != TarEntryType::File && header.size != 0) {
    return Error(Errc::InvalidArgument,
                 "tar entry '" + header.name + "' is not a regular file but has data");
  }

  std::string name = header.name;
  if (header.type == TarEntryType::Directory && name.back() != '/') {
    name += '/';
  }
  const std::string_view link =
      header.type == TarEntryType::Symlink ? std::string_view(header.linkTarget) : "";
  const std::uint32_t mode = header.type == TarEntryType::Symlink ? 0777 : header.mode & 07777;

  std::string pax;
  std::string_view prefix;
  std::string_view base;
  if (!splitUstar(name, prefix, base)) {
    pax += paxRecord("path", name);
    prefix = {};
    base = std::string_view(name).substr(0, kNameSize);
  }
  if (link.size() > kLinkSize) {
    pax += paxRecord("linkpath", link);
  }
  const bool bigSize = header.size > kMaxOctal11;
  if (bigSize) {
    pax += paxRecord("size", std::to_string(header.size));
  }
  const bool oddTime = header.mtime < 0 || static_cast<std::uint64_t>(header.mtime) > kMaxOctal11;
  if (oddTime) {
    pax += paxRecord("mtime", std::to_string(header.mtime));
  }
  const std::uint64_t ustarMtime = oddTime ? 0 : static_cast<std::uint64_t>(header.mtime);

  if (!pax.empty()) {
    Block ext{};
    putBytes(ext, kOffName, "././@PaxHeader");
    putOctal(ext, kOffMode, 8, 0644);
    putOctal(ext, kOffSize, 12, pax.size());
    putOctal(ext, kOffMtime, 12, ustarMtime);
    finishHeader(ext, 'x');
    emit(std::string_view(ext.data(), ext.size()));
    emit(pax);
    emit(std::string(paddingFor(pax.size()), '\0'));
  }

  Block b{};
  putBytes(b, kOffName, base);
  putBytes(b, kOffPrefix, prefix);
  putOctal(b, kOffMode, 8, mode);
  putOctal(b, kOffSize, 12, bigSize ? 0 : header.size);
  putOctal(b, kOffMtime, 12, ustarMtime);
  putBytes(b, kOffLink, link.substr(0, kLinkSize));
  char type = '0';
  if (header.type == TarEntryType::Directory) {
    type = '5';
  } else if (header.type == TarEntryType::Symlink) {
    type = '2';
  }
  finishHeader(b, type);
  emit(std::string_view(b.data(), b.size()));

  open_ = true;
  openName_ = header.name;
  remaining_ = header.size;
  entrySize_ = header.size;
  return ok();
}

Result<void> TarWriter::write(std::string_view data) {
  if (!open_) {
    return Error(Errc::FailedPrecondition, "tar data written with no open entry");
  }
  if (data.size() > remaining_) {
    return Error(Errc::FailedPrecondition, "tar entry '" + openName_ + "' got more than its " +
                                               std::to_string(entrySize_) + " declared bytes");
  }
  if (!data.empty()) {
    emit(data);
  }
  remaining_ -= data.size();
  return ok();
}

Result<void> TarWriter::endEntry() {
  if (!open_) {
    return Error(Errc::FailedPrecondition, "tar entry closed with no open entry");
  }
  if (remaining_ != 0) {
    return Error(Errc::FailedPrecondition, "tar entry '" + openName_ + "' is " +
                                               std::to_string(remaining_) +
                                               " bytes short of its declared size");
  }
  static constexpr std::array<char, kBlock> kZeros{};
  const std::size_t pad = paddingFor(entrySize_);
  if (pad != 0) {
    emit(std::string_view(kZeros.data(), pad));
  }
  open_ = false;
  openName_.clear();
  return ok();
}

Result<void> TarWriter::addEntry(const TarHeader& header, std::string_view data) {
  if (data.size() != header.size) {
    return Error(Errc::InvalidArgument, "tar entry '" + header.name + "' declares " +
                                            std::to_string(header.size) + " bytes but has " +
                                            std::to_string(data.size()));
  }
  LS_TRY(beginEntry(header));
  LS_TRY(write(data));
  return endEntry();
}

Result<void> TarWriter::finish() {
  if (finished_) {
    return Error(Errc::FailedPrecondition, "tar archive already finished");
  }
  if (open_) {
    return Error(Errc::FailedPrecondition,
                 "tar archive finished while entry '" + openName_ + "' is open");
  }
  static constexpr std::array<char, 2 * kBlock> kEnd{};
  emit(std::string_view(kEnd.data(), kEnd.size()));
  finished_ = true;
  return ok();
}

}  // namespace ls::archive
