#include "runtime/docker/build_context.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ls::runtime::detail {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ls_build_context_test.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
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
  std::string output;
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
  fs::create_directories(p.parent_path());
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

// Writes `archive` to disk and lists it with the system tar, in archive order.
std::vector<std::string> listTar(const fs::path& dir, const std::string& archive) {
  const fs::path file = dir / "ctx.tar";
  writeFile(file, archive);
  const Command list = run("tar -tf " + shellQuote(file.string()));
  EXPECT_EQ(list.status, 0) << list.output;
  return lines(list.output);
}

// Extracts `archive` with the system tar into a fresh directory under `dir`.
fs::path extractTar(const fs::path& dir, const std::string& archive) {
  const fs::path file = dir / "ctx.tar";
  const fs::path out = dir / "extracted";
  writeFile(file, archive);
  fs::create_directories(out);
  const Command x =
      run("tar -xpf " + shellQuote(file.string()) + " -C " + shellQuote(out.string()));
  EXPECT_EQ(x.status, 0) << x.output;
  return out;
}

void makeSocket(const fs::path& p) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(p.string().size(), sizeof(addr.sun_path));
  std::strncpy(addr.sun_path, p.c_str(), sizeof(addr.sun_path) - 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

// A context with ignored files, re-included ones, symlinks, special files and the Dockerfile in
// an excluded subdirectory.
class BuildContextTest : public testing::Test {
 protected:
  void SetUp() override {
    ctx_ = tmp_.path() / "ctx";
    writeFile(ctx_ / ".dockerignore",
              "# build junk\n"
              "*.log\n"
              "!keep.log\n"
              "secret\n"
              "!secret/public.txt\n"
              "node_modules\n"
              "docker\n"
              ".dockerignore\n"
              "**/*.tmp\n");
    writeFile(ctx_ / "app.py", "print('hi')\n");
    writeFile(ctx_ / "debug.log", "noise");
    writeFile(ctx_ / "keep.log", "kept");
    writeFile(ctx_ / "secret/key.pem", "private");
    writeFile(ctx_ / "secret/public.txt", "public");
    writeFile(ctx_ / "node_modules/pkg/index.js", "js");
    writeFile(ctx_ / "docker/Dockerfile", "FROM scratch\n");
    writeFile(ctx_ / "docker/notes.txt", "excluded with its directory");
    writeFile(ctx_ / "src/nested/deep/file.txt", "deep");
    writeFile(ctx_ / "src/nested/scratch.tmp", "tmp");
    fs::create_directories(ctx_ / "src/empty");
    fs::create_directory_symlink("src", ctx_ / "link-to-src");
    fs::create_symlink("/nonexistent/target", ctx_ / "dangling");
    ASSERT_EQ(::mkfifo((ctx_ / "fifo").c_str(), 0644), 0);
    makeSocket(ctx_ / "sock");
    fs::permissions(ctx_ / "app.py", fs::perms(0640));
  }

  TempDir tmp_;
  fs::path ctx_;
};

TEST_F(BuildContextTest, ListsWhatDockerWouldSendInSortedOrder) {
  // Ensures ignored paths are left out, exceptions re-included (with their excluded parent),
  // the Dockerfile and .dockerignore kept, symlinks kept unfollowed and special files skipped.
  auto tar = makeBuildContextTar(ctx_, "docker/Dockerfile");
  ASSERT_TRUE(tar.has_value()) << tar.error().what();
  EXPECT_EQ(listTar(tmp_.path(), *tar), (std::vector<std::string>{
                                            ".dockerignore",
                                            "app.py",
                                            "dangling",
                                            "docker/",
                                            "docker/Dockerfile",
                                            "keep.log",
                                            "link-to-src",
                                            "secret/",
                                            "secret/public.txt",
                                            "src/",
                                            "src/empty/",
                                            "src/nested/",
                                            "src/nested/deep/",
                                            "src/nested/deep/file.txt",
                                        }));
}

TEST_F(BuildContextTest, ExtractedTreeHasContentsModesAndSymlinks) {
  // Ensures the extracted context has the files' bytes and modes and the symlinks' targets.
  auto tar = makeBuildContextTar(ctx_, "docker/Dockerfile");
  ASSERT_TRUE(tar.has_value()) << tar.error().what();
  const fs::path out = extractTar(tmp_.path(), *tar);
  EXPECT_EQ(readFile(out / "app.py"), "print('hi')\n");
  EXPECT_EQ(fs::status(out / "app.py").permissions(), fs::perms(0640));
  EXPECT_EQ(readFile(out / "docker/Dockerfile"), "FROM scratch\n");
  EXPECT_EQ(readFile(out / "secret/public.txt"), "public");
  EXPECT_EQ(readFile(out / "src/nested/deep/file.txt"), "deep");
  EXPECT_TRUE(fs::is_directory(out / "src/empty"));
  ASSERT_TRUE(fs::is_symlink(out / "link-to-src"));
  EXPECT_EQ(fs::read_symlink(out / "link-to-src"), "src");
  ASSERT_TRUE(fs::is_symlink(out / "dangling"));
  EXPECT_EQ(fs::read_symlink(out / "dangling"), "/nonexistent/target");
  EXPECT_FALSE(fs::exists(fs::symlink_status(out / "fifo")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(out / "sock")));
  EXPECT_FALSE(fs::exists(out / "secret/key.pem"));
  EXPECT_FALSE(fs::exists(out / "docker/notes.txt"));
}

TEST_F(BuildContextTest, ArchiveIsDeterministic) {
  // Ensures two runs over the same tree give byte-identical archives.
  auto first = makeBuildContextTar(ctx_, "docker/Dockerfile");
  auto second = makeBuildContextTar(ctx_, "docker/Dockerfile");
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(first->size() % 512, 0u);
}

TEST_F(BuildContextTest, WithoutDockerignoreEverythingIsSent) {
  // Ensures that with no .dockerignore every file, directory and symlink is included.
  fs::remove(ctx_ / ".dockerignore");
  auto tar = makeBuildContextTar(ctx_, "docker/Dockerfile");
  ASSERT_TRUE(tar.has_value()) << tar.error().what();
  const std::vector<std::string> names = listTar(tmp_.path(), *tar);
  for (const std::string want : {"debug.log", "secret/key.pem", "node_modules/pkg/index.js",
                                 "docker/notes.txt", "src/nested/scratch.tmp", "link-to-src"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "fifo"), names.end());
}

TEST_F(BuildContextTest, ResolvesTheDockerfileRelativeToTheContext) {
  // Ensures the Dockerfile path comes back context-relative, also from an absolute path or
  // through a symlink, and defaults to "Dockerfile".
  auto rel = resolveDockerfile(ctx_, "docker/Dockerfile");
  ASSERT_TRUE(rel.has_value()) << rel.error().what();
  EXPECT_EQ(*rel, "docker/Dockerfile");
  auto abs = resolveDockerfile(ctx_, (ctx_ / "docker/Dockerfile").string());
  ASSERT_TRUE(abs.has_value()) << abs.error().what();
  EXPECT_EQ(*abs, "docker/Dockerfile");
  fs::create_symlink("docker/Dockerfile", ctx_ / "Dockerfile");
  auto viaLink = resolveDockerfile(ctx_, "");
  ASSERT_TRUE(viaLink.has_value()) << viaLink.error().what();
  EXPECT_EQ(*viaLink, "docker/Dockerfile");
  EXPECT_TRUE(validateBuildContext(ctx_, "Dockerfile"));
}

TEST_F(BuildContextTest, DockerfileErrorsNameBothPaths) {
  // Ensures a missing, misplaced or non-file Dockerfile is refused with both paths named.
  writeFile(tmp_.path() / "elsewhere/Dockerfile", "FROM scratch\n");
  struct Bad {
    std::string dockerfile;
    Errc code;
  };
  const std::vector<Bad> cases = {
      {"missing/Dockerfile", Errc::NotFound},
      {(tmp_.path() / "elsewhere/Dockerfile").string(), Errc::InvalidArgument},
      {"../elsewhere/Dockerfile", Errc::InvalidArgument},
      {"src", Errc::InvalidArgument},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.dockerfile);
    auto r = validateBuildContext(ctx_, c.dockerfile);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), c.code);
    const fs::path given(c.dockerfile);
    const fs::path shown = given.is_absolute() ? given : ctx_ / given;
    const std::string& msg = r.error().message();
    EXPECT_NE(msg.find("'" + shown.string() + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("build context '" + ctx_.string() + "'"), std::string::npos) << msg;
  }
  auto noContext = makeBuildContextTar(tmp_.path() / "nope", "Dockerfile");
  ASSERT_FALSE(noContext.has_value());
  EXPECT_EQ(noContext.error().code(), Errc::NotFound);
  EXPECT_NE(noContext.error().message().find("nope'"), std::string::npos);
  auto fileContext = makeBuildContextTar(ctx_ / "app.py", "Dockerfile");
  ASSERT_FALSE(fileContext.has_value());
  EXPECT_EQ(fileContext.error().code(), Errc::InvalidArgument);
}

TEST_F(BuildContextTest, MalformedDockerignoreNamesFileAndLine) {
  // Ensures a bad .dockerignore fails the build with the file, the line and the pattern.
  writeFile(ctx_ / ".dockerignore", "ok\n[broken\n");
  auto tar = makeBuildContextTar(ctx_, "docker/Dockerfile");
  ASSERT_FALSE(tar.has_value());
  EXPECT_EQ(tar.error().code(), Errc::InvalidArgument);
  const std::string what = tar.error().what();
  EXPECT_NE(what.find(".dockerignore'"), std::string::npos) << what;
  EXPECT_NE(what.find("line 2: invalid pattern '[broken'"), std::string::npos) << what;
}

// Runs `body` as an unprivileged user when we are root (root reads files whatever their mode),
// and returns its exit code.
int asUnprivileged(const fs::path& tree, const std::function<int()>& body) {
  if (::geteuid() != 0) {
    return body();
  }
  std::error_code ec;  // the temporary tree is 0700; its parent is world-readable
  fs::permissions(tree, fs::perms::others_exec | fs::perms::others_read, fs::perm_options::add, ec);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      ::_exit(99);
    }
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

TEST_F(BuildContextTest, UnreadableFileIsPermissionDeniedNamingThePath) {
  // Ensures an unreadable included file fails with PermissionDenied naming it, while an
  // unreadable ignored file is never opened.
  for (const auto& e : fs::recursive_directory_iterator(ctx_)) {
    if (!e.is_symlink()) {
      fs::permissions(e.path(), fs::perms::others_read | fs::perms::others_exec,
                      fs::perm_options::add);
    }
  }
  fs::permissions(ctx_, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  fs::permissions(ctx_ / "debug.log", fs::perms::none);  // ignored: must not matter
  fs::permissions(ctx_ / "secret/key.pem", fs::perms::none);
  fs::permissions(ctx_ / "app.py", fs::perms::none);
  const std::string appPy = (ctx_ / "app.py").string();
  const fs::path ctx = ctx_;
  const int code = asUnprivileged(tmp_.path(), [&] {
    auto tar = makeBuildContextTar(ctx, "docker/Dockerfile");
    if (tar.has_value()) {
      return 1;
    }
    if (tar.error().code() != Errc::PermissionDenied) {
      return 2;
    }
    return tar.error().message() == "open '" + appPy + "': Permission denied" ? 0 : 3;
  });
  EXPECT_EQ(code, 0);

  fs::permissions(ctx_ / "app.py", fs::perms(0644));
  const int okCode = asUnprivileged(tmp_.path(), [&] {
    return makeBuildContextTar(ctx, "docker/Dockerfile").has_value() ? 0 : 1;
  });
  EXPECT_EQ(okCode, 0) << "ignored unreadable files must not fail the build";
}

}  // namespace
}  // namespace ls::runtime::detail
