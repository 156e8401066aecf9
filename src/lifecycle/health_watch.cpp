// Steady-state health when the engine's own healthchecks never run. Podman without systemd runs
// them from systemd timers, so there they never run at all: the engine's health stays "starting"
// for good and no health_status event comes (containers/podman#19326, #16749). Once the engine
// should have finished its first check (start period + interval + timeout after the resource
// became ready, plus a second), a resource whose engine health still says "starting" is probed
// by us at its healthcheck's interval with the engine's rule (a pass: healthy; `retries` failures
// in a row: unhealthy), and ps, events and the dashboard show that health. Keyed on the observed
// answer, never on the engine's name: an engine whose checks run is left to decide alone.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

namespace {

// The engine's defaults for a healthcheck that leaves interval or timeout unset.
constexpr std::chrono::nanoseconds kEngineDefaultInterval = std::chrono::seconds(30);
// How long after its first check is due the engine's health is looked at.
constexpr std::chrono::nanoseconds kEngineHealthSlack = std::chrono::seconds(1);

}  // namespace

void LifecycleManager::Impl::watchEngineHealth(std::size_t i, runtime::ContainerId id) {
  if (!ex || !node(i).spec.healthcheck || !probeRequest(*node(i).spec.healthcheck)) {
    return;
  }
  supervision.spawn(*ex, steadyProbe(i, std::move(id)));
}

void LifecycleManager::Impl::setProbedHealth(std::size_t i, Health health) {
  Resource& r = res[i];
  if (health == Health::Healthy && r.health != Health::Healthy) {
    r.health = Health::Healthy;
    emit(Kind::ResourceHealthy, i);
  } else if (health == Health::Unhealthy && r.health != Health::Unhealthy) {
    r.health = Health::Unhealthy;
    emit(Kind::ResourceUnhealthy, i, "healthcheck failing");
  }
  changed.notifyAll();
}

asio::awaitable<void> LifecycleManager::Impl::steadyProbe(std::size_t i, runtime::ContainerId id) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const runtime::HealthcheckSpec hc = *node(i).spec.healthcheck;
  std::optional<runtime::ExecRequest> request = probeRequest(hc);
  const std::chrono::nanoseconds interval =
      hc.interval > std::chrono::nanoseconds::zero() ? hc.interval : kEngineDefaultInterval;
  auto current = [this, i, &id] {
    const Resource& r = res[i];
    return !supervisionStopping && r.supervised && r.id && *r.id == id;
  };
  const std::chrono::nanoseconds firstCheckDue =
      std::max(hc.startPeriod, std::chrono::nanoseconds::zero()) + interval + request->timeout +
      kEngineHealthSlack;
  if (Result<void> slept = co_await clock.sleepFor(firstCheckDue); !slept || !current()) {
    co_return;
  }
  Result<runtime::ContainerStatus> status = co_await rt.inspect(id);
  if (!status || !current() || !status->hasHealthcheck ||
      status->state != runtime::ContainerState::Running) {
    co_return;  // the engine's health decides (healthy/unhealthy), or it no longer runs
  }
  // The built-in probes of postgres and redis as native checks (no exec every interval, for the
  // life of the stack) while the container's address answers; exec otherwise.
  std::unique_ptr<runtime::NativeProber> native;
  if (hc.native) {
    Result<std::unique_ptr<runtime::NativeProber>> made = co_await rt.nativeProber(id, *hc.native);
    if (made) {
      native = std::move(made).value();
    }
  }
  int failures = 0;
  for (;;) {
    if (!current() || co_await ls::detail::cancelled()) {
      co_return;
    }
    if (!res[i].busy) {
      std::optional<bool> passed;  // nullopt: this round says nothing about its health
      if (native) {
        Result<bool> checked = co_await native->check(hc.timeout);
        if (checked) {
          passed = *checked;
        } else if (checked.error().code() == Errc::Cancelled) {
          co_return;
        } else {
          native.reset();  // unreachable after all: exec from the next round on
        }
      } else {
        Result<runtime::ExecResult> ran = co_await rt.exec(id, *request);
        if (ran) {
          passed = ran->exitCode == 0;
        } else if (ran.error().code() == Errc::Cancelled ||
                   ran.error().code() == Errc::Unsupported ||
                   ran.error().code() == Errc::Conflict || ran.error().code() == Errc::NotFound) {
          co_return;  // cancelled, no exec here, or not running any more: its events tell
        }
        // Any other error (a slow or failing engine) says nothing about the container's health.
      }
      if (!current()) {
        co_return;
      }
      if (passed && *passed) {
        failures = 0;
        setProbedHealth(i, Health::Healthy);
      } else if (passed && ++failures >= std::max(hc.retries, 1)) {
        setProbedHealth(i, Health::Unhealthy);
      }
    }
    if (Result<void> slept = co_await clock.sleepFor(interval); !slept) {
      co_return;
    }
  }
}

}  // namespace ls::lifecycle
