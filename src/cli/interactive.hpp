// Driving an interactive process from our terminal (exec.cpp): its output to our stdout and
// stderr, our stdin to it (optionally), our terminal raw and its size followed with a TTY.
// Shared by `exec -i/-t` and `run`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/session.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace ls::cli {

/// The flags of a process `exec` and `run` start: -e/--env KEY=value (one per -e, so a
/// positional after it is not taken for a value), -w/--workdir, -u/--user.
void addProcessFlags(CLI::App& cmd, std::vector<std::string>& env, std::string& workdir,
                     std::string& user);

/// Runs `process` until its output ends (then returns its exit code), or until SIGINT, SIGTERM,
/// SIGHUP or SIGQUIT (then returns 128 + the signal, detached). With `feedStdin` our stdin goes
/// to it; with `tty` and `feedStdin` on a terminal ours is raw meanwhile. 1 (printed) on failure.
int driveSession(EngineSession& session, runtime::ExecSession& process, bool feedStdin, bool tty);

/// Rows and columns of the terminal the session would follow, when there is one.
std::optional<std::pair<std::uint16_t, std::uint16_t>> terminalRowsCols();

}  // namespace ls::cli
