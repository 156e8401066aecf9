#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"
#include "engine/timestamp.hpp"
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

  ls::cli::UpOptions up;
  std::string upTimeout;
  bool upWait = false;
  auto* upCmd = app.add_subcommand(
      "up", "Boot the stack in dependency order, supervise it, and tear it down on Ctrl+C");
  upCmd->add_option("resources", up.resources, "Only these resources (and what they depend on)");
  upCmd->add_option("-f,--file", up.file, "Manifest (default: LIGHTSHUTTLE_FILE, else discovery)");
  upCmd->add_option("--env-file", up.envFile, "Variables file (default: .env next to the manifest)");
  upCmd->add_flag("-d,--detach", up.detach,
                  "Return once every resource is ready; a supervisor keeps running in the background");
  upCmd->add_flag("--wait", upWait, "Same as --detach: wait until ready, then return");
  upCmd->add_option("--timeout", upTimeout,
                    "Start timeout per resource (default: from its healthcheck, at least 30s)");
  upCmd->add_flag("--no-color", up.noColor, "No colours (NO_COLOR is honoured too)");
  upCmd->add_flag("--keep-on-failure", up.keepOnFailure,
                  "Leave started resources running when the boot fails (for debugging)");
  upCmd->add_option("--progress", up.progress, "Progress output on stderr")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));
  upCmd->footer(
      "Examples:\n"
      "  lightshuttle up                      # attached: progress, then logs; Ctrl+C stops all\n"
      "  lightshuttle up -d                   # return when ready; `lightshuttle down` stops it\n"
      "  lightshuttle up web --timeout 2m     # web and what it depends on\n"
      "  lightshuttle up --progress json 2> events.jsonl\n"
      "A second Ctrl+C kills everything at once.\n"
      "Exit status: 0 ok, 1 boot failed, 2 invalid manifest, 130 interrupted.\n");

  ls::cli::LogsOptions logs;
  std::string logsTail;
  std::string logsSince;
  auto* logsCmd = app.add_subcommand("logs", "Show the project's logs, prefixed with the resource name");
  logsCmd->add_option("resources", logs.resources, "Only these resources");
  logsCmd->add_option("--file", logs.file, "Manifest naming the project (default: discovery)");
  logsCmd->add_option("-p,--project", logs.project, "Project name (instead of reading the manifest)");
  logsCmd->add_flag("-f,--follow", logs.follow, "Keep following new output");
  logsCmd->add_option("-n,--tail", logsTail, "Only the last N lines of each resource");
  logsCmd->add_option("--since", logsSince, "Only output newer than this: a duration (10m) or RFC 3339 time");
  logsCmd->add_flag("-t,--timestamps", logs.timestamps, "Prefix each line with its time");
  logsCmd->add_flag("--no-color", logs.noColor, "No colours");
  logsCmd->add_flag("--no-log-prefix", logs.noPrefix, "Do not prefix lines with the resource name");
  logsCmd->footer(
      "Examples:\n"
      "  lightshuttle logs\n"
      "  lightshuttle logs -f --tail 20 web\n"
      "  lightshuttle logs --since 5m -t db\n"
      "Note: here -f means --follow (as in docker compose); name a manifest with --file.\n");

  ls::cli::ExecOptions exec;
  auto* execCmd = app.add_subcommand("exec", "Run a command in a resource's running container");
  execCmd->add_option("resource", exec.resource, "The resource")->required();
  execCmd->add_option("command", exec.command, "The command and its arguments (after --)")->required();
  execCmd->add_option("--file", exec.file, "Manifest naming the project (default: discovery)");
  execCmd->add_option("-p,--project", exec.project, "Project name (instead of reading the manifest)");
  execCmd->add_option("-e,--env", exec.env, "Set an environment variable (KEY=value)");
  execCmd->add_option("-w,--workdir", exec.workdir, "Working directory inside the container");
  execCmd->add_option("-u,--user", exec.user, "User to run as");
  execCmd->add_flag("-i,--interactive", exec.interactive, "Keep stdin open (not supported yet)");
  execCmd->add_flag("-t,--tty", exec.tty, "Allocate a TTY (not supported yet)");
  execCmd->footer(
      "Examples:\n"
      "  lightshuttle exec db -- psql -U app -c 'select 1'\n"
      "  lightshuttle exec cache -- redis-cli -a \"$PASSWORD\" ping\n"
      "Exit status: the command's own, or 1 when it could not be run.\n");

  ls::cli::RestartOptions restart;
  std::string restartTimeout;
  auto* restartCmd = app.add_subcommand(
      "restart", "Recreate resources from the manifest and wait until they are ready again");
  restartCmd->add_option("resources", restart.resources, "Resources to restart")->required();
  restartCmd->add_option("-f,--file", restart.file, "Manifest (default: discovery)");
  restartCmd->add_option("--env-file", restart.envFile, "Variables file (default: .env)");
  restartCmd->add_option("--timeout", restartTimeout, "How long to wait for readiness");
  restartCmd->footer(
      "Examples:\n"
      "  lightshuttle restart db\n"
      "  lightshuttle restart web worker --timeout 1m\n"
      "Dependents keep running.\n");

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
  if (upCmd->parsed()) {
    if (!upTimeout.empty()) {
      auto t = ls::manifest::parseDuration(upTimeout);
      if (!t) {
        std::fprintf(stderr, "error: --timeout: %s\n", t.error().what().c_str());
        return ls::cli::kExitUsage;
      }
      up.timeout = *t;
    }
    up.detach = up.detach || upWait;
    return ls::cli::runUp(up);
  }
  if (logsCmd->parsed()) {
    if (!logsTail.empty()) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(logsTail.c_str(), &end, 10);
      if (end == logsTail.c_str() || *end != '\0') {
        std::fprintf(stderr, "error: --tail: '%s' is not a line count\n", logsTail.c_str());
        return ls::cli::kExitUsage;
      }
      logs.tail = n;
    }
    if (!logsSince.empty()) {
      if (auto d = ls::manifest::parseDuration(logsSince)) {
        logs.since = std::chrono::system_clock::now() -
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(*d);
      } else if (auto t = ls::engine::parseRfc3339(logsSince)) {
        logs.since = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t);
      } else {
        std::fprintf(stderr, "error: --since: '%s' is neither a duration (10m) nor an RFC 3339 time\n",
                     logsSince.c_str());
        return ls::cli::kExitUsage;
      }
    }
    return ls::cli::runLogs(logs);
  }
  if (execCmd->parsed()) {
    return ls::cli::runExec(exec);
  }
  if (restartCmd->parsed()) {
    if (!restartTimeout.empty()) {
      auto t = ls::manifest::parseDuration(restartTimeout);
      if (!t) {
        std::fprintf(stderr, "error: --timeout: %s\n", t.error().what().c_str());
        return ls::cli::kExitUsage;
      }
      restart.timeout = *t;
    }
    return ls::cli::runRestart(restart);
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
