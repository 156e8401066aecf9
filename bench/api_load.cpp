// ls_bench_api: an open-loop HTTP load generator for the control API bench (bench/lsbench/api.py).
// Sends GET <path> at a fixed rate over N keep-alive connections (TCP with a bearer token, or a
// unix socket), for a bounded time, to 127.0.0.1 or a local socket only; prints one JSON object
// with the latency percentiles measured from each request's scheduled send time (so a stall
// counts against the server instead of silently lowering the rate).
//
//   ls_bench_api --tcp 127.0.0.1:41234 --token T --path /api/v1/resources --rate 500 --seconds 10
//   ls_bench_api --unix /var/run/docker.sock --path '/v1.41/containers/json?all=1' --rate 500
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/asio_fwd.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  std::string tcpHost = "127.0.0.1";
  unsigned short tcpPort = 0;
  std::string unixPath;
  std::string token;
  std::string path = "/api/v1/resources";
  double rate = 500;
  double seconds = 10;
  int connections = 8;
};

struct Totals {
  std::vector<double> latenciesMs;
  std::size_t errors = 0;
  std::size_t bytes = 0;
  std::size_t non2xx = 0;
};

template <class Socket>
asio::awaitable<void> worker(Socket socket, const Config& c, int index, Clock::time_point t0,
                             std::size_t total, Totals& out) {
  boost::beast::flat_buffer buf;
  asio::steady_timer timer(socket.get_executor());
  const auto interval = std::chrono::duration<double>(1.0 / c.rate);
  for (std::size_t k = static_cast<std::size_t>(index); k < total;
       k += static_cast<std::size_t>(c.connections)) {
    const auto due =
        t0 + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(k));
    if (Clock::now() < due) {
      timer.expires_at(due);
      (void)co_await timer.async_wait(ls::detail::kUseTuple);
    }
    http::request<http::string_body> req{http::verb::get, c.path, 11};
    req.set(http::field::host,
            c.unixPath.empty() ? c.tcpHost + ":" + std::to_string(c.tcpPort) : "localhost");
    if (!c.token.empty()) {
      req.set(http::field::authorization, "Bearer " + c.token);
    }
    req.keep_alive(true);
    auto [wec, wn] = co_await http::async_write(socket, req, ls::detail::kUseTuple);
    (void)wn;
    if (wec) {
      ++out.errors;
      co_return;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [rec, rn] = co_await http::async_read(socket, buf, parser, ls::detail::kUseTuple);
    (void)rn;
    if (rec) {
      ++out.errors;
      co_return;
    }
    const auto done = Clock::now();
    out.latenciesMs.push_back(std::chrono::duration<double, std::milli>(done - due).count());
    out.bytes += parser.get().body().size();
    if (parser.get().result_int() / 100 != 2) {
      ++out.non2xx;
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  const auto idx = static_cast<std::size_t>(std::min<double>(
      static_cast<double>(v.size() - 1), p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--tcp") {
      c.tcpHost = v.substr(0, v.rfind(':'));
      c.tcpPort = static_cast<unsigned short>(std::stoi(v.substr(v.rfind(':') + 1)));
    } else if (k == "--unix") {
      c.unixPath = v;
    } else if (k == "--token") {
      c.token = v;
    } else if (k == "--path") {
      c.path = v;
    } else if (k == "--rate") {
      c.rate = std::stod(v);
    } else if (k == "--seconds") {
      c.seconds = std::min(60.0, std::stod(v));  // bounded: a load test stops by itself
    } else if (k == "--connections") {
      c.connections = std::max(1, std::min(64, std::stoi(v)));
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (c.unixPath.empty() &&
      (c.tcpPort == 0 || (c.tcpHost != "127.0.0.1" && c.tcpHost != "localhost"))) {
    std::fprintf(stderr, "--tcp must be 127.0.0.1:PORT (loopback only), or give --unix PATH\n");
    return 2;
  }
  asio::io_context ctx;
  Totals totals;
  const auto total = static_cast<std::size_t>(c.rate * c.seconds);
  const auto t0 = Clock::now() + std::chrono::milliseconds(200);  // connections first
  for (int i = 0; i < c.connections; ++i) {
    if (!c.unixPath.empty()) {
      asio::local::stream_protocol::socket s(ctx);
      boost::system::error_code ec;
      s.connect(asio::local::stream_protocol::endpoint(c.unixPath), ec);
      if (ec) {
        std::fprintf(stderr, "connect %s: %s\n", c.unixPath.c_str(), ec.message().c_str());
        return 1;
      }
      asio::co_spawn(ctx, worker(std::move(s), c, i, t0, total, totals), [](std::exception_ptr) {});
    } else {
      asio::ip::tcp::socket s(ctx);
      boost::system::error_code ec;
      s.connect(
          {asio::ip::make_address(c.tcpHost == "localhost" ? "127.0.0.1" : c.tcpHost), c.tcpPort},
          ec);
      if (ec) {
        std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
        return 1;
      }
      s.set_option(asio::ip::tcp::no_delay(true));
      asio::co_spawn(ctx, worker(std::move(s), c, i, t0, total, totals), [](std::exception_ptr) {});
    }
  }
  ctx.run_for(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.seconds + 30)));
  const auto elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double>& l = totals.latenciesMs;
  const std::size_t n = l.size();
  double sum = 0;
  for (double x : l) {
    sum += x;
  }
  const double maxMs = l.empty() ? 0 : *std::max_element(l.begin(), l.end());
  const double p50 = percentile(l, 50);
  const double p90 = percentile(l, 90);
  const double p99 = percentile(l, 99);
  const double p999 = percentile(l, 99.9);
  std::printf(
      "{\"requests\": %zu, \"planned\": %zu, \"errors\": %zu, \"non_2xx\": %zu, \"rate\": %.1f, "
      "\"achieved_rate\": %.1f, \"mean_ms\": %.3f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": "
      "%.3f, "
      "\"p999_ms\": %.3f, \"max_ms\": %.3f, \"bytes_per_response\": %.0f}\n",
      n, total, totals.errors, totals.non2xx, c.rate,
      static_cast<double>(n) / std::max(elapsed, 1e-9), n ? sum / static_cast<double>(n) : 0.0, p50,
      p90, p99, p999, maxMs, n ? static_cast<double>(totals.bytes) / static_cast<double>(n) : 0.0);
  return totals.errors == 0 && n == total ? 0 : 1;
}
