#include "support/process.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

namespace ls::testing {

namespace {

std::string readAll(FILE* p) {
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) {
    out.append(buf, n);
  }
  return out;
}

int exitCodeOf(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

ShellRun runShell(const std::string& command) {
  ShellRun r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  r.output = readAll(p);
  r.exitCode = exitCodeOf(::pclose(p));
  return r;
}

CliRun runCapture(const std::filesystem::path& cwd, const std::string& command) {
  const std::filesystem::path errFile = cwd / ".stderr.txt";
  const std::string cmd =
      "cd '" + cwd.string() + "' && " + command + " 2>'" + errFile.string() + "'";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  r.out = readAll(p);
  r.exitCode = exitCodeOf(::pclose(p));
  r.err = readWholeFile(errFile.string());
  std::error_code ec;
  std::filesystem::remove(errFile, ec);
  return r;
}

bool processAlive(pid_t pid) {
  if (::kill(pid, 0) != 0) {
    return false;
  }
  const std::string stat = readWholeFile("/proc/" + std::to_string(pid) + "/stat");
  return stat.find(") Z") == std::string::npos;
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds bound,
               std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(interval);  // between two looks at the condition
  }
}

std::vector<int> freePorts(std::size_t n) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (std::size_t i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      break;
    }
    fds.push_back(fd);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      break;
    }
    ports.push_back(ntohs(sa.sin_port));
  }
  for (const int fd : fds) {
    ::close(fd);
  }
  if (ports.size() != n) {
    ports.assign(n, 0);  // 0: no port (binding it would fail the test clearly)
  }
  return ports;
}

int freePort() { return freePorts(1).front(); }

std::string readWholeFile(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    out = readAll(f);
    std::fclose(f);
  }
  return out;
}

unsigned fileModeOf(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? static_cast<unsigned>(st.st_mode & 07777) : 0U;
}

std::filesystem::path makeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  return ::mkdtemp(tmpl.data()) != nullptr ? std::filesystem::path(tmpl) : std::filesystem::path();
}

TempDir::TempDir(const std::string& prefix) : path_(makeTempDir(prefix)) {}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

}  // namespace ls::testing
