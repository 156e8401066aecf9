// File: lightshuttle/core/error.hpp
//
// The one error vocabulary of LightShuttle. Every fallible operation in the library returns
// `Result<T>` (see result.hpp) whose error is an `ls::Error`: a canonical category (`Errc`) that
// callers branch on, a human message, a chain of context added as the error rises, and optional
// origin details (the Engine's HTTP status and message, or a file:line:column in a manifest).
//
// Example:
//   return ls::Error(ls::Errc::NotFound, "no such container 'demo_db'")
//       .withEngine(404, "No such container: demo_db");
//   ...
//   err.context("starting resource 'db'");   // "starting resource 'db': no such container ..."
//
// Messages are lowercase, carry no trailing period, and quote identifiers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ls {

/// Canonical error categories. Branch on these, never on message text.
enum class Errc {
  Ok = 0,
  NotFound,
  AlreadyExists,
  Conflict,
  InvalidArgument,
  FailedPrecondition,
  Unavailable,
  Timeout,
  Cancelled,
  PermissionDenied,
  Unsupported,
  Internal,
};

/// Lowercase name of a category ("not_found", ...), stable for JSON output and logs.
std::string_view errcName(Errc code) noexcept;

/// The std::error_category of `Errc`, so that `std::error_code`s made from it compare with ours.
const std::error_category& errcCategory() noexcept;
std::error_code make_error_code(Errc code) noexcept;

/// Where in a file an error was found. Line and column are 1-based.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;  ///< field path, e.g. "resources.api.ports[1]"; may be empty
};

/// What the Docker Engine said when it refused a request.
struct EngineOrigin {
  int status = 0;       ///< HTTP status code
  std::string message;  ///< the engine's "message", or the raw body when it was not JSON
};

class Error {
 public:
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  Errc code() const noexcept { return code_; }
  /// The innermost message, without context.
  const std::string& message() const noexcept { return message_; }
  /// Context frames, outermost last (in the order they were added).
  const std::vector<std::string>& contexts() const noexcept { return contexts_; }
  const std::optional<EngineOrigin>& engine() const noexcept { return engine_; }
  const std::optional<SourceLocation>& location() const noexcept { return location_; }
  /// A stable, machine-readable refinement of the category, e.g. "build_failed",
  /// "port_allocated", "exited_before_ready"; empty when none applies.
  const std::string& reason() const noexcept { return reason_; }

  /// Adds a context frame ("starting resource 'db'"); rendered outermost first.
  Error& context(std::string frame) &;
  Error&& context(std::string frame) &&;
  Error& withEngine(int status, std::string message) &;
  Error&& withEngine(int status, std::string message) &&;
  Error& withLocation(SourceLocation loc) &;
  Error&& withLocation(SourceLocation loc) &&;
  Error& withReason(std::string reason) &;
  Error&& withReason(std::string reason) &&;

  /// "outer: inner: message", then " (engine 404: ...)" when an engine origin is present and
  /// its message differs from ours. File locations are rendered by the caller's diagnostics.
  std::string what() const;

 private:
  Errc code_;
  std::string message_;
  std::vector<std::string> contexts_;
  std::optional<EngineOrigin> engine_;
  std::optional<SourceLocation> location_;
  std::string reason_;
};

}  // namespace ls

template <>
struct std::is_error_code_enum<ls::Errc> : std::true_type {};
