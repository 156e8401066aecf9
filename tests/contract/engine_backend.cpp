// The runtime contract over DockerRuntime on the real engine (the engine tier: docker, and
// podman as podman:<test> with tests/podman/exclusions.txt). Each test gets unique projects and
// leaves nothing behind: its containers, networks and volumes are removed at the end.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "contract/contract.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/engine/endpoint.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"

namespace ls::contract {
namespace {

/// A hang guard per call (never a timing assertion): the slowest scenario waits 30 s at most.
constexpr std::chrono::seconds kCallBound{120};

class EngineBackend final : public Backend {
 public:
  EngineBackend() {
    auto endpoint = engine::resolveEndpoint(engine::EndpointEnv::fromProcess());
    if (!endpoint) {
      why_ = endpoint.error().what();
      return;
    }
    client_ = engine::Client::create(*endpoint);
    auto ping = ls::testing::runCoro(ctx_, client_->negotiate());
    if (!ping) {
      why_ = ping.error().what();
      return;
    }
    api_ = std::make_unique<engine::Api>(*client_);
    rt_ = std::make_unique<runtime::DockerRuntime>(*client_, *clock_);
    project_ = "lstest" + rng_.hex(4);
    other_ = project_ + "o";
  }

  ~EngineBackend() override {
    if (!rt_) {
      return;
    }
    for (const std::string& p : {project_, other_}) {
      std::vector<std::string> filter{std::string(runtime::kLabelProject) + "=" + p};
      auto list = call(api_->listContainers(filter, true));
      for (const auto& c : list ? *list : std::vector<engine::ContainerSummary>{}) {
        (void)call(api_->removeContainer(c.id, true, true));
      }
      (void)call(rt_->teardownProjectNetwork(p));
    }
    for (const auto& name : foreignNetworks_) {
      (void)call(api_->removeNetwork(name));
    }
    for (const auto& name : volumes_) {
      (void)call(api_->removeVolume(name));
    }
  }

  std::optional<std::string> unavailable() override { return why_; }
  runtime::Runtime& runtime() override { return *rt_; }
  runtime::ContainerOps& containers() override { return *rt_; }
  boost::asio::io_context& context() override { return ctx_; }

  void drive(const std::function<bool()>& done) override {
    const auto deadline = std::chrono::steady_clock::now() + kCallBound;
    while (!done()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return;
      }
      ctx_.restart();
      if (ctx_.run_one_for(deadline - now) == 0 && ctx_.stopped()) {
        return;  // nothing left to run: it can never complete
      }
    }
  }

  std::string project() const override { return project_; }
  std::string otherProject() const override { return other_; }
  void prepare(std::string_view) override {}

  void addForeignNetwork(const std::string& name,
                         const std::map<std::string, std::string>& labels) override {
    engine::NetworkCreate foreign;
    foreign.name = name;
    foreign.labels = labels;
    auto id = call(api_->createNetwork(foreign));
    ASSERT_TRUE(id) << id.error().what();
    foreignNetworks_.push_back(*id);
  }

  void ownVolume(const std::string& name) override { volumes_.push_back(name); }
  void verify() override {}

 private:
  template <typename T>
  T call(boost::asio::awaitable<T> aw) {
    return ls::testing::runCoro(ctx_, std::move(aw), kCallBound);
  }

  boost::asio::io_context ctx_;
  std::unique_ptr<Clock> clock_ = makeSystemClock();
  std::unique_ptr<engine::Client> client_;
  std::unique_ptr<engine::Api> api_;
  std::unique_ptr<runtime::DockerRuntime> rt_;
  SystemRng rng_;
  std::optional<std::string> why_;
  std::string project_;
  std::string other_;
  std::vector<std::string> foreignNetworks_;
  std::vector<std::string> volumes_;
};

const BackendParam kEngine{"DockerRuntime", [] { return std::make_unique<EngineBackend>(); }};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Engine, RuntimeContract, ::testing::Values(kEngine), backendName);
INSTANTIATE_TEST_SUITE_P(Engine, EngineContract, ::testing::Values(kEngine), backendName);
INSTANTIATE_TEST_SUITE_P(Engine, NativeCheckContract, ::testing::Values(kEngine), backendName);

}  // namespace ls::contract
