// The pure functions of the wider runtime surface: signal validation from the host table, exit
// classification, CPU percent, path-stat decoding; the Unsupported defaults of Runtime,
// ContainerOps, ImageOps and ArchiveOps; and Runtime::prepareImage over the core operations.
#include "lightshuttle/runtime/operations.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "lightshuttle/runtime/archive_ops.hpp"
#include "lightshuttle/runtime/container_ops.hpp"
#include "lightshuttle/runtime/image_ops.hpp"
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
// Its pull of "registry/app:1" reports progress (a fetch); its builds return "sha256:built".
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
  Aw<void> pullImage(const std::string& reference, PullPolicy,
                     const ProgressCallback& onProgress) override {
    pulls.push_back(reference);
    if (reference == "registry/app:1" && onProgress) {
      onProgress(ImageProgress{.image = reference, .status = "Pulling"});
    }
    co_return ok();
  }
  Aw<std::string> buildImage(const BuildImage& build, const ProgressCallback&) override {
    builds.push_back(build.tag);
    co_return std::string("sha256:built");
  }

  std::vector<std::string> pulls;
  std::vector<std::string> builds;
};

template <typename T>
Result<T> runNow(boost::asio::awaitable<Result<T>> aw) {
  boost::asio::io_context ctx;
  return ls::testing::runCoro(ctx, std::move(aw));
}

TEST(RuntimeDefaultsTest, OptionalOperationsAreUnsupportedNamingTheOperation) {
  // Ensures a backend with only the required core says so for the optional Runtime operations
  // (never a silent success).
  CoreOnly rt;
  const ContainerId id{"c1"};
  auto restarted = runNow(rt.restart(id, std::chrono::seconds(1)));
  ASSERT_FALSE(restarted.has_value());
  EXPECT_EQ(restarted.error().code(), Errc::Unsupported);
  EXPECT_NE(restarted.error().message().find("restart"), std::string::npos);
  EXPECT_NE(restarted.error().message().find("c1"), std::string::npos);
  EXPECT_EQ(runNow(rt.stats(id)).error().code(), Errc::Unsupported);
  EXPECT_EQ(runNow(rt.statsStream(id)).error().code(), Errc::Unsupported);
  const std::string tar;
  const ArchivePutOptions opts;
  const std::string path = "/tmp";
  EXPECT_EQ(runNow(rt.archivePut(id, path, tar, opts)).error().code(), Errc::Unsupported);
  const ExecRequest request{.cmd = {"true"}};
  EXPECT_EQ(runNow(rt.exec(id, request)).error().code(), Errc::Unsupported);
  const std::string volume = "v";
  EXPECT_EQ(runNow(rt.removeVolume(volume)).error().code(), Errc::Unsupported);
}

TEST(RuntimeDefaultsTest, WiderInterfacesAreUnsupportedNamingTheOperation) {
  // Ensures ContainerOps, ImageOps and ArchiveOps without overrides say so, naming the
  // operation and its target (never a silent success).
  ContainerOps containers;
  ImageOps images;
  ArchiveOps archives;
  const ContainerId id{"c1"};
  auto killed = runNow(containers.kill(id, "SIGTERM"));
  ASSERT_FALSE(killed.has_value());
  EXPECT_EQ(killed.error().code(), Errc::Unsupported);
  EXPECT_NE(killed.error().message().find("kill"), std::string::npos);
  EXPECT_NE(killed.error().message().find("c1"), std::string::npos);
  EXPECT_EQ(runNow(containers.wait(id, WaitCondition::NotRunning)).error().code(),
            Errc::Unsupported);
  EXPECT_EQ(runNow(containers.pruneContainers()).error().code(), Errc::Unsupported);
  EXPECT_EQ(runNow(images.listImages()).error().code(), Errc::Unsupported);
  EXPECT_EQ(runNow(images.pruneImages()).error().code(), Errc::Unsupported);
  const CommitOptions commit;
  EXPECT_EQ(runNow(images.commit(id, commit)).error().code(), Errc::Unsupported);
  const std::string path = "/tmp";
  auto head = runNow(archives.archiveHead(id, path));
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code(), Errc::Unsupported);
  EXPECT_NE(head.error().message().find("/tmp"), std::string::npos);
  EXPECT_EQ(runNow(archives.exportContainer(id)).error().code(), Errc::Unsupported);
}

TEST(PrepareImageTest, BuildsABuildSourceAndPullsAPullSource) {
  // Ensures prepareImage builds a Dockerfile source (its tag and id, `built`) and pulls a pull
  // source through the backend's preparePull; the default preparePull counts a pull that
  // reported progress (or policy Always) as pulled and leaves the id empty.
  CoreOnly rt;
  const ProgressCallback none;
  const ImageSource build = BuildImage{.context = "/src", .tag = "demo_web:latest"};
  Result<PreparedImage> built = runNow(rt.prepareImage(build, none));
  ASSERT_TRUE(built.has_value()) << built.error().what();
  EXPECT_EQ(built->reference, "demo_web:latest");
  EXPECT_EQ(built->id, "sha256:built");
  EXPECT_TRUE(built->built);
  EXPECT_FALSE(built->pulled);
  EXPECT_EQ(rt.builds, std::vector<std::string>{"demo_web:latest"});
  EXPECT_TRUE(rt.pulls.empty());

  const ImageSource fetched = PullImage{.reference = "registry/app:1"};
  Result<PreparedImage> pulled = runNow(rt.prepareImage(fetched, none));
  ASSERT_TRUE(pulled.has_value()) << pulled.error().what();
  EXPECT_EQ(pulled->reference, "registry/app:1");
  EXPECT_TRUE(pulled->pulled);
  EXPECT_FALSE(pulled->built);
  EXPECT_EQ(pulled->id, "");

  const ImageSource present = PullImage{.reference = "local/app:1"};
  Result<PreparedImage> kept = runNow(rt.prepareImage(present, none));
  ASSERT_TRUE(kept.has_value()) << kept.error().what();
  EXPECT_FALSE(kept->pulled);
  const ImageSource always = PullImage{.reference = "local/app:1", .policy = PullPolicy::Always};
  EXPECT_TRUE(runNow(rt.prepareImage(always, none))->pulled);
  EXPECT_EQ(rt.pulls, (std::vector<std::string>{"registry/app:1", "local/app:1", "local/app:1"}));
}

}  // namespace
}  // namespace ls::runtime
