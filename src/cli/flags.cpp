#include "cli/flags.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "lightshuttle/manifest/grammar.hpp"

namespace ls::cli {

CLI::App* Registrar::verb(const std::string& name, const std::string& description,
                          std::function<int()> run) {
  CLI::App* cmd = app_.add_subcommand(name, description);
  bind(cmd, std::move(run));
  return cmd;
}

void Registrar::bind(CLI::App* cmd, std::function<int()> run) {
  bound_.push_back(Bound{cmd, std::move(run)});
}

const std::function<int()>* Registrar::parsed() const {
  // Nested verbs were bound after their parents: the deepest parsed one is the last match.
  const std::function<int()>* out = nullptr;
  for (const Bound& b : bound_) {
    if (b.cmd->parsed()) {
      out = &b.run;
    }
  }
  return out;
}

CLI::Option* addFileFlag(CLI::App& cmd, std::string& file, const char* help, bool shortF) {
  return cmd.add_option(shortF ? "-f,--file" : "--file", file, help);
}

CLI::Option* addProjectFlag(CLI::App& cmd, std::string& project) {
  return cmd.add_option("-p,--project,--project-name", project,
                        "Project name (instead of reading the manifest)");
}

CLI::Option* addEnvFileFlag(CLI::App& cmd, std::string& envFile) {
  return cmd.add_option("--env-file", envFile,
                        "Variables file (default: .env next to the manifest)");
}

CLI::Option* addResourcesArg(CLI::App& cmd, std::vector<std::string>& resources, const char* help) {
  return cmd.add_option("resources", resources, help);
}

CLI::Option* addResourceArg(CLI::App& cmd, std::string& resource, const char* help) {
  return cmd.add_option("resource", resource, help);
}

void inherit(std::string& verbValue, const std::string& globalValue) {
  if (verbValue.empty()) {
    verbValue = globalValue;
  }
}

bool durationFlag(const char* flag, const std::string& text,
                  std::optional<std::chrono::nanoseconds>& out) {
  if (text.empty()) {
    return true;
  }
  auto d = manifest::parseDuration(text);
  if (!d) {
    std::fprintf(stderr, "error: %s: %s\n", flag, d.error().what().c_str());
    return false;
  }
  out = *d;
  return true;
}

}  // namespace ls::cli
