// The runtime contract's fixture (issue 16): the scenarios every `Runtime` backend must pass with
// the same assertions, instantiated once per backend (memory_backend.cpp, scripted_backend.cpp,
// engine_backend.cpp). `RuntimeContract` holds what every backend does; `EngineContract` what
// needs an engine's filesystem, volumes or process environment (MemoryRuntime has none of them);
// `NativeCheckContract` what needs servers reachable over their containers' addresses.
//
// A scenario is a TEST_P whose name is the scenario's: the backend prepares itself for it before
// the test body runs (Backend::prepare) and checks itself after (Backend::verify).
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "contract/backend.hpp"
#include "lightshuttle/runtime/runtime.hpp"
#include "support/env.hpp"
#include "support/loop.hpp"

namespace ls::contract {

/// The projects of the fake backends, whose scripts name them (an engine backend's are unique).
inline constexpr const char* kFakeProject = "contract";
inline constexpr const char* kFakeOtherProject = "contract2";

/// The spec of `project`'s resource `resource` (container `<project>_<resource>`) running `cmd`
/// in the busybox test image, with one user label. A backend without processes
/// (MemoryRuntime) ignores `cmd`: its script for the scenario says what the process does.
inline runtime::ContainerSpec contractSpec(const std::string& project, const std::string& resource,
                                           std::vector<std::string> cmd) {
  runtime::ContainerSpec s;
  s.project = project;
  s.resource = resource;
  s.name = project + "_" + resource;
  s.image = runtime::PullImage{.reference = ls::testing::kBusybox};
  s.command = std::move(cmd);
  s.labels["contract.role"] = resource;
  s.stopGracePeriod = std::chrono::seconds(1);  // what a forced removal waits (podman)
  return s;
}

class RuntimeContract : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    if (auto why = backend_->unavailable()) {
      backend_.reset();
      if (ls::testing::underCi()) {
        FAIL() << "no engine under CI=true: " << *why;
      }
      GTEST_SKIP() << "no " << ls::testing::testEngine()
                   << " engine (outside CI only; scripts/bootstrap starts one): " << *why;
    }
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    backend_->prepare(test.substr(0, test.find('/')));
  }

  void TearDown() override {
    if (backend_) {
      backend_->verify();
      backend_.reset();  // removes what the scenario left on an engine
    }
  }

  runtime::Runtime& rt() { return backend_->runtime(); }
  runtime::ContainerOps& ops() { return backend_->containers(); }
  Backend& backend() { return *backend_; }
  std::string project() const { return backend_->project(); }
  std::string otherProject() const { return backend_->otherProject(); }

  /// Runs `aw` to completion on the backend's loop and returns its value; throws (failing the
  /// test) when it cannot complete.
  template <typename T>
  T run(boost::asio::awaitable<T> aw) {
    std::vector<boost::asio::awaitable<T>> one;
    one.push_back(std::move(aw));
    return std::move(runAll(std::move(one)).front());
  }

  /// Runs every awaitable of `aws` concurrently and returns their values in order; throws when
  /// one cannot complete (after cancelling what still runs: a call left suspended would outlive
  /// what it refers to).
  template <typename T>
  std::vector<T> runAll(std::vector<boost::asio::awaitable<T>> aws) {
    std::vector<std::unique_ptr<boost::asio::cancellation_signal>> cancels;
    std::vector<ls::testing::Slot<T>> slots;
    for (auto& aw : aws) {
      cancels.push_back(std::make_unique<boost::asio::cancellation_signal>());
      slots.push_back(ls::testing::spawnInto(backend_->context(), std::move(aw), *cancels.back()));
    }
    auto allDone = [&] {
      for (const auto& s : slots) {
        if (!s->has_value()) {
          return false;
        }
      }
      return true;
    };
    backend_->drive(allDone);
    if (!allDone()) {
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i]->has_value()) {
          cancels[i]->emit(boost::asio::cancellation_type::terminal);
        }
      }
      backend_->drive(allDone);
      throw std::runtime_error("a runtime call did not complete");
    }
    std::vector<T> out;
    for (auto& s : slots) {
      out.push_back(std::move(**s));
    }
    return out;
  }

  /// The spec of `resource` in this test's project (or in `inProject`): contractSpec.
  runtime::ContainerSpec spec(const std::string& resource, std::vector<std::string> cmd,
                              const std::string& inProject = {}) const {
    return contractSpec(inProject.empty() ? project() : inProject, resource, std::move(cmd));
  }

  /// Starts `s`; nullopt (with the failure recorded) when it fails.
  std::optional<runtime::ContainerId> startOk(const runtime::ContainerSpec& s) {
    const runtime::StartOptions none;
    Result<runtime::ContainerId> id = run(rt().start(s, none));
    EXPECT_TRUE(id) << "start " << s.name << ": " << id.error().what();
    if (!id) {
      return std::nullopt;
    }
    return *id;
  }

  /// Waits until the container has written `line` to stdout (e.g. "ready\n" once its signal
  /// handler is set: a stop sent before would find none).
  void awaitLine(const runtime::ContainerId& id, const std::string& line) {
    runtime::LogOptions follow;
    follow.follow = true;
    auto stream = run(rt().logs(id, follow));
    ASSERT_TRUE(stream) << stream.error().what();
    for (;;) {
      auto chunk = run((*stream)->next());
      ASSERT_TRUE(chunk) << chunk.error().what();
      ASSERT_TRUE(*chunk) << "the logs ended before " << line;
      if ((*chunk)->bytes == line) {
        break;
      }
    }
    (*stream)->close();
  }

  /// Reads a log stream to its end: the stdout and the stderr text, each in order.
  std::pair<std::string, std::string> drainLogs(runtime::LogChunkStream& stream) {
    std::pair<std::string, std::string> out;
    for (;;) {
      auto chunk = run(stream.next());
      EXPECT_TRUE(chunk) << chunk.error().what();
      if (!chunk || !*chunk) {
        return out;
      }
      ((*chunk)->stream == runtime::LogChunk::Stream::Stderr ? out.second : out.first) +=
          (*chunk)->bytes;
    }
  }

 private:
  std::unique_ptr<Backend> backend_;
};

/// The scenarios of an engine's filesystem, volumes and process environment.
class EngineContract : public RuntimeContract {};

/// The scenarios of native checks (native_check.hpp): real servers answering over the
/// container's address, so only a real engine has them (the scripted transport carries the
/// Engine API, not a container's own traffic).
class NativeCheckContract : public RuntimeContract {};

/// The instantiation's test name suffix: the backend's name.
inline std::string backendName(const ::testing::TestParamInfo<BackendParam>& info) {
  return info.param.name;
}

/// Commands of the busybox test image the scenarios run (a backend without processes ignores
/// them and follows its script).
namespace cmd {
/// Runs until stopped; writes "ready" once it exits with `code` on SIGTERM.
inline std::vector<std::string> exitsOnTerm(int code) {
  return {"sh", "-c",
          "trap 'exit " + std::to_string(code) + "' TERM; echo ready; sleep 3600 & wait"};
}
/// Runs until killed: PID 1 without a handler ignores SIGTERM.
inline std::vector<std::string> ignoresTerm() { return {"sleep", "3600"}; }
}  // namespace cmd

}  // namespace ls::contract
