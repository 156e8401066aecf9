// ls_bench_events: N clients of a supervisor's events WebSocket (loopback only), for a bounded
// time; prints every `resource_exited` each client received as JSON lines
// `[resource, received_at, event_time]` (seconds since the epoch), so bench/lsbench/api.py can
// measure the delay from the supervisor's event (its own timestamp) to a client, and from the
// engine's `die`, without a Python reader's wake-up in the figure.
//
//   ls_bench_events --port 41234 --token T --sockets 20 --seconds 12
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "lightshuttle/control/client.hpp"
#include "lightshuttle/control/codec.hpp"

namespace asio = boost::asio;

namespace {

struct Sample {
  std::string resource;
  double received = 0;
  double emitted = 0;
};

double epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

asio::awaitable<void> reader(ls::control::Client client,
                             std::chrono::steady_clock::time_point until, std::vector<Sample>& out,
                             int& failures) {
  auto ws = co_await client.webSocket("/api/v1/events/ws");
  if (!ws) {
    ++failures;
    co_return;
  }
  for (;;) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      break;
    }
    auto msg = co_await (*ws)->read(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
    const auto now = std::chrono::system_clock::now();
    if (!msg || !*msg) {
      break;
    }
    auto m = ls::control::decodeEventMessage(**msg);
    if (m && m->event && m->event->kind == ls::lifecycle::LifecycleEvent::Kind::ResourceExited) {
      out.push_back(Sample{m->event->resource, epoch(now), epoch(m->event->time)});
    }
  }
  co_await (*ws)->close();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  std::string token;
  int sockets = 20;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--port") {
      port = static_cast<unsigned short>(std::stoi(v));
    } else if (k == "--token") {
      token = v;
    } else if (k == "--sockets") {
      sockets = std::max(1, std::min(64, std::stoi(v)));
    } else if (k == "--seconds") {
      seconds = std::min(120.0, std::stod(v));  // bounded
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (port == 0) {
    std::fprintf(stderr, "--port is required (127.0.0.1 only)\n");
    return 2;
  }
  asio::io_context ctx;
  std::vector<std::vector<Sample>> samples(static_cast<std::size_t>(sockets));
  int failures = 0;
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
  for (int i = 0; i < sockets; ++i) {
    asio::co_spawn(ctx,
                   reader(ls::control::Client::tcp("127.0.0.1", port, token), until,
                          samples[static_cast<std::size_t>(i)], failures),
                   [](std::exception_ptr) {});
  }
  std::fprintf(stderr, "ls_bench_events: %d sockets open\n", sockets);
  ctx.run();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    for (const Sample& s : samples[i]) {
      std::printf("[%zu, \"%s\", %.6f, %.6f]\n", i, s.resource.c_str(), s.received, s.emitted);
    }
  }
  return failures == 0 ? 0 : 1;
}
