#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "lightshuttle/engine/api.hpp"
#include "support/loop.hpp"
#include "support/process.hpp"

namespace ls::testing {
namespace {

TEST(TransportTest, MissingSocketNamesTheEndpointAndWhatToDo) {
  // Ensures an engine socket that does not exist is Unavailable, naming it, with a hint.
  boost::asio::io_context ctx;
  engine::Endpoint ep;
  ep.path = "/nonexistent/lightshuttle/docker.sock";
  auto client = engine::Client::create(ep);
  engine::Api api(*client);
  auto info = runCoro(ctx, api.info());
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), Errc::Unavailable);
  EXPECT_NE(info.error().what().find("unix:///nonexistent/lightshuttle/docker.sock"),
            std::string::npos);
  EXPECT_NE(info.error().what().find("DOCKER_HOST"), std::string::npos);
}

TEST(TransportTest, RefusedTcpPortIsUnavailable) {
  // Ensures a tcp endpoint with nothing listening fails fast with Unavailable, not a hang.
  boost::asio::io_context ctx;
  engine::Endpoint ep;
  ep.transport = engine::Endpoint::Transport::Tcp;
  ep.host = "127.0.0.1";
  const int port = freePort();  // bound, read back and released: nobody listens on it
  ASSERT_NE(port, 0);
  ep.port = static_cast<std::uint16_t>(port);
  auto client = engine::Client::create(ep);
  auto ping = runCoro(ctx, client->negotiate());
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code(), Errc::Unavailable);
  EXPECT_NE(ping.error().what().find("tcp://127.0.0.1:" + std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace ls::testing
