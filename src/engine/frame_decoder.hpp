// Decoder of Docker's multiplexed stdout/stderr stream (logs, attach, exec without a TTY).
// Pure and byte-fed: no I/O, any split of the input gives the same output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/types.hpp"

namespace ls::engine {

/// A piece of one frame's payload. Payloads are emitted as they arrive (a large frame may come
/// out as several pieces of the same stream); pieces of different frames are never merged.
struct Frame {
  StreamKind stream = StreamKind::Stdout;
  std::string bytes;
  bool start = false;  ///< Multiplexed: the first piece of the frame's payload
};

class FrameDecoder {
 public:
  enum class Mode {
    Auto,         ///< decide from the first 8 bytes: a valid header means multiplexed, else raw
    Multiplexed,  ///< 8-byte headers [stream, 0, 0, 0, big-endian u32 length] + payload
    Raw,          ///< TTY: bytes as they come, all on stdout
  };
  explicit FrameDecoder(Mode mode = Mode::Auto) : mode_(mode) {}

  /// Appends decoded pieces to `out`. InvalidArgument on a malformed header (naming the byte
  /// offset); the decoder then stays failed. Stream 3 (the daemon's system error) is emitted as
  /// StreamKind::System for the caller to turn into an error.
  Result<void> feed(std::string_view bytes, std::vector<Frame>& out);
  /// End of input. Flushes an undecided Auto prefix as raw. A stream that ends inside a header or
  /// a payload is an error (Unavailable: "stream ended inside a frame") after what was complete.
  Result<void> finish(std::vector<Frame>& out);

  /// The mode in effect (Auto until decided).
  Mode mode() const { return mode_; }

 private:
  Mode mode_;
  std::string header_;  // partial header bytes (or undecided Auto prefix)
  StreamKind current_ = StreamKind::Stdout;
  std::uint64_t remaining_ = 0;  // payload bytes left in the current frame
  bool atFrameStart_ = false;    // no payload byte of the current frame emitted yet
  std::uint64_t offset_ = 0;     // bytes consumed so far, for error messages
  bool failed_ = false;
};

}  // namespace ls::engine
