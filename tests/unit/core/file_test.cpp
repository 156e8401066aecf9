#include "lightshuttle/core/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace ls {
namespace {

namespace fs = std::filesystem;

// Sets the process umask for its lifetime and restores the previous one.
class UmaskScope {
 public:
  explicit UmaskScope(mode_t mask) : previous_(::umask(mask)) {}
  ~UmaskScope() { ::umask(previous_); }
  UmaskScope(const UmaskScope&) = delete;
  UmaskScope& operator=(const UmaskScope&) = delete;

 private:
  mode_t previous_;
};

mode_t permissionsOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class FileTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ls_file_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Names of every entry in the temp dir, so tests can prove no temporary was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  fs::path dir_;
};

struct ModeCase {
  mode_t umask;
  mode_t mode;
};

TEST_F(FileTest, WritesContentAndExactModeRegardlessOfUmask) {
  // Ensures the file gets exactly the requested mode (0600 secrets, 0644 state) whatever the umask.
  const ModeCase cases[] = {
      {022, 0600}, {022, 0644}, {077, 0600}, {077, 0644}, {0, 0600}, {0, 0644},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << "umask " << std::oct << c.umask << " mode " << c.mode);
    const fs::path path = dir_ / "secret.env";
    fs::remove(path);
    {
      const UmaskScope mask(c.umask);
      ASSERT_TRUE(writeFileAtomic(path, "PASSWORD=hunter2\n", c.mode).has_value());
    }
    EXPECT_EQ(permissionsOf(path), c.mode);
    EXPECT_EQ(readFile(path).value(), "PASSWORD=hunter2\n");
  }
  EXPECT_EQ(entries(), (std::vector<std::string>{"secret.env"}));
}

TEST_F(FileTest, DefaultModeIs0644) {
  // Ensures callers that omit the mode get a world-readable 0644 file even under umask 077.
  const fs::path path = dir_ / "state.json";
  {
    const UmaskScope mask(077);
    ASSERT_TRUE(writeFileAtomic(path, "{}").has_value());
  }
  EXPECT_EQ(permissionsOf(path), 0644);
}

TEST_F(FileTest, ReplacesExistingFileAndItsMode) {
  // Ensures an existing file is replaced whole, including a longer old content and its old mode.
  const fs::path path = dir_ / "state.json";
  ASSERT_TRUE(writeFileAtomic(path, std::string(4096, 'x'), 0644).has_value());
  ASSERT_TRUE(writeFileAtomic(path, "short", 0600).has_value());
  EXPECT_EQ(readFile(path).value(), "short");
  EXPECT_EQ(permissionsOf(path), 0600);
  EXPECT_EQ(entries(), (std::vector<std::string>{"state.json"}));
}

TEST_F(FileTest, RoundTripsArbitraryBytes) {
  // Ensures readFile returns exactly what writeFileAtomic wrote: empty, binary and large content.
  std::string binary;
  for (int i = 0; i < 256; ++i) {
    binary.push_back(static_cast<char>(i));
  }
  std::string large;
  for (int i = 0; i < 100000; ++i) {
    large.push_back(static_cast<char>('a' + i % 26));
  }
  const std::string contents[] = {"", "one line\n", binary, large};
  for (const auto& content : contents) {
    SCOPED_TRACE(content.size());
    const fs::path path = dir_ / "blob";
    ASSERT_TRUE(writeFileAtomic(path, content).has_value());
    const Result<std::string> back = readFile(path);
    ASSERT_TRUE(back.has_value()) << back.error().what();
    EXPECT_EQ(*back, content);
  }
}

TEST_F(FileTest, MissingDirectoryIsNotFoundAndLeavesNothing) {
  // Ensures writing into a missing directory fails with NotFound naming the path.
  const fs::path path = dir_ / "missing" / "state.json";
  const Result<void> r = writeFileAtomic(path, "data");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::NotFound);
  EXPECT_NE(r.error().what().find("state.json"), std::string::npos) << r.error().what();
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
  EXPECT_TRUE(entries().empty());
}

TEST_F(FileTest, ParentThatIsARegularFileFailsAndLeavesNothing) {
  // Ensures a parent that is a regular file is reported as an error and no temporary is left.
  const fs::path blocker = dir_ / "not_a_dir";
  ASSERT_TRUE(writeFileAtomic(blocker, "x").has_value());
  const Result<void> r = writeFileAtomic(blocker / "state.json", "data");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::NotFound);  // ENOTDIR
  EXPECT_EQ(readFile(blocker).value(), "x");
  EXPECT_EQ(entries(), (std::vector<std::string>{"not_a_dir"}));
}

TEST_F(FileTest, RenameOntoADirectoryFailsAndRemovesTheTemporary) {
  // Ensures a failure after the temporary was created (rename onto a directory) cleans it up.
  const fs::path target = dir_ / "occupied";
  fs::create_directory(target);
  fs::create_directory(target / "child");  // a non-empty directory cannot be replaced by rename
  const Result<void> r = writeFileAtomic(target, "data");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().what().find("rename"), std::string::npos) << r.error().what();
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(entries(), (std::vector<std::string>{"occupied"}));
}

TEST_F(FileTest, SuccessLeavesNoTemporary) {
  // Ensures a successful write leaves only the target file in its directory.
  ASSERT_TRUE(writeFileAtomic(dir_ / "a", "1").has_value());
  ASSERT_TRUE(writeFileAtomic(dir_ / "b", "2", 0600).has_value());
  ASSERT_TRUE(writeFileAtomic(dir_ / "a", "3").has_value());
  std::vector<std::string> names = entries();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
}

TEST_F(FileTest, RelativePathWritesIntoTheCurrentDirectory) {
  // Ensures a bare file name (no parent component) is written beside the current directory.
  const fs::path previous = fs::current_path();
  fs::current_path(dir_);
  const Result<void> r = writeFileAtomic("relative.txt", "here");
  fs::current_path(previous);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(readFile(dir_ / "relative.txt").value(), "here");
  EXPECT_EQ(entries(), (std::vector<std::string>{"relative.txt"}));
}

TEST_F(FileTest, ReadMissingFileIsNotFound) {
  // Ensures reading a file that does not exist fails with NotFound naming the path.
  const Result<std::string> r = readFile(dir_ / "absent.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::NotFound);
  EXPECT_NE(r.error().what().find("absent.yaml"), std::string::npos) << r.error().what();
}

TEST_F(FileTest, ReadingADirectoryFails) {
  // Ensures readFile reports an error for a directory instead of returning empty content.
  const Result<std::string> r = readFile(dir_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::Internal);  // EISDIR
}

}  // namespace
}  // namespace ls
