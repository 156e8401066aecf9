#include "engine/frame_decoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ls::engine {
namespace {

using Mode = FrameDecoder::Mode;
using namespace std::string_literals;

std::string header(std::uint8_t stream, std::uint32_t length) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  h[4] = static_cast<char>(length >> 24);
  h[5] = static_cast<char>(length >> 16);
  h[6] = static_cast<char>(length >> 8);
  h[7] = static_cast<char>(length);
  return h;
}

std::string frame(std::uint8_t stream, std::string_view payload) {
  return header(stream, static_cast<std::uint32_t>(payload.size())) + std::string(payload);
}

// What a consumer of the decoder can observe, independent of how the input was split.
struct Decoded {
  std::map<StreamKind, std::string> bytes;  // concatenated payload per stream
  std::vector<StreamKind> switches;         // order of streams, consecutive repeats collapsed
  std::size_t starts = 0;                   // pieces marked as a frame's first
  std::optional<Errc> error;
  Mode mode = Mode::Auto;

  bool operator==(const Decoded&) const = default;
};

void collect(const std::vector<Frame>& frames, Decoded& d) {
  for (const Frame& f : frames) {
    EXPECT_FALSE(f.bytes.empty()) << "empty pieces are never emitted";
    d.bytes[f.stream] += f.bytes;
    d.starts += f.start ? 1 : 0;
    if (d.switches.empty() || d.switches.back() != f.stream) {
      d.switches.push_back(f.stream);
    }
  }
}

Decoded decodePieces(Mode mode, const std::vector<std::string_view>& pieces) {
  FrameDecoder decoder(mode);
  Decoded d;
  std::vector<Frame> frames;
  for (std::string_view piece : pieces) {
    auto r = decoder.feed(piece, frames);
    if (!r) {
      d.error = r.error().code();
      break;
    }
  }
  if (!d.error) {
    auto r = decoder.finish(frames);
    if (!r) {
      d.error = r.error().code();
    }
  }
  collect(frames, d);
  d.mode = decoder.mode();
  return d;
}

Decoded decodeWhole(Mode mode, std::string_view input) { return decodePieces(mode, {input}); }

// Feeds `input` split once at every position and byte by byte; all must match one feed.
void expectSplitInvariant(Mode mode, std::string_view input) {
  const Decoded whole = decodeWhole(mode, input);
  for (std::size_t at = 0; at <= input.size(); ++at) {
    EXPECT_EQ(decodePieces(mode, {input.substr(0, at), input.substr(at)}), whole)
        << "split at byte " << at;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) {
    bytes.push_back(input.substr(i, 1));
  }
  EXPECT_EQ(decodePieces(mode, bytes), whole) << "byte by byte";
}

TEST(FrameDecoderTest, AnySplitOfTheInputGivesTheSameOutput) {
  // Ensures every split point, and byte-by-byte feeding, give the output of a single feed.
  const std::string mux = frame(1, "hello\n") + frame(2, "oops\n") + frame(1, "") +
                          frame(1, "world\n") + frame(3, "daemon error") + frame(0, "in");
  struct Case {
    const char* name;
    Mode mode;
    std::string input;
  };
  const std::vector<Case> cases = {
      {"multiplexed", Mode::Multiplexed, mux},
      {"auto multiplexed", Mode::Auto, mux},
      {"auto raw tty", Mode::Auto, "hello\r\n$ \x01\x00\x00\x00 not a header"s},
      {"auto raw after plausible bytes", Mode::Auto, "\x01\x00\x00x y z"s},
      {"auto short then eof", Mode::Auto, "\x02\x00\x00\x00\x00"s},
      {"raw", Mode::Raw, mux},
      {"truncated payload", Mode::Multiplexed, mux + header(2, 10) + "abc"},
      {"truncated header", Mode::Auto, mux + "\x01\x00\x00"s},
      {"invalid header", Mode::Multiplexed, mux + "\x07\x00\x00\x00\x00\x00\x00\x01x"s},
      {"reserved byte set", Mode::Multiplexed,
       frame(1, "ok") + "\x01\x00\x05\x00\x00\x00\x00\x01x"s},
      {"empty", Mode::Multiplexed, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expectSplitInvariant(c.mode, c.input);
  }
}

TEST(FrameDecoderTest, InterleavesStdoutAndStderrInOrder) {
  // Ensures frames come out in input order, each tagged with its own stream.
  const std::string input = frame(1, "out1") + frame(2, "err1") + frame(1, "out2");
  FrameDecoder decoder(Mode::Multiplexed);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed(input, out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].stream, StreamKind::Stdout);
  EXPECT_EQ(out[0].bytes, "out1");
  EXPECT_EQ(out[1].stream, StreamKind::Stderr);
  EXPECT_EQ(out[1].bytes, "err1");
  EXPECT_EQ(out[2].stream, StreamKind::Stdout);
  EXPECT_EQ(out[2].bytes, "out2");
}

TEST(FrameDecoderTest, FramesOfTheSameStreamAreNotMerged) {
  // Ensures a frame fed whole is one piece and two adjacent frames stay two pieces.
  const std::string big(100000, 'x');
  FrameDecoder decoder(Mode::Multiplexed);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed(frame(1, big) + frame(1, "tail"), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, big);
  EXPECT_EQ(out[1].bytes, "tail");
}

TEST(FrameDecoderTest, OnlyTheFirstPieceOfAFrameIsMarkedAsItsStart) {
  // Ensures the first piece of each non-empty frame says it starts the frame, however the
  // input is split, and that the pieces after it and raw output do not.
  FrameDecoder decoder(Mode::Multiplexed);
  std::vector<Frame> out;
  const std::string input = frame(1, "") + frame(1, "one record ") + frame(1, "next\n");
  ASSERT_TRUE(decoder.feed(input.substr(0, 20), out));
  ASSERT_TRUE(decoder.feed(input.substr(20), out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].start);
  EXPECT_EQ(out[0].bytes, "one ");
  EXPECT_FALSE(out[1].start);
  EXPECT_EQ(out[1].bytes, "record ");
  EXPECT_TRUE(out[2].start);
  EXPECT_EQ(decodeWhole(Mode::Multiplexed, input).starts, 2u);

  FrameDecoder raw(Mode::Raw);
  out.clear();
  ASSERT_TRUE(raw.feed(input, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].start);
}

TEST(FrameDecoderTest, ZeroLengthFramesEmitNothing) {
  // Ensures empty frames (which dockerd sends) neither produce pieces nor break the framing.
  const std::string input = frame(1, "") + frame(2, "") + frame(2, "e") + frame(1, "");
  FrameDecoder decoder(Mode::Auto);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed(input, out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].stream, StreamKind::Stderr);
  EXPECT_EQ(out[0].bytes, "e");
  EXPECT_EQ(decoder.mode(), Mode::Multiplexed);
}

TEST(FrameDecoderTest, HugeDeclaredLengthIsStreamedNotBuffered) {
  // Ensures a frame declaring 4 GiB is emitted piece by piece as its bytes arrive.
  FrameDecoder decoder(Mode::Multiplexed);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed(header(1, 0xffffffffu), out));
  EXPECT_TRUE(out.empty());
  const std::string chunk(64 * 1024, 'z');
  for (int i = 0; i < 16; ++i) {
    out.clear();
    ASSERT_TRUE(decoder.feed(chunk, out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].stream, StreamKind::Stdout);
    EXPECT_EQ(out[0].bytes.size(), chunk.size());
  }
  out.clear();
  auto end = decoder.finish(out);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code(), Errc::Unavailable);
  EXPECT_EQ(end.error().message(),
            "stream ended inside a frame: " + std::to_string(0xffffffffull - 16 * chunk.size()) +
                " payload bytes missing");
}

TEST(FrameDecoderTest, AutoDetectsRawTtyOutputImmediately) {
  // Ensures TTY output is recognised from its first byte, so a prompt is not held back.
  FrameDecoder decoder(Mode::Auto);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed("h", out));
  EXPECT_EQ(decoder.mode(), Mode::Raw);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, "h");
  ASSERT_TRUE(decoder.feed("ello"s + header(1, 3), out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].stream, StreamKind::Stdout);
  EXPECT_EQ(out[1].bytes, "ello"s + header(1, 3));
}

TEST(FrameDecoderTest, AutoKeepsAnUndecidedPrefixAndReplaysIt) {
  // Ensures bytes that could start a header are held, then emitted whole once raw is decided.
  FrameDecoder decoder(Mode::Auto);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed("\x01\x00"s, out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(decoder.mode(), Mode::Auto);
  ASSERT_TRUE(decoder.feed("\x00!rest"s, out));
  EXPECT_EQ(decoder.mode(), Mode::Raw);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, "\x01\x00\x00!rest"s);
}

TEST(FrameDecoderTest, AutoWithFewerThanEightBytesThenEofIsRaw) {
  // Ensures a short undecided prefix is flushed as raw stdout at end of input.
  struct Case {
    std::string input;
    Mode modeAfter;
  };
  const std::vector<Case> cases = {
      {"", Mode::Auto},
      {"\x01"s, Mode::Raw},
      {"\x02\x00\x00\x00\x00\x00\x00"s, Mode::Raw},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input.size());
    FrameDecoder decoder(Mode::Auto);
    std::vector<Frame> out;
    ASSERT_TRUE(decoder.feed(c.input, out));
    EXPECT_TRUE(out.empty());
    ASSERT_TRUE(decoder.finish(out));
    EXPECT_EQ(decoder.mode(), c.modeAfter);
    if (c.input.empty()) {
      EXPECT_TRUE(out.empty());
    } else {
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].stream, StreamKind::Stdout);
      EXPECT_EQ(out[0].bytes, c.input);
    }
  }
}

TEST(FrameDecoderTest, StreamThreeIsTheSystemStream) {
  // Ensures the daemon's error stream (id 3) reaches the caller as StreamKind::System.
  FrameDecoder decoder(Mode::Auto);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed(frame(1, "a") + frame(3, "exec failed"), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].stream, StreamKind::System);
  EXPECT_EQ(out[1].bytes, "exec failed");
}

TEST(FrameDecoderTest, InvalidHeaderIsAnErrorNamingItsOffset) {
  // Ensures a malformed header in multiplexed mode fails with its byte offset and stays failed.
  struct Case {
    const char* name;
    std::string badHeader;
  };
  const std::vector<Case> cases = {
      {"stream id 4", "\x04\x00\x00\x00\x00\x00\x00\x01"s},
      {"text", "hello wo"},
      {"reserved byte 1", "\x01\x01\x00\x00\x00\x00\x00\x01"s},
      {"reserved byte 2", "\x01\x00\x01\x00\x00\x00\x00\x01"s},
      {"reserved byte 3", "\x02\x00\x00\xff\x00\x00\x00\x01"s},
  };
  const std::string good = frame(1, "fine");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FrameDecoder decoder(Mode::Multiplexed);
    std::vector<Frame> out;
    auto r = decoder.feed(good + c.badHeader + "x", out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    EXPECT_NE(r.error().message().find("at byte 12"), std::string::npos) << r.error().message();
    ASSERT_EQ(out.size(), 1u) << "what preceded the bad header is kept";
    EXPECT_EQ(out[0].bytes, "fine");
    EXPECT_FALSE(decoder.feed(frame(1, "more"), out));
    EXPECT_FALSE(decoder.finish(out));
    EXPECT_EQ(out.size(), 1u);
  }
}

TEST(FrameDecoderTest, TruncatedStreamIsAnErrorAtFinish) {
  // Ensures a stream that stops inside a header or a payload is reported after complete frames.
  struct Case {
    const char* name;
    std::string tail;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"inside header", "\x01\x00\x00"s, "stream ended inside a frame: 3 of 8 header bytes"},
      {"inside payload", header(2, 10) + "abc",
       "stream ended inside a frame: 7 payload bytes missing"},
      {"header only", header(2, 1), "stream ended inside a frame: 1 payload bytes missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FrameDecoder decoder(Mode::Multiplexed);
    std::vector<Frame> out;
    ASSERT_TRUE(decoder.feed(frame(1, "done") + c.tail, out));
    auto r = decoder.finish(out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::Unavailable);
    EXPECT_EQ(r.error().message(), c.message);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].bytes, "done");
  }
}

TEST(FrameDecoderTest, RawModePassesHeaderLookingBytesThrough) {
  // Ensures forced raw mode never interprets bytes, even ones shaped like a header.
  const std::string input = frame(2, "not stderr");
  FrameDecoder decoder(Mode::Raw);
  std::vector<Frame> out;
  ASSERT_TRUE(decoder.feed(input, out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].stream, StreamKind::Stdout);
  EXPECT_EQ(out[0].bytes, input);
}

TEST(FrameDecoderTest, ArbitraryBytesNeverCrash) {
  // Ensures pseudo-random input in every mode yields output or an error value, never a crash.
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return static_cast<char>(state >> 16);
  };
  for (int round = 0; round < 200; ++round) {
    std::string input;
    for (int i = 0; i < round; ++i) {
      // Bias toward small bytes so that plausible headers appear.
      const char c = next();
      input += (c & 1) ? static_cast<char>(c & 3) : c;
    }
    for (Mode mode : {Mode::Auto, Mode::Multiplexed, Mode::Raw}) {
      const Decoded whole = decodeWhole(mode, input);
      EXPECT_EQ(decodePieces(mode, {std::string_view(input).substr(0, round / 2),
                                    std::string_view(input).substr(round / 2)}),
                whole);
    }
  }
}

TEST(StreamKindTest, NamesAreStable) {
  // Ensures each stream id has the lowercase name used in logs and JSON output.
  EXPECT_EQ(streamKindName(StreamKind::Stdin), "stdin");
  EXPECT_EQ(streamKindName(StreamKind::Stdout), "stdout");
  EXPECT_EQ(streamKindName(StreamKind::Stderr), "stderr");
  EXPECT_EQ(streamKindName(StreamKind::System), "system");
  EXPECT_EQ(streamKindName(static_cast<StreamKind>(9)), "unknown");
}

}  // namespace
}  // namespace ls::engine
