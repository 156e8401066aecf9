#include "contract/scripted_answers.hpp"

#include <cstdint>
#include <cstdio>
#include <utility>

#include "support/env.hpp"

namespace ls::contract::scripted {
namespace {

constexpr const char* kApiHeaders =
    "Api-Version: 1.41\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n";
constexpr const char* kImageId =
    "sha256:a48d0faf79d7de50e36b2fb9f6ba039182ea0822afa7b75f2391dc954c05fa48";

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string stringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items) {
    out += (out.size() > 1 ? "," : "") + quoted(i);
  }
  return out + "]";
}

std::string labelsJson(const Ctr& c) {
  return R"({"contract.role":")" + c.resource + R"(","lightshuttle.config-hash":")" + c.configHash +
         R"(","lightshuttle.project":")" + c.project + R"(","lightshuttle.resource":")" +
         c.resource + R"(","lightshuttle.test.image":"busybox"})";
}

std::string chunk(const std::string& piece) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
  return size + piece + "\r\n";
}

}  // namespace

State running(std::string startedAt, std::string health) {
  State s;
  s.startedAt = std::move(startedAt);
  s.health = std::move(health);
  return s;
}

State exited(int code, std::string startedAt, std::string finishedAt) {
  State s;
  s.status = "exited";
  s.exitCode = code;
  s.startedAt = std::move(startedAt);
  s.finishedAt = std::move(finishedAt);
  return s;
}

std::string inspectJson(const Ctr& c, const State& s) {
  const bool up = s.status == "running";
  std::string state =
      R"({"Status":")" + s.status + R"(","Running":)" + (up ? "true" : "false") +
      R"(,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":)" +
      (up ? "1578" : "0") + R"(,"ExitCode":)" + std::to_string(s.exitCode) +
      R"(,"Error":"","StartedAt":")" + s.startedAt + R"(","FinishedAt":")" + s.finishedAt + "\"";
  if (!s.health.empty()) {
    state += R"(,"Health":{"Status":")" + s.health + R"(","FailingStreak":0,"Log":[]})";
  }
  state += "}";
  const std::string network = "lightshuttle-" + c.project;
  std::string config = R"({"Hostname":")" + c.resource + R"(","Tty":false,"Image":")" +
                       ls::testing::kBusybox + R"(","Labels":)" + labelsJson(c) +
                       R"(,"StopTimeout":1)";
  if (!c.healthcheck.empty()) {
    config += R"(,"Healthcheck":{"Test":)" + stringList(c.healthcheck) + "}";
  }
  config += "}";
  const std::string networks =
      up ? R"({")" + network + R"(":{"Aliases":[")" + c.resource + R"(",")" + c.id.substr(0, 12) +
               R"("],"NetworkID":"","IPAddress":"192.168.144.2","IPPrefixLen":20}})"
         : R"({")" + network + R"(":{"Aliases":[")" + c.resource + R"(",")" + c.id.substr(0, 12) +
               R"("],"NetworkID":"","IPAddress":"","IPPrefixLen":0}})";
  return R"({"Id":")" + c.id + R"(","Created":"2026-12-07T06:14:44.793458365Z","Name":"/)" +
         c.name() + R"(","RestartCount":0,"Image":")" + kImageId + R"(","State":)" + state +
         R"(,"HostConfig":{"Binds":)" + (c.binds.empty() ? "null" : stringList(c.binds)) +
         R"(,"NetworkMode":")" + network +
         R"(","RestartPolicy":{"Name":"","MaximumRetryCount":0}})" + R"(,"Config":)" + config +
         R"(,"NetworkSettings":{"Ports":{},"Networks":)" + networks + "}}";
}

std::string summaryJson(const Ctr& c, const std::string& state) {
  return R"({"Id":")" + c.id + R"(","Names":["/)" + c.name() + R"("],"Image":")" +
         ls::testing::kBusybox + R"(","ImageID":")" + kImageId + R"(","Labels":)" + labelsJson(c) +
         R"(,"State":")" + state + R"(","HostConfig":{"NetworkMode":"lightshuttle-)" + c.project +
         R"("},"Mounts":[]})";
}

std::string networkJson(const std::string& name, const std::string& id,
                        const std::map<std::string, std::string>& labels,
                        const std::vector<Ctr>& attached) {
  std::string containers = "{";
  for (const auto& c : attached) {
    containers += (containers.size() > 1 ? "," : "") + quoted(c.id) + R"(:{"Name":")" + c.name() +
                  R"(","EndpointID":"7d18c6e3f8ce","IPv4Address":"192.168.144.2/20"})";
  }
  containers += "}";
  std::string labelMap = "{";
  for (const auto& [k, v] : labels) {
    labelMap += (labelMap.size() > 1 ? "," : "") + quoted(k) + ":" + quoted(v);
  }
  labelMap += "}";
  return R"({"Name":")" + name + R"(","Id":")" + id +
         R"(","Created":"2026-12-07T06:14:44.68175942Z","Scope":"local","Driver":"bridge",)" +
         R"("IPAM":{"Driver":"default","Config":[{"Subnet":"192.168.144.0/20"}]},"Containers":)" +
         containers + R"(,"Options":{},"Labels":)" + labelMap + "}";
}

std::string eventJson(const Ctr& c, const std::string& action, long long time,
                      const std::string& exitCode) {
  std::string attributes = R"({"contract.role":")" + c.resource + "\"";
  if (!exitCode.empty()) {
    attributes += R"(,"exitCode":")" + exitCode + "\"";
  }
  attributes += R"(,"image":")" + std::string(ls::testing::kBusybox) +
                R"(","lightshuttle.config-hash":")" + c.configHash +
                R"(","lightshuttle.project":")" + c.project + R"(","lightshuttle.resource":")" +
                c.resource + R"(","name":")" + c.name() + R"("})";
  return R"({"status":")" + action + R"(","id":")" + c.id + R"(","from":")" +
         ls::testing::kBusybox + R"(","Type":"container","Action":")" + action +
         R"(","Actor":{"ID":")" + c.id + R"(","Attributes":)" + attributes +
         R"(},"scope":"local","time":)" + std::to_string(time) + R"(,"timeNano":)" +
         std::to_string(time) + "000000000}\n";
}

Exchange answer(std::string request, int status, const std::string& body,
                const std::string& headers) {
  std::string extra = kApiHeaders + headers;
  if (!body.empty()) {
    extra += "Content-Type: application/json\r\n";
  }
  return {std::move(request),
          {.response =
               engine::testing::httpResponse(status, body.empty() ? body : body + "\n", extra)}};
}

Exchange stream(std::string request, const std::vector<std::string>& pieces, bool open,
                const std::string& contentType) {
  std::string response = std::string("HTTP/1.1 200 OK\r\n") + kApiHeaders;
  if (!contentType.empty()) {
    response += "Content-Type: " + contentType + "\r\n";
  }
  response += "Transfer-Encoding: chunked\r\n\r\n";
  for (const auto& p : pieces) {
    response += chunk(p);
  }
  if (!open) {
    response += "0\r\n\r\n";
  }
  return {std::move(request), {.response = std::move(response), .hangAfter = open}};
}

Exchange execOutput(std::string request, const std::string& frames, bool open) {
  std::string response = std::string("HTTP/1.1 200 OK\r\n") +
                         "Content-Type: application/vnd.docker.raw-stream\r\n" + kApiHeaders +
                         "\r\n" + frames;
  return {std::move(request),
          {.response = std::move(response), .closeAfter = !open, .hangAfter = open}};
}

Exchange notFound(std::string request, const std::string& message) {
  return answer(std::move(request), 404, R"({"message":")" + message + R"("})");
}

std::string get(const std::string& path) { return "GET /v1.41" + path; }
std::string post(const std::string& path) { return "POST /v1.41" + path; }
std::string del(const std::string& path) { return "DELETE /v1.41" + path; }

std::string encode(const std::string& value) {
  std::string out;
  for (const unsigned char ch : value) {
    const bool unreserved = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
                            ch == '~';
    if (unreserved) {
      out += static_cast<char>(ch);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", ch);
      out += hex;
    }
  }
  return out;
}

std::string listPath(const std::string& project) {
  return "/containers/json?all=1&filters=" +
         encode(R"({"label":["lightshuttle.project=)" + project + R"("]})");
}

}  // namespace ls::contract::scripted
