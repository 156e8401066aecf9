#include "watch/inotify.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/asio_fwd.hpp"

namespace ls::watch::detail {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kDirMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
                                   IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF |
                                   IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
constexpr std::size_t kReadBuffer = 64 * 1024;

}  // namespace

struct TreeWatcher::Impl {
  Impl(const asio::any_io_executor& ex, int fd) : stream(ex, fd) {}

  // One watched directory: the watch of its parent and its name there, so that a directory
  // costs one short string (no allocation up to 15 bytes) instead of its whole path, and the
  // directories beneath a moved one follow it. A root has no parent and holds its whole path.
  struct Dir {
    int parent = -1;
    std::string name;
  };

  asio::posix::stream_descriptor stream;
  std::vector<fs::path> roots;
  DirFilter wantDir;
  std::unordered_map<int, Dir> dirs;                    // wd -> directory
  std::map<fs::path, std::set<std::string>> fileRoots;  // watched dir -> file names wanted
  std::string buffer = std::string(kReadBuffer, '\0');

  int fd() { return stream.native_handle(); }

  // The path of watch `wd`; nullopt when a link up the chain is gone (its watch went first).
  std::optional<fs::path> pathOf(int wd) const {
    std::vector<const std::string*> names;
    for (int at = wd; at != -1;) {
      auto it = dirs.find(at);
      if (it == dirs.end() || names.size() > dirs.size()) {
        return std::nullopt;  // NOTE: the size bound also ends a cycle (a bind mount)
      }
      names.push_back(&it->second.name);
      at = it->second.parent;
    }
    std::string path;
    for (auto name = names.rbegin(); name != names.rend(); ++name) {
      if (!path.empty() && path.back() != '/') {
        path += '/';
      }
      path += **name;
    }
    return fs::path(std::move(path));
  }

  bool wanted(const fs::path& dir, std::string_view name) const {
    if (fileRoots.empty()) {
      return true;
    }
    auto it = fileRoots.find(dir);
    if (it == fileRoots.end()) {
      return true;
    }
    // A directory that only holds watched files: report those names only (and directories
    // that are themselves roots are in `dirs` through their own watch).
    return it->second.contains(std::string(name));
  }

  // Watches `dir`, named `name` in the directory of watch `parent` (-1 and its whole path for a
  // root). Returns its watch, or -1 when it is gone meanwhile (its parent reports it).
  Result<int> addOne(const fs::path& dir, int parent, std::string name) {
    const int wd = ::inotify_add_watch(fd(), dir.c_str(), kDirMask);
    if (wd < 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        return -1;
      }
      if (err == ENOSPC) {
        return Error(Errc::Unavailable,
                     "too many watched directories (inotify limit reached at " + dir.string() +
                         "); raise fs.inotify.max_user_watches, or ignore large directories in "
                         "the watch rules");
      }
      if (err == EACCES) {
        return Error(Errc::PermissionDenied,
                     "cannot watch " + dir.string() + ": permission denied");
      }
      return Error(Errc::Internal, "cannot watch " + dir.string() + ": " + std::strerror(err));
    }
    // An inode watched already keeps its wd: its place is updated (a move).
    dirs.insert_or_assign(wd, Dir{.parent = parent, .name = std::move(name)});
    return wd;
  }

  // Watches `dir` (see addOne) and every wanted directory beneath it; with `report`, appends
  // what it finds (files were possibly created before the watch was in place).
  Result<void> addTree(const fs::path& dir, int parent, std::string name,
                       std::vector<fs::path>* report) {
    LS_ASSIGN_OR_RETURN(const int top, addOne(dir, parent, std::move(name)));
    if (top < 0) {
      return ok();
    }
    std::vector<int> parents{top};  // [d]: the watch of the directory holding depth d's entries
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::directory_entry& e = *it;
      const auto depth = static_cast<std::size_t>(it.depth());
      if (depth >= parents.size()) {
        // Beneath an entry that was not watched as a directory (it changed type meanwhile).
        it.disable_recursion_pending();
        continue;
      }
      parents.resize(depth + 1);
      std::error_code typeEc;
      const bool isDir = e.is_directory(typeEc) && !e.is_symlink(typeEc);
      if (isDir) {
        if (wantDir && !wantDir(e.path())) {
          it.disable_recursion_pending();
          continue;
        }
        LS_ASSIGN_OR_RETURN(const int wd,
                            addOne(e.path(), parents[depth], e.path().filename().string()));
        parents.push_back(wd);
        if (wd < 0) {
          it.disable_recursion_pending();  // gone: nothing beneath to watch
        }
      }
      if (report != nullptr) {
        report->push_back(e.path());
      }
    }
    return ok();
  }

  bool underDirectoryRoot(const fs::path& dir) const {
    for (const fs::path& root : roots) {
      std::error_code ec;
      if (!fs::is_directory(fs::symlink_status(root, ec))) {
        continue;
      }
      auto [r, d] = std::mismatch(root.begin(), root.end(), dir.begin(), dir.end());
      if (r == root.end()) {
        return true;
      }
    }
    return false;
  }

  Result<void> addRoots(std::vector<fs::path>* report) {
    for (const fs::path& root : roots) {
      std::error_code ec;
      const fs::file_status st = fs::symlink_status(root, ec);
      if (ec || !fs::exists(st)) {
        return Error(Errc::NotFound, "watch path " + root.string() + " does not exist");
      }
      if (fs::is_directory(st)) {
        LS_TRY(addTree(root, -1, root.string(), report));
      } else {
        const fs::path dir = root.parent_path();
        if (!underDirectoryRoot(dir)) {
          fileRoots[dir].insert(root.filename().string());
        }
        LS_TRY(addOne(dir, -1, dir.string()));
        if (report != nullptr) {
          report->push_back(root);
        }
      }
    }
    return ok();
  }

  Result<void> apply(const RawEvent& ev, TreeChanges& out) {
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      out.overflow = true;
      return addRoots(&out.touched);
    }
    auto it = dirs.find(ev.wd);
    if (it == dirs.end()) {
      return ok();
    }
    if ((ev.mask & IN_IGNORED) != 0) {
      dirs.erase(it);
      return ok();
    }
    std::optional<fs::path> dir = pathOf(ev.wd);
    if (!dir) {
      return ok();
    }
    if (ev.name.empty()) {
      if ((ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
        out.touched.push_back(std::move(*dir));
      }
      return ok();
    }
    if (!wanted(*dir, ev.name)) {
      return ok();
    }
    fs::path path = *dir / ev.name;
    out.touched.push_back(path);
    const bool isDir = (ev.mask & IN_ISDIR) != 0;
    if (isDir && (ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0 && (!wantDir || wantDir(path))) {
      LS_TRY(addTree(path, ev.wd, ev.name, &out.touched));
    }
    return ok();
  }
};

TreeWatcher::TreeWatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TreeWatcher::~TreeWatcher() = default;

Result<std::unique_ptr<TreeWatcher>> TreeWatcher::open(const asio::any_io_executor& ex,
                                                       std::vector<fs::path> roots,
                                                       DirFilter wantDir) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error(err == EMFILE ? Errc::Unavailable : Errc::Internal,
                 std::string("cannot start watching files: inotify_init1: ") + std::strerror(err) +
                     (err == EMFILE ? " (raise fs.inotify.max_user_instances)" : ""));
  }
  auto impl = std::make_unique<Impl>(ex, fd);
  impl->roots = std::move(roots);
  impl->wantDir = std::move(wantDir);
  LS_TRY(impl->addRoots(nullptr));
  return std::unique_ptr<TreeWatcher>(new TreeWatcher(std::move(impl)));
}

asio::awaitable<Result<TreeChanges>> TreeWatcher::next() {
  Impl& d = *impl_;
  for (;;) {
    auto [ec, n] = co_await d.stream.async_read_some(asio::buffer(d.buffer), ls::detail::kUseTuple);
    if (ec == asio::error::operation_aborted) {
      co_return Error(Errc::Cancelled, "watching cancelled");
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      continue;
    }
    if (ec) {
      co_return Error(Errc::Internal, "reading file events: " + ec.message());
    }
    TreeChanges out;
    for (const RawEvent& ev : decodeEvents(std::string_view(d.buffer.data(), n))) {
      LS_CO_TRY(d.apply(ev, out));
    }
    if (!out.touched.empty() || out.overflow) {
      co_return out;
    }
  }
}

std::size_t TreeWatcher::watchCount() const { return impl_->dirs.size(); }

}  // namespace ls::watch::detail
