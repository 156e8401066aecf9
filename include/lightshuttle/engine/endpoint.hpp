// File: lightshuttle/engine/endpoint.hpp
//
// Where the Docker Engine API is reached, and why that place was chosen. Precedence:
//   1. DOCKER_HOST (unix:// or tcp://);
//   2. the docker context named by DOCKER_CONTEXT, else `currentContext` of
//      $DOCKER_CONFIG/config.json (default ~/.docker/config.json), unless it is "default";
//   3. /var/run/docker.sock;
//   4. the rootless socket $XDG_RUNTIME_DIR/docker.sock (or /run/user/<uid>/docker.sock);
//   5. the podman sockets $XDG_RUNTIME_DIR/podman/podman.sock and /run/podman/podman.sock.
// When no socket exists the default socket is returned, with a reason that says so.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"

namespace ls::engine {

struct Endpoint {
  enum class Transport { Unix, Tcp };
  Transport transport = Transport::Unix;
  std::string path;        ///< socket path (Unix)
  std::string host;        ///< host name or address (Tcp)
  std::uint16_t port = 0;  ///< (Tcp)
  bool tls = false;
  std::string certPath;  ///< DOCKER_CERT_PATH when tls
  std::string source;    ///< "DOCKER_HOST", "docker context 'x'", "default socket", ...
  std::string reason;    ///< one sentence: why this endpoint was chosen

  /// "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375".
  std::string uri() const;
};

/// Everything resolution reads, injectable for tests.
struct EndpointEnv {
  std::optional<std::string> dockerHost;
  std::optional<std::string> dockerContext;
  std::optional<std::string> dockerConfig;  ///< DOCKER_CONFIG directory
  std::optional<std::string> home;
  std::optional<std::string> xdgRuntimeDir;
  std::optional<std::string> tlsVerify;  ///< DOCKER_TLS_VERIFY
  std::optional<std::string> certPath;   ///< DOCKER_CERT_PATH
  unsigned uid = 0;
  /// Whether a unix socket exists at a path.
  std::function<bool(const std::string&)> socketExists;
  /// Contents of a file, or nullopt when it cannot be read.
  std::function<std::optional<std::string>(const std::string&)> readFile;

  /// The real process environment and file system.
  static EndpointEnv fromProcess();
};

/// Resolves the endpoint. Errors: InvalidArgument for a malformed DOCKER_HOST or context
/// endpoint (naming the variable or file), NotFound for a named context that does not exist,
/// Unsupported for TLS endpoints and schemes we do not speak (ssh://, npipe://, fd://).
Result<Endpoint> resolveEndpoint(const EndpointEnv& env);

/// Parses one host URI ("unix:///path", "tcp://host:port", "/path"); `source` names where it came
/// from for error messages and `Endpoint::source`.
Result<Endpoint> parseHostUri(std::string_view uri, std::string_view source);

}  // namespace ls::engine
