#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lightshuttle: declare a stack once in lightshuttle.yml and boot it against a real "
               "container engine"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);

  ls::cli::DoctorOptions doctor;
  auto* doctorCmd = app.add_subcommand(
      "doctor", "Check the container engine: endpoint, versions, and port publishing");
  doctorCmd->add_option("--image", doctor.image,
                        "Image used for the port-publishing check (default: "
                        "lightshuttle-test/busybox when present)");
  doctorCmd->add_flag("--skip-port-check", doctor.skipPortCheck,
                      "Do not start a container to check port publishing on 127.0.0.1");
  doctorCmd->add_flag("--json", doctor.json, "Print the report as JSON on stdout");
  doctorCmd->footer(
      "Examples:\n"
      "  lightshuttle doctor\n"
      "  DOCKER_HOST=unix:///run/user/1000/docker.sock lightshuttle doctor\n"
      "  lightshuttle doctor --json\n"
      "Exit status: 0 when the engine answers, 1 when it does not.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ls::cli::kExitOk : ls::cli::kExitUsage;
  }

  if (doctorCmd->parsed()) {
    return ls::cli::runDoctor(doctor);
  }
  return ls::cli::kExitUsage;
}
