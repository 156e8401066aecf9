#include "engine/frame_decoder.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace ls::engine {

namespace {

constexpr std::size_t kHeaderSize = 8;

using Byte = unsigned char;

// Whether byte `b` may sit at position `pos` (< 4) of a header. The length bytes (4-7) may be
// anything, so only the stream id and the three reserved zeros tell a header from text.
bool plausibleHeaderByte(std::size_t pos, Byte b) {
  return pos == 0 ? b <= static_cast<Byte>(StreamKind::System) : b == 0;
}

std::uint32_t payloadLength(const Byte* h) {
  return (std::uint32_t{h[4]} << 24) | (std::uint32_t{h[5]} << 16) | (std::uint32_t{h[6]} << 8) |
         std::uint32_t{h[7]};
}

void emit(std::vector<Frame>& out, StreamKind stream, const char* data, std::size_t size) {
  if (size != 0) {
    out.push_back(Frame{stream, std::string(data, size)});
  }
}

Error invalidHeader(std::uint64_t offset, const Byte* h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (std::size_t i = 0; i < 4; ++i) {
    hex += kHex[h[i] >> 4];
    hex += kHex[h[i] & 0xf];
  }
  return Error(Errc::InvalidArgument,
               "invalid frame header at byte " + std::to_string(offset) +
                   ": expected a stream id 0-3 and three zero bytes, got 0x" + hex);
}

Error alreadyFailed() {
  return Error(Errc::InvalidArgument, "frame decoder already failed on a malformed header");
}

}  // namespace

Result<void> FrameDecoder::feed(std::string_view bytes, std::vector<Frame>& out) {
  if (failed_) {
    return alreadyFailed();
  }
  const std::uint64_t base = offset_;
  offset_ += bytes.size();

  if (mode_ == Mode::Auto) {
    // NOTE: raw output is detected as soon as one of the first four bytes cannot belong to a
    // header, so an interactive TTY prompt is not held back waiting for eight bytes.
    const std::size_t have = header_.size();
    std::size_t i = 0;
    bool raw = false;
    for (; have + i < kHeaderSize && i < bytes.size(); ++i) {
      const std::size_t pos = have + i;
      if (pos < 4 && !plausibleHeaderByte(pos, static_cast<Byte>(bytes[i]))) {
        raw = true;
        break;
      }
    }
    if (raw) {
      mode_ = Mode::Raw;
      std::string piece;
      piece.reserve(have + bytes.size());
      piece.append(header_).append(bytes);
      header_.clear();
      out.push_back(Frame{StreamKind::Stdout, std::move(piece)});
      return ok();
    }
    if (have + i < kHeaderSize) {
      header_.append(bytes);
      return ok();
    }
    mode_ = Mode::Multiplexed;  // header_ keeps its bytes: the loop below completes the header
  }

  if (mode_ == Mode::Raw) {
    emit(out, StreamKind::Stdout, bytes.data(), bytes.size());
    return ok();
  }

  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* p = begin;
  while (p != end) {
    if (remaining_ != 0) {
      const auto n = static_cast<std::size_t>(
          std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(end - p)));
      emit(out, current_, p, n);
      out.back().start = std::exchange(atFrameStart_, false);
      p += n;
      remaining_ -= n;
      continue;
    }
    const Byte* h = nullptr;
    if (header_.empty() && static_cast<std::size_t>(end - p) >= kHeaderSize) {
      h = reinterpret_cast<const Byte*>(p);
      p += kHeaderSize;
    } else {
      const std::size_t n =
          std::min(kHeaderSize - header_.size(), static_cast<std::size_t>(end - p));
      header_.append(p, n);
      p += n;
      if (header_.size() < kHeaderSize) {
        break;
      }
      h = reinterpret_cast<const Byte*>(header_.data());
    }
    for (std::size_t pos = 0; pos < 4; ++pos) {
      if (!plausibleHeaderByte(pos, h[pos])) {
        failed_ = true;
        return invalidHeader(base + static_cast<std::uint64_t>(p - begin) - kHeaderSize, h);
      }
    }
    current_ = static_cast<StreamKind>(h[0]);
    remaining_ = payloadLength(h);
    atFrameStart_ = true;
    header_.clear();
  }
  return ok();
}

Result<void> FrameDecoder::finish(std::vector<Frame>& out) {
  if (failed_) {
    return alreadyFailed();
  }
  if (mode_ == Mode::Auto) {
    if (!header_.empty()) {
      mode_ = Mode::Raw;
      emit(out, StreamKind::Stdout, header_.data(), header_.size());
      header_.clear();
    }
    return ok();
  }
  if (!header_.empty()) {
    return Error(Errc::Unavailable, "stream ended inside a frame: " +
                                        std::to_string(header_.size()) + " of 8 header bytes");
  }
  if (remaining_ != 0) {
    return Error(Errc::Unavailable, "stream ended inside a frame: " + std::to_string(remaining_) +
                                        " payload bytes missing");
  }
  return ok();
}

}  // namespace ls::engine
