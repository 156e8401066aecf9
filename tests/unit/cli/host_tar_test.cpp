// The host side of `cp`: a tree tarred by tarHostPath and extracted by HostExtractor comes back
// with its modes, contents, links and times, and hostile archives cannot write outside.
#include "cli/host_tar.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/process.hpp"

namespace ls::cli {
namespace {

namespace fs = std::filesystem;
using ls::archive::TarEntryType;
using ls::archive::TarReader;
using ls::archive::TarWriter;

class HostTarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ls_host_tar_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root = tmpl;
  }
  void TearDown() override {
    // Give every directory write permission back so the tree can be removed.
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory() && !it->is_symlink()) {
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
      }
    }
    fs::remove_all(root, ec);
  }

  static std::uint32_t modeOf(const fs::path& p) { return ::ls::testing::fileModeOf(p.string()); }
  static std::string slurp(const fs::path& p) { return ::ls::testing::readWholeFile(p.string()); }
  /// Extracts `tar` into `dir` as `name`.
  static Result<void> extract(const std::string& tar, const fs::path& dir, const std::string& name,
                              bool contents = false) {
    HostExtractor x(dir, name, contents);
    TarReader reader(x);
    LS_TRY(reader.feed(tar));
    LS_TRY(reader.finish());
    return x.finish();
  }

  fs::path root;
};

TEST_F(HostTarTest, TreeRoundTripsWithModesLinksAndTimes) {
  // Ensures a directory tree (a 0750 directory, a read-only 0555 directory with a file in it, an
  // executable, a set-gid file, an empty file, a relative symlink) tarred under a name and
  // extracted under another comes back with the same modes, bytes, link target and mtime.
  const fs::path src = root / "src";
  fs::create_directories(src / "bin");
  fs::create_directories(src / "ro");
  std::ofstream(src / "bin" / "run.sh") << "#!/bin/sh\necho hi\n";
  std::ofstream(src / "ro" / "kept.txt") << "kept";
  std::ofstream(src / "empty");
  std::ofstream(src / "big.bin") << std::string(300000, 'z');
  ::chmod((src / "bin" / "run.sh").c_str(), 0755);
  ::chmod((src / "big.bin").c_str(), 02640);
  ::chmod((src / "ro").c_str(), 0555);
  ::chmod((src / "bin").c_str(), 0750);
  fs::create_symlink("bin/run.sh", src / "run");
  timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (src / "bin" / "run.sh").c_str(), times, 0), 0);

  std::string tar;
  TarWriter w(tar);
  std::vector<std::string> skipped;
  ASSERT_TRUE(tarHostPath(src, "copy", w, skipped));
  ASSERT_TRUE(w.finish());
  EXPECT_TRUE(skipped.empty());

  const fs::path out = root / "out";
  fs::create_directories(out);
  ASSERT_TRUE(extract(tar, out, "renamed"));
  const fs::path got = out / "renamed";
  EXPECT_EQ(slurp(got / "bin" / "run.sh"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(modeOf(got / "bin" / "run.sh"), 0755U);
  EXPECT_EQ(modeOf(got / "bin"), 0750U);
  EXPECT_EQ(modeOf(got / "ro"), 0555U);
  EXPECT_EQ(slurp(got / "ro" / "kept.txt"), "kept");
  EXPECT_EQ(modeOf(got / "big.bin"), 02640U);
  EXPECT_EQ(slurp(got / "big.bin"), std::string(300000, 'z'));
  EXPECT_TRUE(fs::exists(got / "empty"));
  EXPECT_EQ(fs::read_symlink(got / "run"), "bin/run.sh");
  struct stat st {};
  ASSERT_EQ(::stat((got / "bin" / "run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
}

TEST_F(HostTarTest, ContentsModeAndSingleFiles) {
  // Ensures an empty name puts a directory's contents straight into the destination (which keeps
  // its own mode), and a single file lands under the name given.
  const fs::path src = root / "src";
  fs::create_directories(src / "sub");
  std::ofstream(src / "a.txt") << "a";
  std::ofstream(src / "sub" / "b.txt") << "b";
  std::string tar;
  TarWriter w(tar);
  std::vector<std::string> skipped;
  ASSERT_TRUE(tarHostPath(src, "src", w, skipped));
  ASSERT_TRUE(w.finish());
  const fs::path out = root / "out";
  fs::create_directories(out);
  ::chmod(out.c_str(), 0700);
  ASSERT_TRUE(extract(tar, out, ""));
  EXPECT_EQ(slurp(out / "a.txt"), "a");
  EXPECT_EQ(slurp(out / "sub" / "b.txt"), "b");
  EXPECT_EQ(modeOf(out), 0700U);

  std::string one;
  TarWriter w1(one);
  ASSERT_TRUE(tarHostPath(src / "a.txt", "a.txt", w1, skipped));
  ASSERT_TRUE(w1.finish());
  ASSERT_TRUE(extract(one, out, "renamed.txt"));
  EXPECT_EQ(slurp(out / "renamed.txt"), "a");
}

TEST_F(HostTarTest, AContentsArchiveExtractsTheSameWithOrWithoutItsRoot) {
  // Ensures the archive of `DIR/.` lands the same whether its entries are under `./` (Docker)
  // or have no root at all (podman 4.3: `bin/run.sh`, no entry for the directory), into an
  // existing directory and into a new one.
  for (const std::string prefix : {"./", ""}) {
    std::string tar;
    TarWriter w(tar);
    if (!prefix.empty()) {
      ASSERT_TRUE(w.addEntry({.type = TarEntryType::Directory, .name = prefix, .mode = 0750}));
    }
    ASSERT_TRUE(
        w.addEntry({.type = TarEntryType::Directory, .name = prefix + "bin", .mode = 0755}));
    ASSERT_TRUE(w.addEntry({.name = prefix + "bin/run.sh", .mode = 0750, .size = 2}, "hi"));
    ASSERT_TRUE(w.addEntry({.name = prefix + "notes.txt", .mode = 0604, .size = 5}, "notes"));
    ASSERT_TRUE(w.finish());
    const fs::path existing = root / ("existing" + std::to_string(prefix.size()));
    fs::create_directories(existing);
    Result<void> into = extract(tar, existing, "", true);
    ASSERT_TRUE(into) << prefix << ": " << into.error().what();
    EXPECT_EQ(slurp(existing / "notes.txt"), "notes") << prefix;
    EXPECT_EQ(modeOf(existing / "notes.txt"), 0604U) << prefix;
    EXPECT_EQ(slurp(existing / "bin" / "run.sh"), "hi") << prefix;
    EXPECT_EQ(modeOf(existing / "bin" / "run.sh"), 0750U) << prefix;

    const std::string fresh = "fresh" + std::to_string(prefix.size());
    Result<void> made = extract(tar, root, fresh, true);
    ASSERT_TRUE(made) << prefix << ": " << made.error().what();
    EXPECT_EQ(slurp(root / fresh / "notes.txt"), "notes") << prefix;
    EXPECT_EQ(slurp(root / fresh / "bin" / "run.sh"), "hi") << prefix;
  }
}

TEST_F(HostTarTest, MissingSourceIsNotFound) {
  // Ensures tarring a path that does not exist is NotFound naming it.
  std::string tar;
  TarWriter w(tar);
  std::vector<std::string> skipped;
  Result<void> r = tarHostPath(root / "nope", "nope", w, skipped);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::NotFound);
  EXPECT_NE(r.error().message().find("nope"), std::string::npos);
}

TEST_F(HostTarTest, HostileArchivesCannotWriteOutside) {
  // Ensures an entry with ".." and an entry through a symlink the archive itself planted are
  // refused, and nothing is written outside the destination.
  const fs::path out = root / "out";
  fs::create_directories(out);
  const fs::path outside = root / "outside";
  fs::create_directories(outside);

  std::string dots;
  TarWriter w1(dots);
  ASSERT_TRUE(w1.addEntry({.type = TarEntryType::Directory, .name = "x", .mode = 0755}));
  ASSERT_TRUE(w1.addEntry({.name = "x/../../outside/evil", .size = 4}, "evil"));
  ASSERT_TRUE(w1.finish());
  Result<void> r1 = extract(dots, out, "x");
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code(), Errc::InvalidArgument);

  std::string link;
  TarWriter w2(link);
  ASSERT_TRUE(w2.addEntry({.type = TarEntryType::Directory, .name = "y", .mode = 0755}));
  ASSERT_TRUE(
      w2.addEntry({.type = TarEntryType::Symlink, .name = "y/l", .linkTarget = outside.string()}));
  ASSERT_TRUE(w2.addEntry({.name = "y/l/evil", .size = 4}, "evil"));
  ASSERT_TRUE(w2.finish());
  Result<void> r2 = extract(link, out, "y");
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code(), Errc::InvalidArgument);
  EXPECT_FALSE(fs::exists(outside / "evil"));
}

}  // namespace
}  // namespace ls::cli
