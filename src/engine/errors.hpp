// One classification of Engine HTTP errors by status code. Never by message text, with one
// exception written here: why a container's process could not be started, which the engine says
// in its message only.
#pragma once

#include <string>
#include <string_view>

#include "lightshuttle/core/error.hpp"

namespace ls::engine {

/// 404 NotFound, 409 Conflict, 400/422 InvalidArgument, 401/403 PermissionDenied, 408/504
/// Timeout, 501 Unsupported, 502/503 Unavailable, other 5xx Internal, other 4xx InvalidArgument.
Errc errcForStatus(int status) noexcept;

/// The engine's message: `message` of a JSON body, else the raw body trimmed (bounded), else
/// the status reason.
std::string engineMessage(std::string_view body, int status);

/// The reason of a failed container start from the engine's message: "command_not_found" (the
/// command is not on PATH or its file does not exist; Docker's exit code 127),
/// "command_not_executable" (it exists but cannot be executed; 126), else empty. Docker's Engine
/// API has no field for it, only the OCI runtime's text ("exec: \"x\": executable file not found
/// in $PATH", "stat /x: no such file or directory", "permission denied"); podman appends its
/// cause ("OCI runtime attempted to invoke a command that was not found", "OCI permission
/// denied") to the same text.
std::string_view startFailureReason(std::string_view message) noexcept;

/// "<operation>: <engine message>" with the engine origin attached.
Error classifyResponse(int status, std::string_view body, std::string_view operation);

}  // namespace ls::engine
