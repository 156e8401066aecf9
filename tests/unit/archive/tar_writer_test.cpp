#include "archive/tar_writer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ls::archive {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ls_tar_writer_test.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

struct Command {
  int status = -1;
  std::string output;  // stdout and stderr
};

Command run(const std::string& cmd) {
  Command result;
  FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    result.output.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void writeFile(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// An archive with one of each kind of entry, written to `dir`/t.tar.
fs::path writeSampleArchive(const fs::path& dir) {
  std::string out;
  TarWriter tar(out);
  const std::string script = "#!/bin/sh\necho hi\n";
  EXPECT_TRUE(tar.addEntry({.type = TarEntryType::Directory, .name = "app", .mode = 0755}));
  EXPECT_TRUE(tar.addEntry(
      {.name = "app/run.sh", .mode = 0755, .size = script.size(), .mtime = 1700000000}, script));
  EXPECT_TRUE(tar.addEntry({.name = "app/empty", .mode = 0600}));
  EXPECT_TRUE(tar.addEntry({.type = TarEntryType::Directory, .name = "app/void/", .mode = 0700}));
  EXPECT_TRUE(
      tar.addEntry({.type = TarEntryType::Symlink, .name = "app/link", .linkTarget = "run.sh"}));
  EXPECT_TRUE(tar.addEntry(
      {.type = TarEntryType::Symlink, .name = "dangling", .linkTarget = "/nonexistent/../target"}));
  EXPECT_TRUE(tar.finish());
  const fs::path archive = dir / "t.tar";
  writeFile(archive, out);
  return archive;
}

TEST(TarWriterTest, SystemTarListsEveryEntry) {
  // Ensures GNU tar reads the archive cleanly and lists names, modes, owners and link targets.
  TempDir tmp;
  const fs::path archive = writeSampleArchive(tmp.path());

  const Command list = run("tar -tf " + shellQuote(archive.string()));
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_EQ(lines(list.output), (std::vector<std::string>{"app/", "app/run.sh", "app/empty",
                                                          "app/void/", "app/link", "dangling"}));

  const Command verbose = run("tar -tvf " + shellQuote(archive.string()));
  ASSERT_EQ(verbose.status, 0) << verbose.output;
  const std::vector<std::string> rows = lines(verbose.output);
  ASSERT_EQ(rows.size(), 6u) << verbose.output;
  EXPECT_EQ(rows[0].rfind("drwxr-xr-x 0/0", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1].rfind("-rwxr-xr-x 0/0", 0), 0u) << rows[1];
  EXPECT_EQ(rows[2].rfind("-rw------- 0/0", 0), 0u) << rows[2];
  EXPECT_EQ(rows[3].rfind("drwx------ 0/0", 0), 0u) << rows[3];
  EXPECT_EQ(rows[4].rfind("lrwxrwxrwx 0/0", 0), 0u) << rows[4];
  EXPECT_NE(rows[4].find("app/link -> run.sh"), std::string::npos) << rows[4];
  EXPECT_NE(rows[5].find("dangling -> /nonexistent/../target"), std::string::npos) << rows[5];
}

TEST(TarWriterTest, SystemTarExtractsContentsModesTimesAndSymlinks) {
  // Ensures extraction gives back the contents, modes, mtime, empty entries and symlink targets.
  TempDir tmp;
  const fs::path archive = writeSampleArchive(tmp.path());
  const fs::path out = tmp.path() / "out";
  fs::create_directory(out);
  const Command x =
      run("tar -xpf " + shellQuote(archive.string()) + " -C " + shellQuote(out.string()));
  ASSERT_EQ(x.status, 0) << x.output;

  EXPECT_EQ(readFile(out / "app/run.sh"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(modeOf(out / "app/run.sh"), 0755u);
  struct stat st {};
  ASSERT_EQ(::stat((out / "app/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1700000000);

  EXPECT_TRUE(fs::is_regular_file(out / "app/empty"));
  EXPECT_EQ(fs::file_size(out / "app/empty"), 0u);
  EXPECT_EQ(modeOf(out / "app/empty"), 0600u);

  EXPECT_TRUE(fs::is_directory(out / "app/void"));
  EXPECT_TRUE(fs::is_empty(out / "app/void"));
  EXPECT_EQ(modeOf(out / "app/void"), 0700u);

  EXPECT_TRUE(fs::is_symlink(out / "app/link"));
  EXPECT_EQ(fs::read_symlink(out / "app/link"), "run.sh");
  EXPECT_TRUE(fs::is_symlink(out / "dangling"));
  EXPECT_EQ(fs::read_symlink(out / "dangling"), "/nonexistent/../target");
}

TEST(TarWriterTest, LongNamesAndLinkTargets) {
  // Ensures a 150-byte path fits ustar's prefix field, and longer paths and link targets get PAX
  // headers that GNU tar honours.
  const std::string dirA(60, 'a');
  const std::string dirB(60, 'b');
  const std::string path150 = dirA + "/" + dirB + "/" + std::string(28, 'c');  // 150 bytes
  ASSERT_EQ(path150.size(), 150u);
  const std::string path300 = std::string(99, 'd') + "/" + std::string(99, 'e') + "/" +
                              std::string(100, 'f');  // no ustar split possible
  const std::string flat120(120, 'g');                // no '/' to split at
  const std::string target200 = "../" + std::string(197, 't');

  {
    std::string out;
    TarWriter tar(out);
    ASSERT_TRUE(tar.addEntry({.name = path150, .size = 3}, "150"));
    ASSERT_TRUE(tar.finish());
    EXPECT_EQ(out.find("PaxHeader"), std::string::npos) << "a 150-byte path needs no PAX";
  }

  TempDir tmp;
  std::string out;
  TarWriter tar(out);
  ASSERT_TRUE(tar.addEntry({.name = path150, .size = 3}, "150"));
  ASSERT_TRUE(tar.addEntry({.name = path300, .size = 3}, "300"));
  ASSERT_TRUE(tar.addEntry({.name = flat120, .size = 3}, "120"));
  ASSERT_TRUE(tar.addEntry({.type = TarEntryType::Directory, .name = std::string(120, 'h')}));
  ASSERT_TRUE(
      tar.addEntry({.type = TarEntryType::Symlink, .name = "link", .linkTarget = target200}));
  ASSERT_TRUE(tar.finish());
  EXPECT_NE(out.find("path=" + path300 + "\n"), std::string::npos);
  EXPECT_NE(out.find("linkpath=" + target200 + "\n"), std::string::npos);
  const fs::path archive = tmp.path() / "long.tar";
  writeFile(archive, out);

  const Command list = run("tar -tf " + shellQuote(archive.string()));
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_EQ(lines(list.output), (std::vector<std::string>{path150, path300, flat120,
                                                          std::string(120, 'h') + "/", "link"}));

  const fs::path dest = tmp.path() / "out";
  fs::create_directory(dest);
  const Command x =
      run("tar -xf " + shellQuote(archive.string()) + " -C " + shellQuote(dest.string()));
  ASSERT_EQ(x.status, 0) << x.output;
  EXPECT_EQ(readFile(dest / path150), "150");
  EXPECT_EQ(readFile(dest / path300), "300");
  EXPECT_EQ(readFile(dest / flat120), "120");
  EXPECT_TRUE(fs::is_directory(dest / std::string(120, 'h')));
  EXPECT_EQ(fs::read_symlink(dest / "link").string(), target200);
}

TEST(TarWriterTest, BlockLayoutChecksumAndEndMarker) {
  // Ensures headers and data are 512-byte aligned, the checksum is right, and the archive ends
  // with two zero blocks.
  std::string out;
  TarWriter tar(out);
  ASSERT_TRUE(tar.addEntry({.name = "a.txt", .size = 5, .mtime = 1}, "hello"));
  EXPECT_EQ(out.size(), 1024u);  // header + one padded data block
  EXPECT_EQ(out.substr(512, 5), "hello");
  EXPECT_EQ(out.substr(517), std::string(507, '\0'));
  ASSERT_TRUE(tar.finish());
  ASSERT_EQ(out.size(), 2048u);
  EXPECT_EQ(out.substr(1024), std::string(1024, '\0'));
  EXPECT_EQ(tar.bytesWritten(), out.size());

  unsigned sum = 0;
  for (std::size_t k = 0; k < 512; ++k) {
    sum += (k >= 148 && k < 156) ? ' ' : static_cast<unsigned char>(out[k]);
  }
  EXPECT_EQ(std::stoul(out.substr(148, 6), nullptr, 8), sum);
  EXPECT_EQ(out.substr(257, 8), std::string("ustar\0"
                                            "00",
                                            8));
  EXPECT_EQ(out.substr(124, 12), std::string("00000000005\0", 12));
}

TEST(TarWriterTest, SizesOfEightGibibytesUsePax) {
  // Ensures a size that does not fit 11 octal digits goes to a PAX record, and one that fits
  // does not.
  std::string out;
  TarWriter tar(out);
  const std::uint64_t huge = 9ULL << 30;  // 9 GiB
  ASSERT_TRUE(tar.beginEntry({.name = "big.img", .size = huge}));
  EXPECT_NE(out.find("19 size=9663676416\n"), std::string::npos);
  ASSERT_EQ(out.size(), 1536u);  // PAX header, records, main header
  EXPECT_EQ(out.substr(1024 + 124, 12), std::string("00000000000\0", 12));
  EXPECT_EQ(out[1024 + 156], '0');
  EXPECT_EQ(out[156], 'x');

  std::string fits;
  TarWriter tar2(fits);
  ASSERT_TRUE(tar2.beginEntry({.name = "max.img", .size = 077777777777ULL}));
  EXPECT_EQ(fits.size(), 512u);
  EXPECT_EQ(fits.substr(124, 12), std::string("77777777777\0", 12));
}

TEST(TarWriterTest, OutOfRangeMtimeUsesPax) {
  // Ensures an mtime before 1970 is kept in a PAX record rather than wrapped.
  std::string out;
  TarWriter tar(out);
  ASSERT_TRUE(tar.addEntry({.name = "old", .mtime = -86400}));
  EXPECT_NE(out.find("mtime=-86400\n"), std::string::npos);
}

TEST(TarWriterTest, ChunkedWritesMatchOneShot) {
  // Ensures streaming a file in chunks produces the same bytes as adding it at once.
  const std::string data(1300, 'z');
  std::string oneShot;
  {
    TarWriter tar(oneShot);
    ASSERT_TRUE(tar.addEntry({.name = "z", .size = data.size()}, data));
    ASSERT_TRUE(tar.finish());
  }
  std::string chunked;
  std::size_t pieces = 0;
  {
    TarWriter tar([&](std::string_view bytes) {
      chunked.append(bytes);
      ++pieces;
    });
    ASSERT_TRUE(tar.beginEntry({.name = "z", .size = data.size()}));
    ASSERT_TRUE(tar.write(std::string_view(data).substr(0, 1)));
    ASSERT_TRUE(tar.write(std::string_view(data).substr(1, 0)));
    ASSERT_TRUE(tar.write(std::string_view(data).substr(1, 700)));
    ASSERT_TRUE(tar.write(std::string_view(data).substr(701)));
    ASSERT_TRUE(tar.endEntry());
    ASSERT_TRUE(tar.finish());
  }
  EXPECT_EQ(chunked, oneShot);
  EXPECT_GT(pieces, 3u);
}

TEST(TarWriterTest, MisuseIsAnErrorNotACrash) {
  // Ensures invalid entries and out-of-order calls return errors with the right category.
  std::string out;
  TarWriter tar(out);
  auto expectCode = [](const Result<void>& r, Errc code) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), code) << r.error().what();
  };
  expectCode(tar.addEntry({.name = ""}), Errc::InvalidArgument);
  expectCode(tar.addEntry({.name = std::string("a\0b", 3)}), Errc::InvalidArgument);
  expectCode(tar.addEntry(
                 {.type = TarEntryType::Symlink, .name = "l", .linkTarget = std::string("x\0", 2)}),
             Errc::InvalidArgument);
  expectCode(tar.beginEntry({.type = TarEntryType::Directory, .name = "d", .size = 1}),
             Errc::InvalidArgument);
  expectCode(tar.addEntry({.name = "f", .size = 2}, "abc"), Errc::InvalidArgument);
  expectCode(tar.write("x"), Errc::FailedPrecondition);
  expectCode(tar.endEntry(), Errc::FailedPrecondition);

  ASSERT_TRUE(tar.beginEntry({.name = "f", .size = 2}));
  expectCode(tar.write("abc"), Errc::FailedPrecondition);
  expectCode(tar.beginEntry({.name = "g"}), Errc::FailedPrecondition);
  ASSERT_TRUE(tar.write("a"));
  expectCode(tar.endEntry(), Errc::FailedPrecondition);
  expectCode(tar.finish(), Errc::FailedPrecondition);
  ASSERT_TRUE(tar.write("b"));
  ASSERT_TRUE(tar.endEntry());
  ASSERT_TRUE(tar.finish());
  expectCode(tar.finish(), Errc::FailedPrecondition);
  expectCode(tar.addEntry({.name = "late"}), Errc::FailedPrecondition);
  EXPECT_EQ(out.size() % 512, 0u);
}

}  // namespace
}  // namespace ls::archive
