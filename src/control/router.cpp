#include "control/router.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <vector>

namespace urls = boost::urls;

namespace ls::control::detail {
namespace {

Route make(RouteKind kind, std::string path) {
  Route r;
  r.kind = kind;
  r.path = std::move(path);
  return r;
}

Route methodCheck(Route r, std::string_view method, std::string_view allowed) {
  if (method == allowed || (allowed == "GET" && method == "HEAD")) {
    return r;
  }
  r.allow = std::string(allowed);
  r.kind = RouteKind::MethodNotAllowed;
  return r;
}

}  // namespace

bool isApi(RouteKind k) noexcept {
  return k != RouteKind::Asset && k != RouteKind::Login && k != RouteKind::NotFound &&
         k != RouteKind::BadRequest;
}

bool isSocket(RouteKind k) noexcept {
  return k == RouteKind::LogsSocket || k == RouteKind::StatsSocket || k == RouteKind::ExecSocket ||
         k == RouteKind::EventsSocket;
}

Route route(std::string_view method, std::string_view target) {
  auto parsed = urls::parse_origin_form(target);
  if (!parsed) {
    return make(RouteKind::BadRequest, {});
  }
  const urls::url_view& u = *parsed;
  std::vector<std::string> segs;
  for (auto seg : u.segments()) {
    segs.push_back(seg);  // decoded
  }
  // A trailing slash ("/api/v1/resources/") is the same route.
  if (!segs.empty() && segs.back().empty()) {
    segs.pop_back();
  }
  std::map<std::string, std::string> query;
  for (auto p : u.params()) {
    query[p.key] = p.has_value ? p.value : std::string();
  }
  std::string path = u.path();
  Route r = make(RouteKind::NotFound, path);
  r.query = std::move(query);

  if (segs.empty()) {
    r.kind = RouteKind::Asset;
    r.path = "/";
    return methodCheck(std::move(r), method, "GET");
  }
  if (segs.size() == 1 && segs[0] == "healthz") {
    r.kind = RouteKind::Healthz;
    return methodCheck(std::move(r), method, "GET");
  }
  if (segs.size() == 1 && segs[0] == "login") {
    r.kind = RouteKind::Login;
    return methodCheck(std::move(r), method, "GET");
  }
  if (segs.size() == 1 && segs[0] == "metrics") {
    r.kind = RouteKind::Metrics;
    return methodCheck(std::move(r), method, "GET");
  }
  if (segs[0] == "assets" && segs.size() == 2) {
    r.kind = RouteKind::Asset;
    r.path = "/assets/" + segs[1];
    return methodCheck(std::move(r), method, "GET");
  }
  if (segs.size() < 3 || segs[0] != "api" || segs[1] != "v1") {
    return r;
  }
  const std::string& area = segs[2];
  if (area == "stack") {
    if (segs.size() == 3) {
      r.kind = RouteKind::Stack;
      return methodCheck(std::move(r), method, "GET");
    }
    if (segs.size() == 4 && segs[3] == "stop") {
      r.kind = RouteKind::StackStop;
      return methodCheck(std::move(r), method, "POST");
    }
    return r;
  }
  if (area == "watch" && (segs.size() == 3 || (segs.size() == 4 && segs[3] == "stop"))) {
    r.kind = RouteKind::Watch;
    r.op = segs.size() == 3 ? "start" : "stop";
    return methodCheck(std::move(r), method, "POST");
  }
  if (area == "dashboard" && segs.size() == 3) {
    r.kind = RouteKind::DashboardInfo;
    return methodCheck(std::move(r), method, "GET");
  }
  if (area == "events" && segs.size() == 4 && segs[3] == "ws") {
    r.kind = RouteKind::EventsSocket;
    return methodCheck(std::move(r), method, "GET");
  }
  if (area != "resources") {
    return r;
  }
  if (segs.size() == 3) {
    r.kind = RouteKind::Resources;
    return methodCheck(std::move(r), method, "GET");
  }
  r.resource = segs[3];
  if (r.resource.empty()) {
    r.kind = RouteKind::NotFound;
    return r;
  }
  if (segs.size() == 4) {
    r.kind = RouteKind::Resource;
    return methodCheck(std::move(r), method, "GET");
  }
  const std::string& leaf = segs[4];
  if (segs.size() == 5 && (leaf == "restart" || leaf == "stop" || leaf == "start")) {
    r.kind = RouteKind::ResourceOp;
    r.op = leaf;
    return methodCheck(std::move(r), method, "POST");
  }
  if (segs.size() == 5 && leaf == "logs") {
    r.kind = RouteKind::Logs;
    return methodCheck(std::move(r), method, "GET");
  }
  if (segs.size() == 6 && segs[5] == "ws") {
    if (leaf == "logs") {
      r.kind = RouteKind::LogsSocket;
    } else if (leaf == "stats") {
      r.kind = RouteKind::StatsSocket;
    } else if (leaf == "exec") {
      r.kind = RouteKind::ExecSocket;
    } else {
      return r;
    }
    return methodCheck(std::move(r), method, "GET");
  }
  return r;
}

}  // namespace ls::control::detail
