#include "cli/host_tar.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ls::cli {
namespace {

namespace fs = std::filesystem;
using ls::archive::TarEntryType;
using ls::archive::TarHeader;
using ls::archive::TarReadType;

std::string errnoText() { return std::strerror(errno); }

/// Reads exactly `size` bytes of `path` into the open tar entry, in chunks.
Result<void> copyFileInto(const fs::path& path, std::uint64_t size, ls::archive::TarWriter& tar) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Error(Errc::Unavailable,
                 fmt::format("cannot read '{}': {}", path.string(), errnoText()));
  }
  std::string buf(256 * 1024, '\0');
  std::uint64_t left = size;
  Result<void> out = ok();
  while (left > 0 && out) {
    const ssize_t n =
        ::read(fd, buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size())));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      out =
          Error(Errc::Unavailable, fmt::format("cannot read '{}': {}", path.string(), errnoText()));
    } else if (n == 0) {
      out = Error(Errc::Unavailable,
                  fmt::format("'{}' shrank while it was being copied", path.string()));
    } else {
      out = tar.write(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      left -= static_cast<std::uint64_t>(n);
    }
  }
  ::close(fd);
  return out;
}

Result<void> addPath(const fs::path& path, const std::string& name, ls::archive::TarWriter& tar,
                     std::vector<std::string>& skipped) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Error(Errc::NotFound, fmt::format("'{}' does not exist", path.string()));
    }
    return Error(Errc::Unavailable,
                 fmt::format("cannot read '{}': {}", path.string(), errnoText()));
  }
  TarHeader h;
  h.name = name;
  h.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  h.mtime = st.st_mtim.tv_sec;
  if (S_ISREG(st.st_mode)) {
    h.type = TarEntryType::File;
    h.size = static_cast<std::uint64_t>(st.st_size);
    LS_TRY(tar.beginEntry(h));
    LS_TRY(copyFileInto(path, h.size, tar));
    return tar.endEntry();
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
    const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) {
      return Error(Errc::Unavailable,
                   fmt::format("cannot read link '{}': {}", path.string(), errnoText()));
    }
    target.resize(static_cast<std::size_t>(n));
    h.type = TarEntryType::Symlink;
    h.linkTarget = target;
    return tar.addEntry(h);
  }
  if (!S_ISDIR(st.st_mode)) {
    skipped.push_back(path.string());
    return ok();
  }
  if (!name.empty()) {
    h.type = TarEntryType::Directory;
    LS_TRY(tar.addEntry(h));
  }
  std::vector<std::string> children;
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    children.push_back(it->path().filename().string());
  }
  if (ec) {
    return Error(Errc::Unavailable,
                 fmt::format("cannot list '{}': {}", path.string(), ec.message()));
  }
  std::sort(children.begin(), children.end());
  for (const std::string& child : children) {
    LS_TRY(addPath(path / child, name.empty() ? child : name + "/" + child, tar, skipped));
  }
  return ok();
}

void setTimes(const fs::path& path, std::int64_t mtime, bool followLink) {
  timespec times[2];
  times[0].tv_sec = mtime;
  times[0].tv_nsec = 0;
  times[1] = times[0];
  (void)::utimensat(AT_FDCWD, path.c_str(), times, followLink ? 0 : AT_SYMLINK_NOFOLLOW);
}

}  // namespace

Result<void> tarHostPath(const fs::path& source, const std::string& name,
                         ls::archive::TarWriter& tar, std::vector<std::string>& skipped) {
  return addPath(source, name, tar, skipped);
}

HostExtractor::HostExtractor(fs::path directory, std::string name, bool contents)
    : directory_(std::move(directory)), name_(std::move(name)), contents_(contents) {}

fs::path HostExtractor::top() const { return name_.empty() ? directory_ : directory_ / name_; }

HostExtractor::~HostExtractor() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Result<fs::path> HostExtractor::target(const std::string& entryName) const {
  // The first component is the source's base name (renamed); the rest must stay below it.
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= entryName.size()) {
    std::size_t slash = entryName.find('/', start);
    if (slash == std::string::npos) {
      slash = entryName.size();
    }
    parts.push_back(entryName.substr(start, slash - start));
    start = slash + 1;
  }
  fs::path out = top();
  // A contents archive without the `./` root (podman's) starts below the top entry already.
  bool first = !(contents_ && parts.front() != ".");
  for (const std::string& p : parts) {
    if (p == "..") {
      return Error(
          Errc::InvalidArgument,
          fmt::format("the archive entry '{}' leaves the destination; nothing after it was copied",
                      entryName));
    }
    if (first) {
      first = false;
      continue;
    }
    if (!p.empty() && p != ".") {
      out /= p;
    }
  }
  return out;
}

Result<void> HostExtractor::checkParents(const fs::path& path) const {
  // Every directory between the destination and `path` must be a real directory: a symlink
  // the archive made there would let a later entry write anywhere.
  const fs::path rel = path.lexically_relative(directory_);
  fs::path at = directory_;
  std::size_t count = static_cast<std::size_t>(std::distance(rel.begin(), rel.end()));
  std::size_t i = 0;
  for (const auto& part : rel) {
    if (++i >= count) {
      break;
    }
    at /= part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      return Error(
          Errc::InvalidArgument,
          fmt::format("'{}' is not a directory (a symlink or a file); refusing to write '{}' "
                      "through it",
                      at.string(), path.string()));
    }
  }
  return ok();
}

Result<void> HostExtractor::onEntry(const ls::archive::TarEntry& entry) {
  LS_ASSIGN_OR_RETURN(fs::path path, target(entry.name));
  if (contents_ && !topSeen_) {
    topSeen_ = true;
    // A contents archive without its root has no entry for the top directory: make it here.
    if (path != top() && ::mkdir(top().c_str(), 0755) != 0 && errno != EEXIST) {
      return Error(Errc::Unavailable,
                   fmt::format("cannot create '{}': {}", top().string(), errnoText()));
    }
  }
  LS_TRY(checkParents(path));
  struct stat existing {};
  const bool exists = ::lstat(path.c_str(), &existing) == 0;
  const bool existingDir = exists && S_ISDIR(existing.st_mode);
  switch (entry.type) {
    case TarReadType::Directory:
      if (exists && !existingDir) {
        return Error(Errc::FailedPrecondition,
                     fmt::format("cannot replace file '{}' with a directory", path.string()));
      }
      if (!exists && ::mkdir(path.c_str(), 0700) != 0) {
        return Error(Errc::Unavailable,
                     fmt::format("cannot create '{}': {}", path.string(), errnoText()));
      }
      if (!(name_.empty() && path == directory_)) {  // the destination itself keeps its mode
        directories_.push_back({path, entry.mode, entry.mtime});
      }
      return ok();
    case TarReadType::File: {
      if (existingDir) {
        return Error(Errc::FailedPrecondition,
                     fmt::format("cannot replace directory '{}' with a file", path.string()));
      }
      if (exists && !S_ISREG(existing.st_mode)) {
        (void)::unlink(path.c_str());  // a symlink or special file there is replaced, not followed
      }
      fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd_ < 0) {
        return Error(Errc::Unavailable,
                     fmt::format("cannot write '{}': {}", path.string(), errnoText()));
      }
      filePath_ = path;
      fileMode_ = entry.mode;
      fileMtime_ = entry.mtime;
      return ok();
    }
    case TarReadType::Symlink:
      if (existingDir) {
        return Error(Errc::FailedPrecondition,
                     fmt::format("cannot replace directory '{}' with a symlink", path.string()));
      }
      if (exists) {
        (void)::unlink(path.c_str());
      }
      if (::symlink(entry.linkTarget.c_str(), path.c_str()) != 0) {
        return Error(Errc::Unavailable,
                     fmt::format("cannot create link '{}': {}", path.string(), errnoText()));
      }
      setTimes(path, entry.mtime, /*followLink=*/false);
      return ok();
    case TarReadType::Hardlink: {
      LS_ASSIGN_OR_RETURN(fs::path linked, target(entry.linkTarget));
      LS_TRY(checkParents(linked));
      if (exists && !existingDir) {
        (void)::unlink(path.c_str());
      }
      if (::link(linked.c_str(), path.c_str()) != 0) {
        return Error(Errc::Unavailable, fmt::format("cannot link '{}' to '{}': {}", path.string(),
                                                    linked.string(), errnoText()));
      }
      return ok();
    }
    case TarReadType::Other: skipped_.push_back(entry.name); return ok();
  }
  return ok();
}

Result<void> HostExtractor::onData(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Error(Errc::Unavailable,
                   fmt::format("cannot write '{}': {}", filePath_.string(), errnoText()));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

Result<void> HostExtractor::onEntryEnd() {
  if (fd_ < 0) {
    return ok();
  }
  const bool modeSet = ::fchmod(fd_, fileMode_) == 0;
  timespec times[2];
  times[0].tv_sec = fileMtime_;
  times[0].tv_nsec = 0;
  times[1] = times[0];
  (void)::futimens(fd_, times);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (!modeSet || closed != 0) {
    return Error(Errc::Unavailable,
                 fmt::format("cannot finish '{}': {}", filePath_.string(), errnoText()));
  }
  return ok();
}

Result<void> HostExtractor::finish() {
  for (auto it = directories_.rbegin(); it != directories_.rend(); ++it) {
    if (::chmod(it->path.c_str(), it->mode) != 0) {
      return Error(Errc::Unavailable,
                   fmt::format("cannot set the mode of '{}': {}", it->path.string(), errnoText()));
    }
    setTimes(it->path, it->mtime, /*followLink=*/true);
  }
  directories_.clear();
  return ok();
}

}  // namespace ls::cli
