#include "archive/tar_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace ls::archive {
namespace {

constexpr std::size_t kBlock = 512;

// ustar header field offsets and widths.
constexpr std::size_t kOffName = 0, kLenName = 100;
constexpr std::size_t kOffMode = 100, kLenMode = 8;
constexpr std::size_t kOffSize = 124, kLenSize = 12;
constexpr std::size_t kOffMtime = 136, kLenMtime = 12;
constexpr std::size_t kOffChksum = 148, kLenChksum = 8;
constexpr std::size_t kOffType = 156;
constexpr std::size_t kOffLink = 157, kLenLink = 100;
constexpr std::size_t kOffMagic = 257;
constexpr std::size_t kOffPrefix = 345, kLenPrefix = 155;

/// A NUL-terminated (or full-width) string field.
std::string field(std::string_view block, std::size_t off, std::size_t len) {
  std::string_view f = block.substr(off, len);
  const std::size_t nul = f.find('\0');
  return std::string(nul == std::string_view::npos ? f : f.substr(0, nul));
}

/// An octal number padded with spaces or NULs, or a base-256 number (first byte 0x80 set, as
/// GNU tar and Go write sizes of 8 GiB and more). nullopt when it is neither.
std::optional<std::uint64_t> number(std::string_view block, std::size_t off, std::size_t len) {
  const std::string_view f = block.substr(off, len);
  const auto first = static_cast<unsigned char>(f.front());
  if ((first & 0x80u) != 0) {
    if ((first & 0x40u) != 0) {
      return std::nullopt;  // negative
    }
    std::uint64_t v = first & 0x3fu;
    for (std::size_t i = 1; i < f.size(); ++i) {
      if (v > (UINT64_MAX >> 8)) {
        return std::nullopt;
      }
      v = (v << 8) | static_cast<unsigned char>(f[i]);
    }
    return v;
  }
  std::size_t i = 0;
  while (i < f.size() && (f[i] == ' ' || f[i] == '\0')) {
    ++i;
  }
  std::uint64_t v = 0;
  bool digits = false;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v > (UINT64_MAX >> 3)) {
      return std::nullopt;
    }
    v = (v << 3) | static_cast<std::uint64_t>(f[i] - '0');
    digits = true;
  }
  for (; i < f.size(); ++i) {
    if (f[i] != ' ' && f[i] != '\0') {
      return std::nullopt;
    }
  }
  if (!digits) {
    return 0;  // an all-blank field (some writers leave mtime empty)
  }
  return v;
}

bool allZero(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

bool checksumMatches(std::string_view block, std::uint64_t stored) {
  std::uint64_t unsignedSum = 0;
  std::int64_t signedSum = 0;  // some old writers summed signed chars
  for (std::size_t i = 0; i < kBlock; ++i) {
    const bool inField = i >= kOffChksum && i < kOffChksum + kLenChksum;
    const char c = inField ? ' ' : block[i];
    unsignedSum += static_cast<unsigned char>(c);
    signedSum += static_cast<signed char>(c);
  }
  return unsignedSum == stored || static_cast<std::uint64_t>(signedSum) == stored;
}

std::optional<std::uint64_t> decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::uint64_t paddingFor(std::uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

}  // namespace

Result<void> TarReader::fail(std::string message) {
  failed_ = Error(Errc::InvalidArgument, "malformed tar archive: " + std::move(message));
  return *failed_;
}

Result<void> TarReader::feed(std::string_view bytes) {
  if (failed_) {
    return *failed_;
  }
  while (!bytes.empty()) {
    switch (state_) {
      case State::End: return ok();  // anything after the end marker is ignored, as tar does
      case State::Header: {
        const std::size_t take = std::min(kBlock - block_.size(), bytes.size());
        block_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (block_.size() == kBlock) {
          Result<void> r = onHeaderBlock();
          block_.clear();
          if (!r) {
            if (!failed_) {
              failed_ = r.error();
            }
            return r;
          }
        }
        break;
      }
      case State::Data: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
        if (take > 0) {
          if (Result<void> r = handler_.onData(bytes.substr(0, take)); !r) {
            failed_ = r.error();
            return r;
          }
          bytes.remove_prefix(take);
          remaining_ -= take;
        }
        if (remaining_ == 0) {
          if (Result<void> r = handler_.onEntryEnd(); !r) {
            failed_ = r.error();
            return r;
          }
          state_ = padding_ > 0 ? State::Padding : State::Header;
        }
        break;
      }
      case State::Extended: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
        extended_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) {
          if (extendedType_ == 'x') {
            if (Result<void> r = applyPax(extended_); !r) {
              return r;
            }
          } else if (extendedType_ == 'L' || extendedType_ == 'K') {
            std::string value = extended_;
            if (const std::size_t nul = value.find('\0'); nul != std::string::npos) {
              value.resize(nul);
            }
            (extendedType_ == 'L' ? nextName_ : nextLink_) = std::move(value);
          }  // 'g': global headers set defaults we do not use
          extended_.clear();
          state_ = padding_ > 0 ? State::Padding : State::Header;
        }
        break;
      }
      case State::Padding: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(padding_, bytes.size()));
        bytes.remove_prefix(take);
        padding_ -= take;
        if (padding_ == 0) {
          state_ = State::Header;
        }
        break;
      }
    }
  }
  return ok();
}

Result<void> TarReader::onHeaderBlock() {
  const std::string_view b = block_;
  if (allZero(b)) {
    if (zeroBlockSeen_) {
      state_ = State::End;
    }
    zeroBlockSeen_ = true;
    return ok();
  }
  if (zeroBlockSeen_) {
    return fail("a header after an empty block");
  }
  const std::string rawName = field(b, kOffName, kLenName);
  std::optional<std::uint64_t> chksum = number(b, kOffChksum, kLenChksum);
  if (!chksum || !checksumMatches(b, *chksum)) {
    return fail("bad header checksum at entry '" + rawName + "'");
  }
  std::optional<std::uint64_t> size = number(b, kOffSize, kLenSize);
  if (!size) {
    return fail("entry '" + rawName + "' has a size that is not a number");
  }
  const char type = b[kOffType];
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    if (*size > kMaxExtendedHeader) {
      return fail("extended header of " + std::to_string(*size) + " bytes (more than 1 MiB)");
    }
    extendedType_ = type;
    extended_.clear();
    remaining_ = *size;
    padding_ = paddingFor(*size);
    state_ = remaining_ > 0 ? State::Extended : (padding_ > 0 ? State::Padding : State::Header);
    if (remaining_ == 0) {
      extendedType_ = 0;
    }
    return ok();
  }

  TarEntry e;
  e.typeFlag = type == '\0' ? '0' : type;
  const bool ustar = b.substr(kOffMagic, 5) == "ustar";
  std::string name = rawName;
  if (ustar) {
    const std::string prefix = field(b, kOffPrefix, kLenPrefix);
    if (!prefix.empty()) {
      name = prefix + "/" + name;
    }
  }
  if (nextName_) {
    name = std::move(*nextName_);
  }
  e.linkTarget = nextLink_ ? std::move(*nextLink_) : field(b, kOffLink, kLenLink);
  std::optional<std::uint64_t> mode = number(b, kOffMode, kLenMode);
  std::optional<std::uint64_t> mtime = number(b, kOffMtime, kLenMtime);
  if (!mode) {
    return fail("entry '" + name + "' has a mode that is not a number");
  }
  e.mode = static_cast<std::uint32_t>(*mode & 07777u);
  e.mtime = nextMtime_ ? *nextMtime_ : static_cast<std::int64_t>(mtime.value_or(0) & INT64_MAX);
  std::uint64_t dataSize = nextSize_ ? *nextSize_ : *size;
  nextName_.reset();
  nextLink_.reset();
  nextSize_.reset();
  nextMtime_.reset();

  switch (e.typeFlag) {
    case '0':
    case '7':  // contiguous file
      e.type = TarReadType::File;
      break;
    case '1': e.type = TarReadType::Hardlink; break;
    case '2': e.type = TarReadType::Symlink; break;
    case '5': e.type = TarReadType::Directory; break;
    default: e.type = TarReadType::Other;
  }
  if (e.type == TarReadType::File && !name.empty() && name.back() == '/') {
    e.type = TarReadType::Directory;  // pre-POSIX archives mark directories by the name only
  }
  while (name.size() > 1 && name.back() == '/') {
    name.pop_back();
  }
  if (name.empty()) {
    return fail("an entry without a name");
  }
  e.name = std::move(name);
  // Only regular files deliver data; whatever another type carries is skipped.
  e.size = e.type == TarReadType::File ? dataSize : 0;
  ++entries_;
  LS_TRY(handler_.onEntry(e));
  if (e.size == 0) {
    LS_TRY(handler_.onEntryEnd());
    padding_ = dataSize + paddingFor(dataSize);
    state_ = padding_ > 0 ? State::Padding : State::Header;
    return ok();
  }
  remaining_ = dataSize;
  padding_ = paddingFor(dataSize);
  state_ = State::Data;
  return ok();
}

Result<void> TarReader::applyPax(std::string_view records) {
  while (!records.empty()) {
    const std::size_t space = records.find(' ');
    if (space == std::string_view::npos) {
      return fail("PAX record without a length");
    }
    std::optional<std::uint64_t> len = decimal(records.substr(0, space));
    if (!len || *len <= space + 1 || *len > records.size()) {
      return fail("PAX record with a bad length");
    }
    std::string_view rec = records.substr(space + 1, *len - space - 1);
    records.remove_prefix(*len);
    if (rec.empty() || rec.back() != '\n') {
      return fail("PAX record not ending in a newline");
    }
    rec.remove_suffix(1);
    const std::size_t eq = rec.find('=');
    if (eq == std::string_view::npos) {
      return fail("PAX record without '='");
    }
    const std::string_view key = rec.substr(0, eq);
    const std::string_view value = rec.substr(eq + 1);
    if (key == "path") {
      nextName_ = std::string(value);
    } else if (key == "linkpath") {
      nextLink_ = std::string(value);
    } else if (key == "size") {
      std::optional<std::uint64_t> v = decimal(value);
      if (!v) {
        return fail("PAX size '" + std::string(value) + "' is not a number");
      }
      nextSize_ = *v;
    } else if (key == "mtime") {
      // "1700000000.123456789": whole seconds are enough here.
      const std::string_view whole = value.substr(0, value.find('.'));
      if (std::optional<std::uint64_t> v = decimal(whole); v && *v <= INT64_MAX) {
        nextMtime_ = static_cast<std::int64_t>(*v);
      }
    }
  }
  return ok();
}

Result<void> TarReader::finish() {
  if (failed_) {
    return *failed_;
  }
  if (state_ == State::End || (state_ == State::Header && block_.empty())) {
    if (nextName_ || nextLink_ || nextSize_ || nextMtime_) {
      return fail("the archive ends after an extended header");
    }
    return ok();
  }
  return fail(state_ == State::Header ? "the archive ends inside a header"
                                      : "the archive ends inside an entry");
}

}  // namespace ls::archive
