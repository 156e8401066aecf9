// Routing of the control API: a request line (method + target) to a route, with the resource
// name percent-decoded and the query parsed. Pure (no I/O); fuzzed with the request path.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ls::control::detail {

enum class RouteKind {
  Healthz,        ///< GET /healthz
  Login,          ///< GET /login?token=
  Stack,          ///< GET /api/v1/stack
  StackStop,      ///< POST /api/v1/stack/stop
  Watch,          ///< POST /api/v1/watch, POST /api/v1/watch/stop (op "start" | "stop")
  Resources,      ///< GET /api/v1/resources
  Resource,       ///< GET /api/v1/resources/{name}
  ResourceOp,     ///< POST /api/v1/resources/{name}/{restart|stop|start}
  Logs,           ///< GET /api/v1/resources/{name}/logs
  LogsSocket,     ///< GET (WS) /api/v1/resources/{name}/logs/ws
  StatsSocket,    ///< GET (WS) /api/v1/resources/{name}/stats/ws
  ExecSocket,     ///< GET (WS) /api/v1/resources/{name}/exec/ws
  EventsSocket,   ///< GET (WS) /api/v1/events/ws
  DashboardInfo,  ///< GET /api/v1/dashboard (unix socket only: the login URL)
  Metrics,        ///< GET /metrics
  Asset,          ///< GET / and /assets/... (the dashboard)
  NotFound,
  MethodNotAllowed,
  BadRequest,  ///< an unparsable target
};

struct Route {
  RouteKind kind = RouteKind::NotFound;
  std::string path;                          ///< decoded path
  std::string resource;                      ///< decoded {name}
  std::string op;                            ///< restart | stop | start
  std::map<std::string, std::string> query;  ///< decoded; the last of repeated keys wins
  std::string allow;                         ///< for MethodNotAllowed: the Allow header
};

/// True for the API routes (JSON answers, Cache-Control: no-store).
bool isApi(RouteKind kind) noexcept;
/// True for the WebSocket routes.
bool isSocket(RouteKind kind) noexcept;

Route route(std::string_view method, std::string_view target);

}  // namespace ls::control::detail
