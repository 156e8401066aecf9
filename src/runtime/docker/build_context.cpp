#include "runtime/docker/build_context.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "archive/dockerignore.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/core/scope_guard.hpp"

namespace ls::runtime::detail {
namespace {

namespace fs = std::filesystem;
using archive::DockerIgnore;
using archive::TarEntryType;

Errc codeFor(int err) {
  if (err == ENOENT || err == ENOTDIR) {
    return Errc::NotFound;
  }
  if (err == EACCES || err == EPERM) {
    return Errc::PermissionDenied;
  }
  return Errc::Internal;
}

Error ioError(int err, std::string_view step, const fs::path& path) {
  return Error(codeFor(err), std::string(step) + " '" + path.string() + "': " + std::strerror(err));
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

class ContextWalker {
 public:
  ContextWalker(const fs::path& root, const DockerIgnore* ignore, TarWriter& tar)
      : root_(root), ignore_(ignore), tar_(tar) {}

  Result<void> walkRoot() {
    const int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return ioError(errno, "open build context", root_);
    }
    return walk(fd, "", false);
  }

 private:
  struct Dir {
    std::string rel;
    std::uint32_t mode = 0;
    std::int64_t mtime = 0;
    bool emitted = false;
  };

  fs::path pathOf(const std::string& rel) const { return root_ / rel; }

  bool excluded(const std::string& rel) const {
    return ignore_ != nullptr && ignore_->excluded(rel);
  }

  // Writes the headers of the directories being walked that were excluded but now have an
  // included entry beneath them.
  Result<void> emitAncestors() {
    for (Dir& d : stack_) {
      if (!d.emitted) {
        LS_TRY(tar_.addEntry(
            {.type = TarEntryType::Directory, .name = d.rel, .mode = d.mode, .mtime = d.mtime}));
        d.emitted = true;
      }
    }
    return ok();
  }

  // Takes ownership of `fd`, an open directory.
  Result<void> walk(int fd, const std::string& rel, bool dirExcluded) {
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      const int err = errno;
      ::close(fd);
      return ioError(err, "read directory", pathOf(rel));
    }
    auto closer = ScopeGuard([dir] { ::closedir(dir); });
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(dir);
      if (e == nullptr) {
        if (errno != 0) {
          if (dirExcluded && (errno == EACCES || errno == EPERM)) {
            return ok();
          }
          return ioError(errno, "read directory", pathOf(rel));
        }
        break;
      }
      const std::string_view name = e->d_name;
      if (name != "." && name != "..") {
        names.emplace_back(name);
      }
    }
    std::sort(names.begin(), names.end());
    const int dfd = ::dirfd(dir);
    for (const std::string& name : names) {
      const std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st {};
      if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return ioError(errno, "stat", pathOf(child));
      }
      const bool childExcluded = excluded(child);
      if (S_ISDIR(st.st_mode)) {
        LS_TRY(directory(dfd, name, child, st, childExcluded));
      } else if (childExcluded) {
        continue;
      } else if (S_ISREG(st.st_mode)) {
        LS_TRY(emitAncestors());
        LS_TRY(file(dfd, name, child));
      } else if (S_ISLNK(st.st_mode)) {
        LS_TRY(emitAncestors());
        LS_TRY(symlink(dfd, name, child, st));
      }
      // Sockets, fifos and devices have no place in a build context: skipped.
    }
    return ok();
  }

  Result<void> directory(int dfd, const std::string& name, const std::string& rel,
                         const struct stat& st, bool isExcluded) {
    if (isExcluded && !ignore_->mayReincludeUnder(rel)) {
      return ok();
    }
    const int fd = ::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (isExcluded && (errno == EACCES || errno == EPERM)) {
        return ok();  // nothing beneath can be read, so nothing is re-included
      }
      return ioError(errno, "open directory", pathOf(rel));
    }
    stack_.push_back({.rel = rel,
                      .mode = static_cast<std::uint32_t>(st.st_mode & 07777),
                      .mtime = static_cast<std::int64_t>(st.st_mtime)});
    auto pop = ScopeGuard([this] { stack_.pop_back(); });
    if (!isExcluded) {
      auto emitted = emitAncestors();
      if (!emitted) {
        ::close(fd);
        return emitted;
      }
    }
    return walk(fd, rel, isExcluded);
  }

  Result<void> file(int dfd, const std::string& name, const std::string& rel) {
    const int fd = ::openat(dfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      return ioError(errno, "open", pathOf(rel));
    }
    auto closer = ScopeGuard([fd] { ::close(fd); });
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      return ioError(errno, "stat", pathOf(rel));
    }
    if (!S_ISREG(st.st_mode)) {
      return Error(Errc::Internal,
                   "file " + quoted(pathOf(rel)) + " changed while reading the build context");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    LS_TRY(tar_.beginEntry({.type = TarEntryType::File,
                            .name = rel,
                            .mode = static_cast<std::uint32_t>(st.st_mode & 07777),
                            .size = size,
                            .mtime = static_cast<std::int64_t>(st.st_mtime)}));
    std::uint64_t remaining = size;
    while (remaining > 0) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer_.size()));
      const ssize_t n = ::read(fd, buffer_.data(), want);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return ioError(errno, "read", pathOf(rel));
      }
      if (n == 0) {
        return Error(Errc::Internal,
                     "file " + quoted(pathOf(rel)) + " shrank while reading the build context");
      }
      LS_TRY(tar_.write(std::string_view(buffer_.data(), static_cast<std::size_t>(n))));
      remaining -= static_cast<std::uint64_t>(n);
    }
    return tar_.endEntry();
  }

  Result<void> symlink(int dfd, const std::string& name, const std::string& rel,
                       const struct stat& st) {
    std::string target(std::max<std::size_t>(static_cast<std::size_t>(st.st_size) + 1, 256), '\0');
    for (;;) {
      const ssize_t n = ::readlinkat(dfd, name.c_str(), target.data(), target.size());
      if (n < 0) {
        return ioError(errno, "read link", pathOf(rel));
      }
      if (static_cast<std::size_t>(n) < target.size()) {
        target.resize(static_cast<std::size_t>(n));
        break;
      }
      target.resize(target.size() * 2);
    }
    return tar_.addEntry({.type = TarEntryType::Symlink,
                          .name = rel,
                          .mode = 0777,
                          .mtime = static_cast<std::int64_t>(st.st_mtime),
                          .linkTarget = std::move(target)});
  }

  const fs::path& root_;
  const DockerIgnore* ignore_;
  TarWriter& tar_;
  std::vector<Dir> stack_;  // the directories being walked, outermost first
  // On the heap: the walker may run on a small (coroutine or pool) stack.
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
};

}  // namespace

Result<std::string> resolveDockerfile(const fs::path& contextDir, std::string_view dockerfile) {
  struct stat st {};
  if (::stat(contextDir.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Error(Errc::NotFound, "build context " + quoted(contextDir) + " does not exist");
    }
    return ioError(err, "stat build context", contextDir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error(Errc::InvalidArgument,
                 "build context " + quoted(contextDir) + " is not a directory");
  }
  const fs::path given(dockerfile.empty() ? std::string_view("Dockerfile") : dockerfile);
  const fs::path path = given.is_absolute() ? given : contextDir / given;

  std::error_code ec;
  const fs::path realContext = fs::canonical(contextDir, ec);
  if (ec) {
    return Error(codeFor(ec.value()),
                 "resolve build context " + quoted(contextDir) + ": " + ec.message());
  }
  const fs::path realDockerfile = fs::canonical(path, ec);
  if (ec) {
    if (ec.value() == ENOENT || ec.value() == ENOTDIR) {
      return Error(Errc::NotFound, "dockerfile " + quoted(path) + " not found in build context " +
                                       quoted(contextDir));
    }
    return Error(codeFor(ec.value()), "resolve dockerfile " + quoted(path) + " in build context " +
                                          quoted(contextDir) + ": " + ec.message());
  }
  const fs::path rel = realDockerfile.lexically_relative(realContext);
  if (rel.empty() || *rel.begin() == "..") {
    return Error(Errc::InvalidArgument, "dockerfile " + quoted(path) +
                                            " is outside the build context " + quoted(contextDir));
  }
  if (::stat(realDockerfile.c_str(), &st) != 0) {
    return ioError(errno, "stat dockerfile", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return Error(Errc::InvalidArgument, "dockerfile " + quoted(path) + " in build context " +
                                            quoted(contextDir) + " is not a regular file");
  }
  return rel.generic_string();
}

Result<void> validateBuildContext(const fs::path& contextDir, std::string_view dockerfile) {
  LS_TRY(resolveDockerfile(contextDir, dockerfile));
  return ok();
}

Result<void> writeBuildContextTar(const fs::path& contextDir, std::string_view dockerfile,
                                  TarWriter& tar) {
  LS_ASSIGN_OR_RETURN(const std::string dockerfileRel, resolveDockerfile(contextDir, dockerfile));

  std::optional<DockerIgnore> ignore;
  const fs::path ignorePath = contextDir / ".dockerignore";
  auto text = readFile(ignorePath);
  if (text) {
    auto parsed = DockerIgnore::parse(*text);
    if (!parsed) {
      return std::move(parsed).error().context("parse " + quoted(ignorePath));
    }
    ignore = std::move(*parsed);
    // The CLI keeps these two even when a pattern excludes them.
    for (const std::string_view keep :
         {std::string_view(".dockerignore"), std::string_view(dockerfileRel)}) {
      if (ignore->excluded(keep)) {
        ignore->alwaysInclude(keep);
      }
    }
  } else if (text.error().code() != Errc::NotFound) {
    return std::move(text).error();
  }

  ContextWalker walker(contextDir, ignore ? &*ignore : nullptr, tar);
  LS_TRY(walker.walkRoot());
  return tar.finish();
}

Result<std::string> makeBuildContextTar(const fs::path& contextDir, std::string_view dockerfile) {
  std::string out;
  TarWriter tar(out);
  LS_TRY(writeBuildContextTar(contextDir, dockerfile, tar));
  return out;
}

}  // namespace ls::runtime::detail
