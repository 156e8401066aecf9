#include "cli/control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/asio_fwd.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/core/scope_guard.hpp"
#include "lightshuttle/lifecycle/manager.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using local = asio::local::stream_protocol;

namespace ls::cli {
namespace {

constexpr std::size_t kMaxMessage = 1 << 20;

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string sysError(const std::string& what, int err) { return what + ": " + std::strerror(err); }

Errc errcFromName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Errc::Internal); ++i) {
    if (errcName(static_cast<Errc>(i)) == name) {
      return static_cast<Errc>(i);
    }
  }
  return Errc::Internal;
}

template <typename E, int N>
std::optional<E> enumFromName(std::string_view name, std::string_view (*nameOf)(E) noexcept) {
  for (int i = 0; i < N; ++i) {
    if (nameOf(static_cast<E>(i)) == name) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

std::int64_t epochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

json::object viewToJson(const lifecycle::ResourceView& v, const std::string& containerName) {
  json::object o;
  o["name"] = v.name;
  o["kind"] = std::string(manifest::kindName(v.kind));
  o["status"] = std::string(lifecycle::statusName(v.status));
  o["health"] = std::string(lifecycle::healthName(v.health));
  o["image"] = v.image;
  o["container_id"] = v.containerId;
  o["container_name"] = containerName;
  json::array ports;
  for (const auto& p : v.ports) {
    json::object po;
    po["container_port"] = p.containerPort;
    po["protocol"] = runtime::protocolName(p.protocol);
    po["host_address"] = p.hostAddress;
    if (p.hostPort) {
      po["host_port"] = *p.hostPort;
    }
    ports.push_back(std::move(po));
  }
  o["ports"] = std::move(ports);
  if (v.startedAt) {
    o["started_at_ms"] = epochMillis(*v.startedAt);
  }
  o["restarts"] = v.restarts;
  if (v.lastError) {
    o["last_error"] = *v.lastError;
  }
  if (v.exitCode) {
    o["exit_code"] = *v.exitCode;
  }
  return o;
}

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::int64_t> integer(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  return std::nullopt;
}

SupervisedResource viewFromJson(const json::object& o) {
  SupervisedResource r;
  lifecycle::ResourceView& v = r.view;
  v.name = str(o, "name");
  for (auto k : {manifest::Kind::Postgres, manifest::Kind::Redis, manifest::Kind::Container,
                 manifest::Kind::Dockerfile}) {
    if (manifest::kindName(k) == str(o, "kind")) {
      v.kind = k;
    }
  }
  v.status = enumFromName<lifecycle::ResourceStatus, 8>(str(o, "status"), &lifecycle::statusName)
                 .value_or(lifecycle::ResourceStatus::Pending);
  v.health = enumFromName<lifecycle::Health, 4>(str(o, "health"), &lifecycle::healthName)
                 .value_or(lifecycle::Health::None);
  v.image = str(o, "image");
  v.containerId = str(o, "container_id");
  r.containerName = str(o, "container_name");
  if (const json::value* ports = o.if_contains("ports"); ports != nullptr && ports->is_array()) {
    for (const auto& pv : ports->as_array()) {
      if (!pv.is_object()) {
        continue;
      }
      const auto& po = pv.as_object();
      runtime::PortBinding p;
      p.containerPort = static_cast<std::uint16_t>(integer(po, "container_port").value_or(0));
      const std::string proto = str(po, "protocol");
      p.protocol = proto == "udp"    ? runtime::Protocol::Udp
                   : proto == "sctp" ? runtime::Protocol::Sctp
                                     : runtime::Protocol::Tcp;
      p.hostAddress = str(po, "host_address");
      if (auto hp = integer(po, "host_port")) {
        p.hostPort = static_cast<std::uint16_t>(*hp);
      }
      v.ports.push_back(std::move(p));
    }
  }
  if (auto ms = integer(o, "started_at_ms")) {
    v.startedAt = std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
  }
  v.restarts = static_cast<int>(integer(o, "restarts").value_or(0));
  if (o.contains("last_error")) {
    v.lastError = str(o, "last_error");
  }
  if (auto code = integer(o, "exit_code")) {
    v.exitCode = static_cast<int>(*code);
  }
  return r;
}

json::object errorReply(const Error& e) {
  json::object o;
  o["ok"] = false;
  o["code"] = std::string(errcName(e.code()));
  o["message"] = e.what();
  return o;
}

fs::path recordPath(const fs::path& dir, const std::string& project) { return dir / (project + ".json"); }
fs::path lockPath(const fs::path& dir, const std::string& project) { return dir / (project + ".lock"); }
fs::path socketPathFor(const fs::path& dir, const std::string& project) { return dir / (project + ".sock"); }

/// True when nobody holds the project's lock (probed without keeping it).
bool lockIsFree(const fs::path& dir, const std::string& project) {
  const int fd = ::open(lockPath(dir, project).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return true;  // never created: nobody has supervised it
  }
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  ::close(fd);  // drops the probe's shared lock
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
  r.pid = static_cast<pid_t>(integer(o, "pid").value_or(0));
  r.project = str(o, "project");
  r.manifest = str(o, "manifest");
  r.log = str(o, "log");
  r.socket = socketPathFor(dir, project);
  if (r.pid <= 0 || r.project != project) {
    return std::nullopt;
  }
  return r;
}

/// One request, one reply, over the supervisor's socket (blocking; the reply may take as long
/// as a restart does).
Result<json::object> call(const SupervisorRecord& sup, const json::object& request) {
  const std::string where = "the supervisor of '" + sup.project + "' (pid " + std::to_string(sup.pid) + ")";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Error(Errc::Internal, sysError("cannot create a socket", errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = sup.socket.string();
  if (path.size() >= sizeof(addr.sun_path)) {
    return Error(Errc::InvalidArgument, "control socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Error(Errc::Unavailable, sysError("cannot reach " + where + " at " + path, errno));
  }
  std::string out = json::serialize(request) + "\n";
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Error(Errc::Unavailable, sysError("writing to " + where, errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string in;
  char buf[4096];
  while (in.find('\n') == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Error(Errc::Unavailable, sysError("reading from " + where, errno));
    }
    if (n == 0) {
      return Error(Errc::Unavailable, where + " closed the connection without a reply (did it stop?)");
    }
    in.append(buf, static_cast<std::size_t>(n));
    if (in.size() > kMaxMessage) {
      return Error(Errc::Internal, where + " sent an oversized reply");
    }
  }
  boost::system::error_code ec;
  json::value doc = json::parse(std::string_view(in).substr(0, in.find('\n')), ec);
  if (ec || !doc.is_object()) {
    return Error(Errc::Internal, where + " sent an unreadable reply");
  }
  json::object reply = std::move(doc.as_object());
  const json::value* ok = reply.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) {
    return Error(Errc::Internal, where + " sent a reply without \"ok\"");
  }
  if (!ok->as_bool()) {
    return Error(errcFromName(str(reply, "code")), str(reply, "message"));
  }
  return reply;
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
    return Error(Errc::FailedPrecondition, sysError("cannot create the control directory " + dir.string(), errno));
  }
  if (::lstat(dir.c_str(), &st) != 0) {
    return Error(Errc::FailedPrecondition, sysError("cannot read the control directory " + dir.string(), errno));
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
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return Error(Errc::FailedPrecondition, sysError("cannot lock " + path.string(), err));
    }
    std::string who;
    if (auto rec = readRecord(dir, project)) {
      who = " (pid " + std::to_string(rec->pid) + (rec->manifest.empty() ? "" : ", " + rec->manifest) + ")";
    }
    return Error(Errc::Conflict, "project " + q(project) + " is already up: its supervisor runs" + who +
                                     "; use `lightshuttle ps`, or `lightshuttle down` first");
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

Result<void> SupervisorLock::record(const std::string& manifest, const std::string& log) const {
  json::object o;
  o["pid"] = static_cast<std::int64_t>(::getpid());
  o["project"] = project_;
  o["manifest"] = manifest;
  o["log"] = log;
  o["socket"] = socket_.string();
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
  // The kernel offers no flock with a deadline: probe often (one cheap syscall), since `down`
  // returns as soon as the supervisor's process is gone.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
      return true;  // closing the fd drops the probe's shared lock
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Result<std::vector<SupervisedResource>> supervisorList(const SupervisorRecord& sup) {
  json::object req;
  req["op"] = "list";
  LS_ASSIGN_OR_RETURN(json::object reply, call(sup, req));
  std::vector<SupervisedResource> out;
  if (const json::value* rs = reply.if_contains("resources"); rs != nullptr && rs->is_array()) {
    for (const auto& v : rs->as_array()) {
      if (v.is_object()) {
        out.push_back(viewFromJson(v.as_object()));
      }
    }
  }
  return out;
}

Result<void> supervisorRestart(const SupervisorRecord& sup, const std::string& resource) {
  json::object req;
  req["op"] = "restart";
  req["resource"] = resource;
  LS_TRY(call(sup, req));
  return {};
}

Result<void> supervisorStop(const SupervisorRecord& sup) {
  json::object req;
  req["op"] = "stop";
  LS_TRY(call(sup, req));
  return {};
}

// --- ControlServer ------------------------------------------------------------------------

struct ControlServer::Impl {
  Impl(asio::io_context& ctx, lifecycle::LifecycleManager& m, std::function<void()> stop)
      : acceptor(ctx), manager(m), onStop(std::move(stop)) {}
  local::acceptor acceptor;
  fs::path path;
  lifecycle::LifecycleManager& manager;
  std::function<void()> onStop;
  bool closed = false;
};

namespace {

asio::awaitable<json::object> dispatch(ControlServer::Impl& s, std::string_view line) {
  boost::system::error_code ec;
  json::value doc = json::parse(line, ec);
  if (ec || !doc.is_object()) {
    co_return errorReply(Error(Errc::InvalidArgument, "a request is one JSON object per line"));
  }
  const json::object& req = doc.as_object();
  const std::string op = str(req, "op");
  json::object reply;
  if (op == "list") {
    json::array resources;
    for (const auto& v : s.manager.list()) {
      const lifecycle::PlanNode* node = s.manager.plan().find(v.name);
      resources.push_back(viewToJson(v, node != nullptr ? node->spec.name : std::string()));
    }
    reply["ok"] = true;
    reply["project"] = s.manager.plan().project();
    reply["resources"] = std::move(resources);
    co_return reply;
  }
  if (op == "restart") {
    std::string name = str(req, "resource");
    Result<void> r = co_await s.manager.restart(std::move(name));
    if (!r) {
      co_return errorReply(r.error());
    }
    reply["ok"] = true;
    co_return reply;
  }
  if (op == "stop") {
    if (s.onStop) {
      s.onStop();
    }
    reply["ok"] = true;
    co_return reply;
  }
  co_return errorReply(Error(Errc::InvalidArgument, "unknown operation " + q(op) +
                                                        " (expected list, restart or stop)"));
}

asio::awaitable<void> serveOne(std::shared_ptr<ControlServer::Impl> s, local::socket sock) {
  ucred peer{};
  socklen_t len = sizeof(peer);
  if (::getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
      peer.uid != ::getuid()) {
    co_return;  // only our own user may control the stack
  }
  std::string in;
  auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(in, kMaxMessage), '\n',
                                                  ls::detail::kUseTuple);
  if (ec) {
    co_return;
  }
  const std::string line = in.substr(0, n);
  json::object reply = co_await dispatch(*s, line);
  std::string out = json::serialize(reply) + "\n";
  auto [wec, written] = co_await asio::async_write(sock, asio::buffer(out), ls::detail::kUseTuple);
  (void)wec;
  (void)written;
}

asio::awaitable<void> acceptLoop(std::shared_ptr<ControlServer::Impl> s) {
  for (;;) {
    auto [ec, sock] = co_await s->acceptor.async_accept(ls::detail::kUseTuple);
    if (s->closed || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      continue;  // e.g. EMFILE: keep serving the others
    }
    asio::co_spawn(s->acceptor.get_executor(), serveOne(s, std::move(sock)), asio::detached);
  }
}

}  // namespace

ControlServer::ControlServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { close(); }

Result<std::unique_ptr<ControlServer>> ControlServer::open(asio::io_context& ctx, const fs::path& path,
                                                           lifecycle::LifecycleManager& manager,
                                                           std::function<void()> onStop) {
  auto impl = std::make_shared<Impl>(ctx, manager, std::move(onStop));
  impl->path = path;
  std::error_code rmEc;
  fs::remove(path, rmEc);  // a stale socket of a dead supervisor (we hold the project's lock)
  boost::system::error_code ec;
  impl->acceptor.open(local(), ec);
  if (!ec) {
    impl->acceptor.bind(local::endpoint(path.string()), ec);
  }
  if (!ec) {
    ::chmod(path.c_str(), 0600);
    impl->acceptor.listen(16, ec);
  }
  if (ec) {
    return Error(Errc::Unavailable, "cannot serve the control socket " + path.string() + ": " + ec.message());
  }
  // The loop's frame shares the state: it may outlive this object until the loop is destroyed.
  asio::co_spawn(ctx, acceptLoop(impl), asio::detached);
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

void ControlServer::close() {
  if (!impl_ || impl_->closed) {
    return;
  }
  impl_->closed = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  std::error_code rmEc;
  fs::remove(impl_->path, rmEc);
}

}  // namespace ls::cli
