// The product end to end: the built CLI as a black box against the real engine, booting the
// quickstart stack (postgres, redis, an app built from a Dockerfile) and checking what a user
// would check.
#include "support/stack.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "lightshuttle/core/file.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using ShRun = ls::testing::ShellRun;
using ls::testing::processAlive;
using ls::testing::readWholeFile;
using ls::testing::waitUntil;

std::string httpGet(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
    const std::string req = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

/// A copy of examples/quickstart under a unique project name and free host ports.
class StackTest : public ls::testing::CliStackTest {
 protected:
  StackTest() : CliStackTest("lse2e") {}

  void SetUp() override {
    CliStackTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    const std::vector<int> ports = ls::testing::freePorts(3);
    dbPort = ports[0];
    cachePort = ports[1];
    webPort = ports[2];
    fs::copy(fs::path(LS_SOURCE_DIR) / "examples" / "quickstart", dir, fs::copy_options::recursive);
    fs::remove_all(dir / ".lightshuttle");
    auto text = ls::readFile(dir / "lightshuttle.yml");
    ASSERT_TRUE(text);
    std::string m = *text;
    m = std::regex_replace(m, std::regex("name: quickstart"), "name: " + project);
    m = std::regex_replace(m, std::regex("port: 15432"), "port: " + std::to_string(dbPort));
    m = std::regex_replace(m, std::regex("port: 16379"), "port: " + std::to_string(cachePort));
    m = std::regex_replace(m, std::regex("18080:8080"), std::to_string(webPort) + ":8080");
    std::ofstream(dir / "lightshuttle.yml") << m;
  }

  std::string dbPassword() {
    auto text = ls::readFile(dir / ".lightshuttle" / "secrets.json");
    if (!text) {
      return {};
    }
    auto v = boost::json::parse(*text);
    return std::string(v.at("resources").at("db").at("password").as_string());
  }

  void expectNothingLeft() {
    EXPECT_EQ(labelledContainers(), "");
    EXPECT_NE(sh("docker network inspect lightshuttle-" + project).exitCode, 0);
    EXPECT_NE(sh("docker volume inspect " + project + "_db_data").exitCode, 0);
  }

  /// Starts an attached `up` in the stack's directory (stdout to /dev/null, stderr to
  /// `errLog`) and waits for its "ready" line: every resource is ready, the logs are followed.
  pid_t upAttached(const fs::path& errLog) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      (void)!::chdir(dir.c_str());
      (void)!std::freopen("/dev/null", "w", stdout);
      (void)!std::freopen(errLog.c_str(), "w", stderr);
      ::execl(LS_CLI_PATH, "lightshuttle", "up", "--no-color", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid > 0) {
      const bool ready = waitUntil(
          [&] { return readWholeFile(errLog.string()).find("' ready in ") != std::string::npos; },
          std::chrono::minutes(3), 100ms);
      EXPECT_TRUE(ready) << readWholeFile(errLog.string());
    }
    return pid;
  }

  int dbPort = 0;
  int cachePort = 0;
  int webPort = 0;
};

TEST_F(StackTest, QuickstartComesUpAndEveryCommandWorks) {
  // Ensures the quickstart stack boots detached, the generated password works over the network,
  // redis requires its password, the app reaches both, and ps/logs/exec/restart/down behave.
  ShRun up = cli("up -d");
  ASSERT_EQ(up.exitCode, 0) << up.output;

  ShRun ps = cli("ps --format json");
  ASSERT_EQ(ps.exitCode, 0) << ps.output;
  for (const char* r : {"db", "cache", "web"}) {
    EXPECT_NE(ps.output.find(std::string(R"("name":")") + r + R"(")"), std::string::npos)
        << ps.output;
  }
  // Ready by lifecycle's own probe may come before the engine's first health check, so the
  // engine's health may still read "starting": every container must run, none may have exited.
  EXPECT_EQ(ps.output.find(R"("status":"stopped")"), std::string::npos) << ps.output;
  EXPECT_EQ(ps.output.find(R"("status":"exited")"), std::string::npos) << ps.output;
  EXPECT_EQ(ps.output.find(R"("health":"unhealthy")"), std::string::npos) << ps.output;

  const std::string page = httpGet(webPort);
  EXPECT_NE(page.find("db: reachable"), std::string::npos) << page;
  EXPECT_NE(page.find("cache: PONG"), std::string::npos) << page;

  // The password check of the postgres image applies to TCP from another address only.
  const std::string pw = dbPassword();
  ASSERT_EQ(pw.size(), 24u);
  // No `docker run --rm`: podman 4.3 answers its wait?condition=removed with exit code 0
  // whatever the container exited with (containers/podman#18889, fixed in 4.6), so the client is
  // removed explicitly and keeps psql's exit code.
  const std::string psql =
      "docker run --name " + project + "_psql --network lightshuttle-" + project +
      " -e PGPASSWORD=%s lightshuttle-test/postgres:15 psql -h db -U app -d app -tAc 'select 40+2';"
      " rc=$?; docker rm -v " +
      project + "_psql >/dev/null; exit $rc";
  ShRun good = sh(std::regex_replace(psql, std::regex("%s"), pw));
  EXPECT_EQ(good.exitCode, 0) << good.output;
  EXPECT_NE(good.output.find("42"), std::string::npos) << good.output;
  ShRun bad = sh(std::regex_replace(psql, std::regex("%s"), "wrong-password"));
  EXPECT_NE(bad.exitCode, 0) << bad.output;

  // The probe's REDISCLI_AUTH is in the container's environment: drop it to test the server.
  ShRun noAuth = cli("exec cache -- env -u REDISCLI_AUTH redis-cli ping");
  EXPECT_NE(noAuth.output.find("NOAUTH"), std::string::npos) << noAuth.output;
  ShRun auth = cli("exec cache -- redis-cli -a quickstart-cache --no-auth-warning ping");
  EXPECT_EQ(auth.exitCode, 0) << auth.output;
  EXPECT_NE(auth.output.find("PONG"), std::string::npos) << auth.output;
  ShRun code = cli("exec web -- sh -c 'exit 7'");
  EXPECT_EQ(code.exitCode, 7) << code.output;

  ShRun logs = cli("logs --tail 50 --no-color db");
  EXPECT_EQ(logs.exitCode, 0) << logs.output;
  EXPECT_NE(logs.output.find("db | "), std::string::npos) << logs.output;
  EXPECT_NE(logs.output.find("ready to accept connections"), std::string::npos) << logs.output;

  const std::string webBefore = sh("docker inspect -f '{{.Id}}' " + project + "_web").output;
  const std::string dbBefore = sh("docker inspect -f '{{.Id}}' " + project + "_db").output;
  ShRun restart = cli("restart db");
  EXPECT_EQ(restart.exitCode, 0) << restart.output;
  EXPECT_NE(sh("docker inspect -f '{{.Id}}' " + project + "_db").output, dbBefore)
      << "db was recreated";
  EXPECT_EQ(sh("docker inspect -f '{{.Id}}' " + project + "_web").output, webBefore)
      << "web kept running";
  EXPECT_EQ(sh("docker inspect -f '{{.State.Running}}' " + project + "_web").output, "true\n");
  ShRun again = sh(std::regex_replace(psql, std::regex("%s"), pw));
  EXPECT_EQ(again.exitCode, 0) << "the stored password still works after a restart: "
                               << again.output;

  ShRun down = cli("down --volumes");
  EXPECT_EQ(down.exitCode, 0) << down.output;
  expectNothingLeft();
}

TEST_F(StackTest, CtrlCStopsEverythingAndExits130) {
  // Ensures an attached `up` interrupted with SIGINT removes every container, the network and
  // anonymous volumes, and exits 130.
  const pid_t pid = upAttached(dir / "up.stderr");
  ASSERT_GE(pid, 0);
  // The anonymous volumes of this stack (redis declares VOLUME /data and keeps none here).
  const std::string anonymous = sh("docker ps -q --filter label=lightshuttle.project=" + project +
                                   " | xargs -r docker inspect -f '{{range .Mounts}}{{if eq .Type "
                                   "\"volume\"}}{{.Name}} {{end}}{{end}}'")
                                    .output;
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(labelledContainers(), "");
  EXPECT_NE(sh("docker network inspect lightshuttle-" + project).exitCode, 0);
  // Anonymous volumes are gone; the named data volume is kept (like compose).
  std::istringstream names(anonymous);
  std::string name;
  int anonymousCount = 0;
  while (names >> name) {
    if (name == project + "_db_data") {
      EXPECT_EQ(sh("docker volume inspect " + name).exitCode, 0) << "named volume kept";
      continue;
    }
    ++anonymousCount;
    EXPECT_NE(sh("docker volume inspect " + name).exitCode, 0)
        << "anonymous volume " << name << " left";
  }
  EXPECT_GT(anonymousCount, 0) << "redis's VOLUME /data gives the stack an anonymous volume";
}

TEST_F(StackTest, SigtermStopsEverythingAndExits143) {
  // Ensures an attached `up` stopped with SIGTERM tears the stack down and exits 143, as
  // compose does (130 is for SIGINT).
  std::ofstream(dir / "lightshuttle.yml")
      << "lightshuttle: v0\nproject:\n  name: " << project << "\nresources:\n"
      << "  svc:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
      << "      command: [sleep, '3600']\n      stop_grace_period: 1s\n";
  const pid_t pid = upAttached(dir / "up.stderr");
  ASSERT_GE(pid, 0);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 143);
  EXPECT_EQ(labelledContainers(), "");
  EXPECT_NE(sh("docker network inspect lightshuttle-" + project).exitCode, 0);
}

TEST_F(StackTest, DownCleansUpAfterTheSupervisorWasKilled) {
  // Ensures `down` works from labels alone after `up -d`'s supervisor died with SIGKILL.
  ShRun up = cli("up -d");
  ASSERT_EQ(up.exitCode, 0) << up.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(up.output, m, std::regex("supervisor pid ([0-9]+)"))) << up.output;
  const auto pid = std::stoll(m[1].str());
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  EXPECT_TRUE(waitUntil([&] { return !processAlive(static_cast<pid_t>(pid)); }, 10s));
  ShRun down = cli("down --volumes");
  EXPECT_EQ(down.exitCode, 0) << down.output;
  expectNothingLeft();
}

TEST_F(StackTest, UpAdoptsWhatAKilledSupervisorLeftRunning) {
  // Ensures `up -d` after the supervisor died with SIGKILL adopts the still-running container
  // whose config is unchanged (same id, not recreated), recreates the changed one, and says so.
  auto manifest = [&](const std::string& apiCmd) {
    std::ofstream(dir / "lightshuttle.yml")
        << "lightshuttle: v0\nproject:\n  name: " << project << "\nresources:\n"
        << "  db:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [sleep, '3600']\n      stop_grace_period: 1s\n"
        << "  api:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
        << "      command: [sleep, '" << apiCmd << "']\n      stop_grace_period: 1s\n"
        << "      depends_on: [db]\n";
  };
  manifest("3600");
  ShRun up = cli("up -d");
  ASSERT_EQ(up.exitCode, 0) << up.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(up.output, m, std::regex("supervisor pid ([0-9]+)"))) << up.output;
  const auto pid = static_cast<pid_t>(std::stoll(m[1].str()));
  auto idOf = [&](const std::string& r) {
    return sh("docker inspect -f '{{.Id}}' " + project + "_" + r).output;
  };
  const std::string db = idOf("db");
  const std::string api = idOf("api");
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_TRUE(waitUntil([&] { return !processAlive(pid); }, 10s));
  manifest("3601");  // api's config hash changes; db's does not
  ShRun again = cli("up -d --progress plain");
  ASSERT_EQ(again.exitCode, 0) << again.output;
  EXPECT_NE(again.output.find("resource_adopted"), std::string::npos) << again.output;
  EXPECT_EQ(idOf("db"), db) << "db was recreated";
  EXPECT_NE(idOf("api"), api) << "api kept a container of another config";
  ShRun ps = cli("ps");
  EXPECT_EQ(ps.exitCode, 0) << ps.output;
  EXPECT_NE(ps.output.find("running"), std::string::npos) << ps.output;
  ShRun down = cli("down");
  EXPECT_EQ(down.exitCode, 0) << down.output;
  EXPECT_EQ(labelledContainers(), "");
}

TEST_F(StackTest, RestartAlwaysBringsBackAContainerKilledOutside) {
  // Ensures the supervisor restarts a `restart: always` resource killed from outside.
  std::ofstream(dir / "lightshuttle.yml")
      << "lightshuttle: v0\nproject:\n  name: " << project
      << "\nresources:\n  svc:\n    container:\n"
      << "      image: lightshuttle-test/busybox:latest\n      command: [sleep, '3600']\n"
      << "      restart: always\n      stop_grace_period: 1s\n";
  ShRun up = cli("up -d");
  ASSERT_EQ(up.exitCode, 0) << up.output;
  const std::string before =
      sh("docker inspect -f '{{.State.StartedAt}}' " + project + "_svc").output;
  ASSERT_EQ(sh("docker kill " + project + "_svc").exitCode, 0);
  const bool back = waitUntil(
      [&] {
        ShRun st =
            sh("docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' " + project + "_svc");
        // StartedAt has nanoseconds: a different value means a new start, even within a second.
        return st.exitCode == 0 && st.output.rfind("true ", 0) == 0 &&
               st.output != "true " + before;
      },
      60s, 250ms);
  EXPECT_TRUE(back)
      << sh("cat '" + (dir / ".lightshuttle" / "supervisor.log").string() + "'").output;
  ShRun down = cli("down");
  EXPECT_EQ(down.exitCode, 0) << down.output;
  EXPECT_EQ(labelledContainers(), "");
}

TEST_F(StackTest, CommandsGoThroughTheSupervisorFoundByProject) {
  // Ensures a running supervisor is found from the project alone: a second `up` is refused,
  // `ps` shows its view (restarts counted), `restart` is done by it (so it is not mistaken for a
  // crash), and `down -p` from another directory stops it and everything it started.
  std::ofstream(dir / "lightshuttle.yml")
      << "lightshuttle: v0\nproject:\n  name: " << project << "\nresources:\n"
      << "  svc:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
      << "      command: [sleep, '3600']\n      restart: always\n      stop_grace_period: 1s\n"
      << "  dep:\n    container:\n      image: lightshuttle-test/busybox:latest\n"
      << "      command: [sleep, '3600']\n      depends_on: [svc]\n      stop_grace_period: 1s\n";
  ShRun up = cli("up -d");
  ASSERT_EQ(up.exitCode, 0) << up.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(up.output, m, std::regex("supervisor pid ([0-9]+)"))) << up.output;
  const auto pid = static_cast<pid_t>(std::stoll(m[1].str()));

  ShRun again = cli("up -d");
  EXPECT_EQ(again.exitCode, 1) << again.output;
  EXPECT_NE(again.output.find("already up"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find(std::to_string(pid)), std::string::npos) << again.output;

  ShRun ps = cli("ps --format json");
  EXPECT_EQ(ps.exitCode, 0) << ps.output;
  EXPECT_NE(ps.output.find(R"("supervised":true)"), std::string::npos) << ps.output;
  EXPECT_NE(ps.output.find(R"("restarts":0)"), std::string::npos) << ps.output;

  ASSERT_EQ(sh("docker kill " + project + "_svc").exitCode, 0);
  const bool counted = waitUntil(
      [&] {
        ShRun now = cli("ps --format json");
        boost::system::error_code ec;
        auto rows = boost::json::parse(now.output, ec);
        if (ec || !rows.is_array()) {
          return false;
        }
        for (const auto& row : rows.as_array()) {
          const auto& o = row.as_object();
          if (o.at("name") == "svc" && o.at("restarts") == 1 && o.at("status") == "running") {
            return true;
          }
        }
        return false;
      },
      60s, 250ms);
  EXPECT_TRUE(counted) << cli("ps --format json").output;

  const std::string svcBefore = sh("docker inspect -f '{{.Id}}' " + project + "_svc").output;
  const std::string depBefore = sh("docker inspect -f '{{.Id}}' " + project + "_dep").output;
  ShRun restart = cli("restart svc");
  EXPECT_EQ(restart.exitCode, 0) << restart.output;
  EXPECT_NE(sh("docker inspect -f '{{.Id}}' " + project + "_svc").output, svcBefore);
  EXPECT_EQ(sh("docker inspect -f '{{.Id}}' " + project + "_dep").output, depBefore);
  EXPECT_TRUE(processAlive(pid)) << "the supervisor keeps running";
  ShRun after = cli("ps --format json");
  EXPECT_EQ(after.output.find(R"("status":"restarting")"), std::string::npos) << after.output;

  ShRun down = sh("cd / && '" + std::string(LS_CLI_PATH) + "' down -p " + project);
  EXPECT_EQ(down.exitCode, 0) << down.output;
  EXPECT_NE(down.output.find("stopping the supervisor"), std::string::npos) << down.output;
  EXPECT_FALSE(processAlive(pid)) << "the supervisor exited";
  EXPECT_EQ(labelledContainers(), "");
  EXPECT_NE(sh("docker network inspect lightshuttle-" + project).exitCode, 0);
}

TEST_F(StackTest, PortInUseIsAClearErrorWithCleanRollback) {
  // Ensures a host port taken by another program fails the boot naming the port, and nothing
  // of the stack is left behind.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(cachePort));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ShRun up = cli("up -d");
  ::close(fd);
  EXPECT_EQ(up.exitCode, 1) << up.output;
  EXPECT_NE(up.output.find("127.0.0.1:" + std::to_string(cachePort)), std::string::npos)
      << up.output;
  EXPECT_NE(up.output.find("cache"), std::string::npos) << up.output;
  EXPECT_EQ(labelledContainers(), "");
  EXPECT_NE(sh("docker network inspect lightshuttle-" + project).exitCode, 0);
}

}  // namespace
