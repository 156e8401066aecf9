// What the two fake backends of the runtime contract share (memory_backend.cpp: MemoryRuntime;
// scripted_backend.cpp: DockerRuntime on the scripted transport): a loop and a virtual clock,
// driven until done with the clock advanced whenever nothing else is ready, and the fixed
// projects their scripts name. Each derived backend owns its runtime, declared after these
// members so that it is destroyed first (its destructor may post to the loop).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>
#include <string>

#include "contract/contract.hpp"
#include "lightshuttle/core/clock.hpp"

namespace ls::contract {

class FakeBackend : public Backend {
 public:
  std::optional<std::string> unavailable() override { return std::nullopt; }
  boost::asio::io_context& context() override { return ctx_; }

  void drive(const std::function<bool()>& done) override {
    ls::testing::settle(clock_, done, [this] { ls::testing::pollOnce(ctx_); });
  }

  std::string project() const override { return kFakeProject; }
  std::string otherProject() const override { return kFakeOtherProject; }

 protected:
  boost::asio::io_context ctx_;
  ManualClock clock_;
};

}  // namespace ls::contract
