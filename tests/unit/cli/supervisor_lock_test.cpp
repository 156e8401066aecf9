// The supervisor lock of src/cli/control.cpp (compiled into this test): one supervisor per
// project, its death seen at once, and probes that never take the lock.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "cli/control.hpp"

namespace ls::cli {
namespace {

namespace fs = std::filesystem;

/// A private XDG_RUNTIME_DIR for the test, so real supervisors of this user are not touched.
class SupervisorLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ls-lock-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const char* old = std::getenv("XDG_RUNTIME_DIR");
    if (old != nullptr) {
      saved_ = old;
    }
    ::setenv("XDG_RUNTIME_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("XDG_RUNTIME_DIR", saved_->c_str(), 1);
    } else {
      ::unsetenv("XDG_RUNTIME_DIR");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  std::optional<std::string> saved_;
};

TEST_F(SupervisorLockTest, OneSupervisorPerProjectAndItsRecordIsPrivate) {
  // Ensures a second acquire of the same project is a Conflict naming the pid, another project
  // is independent, the record is 0600, and releasing the lock frees the project at once.
  auto first = SupervisorLock::acquire("demo");
  ASSERT_TRUE(first.has_value()) << first.error().what();
  ASSERT_TRUE(first->record("/x/lightshuttle.yml", "", "http://127.0.0.1:1/").has_value());
  auto second = SupervisorLock::acquire("demo");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Errc::Conflict);
  EXPECT_NE(second.error().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.error().message();
  EXPECT_TRUE(SupervisorLock::acquire("other").has_value());
  auto found = findSupervisor("demo");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->dashboardUrl, "http://127.0.0.1:1/");
  const fs::path record = dir_ / "lightshuttle" / "demo.json";
  EXPECT_EQ(fs::status(record).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_FALSE(waitSupervisorGone("demo", std::chrono::milliseconds(20)));
  { SupervisorLock gone = std::move(*first); }
  EXPECT_TRUE(waitSupervisorGone("demo", std::chrono::seconds(1)));
  EXPECT_FALSE(findSupervisor("demo").has_value());
  EXPECT_TRUE(SupervisorLock::acquire("demo").has_value());
}

TEST_F(SupervisorLockTest, ProbingNeverMakesAConcurrentAcquireFail) {
  // Ensures `ps`/`down`-style probes (findSupervisor, waitSupervisorGone) test the lock without
  // taking it: a supervisor starting while they run always gets its lock. Regression: the probe
  // took a shared flock, and an `up` racing it was told the project was "already up".
  std::atomic<bool> stop{false};
  std::thread prober([&] {
    while (!stop.load()) {
      (void)findSupervisor("race");
      (void)waitSupervisorGone("race", std::chrono::nanoseconds(0));
    }
  });
  int failures = 0;
  for (int i = 0; i < 3000; ++i) {
    auto lock = SupervisorLock::acquire("race");
    if (!lock) {
      ++failures;
    }
  }
  stop = true;
  prober.join();
  EXPECT_EQ(failures, 0);
}

TEST_F(SupervisorLockTest, AWedgedSupervisorIsATimeoutNotAHang) {
  // Ensures a supervisor that accepts connections but never answers makes a CLI call fail with
  // a Timeout that says what happened, within the bound.
  auto lock = SupervisorLock::acquire("wedged");
  ASSERT_TRUE(lock.has_value());
  ASSERT_TRUE(lock->record("/x/lightshuttle.yml", "").has_value());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = lock->socketPath().string();
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);  // the kernel completes connections; nobody ever reads them
  auto sup = findSupervisor("wedged");
  ASSERT_TRUE(sup.has_value());
  const auto t0 = std::chrono::steady_clock::now();
  auto listed = supervisorList(*sup, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  ASSERT_FALSE(listed.has_value());
  EXPECT_EQ(listed.error().code(), Errc::Timeout);
  EXPECT_NE(listed.error().what().find("did not answer"), std::string::npos)
      << listed.error().what();
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace ls::cli
