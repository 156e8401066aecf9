// `lightshuttle doctor`: which engine we talk to and why, what it is, and whether publishing a
// port on 127.0.0.1 works end to end.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <exception>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "core/asio_fwd.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/endpoint.hpp"

namespace asio = boost::asio;

namespace ls::cli {
namespace {

constexpr const char* kTestImage = "lightshuttle-test/busybox:latest";

struct Report {
  engine::Endpoint endpoint;
  std::optional<engine::PingInfo> ping;
  std::optional<engine::VersionInfo> version;
  std::optional<engine::EngineInfo> info;
  std::string portCheck;  // "ok: ..." | "failed: ..." | "skipped: ..."
  bool portOk = false;
  std::optional<Error> failure;
};

/// Reads from 127.0.0.1:port until the container's listener answers (it may need a moment).
asio::awaitable<Result<std::string>> readGreeting(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  std::string lastError = "no answer";
  for (int attempt = 0; attempt < 40; ++attempt) {
    asio::ip::tcp::socket sock(ex);
    auto [ec] = co_await sock.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), detail::kUseTuple);
    if (!ec) {
      std::string buf(64, '\0');
      auto [rec, n] = co_await asio::async_read(sock, asio::buffer(buf), detail::kUseTuple);
      if (n > 0) {
        buf.resize(n);
        co_return buf;
      }
      lastError = rec ? rec.message() : "empty answer";
    } else {
      lastError = ec.message();
    }
    asio::steady_timer t(ex, std::chrono::milliseconds(100));
    co_await t.async_wait(detail::kUseTuple);
  }
  co_return Error(Errc::Unavailable,
                  "nothing answered on 127.0.0.1:" + std::to_string(port) + " (" + lastError + ")");
}

asio::awaitable<Result<std::string>> probePublishedPort(engine::Api& api, const std::string& id,
                                                        const std::string& token) {
  LS_CO_TRY(co_await api.startContainer(id));
  LS_CO_ASSIGN_OR_RETURN(auto info, co_await api.inspectContainer(id));
  std::uint16_t port = 0;
  for (const auto& p : info.ports) {
    if (p.containerPort == 8080 && p.hostIp == "127.0.0.1") {
      port = p.hostPort;
    }
  }
  if (port == 0) {
    co_return Error(Errc::Internal, "the engine did not publish 8080/tcp on 127.0.0.1");
  }
  LS_CO_ASSIGN_OR_RETURN(std::string got, co_await readGreeting(port));
  if (got.find(token) == std::string::npos) {
    co_return Error(Errc::Internal, "127.0.0.1:" + std::to_string(port) +
                                        " answered, but not with the container's greeting");
  }
  co_return "127.0.0.1:" + std::to_string(port) + " -> container 8080/tcp answered";
}

asio::awaitable<Result<std::string>> checkPortPublishing(engine::Api& api,
                                                         const std::string& image) {
  SystemRng rng;
  const std::string name = "lightshuttle-doctor-" + rng.hex(4);
  const std::string token = "lightshuttle-" + rng.hex(4);
  engine::ContainerCreate spec;
  spec.image = image;
  spec.cmd = {"sh", "-c", "while true; do echo " + token + " | nc -l -p 8080; done"};
  spec.ports.push_back(
      {.containerPort = 8080, .protocol = "tcp", .hostIp = "127.0.0.1", .hostPort = ""});
  spec.labels["lightshuttle.doctor"] = "1";
  LS_CO_ASSIGN_OR_RETURN(auto created, co_await api.createContainer(name, spec));
  auto result = co_await probePublishedPort(api, created.id, token);
  auto removed = co_await api.removeContainer(created.id, /*force=*/true, /*volumes=*/true);
  if (!removed && result) {
    co_return std::move(removed).error();
  }
  co_return result;
}

asio::awaitable<void> diagnose(Report& report, const DoctorOptions& options) {
  auto client = engine::Client::create(report.endpoint);
  engine::Api api(*client);
  auto ping = co_await client->negotiate();
  if (!ping) {
    report.failure = std::move(ping).error();
    co_return;
  }
  report.ping = *ping;
  if (auto v = co_await api.version()) {
    report.version = *v;
  }
  if (auto i = co_await api.info()) {
    report.info = *i;
  }
  if (options.skipPortCheck) {
    report.portCheck = "skipped (--skip-port-check)";
    co_return;
  }
  std::string image = options.image.empty() ? kTestImage : options.image;
  if (auto img = co_await api.inspectImage(image); !img) {
    report.portCheck =
        "skipped: image '" + image + "' is not present locally" +
        (options.image.empty() ? " (scripts/bootstrap builds it, or pass --image)" : "");
    co_return;
  }
  auto r = co_await checkPortPublishing(api, image);
  if (r) {
    report.portOk = true;
    report.portCheck = "ok: " + *r;
  } else {
    report.portCheck = "failed: " + r.error().what();
  }
}

void printText(const Report& r) {
  const auto& ep = r.endpoint;
  fmt::print("endpoint      {}\n", ep.uri());
  fmt::print("  source      {}\n", ep.source);
  fmt::print("  why         {}\n", ep.reason);
  if (r.failure) {
    return;
  }
  const auto& p = *r.ping;
  if (r.version) {
    fmt::print("engine        {} {} ({}/{}, kernel {})\n", p.podman ? "Podman" : "Docker Engine",
               r.version->version, r.version->os, r.version->arch, r.version->kernelVersion);
  }
  fmt::print("api           engine {}, negotiated {}\n", p.serverApiVersion, p.apiVersion);
  std::string flavour = p.podman ? "podman (libpod API " + p.libpodApiVersion + ")" : "docker";
  if (r.info) {
    flavour += r.info->rootless ? ", rootless" : ", rootful";
    fmt::print("flavour       {}\n", flavour);
    fmt::print("storage       {}, cgroup {} ({})\n", r.info->storageDriver, r.info->cgroupVersion,
               r.info->cgroupDriver);
    fmt::print("containers    {} ({} running), {} images\n", r.info->containers,
               r.info->containersRunning, r.info->images);
  } else {
    fmt::print("flavour       {}\n", flavour);
  }
  fmt::print("port publish  {}\n", r.portCheck);
}

void printJson(const Report& r) {
  boost::json::object o;
  o["endpoint"] = r.endpoint.uri();
  o["source"] = r.endpoint.source;
  o["reason"] = r.endpoint.reason;
  o["reachable"] = !r.failure.has_value();
  if (r.failure) {
    o["error"] = r.failure->what();
  } else {
    o["server_api_version"] = r.ping->serverApiVersion;
    o["api_version"] = r.ping->apiVersion;
    o["podman"] = r.ping->podman;
    if (r.version) {
      o["server_version"] = r.version->version;
    }
    if (r.info) {
      o["rootless"] = r.info->rootless;
      o["storage_driver"] = r.info->storageDriver;
    }
    o["port_publish"] = r.portCheck;
    o["port_publish_ok"] = r.portOk;
  }
  fmt::print("{}\n", boost::json::serialize(o));
}

}  // namespace

int runDoctor(const DoctorOptions& options) {
  auto ep = engine::resolveEndpoint(engine::EndpointEnv::fromProcess());
  if (!ep) {
    fmt::print(stderr, "lightshuttle: error: {}\n", ep.error().what());
    return kExitFailure;
  }
  Report report;
  report.endpoint = *ep;
  asio::io_context ctx;
  std::exception_ptr crashed;
  asio::co_spawn(ctx, diagnose(report, options), [&](std::exception_ptr e) { crashed = e; });
  ctx.run();
  if (crashed) {
    try {
      std::rethrow_exception(crashed);
    } catch (const std::exception& e) {
      fmt::print(stderr, "lightshuttle: internal error: {}\n", e.what());
    }
    return kExitFailure;
  }
  if (options.json) {
    printJson(report);
  } else {
    printText(report);
  }
  if (report.failure) {
    fmt::print(stderr, "lightshuttle: error: {}\n", report.failure->what());
    fmt::print(stderr, "  endpoint {} was chosen because {}\n", report.endpoint.uri(),
               report.endpoint.reason);
    return kExitFailure;
  }
  if (!report.portOk && report.portCheck.rfind("failed", 0) == 0) {
    fmt::print(stderr, "lightshuttle: warning: publishing a port on 127.0.0.1 does not work: {}\n",
               report.portCheck);
    return kExitFailure;
  }
  return kExitOk;
}

void registerDoctor(Registrar& r) {
  auto o = std::make_shared<DoctorOptions>();
  auto* cmd =
      r.verb("doctor", "Check the container engine: endpoint, versions, and port publishing",
             [o] { return runDoctor(*o); });
  cmd->add_option("--image", o->image,
                  "Image used for the port-publishing check (default: "
                  "lightshuttle-test/busybox when present)");
  cmd->add_flag("--skip-port-check", o->skipPortCheck,
                "Do not start a container to check port publishing on 127.0.0.1");
  cmd->add_flag("--json", o->json, "Print the report as JSON on stdout");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle doctor\n"
      "  DOCKER_HOST=unix:///run/user/1000/docker.sock lightshuttle doctor\n"
      "  lightshuttle doctor --json\n"
      "Exit status: 0 when the engine answers, 1 when it does not.");
}

}  // namespace ls::cli
