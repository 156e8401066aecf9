#include "cli/control.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "control/json_fields.hpp"
#include "lightshuttle/control/client.hpp"
#include "lightshuttle/control/codec.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/core/scope_guard.hpp"
#include "lightshuttle/core/text.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace ls::cli {
namespace {

using control::detail::intField;
using control::detail::stringField;

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string sysError(const std::string& what, int err) { return what + ": " + std::strerror(err); }

std::int64_t epochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

fs::path recordPath(const fs::path& dir, const std::string& project) {
  return dir / (project + ".json");
}
fs::path lockPath(const fs::path& dir, const std::string& project) {
  return dir / (project + ".lock");
}
fs::path socketPathFor(const fs::path& dir, const std::string& project) {
  return dir / (project + ".sock");
}

/// Whether an open file description lock is held on `fd` by someone (F_OFD_GETLK tests without
/// taking it, so a probe never makes a concurrent acquire fail).
bool lockHeld(int fd) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  if (::fcntl(fd, F_OFD_GETLK, &fl) != 0) {
    return false;
  }
  return fl.l_type != F_UNLCK;
}

/// True when nobody holds the project's lock.
bool lockIsFree(const fs::path& dir, const std::string& project) {
  const int fd = ::open(lockPath(dir, project).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return true;  // never created: nobody has supervised it
  }
  const bool free = !lockHeld(fd);
  ::close(fd);
  return free;
}

std::optional<SupervisorRecord> readRecord(const fs::path& dir, const std::string& project) {
  auto text = readFile(recordPath(dir, project));
  if (!text) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value doc = json::parse(*text, ec);
  if (ec || !doc.is_object()) {
    return std::nullopt;
  }
  const auto& o = doc.as_object();
  SupervisorRecord r;
  r.pid = static_cast<pid_t>(intField(o, "pid").value_or(0));
  r.project = stringField(o, "project");
  r.manifest = stringField(o, "manifest");
  r.log = stringField(o, "log");
  r.dashboardUrl = stringField(o, "dashboard_url");
  r.socket = socketPathFor(dir, project);
  if (r.pid <= 0 || r.project != project) {
    return std::nullopt;
  }
  return r;
}

/// Runs one call of the control client to completion on a loop of its own.
template <typename T>
Result<T> runClient(asio::awaitable<Result<T>> call) {
  asio::io_context ctx;
  std::optional<Result<T>> out;
  asio::co_spawn(ctx, std::move(call), [&](std::exception_ptr e, Result<T> r) {
    if (e) {
      out.emplace(Error(Errc::Internal, "unexpected exception talking to the supervisor"));
    } else {
      out.emplace(std::move(r));
    }
  });
  ctx.run();
  if (!out) {
    return Error(Errc::Internal, "the call to the supervisor did not complete");
  }
  return std::move(*out);
}

std::string where(const SupervisorRecord& sup) {
  return "the supervisor of " + q(sup.project) + " (pid " + std::to_string(sup.pid) + ")";
}

/// An API answer that is not 2xx as an error naming the supervisor.
Result<control::HttpResponse> expectOk(Result<control::HttpResponse> r,
                                       const SupervisorRecord& sup) {
  if (!r) {
    return std::move(r).error();
  }
  if (r->status / 100 != 2) {
    const Errc code = r->status == 404   ? Errc::NotFound
                      : r->status == 409 ? Errc::Conflict
                      : r->status == 400 ? Errc::InvalidArgument
                                         : Errc::Internal;
    return Error(code, control::errorText(*r)).context(where(sup));
  }
  return r;
}

}  // namespace

Result<fs::path> controlDir() {
  fs::path dir;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  struct stat st {};
  if (xdg != nullptr && *xdg == '/' && ::stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
      ::access(xdg, W_OK) == 0) {
    dir = fs::path(xdg) / "lightshuttle";
  } else {
    dir = fs::path("/tmp") / ("lightshuttle-" + std::to_string(::getuid()));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error(Errc::FailedPrecondition,
                 sysError("cannot create the control directory " + dir.string(), errno));
  }
  if (::lstat(dir.c_str(), &st) != 0) {
    return Error(Errc::FailedPrecondition,
                 sysError("cannot read the control directory " + dir.string(), errno));
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 0077) != 0) {
    return Error(Errc::FailedPrecondition,
                 "the control directory " + dir.string() +
                     " is not a private directory of this user (expected mode 0700, owner uid " +
                     std::to_string(::getuid()) + "); remove it or fix its permissions");
  }
  return dir;
}

// --- SupervisorLock -----------------------------------------------------------------------

Result<SupervisorLock> SupervisorLock::acquire(const std::string& project) {
  LS_ASSIGN_OR_RETURN(fs::path dir, controlDir());
  const fs::path path = lockPath(dir, project);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(Errc::FailedPrecondition, sysError("cannot open " + path.string(), errno));
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EAGAIN && err != EACCES) {
      return Error(Errc::FailedPrecondition, sysError("cannot lock " + path.string(), err));
    }
    std::string who;
    if (auto rec = readRecord(dir, project)) {
      who = " (pid " + std::to_string(rec->pid) +
            (rec->manifest.empty() ? "" : ", " + rec->manifest) + ")";
    }
    return Error(Errc::Conflict, "project " + q(project) + " is already up: its supervisor runs" +
                                     who + "; use `lightshuttle ps`, or `lightshuttle down` first");
  }
  SupervisorLock lock;
  lock.fd_ = fd;
  lock.project_ = project;
  lock.dir_ = dir;
  lock.socket_ = socketPathFor(dir, project);
  return lock;
}

SupervisorLock::SupervisorLock(SupervisorLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      project_(std::move(other.project_)),
      dir_(std::move(other.dir_)),
      socket_(std::move(other.socket_)) {}

SupervisorLock& SupervisorLock::operator=(SupervisorLock&& other) noexcept {
  if (this != &other) {
    this->~SupervisorLock();
    fd_ = std::exchange(other.fd_, -1);
    project_ = std::move(other.project_);
    dir_ = std::move(other.dir_);
    socket_ = std::move(other.socket_);
  }
  return *this;
}

SupervisorLock::~SupervisorLock() {
  if (fd_ < 0) {
    return;
  }
  // The record goes before the lock does: whoever takes the lock next writes a new one.
  std::error_code ec;
  fs::remove(recordPath(dir_, project_), ec);
  ::close(fd_);
  fd_ = -1;
}

Result<void> SupervisorLock::record(const std::string& manifest, const std::string& log,
                                    const std::string& dashboardUrl) const {
  json::object o;
  o["pid"] = static_cast<std::int64_t>(::getpid());
  o["project"] = project_;
  o["manifest"] = manifest;
  o["log"] = log;
  o["socket"] = socket_.string();
  o["dashboard_url"] = dashboardUrl;  // without the token: that is asked over the socket
  o["started_at_ms"] = epochMillis(std::chrono::system_clock::now());
  return writeFileAtomic(recordPath(dir_, project_), json::serialize(o), 0600);
}

std::optional<SupervisorRecord> findSupervisor(const std::string& project) {
  auto dir = controlDir();
  if (!dir || lockIsFree(*dir, project)) {
    return std::nullopt;
  }
  // The lock is taken before the record is written: give a starting supervisor a moment.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (auto rec = readRecord(*dir, project)) {
      return rec;
    }
    if (lockIsFree(*dir, project)) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return std::nullopt;
}

bool waitSupervisorGone(const std::string& project, std::chrono::nanoseconds timeout) {
  auto dir = controlDir();
  if (!dir) {
    return true;
  }
  const int fd = ::open(lockPath(*dir, project).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return true;  // never created: nobody has supervised it
  }
  auto closeFd = ScopeGuard([fd] { ::close(fd); });
  // The kernel offers no lock wait with a deadline: test often (one cheap syscall), since
  // `down` returns as soon as the supervisor's process is gone.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!lockHeld(fd)) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Result<std::vector<SupervisedResource>> supervisorList(const SupervisorRecord& sup,
                                                       std::chrono::nanoseconds timeout) {
  const control::Client client = control::Client::unixSocket(sup.socket);
  LS_ASSIGN_OR_RETURN(
      control::HttpResponse res,
      expectOk(runClient(client.request("GET", "/api/v1/resources", {}, timeout)), sup));
  LS_ASSIGN_OR_RETURN(std::vector<lifecycle::ResourceView> views, control::decodeViews(res.body));
  std::vector<SupervisedResource> out;
  for (auto& v : views) {
    std::string name = v.containerName;
    out.push_back(SupervisedResource{.view = std::move(v), .containerName = std::move(name)});
  }
  return out;
}

Result<lifecycle::StackView> supervisorStack(const SupervisorRecord& sup,
                                             std::chrono::nanoseconds timeout) {
  const control::Client client = control::Client::unixSocket(sup.socket);
  LS_ASSIGN_OR_RETURN(
      control::HttpResponse res,
      expectOk(runClient(client.request("GET", "/api/v1/stack", {}, timeout)), sup));
  return control::decodeStack(res.body);
}

namespace {

/// Asks for `op` (restart, start, stop) on `resource` and follows its events until it is done:
/// a restart once the resource is ready again, a start or stop once the operation completed.
asio::awaitable<Result<void>> operateAndFollow(
    control::Client client, SupervisorRecord sup, std::string resource, std::string op,
    std::optional<std::chrono::nanoseconds> timeout,
    std::function<void(const lifecycle::LifecycleEvent&)> onEvent) {
  using K = lifecycle::LifecycleEvent::Kind;
  // Subscribed first: the events of our restart come after the snapshot.
  auto socket = co_await client.webSocket("/api/v1/events/ws", kSupervisorTimeout);
  if (!socket) {
    co_return std::move(socket).error().context(where(sup));
  }
  auto& ws = **socket;
  auto snapshot = co_await ws.read(kSupervisorTimeout);
  if (!snapshot || !*snapshot) {
    co_return Error(Errc::Unavailable, where(sup) + " closed its events socket");
  }
  auto accepted = expectOk(
      co_await client.request("POST", "/api/v1/resources/" + percentEncode(resource) + "/" + op, {},
                              kSupervisorTimeout),
      sup);
  if (!accepted) {
    co_await ws.close();
    co_return std::move(accepted).error();
  }
  const auto deadline =
      timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
  // Between two events of a restart (pulls and builds report progress) at most this long.
  constexpr std::chrono::nanoseconds kQuiet = std::chrono::minutes(5);
  bool sawRestart = false;
  for (;;) {
    std::chrono::nanoseconds wait = kQuiet;
    if (deadline) {
      wait = std::min<std::chrono::nanoseconds>(wait, *deadline - std::chrono::steady_clock::now());
      if (wait <= std::chrono::nanoseconds::zero()) {
        co_await ws.close();
        co_return Error(Errc::Timeout, "resource " + q(resource) +
                                           (op == "stop" ? " did not stop" : " was not ready") +
                                           " within the timeout");
      }
    }
    auto msg = co_await ws.read(wait);
    if (!msg) {
      co_await ws.close();
      co_return std::move(msg).error().context("waiting for resource " + q(resource) +
                                               " to be ready");
    }
    if (!*msg) {
      co_return Error(Errc::Unavailable, where(sup) + " closed its events socket before " +
                                             q(resource) + " was ready (did the stack stop?)");
    }
    auto m = control::decodeEventMessage(**msg);
    if (!m || m->type != control::EventMessage::Type::Event || !m->event ||
        m->event->resource != resource) {
      continue;
    }
    const lifecycle::LifecycleEvent& e = *m->event;
    if (onEvent) {
      onEvent(e);
    }
    if (e.kind == K::ResourceRestarting || e.kind == K::ResourceStopped ||
        e.kind == K::ResourceStarting) {
      sawRestart = true;
    }
    const bool done = op == "restart" ? sawRestart && (e.kind == K::ResourceHealthy ||
                                                       e.kind == K::ResourceCompleted)
                                      : e.kind == K::OperationCompleted;
    if (done) {
      co_await ws.close();
      co_return ok();
    }
    if (e.kind == K::ResourceFailed || e.kind == K::OperationFailed) {
      co_await ws.close();
      co_return Error(Errc::Internal, e.message);
    }
  }
}

}  // namespace

Result<void> supervisorRestart(
    const SupervisorRecord& sup, const std::string& resource,
    std::optional<std::chrono::nanoseconds> timeout,
    const std::function<void(const lifecycle::LifecycleEvent&)>& onEvent) {
  return runClient(operateAndFollow(control::Client::unixSocket(sup.socket), sup, resource,
                                    "restart", timeout, onEvent));
}

Result<void> supervisorOperate(const SupervisorRecord& sup, const std::string& resource,
                               const std::string& op,
                               std::optional<std::chrono::nanoseconds> timeout) {
  return runClient(
      operateAndFollow(control::Client::unixSocket(sup.socket), sup, resource, op, timeout, {}));
}

namespace {

asio::awaitable<Result<void>> follow(control::Client client, SupervisorRecord sup,
                                     std::optional<std::chrono::nanoseconds> timeout,
                                     std::function<bool(std::string_view)> onMessage) {
  auto socket = co_await client.webSocket("/api/v1/events/ws", kSupervisorTimeout);
  if (!socket) {
    co_return std::move(socket).error().context(where(sup));
  }
  auto& ws = **socket;
  const auto deadline =
      timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
  for (;;) {
    std::chrono::nanoseconds wait = std::chrono::hours(1);
    if (deadline) {
      wait = *deadline - std::chrono::steady_clock::now();
      if (wait <= std::chrono::nanoseconds::zero()) {
        co_await ws.close();
        co_return Error(Errc::Timeout, "timed out");
      }
    }
    auto msg = co_await ws.read(wait);
    if (!msg) {
      if (msg.error().code() == Errc::Timeout) {
        continue;  // the deadline (if any) is checked above
      }
      co_await ws.close();
      co_return std::move(msg).error().context(where(sup));
    }
    if (!*msg) {
      co_return ok();  // the supervisor closed the socket: the stack is gone
    }
    if (!onMessage(**msg)) {
      co_await ws.close();
      co_return ok();
    }
  }
}

}  // namespace

Result<void> supervisorFollow(const SupervisorRecord& sup,
                              std::optional<std::chrono::nanoseconds> timeout,
                              const std::function<bool(std::string_view)>& onMessage) {
  return runClient(follow(control::Client::unixSocket(sup.socket), sup, timeout, onMessage));
}

std::vector<SupervisorRecord> listSupervisors() {
  std::vector<SupervisorRecord> out;
  auto dir = controlDir();
  if (!dir) {
    return out;
  }
  std::error_code ec;
  std::vector<std::string> projects;
  for (const auto& entry : fs::directory_iterator(*dir, ec)) {
    if (entry.path().extension() == ".lock") {
      projects.push_back(entry.path().stem().string());
    }
  }
  std::sort(projects.begin(), projects.end());
  for (const auto& project : projects) {
    if (auto sup = findSupervisor(project)) {
      out.push_back(std::move(*sup));
    }
  }
  return out;
}

Result<void> supervisorStop(const SupervisorRecord& sup) {
  const control::Client client = control::Client::unixSocket(sup.socket);
  LS_TRY(expectOk(runClient(client.request("POST", "/api/v1/stack/stop", {}, kSupervisorTimeout)),
                  sup));
  return {};
}

Result<DashboardInfo> supervisorDashboard(const SupervisorRecord& sup) {
  const control::Client client = control::Client::unixSocket(sup.socket);
  LS_ASSIGN_OR_RETURN(
      control::HttpResponse res,
      expectOk(runClient(client.request("GET", "/api/v1/dashboard", {}, kSupervisorTimeout)), sup));
  boost::system::error_code ec;
  json::value doc = json::parse(res.body, ec);
  if (ec || !doc.is_object()) {
    return Error(Errc::Internal, where(sup) + " sent an unreadable answer");
  }
  const auto& o = doc.as_object();
  DashboardInfo info;
  info.project = stringField(o, "project");
  info.url = stringField(o, "url");
  info.loginUrl = stringField(o, "login_url");
  info.token = stringField(o, "token");
  return info;
}

}  // namespace ls::cli
