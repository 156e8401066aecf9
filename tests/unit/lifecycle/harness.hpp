// The lifecycle tests' harness: one MemoryRuntime, one manual clock, one manager.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/manager.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"
#include "support/loop.hpp"

namespace ls::lifecycle {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using K = LifecycleEvent::Kind;
using runtime::Op;

constexpr const char* kProject = "demo";
constexpr const char* kNetwork = "lightshuttle-demo";
constexpr const char* kSecret = "s3cr3t-Token-4711";

// A resource of the demo project; `healthcheck` gives it a probe (ready once scripted healthy).
[[maybe_unused]] PlanNode node(const std::string& name, const std::vector<std::string>& deps = {},
                               bool healthcheck = false) {
  PlanNode n;
  n.name = name;
  n.spec.name = std::string(kProject) + "_" + name;
  n.spec.project = kProject;
  n.spec.resource = name;
  n.spec.image = runtime::PullImage{.reference = "busybox:1"};
  n.spec.stopGracePeriod = 10s;
  if (healthcheck) {
    runtime::HealthcheckSpec hc;
    hc.test = {"CMD", "true"};
    hc.interval = 1s;
    hc.retries = 3;
    hc.startPeriod = 0s;
    n.spec.healthcheck = hc;
  }
  for (const std::string& d : deps) {
    n.dependencies.push_back(Dependency{.name = d});
  }
  return n;
}

[[maybe_unused]] runtime::RestartPolicy policy(runtime::RestartPolicy::Mode mode,
                                               std::optional<int> max = std::nullopt) {
  runtime::RestartPolicy p;
  p.mode = mode;
  p.maxRetries = max;
  return p;
}

[[maybe_unused]] runtime::Failure injected(Errc code = Errc::Unavailable) {
  runtime::Failure f;
  f.code = code;
  return f;
}

[[maybe_unused]] Options deterministic() {
  Options o;
  o.backoff.initial = 1s;
  o.backoff.max = 8s;
  o.backoff.jitter = 0.0;
  return o;
}

// One engine, one clock, one manager: everything a lifecycle test drives.
struct Harness {
  asio::io_context ctx;
  ManualClock clock;
  runtime::MemoryRuntime rt{ctx.get_executor(), clock};
  SeededRng rng{7};
  std::unique_ptr<LifecycleManager> mgr;
  EventSubscriptionPtr sub;
  std::vector<LifecycleEvent> seen;

  template <typename T>
  using Slot = ls::testing::Slot<T>;

  Harness() { rt.addLocalImage("busybox:1"); }

  ~Harness() {
    if (mgr) {
      auto down = spawn(mgr->kill());
      settle(down);
    }
    sub.reset();
    mgr.reset();
    poll();
  }

  void build(std::vector<PlanNode> nodes, Options options = deterministic()) {
    Result<Plan> plan = Plan::create(std::move(nodes));
    ASSERT_TRUE(plan.has_value()) << plan.error().what();
    mgr = std::make_unique<LifecycleManager>(rt, clock, rng, std::move(plan).value(), options);
    sub = mgr->subscribe();
  }

  void poll() {
    ctx.restart();
    ctx.poll();
    if (sub) {
      for (LifecycleEvent& ev : sub->drain()) {
        seen.push_back(std::move(ev));
      }
    }
  }

  void advance(std::chrono::nanoseconds d) {
    clock.advance(d);
    poll();
  }

  template <typename T>
  Slot<T> spawn(asio::awaitable<T> aw) {
    return ls::testing::spawnInto(ctx, std::move(aw));
  }

  template <typename T>
  Slot<T> spawn(asio::awaitable<T> aw, asio::cancellation_signal& sig) {
    return ls::testing::spawnInto(ctx, std::move(aw), sig);
  }

  // Runs the loop, advancing virtual time to each next timer, until `slot` is filled.
  template <typename T>
  void settle(const Slot<T>& slot, int maxSteps = ls::testing::kVirtualSteps) {
    ls::testing::settle(
        clock, [&] { return slot->has_value(); }, [this] { poll(); }, maxSteps);
  }

  Result<void> boot() {
    auto up = spawn(mgr->start());
    settle(up);
    EXPECT_TRUE(up->has_value()) << "start did not complete";
    return up->has_value() ? **up : Result<void>(Error(Errc::Internal, "start did not complete"));
  }

  Result<void> shutdown() {
    auto down = spawn(mgr->stop());
    settle(down);
    EXPECT_TRUE(down->has_value()) << "stop did not complete";
    return down->has_value() ? **down : Result<void>(Error(Errc::Internal, "stop hung"));
  }

  bool leftNothing() const {
    std::vector<std::string> networks = rt.networkNames();
    return rt.containerNames().empty() &&
           std::find(networks.begin(), networks.end(), kNetwork) == networks.end();
  }

  // Container names of the calls of `op`, in arrival order.
  std::vector<std::string> callsOf(Op op) const {
    std::vector<std::string> out;
    for (const runtime::Call& c : rt.calls()) {
      if (c.op == op) {
        out.push_back(c.argument);
      }
    }
    return out;
  }

  bool called(Op op, const std::string& resource) const {
    std::vector<std::string> names = callsOf(op);
    return std::find(names.begin(), names.end(), std::string(kProject) + "_" + resource) !=
           names.end();
  }

  // Position of the first event of `kind` about `resource` (npos when absent).
  std::size_t eventIndex(K kind, const std::string& resource = {}) const {
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (seen[i].kind == kind && seen[i].resource == resource) {
        return i;
      }
    }
    return std::string::npos;
  }

  std::size_t count(K kind, const std::string& resource = {}) const {
    return static_cast<std::size_t>(std::count_if(seen.begin(), seen.end(), [&](const auto& e) {
      return e.kind == kind && e.resource == resource;
    }));
  }

  ResourceView view(const std::string& name) const {
    Result<ResourceView> v = mgr->get(name);
    EXPECT_TRUE(v.has_value());
    return v.has_value() ? *v : ResourceView{};
  }
};

}  // namespace
}  // namespace ls::lifecycle
