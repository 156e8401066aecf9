// The commands of the `lightshuttle` executable: each is one file with an options struct and a
// run function; main.cpp maps names, help and flags to them (the only file that sees CLI11).
#pragma once

#include <string>

namespace ls::cli {

/// Exit codes, decided here once.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitInterrupted = 130,
};

struct DoctorOptions {
  std::string image;  ///< image for the port-publishing check; empty = the local test image
  bool skipPortCheck = false;
  bool json = false;
};
int runDoctor(const DoctorOptions& options);

}  // namespace ls::cli
