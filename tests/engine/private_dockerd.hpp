// A dockerd of our own for tests that stop and start the engine: never the shared one.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "lightshuttle/core/file.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/engine/endpoint.hpp"
#include "support/engine.hpp"

namespace ls::testing {

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
    const std::string cmd = "ip link add " + bridge_ +
                            " type bridge && ip addr add 169.254.213.1/24 dev " + bridge_ +
                            " && ip link set " + bridge_ + " up";
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
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
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

/// EngineTest with a private dockerd of its own (started by startPrivateEngine; stopped, its
/// bridge deleted and its directory removed by TearDown): `priv`/`papi` talk to it, and it holds
/// `privateImage` (busybox pulled from the loopback registry).
class PrivateEngineTest : public EngineTest {
 protected:
  /// Starts the daemon in a fresh temp directory named after `prefix`, waits until it answers
  /// and pulls the test image into it. Call through ASSERT_NO_FATAL_FAILURE.
  void startPrivateEngine(const std::string& prefix) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    daemon = std::make_unique<PrivateDockerd>(dir, "lsbr" + rng.hex(3));
    ASSERT_TRUE(daemon->createBridge())
        << "cannot create a bridge interface for the private engine";
    bridgeCreated = true;
    ASSERT_TRUE(daemon->start());
    engine::Endpoint ep;
    ep.path = daemon->socket();
    priv = engine::Client::create(ep);
    papi = std::make_unique<engine::Api>(*priv);
    ASSERT_TRUE(answers(*priv)) << daemon->logTail();
    ASSERT_TRUE(run(papi->pullImage(privateImage, {}))) << daemon->logTail();
  }

  void TearDown() override {
    EngineTest::TearDown();
    papi.reset();
    priv.reset();
    if (daemon) {
      daemon->stop();
      if (bridgeCreated) {
        daemon->deleteBridge();
      }
    }
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }

  std::filesystem::path dir;
  std::unique_ptr<PrivateDockerd> daemon;
  bool bridgeCreated = false;
  std::unique_ptr<engine::Client> priv;
  std::unique_ptr<engine::Api> papi;
  const std::string privateImage = registryAddr() + "/" + kBusybox;
};

}  // namespace ls::testing
