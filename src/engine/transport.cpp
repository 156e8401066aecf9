#include "engine/transport.hpp"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>

#include "core/asio_fwd.hpp"

namespace asio = boost::asio;

namespace ls::engine {
namespace {

Error transportError(const boost::system::error_code& ec, std::string_view what,
                     const std::string& where) {
  if (ec == asio::error::operation_aborted) {
    return Error(Errc::Cancelled, std::string(what) + " " + where + " cancelled");
  }
  return Error(Errc::Unavailable, std::string(what) + " " + where + ": " + ec.message());
}

template <typename Socket>
class SocketConnection final : public Connection {
 public:
  SocketConnection(Socket socket, std::string where)
      : socket_(std::move(socket)), where_(std::move(where)) {}

  asio::awaitable<Result<std::size_t>> readSome(char* buf, std::size_t len) override {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf, len), detail::kUseTuple);
    if (ec == asio::error::eof || (ec == asio::error::connection_reset && n == 0)) {
      co_return std::size_t{0};
    }
    if (ec) {
      co_return transportError(ec, "reading from the engine at", where_);
    }
    co_return n;
  }

  asio::awaitable<Result<void>> writeAll(std::string_view data) override {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                                              detail::kUseTuple);
    (void)n;
    if (ec) {
      co_return transportError(ec, "writing to the engine at", where_);
    }
    co_return ok();
  }

  Result<void> shutdownWrite() override {
    boost::system::error_code ec;
    socket_.shutdown(Socket::shutdown_send, ec);
    if (ec) {
      return transportError(ec, "closing our side of the connection to the engine at", where_);
    }
    return ok();
  }

  void close() override {
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  bool peerClosed() override {
    if (!socket_.is_open()) {
      return true;
    }
    char c = 0;
    const ssize_t n = ::recv(socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return false;  // idle and open
    }
    return true;  // 0: closed; > 0: unexpected bytes; < 0: reset
  }

 private:
  Socket socket_;
  std::string where_;
};

std::string unreachableHint(const boost::system::error_code& ec) {
  if (ec == boost::system::errc::no_such_file_or_directory ||
      ec == asio::error::connection_refused) {
    return "; is the docker engine running? start it (sudo systemctl start docker, or "
           "scripts/bootstrap in this repository) or point DOCKER_HOST at a running engine";
  }
  if (ec == asio::error::access_denied) {
    return "; add your user to the 'docker' group (then log in again) or run with sudo";
  }
  return "";
}

class UnixConnector final : public Connector {
 public:
  explicit UnixConnector(std::string path) : path_(std::move(path)) {}
  asio::awaitable<Result<std::unique_ptr<Connection>>> connect() override {
    asio::local::stream_protocol::socket socket(co_await asio::this_coro::executor);
    auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(path_),
                                              detail::kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        co_return Error(Errc::Cancelled,
                        "connecting to the engine at " + describe() + " cancelled");
      }
      Errc code = ec == asio::error::access_denied ? Errc::PermissionDenied : Errc::Unavailable;
      co_return Error(code, "cannot reach the docker engine at " + describe() + ": " +
                                ec.message() + unreachableHint(ec));
    }
    co_return std::make_unique<SocketConnection<asio::local::stream_protocol::socket>>(
        std::move(socket), describe());
  }
  std::string describe() const override { return "unix://" + path_; }

 private:
  std::string path_;
};

class TcpConnector final : public Connector {
 public:
  TcpConnector(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
  asio::awaitable<Result<std::unique_ptr<Connection>>> connect() override {
    auto ex = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(host_, std::to_string(port_), detail::kUseTuple);
    if (rec) {
      co_return Error(Errc::Unavailable, "cannot resolve the docker engine host in " + describe() +
                                             ": " + rec.message());
    }
    asio::ip::tcp::socket socket(ex);
    auto [ec, ep] = co_await asio::async_connect(socket, results, detail::kUseTuple);
    (void)ep;
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        co_return Error(Errc::Cancelled,
                        "connecting to the engine at " + describe() + " cancelled");
      }
      co_return Error(Errc::Unavailable, "cannot reach the docker engine at " + describe() + ": " +
                                             ec.message() + unreachableHint(ec));
    }
    socket.set_option(asio::ip::tcp::no_delay(true));
    co_return std::make_unique<SocketConnection<asio::ip::tcp::socket>>(std::move(socket),
                                                                        describe());
  }
  std::string describe() const override {
    Endpoint e;
    e.transport = Endpoint::Transport::Tcp;
    e.host = host_;
    e.port = port_;
    return e.uri();
  }

 private:
  std::string host_;
  std::uint16_t port_;
};

}  // namespace

std::unique_ptr<Connector> makeConnector(const Endpoint& endpoint) {
  if (endpoint.transport == Endpoint::Transport::Unix) {
    return std::make_unique<UnixConnector>(endpoint.path);
  }
  return std::make_unique<TcpConnector>(endpoint.host, endpoint.port);
}

}  // namespace ls::engine
