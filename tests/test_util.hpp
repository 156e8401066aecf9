// Helpers shared by the test executables.
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace ls::testing {

/// Runs one coroutine to completion on a fresh io_context and returns its value; rethrows what
/// it threw. The awaitable must be created by the caller (a named variable or a call), never from
/// a braced temporary argument (GCC 12 coroutine bug).
template <typename T>
T runCoro(boost::asio::io_context& ctx, boost::asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr err;
  boost::asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e, T v) {
    err = e;
    if (!e) {
      out.emplace(std::move(v));
    }
  });
  ctx.restart();
  ctx.run();
  if (err) {
    std::rethrow_exception(err);
  }
  if (!out) {
    throw std::runtime_error("coroutine did not complete");
  }
  return std::move(*out);
}

/// The exit code and combined stdout+stderr of a shell command.
struct ShellRun {
  int exitCode = -1;
  std::string output;
};

inline ShellRun runShell(const std::string& command) {
  ShellRun r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) {
    r.output.append(buf, n);
  }
  const int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The whole contents of a file ("" when it cannot be read).
inline std::string readWholeFile(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
      out.append(buf, n);
    }
    std::fclose(f);
  }
  return out;
}

/// The permission bits (07777) of `path` itself (a symlink is not followed); 0 when missing.
inline unsigned fileModeOf(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? static_cast<unsigned>(st.st_mode & 07777) : 0U;
}

/// Whether the suite runs under CI (a missing engine must fail there, never skip).
inline bool underCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

/// The engine this run of the engine/e2e tiers targets: "docker" or "podman" (LS_TEST_ENGINE,
/// set by tests/CMakeLists.txt for each half; "docker" when unset).
inline std::string testEngine() {
  const char* e = std::getenv("LS_TEST_ENGINE");
  return e != nullptr && *e != '\0' ? std::string(e) : std::string("docker");
}

}  // namespace ls::testing
