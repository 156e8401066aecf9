// One classification of Engine HTTP errors by status code. Never by message text.
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

/// "<operation>: <engine message>" with the engine origin attached.
Error classifyResponse(int status, std::string_view body, std::string_view operation);

}  // namespace ls::engine
