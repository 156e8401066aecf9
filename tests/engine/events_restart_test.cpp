// The events stream across an engine restart, against a private dockerd this test starts (and
// therefore may restart) on its own socket and data root.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "engine/engine_env.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/core/scope_guard.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;

/// A dockerd of our own: its socket, data root and exec root live in a temp directory, and its
/// default bridge is a bridge interface of its own.
///
/// NOTE: never `--bridge=none`: a daemon started that way deletes the host's `docker0`, which
/// breaks the shared engine's default network for everyone else.
class PrivateDockerd {
 public:
  PrivateDockerd(std::filesystem::path dir, std::string bridge)
      : dir_(std::move(dir)), bridge_(std::move(bridge)) {}
  ~PrivateDockerd() { stop(); }

  /// Creates the bridge interface the daemon uses (link-local address, no traffic leaves it).
  bool createBridge() {
    const std::string cmd = "ip link add " + bridge_ + " type bridge && ip addr add 169.254.213.1/24 dev " +
                            bridge_ + " && ip link set " + bridge_ + " up";
    return std::system(cmd.c_str()) == 0;
  }
  void deleteBridge() {
    const std::string cmd = "ip link del " + bridge_ + " 2>/dev/null";
    (void)std::system(cmd.c_str());
  }

  std::string socket() const { return (dir_ / "docker.sock").string(); }

  bool start() {
    const pid_t pid = ::fork();
    if (pid < 0) {
      return false;
    }
    if (pid == 0) {
      const std::string log = (dir_ / "dockerd.log").string();
      std::FILE* f = std::freopen(log.c_str(), "a", stdout);
      (void)f;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      const std::string host = "unix://" + socket();
      const std::string data = (dir_ / "data").string();
      const std::string exec = (dir_ / "exec").string();
      const std::string pidfile = (dir_ / "docker.pid").string();
      const std::string bridge = "--bridge=" + bridge_;
      ::execlp("dockerd", "dockerd", "--host", host.c_str(), "--data-root", data.c_str(),
               "--exec-root", exec.c_str(), "--pidfile", pidfile.c_str(), bridge.c_str(),
               "--iptables=false", "--ip-masq=false", "--insecure-registry=127.0.0.0/8",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pid_ = pid;
    return true;
  }

  void stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string logTail() const {
    auto text = readFile(dir_ / "dockerd.log");
    if (!text) {
      return {};
    }
    return text->size() > 2000 ? text->substr(text->size() - 2000) : *text;
  }

 private:
  std::filesystem::path dir_;
  std::string bridge_;
  pid_t pid_ = -1;
};

class EventsRestartTest : public EngineTest {};

TEST_F(EventsRestartTest, StreamSurvivesAnEngineRestartAndSaysSo) {
  // Ensures the runtime's event stream reconnects after the engine restarts, yields a
  // Reconnected marker, and then delivers events that happen after the restart.
  LS_NOT_ON_PODMAN("it restarts a private dockerd of its own, whatever DOCKER_HOST says: the docker "
                   "half runs it already");
  std::string tmpl = (std::filesystem::temp_directory_path() / "lsdockerd-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  PrivateDockerd daemon(dir, "lsbr" + rng.hex(3));
  ASSERT_TRUE(daemon.createBridge()) << "cannot create a bridge interface for the private engine";
  auto dropBridge = ScopeGuard([&daemon] {
    daemon.stop();
    daemon.deleteBridge();
  });
  ASSERT_TRUE(daemon.start());

  engine::Endpoint ep;
  ep.path = daemon.socket();
  auto priv = engine::Client::create(ep);
  engine::Api papi(*priv);
  auto waitUp = [&]() {
    for (int i = 0; i < 300; ++i) {
      if (run(priv->negotiate())) {
        return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  ASSERT_TRUE(waitUp()) << daemon.logTail();
  const std::string image = registryAddr() + "/lightshuttle-test/busybox:latest";
  ASSERT_TRUE(run(papi.pullImage(image, {}))) << daemon.logTail();

  auto clock = makeSystemClock();
  runtime::DockerRuntime rt(*priv, *clock);
  runtime::EventFilter filter{.project = project};
  auto events = run(rt.events(filter));
  ASSERT_TRUE(events) << events.error().what();

  auto startOne = [&](const std::string& name) -> std::string {
    engine::ContainerCreate c;
    c.image = image;
    c.cmd = {"sleep", "3600"};
    c.networkMode = "none";
    c.labels = labels();
    auto created = run(papi.createContainer(name, c));
    EXPECT_TRUE(created) << created.error().what();
    if (!created) {
      return {};
    }
    EXPECT_TRUE(run(papi.startContainer(created->id)));
    return created->id;
  };
  auto nextKind = [&]() -> std::optional<runtime::RuntimeEvent> {
    auto e = run((*events)->next());
    EXPECT_TRUE(e) << e.error().what();
    if (!e) {
      return std::nullopt;
    }
    return *e;
  };

  const std::string first = startOne(project + "_before");
  auto e1 = nextKind();
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->kind, runtime::RuntimeEvent::Kind::Start);
  EXPECT_EQ(e1->id.value, first);

  daemon.stop();
  ASSERT_TRUE(daemon.start());
  ASSERT_TRUE(waitUp()) << daemon.logTail();
  const std::string second = startOne(project + "_after");

  bool sawReconnected = false;
  bool sawSecondStart = false;
  for (int i = 0; i < 20 && !sawSecondStart; ++i) {
    auto e = nextKind();
    ASSERT_TRUE(e);
    if (e->kind == runtime::RuntimeEvent::Kind::Reconnected) {
      sawReconnected = true;
    }
    if (e->kind == runtime::RuntimeEvent::Kind::Start && e->id.value == second) {
      sawSecondStart = true;
      EXPECT_TRUE(sawReconnected) << "the marker comes before post-restart events";
    }
  }
  EXPECT_TRUE(sawReconnected);
  EXPECT_TRUE(sawSecondStart);
  (*events)->close();

  for (const auto& id : {first, second}) {
    (void)run(papi.removeContainer(id, true, true));
  }
  (void)run(papi.removeImage(image, true));
  daemon.stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace ls::testing
