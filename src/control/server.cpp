#include "lightshuttle/control/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "control/security.hpp"
#include "control/state.hpp"
#include "core/asio_fwd.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace ls::control {
namespace {

constexpr std::size_t kMaxRejecting = 64;  // 503 answers in flight; past that, just close

asio::awaitable<void> pauseAfterAcceptError() {
  // EMFILE and friends: give connections a moment to end instead of spinning.
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
  auto [ec] = co_await t.async_wait(ls::detail::kUseTuple);
  (void)ec;
}

asio::awaitable<void> acceptTcp(std::shared_ptr<Server::State> s) {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    auto [ec, sock] = co_await s->tcp->async_accept(ls::detail::kUseTuple);
    if (s->closing || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      co_await pauseAfterAcceptError();
      continue;
    }
    if (s->counters.openConnections >= s->options.maxConnections) {
      ++s->counters.rejectedConnections;
      if (s->rejecting < kMaxRejecting) {
        ++s->rejecting;  // rejectTcp counts it down
        s->connections.spawn(s->ex, detail::rejectTcp(s, std::move(sock)));
      }
      continue;  // the socket closes here when not answered
    }
    ++s->counters.acceptedConnections;
    s->connections.spawn(s->ex, detail::serveTcp(s, std::move(sock)));
  }
}

asio::awaitable<void> acceptUnix(std::shared_ptr<Server::State> s) {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    auto [ec, sock] = co_await s->unix->async_accept(ls::detail::kUseTuple);
    if (s->closing || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      co_await pauseAfterAcceptError();
      continue;
    }
    ucred peer{};
    socklen_t len = sizeof(peer);
    if (::getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
        peer.uid != ::getuid()) {
      continue;  // only our own user may control the stack
    }
    if (s->counters.openConnections >= s->options.maxConnections) {
      ++s->counters.rejectedConnections;
      continue;
    }
    ++s->counters.acceptedConnections;
    s->connections.spawn(s->ex, detail::serveUnix(s, std::move(sock)));
  }
}

Result<void> openTcp(Server::State& s, std::uint16_t port) {
  boost::system::error_code ec;
  tcp::acceptor acc(s.ex);
  const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), port);
  acc.open(ep.protocol(), ec);
  // No SO_REUSEADDR: a port that another process listens on must be refused, not shared.
  if (!ec) {
    acc.bind(ep, ec);
  }
  if (ec == asio::error::address_in_use) {
    return Error(Errc::Conflict, "port " + std::to_string(port) +
                                     " on 127.0.0.1 is already in use; choose another with "
                                     "--dashboard-port (or dashboard.port in the manifest), or 0 "
                                     "for a free one");
  }
  if (!ec) {
    acc.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(Errc::Unavailable,
                 "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  }
  s.port = acc.local_endpoint(ec).port();
  s.tcp.emplace(std::move(acc));
  return ok();
}

Result<void> openUnix(Server::State& s, const fs::path& path) {
  std::error_code rmEc;
  fs::remove(path, rmEc);  // a stale socket of a dead supervisor (the caller holds the lock)
  boost::system::error_code ec;
  local::acceptor acc(s.ex);
  acc.open(local(), ec);
  // Created private from the start: no window in which another user could connect.
  const mode_t old = ::umask(0177);
  if (!ec) {
    acc.bind(local::endpoint(path.string()), ec);
  }
  ::umask(old);
  if (!ec) {
    ::chmod(path.c_str(), 0600);
    acc.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(Errc::Unavailable,
                 "cannot serve the control socket " + path.string() + ": " + ec.message());
  }
  s.unix.emplace(std::move(acc));
  return ok();
}

}  // namespace

std::string Server::State::url() const {
  return tcp ? "http://127.0.0.1:" + std::to_string(port) + "/" : std::string();
}

std::string Server::State::loginUrl() const {
  return tcp ? url() + "login?token=" + options.token : std::string();
}

asio::awaitable<Result<std::unique_ptr<Server>>> Server::open(lifecycle::LifecycleHandle& handle,
                                                              Clock& clock, ServerOptions options,
                                                              std::function<void()> stopStack) {
  auto ex = co_await asio::this_coro::executor;
  if (options.token.empty()) {
    options.token = detail::randomHex(32);
  }
  auto state = std::make_shared<State>(handle, clock, std::move(options), std::move(stopStack), ex);
  state->sessionKey = detail::randomHex(32);
  if (state->options.tcpPort) {
    Result<void> opened = openTcp(*state, *state->options.tcpPort);
    if (!opened) {
      co_return std::move(opened).error();
    }
  }
  if (!state->options.unixSocket.empty()) {
    Result<void> opened = openUnix(*state, state->options.unixSocket);
    if (!opened) {
      co_return std::move(opened).error();
    }
  }
  if (state->tcp) {
    state->connections.spawn(ex, acceptTcp(state));
  }
  if (state->unix) {
    state->connections.spawn(ex, acceptUnix(state));
  }
  co_return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::shared_ptr<State> state) : state_(std::move(state)) {}

namespace {
/// Closes the listeners (the unix socket's file removed) and cancels every operation and
/// connection: nothing new is accepted, what runs is told to end.
void stopAccepting(Server::State& s) {
  s.closing = true;
  boost::system::error_code ec;
  if (s.tcp) {
    s.tcp->close(ec);
  }
  if (s.unix) {
    s.unix->close(ec);
    std::error_code rmEc;
    fs::remove(s.options.unixSocket, rmEc);
  }
  s.operations.cancelAll();
  s.connections.cancelAll();
}
}  // namespace

Server::~Server() {
  // Without a shutdown the tasks still hold the state; closing the listeners at least stops new
  // connections. (shutdown() is the documented way out.)
  if (state_ && !state_->shutDown) {
    stopAccepting(*state_);
  }
}

asio::awaitable<void> Server::shutdown() {
  std::shared_ptr<State> s = state_;
  if (s->shutDown) {
    co_return;
  }
  stopAccepting(*s);
  co_await asio::this_coro::reset_cancellation_state();
  while (!s->operations.empty()) {
    (void)co_await s->operations.waitEmpty();
  }
  while (!s->connections.empty()) {
    (void)co_await s->connections.waitEmpty();
  }
  s->shutDown = true;
}

std::uint16_t Server::port() const { return state_->tcp ? state_->port : 0; }
std::string Server::url() const { return state_->url(); }
std::string Server::loginUrl() const { return state_->loginUrl(); }
const std::string& Server::token() const { return state_->options.token; }
ServerStats Server::stats() const { return state_->counters; }

}  // namespace ls::control
