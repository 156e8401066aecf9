// Processes and files of the tests: shell commands with their output, waiting on an observable
// condition (a bounded poll, never a fixed sleep), temporary directories, free ports.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ls::testing {

/// The exit code and combined stdout+stderr of a shell command.
struct ShellRun {
  int exitCode = -1;
  std::string output;
};

/// Runs `command` under /bin/sh, stdout and stderr together.
ShellRun runShell(const std::string& command);

/// The exit code, stdout and stderr (apart) of a shell command.
struct CliRun {
  int exitCode = -1;
  std::string out;
  std::string err;
};

/// Runs `command` under /bin/sh in `cwd`, stdout and stderr captured apart (stderr through a
/// file in `cwd`, removed afterwards).
CliRun runCapture(const std::filesystem::path& cwd, const std::string& command);

/// Whether `pid` exists and has not exited (a zombie counts as exited).
bool processAlive(pid_t pid);

/// Polls `condition` every `interval` until it holds or `bound` passed; whether it held. The
/// bound is a hang guard (the test fails instead of hanging), never a timing assertion.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds bound = std::chrono::seconds(60),
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

/// A TCP port of 127.0.0.1 nobody listens on now: the kernel's choice for port 0, read back
/// and released.
int freePort();

/// `n` distinct such ports (all bound at once before any is released).
std::vector<int> freePorts(std::size_t n);

/// The whole contents of a file ("" when it cannot be read).
std::string readWholeFile(const std::string& path);

/// The permission bits (07777) of `path` itself (a symlink is not followed); 0 when missing.
unsigned fileModeOf(const std::string& path);

/// A fresh directory under the system's temporary directory (`<prefix>-XXXXXX`), removed with
/// everything in it when the object goes away. Empty when it could not be made.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ls-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Makes `<temp>/<prefix>-XXXXXX`; empty when it could not be made.
std::filesystem::path makeTempDir(const std::string& prefix);

}  // namespace ls::testing
