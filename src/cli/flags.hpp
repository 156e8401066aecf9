// The command table's plumbing, private to the CLI: the options given before the verb, what a
// verb's file registers (its subcommand, flags and run callback), and the flag readers and
// spellings every verb shares. Each verb file defines `registerX(Registrar&)`; table.cpp lists
// them; main.cpp builds the app from that list and runs the parsed verb.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace ls::lifecycle {
struct ResourceView;
}  // namespace ls::lifecycle

namespace ls::cli {

/// The options accepted before the verb (`lightshuttle -f x.yml -p demo up`), as in docker
/// compose. A verb's own spelling of the same option wins when both are given.
struct GlobalOptions {
  std::string file;              ///< -f/--file: the manifest
  std::string project;           ///< -p/--project-name: overrides the manifest's project name
  std::string envFile;           ///< --env-file
  std::string projectDirectory;  ///< --project-directory: the directory the verb runs in
  bool noColor = false;          ///< --no-color
  std::string progress;  ///< --progress: auto | tty | plain | json; empty = the verb's default
};

/// What a verb's registration function gets. `global` is filled by parsing, so read it in the
/// run callback, not while registering.
class Registrar {
 public:
  Registrar(CLI::App& app, const GlobalOptions& global) : app_(app), global_(global) {}

  CLI::App& app() const { return app_; }
  const GlobalOptions& global() const { return global_; }

  /// Adds the verb `name` under the root and binds it to `run` (the verb's exit code).
  CLI::App* verb(const std::string& name, const std::string& description, std::function<int()> run);
  /// Binds an already-added (sub)command to `run` (for nested verbs such as `secrets check`).
  void bind(CLI::App* cmd, std::function<int()> run);

  /// The run callback of the parsed verb, or null.
  const std::function<int()>* parsed() const;

 private:
  struct Bound {
    CLI::App* cmd;
    std::function<int()> run;
  };
  CLI::App& app_;
  const GlobalOptions& global_;
  std::vector<Bound> bound_;
};

using RegisterFn = void (*)(Registrar&);

/// The command table: every verb's registration function, in help order (table.cpp).
const std::vector<RegisterFn>& commandTable();

// ---- shared flag spellings -------------------------------------------------------------------

inline constexpr const char* kFileHelp = "Manifest (default: LIGHTSHUTTLE_FILE, else discovery)";

/// `-f,--file` (or only `--file` when `shortF` is false, as in `logs` where -f is follow).
CLI::Option* addFileFlag(CLI::App& cmd, std::string& file, const char* help = kFileHelp,
                         bool shortF = true);
/// `-p,--project,--project-name`: act on the project by name, without reading a manifest.
CLI::Option* addProjectFlag(CLI::App& cmd, std::string& project);
/// `--env-file`.
CLI::Option* addEnvFileFlag(CLI::App& cmd, std::string& envFile);
/// The positional list of resource names (completion offers the manifest's names there).
CLI::Option* addResourcesArg(CLI::App& cmd, std::vector<std::string>& resources, const char* help);
/// One positional resource name.
CLI::Option* addResourceArg(CLI::App& cmd, std::string& resource, const char* help);

/// The verb's value when given, else the global one.
void inherit(std::string& verbValue, const std::string& globalValue);

inline constexpr const char* kProjectFileHelp = "Manifest naming the project (default: discovery)";

/// Adds the verb `name` that acts on one project, for options `O` with `file` and `project`
/// members: `-f,--file` (the manifest naming the project) and `-p,--project` bound to them, each
/// given its global spelling when the verb's is not, then `run(*options)` (the exit code).
template <typename O, typename Run>
CLI::App* projectVerb(Registrar& r, const std::string& name, const std::string& description,
                      std::shared_ptr<O> options, Run run) {
  const GlobalOptions& g = r.global();
  CLI::App* cmd = r.verb(name, description, [options, &g, run] {
    inherit(options->file, g.file);
    inherit(options->project, g.project);
    return run(*options);
  });
  addFileFlag(*cmd, options->file, kProjectFileHelp);
  addProjectFlag(*cmd, options->project);
  return cmd;
}

// ---- shared flag readers (false: the error is printed, exit with kExitUsage) -----------------

/// A duration flag such as `--timeout 30s` (empty text: left unset).
bool durationFlag(const char* flag, const std::string& text,
                  std::optional<std::chrono::nanoseconds>& out);

// ---- shared rendering (render.cpp) ---------------------------------------------------------

/// The published endpoints of `views`, one line each, names aligned: `web  http://127.0.0.1:18080/`
/// for ports that look like HTTP, else `db   127.0.0.1:15432`.
std::vector<std::string> endpointLines(const std::vector<lifecycle::ResourceView>& views);

/// The completion script for `shell` (bash, zsh or fish) from the app's verbs (completion.cpp).
std::string completionScript(const CLI::App& app, const std::string& shell);

/// `-p` before the verb: every manifest a verb loads from now on carries this project name
/// (validate.cpp applies it in loadManifestForCommand). Empty: the manifest's own.
void overrideProjectName(std::string name);

}  // namespace ls::cli
