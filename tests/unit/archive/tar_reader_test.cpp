#include "archive/tar_reader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "archive/tar_writer.hpp"

namespace ls::archive {
namespace {

namespace fs = std::filesystem;

struct Read {
  TarEntry entry;
  std::string data;
};

struct Collect final : TarReader::Handler {
  std::vector<Read> entries;
  int ends = 0;
  Result<void> onEntry(const TarEntry& e) override {
    entries.push_back(Read{e, {}});
    return ok();
  }
  Result<void> onData(std::string_view bytes) override {
    entries.back().data.append(bytes);
    return ok();
  }
  Result<void> onEntryEnd() override {
    ++ends;
    return ok();
  }
};

/// Reads `tar` in pieces of `piece` bytes.
Result<void> readTar(std::string_view tar, Collect& out, std::size_t piece = 0) {
  TarReader reader(out);
  if (piece == 0) {
    LS_TRY(reader.feed(tar));
  } else {
    for (std::size_t i = 0; i < tar.size(); i += piece) {
      LS_TRY(reader.feed(tar.substr(i, piece)));
    }
  }
  return reader.finish();
}

std::string sample() {
  std::string out;
  TarWriter w(out);
  EXPECT_TRUE(w.addEntry({.type = TarEntryType::Directory, .name = "app", .mode = 0750}));
  const std::string body = "#!/bin/sh\necho hi\n";
  EXPECT_TRUE(w.addEntry(
      {.name = "app/run.sh", .mode = 04755, .size = body.size(), .mtime = 1700000000}, body));
  EXPECT_TRUE(w.addEntry({.name = "app/empty", .mode = 0600}));
  const std::string longName = "app/" + std::string(120, 'd') + "/" + std::string(110, 'f');
  const std::string big(1500, 'x');
  EXPECT_TRUE(w.addEntry({.name = longName, .mode = 0644, .size = big.size()}, big));
  EXPECT_TRUE(
      w.addEntry({.type = TarEntryType::Symlink, .name = "app/run", .linkTarget = "run.sh"}));
  EXPECT_TRUE(w.finish());
  return out;
}

TEST(TarReaderTest, ReadsWhatTheWriterWritesInAnyPieces) {
  // Ensures every entry of a TarWriter archive (directory, set-uid file, empty file, a PAX long
  // name, a symlink) comes back with its type, name, mode, size, mtime, target and data, whether
  // the bytes arrive at once, one by one or in odd pieces.
  const std::string tar = sample();
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{513}}) {
    Collect c;
    ASSERT_TRUE(readTar(tar, c, piece)) << piece;
    ASSERT_EQ(c.entries.size(), 5U) << piece;
    EXPECT_EQ(c.ends, 5);
    EXPECT_EQ(c.entries[0].entry.type, TarReadType::Directory);
    EXPECT_EQ(c.entries[0].entry.name, "app");
    EXPECT_EQ(c.entries[0].entry.mode, 0750U);
    EXPECT_EQ(c.entries[1].entry.type, TarReadType::File);
    EXPECT_EQ(c.entries[1].entry.name, "app/run.sh");
    EXPECT_EQ(c.entries[1].entry.mode, 04755U);
    EXPECT_EQ(c.entries[1].entry.mtime, 1700000000);
    EXPECT_EQ(c.entries[1].data, "#!/bin/sh\necho hi\n");
    EXPECT_EQ(c.entries[2].entry.size, 0U);
    EXPECT_EQ(c.entries[2].data, "");
    EXPECT_EQ(c.entries[3].entry.name.size(), 4U + 120U + 1U + 110U);
    EXPECT_EQ(c.entries[3].data, std::string(1500, 'x'));
    EXPECT_EQ(c.entries[4].entry.type, TarReadType::Symlink);
    EXPECT_EQ(c.entries[4].entry.linkTarget, "run.sh");
  }
}

/// Runs a shell command; its exit code.
int shell(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(TarReaderTest, ReadsGnuTarInGnuAndPaxFormats) {
  // Ensures archives GNU tar writes (GNU long names 'L'/'K', and PAX) read back with the long
  // path, the long symlink target, the hard link and the file modes.
  const fs::path dir = fs::temp_directory_path() / ("ls_tar_reader_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string deep = std::string(90, 'a') + "/" + std::string(90, 'b');
  fs::create_directories(dir / "src" / deep);
  std::ofstream(dir / "src" / deep / "file.txt") << "hello";
  fs::permissions(dir / "src" / deep / "file.txt", fs::perms(0640));
  const std::string target(150, 't');
  fs::create_symlink(target, dir / "src" / "long-link");
  fs::create_hard_link(dir / "src" / deep / "file.txt", dir / "src" / "hard");
  for (const std::string format : {"gnu", "posix"}) {
    const fs::path archive = dir / (format + ".tar");
    ASSERT_EQ(shell("tar --format=" + format + " -cf '" + archive.string() + "' -C '" +
                    (dir / "src").string() + "' . 2>/dev/null"),
              0);
    Collect c;
    ASSERT_TRUE(readTar(slurp(archive), c, 100)) << format;
    bool sawFile = false, sawLink = false, sawHard = false;
    for (const Read& r : c.entries) {
      if (r.entry.name == "./" + deep + "/file.txt" && r.entry.type == TarReadType::File) {
        sawFile = true;
        EXPECT_EQ(r.entry.mode, 0640U) << format;
        EXPECT_EQ(r.data, "hello") << format;
      } else if (r.entry.name == "./long-link") {
        sawLink = true;
        EXPECT_EQ(r.entry.type, TarReadType::Symlink) << format;
        EXPECT_EQ(r.entry.linkTarget, target) << format;
      } else if (r.entry.type == TarReadType::Hardlink) {
        sawHard = true;
      }
    }
    EXPECT_TRUE(sawFile) << format;
    EXPECT_TRUE(sawLink) << format;
    EXPECT_TRUE(sawHard) << format;
  }
  fs::remove_all(dir);
}

TEST(TarReaderTest, RefusesCorruptAndTruncatedArchives) {
  // Ensures a flipped header byte fails the checksum, an archive cut inside a header or inside
  // data is an error naming that, an oversized extended header is refused, and errors stick.
  const std::string tar = sample();
  std::string corrupt = tar;
  corrupt[10] = static_cast<char>(corrupt[10] ^ 0x01);
  Collect c1;
  Result<void> bad = readTar(corrupt, c1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
  EXPECT_NE(bad.error().message().find("checksum"), std::string::npos) << bad.error().message();

  Collect c2;
  Result<void> inHeader = readTar(std::string_view(tar).substr(0, 700), c2);
  ASSERT_FALSE(inHeader);
  EXPECT_NE(inHeader.error().message().find("ends inside"), std::string::npos);

  Collect c3;
  Result<void> inData = readTar(std::string_view(tar).substr(0, 512 * 2 + 5), c3);
  ASSERT_FALSE(inData);
  EXPECT_NE(inData.error().message().find("inside an entry"), std::string::npos);

  // A PAX header that declares 2 MiB.
  std::string pax;
  TarWriter w(pax);
  ASSERT_TRUE(w.addEntry({.name = "x", .size = 0}));
  std::string block = pax.substr(0, 512);
  block[156] = 'x';
  std::snprintf(block.data() + 124, 12, "%011llo", 2ULL * 1024 * 1024);
  std::memset(block.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char ch : block) {
    sum += static_cast<unsigned char>(ch);
  }
  std::snprintf(block.data() + 148, 8, "%06o", sum);
  Collect c4;
  TarReader reader(c4);
  Result<void> huge = reader.feed(block);
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message().find("1 MiB"), std::string::npos);
  EXPECT_FALSE(reader.feed(tar));
  EXPECT_FALSE(reader.finish());
}

TEST(TarReaderTest, StopsAtTheEndMarkerAndPassesHandlerErrorsThrough) {
  // Ensures bytes after the two zero blocks are ignored, an empty input is an empty archive,
  // and an error from the handler stops the reader with that error.
  std::string tar = sample() + "trailing garbage";
  Collect c;
  ASSERT_TRUE(readTar(tar, c));
  EXPECT_EQ(c.entries.size(), 5U);
  Collect none;
  EXPECT_TRUE(readTar("", none));

  struct Refuse final : TarReader::Handler {
    Result<void> onEntry(const TarEntry& e) override {
      return e.type == TarReadType::Symlink
                 ? Result<void>(Error(Errc::FailedPrecondition, "no links"))
                 : ok();
    }
    Result<void> onData(std::string_view) override { return ok(); }
    Result<void> onEntryEnd() override { return ok(); }
  } refuse;
  TarReader reader(refuse);
  Result<void> r = reader.feed(sample());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::FailedPrecondition);
}

}  // namespace
}  // namespace ls::archive
