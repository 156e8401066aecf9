#include "control/router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ls::control::detail {
namespace {

using namespace std::string_literals;

std::string_view kindName(RouteKind k) {
  switch (k) {
    case RouteKind::Healthz: return "Healthz";
    case RouteKind::Login: return "Login";
    case RouteKind::Stack: return "Stack";
    case RouteKind::StackStop: return "StackStop";
    case RouteKind::Watch: return "Watch";
    case RouteKind::Resources: return "Resources";
    case RouteKind::Resource: return "Resource";
    case RouteKind::ResourceOp: return "ResourceOp";
    case RouteKind::Logs: return "Logs";
    case RouteKind::LogsSocket: return "LogsSocket";
    case RouteKind::StatsSocket: return "StatsSocket";
    case RouteKind::ExecSocket: return "ExecSocket";
    case RouteKind::EventsSocket: return "EventsSocket";
    case RouteKind::DashboardInfo: return "DashboardInfo";
    case RouteKind::Metrics: return "Metrics";
    case RouteKind::Asset: return "Asset";
    case RouteKind::NotFound: return "NotFound";
    case RouteKind::MethodNotAllowed: return "MethodNotAllowed";
    case RouteKind::BadRequest: return "BadRequest";
  }
  return "?";
}

struct RouteCase {
  std::string method;
  std::string target;
  RouteKind kind;
  std::string resource;
  std::string op;
};

// Every route of docs/control-api.md, with the method it answers to.
const std::vector<RouteCase>& documentedRoutes() {
  static const std::vector<RouteCase> cases = {
      {"GET", "/healthz", RouteKind::Healthz, "", ""},
      {"GET", "/login?token=abc", RouteKind::Login, "", ""},
      {"GET", "/api/v1/stack", RouteKind::Stack, "", ""},
      {"GET", "/api/v1/resources", RouteKind::Resources, "", ""},
      {"GET", "/api/v1/resources/db", RouteKind::Resource, "db", ""},
      {"POST", "/api/v1/resources/db/restart", RouteKind::ResourceOp, "db", "restart"},
      {"POST", "/api/v1/resources/db/stop", RouteKind::ResourceOp, "db", "stop"},
      {"POST", "/api/v1/resources/db/start", RouteKind::ResourceOp, "db", "start"},
      {"POST", "/api/v1/stack/stop", RouteKind::StackStop, "", ""},
      {"POST", "/api/v1/watch", RouteKind::Watch, "", "start"},
      {"POST", "/api/v1/watch/stop", RouteKind::Watch, "", "stop"},
      {"GET", "/api/v1/resources/db/logs?tail=10&since=2026-12-01T20:44:03Z&follow=1",
       RouteKind::Logs, "db", ""},
      {"GET", "/api/v1/resources/db/logs/ws?tail=5", RouteKind::LogsSocket, "db", ""},
      {"GET", "/api/v1/events/ws", RouteKind::EventsSocket, "", ""},
      {"GET", "/api/v1/resources/db/stats/ws", RouteKind::StatsSocket, "db", ""},
      {"GET", "/api/v1/resources/db/exec/ws?cmd=sh&cols=80&rows=24", RouteKind::ExecSocket, "db",
       ""},
      {"GET", "/api/v1/dashboard", RouteKind::DashboardInfo, "", ""},
      {"GET", "/metrics", RouteKind::Metrics, "", ""},
      {"GET", "/", RouteKind::Asset, "", ""},
      {"GET", "/assets/app.js", RouteKind::Asset, "", ""},
  };
  return cases;
}

TEST(RouterTest, RoutesEveryDocumentedRoute) {
  // Ensures each route of docs/control-api.md maps to its kind, with the resource name and the
  // operation taken from the path.
  for (const RouteCase& c : documentedRoutes()) {
    const Route r = route(c.method, c.target);
    EXPECT_EQ(kindName(r.kind), kindName(c.kind)) << c.method << " " << c.target;
    EXPECT_EQ(r.resource, c.resource) << c.target;
    EXPECT_EQ(r.op, c.op) << c.target;
    EXPECT_TRUE(r.allow.empty()) << c.target;
  }
}

TEST(RouterTest, AnswersHeadLikeGet) {
  // Ensures HEAD reaches every GET route (HTTP/1.1 requires it) and not the POST ones.
  for (const RouteCase& c : documentedRoutes()) {
    const Route r = route("HEAD", c.target);
    if (c.method == "GET") {
      EXPECT_EQ(kindName(r.kind), kindName(c.kind)) << c.target;
    } else {
      EXPECT_EQ(kindName(r.kind), "MethodNotAllowed") << c.target;
    }
  }
}

TEST(RouterTest, RefusesOtherMethodsWithTheAllowHeader) {
  // Ensures every documented path answers a method it does not serve with MethodNotAllowed and
  // an Allow header naming the one it does (405, not 404: the path exists).
  for (const RouteCase& c : documentedRoutes()) {
    for (const std::string& method :
         {"GET"s, "POST"s, "PUT"s, "DELETE"s, "PATCH"s, "OPTIONS"s, "get"s, "TRACE"s, ""s}) {
      if (method == c.method || (c.method == "GET" && method == "HEAD")) {
        continue;
      }
      const Route r = route(method, c.target);
      EXPECT_EQ(kindName(r.kind), "MethodNotAllowed") << method << " " << c.target;
      EXPECT_EQ(r.allow, c.method) << method << " " << c.target;
    }
  }
}

TEST(RouterTest, DecodesResourceNamesFromOneSegment) {
  // Ensures the {name} segment is percent-decoded and an encoded slash stays inside the name
  // rather than splitting the path.
  struct Case {
    std::string target;
    RouteKind kind;
    std::string resource;
  };
  const std::vector<Case> cases = {
      {"/api/v1/resources/my%2Fdb", RouteKind::Resource, "my/db"},
      {"/api/v1/resources/my%2fdb/restart", RouteKind::MethodNotAllowed, "my/db"},
      {"/api/v1/resources/my%2Fdb/logs", RouteKind::Logs, "my/db"},
      {"/api/v1/resources/a%20b", RouteKind::Resource, "a b"},
      {"/api/v1/resources/a%00b", RouteKind::Resource, "a\0b"s},
      {"/api/v1/resources/%C3%A9t%C3%A9", RouteKind::Resource, "\xC3\xA9t\xC3\xA9"},
      {"/api/v1/resources/%2e%2e", RouteKind::Resource, ".."},
      {"/api/v1/resources/db%3Frestart", RouteKind::Resource, "db?restart"},
      {"/api/v1/resources/a+b", RouteKind::Resource, "a+b"},
      {"/api/v1/resources/%64%62", RouteKind::Resource, "db"},
  };
  for (const Case& c : cases) {
    const Route r = route("GET", c.target);
    EXPECT_EQ(kindName(r.kind), kindName(c.kind)) << c.target;
    EXPECT_EQ(r.resource, c.resource) << c.target;
  }
  const Route op = route("POST", "/api/v1/resources/my%2Fdb/restart");
  EXPECT_EQ(kindName(op.kind), "ResourceOp");
  EXPECT_EQ(op.resource, "my/db");
  EXPECT_EQ(op.op, "restart");
}

TEST(RouterTest, TreatsOneTrailingSlashAsTheSameRoute) {
  // Ensures "/api/v1/resources/" is "/api/v1/resources" (and so for the others), while empty
  // segments inside a path or a name never match a route.
  struct Case {
    std::string method;
    std::string target;
    RouteKind kind;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/resources/", RouteKind::Resources},
      {"GET", "/api/v1/stack/", RouteKind::Stack},
      {"GET", "/healthz/", RouteKind::Healthz},
      {"GET", "/api/v1/resources/db/", RouteKind::Resource},
      {"POST", "/api/v1/resources/db/restart/", RouteKind::ResourceOp},
      {"GET", "/api/v1/events/ws/", RouteKind::EventsSocket},
      {"GET", "/api/v1/resources//", RouteKind::NotFound},
      {"POST", "/api/v1/resources//restart", RouteKind::NotFound},
      {"GET", "/api/v1/resources/db//", RouteKind::NotFound},
      {"GET", "/api//v1/resources", RouteKind::NotFound},
      {"GET", "//healthz", RouteKind::NotFound},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(kindName(route(c.method, c.target).kind), kindName(c.kind)) << c.target;
  }
}

TEST(RouterTest, ParsesTheQueryWithTheLastOfRepeatedKeys) {
  // Ensures the query is decoded into a map where a repeated key keeps its last value and a key
  // without "=" has an empty value.
  struct Case {
    std::string target;
    std::map<std::string, std::string> query;
  };
  const std::vector<Case> cases = {
      {"/api/v1/resources/db/logs", {}},
      {"/api/v1/resources/db/logs?tail=10", {{"tail", "10"}}},
      {"/api/v1/resources/db/logs?tail=10&tail=20", {{"tail", "20"}}},
      {"/api/v1/resources/db/logs?follow", {{"follow", ""}}},
      {"/api/v1/resources/db/logs?follow=", {{"follow", ""}}},
      {"/api/v1/resources/db/logs?tail=1&follow&tail=3", {{"tail", "3"}, {"follow", ""}}},
      {"/api/v1/resources/db/logs?since=2026-12-01T20%3A44%3A03%2B01%3A00",
       {{"since", "2026-12-01T20:44:03+01:00"}}},
      {"/api/v1/resources/db/logs?a=b=c", {{"a", "b=c"}}},
      {"/api/v1/resources/db/logs?%74ail=5", {{"tail", "5"}}},
  };
  for (const Case& c : cases) {
    const Route r = route("GET", c.target);
    EXPECT_EQ(kindName(r.kind), "Logs") << c.target;
    EXPECT_EQ(r.query, c.query) << c.target;
  }
}

TEST(RouterTest, AnswersUnknownPathsWithNotFound) {
  // Ensures paths outside the documented set are NotFound whatever the method (no 405 that would
  // reveal a near miss) and carry no Allow header.
  const std::vector<std::string> targets = {
      "/nope",
      "/api",
      "/api/v1",
      "/api/v2/resources",
      "/API/v1/resources",
      "/api/v1/resource",
      "/api/v1/resources/db/restart/now",
      "/api/v1/resources/db/kill",
      "/api/v1/resources/db/ws",
      "/api/v1/resources/db/shell/ws",
      "/api/v1/resources/db/logs/ws/x",
      "/api/v1/stack/start",
      "/api/v1/stack/stop/now",
      "/api/v1/events",
      "/api/v1/events/ws/x",
      "/api/v1/dashboard/x",
      "/healthz/x",
      "/metrics/x",
      "/assets",
      "/assets/",
      "/assets/js/app.js",
      "/login/x",
  };
  for (const std::string& t : targets) {
    for (const char* method : {"GET", "POST"}) {
      const Route r = route(method, t);
      EXPECT_EQ(kindName(r.kind), "NotFound") << method << " " << t;
      EXPECT_TRUE(r.allow.empty()) << t;
    }
  }
}

TEST(RouterTest, RefusesTargetsThatAreNotAnOriginFormWithoutCrashing) {
  // Ensures request targets a browser or a fuzzer could send that are not "/path?query"
  // (absolute form, asterisk, empty, bad escapes, huge) are BadRequest or NotFound, never a route.
  const std::string longName(100000, 'a');
  struct Case {
    std::string target;
  };
  const std::vector<Case> cases = {
      {"http://x/abs"},
      {"http://127.0.0.1:41234/api/v1/resources"},
      {"*"},
      {""},
      {"//"},
      {"///"},
      {"api/v1/resources"},
      {"/api/v1/resources/%"},
      {"/api/v1/resources/%zz"},
      {"/api/v1/resources/%2"},
      {"/api/v1/resources/a b"},
      {"/api/v1/resources#frag"},
      {"/api/v1/resources/db\r\n"},
      {"/"s + longName},
      {"/api/v1/resources/db/"s + longName},
      {std::string(50000, '/')},
      {"/api/v1/resources/\xff\xfe"},
  };
  for (const Case& c : cases) {
    const Route r = route("GET", c.target);
    EXPECT_TRUE(r.kind == RouteKind::BadRequest || r.kind == RouteKind::NotFound)
        << c.target.substr(0, 80) << " gave " << kindName(r.kind);
  }
  EXPECT_EQ(kindName(route("GET", "http://x/abs").kind), "BadRequest");
  EXPECT_EQ(kindName(route("GET", "*").kind), "BadRequest");
  EXPECT_EQ(kindName(route("GET", "").kind), "BadRequest");
}

TEST(RouterTest, KeepsVeryLongNamesAndQueriesWhole) {
  // Ensures a long but well-formed name or query is routed as such (the lookup, not the
  // router, answers 404 for an unknown name).
  const std::string name(20000, 'x');
  const Route r = route("GET", "/api/v1/resources/" + name);
  EXPECT_EQ(kindName(r.kind), "Resource");
  EXPECT_EQ(r.resource, name);
  const Route logs = route("GET", "/api/v1/resources/db/logs?" + name + "=" + name + "/x/y");
  EXPECT_EQ(kindName(logs.kind), "Logs");
  ASSERT_EQ(logs.query.size(), 1u);
  EXPECT_EQ(logs.query.begin()->first, name);
  EXPECT_EQ(logs.query.begin()->second, name + "/x/y");
}

TEST(RouterTest, ClassifiesApiAndSocketRoutes) {
  // Ensures isApi covers the JSON routes (Cache-Control: no-store) but not the dashboard, the
  // login page or errors before routing, and isSocket exactly the four WebSocket routes.
  struct Case {
    RouteKind kind;
    bool api;
    bool socket;
  };
  const std::vector<Case> cases = {
      {RouteKind::Healthz, true, false},
      {RouteKind::Login, false, false},
      {RouteKind::Stack, true, false},
      {RouteKind::StackStop, true, false},
      {RouteKind::Resources, true, false},
      {RouteKind::Resource, true, false},
      {RouteKind::ResourceOp, true, false},
      {RouteKind::Logs, true, false},
      {RouteKind::LogsSocket, true, true},
      {RouteKind::StatsSocket, true, true},
      {RouteKind::ExecSocket, true, true},
      {RouteKind::EventsSocket, true, true},
      {RouteKind::DashboardInfo, true, false},
      {RouteKind::Metrics, true, false},
      {RouteKind::Asset, false, false},
      {RouteKind::NotFound, false, false},
      {RouteKind::MethodNotAllowed, true, false},
      {RouteKind::BadRequest, false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(isApi(c.kind), c.api) << kindName(c.kind);
    EXPECT_EQ(isSocket(c.kind), c.socket) << kindName(c.kind);
  }
}

TEST(RouterTest, NormalisesTheAssetPath) {
  // Ensures "/" and "/assets/{file}" route to the dashboard with the path it should serve, the
  // file name decoded.
  EXPECT_EQ(route("GET", "/").path, "/");
  EXPECT_EQ(route("GET", "/?x=1").path, "/");
  EXPECT_EQ(route("GET", "/assets/app.js").path, "/assets/app.js");
  EXPECT_EQ(route("GET", "/assets/app%2Ejs").path, "/assets/app.js");
}

}  // namespace
}  // namespace ls::control::detail
