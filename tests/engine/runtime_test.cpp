#include <filesystem>
#include <fstream>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerSpec;
using runtime::ContainerState;

class RuntimeTest : public RuntimeEngineTest {
 protected:
  void TearDown() override {
    RuntimeEngineTest::TearDown();  // containers and network of this project
    for (const auto& tag : images) {
      (void)run(api->removeImage(tag, true));
    }
    for (const auto& dir : dirs) {
      std::filesystem::remove_all(dir);
    }
  }

  ContainerSpec spec(const std::string& resource, std::vector<std::string> cmd) {
    ContainerSpec s = projectSpec(resource, std::move(cmd));
    s.stopGracePeriod = 2s;
    return s;
  }

  std::filesystem::path tempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lsrt-XXXXXX").string();
    LS_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    dirs.push_back(tmpl);
    return tmpl;
  }

  static void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  std::string stdoutOf(const runtime::ContainerId& id) {
    runtime::LogOptions o;
    auto s = run(rt->logs(id, o));
    EXPECT_TRUE(s) << s.error().what();
    std::string out;
    if (!s) {
      return out;
    }
    for (;;) {
      auto c = run((*s)->next());
      if (!c || !*c) {
        break;
      }
      if ((*c)->stream == runtime::LogChunk::Stream::Stdout) {
        out += (*c)->bytes;
      }
    }
    return out;
  }

  std::vector<std::string> images;
  std::vector<std::filesystem::path> dirs;
};

TEST_F(RuntimeTest, StartsOnTheProjectNetworkWithLabelsAndAlias) {
  // Ensures start creates the network, names the container, labels it and makes the resource
  // name a DNS alias that a sibling container resolves.
  runtime::StartOptions none;
  auto server =
      run(rt->start(spec("web", {"sh", "-c", "while true; do echo hi | nc -l -p 80; done"}), none));
  ASSERT_TRUE(server) << server.error().what();
  auto client = run(rt->start(spec("probe", {"sh", "-c", "sleep 0.5; nc web 80"}), none));
  ASSERT_TRUE(client) << client.error().what();
  ASSERT_TRUE(run(api->waitContainer(client->value, "not-running", 30s)));
  EXPECT_EQ(stdoutOf(*client), "hi\n");
  auto info = run(api->inspectContainer(server->value));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, project + "_web");
  EXPECT_EQ(info->labels.at("lightshuttle.project"), project);
  EXPECT_EQ(info->labels.at("lightshuttle.resource"), "web");
  EXPECT_EQ(info->labels.at("lightshuttle.config-hash").size(), 64u);
  ASSERT_TRUE(info->networks.count("lightshuttle-" + project));
  auto listed = run(rt->listManaged(project));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).resource, "probe");
  EXPECT_EQ(listed->at(0).status.state, ContainerState::Stopped);
  EXPECT_EQ(listed->at(1).resource, "web");
  EXPECT_EQ(listed->at(1).status.state, ContainerState::Running);
}

TEST_F(RuntimeTest, StopHonoursSubSecondGraceThenKills) {
  // Ensures a SIGTERM-ignoring process is killed after a sub-second grace, and stop is idempotent.
  runtime::StartOptions none;
  auto id = run(rt->start(spec("stubborn", {"sleep", "3600"}), none));  // PID 1 ignores TERM
  ASSERT_TRUE(id) << id.error().what();
  auto stopped = run(rt->stop(*id, 300ms));
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_EQ(*stopped, runtime::StopOutcome::Stopped);
  auto st = run(rt->inspect(*id));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, ContainerState::Stopped);
  EXPECT_EQ(st->exitCode, 137);
  auto again = run(rt->stop(*id, 300ms));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, runtime::StopOutcome::AlreadyStopped);
  EXPECT_EQ(*run(rt->remove(project + "_stubborn")), runtime::RemoveOutcome::Removed);
  EXPECT_EQ(*run(rt->remove(project + "_stubborn")), runtime::RemoveOutcome::AlreadyRemoved);
}

TEST_F(RuntimeTest, AllocatedHostPortIsAClearConflict) {
  // Ensures a host port already taken gives Conflict naming the port and resource, and leaves no
  // created container behind.
  const int port = freePort();
  ContainerSpec a = spec("first", {"sleep", "3600"});
  a.ports = {
      runtime::PortBinding{.containerPort = 80, .hostPort = static_cast<std::uint16_t>(port)}};
  ContainerSpec b = spec("second", {"sleep", "3600"});
  b.ports = a.ports;
  runtime::StartOptions none;
  ASSERT_TRUE(run(rt->start(a, none)));
  auto second = run(rt->start(b, none));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Errc::Conflict) << second.error().what();
  EXPECT_EQ(second.error().reason(), "port_allocated");
  EXPECT_NE(second.error().what().find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  EXPECT_NE(second.error().what().find("'second'"), std::string::npos);
  auto gone = run(api->inspectContainer(project + "_second"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::NotFound);
}

TEST_F(RuntimeTest, LogsCarryEngineTimestampsPerLine) {
  // Ensures runtime logs split lines with the engine's emission timestamps, in order.
  runtime::StartOptions none;
  auto id = run(rt->start(
      spec("talker", {"sh", "-c", "echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three"}),
      none));
  ASSERT_TRUE(id) << id.error().what();
  ASSERT_TRUE(run(api->waitContainer(id->value, "not-running", 30s)));
  runtime::LogOptions o;
  auto s = run(rt->logs(*id, o));
  ASSERT_TRUE(s) << s.error().what();
  std::vector<runtime::LogChunk> chunks;
  for (;;) {
    auto c = run((*s)->next());
    ASSERT_TRUE(c) << c.error().what();
    if (!*c) {
      break;
    }
    chunks.push_back(std::move(**c));
  }
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].bytes, "one\n");
  EXPECT_EQ(chunks[1].bytes, "two\n");
  EXPECT_EQ(chunks[1].stream, runtime::LogChunk::Stream::Stderr);
  EXPECT_EQ(chunks[2].bytes, "three\n");
  EXPECT_LT(chunks[0].timestamp, chunks[2].timestamp);
  const auto age = std::chrono::system_clock::now() - chunks[0].timestamp;
  EXPECT_LT(age, std::chrono::minutes(5)) << "timestamps come from the engine, not epoch";
}

TEST_F(RuntimeTest, StartPullsAMissingImageAndRecreatesAVanishedNetwork) {
  // Ensures start's fast path (create first, no image or network check) still pulls an image
  // that is absent (policy missing) and ensures the project network again after it was removed
  // behind the runtime's back.
  const std::string remote = registryAddr() + "/lightshuttle-test/busybox:latest";
  (void)run(api->removeImage(remote, false));  // untag only: the image stays under its other names
  ContainerSpec first = spec("first", {"sleep", "60"});
  first.image = runtime::PullImage{.reference = remote, .policy = runtime::PullPolicy::Missing};
  runtime::StartOptions none;
  auto id = run(rt->start(first, none));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_TRUE(run(api->inspectImage(remote))) << "pulled";
  ASSERT_TRUE(run(rt->stop(*id, 0s)));
  ASSERT_TRUE(run(rt->remove(first.name)));
  ASSERT_TRUE(run(api->removeNetwork(runtime::projectNetworkName(project))));

  ContainerSpec second = spec("second", {"sleep", "60"});
  auto id2 = run(rt->start(second, none));
  ASSERT_TRUE(id2) << id2.error().what();
  EXPECT_TRUE(run(api->inspectNetwork(runtime::projectNetworkName(project))))
      << "network ensured again";

  ContainerSpec never = spec("never", {"true"});
  never.image = runtime::PullImage{.reference = "lightshuttle-test/absent:" + rng.hex(3),
                                   .policy = runtime::PullPolicy::Never};
  auto refused = run(rt->start(never, none));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::NotFound) << refused.error().what();
  EXPECT_FALSE(run(api->inspectContainer(never.name))) << "no container left behind";
}

TEST_F(RuntimeTest, PullPolicies) {
  // Ensures policy never refuses a missing image, missing pulls only when absent, always pulls.
  auto never =
      run(rt->pullImage("lightshuttle-test/absent:" + rng.hex(3), runtime::PullPolicy::Never, {}));
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().code(), Errc::NotFound);
  int progress = 0;
  auto count = [&](const runtime::ImageProgress&) { ++progress; };
  ASSERT_TRUE(run(rt->pullImage(kBusybox, runtime::PullPolicy::Missing, count)));
  EXPECT_EQ(progress, 0) << "present locally: no pull";
  const std::string remote = registryAddr() + "/lightshuttle-test/busybox:latest";
  ASSERT_TRUE(run(rt->pullImage(remote, runtime::PullPolicy::Always, count)));
  EXPECT_GT(progress, 0);
}

TEST_F(RuntimeTest, BuildHonoursDockerignoreTargetAndArgs) {
  // Ensures a build uses the .dockerignore, stops at the target stage and passes build args.
  const auto dir = tempDir();
  write(dir / "docker" / "app.Dockerfile",
        "FROM lightshuttle-test/busybox:latest AS base\n"
        "ARG GREETING=unset\n"
        "COPY . /ctx\n"
        "RUN echo \"$GREETING\" > /greeting\n"
        "FROM base AS broken\n"
        "RUN false\n");
  write(dir / ".dockerignore", "secrets/\n*.log\n!keep.log\n");
  write(dir / "keep.txt", "k\n");
  write(dir / "keep.log", "kept\n");
  write(dir / "noise.log", "dropped\n");
  write(dir / "secrets" / "token", "t0p\n");
  std::filesystem::create_symlink("keep.txt", dir / "link.txt");
  const std::string tag = "lightshuttle-test/built-" + project + ":dev";
  images.push_back(tag);
  runtime::BuildImage build{.context = dir.string(),
                            .dockerfile = "docker/app.Dockerfile",
                            .buildArgs = {{"GREETING", "hello"}},
                            .target = "base",
                            .tag = tag};
  std::vector<std::string> lines;
  auto built = run(
      rt->buildImage(build, [&](const runtime::ImageProgress& p) { lines.push_back(p.status); }));
  ASSERT_TRUE(built) << built.error().what();
  EXPECT_FALSE(lines.empty());
  ContainerSpec s =
      spec("built",
           {"sh", "-c", "cat /greeting; ls -A /ctx | sort | tr '\\n' ' '; readlink /ctx/link.txt"});
  s.image = runtime::PullImage{.reference = tag, .policy = runtime::PullPolicy::Never};
  runtime::StartOptions none;
  auto id = run(rt->start(s, none));
  ASSERT_TRUE(id) << id.error().what();
  ASSERT_TRUE(run(api->waitContainer(id->value, "not-running", 30s)));
  EXPECT_EQ(stdoutOf(*id), "hello\n.dockerignore docker keep.log keep.txt link.txt keep.txt\n");
}

TEST_F(RuntimeTest, FailingBuildIsBuildFailed) {
  // Ensures an error inside the build's 200 stream is FailedPrecondition/build_failed with the
  // engine's message.
  const auto dir = tempDir();
  write(dir / "Dockerfile",
        "FROM lightshuttle-test/busybox:latest\nRUN echo about to fail && exit 7\n");
  const std::string tag = "lightshuttle-test/broken-" + project + ":dev";
  images.push_back(tag);
  runtime::BuildImage build{.context = dir.string(), .tag = tag};
  auto built = run(rt->buildImage(build, {}));
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(built.error().reason(), "build_failed");
  // Docker's builder says "returned a non-zero code: 7", podman's (buildah) "exit status 7".
  const std::string what = built.error().what();
  EXPECT_TRUE(what.find("non-zero code: 7") != std::string::npos ||
              what.find("exit status 7") != std::string::npos)
      << what;
}

TEST_F(RuntimeTest, EventsReportStartDieAndHealth) {
  // Ensures the events stream yields typed start, health and die events for our project only.
  runtime::EventFilter f{.project = project};
  auto events = run(rt->events(f));
  ASSERT_TRUE(events) << events.error().what();
  // It exits only when told to, after its health event: no race with the first probe, even on a
  // loaded machine.
  ContainerSpec s = spec("ev", {"sh", "-c", "while [ ! -f /tmp/go ]; do sleep 0.05; done; exit 4"});
  s.healthcheck = runtime::HealthcheckSpec{
      .test = {"CMD", "true"}, .interval = 200ms, .timeout = 1s, .retries = 3, .startPeriod = 0s};
  runtime::StartOptions none;
  auto id = run(rt->start(s, none));
  ASSERT_TRUE(id) << id.error().what();
  std::vector<runtime::RuntimeEvent::Kind> kinds;
  for (int i = 0; i < 10; ++i) {
    auto e = run((*events)->next());
    ASSERT_TRUE(e) << e.error().what();
    EXPECT_EQ(e->project, project);
    EXPECT_EQ(e->resource, "ev");
    kinds.push_back(e->kind);
    if (e->kind == runtime::RuntimeEvent::Kind::HealthStatus) {
      EXPECT_EQ(e->health, "healthy");
      runtime::ExecRequest go;
      go.cmd = {"touch", "/tmp/go"};
      auto touched = run(rt->exec(*id, go));
      ASSERT_TRUE(touched) << touched.error().what();
    }
    if (e->kind == runtime::RuntimeEvent::Kind::Die) {
      EXPECT_EQ(e->exitCode, 4);
      break;
    }
  }
  const std::vector<runtime::RuntimeEvent::Kind> want = {runtime::RuntimeEvent::Kind::Start,
                                                         runtime::RuntimeEvent::Kind::HealthStatus,
                                                         runtime::RuntimeEvent::Kind::Die};
  EXPECT_EQ(kinds, want);
  (*events)->close();
}

}  // namespace
}  // namespace ls::testing
