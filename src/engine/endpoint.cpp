#include "lightshuttle/engine/endpoint.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lightshuttle/core/sha256.hpp"

namespace ls::engine {

std::string Endpoint::uri() const {
  if (transport == Transport::Unix) {
    return "unix://" + path;
  }
  const bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

std::optional<std::string> getenvOpt(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::string(v);
}

}  // namespace

EndpointEnv EndpointEnv::fromProcess() {
  EndpointEnv env;
  env.dockerHost = getenvOpt("DOCKER_HOST");
  env.dockerContext = getenvOpt("DOCKER_CONTEXT");
  env.dockerConfig = getenvOpt("DOCKER_CONFIG");
  env.home = getenvOpt("HOME");
  env.xdgRuntimeDir = getenvOpt("XDG_RUNTIME_DIR");
  env.tlsVerify = getenvOpt("DOCKER_TLS_VERIFY");
  env.certPath = getenvOpt("DOCKER_CERT_PATH");
  env.uid = ::getuid();
  env.socketExists = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  };
  env.readFile = [](const std::string& p) -> std::optional<std::string> {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return env;
}

Result<Endpoint> parseHostUri(std::string_view uri, std::string_view source) {
  const std::string where = std::string(source);
  auto bad = [&](std::string_view why) {
    return Error(Errc::InvalidArgument,
                 where + " '" + std::string(uri) +
                     "' is not a valid engine "
                     "address: " +
                     std::string(why) +
                     " (expected unix:///path/to/docker.sock or tcp://host:port)");
  };
  Endpoint ep;
  ep.source = where;
  if (!uri.empty() && uri.front() == '/') {
    ep.transport = Endpoint::Transport::Unix;
    ep.path = std::string(uri);
    return ep;
  }
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos) {
    return bad("missing scheme");
  }
  const std::string_view scheme = uri.substr(0, sep);
  if (scheme == "unix") {
    const std::string_view path = uri.substr(sep + 3);
    if (path.empty() || path.front() != '/') {
      return bad("the socket path must be absolute");
    }
    ep.transport = Endpoint::Transport::Unix;
    ep.path = std::string(path);
    return ep;
  }
  if (scheme == "tcp" || scheme == "http" || scheme == "https") {
    auto parsed = boost::urls::parse_uri(uri);
    if (!parsed) {
      return bad(parsed.error().message());
    }
    ep.transport = Endpoint::Transport::Tcp;
    ep.host = std::string(parsed->host_address());
    if (parsed->host_type() == boost::urls::host_type::ipv6) {
      // host_address() keeps no brackets for IPv6 literals
    }
    if (ep.host.empty()) {
      return bad("missing host");
    }
    if (parsed->has_port()) {
      if (parsed->port_number() == 0) {
        return bad("invalid port");
      }
      ep.port = parsed->port_number();
    } else {
      ep.port = scheme == "https" ? 2376 : 2375;
    }
    ep.tls = scheme == "https";
    return ep;
  }
  if (scheme == "ssh" || scheme == "npipe" || scheme == "fd") {
    return Error(Errc::Unsupported, where + " '" + std::string(uri) + "' uses the " +
                                        std::string(scheme) +
                                        ":// scheme, which lightshuttle does not speak; use a "
                                        "unix:// socket or tcp://host:port");
  }
  return bad("unknown scheme '" + std::string(scheme) + "'");
}

namespace {

std::string configDir(const EndpointEnv& env) {
  if (env.dockerConfig) {
    return *env.dockerConfig;
  }
  return env.home.value_or("/root") + "/.docker";
}

Result<Endpoint> fromContext(const EndpointEnv& env, const std::string& name,
                             const std::string& via) {
  const std::string dir = configDir(env);
  const std::string metaPath = dir + "/contexts/meta/" + sha256Hex(name) + "/meta.json";
  auto text = env.readFile ? env.readFile(metaPath) : std::nullopt;
  if (!text) {
    return Error(Errc::NotFound, "docker context '" + name + "' (" + via + ") does not exist: no " +
                                     metaPath + "; list contexts with `docker context ls`");
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(*text, ec);
  const boost::json::value* host = nullptr;
  if (!ec && doc.is_object()) {
    if (auto* eps = doc.as_object().if_contains("Endpoints"); eps && eps->is_object()) {
      if (auto* d = eps->as_object().if_contains("docker"); d && d->is_object()) {
        host = d->as_object().if_contains("Host");
      }
    }
  }
  if (host == nullptr || !host->is_string()) {
    return Error(Errc::InvalidArgument,
                 "docker context '" + name + "' has no docker endpoint in " + metaPath);
  }
  LS_ASSIGN_OR_RETURN(
      Endpoint ep, parseHostUri(std::string(host->as_string()), "docker context '" + name + "'"));
  ep.reason = "the docker context '" + name + "' is selected (" + via + ")";
  return ep;
}

std::optional<std::string> currentContext(const EndpointEnv& env) {
  if (env.dockerContext) {
    return env.dockerContext;
  }
  if (!env.readFile) {
    return std::nullopt;
  }
  auto text = env.readFile(configDir(env) + "/config.json");
  if (!text) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(*text, ec);
  if (ec || !doc.is_object()) {
    return std::nullopt;
  }
  auto* cur = doc.as_object().if_contains("currentContext");
  if (cur == nullptr || !cur->is_string() || cur->as_string().empty()) {
    return std::nullopt;
  }
  return std::string(cur->as_string());
}

}  // namespace

Result<Endpoint> resolveEndpoint(const EndpointEnv& env) {
  if (env.dockerHost) {
    LS_ASSIGN_OR_RETURN(Endpoint ep, parseHostUri(*env.dockerHost, "DOCKER_HOST"));
    if (ep.transport == Endpoint::Transport::Tcp && env.tlsVerify && *env.tlsVerify != "0") {
      ep.tls = true;
      ep.certPath = env.certPath.value_or(configDir(env));
    }
    if (ep.tls) {
      return Error(Errc::Unsupported,
                   "DOCKER_HOST '" + *env.dockerHost +
                       "' needs TLS (DOCKER_TLS_VERIFY or https://), which lightshuttle does not "
                       "speak yet; use a unix socket or a plain tcp:// endpoint on loopback");
    }
    ep.reason = "DOCKER_HOST is set";
    return ep;
  }
  if (auto ctx = currentContext(env); ctx && *ctx != "default") {
    const std::string via =
        env.dockerContext ? "from DOCKER_CONTEXT" : "currentContext in config.json";
    return fromContext(env, *ctx, via);
  }
  auto exists = [&](const std::string& p) { return env.socketExists && env.socketExists(p); };
  const std::string runtimeDir = env.xdgRuntimeDir.value_or("/run/user/" + std::to_string(env.uid));
  struct Candidate {
    std::string path;
    const char* source;
  };
  const Candidate candidates[] = {
      {"/var/run/docker.sock", "default socket"},
      {runtimeDir + "/docker.sock", "rootless docker socket"},
      {runtimeDir + "/podman/podman.sock", "rootless podman socket"},
      {"/run/podman/podman.sock", "podman socket"},
  };
  for (const auto& c : candidates) {
    if (exists(c.path)) {
      Endpoint ep;
      ep.transport = Endpoint::Transport::Unix;
      ep.path = c.path;
      ep.source = c.source;
      ep.reason =
          "DOCKER_HOST is not set, no docker context is selected, and " + c.path + " exists";
      return ep;
    }
  }
  Endpoint ep;
  ep.transport = Endpoint::Transport::Unix;
  ep.path = "/var/run/docker.sock";
  ep.source = "default socket";
  ep.reason =
      "DOCKER_HOST is not set, no docker context is selected, and no engine socket exists "
      "(looked for /var/run/docker.sock, " +
      runtimeDir + "/docker.sock, " + runtimeDir + "/podman/podman.sock, /run/podman/podman.sock)";
  return ep;
}

}  // namespace ls::engine
