// The pure functions of the wider runtime surface: signal validation from the host table, exit
// classification, CPU percent, path-stat decoding, and the Unsupported defaults.
#include "lightshuttle/runtime/operations.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "lightshuttle/runtime/runtime.hpp"
#include "support/loop.hpp"

namespace ls::runtime {
namespace {

TEST(SignalTest, AcceptsNamesInAnySpellingAndNumbersFromTheHostTable) {
  // Ensures names (with or without SIG, any case, padded), numbers and aliases resolve to the
  // host's canonical name and number.
  struct Case {
    const char* text;
    const char* name;
    int number;
  };
  const Case cases[] = {
      {"SIGTERM", "SIGTERM", SIGTERM},
      {"term", "SIGTERM", SIGTERM},
      {" Sigkill ", "SIGKILL", SIGKILL},
      {"9", "SIGKILL", 9},
      {"hup", "SIGHUP", SIGHUP},
      {"SIGSTOP", "SIGSTOP", SIGSTOP},
      {"sigchld", "SIGCHLD", SIGCHLD},
      {"SIGIOT", "SIGABRT", SIGABRT},
      {"winch", "SIGWINCH", SIGWINCH},
      {"SIGRTMIN", "SIGRTMIN", SIGRTMIN},
      {"SIGRTMIN+3", "SIGRTMIN+3", SIGRTMIN + 3},
      {"sigrtmax-1", "SIGRTMAX-1", SIGRTMAX - 1},
  };
  for (const Case& c : cases) {
    Result<Signal> s = validateSignal(c.text);
    ASSERT_TRUE(s.has_value()) << c.text << ": " << s.error().what();
    EXPECT_EQ(s->name, c.name) << c.text;
    EXPECT_EQ(s->number, c.number) << c.text;
  }
  // Linux numbering, not the BSD one some tables copy: 17 is SIGCHLD, SIGSTOP is 19.
  EXPECT_EQ(signalName(17), "SIGCHLD");
  EXPECT_EQ(validateSignal("SIGSTOP")->number, 19);
}

TEST(SignalTest, RefusesEmptyUnknownAndOutOfRangeSignalsNamingThem) {
  // Ensures bad signals are InvalidArgument with the text in the message.
  for (const char* bad :
       {"", "   ", "SIGFOO", "0", "-1", "999", "SIGRTMIN+99", "SIGRTMAX+1", "SIGRTMIN+", "1.5"}) {
    Result<Signal> s = validateSignal(bad);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_EQ(s.error().code(), Errc::InvalidArgument) << bad;
  }
  EXPECT_NE(validateSignal("SIGFOO").error().message().find("SIGFOO"), std::string::npos);
}

TEST(ExitClassificationTest, OomThenSignalThenRuntimeErrorThenExit) {
  // Ensures the reason precedence of a wait outcome and the signal name of 128+N.
  const auto t = std::chrono::system_clock::now();
  WaitOutcome oom = classifyExit(137, true, "", t);
  EXPECT_EQ(oom.reason, WaitReason::OomKilled);
  EXPECT_FALSE(oom.signal);
  WaitOutcome killed = classifyExit(137, false, "", t);
  EXPECT_EQ(killed.reason, WaitReason::Signal);
  EXPECT_EQ(killed.signal, "SIGKILL");
  EXPECT_EQ(classifyExit(143, false, "", t).signal, "SIGTERM");
  WaitOutcome broken = classifyExit(127, false, " exec: \"nope\": not found ", std::nullopt);
  EXPECT_EQ(broken.reason, WaitReason::RuntimeError);
  EXPECT_EQ(broken.error, "exec: \"nope\": not found");
  WaitOutcome plain = classifyExit(3, false, "", t);
  EXPECT_EQ(plain.reason, WaitReason::Exited);
  EXPECT_EQ(plain.exitCode, 3);
  EXPECT_EQ(plain.finishedAt, t);
  EXPECT_EQ(waitReasonName(WaitReason::OomKilled), "oom_killed");
  EXPECT_EQ(waitConditionName(WaitCondition::NextExit), "next-exit");
}

TEST(CpuPercentTest, IsTheDockerStatsFormula) {
  // Ensures percent = dcpu / dsystem x cpus x 100, and 0 without positive deltas.
  StatsSample a;
  a.cpuTotalNs = 1'000'000'000;
  a.cpuSystemNs = 100'000'000'000;
  a.onlineCpus = 2;
  StatsSample b = a;
  b.cpuTotalNs += 500'000'000;     // half a second of CPU
  b.cpuSystemNs += 2'000'000'000;  // one wall second on two cores
  EXPECT_DOUBLE_EQ(cpuPercent(a, b), 50.0);
  EXPECT_DOUBLE_EQ(cpuPercent(a, a), 0.0);
  EXPECT_DOUBLE_EQ(cpuPercent(b, a), 0.0);
}

TEST(PathStatTest, DecodesTheEngineHeader) {
  // Ensures X-Docker-Container-Path-Stat (base64 JSON with Go FileMode bits) decodes, and a
  // malformed one is InvalidArgument.
  // {"name":"etc","size":4096,"mode":2147484141,"mtime":"2024-01-02T03:04:05Z","linkTarget":""}
  const char* header =
      "eyJuYW1lIjoiZXRjIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0NzQ4NDE0MSwibXRpbWUiOiIyMDI0LTAxLTAyVDAzOjA0"
      "OjA1WiIsImxpbmtUYXJnZXQiOiIifQ==";
  Result<PathStat> st = decodePathStat(header);
  ASSERT_TRUE(st.has_value()) << st.error().what();
  EXPECT_EQ(st->name, "etc");
  EXPECT_EQ(st->size, 4096);
  EXPECT_TRUE(st->isDirectory());
  EXPECT_FALSE(st->isSymlink());
  EXPECT_EQ(st->permissions(), 0755u);
  EXPECT_EQ(st->mtime, "2024-01-02T03:04:05Z");
  EXPECT_EQ(decodePathStat("not base64!").error().code(), Errc::InvalidArgument);
  EXPECT_EQ(decodePathStat("bm90IGpzb24=").error().code(), Errc::InvalidArgument);  // "not json"
}

TEST(ResourceUpdateTest, EmptyOnlyWithoutAnyField) {
  ResourceUpdate u;
  EXPECT_TRUE(u.empty());
  u.pidsLimit = 10;
  EXPECT_FALSE(u.empty());
}

// A backend that implements only the required core: every optional operation is Unsupported.
class CoreOnly final : public Runtime {
 public:
  template <typename T>
  using Aw = boost::asio::awaitable<Result<T>>;
  Aw<ContainerId> start(const ContainerSpec&, const StartOptions&) override {
    co_return ContainerId{};
  }
  Aw<StopOutcome> stop(const ContainerId&, std::chrono::nanoseconds) override {
    co_return StopOutcome::Stopped;
  }
  Aw<RemoveOutcome> remove(const std::string&) override { co_return RemoveOutcome::Removed; }
  Aw<ContainerStatus> inspect(const ContainerId&) override { co_return ContainerStatus{}; }
  Aw<void> waitHealthy(const ContainerId&, std::chrono::nanoseconds) override { co_return ok(); }
  Aw<std::unique_ptr<LogChunkStream>> logs(const ContainerId&, const LogOptions&) override {
    co_return Error(Errc::NotFound, "none");
  }
  Aw<NetworkOutcome> ensureProjectNetwork(const std::string&) override {
    co_return NetworkOutcome::Created;
  }
  Aw<RemoveOutcome> teardownProjectNetwork(const std::string&) override {
    co_return RemoveOutcome::Removed;
  }
  Aw<std::vector<ManagedContainer>> listManaged(const std::string&) override {
    co_return std::vector<ManagedContainer>{};
  }
  Aw<std::unique_ptr<EventStream>> events(const EventFilter&) override {
    co_return Error(Errc::NotFound, "none");
  }
  Aw<void> pullImage(const std::string&, PullPolicy, const ProgressCallback&) override {
    co_return ok();
  }
  Aw<std::string> buildImage(const BuildImage&, const ProgressCallback&) override {
    co_return std::string();
  }
};

template <typename T>
Result<T> runNow(boost::asio::awaitable<Result<T>> aw) {
  boost::asio::io_context ctx;
  return ls::testing::runCoro(ctx, std::move(aw));
}

TEST(RuntimeDefaultsTest, OptionalOperationsAreUnsupportedNamingTheOperation) {
  // Ensures a backend without the wider surface says so (never a silent success).
  CoreOnly rt;
  const ContainerId id{"c1"};
  auto killed = runNow(rt.kill(id, "SIGTERM"));
  ASSERT_FALSE(killed.has_value());
  EXPECT_EQ(killed.error().code(), Errc::Unsupported);
  EXPECT_NE(killed.error().message().find("kill"), std::string::npos);
  EXPECT_NE(killed.error().message().find("c1"), std::string::npos);
  EXPECT_EQ(runNow(rt.wait(id, WaitCondition::NotRunning)).error().code(), Errc::Unsupported);
  EXPECT_EQ(runNow(rt.stats(id)).error().code(), Errc::Unsupported);
  EXPECT_EQ(runNow(rt.listImages()).error().code(), Errc::Unsupported);
  const std::string tar;
  const ArchivePutOptions opts;
  const std::string path = "/tmp";
  EXPECT_EQ(runNow(rt.archivePut(id, path, tar, opts)).error().code(), Errc::Unsupported);
  EXPECT_EQ(runNow(rt.pruneImages()).error().code(), Errc::Unsupported);
}

}  // namespace
}  // namespace ls::runtime
