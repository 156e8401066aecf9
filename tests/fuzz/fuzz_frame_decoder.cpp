// Split invariance of the multiplexed stream decoder: feeding the input in pieces (sizes drawn
// from the first byte) must give the same payload per stream, the same order of stream
// switches and the same error as one feed, in every mode.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/frame_decoder.hpp"

namespace {

using ls::engine::Frame;
using ls::engine::FrameDecoder;
using ls::engine::StreamKind;

struct Outcome {
  std::array<std::string, 4> bytes;
  std::vector<StreamKind> switches;
  std::optional<std::string> error;  // errc name and message
  std::size_t total = 0;

  bool operator==(const Outcome&) const = default;
};

void check(bool cond) {
  if (!cond) {
    std::abort();
  }
}

// Piece sizes 0..max from a small LCG; 0 exercises empty feeds.
class Splitter {
 public:
  explicit Splitter(std::uint8_t seed) : state_(seed), max_((seed & 0x0f) + 1u) {}
  std::size_t next() {
    state_ = state_ * 1103515245u + 12345u;
    return (state_ >> 16) % (max_ + 1);
  }

 private:
  std::uint32_t state_;
  std::uint32_t max_;
};

Outcome run(FrameDecoder::Mode mode, std::string_view input, Splitter* splitter) {
  FrameDecoder decoder(mode);
  std::vector<Frame> frames;
  Outcome o;
  auto fail = [&](const ls::Error& e) {
    o.error = std::string(ls::errcName(e.code())) + ": " + e.message();
  };
  std::size_t pos = 0;
  while (!o.error && pos < input.size()) {
    const std::size_t n =
        splitter != nullptr ? std::min(splitter->next(), input.size() - pos) : input.size();
    if (auto r = decoder.feed(input.substr(pos, n), frames); !r) {
      fail(r.error());
    }
    pos += n;
  }
  if (!o.error) {
    if (auto r = decoder.finish(frames); !r) {
      fail(r.error());
    }
  }
  for (const Frame& f : frames) {
    check(!f.bytes.empty());
    const auto id = static_cast<std::size_t>(f.stream);
    check(id < o.bytes.size());
    o.bytes[id] += f.bytes;
    o.total += f.bytes.size();
    if (o.switches.empty() || o.switches.back() != f.stream) {
      o.switches.push_back(f.stream);
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (auto mode :
       {FrameDecoder::Mode::Auto, FrameDecoder::Mode::Multiplexed, FrameDecoder::Mode::Raw}) {
    const Outcome whole = run(mode, input, nullptr);
    Splitter splitter(data[0]);
    const Outcome split = run(mode, input, &splitter);
    check(split == whole);
    check(whole.total <= input.size());
    if (mode == FrameDecoder::Mode::Raw) {
      check(!whole.error && whole.bytes[1] == input);
    }
  }
  return 0;
}
