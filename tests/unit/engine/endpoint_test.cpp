#include "lightshuttle/engine/endpoint.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "lightshuttle/core/sha256.hpp"

namespace ls::engine {
namespace {

struct World {
  std::set<std::string> sockets;
  std::map<std::string, std::string> files;
  EndpointEnv env() const {
    EndpointEnv e;
    e.home = "/home/dev";
    e.uid = 1000;
    e.socketExists = [this](const std::string& p) { return sockets.count(p) > 0; };
    e.readFile = [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) {
        return std::nullopt;
      }
      return it->second;
    };
    return e;
  }
  void addContext(const std::string& name, const std::string& host,
                  const std::string& dir = "/home/dev/.docker") {
    files[dir + "/contexts/meta/" + sha256Hex(name) + "/meta.json"] =
        R"({"Name":")" + name + R"(","Endpoints":{"docker":{"Host":")" + host + R"("}}})";
  }
};

TEST(EndpointTest, DockerHostWinsOverEverything) {
  // Ensures DOCKER_HOST takes precedence over contexts and sockets.
  World w;
  w.sockets.insert("/var/run/docker.sock");
  w.addContext("remote", "unix:///ctx.sock");
  auto env = w.env();
  env.dockerHost = "unix:///custom/docker.sock";
  env.dockerContext = "remote";
  auto ep = resolveEndpoint(env);
  ASSERT_TRUE(ep) << ep.error().what();
  EXPECT_EQ(ep->uri(), "unix:///custom/docker.sock");
  EXPECT_EQ(ep->source, "DOCKER_HOST");
}

TEST(EndpointTest, HostUriTable) {
  // Ensures each supported DOCKER_HOST form parses and unsupported ones say why.
  struct Row {
    std::string uri;
    bool ok;
    std::string want;  // uri() or error category name
  };
  const std::vector<Row> rows = {
      {"unix:///var/run/docker.sock", true, "unix:///var/run/docker.sock"},
      {"/run/docker.sock", true, "unix:///run/docker.sock"},
      {"tcp://127.0.0.1:2375", true, "tcp://127.0.0.1:2375"},
      {"tcp://localhost", true, "tcp://localhost:2375"},
      {"tcp://[::1]:2376", true, "tcp://[::1]:2376"},
      {"unix://relative.sock", false, "invalid_argument"},
      {"docker.sock", false, "invalid_argument"},
      {"ssh://me@host", false, "unsupported"},
      {"npipe:////./pipe/docker_engine", false, "unsupported"},
      {"gopher://x", false, "invalid_argument"},
      {"tcp://:2375", false, "invalid_argument"},
  };
  for (const auto& row : rows) {
    auto ep = parseHostUri(row.uri, "DOCKER_HOST");
    EXPECT_EQ(ep.has_value(), row.ok) << row.uri;
    if (ep) {
      EXPECT_EQ(ep->uri(), row.want) << row.uri;
    } else if (!row.ok) {
      EXPECT_EQ(errcName(ep.error().code()), row.want) << row.uri;
      EXPECT_NE(ep.error().what().find("DOCKER_HOST"), std::string::npos) << row.uri;
    }
  }
}

TEST(EndpointTest, ContextFromEnvironmentThenConfig) {
  // Ensures DOCKER_CONTEXT beats config.json's currentContext, and both beat the default socket.
  World w;
  w.sockets.insert("/var/run/docker.sock");
  w.addContext("from-env", "unix:///env.sock");
  w.addContext("from-config", "tcp://10.0.0.1:2375");
  w.files["/home/dev/.docker/config.json"] = R"({"currentContext":"from-config"})";
  auto env = w.env();
  env.dockerContext = "from-env";
  auto a = resolveEndpoint(env);
  ASSERT_TRUE(a) << a.error().what();
  EXPECT_EQ(a->uri(), "unix:///env.sock");
  EXPECT_EQ(a->source, "docker context 'from-env'");
  env.dockerContext.reset();
  auto b = resolveEndpoint(env);
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ(b->uri(), "tcp://10.0.0.1:2375");
  EXPECT_NE(b->reason.find("config.json"), std::string::npos);
}

TEST(EndpointTest, DockerConfigDirectoryIsHonoured) {
  // Ensures DOCKER_CONFIG relocates both config.json and the contexts store.
  World w;
  w.addContext("c", "unix:///c.sock", "/etc/dockercfg");
  w.files["/etc/dockercfg/config.json"] = R"({"currentContext":"c"})";
  auto env = w.env();
  env.dockerConfig = "/etc/dockercfg";
  auto ep = resolveEndpoint(env);
  ASSERT_TRUE(ep) << ep.error().what();
  EXPECT_EQ(ep->uri(), "unix:///c.sock");
}

TEST(EndpointTest, DefaultContextMeansDefaultSocket) {
  // Ensures the context named "default" falls through to socket discovery.
  World w;
  w.sockets.insert("/var/run/docker.sock");
  auto env = w.env();
  env.dockerContext = "default";
  auto ep = resolveEndpoint(env);
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->uri(), "unix:///var/run/docker.sock");
}

TEST(EndpointTest, MissingContextIsNotFound) {
  // Ensures a named context that does not exist is an error naming it.
  World w;
  auto env = w.env();
  env.dockerContext = "nope";
  auto ep = resolveEndpoint(env);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code(), Errc::NotFound);
  EXPECT_NE(ep.error().what().find("'nope'"), std::string::npos);
}

TEST(EndpointTest, SocketDiscoveryOrder) {
  // Ensures default, rootless docker, rootless podman, then system podman sockets are tried in
  // order.
  struct Row {
    std::vector<std::string> sockets;
    std::string want;
    std::string source;
  };
  const std::vector<Row> rows = {
      {{"/var/run/docker.sock", "/run/user/1000/docker.sock"},
       "unix:///var/run/docker.sock",
       "default socket"},
      {{"/run/user/1000/docker.sock", "/run/podman/podman.sock"},
       "unix:///run/user/1000/docker.sock",
       "rootless docker socket"},
      {{"/run/user/1000/podman/podman.sock", "/run/podman/podman.sock"},
       "unix:///run/user/1000/podman/podman.sock",
       "rootless podman socket"},
      {{"/run/podman/podman.sock"}, "unix:///run/podman/podman.sock", "podman socket"},
      {{}, "unix:///var/run/docker.sock", "default socket"},
  };
  for (const auto& row : rows) {
    World w;
    w.sockets.insert(row.sockets.begin(), row.sockets.end());
    auto ep = resolveEndpoint(w.env());
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->uri(), row.want);
    EXPECT_EQ(ep->source, row.source);
  }
}

TEST(EndpointTest, XdgRuntimeDirLocatesRootlessSockets) {
  // Ensures XDG_RUNTIME_DIR is used for the rootless socket path.
  World w;
  w.sockets.insert("/xdg/docker.sock");
  auto env = w.env();
  env.xdgRuntimeDir = "/xdg";
  auto ep = resolveEndpoint(env);
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->uri(), "unix:///xdg/docker.sock");
}

TEST(EndpointTest, NoSocketReasonSaysWhereWeLooked) {
  // Ensures the fallback's reason lists the places searched, for `doctor`.
  World w;
  auto ep = resolveEndpoint(w.env());
  ASSERT_TRUE(ep);
  EXPECT_NE(ep->reason.find("no engine socket exists"), std::string::npos);
  EXPECT_NE(ep->reason.find("/run/podman/podman.sock"), std::string::npos);
}

TEST(EndpointTest, TlsIsRefusedClearly) {
  // Ensures DOCKER_TLS_VERIFY with a tcp host is Unsupported with a message, never ignored.
  World w;
  auto env = w.env();
  env.dockerHost = "tcp://10.1.2.3:2376";
  env.tlsVerify = "1";
  auto ep = resolveEndpoint(env);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code(), Errc::Unsupported);
  EXPECT_NE(ep.error().what().find("TLS"), std::string::npos);
}

}  // namespace
}  // namespace ls::engine
