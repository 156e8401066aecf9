#include "unit/engine/fake_transport.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>

#include "core/asio_fwd.hpp"

namespace asio = boost::asio;

namespace ls::engine::testing {
namespace {

class FakeConnection final : public Connection {
 public:
  explicit FakeConnection(std::shared_ptr<FakeEngine> engine) : engine_(std::move(engine)) {}

  asio::awaitable<Result<std::size_t>> readSome(char* buf, std::size_t len) override {
    if (closed_) {
      co_return Error(Errc::Unavailable, "fake connection closed");
    }
    if (stale_) {
      co_return std::size_t{0};
    }
    if (current_ && (current_->hang || (current_->hangAfter && pending_.empty()))) {
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(24));
      auto [ec] = co_await t.async_wait(detail::kUseTuple);
      (void)ec;
      co_return Error(Errc::Cancelled, "fake read cancelled");
    }
    if (pending_.empty()) {
      co_return std::size_t{0};  // nothing more: EOF
    }
    const std::size_t n = std::min({len, pending_.size(), current_ ? current_->chunk : len});
    pending_.copy(buf, n);
    pending_.erase(0, n);
    if (pending_.empty() && current_ && !current_->closeAfter && !current_->hangAfter) {
      current_.reset();
    }
    co_return n;
  }

  asio::awaitable<Result<void>> writeAll(std::string_view data) override {
    if (closed_) {
      co_return Error(Errc::Unavailable, "fake connection closed");
    }
    if (writeShut_) {
      co_return Error(Errc::Unavailable, "fake connection: write after shutdownWrite");
    }
    if (upgraded_) {
      engine_->streamed.append(data);
      co_return ok();
    }
    engine_->requests.emplace_back(data);
    if (served_ > 0 && engine_->staleReads > 0) {
      --engine_->staleReads;
      stale_ = true;
      co_return ok();
    }
    ++served_;
    if (engine_->exchanges.empty()) {
      co_return Error(Errc::Unavailable, "fake engine has no scripted answer");
    }
    current_ = engine_->exchanges.front();
    engine_->exchanges.pop_front();
    pending_ = current_->response;
    upgraded_ = current_->upgrade;
    co_return ok();
  }

  Result<void> shutdownWrite() override {
    if (closed_) {
      return Error(Errc::Unavailable, "fake connection closed");
    }
    ++engine_->writeShutdowns;
    writeShut_ = true;
    return ok();
  }

  void close() override { closed_ = true; }

  bool peerClosed() override {
    if (closed_) {
      return true;
    }
    if (engine_->closedWhileIdle > 0) {
      --engine_->closedWhileIdle;
      closed_ = true;
      return true;
    }
    return false;
  }

 private:
  std::shared_ptr<FakeEngine> engine_;
  std::optional<FakeExchange> current_;
  std::string pending_;
  bool closed_ = false;
  bool stale_ = false;
  bool upgraded_ = false;
  bool writeShut_ = false;
  int served_ = 0;
};

}  // namespace

asio::awaitable<Result<std::unique_ptr<Connection>>> FakeConnector::connect() {
  if (engine_->refuse) {
    co_return Error(Errc::Unavailable,
                    "cannot reach the docker engine at fake://engine: Connection refused");
  }
  ++engine_->connects;
  co_return std::make_unique<FakeConnection>(engine_);
}

std::string httpResponse(int status, std::string_view body, std::string_view extraHeaders) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
  out += extraHeaders;
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

std::string chunkedResponse(int status, const std::vector<std::string>& pieces,
                            std::string_view extraHeaders) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
  out += extraHeaders;
  out += "Transfer-Encoding: chunked\r\n\r\n";
  for (const auto& p : pieces) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", p.size());
    out += size;
    out += p;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string requestLine(const std::string& raw) {
  const auto end = raw.find(" HTTP/1.1\r\n");
  return end == std::string::npos ? raw : raw.substr(0, end);
}

std::string requestHead(const std::string& raw) {
  const auto sep = raw.find("\r\n\r\n");
  return sep == std::string::npos ? raw : raw.substr(0, sep + 4);
}

std::string requestBody(const std::string& raw) {
  const auto sep = raw.find("\r\n\r\n");
  return sep == std::string::npos ? std::string() : raw.substr(sep + 4);
}

std::string frame(int stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  const auto n = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  out += payload;
  return out;
}

}  // namespace ls::engine::testing
