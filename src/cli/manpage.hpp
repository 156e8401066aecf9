// The lightshuttle(1) manual page, generated from the command table (the CLI::App that main()
// builds), so it lists exactly the verbs and flags the binary accepts.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ls::cli {

/// The whole manual (roff, man(7) macros): every verb and sub-verb with its options, positional
/// arguments and examples (the verb's help footer).
std::string manPage(const CLI::App& app, const std::string& version);

/// When argv[1] is `__man`, registers that hidden verb on `app`: it prints manPage() and exits 0
/// during parsing. The build runs it to write lightshuttle.1 (cmake/Install.cmake). Registered
/// only when asked for, so `--help` and the completion scripts never list it. Call it after
/// every other verb is added.
void addManPageVerb(CLI::App& app, int argc, char** argv, const std::string& version);

}  // namespace ls::cli
