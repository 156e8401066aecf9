// The control API of a real supervised stack (`up -d` against the engine), driven as a script or
// an IDE plugin would: over TCP with the token from `lightshuttle dashboard --json`, with a
// plain HTTP client and WebSocket clients. Metrics are checked by Prometheus's own promtool.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "lightshuttle/control/client.hpp"
#include "lightshuttle/control/codec.hpp"
#include "support/loop.hpp"
#include "support/stack.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ls::control::Client;
using ls::control::EventMessage;
using ls::control::HttpResponse;
using ls::control::WebSocketClient;
using K = ls::lifecycle::LifecycleEvent::Kind;

/// Runs `aw` on a loop of its own, for at most `bound`.
template <typename T>
std::optional<T> run(asio::awaitable<T> aw, std::chrono::seconds bound = 60s) {
  return ls::testing::tryRun(std::move(aw), bound);
}

class ControlApiTest : public ls::testing::CliStackTest {
 protected:
  ControlApiTest() : CliStackTest("lsapi") {}

  void SetUp() override {
    CliStackTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    // `ticker` prints a numbered line every 100 ms; `web` serves HTTP and depends on it.
    std::ofstream(dir / "lightshuttle.yml")
        << "lightshuttle: v0\nproject:\n  name: " << project << "\nresources:\n"
        << "  ticker:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [\"sh\", \"-c\", \"i=0; while true; do echo tick $i; i=$((i+1)); sleep "
           "0.1; done\"]\n"
        << "      env:\n        API_TOKEN: " << kSecret << "\n"
        << "      stop_grace_period: 1s\n"
        << "  web:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [\"sh\", \"-c\", \"mkdir -p /www && echo hello > /www/index.html && "
           "exec httpd -f -p 8080 -h /www\"]\n"
        << "      depends_on: [ticker]\n"
        << "      healthcheck:\n        test: [\"CMD-SHELL\", \"wget -qO- http://127.0.0.1:8080/ | "
           "grep -q hello\"]\n"
        << "        interval: 1s\n        retries: 20\n        start_period: 0s\n"
        << "      stop_grace_period: 1s\n";
    ls::testing::ShellRun up = cli("up -d");
    ASSERT_EQ(up.exitCode, 0) << up.output;
    EXPECT_NE(up.output.find("dashboard: http://127.0.0.1:"), std::string::npos) << up.output;
    ls::testing::ShellRun info = cli("dashboard --json");
    ASSERT_EQ(info.exitCode, 0) << info.output;
    auto v = boost::json::parse(info.output).as_object();
    token = std::string(v["token"].as_string());
    const std::string url(v["url"].as_string());
    port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
    ASSERT_EQ(token.size(), 64u);
    // The token is not in the supervisor's log nor its record.
    auto log = sh("cat '" + (dir / ".lightshuttle" / "supervisor.log").string() + "'");
    EXPECT_EQ(log.output.find(token), std::string::npos);
  }

  void TearDown() override {
    if (!dir.empty()) {
      (void)cli("down --timeout 1s");
      EXPECT_EQ(labelledContainers(), "");
    }
    CliStackTest::TearDown();
  }

  Client api() const { return Client::tcp("127.0.0.1", port, token); }

  HttpResponse request(const std::string& method, const std::string& target) {
    auto r = run(api().request(method, target));
    EXPECT_TRUE(r && r->has_value()) << target;
    return r && r->has_value() ? **r : HttpResponse{};
  }

  static constexpr const char* kSecret = "tok-9f8e7d6c5b4a";
  std::string token;
  std::uint16_t port = 0;
};

TEST_F(ControlApiTest, ARestartThroughTheApiIsSeenAsEventsUntilReady) {
  // Ensures POST restart on a real stack answers 202 and the events socket shows the snapshot,
  // then the resource restarting, started and healthy again with a new container.
  const std::string before =
      ls::control::decodeView(request("GET", "/api/v1/resources/web").body)->containerId;
  auto flow = [&]() -> asio::awaitable<std::vector<EventMessage>> {
    std::vector<EventMessage> seen;
    auto ws = co_await api().webSocket("/api/v1/events/ws");
    if (!ws) {
      ADD_FAILURE() << ws.error().what();
      co_return seen;
    }
    auto first = co_await (*ws)->read(10s);
    if (first && *first) {
      seen.push_back(*ls::control::decodeEventMessage(**first));
    }
    auto accepted = co_await api().request("POST", "/api/v1/resources/web/restart");
    EXPECT_TRUE(accepted && accepted->status == 202);
    for (int i = 0; i < 100; ++i) {
      auto msg = co_await (*ws)->read(30s);
      if (!msg || !*msg) {
        break;
      }
      auto m = ls::control::decodeEventMessage(**msg);
      if (!m) {
        continue;
      }
      seen.push_back(*m);
      if (m->event && m->event->resource == "web" &&
          (m->event->kind == K::ResourceHealthy || m->event->kind == K::ResourceFailed)) {
        break;
      }
    }
    co_await (*ws)->close();
    co_return seen;
  };
  auto seen = run(flow());
  ASSERT_TRUE(seen.has_value());
  ASSERT_FALSE(seen->empty());
  EXPECT_EQ(seen->front().type, EventMessage::Type::Snapshot);
  EXPECT_EQ(seen->front().resources.size(), 2u);
  std::vector<K> kinds;
  for (const auto& m : *seen) {
    if (m.event && m.event->resource == "web") {
      kinds.push_back(m.event->kind);
    }
  }
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.front(), K::ResourceRestarting);
  EXPECT_EQ(kinds.back(), K::ResourceHealthy);
  auto after = ls::control::decodeView(request("GET", "/api/v1/resources/web").body);
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(after->containerId, before);
  EXPECT_EQ(after->status, ls::lifecycle::ResourceStatus::Running);
  // ps shows the supervisor's view, through the same API.
  ls::testing::ShellRun ps = cli("ps");
  EXPECT_EQ(ps.exitCode, 0) << ps.output;
  EXPECT_NE(ps.output.find("RESTARTS"), std::string::npos) << ps.output;
}

TEST_F(ControlApiTest, StopAndStartOneResourceAndTheCliRestartFollowsToReady) {
  // Ensures stop and start through the API act on one resource, and `lightshuttle restart`
  // (which goes through the supervisor) returns once it is ready again.
  EXPECT_EQ(request("POST", "/api/v1/resources/ticker/stop").status, 202);
  (void)ls::testing::waitUntil(
      [&] {
        return ls::control::decodeView(request("GET", "/api/v1/resources/ticker").body)->status ==
               ls::lifecycle::ResourceStatus::Stopped;
      },
      30s, 100ms);
  EXPECT_EQ(ls::control::decodeView(request("GET", "/api/v1/resources/ticker").body)->status,
            ls::lifecycle::ResourceStatus::Stopped);
  EXPECT_EQ(sh("docker ps -q --filter name=" + project + "_ticker").output, "");
  EXPECT_EQ(request("POST", "/api/v1/resources/ticker/start").status, 202);
  ls::testing::ShellRun restart = cli("restart web");
  EXPECT_EQ(restart.exitCode, 0) << restart.output;
  EXPECT_NE(restart.output.find("restarted web"), std::string::npos) << restart.output;
  ls::testing::ShellRun bad = cli("restart nope");
  EXPECT_NE(bad.exitCode, 0);
}

TEST_F(ControlApiTest, LogsTailAndFollowInOrderOverHttpAndWebSocket) {
  // Ensures the logs route gives the last lines as NDJSON, and a logs socket delivers the
  // ticker's new lines live and in order.
  // The ticker prints a line every 100 ms: wait until it has printed at least three.
  HttpResponse tail;
  (void)ls::testing::waitUntil(
      [&] {
        tail = request("GET", "/api/v1/resources/ticker/logs?tail=3");
        return std::count(tail.body.begin(), tail.body.end(), '\n') >= 3;
      },
      30s, 100ms);
  EXPECT_EQ(tail.status, 200);
  EXPECT_EQ(std::count(tail.body.begin(), tail.body.end(), '\n'), 3) << tail.body;
  EXPECT_NE(tail.body.find("\"line\":\"tick "), std::string::npos) << tail.body;
  auto follow = [&]() -> asio::awaitable<std::vector<int>> {
    std::vector<int> numbers;
    auto ws = co_await api().webSocket("/api/v1/resources/ticker/logs/ws?tail=0");
    if (!ws) {
      ADD_FAILURE() << ws.error().what();
      co_return numbers;
    }
    while (numbers.size() < 10) {
      auto msg = co_await (*ws)->read(5s);
      if (!msg || !*msg) {
        break;
      }
      auto o = boost::json::parse(**msg).as_object();
      const std::string line(o["line"].as_string());
      if (line.rfind("tick ", 0) == 0) {
        numbers.push_back(std::stoi(line.substr(5)));
      }
    }
    co_await (*ws)->close();
    co_return numbers;
  };
  auto numbers = run(follow());
  ASSERT_TRUE(numbers.has_value());
  ASSERT_EQ(numbers->size(), 10u);
  for (std::size_t i = 1; i < numbers->size(); ++i) {
    EXPECT_EQ((*numbers)[i], (*numbers)[i - 1] + 1);
  }
}

TEST_F(ControlApiTest, StatsStreamHasSamplesAndMetricsPassPromtool) {
  // Ensures the stats socket streams engine samples while open, and /metrics is valid
  // Prometheus text (checked by promtool) with container figures and no secret in it.
  auto stats = [&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> samples;
    auto ws = co_await api().webSocket("/api/v1/resources/ticker/stats/ws");
    if (!ws) {
      ADD_FAILURE() << ws.error().what();
      co_return samples;
    }
    while (samples.size() < 2) {
      auto msg = co_await (*ws)->read(10s);
      if (!msg || !*msg) {
        break;
      }
      samples.push_back(**msg);
    }
    co_await (*ws)->close();
    co_return samples;
  };
  auto samples = run(stats());
  ASSERT_TRUE(samples.has_value());
  ASSERT_EQ(samples->size(), 2u);
  auto s = boost::json::parse(samples->back()).as_object();
  EXPECT_GT(s["memory_bytes"].to_number<double>(), 0.0);
  EXPECT_GE(s["pids"].to_number<double>(), 1.0);

  HttpResponse m = request("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("lightshuttle_container_memory_bytes{resource=\"ticker\"}"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("lightshuttle_stack_boot_duration_seconds "), std::string::npos);
  EXPECT_EQ(m.body.find(kSecret), std::string::npos);
  EXPECT_EQ(m.body.find(token), std::string::npos);
  const fs::path file = dir / "metrics.txt";
  std::ofstream(file) << m.body;
  if (sh("command -v promtool").exitCode != 0) {
    if (ls::testing::underCi()) {
      FAIL() << "promtool is missing under CI=true (scripts/bootstrap installs prometheus)";
    }
    GTEST_SKIP() << "promtool not installed (outside CI only)";
  }
  ls::testing::ShellRun check = sh("promtool check metrics < '" + file.string() + "'");
  EXPECT_EQ(check.exitCode, 0) << check.output;
}

TEST_F(ControlApiTest, NothingSecretLeaksAndTheBrowserBoundaryHolds) {
  // Ensures the resource detail masks the secret, the token appears in no API answer, and a
  // request from another origin is refused.
  HttpResponse detail = request("GET", "/api/v1/resources/ticker");
  EXPECT_EQ(detail.status, 200);
  EXPECT_EQ(detail.body.find(kSecret), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"API_TOKEN\":\"***\""), std::string::npos) << detail.body;
  for (const char* target : {"/api/v1/stack", "/api/v1/resources", "/api/v1/dashboard", "/nope"}) {
    EXPECT_EQ(request("GET", target).body.find(token), std::string::npos) << target;
  }
  Client foreign = api();
  foreign.headers["Origin"] = "http://127.0.0.1:9";
  auto r = run(foreign.request("GET", "/api/v1/resources"));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->status, 403);
  ls::testing::ShellRun ps = cli("ps --format json");
  EXPECT_EQ(ps.output.find(kSecret), std::string::npos);
  EXPECT_EQ(ps.output.find(token), std::string::npos);
}

TEST_F(ControlApiTest, TheExecSocketIsARealTerminal) {
  // Ensures the exec socket runs a shell with a TTY in the container: typed input runs, output
  // comes back as terminal bytes, and the end of the command is reported with its exit code.
  auto session = [&]() -> asio::awaitable<std::string> {
    std::string screen;
    auto ws = co_await api().webSocket("/api/v1/resources/ticker/exec/ws?cmd=sh&cols=100&rows=30");
    if (!ws) {
      ADD_FAILURE() << ws.error().what();
      co_return screen;
    }
    (void)co_await (*ws)->write(R"({"type":"resize","cols":120,"rows":40})");
    // podman applies a resize through conmon's control pipe, apart from the typed input: the
    // shell may run before the new size lands, so it waits (at most 2 s) until the size shows.
    // The wanted size is spelled as arithmetic so the echoed input never contains "40 120".
    (void)co_await (*ws)->write(
        "i=0; until [ \"$(stty size)\" = \"$((20*2)) $((60*2))\" ] || [ $i -ge 100 ]; do "
        "i=$((i+1)); sleep 0.02; done; echo $((6*7)); stty size; exit 3\n",
        true);
    for (int i = 0; i < 200; ++i) {
      auto msg = co_await (*ws)->read(10s);
      if (!msg || !*msg) {
        break;
      }
      screen += **msg;
      if (screen.find("\"type\":\"exit\"") != std::string::npos) {
        break;
      }
    }
    co_await (*ws)->close();
    co_return screen;
  };
  auto screen = run(session());
  ASSERT_TRUE(screen.has_value());
  EXPECT_NE(screen->find("42"), std::string::npos) << *screen;
  EXPECT_NE(screen->find("40 120"), std::string::npos) << *screen;
  EXPECT_NE(screen->find("\"exit_code\":3"), std::string::npos) << *screen;
}

TEST_F(ControlApiTest, ATakenDashboardPortFailsBeforeAnythingStarts) {
  // Ensures `up --dashboard-port` on a port in use (here: this stack's own API) fails naming the
  // port, and starts nothing of the second stack.
  const fs::path other = dir / "other";
  fs::create_directories(other);
  const std::string second = project + "b";
  std::ofstream(other / "lightshuttle.yml")
      << "lightshuttle: v0\nproject:\n  name: " << second << "\nresources:\n"
      << "  one:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
      << "      command: [\"sleep\", \"60\"]\n";
  ls::testing::ShellRun up = sh("cd '" + other.string() + "' && '" + std::string(LS_CLI_PATH) +
                                "' up -d --dashboard-port " + std::to_string(port));
  EXPECT_EQ(up.exitCode, 1) << up.output;
  EXPECT_NE(up.output.find("port " + std::to_string(port) + " on 127.0.0.1 is already in use"),
            std::string::npos)
      << up.output;
  EXPECT_EQ(sh("docker ps -aq --filter label=lightshuttle.project=" + second).output, "");
}

}  // namespace
