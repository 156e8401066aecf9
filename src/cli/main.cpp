#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"
#include "lightshuttle/manifest/grammar.hpp"

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

  ls::cli::ValidateOptions validate;
  auto* validateCmd = app.add_subcommand(
      "validate", "Check lightshuttle.yml and report every problem with file:line:column");
  validateCmd->add_option("-f,--file", validate.file,
                          "Manifest to check (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
                          "or .yaml in this directory or a parent)");
  validateCmd->add_flag("--strict", validate.strict,
                        "Fail on warnings too (untagged or latest images, publishing on 0.0.0.0)");
  validateCmd->footer(
      "Examples:\n"
      "  lightshuttle validate\n"
      "  lightshuttle validate --strict -f examples/basic/lightshuttle.yml\n"
      "Exit status: 0 valid, 2 invalid (or warnings with --strict) or no manifest found, "
      "1 unreadable file.\n");

  ls::cli::ConfigOptions config;
  auto* configCmd = app.add_subcommand(
      "config", "Print the manifest as it will run: defaults filled in, secrets masked");
  configCmd->add_option("-f,--file", config.file,
                        "Manifest to print (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
                        "or .yaml in this directory or a parent)");
  configCmd->footer(
      "Examples:\n"
      "  lightshuttle config\n"
      "  lightshuttle config -f examples/basic/lightshuttle.yml > resolved.yml\n"
      "Passwords and secrets print as ******** (a generated password as <generated>);\n"
      "${...} references print as written.\n"
      "Exit status: 0 ok, 2 invalid manifest or none found, 1 other failure.\n");

  ls::cli::SecretsCheckOptions secrets;
  auto* secretsCmd = app.add_subcommand("secrets", "Inspect the variables and secrets a manifest needs");
  secretsCmd->require_subcommand(1);
  auto* secretsCheckCmd = secretsCmd->add_subcommand(
      "check", "List every ${env.X} the manifest uses: set, defaulted or missing (values are never shown)");
  secretsCheckCmd->add_option("-f,--file", secrets.file,
                              "Manifest to check (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
                              "or .yaml in this directory or a parent)");
  secretsCheckCmd->add_option("--env-file", secrets.envFile,
                              "Variables file laid over the environment (default: .env next to the "
                              "manifest)");
  secretsCheckCmd->add_flag("--json", secrets.json, "Print the report as JSON on stdout");
  secretsCheckCmd->footer(
      "Examples:\n"
      "  lightshuttle secrets check\n"
      "  lightshuttle secrets check --env-file ci.env --json\n"
      "Exit status: 0 all set or defaulted, 1 some missing, 2 invalid manifest or none found.\n");

  ls::cli::PsOptions ps;
  auto* psCmd = app.add_subcommand("ps", "List the project's containers (found by label)");
  psCmd->add_option("-f,--file", ps.file, "Manifest naming the project (default: discovery)");
  psCmd->add_option("-p,--project", ps.project, "Project name (instead of reading the manifest)");
  psCmd->add_option("--format", ps.format, "Output format")->check(CLI::IsMember({"table", "json"}));
  psCmd->add_flag("-a,--all", ps.all, "Show stopped containers too");
  psCmd->footer(
      "Examples:\n"
      "  lightshuttle ps\n"
      "  lightshuttle ps -a --format json\n"
      "  lightshuttle ps -p basic\n");

  ls::cli::DownOptions down;
  std::string downTimeout = "10s";
  auto* downCmd = app.add_subcommand(
      "down", "Stop and remove the project's containers and network (works from labels alone)");
  downCmd->add_option("-f,--file", down.file, "Manifest naming the project (default: discovery)");
  downCmd->add_option("-p,--project", down.project, "Project name (instead of reading the manifest)");
  downCmd->add_flag("-v,--volumes", down.volumes, "Also remove the named volumes the containers used");
  downCmd->add_option("-t,--timeout", downTimeout, "Grace period before SIGKILL (e.g. 10s, 500ms)");
  downCmd->footer(
      "Examples:\n"
      "  lightshuttle down\n"
      "  lightshuttle down --volumes --timeout 2s\n"
      "  lightshuttle down -p basic        # no manifest needed\n"
      "Exit status: 0 everything removed, 1 something could not be removed.\n");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ls::cli::kExitOk : ls::cli::kExitUsage;
  }

  if (doctorCmd->parsed()) {
    return ls::cli::runDoctor(doctor);
  }
  if (validateCmd->parsed()) {
    return ls::cli::runValidate(validate);
  }
  if (psCmd->parsed()) {
    return ls::cli::runPs(ps);
  }
  if (downCmd->parsed()) {
    auto grace = ls::manifest::parseDuration(downTimeout);
    if (!grace) {
      std::fprintf(stderr, "error: --timeout: %s\n", grace.error().what().c_str());
      return ls::cli::kExitUsage;
    }
    down.timeout = *grace;
    return ls::cli::runDown(down);
  }
  if (secretsCheckCmd->parsed()) {
    return ls::cli::runSecretsCheck(secrets);
  }
  if (configCmd->parsed()) {
    return ls::cli::runConfig(config);
  }
  return ls::cli::kExitUsage;
}
