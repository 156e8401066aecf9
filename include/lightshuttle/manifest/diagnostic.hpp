// File: lightshuttle/manifest/diagnostic.hpp
//
// Manifest problems, reported all at once and rendered like a compiler's:
//
//   lightshuttle.yml:7:11: error: resources.api.ports[1]: invalid port mapping '80:80:80:80': ...
//       7 |       - "80:80:80:80"
//         |         ^
//     help: did you mean 'ports'?
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/error.hpp"

namespace ls::manifest {

enum class Severity { Error, Warning };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLocation location;  ///< 1-based line/column; line 0 = the file as a whole
  std::string message;      ///< what is wrong and what is accepted
  std::string help;         ///< optional suggestion ("did you mean 'ports'?")

  /// The diagnostic as an `ls::Error` (InvalidArgument, with the location attached).
  Error toError() const;
};

/// Renders one diagnostic: the header line, then (when the location has a line present in
/// `source`) the offending line with a caret under the column, then the help line. Ends with a
/// newline. `color` adds ANSI colors to the header.
std::string renderDiagnostic(const Diagnostic& d, std::string_view source, bool color = false);

/// Counts diagnostics of one severity.
std::size_t countSeverity(const std::vector<Diagnostic>& ds, Severity s);

}  // namespace ls::manifest
