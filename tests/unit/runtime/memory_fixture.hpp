// The MemoryRuntime tests' fixture: one io_context, one manual clock, one runtime, and the
// helpers that spawn coroutines on it and read what it published.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"
#include "support/loop.hpp"

namespace ls::runtime {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Kind = RuntimeEvent::Kind;

inline ContainerSpec makeSpec(const std::string& project, const std::string& resource) {
  ContainerSpec spec;
  spec.name = project + "_" + resource;
  spec.project = project;
  spec.resource = resource;
  spec.image = PullImage{.reference = "busybox:1"};
  return spec;
}

inline ContainerSpec withHealthcheck(ContainerSpec spec) {
  HealthcheckSpec hc;
  hc.test = {"CMD", "true"};
  hc.interval = 2s;
  hc.retries = 3;
  spec.healthcheck = hc;
  return spec;
}

inline Failure failure(Errc code, std::string message = {}, std::string reason = {}) {
  Failure f;
  f.code = code;
  f.message = std::move(message);
  f.reason = std::move(reason);
  return f;
}

class MemoryRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { rt_.addLocalImage("busybox:1"); }

  template <typename T>
  using Slot = ls::testing::Slot<T>;

  // Spawns `aw` on the loop; the slot fills when it completes.
  template <typename T>
  Slot<T> spawn(asio::awaitable<T> aw) {
    return ls::testing::spawnInto(ctx_, std::move(aw));
  }

  template <typename T>
  Slot<T> spawn(asio::awaitable<T> aw, asio::cancellation_signal& sig) {
    return ls::testing::spawnInto(ctx_, std::move(aw), sig);
  }

  void poll() { ls::testing::pollOnce(ctx_); }

  void advance(std::chrono::nanoseconds d) {
    clock_.advance(d);
    poll();
  }

  // Runs `aw`, which must complete without virtual time passing.
  template <typename T>
  T await(asio::awaitable<T> aw) {
    Slot<T> out = spawn(std::move(aw));
    poll();
    if (!out->has_value()) {
      throw std::runtime_error("coroutine did not complete");
    }
    return std::move(**out);
  }

  void run(asio::awaitable<void> aw) {
    Slot<bool> done = ls::testing::spawnInto(ctx_, std::move(aw));
    poll();
    if (!done->has_value()) {
      throw std::runtime_error("coroutine did not complete");
    }
  }

  ContainerId startOk(const ContainerSpec& spec) {
    StartOptions options;
    Result<ContainerId> id = await(rt_.start(spec, options));
    if (!id.has_value()) {
      throw std::runtime_error("start failed: " + id.error().what());
    }
    return *id;
  }

  ContainerStatus inspectOk(const ContainerId& id) {
    Result<ContainerStatus> status = await(rt_.inspect(id));
    if (!status.has_value()) {
      throw std::runtime_error("inspect failed: " + status.error().what());
    }
    return *status;
  }

  std::unique_ptr<EventStream> subscribe(const std::string& project) {
    EventFilter filter;
    filter.project = project;
    Result<std::unique_ptr<EventStream>> stream = await(rt_.events(filter));
    if (!stream.has_value()) {
      throw std::runtime_error("events failed: " + stream.error().what());
    }
    return std::move(*stream);
  }

  // Every event the stream has ready now (stops at the first one that would wait).
  std::vector<RuntimeEvent> ready(EventStream& stream) {
    std::vector<RuntimeEvent> out;
    for (;;) {
      asio::cancellation_signal sig;
      Slot<Result<RuntimeEvent>> next = spawn(stream.next(), sig);
      poll();
      if (!next->has_value()) {
        sig.emit(asio::cancellation_type::terminal);
        poll();
        EXPECT_TRUE(next->has_value());
        return out;
      }
      EXPECT_TRUE((*next)->has_value());
      if (!(*next)->has_value()) {
        return out;
      }
      out.push_back(***next);
    }
  }

  static std::vector<Kind> kinds(const std::vector<RuntimeEvent>& events) {
    std::vector<Kind> out;
    for (const auto& e : events) {
      out.push_back(e.kind);
    }
    return out;
  }

  // The io_context outlives the clock and the runtime (their destructors may post to it).
  asio::io_context ctx_;
  ManualClock clock_;
  MemoryRuntime rt_{ctx_.get_executor(), clock_};
};

}  // namespace
}  // namespace ls::runtime
