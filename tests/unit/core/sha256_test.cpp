#include "lightshuttle/core/sha256.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ls {
namespace {

std::string toHex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

// Hashes `data` fed in pieces of `piece` bytes (the last piece may be shorter).
std::string hashInPieces(std::string_view data, std::size_t piece) {
  Sha256 h;
  while (!data.empty()) {
    const std::size_t n = std::min(piece, data.size());
    h.update(data.substr(0, n));
    data.remove_prefix(n);
  }
  return toHex(h.finish());
}

struct Vector {
  const char* name;
  std::string message;
  std::string_view digest;
};

TEST(Sha256Test, MatchesFipsTestVectors) {
  // Ensures sha256Hex reproduces the FIPS 180-4 / NIST example digests.
  const Vector vectors[] = {
      {"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"896-bit",
       "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {"one million 'a'", std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(sha256Hex(v.message), v.digest);
  }
}

TEST(Sha256Test, HandlesPaddingBoundaries) {
  // Ensures lengths around the 55/56/64-byte padding edges hash right (one or two final blocks).
  const struct {
    std::size_t length;
    std::string_view digest;
  } cases[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.length);
    EXPECT_EQ(sha256Hex(std::string(c.length, 'a')), c.digest);
  }
}

TEST(Sha256Test, HashesEveryByteValue) {
  // Ensures bytes >= 0x80 are treated as unsigned (no sign extension through char).
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  EXPECT_EQ(sha256Hex(all), "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880");
}

TEST(Sha256Test, IncrementalUpdatesEqualOneShot) {
  // Ensures feeding a message in pieces of any size, across block edges, gives the one-shot digest.
  std::string message;
  for (int i = 0; i < 1000; ++i) {
    message.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  }
  const std::string expected = sha256Hex(message);
  const std::size_t pieces[] = {1, 3, 7, 55, 56, 63, 64, 65, 127, 128, 999, 1000, 4096};
  for (const std::size_t piece : pieces) {
    SCOPED_TRACE(piece);
    EXPECT_EQ(hashInPieces(message, piece), expected);
  }
}

TEST(Sha256Test, EmptyUpdatesAreNoOps) {
  // Ensures empty updates interleaved with data do not change the digest.
  Sha256 h;
  h.update("");
  h.update("a");
  h.update("");
  h.update("bc");
  h.update("");
  EXPECT_EQ(toHex(h.finish()), sha256Hex("abc"));
}

TEST(Sha256Test, MillionAInUnevenChunksMatchesVector) {
  // Ensures the long FIPS vector also holds when streamed in odd-sized chunks.
  EXPECT_EQ(hashInPieces(std::string(1000000, 'a'), 997),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace ls
