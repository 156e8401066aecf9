// The engine fixture of the engine and cli tiers: a client of the test engine (DOCKER_HOST or
// the default socket; podman's under LS_TEST_ENGINE=podman), a unique project per test, and
// the removal of what the test labelled with it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/engine/endpoint.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/env.hpp"
#include "support/loop.hpp"
#include "support/process.hpp"

namespace ls::testing {

/// A test fixture holding a client of the real engine. When no engine answers, the test fails
/// under CI=true (never a silent skip there) and is skipped with the reason elsewhere.
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ep = engine::resolveEndpoint(engine::EndpointEnv::fromProcess());
    ASSERT_TRUE(ep) << ep.error().what();
    client = engine::Client::create(*ep);
    api = std::make_unique<engine::Api>(*client);
    auto ping = run(client->negotiate());
    if (!ping) {
      if (underCi()) {
        FAIL() << "no engine under CI=true: " << ping.error().what();
      }
      GTEST_SKIP() << "no " << testEngine()
                   << " engine (outside CI only; scripts/bootstrap starts one): "
                   << ping.error().what();
    }
    project = "lstest" + rng.hex(4);
  }

  template <typename T>
  T run(boost::asio::awaitable<T> aw) {
    return runCoro(ctx, std::move(aw));
  }

  /// Removes every container labelled with this test's project (tests clean up after themselves).
  void TearDown() override {
    if (!api || project.empty()) {
      return;
    }
    std::vector<std::string> filter{"lightshuttle.project=" + project};
    auto list = run(api->listContainers(filter, true));
    if (list) {
      for (const auto& c : *list) {
        (void)run(api->removeContainer(c.id, true, true));
      }
    }
  }

  /// Whether `c`'s engine answers a version negotiation within `bound` (a daemon starting).
  bool answers(engine::Client& c, std::chrono::seconds bound = std::chrono::seconds(30)) {
    return waitUntil([&] { return run(c.negotiate()).has_value(); }, bound,
                     std::chrono::milliseconds(100));
  }

  std::map<std::string, std::string> labels() const {
    return {{"lightshuttle.project", project}, {"lightshuttle.resource", "test"}};
  }

  boost::asio::io_context ctx;
  std::unique_ptr<engine::Client> client;
  std::unique_ptr<engine::Api> api;
  SystemRng rng;
  std::string project;
};

/// EngineTest with a DockerRuntime over its client (`rt`, only once the engine answered).
/// TearDown removes the project's containers, then its network.
class RuntimeEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    rt = std::make_unique<runtime::DockerRuntime>(*client, *clock);
  }

  void TearDown() override {
    EngineTest::TearDown();  // containers of this project
    if (rt) {
      (void)run(rt->teardownProjectNetwork(project));
    }
  }

  /// The spec of this project's resource `resource` (container `<project>_<resource>`) running
  /// `cmd` in `image`; everything else is ContainerSpec's default.
  runtime::ContainerSpec projectSpec(const std::string& resource, std::vector<std::string> cmd,
                                     const std::string& image = kBusybox) const {
    runtime::ContainerSpec s;
    s.project = project;
    s.resource = resource;
    s.name = project + "_" + resource;
    s.image = runtime::PullImage{.reference = image};
    s.command = std::move(cmd);
    return s;
  }

  std::unique_ptr<Clock> clock = makeSystemClock();
  std::unique_ptr<runtime::DockerRuntime> rt;
};

}  // namespace ls::testing
