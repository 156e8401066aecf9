// DockerRuntime's native readiness checks (native_check.hpp): a TCP connection from this host
// to the container's address on its network. Only for an engine on a local unix socket, whose
// bridge networks this host routes to; a remote engine's addresses could name an unrelated
// local container. The first address that cannot be reached (Docker Desktop's VM, rootless
// networking) turns native checks off for this runtime: the lifecycle probes with exec.
#include <algorithm>
#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "core/asio_fwd.hpp"
#include "core/async.hpp"
#include "runtime/docker/docker_impl.hpp"

namespace ls::runtime {

namespace {

using namespace std::chrono_literals;

// A local bridge answers a connect (SYN-ACK or RST) in well under a millisecond, even on a
// loaded machine; silence this long means the address is not routed here.
constexpr std::chrono::nanoseconds kConnectTimeout = 500ms;
// A reply of a server that accepted the connection but is too busy to answer is "not yet".
constexpr std::chrono::nanoseconds kReplyTimeoutMax = 2s;
// How long a ready server is given to close its side once we closed ours.
constexpr std::chrono::nanoseconds kFarewell = 100ms;

// `op` unless `deadline` comes first (nullopt then, or when the caller is cancelled).
template <typename T>
asio::awaitable<std::optional<T>> beforeDeadline(Clock& clock, Clock::SteadyTime deadline,
                                                 asio::awaitable<T> op) {
  using namespace asio::experimental::awaitable_operators;
  std::variant<T, Result<void>> first = co_await (std::move(op) || clock.sleepUntil(deadline));
  if (first.index() == 0) {
    co_return std::get<0>(std::move(first));
  }
  co_return std::nullopt;
}

class TcpNativeProber final : public NativeProber {
 public:
  TcpNativeProber(Clock& clock, asio::ip::tcp::endpoint endpoint, NativeCheck check,
                  std::shared_ptr<bool> unreachable)
      : clock_(clock),
        endpoint_(std::move(endpoint)),
        check_(std::move(check)),
        unreachable_(std::move(unreachable)) {}

  asio::awaitable<Result<bool>> check(std::chrono::nanoseconds timeout) override {
    asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
    const Clock::SteadyTime start = clock_.steady();
    auto connected =
        co_await beforeDeadline(clock_, start + std::min(timeout, kConnectTimeout),
                                socket.async_connect(endpoint_, ls::detail::kUseTuple));
    if (!connected) {
      if (co_await ls::detail::cancelled()) {
        co_return Error(Errc::Cancelled, "native check cancelled");
      }
      co_return unreachable("no answer to a connection within " +
                            formatDuration(std::min(timeout, kConnectTimeout)));
    }
    const auto [ec] = *connected;
    if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) {
      co_return unreachable(ec.message());
    }
    if (ec) {
      co_return false;  // refused (not listening yet), reset, aborted
    }
    const Clock::SteadyTime deadline = start + std::min(timeout, kReplyTimeoutMax);
    const std::string request = nativeCheckRequest(check_);
    auto written = co_await beforeDeadline(
        clock_, deadline, asio::async_write(socket, asio::buffer(request), ls::detail::kUseTuple));
    if (!written || std::get<0>(*written)) {
      co_return false;
    }
    std::string reply;
    std::array<char, 512> buffer{};
    for (;;) {
      auto read = co_await beforeDeadline(
          clock_, deadline, socket.async_read_some(asio::buffer(buffer), ls::detail::kUseTuple));
      if (!read || std::get<0>(*read)) {
        co_return false;  // no decisive answer in time, or the server closed first
      }
      reply.append(buffer.data(), std::get<1>(*read));
      switch (classifyNativeReply(check_, reply)) {
        case NativeVerdict::Ready: co_await farewell(socket, deadline); co_return true;
        case NativeVerdict::NotReady: co_return false;
        case NativeVerdict::Incomplete: break;
      }
    }
  }

 private:
  // Ends a ready server's connection the way its own clients leave it: our half closed, then
  // its bytes read until it closes (at most kFarewell). Closing with its bytes unread would
  // reset the connection, which postgres logs ("could not receive data from client"); a
  // postgres asking for a password, or idle after a trusted login, exits silently on EOF.
  asio::awaitable<void> farewell(asio::ip::tcp::socket& socket, Clock::SteadyTime deadline) {
    boost::system::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    const Clock::SteadyTime until = std::min(deadline, clock_.steady() + kFarewell);
    std::array<char, 512> buffer{};
    for (;;) {
      auto read = co_await beforeDeadline(
          clock_, until, socket.async_read_some(asio::buffer(buffer), ls::detail::kUseTuple));
      if (!read || std::get<0>(*read)) {
        co_return;
      }
    }
  }

  Error unreachable(const std::string& why) {
    *unreachable_ = true;
    return Error(Errc::Unsupported, "container address " + endpoint_.address().to_string() +
                                        " is not reachable from this host (" + why + ")");
  }

  Clock& clock_;
  asio::ip::tcp::endpoint endpoint_;
  NativeCheck check_;
  std::shared_ptr<bool> unreachable_;
};

}  // namespace

asio::awaitable<Result<std::unique_ptr<NativeProber>>> DockerRuntime::nativeProber(
    const ContainerId& id, const NativeCheck& check) {
  if (*impl_->nativeUnreachable) {
    co_return Error(Errc::Unsupported, "container addresses of the engine at " +
                                           impl_->client.endpointDescription() +
                                           " were not reachable from this host");
  }
  if (!impl_->client.endpointDescription().starts_with("unix://")) {
    co_return Error(Errc::Unsupported, "the engine at " + impl_->client.endpointDescription() +
                                           " is not local: its container addresses are its own");
  }
  Result<ContainerStatus> status = co_await inspect(id);
  if (!status) {
    co_return std::move(status).error();
  }
  if (status->state == ContainerState::Stopped || status->state == ContainerState::Starting) {
    co_return Error(Errc::Conflict, "container " + q(id.value) + " is not running");
  }
  for (const auto& [network, address] : status->addresses) {
    boost::system::error_code ec;
    const asio::ip::address ip = asio::ip::make_address(address, ec);
    if (!ec) {
      co_return std::make_unique<TcpNativeProber>(
          impl_->clock, asio::ip::tcp::endpoint(ip, check.port), check, impl_->nativeUnreachable);
    }
  }
  co_return Error(Errc::Unsupported,
                  "container " + q(id.value) + " has no address on a network (host networking?)");
}

}  // namespace ls::runtime
