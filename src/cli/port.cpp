// `lightshuttle port <resource> <container_port>[/proto]`: where a resource's container port is
// published on this machine, printed as HOST:PORT (127.0.0.1:18080), as `docker compose port`.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "cli/container_commands.hpp"
#include "cli/container_lookup.hpp"
#include "cli/flags.hpp"

namespace ls::cli {

int runPort(const PortOptions& options) {
  Result<PortSpec> spec = parsePortSpec(options.port);
  if (!spec) {
    fmt::print(stderr, "error: {}\n", spec.error().message());
    return kExitUsage;
  }
  int exitCode = kExitOk;
  std::optional<StackContainers> targets =
      openStackContainers(options.project, options.file, exitCode);
  if (!targets) {
    return exitCode;
  }
  const runtime::ManagedContainer* c = findContainer(*targets, options.resource, /*mustRun=*/true);
  if (c == nullptr) {
    return kExitFailure;
  }
  EngineSession& session = *targets->stack.session;
  auto mappings = runSync(session, session.runtime->portMappings(c->id));
  if (!mappings) {
    fmt::print(stderr, "error: ports of resource '{}': {}\n", options.resource,
               mappings.error().what());
    return kExitFailure;
  }
  std::string published;
  for (const runtime::PortMapping& m : *mappings) {
    if (!m.hostPort) {
      continue;
    }
    const std::string host = m.hostIp.empty() ? "127.0.0.1" : m.hostIp;
    if (m.containerPort == spec->port && m.protocol == spec->protocol) {
      fmt::print("{}:{}\n", host, *m.hostPort);
      return kExitOk;
    }
    published += fmt::format("{}{}/{} -> {}:{}", published.empty() ? "" : ", ", m.containerPort,
                             runtime::protocolName(m.protocol), host, *m.hostPort);
  }
  fmt::print(stderr, "error: resource '{}' does not publish {}/{}; it publishes {}\n",
             options.resource, spec->port, runtime::protocolName(spec->protocol),
             published.empty() ? "no port" : published);
  return kExitFailure;
}

void registerPort(Registrar& r) {
  auto o = std::make_shared<PortOptions>();
  auto* cmd = projectVerb(
      r, "port", "Print where a resource's container port is published (127.0.0.1:HOSTPORT)", o,
      runPort);
  addResourceArg(*cmd, o->resource, "The resource")->required();
  cmd->add_option("port", o->port, "The container port: PORT or PORT/PROTO (tcp, udp, sctp)")
      ->required();
  cmd->footer(
      "Examples:\n"
      "  lightshuttle port db 5432                 # 127.0.0.1:15432\n"
      "  curl http://$(lightshuttle port web 80)/\n"
      "  lightshuttle port dns 53/udp\n"
      "Exit status: 0 printed, 1 an unknown or stopped resource or a port it does not publish\n"
      "(the ones it publishes are listed), 2 usage (a malformed port).\n");
}

}  // namespace ls::cli
