// The composition root of `lightshuttle`: the options before the verb, then every verb of the
// command table (table.cpp), then the parsed verb's run callback.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/manpage.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace {

constexpr const char* kVersion = LS_VERSION " (commit " LS_GIT_COMMIT ")";

void addGlobalOptions(CLI::App& app, ls::cli::GlobalOptions& g) {
  app.add_option("-f,--file", g.file,
                 "Manifest (default: LIGHTSHUTTLE_FILE, else lightshuttle.yml "
                 "or .yaml in this directory or a parent)");
  app.add_option(
      "-p,--project-name", g.project,
      "Project name: acts on that project without a manifest, or renames the manifest's");
  app.add_option("--env-file", g.envFile, "Variables file (default: .env next to the manifest)");
  app.add_option("--project-directory", g.projectDirectory,
                 "Run as if started in this directory (manifest discovery starts there)");
  app.add_flag("--no-color", g.noColor, "No colours (NO_COLOR is honoured too)");
  app.add_option("--progress", g.progress, "Progress view on stderr: auto, tty, plain, json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));
}

/// Applies the options before the verb that are not per-verb values. False: the error is printed.
bool applyGlobalOptions(ls::cli::GlobalOptions& g) {
  if (!g.project.empty()) {
    if (!ls::manifest::isValidName(g.project)) {
      std::fprintf(stderr,
                   "error: -p: invalid project name '%s': expected 1 to 32 characters of a-z, 0-9, "
                   "'-' and '_', starting with a letter or digit\n",
                   g.project.c_str());
      return false;
    }
    ls::cli::overrideProjectName(g.project);
  }
  if (!g.projectDirectory.empty()) {
    // Paths given on the command line stay relative to where we were started.
    std::error_code ec;
    for (std::string* p : {&g.file, &g.envFile}) {
      if (!p->empty()) {
        *p = std::filesystem::absolute(*p, ec).string();
      }
    }
    if (::chdir(g.projectDirectory.c_str()) != 0) {
      std::fprintf(stderr, "error: --project-directory: cannot enter '%s': %s\n",
                   g.projectDirectory.c_str(), std::strerror(errno));
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe on stdout/stderr (`up | head`) must not kill us with the stack still up:
  // writes fail with EPIPE instead and the teardown still runs.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "lightshuttle: declare a stack once in lightshuttle.yml and boot it against a real "
      "container engine"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.footer(
      "Options before the verb apply to it as in docker compose (`lightshuttle -f other.yml up`);\n"
      "a verb's own spelling wins when both are given. After `logs`, -f means --follow.\n"
      "Exit status: 0 ok, 1 failure, 2 usage or invalid manifest, 130 interrupted (Ctrl+C).");

  ls::cli::GlobalOptions global;
  addGlobalOptions(app, global);
  ls::cli::Registrar registrar(app, global);
  for (ls::cli::RegisterFn add : ls::cli::commandTable()) {
    add(registrar);
  }

  ls::cli::addManPageVerb(app, argc, argv, LS_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ls::cli::kExitOk : ls::cli::kExitUsage;
  }
  if (!applyGlobalOptions(global)) {
    return ls::cli::kExitUsage;
  }
  const std::function<int()>* run = registrar.parsed();
  return run ? (*run)() : ls::cli::kExitUsage;
}
