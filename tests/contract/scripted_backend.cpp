// The runtime contract over DockerRuntime on the scripted transport, on virtual time: the
// engine's answers come from the table of scripted_scenarios.cpp, and after each scenario the
// backend checks that the runtime sent exactly the table's request lines, in order, and used
// every answer (so the table cannot silently drift from what the runtime does).
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "contract/contract.hpp"
#include "contract/fake_backend.hpp"
#include "contract/scripted_scenarios.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "unit/engine/fake_transport.hpp"

namespace ls::contract {
namespace {

using engine::testing::FakeConnector;
using engine::testing::FakeEngine;

class ScriptedBackend final : public FakeBackend {
 public:
  runtime::Runtime& runtime() override { return rt_; }
  runtime::ContainerOps& containers() override { return rt_; }

  void prepare(std::string_view scenario) override {
    // The version negotiation that precedes the first request.
    expected_.push_back("HEAD /_ping");
    engine_->exchanges.push_back(
        {.response = engine::testing::httpResponse(200, "", "Api-Version: 1.41\r\n")});
    const auto& table = scripted::scenarios();
    const auto it = table.find(std::string(scenario));
    ASSERT_NE(it, table.end()) << "scripted_scenarios.cpp has no script for " << scenario;
    for (const scripted::Exchange& x : it->second) {
      expected_.push_back(x.request);
      engine_->exchanges.push_back(x.answer);
    }
  }

  // The table's answers say the network is someone else's.
  void addForeignNetwork(const std::string&, const std::map<std::string, std::string>&) override {}
  void ownVolume(const std::string&) override {}

  void verify() override {
    std::vector<std::string> sent;
    for (const std::string& raw : engine_->requests) {
      sent.push_back(raw.substr(0, raw.find(" HTTP/1.1\r\n")));
    }
    for (std::size_t i = 0; i < std::max(sent.size(), expected_.size()); ++i) {
      const std::string got = i < sent.size() ? sent[i] : "(nothing)";
      const std::string want = i < expected_.size() ? expected_[i] : "(nothing)";
      if (got != want) {
        ADD_FAILURE() << "request " << i << " of the scenario: the runtime sent\n  " << got
                      << "\nwhere the script expects\n  " << want << "\n(" << sent.size()
                      << " sent, " << expected_.size() << " scripted)";
        return;
      }
    }
  }

 private:
  std::shared_ptr<FakeEngine> engine_ = std::make_shared<FakeEngine>();
  engine::Client client_{std::make_unique<FakeConnector>(engine_), engine::ClientOptions{}};
  runtime::DockerRuntime rt_{client_, clock_};
  std::vector<std::string> expected_;
};

const BackendParam kScripted{"DockerRuntime", [] { return std::make_unique<ScriptedBackend>(); }};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Scripted, RuntimeContract, ::testing::Values(kScripted), backendName);
INSTANTIATE_TEST_SUITE_P(Scripted, EngineContract, ::testing::Values(kScripted), backendName);
// No NativeCheckContract: native checks are a container's own traffic, not Engine API requests.

}  // namespace ls::contract
