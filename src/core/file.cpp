#include "lightshuttle/core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lightshuttle/core/scope_guard.hpp"

namespace ls {
namespace {

Error ioError(int err, std::string_view step, const std::filesystem::path& path) {
  Errc code = Errc::Internal;
  if (err == ENOENT || err == ENOTDIR) {
    code = Errc::NotFound;
  } else if (err == EACCES || err == EPERM || err == EROFS) {
    code = Errc::PermissionDenied;
  }
  return Error(code, std::string(step) + " '" + path.string() + "': " + std::strerror(err));
}

Result<void> writeAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError(errno, "write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

}  // namespace

Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view data,
                             mode_t mode) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    return ioError(errno, "create temporary file for", path);
  }
  const std::filesystem::path tmp = tmpl;
  bool renamed = false;
  auto cleanup = ScopeGuard([&] {
    ::close(fd);
    if (!renamed) {
      ::unlink(tmp.c_str());
    }
  });
  // mkstemp creates 0600; apply the requested mode explicitly (umask does not apply to fchmod).
  if (::fchmod(fd, mode) != 0) {
    return ioError(errno, "chmod", tmp);
  }
  LS_TRY(writeAll(fd, data, tmp));
  if (::fsync(fd) != 0) {
    return ioError(errno, "fsync", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return ioError(errno, "rename into place", path);
  }
  renamed = true;
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // best effort: the rename is already visible
    ::close(dfd);
  }
  return ok();
}

Result<std::string> readFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ioError(errno, "open", path);
  }
  auto closer = ScopeGuard([fd] { ::close(fd); });
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError(errno, "read", path);
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace ls
