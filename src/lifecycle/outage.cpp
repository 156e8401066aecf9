// Engine outages: the event stream's loss, or a container's death, with a failed ping marks the
// engine unavailable; nothing is restarted (nor counted) meanwhile. Once the engine answers
// again, every resource that ran or was starting before the outage comes back, in dependency
// order and gated on readiness as at boot, whatever its restart policy: policies judge the
// application's exits, not the engine's.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

asio::awaitable<bool> LifecycleManager::Impl::engineAnswers() {
  Result<void> pinged = co_await rt.ping();
  if (pinged || pinged.error().code() == Errc::Cancelled) {
    co_return true;
  }
  enterOutage(pinged.error().what());
  co_return false;
}

void LifecycleManager::Impl::enterOutage(const std::string& why) {
  if (engineDown) {
    return;
  }
  engineDown = true;
  engineDownSince = clock.system();
  if (!outageSince) {
    outageSince = clock.steady();  // a second outage during a recovery keeps the first start
  }
  if (!supervisionStopping) {
    for (std::size_t i = 0; i < res.size(); ++i) {
      Resource& r = res[i];
      if (!r.selected || r.victim) {
        continue;
      }
      const bool running = r.supervised && r.status == ResourceStatus::Running && !r.busy;
      const bool waitingRestart = r.busy && r.restartPending && r.operation == std::nullopt;
      if (!running && !waitingRestart) {
        continue;  // a boot or a handle operation owns it: its owner waits for the engine
      }
      r.victim = true;
      r.owedRestart = waitingRestart;
      r.busy = true;
      r.supervised = false;
    }
  }
  emit(Kind::EngineUnavailable, std::nullopt,
       "the engine does not answer: " + why + "; no restart is attempted until it is back");
  changed.notifyAll();
}

asio::awaitable<bool> LifecycleManager::Impl::dieIsTheApplications(
    const runtime::RuntimeEvent& ev) {
  std::optional<std::size_t> found = indexOfResource(ev.resource);
  if (!found) {
    co_return true;
  }
  Resource& r = res[*found];
  const bool judged = r.selected && r.supervised && !r.busy && r.id && *r.id == ev.id;
  if (!judged) {
    if (r.victim && r.id && *r.id == ev.id) {
      r.status = ResourceStatus::Restarting;  // the engine stopped it during the outage
      r.health = Health::None;
    }
    co_return true;  // onRuntimeEvent records it; a busy resource's owner decides
  }
  if (co_await engineAnswers()) {
    co_return true;
  }
  // The engine is stopping its containers: this exit is the engine's.
  r.lastDie = std::make_pair(ev.id, ev.exitCode.value_or(-1));
  r.status = ResourceStatus::Restarting;
  r.health = Health::None;
  changed.notifyAll();
  co_return false;
}

asio::awaitable<void> LifecycleManager::Impl::onReconnected() {
  bool victims = false;
  for (const Resource& r : res) {
    victims = victims || r.victim;
  }
  if (!engineDown && !victims) {
    co_await reconcile();
    co_return;
  }
  if (engineDown) {
    engineDown = false;
    LifecycleEvent ev;
    ev.kind = Kind::EngineAvailable;
    ev.time = clock.system();
    ev.message = "the engine answers again";
    if (outageSince) {
      ev.delay = clock.steady() - *outageSince;
    }
    bus.publish(ev);
    engineDownSince.reset();
    changed.notifyAll();
  }
  if (!recoveryRunning && !supervisionStopping) {
    recoveryRunning = true;
    supervision.spawn(*ex, recover());
  }
}

asio::awaitable<void> LifecycleManager::Impl::recover() {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    if (supervisionStopping || co_await ls::detail::cancelled()) {
      break;
    }
    if (engineDown) {
      if (!co_await waitForEngine(/*pinging=*/false)) {
        break;
      }
    }
    Result<std::vector<runtime::ManagedContainer>> listed = co_await rt.listManaged(plan.project());
    if (!listed) {
      if (!co_await engineAnswers() || co_await ls::detail::cancelled()) {
        continue;  // gone again: wait for it
      }
      Result<void> slept = co_await clock.sleepFor(options.resubscribeDelay);
      if (!slept) {
        break;
      }
      continue;
    }
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (res[i].victim) {
        ++recoveriesInFlight;
        supervision.spawn(*ex, recoverOne(i, *listed));
      }
    }
    while (recoveriesInFlight > 0) {
      if (Result<void> woke = co_await changed.wait(); !woke) {
        break;
      }
    }
    if (supervisionStopping || co_await ls::detail::cancelled()) {
      break;
    }
    bool left = false;
    for (const Resource& r : res) {
      left = left || r.victim;
    }
    if (!left && !engineDown) {
      LifecycleEvent ev;
      ev.kind = Kind::StackRecovered;
      ev.time = clock.system();
      if (outageSince) {
        ev.delay = clock.steady() - *outageSince;
      }
      ev.message = std::to_string(recoveredCount) + " resource" + (recoveredCount == 1 ? "" : "s") +
                   " brought back after the engine outage" +
                   (ev.delay ? " in " + formatSeconds(*ev.delay) : "");
      bus.publish(ev);
      outageSince.reset();
      recoveredCount = 0;
      break;
    }
  }
  recoveryRunning = false;
  changed.notifyAll();
}

asio::awaitable<void> LifecycleManager::Impl::recoverOne(
    std::size_t i, std::vector<runtime::ManagedContainer> listed) {
  co_await asio::this_coro::throw_if_cancelled(false);
  Resource& r = res[i];
  auto done = [this] {
    --recoveriesInFlight;
    changed.notifyAll();
  };
  // Dependencies first, as at boot: a victim dependency must be back (ready) before this one.
  for (const Dependency& d : node(i).dependencies) {
    const std::size_t j = *plan.indexOf(d.name);
    while (res[j].victim) {
      if (engineDown || supervisionStopping || co_await ls::detail::cancelled()) {
        done();
        co_return;
      }
      if (Result<void> woke = co_await changed.wait(); !woke) {
        done();
        co_return;
      }
    }
  }
  if (engineDown || supervisionStopping) {
    done();
    co_return;
  }
  // Its container survived the outage (live-restore, or the engine came back in time): kept.
  using CS = runtime::ContainerState;
  for (const runtime::ManagedContainer& c : listed) {
    if (!r.id || c.id != *r.id) {
      continue;
    }
    const bool alive = c.status.state == CS::Running || c.status.state == CS::Healthy ||
                       c.status.state == CS::Unhealthy;
    const bool died = r.lastDie && r.lastDie->first == c.id;
    if (alive && !died) {
      r.status = ResourceStatus::Running;
      const bool hc = node(i).spec.healthcheck.has_value();
      r.health = !hc ? Health::None
                     : (c.status.state == CS::Unhealthy ? Health::Unhealthy : Health::Healthy);
      r.supervised = true;
      r.victim = false;
      r.busy = false;
      if (r.owedRestart) {
        r.owedRestart = false;  // its pending restart found it running: nothing to do
      }
      ++recoveredCount;
      emit(Kind::ResourceHealthy, i, "still running after the engine outage");
      done();
      co_return;
    }
  }
  if (r.owedRestart) {
    ++r.restarts;
    ++r.backoffStep;
  }
  r.status = ResourceStatus::Restarting;
  emitRestarting(i, std::chrono::nanoseconds::zero(), "bringing it back after the engine outage");
  Result<void> launched = co_await launch(i, /*replacing=*/true);
  if (launched) {
    r.victim = false;
    r.owedRestart = false;
    r.busy = false;
    ++recoveredCount;
    afterReady(i);
    done();
    co_return;
  }
  if (launched.error().code() == Errc::Cancelled || supervisionStopping ||
      co_await ls::detail::cancelled()) {
    done();
    co_return;
  }
  if (engineDown || !co_await engineAnswers()) {
    if (r.owedRestart) {
      --r.restarts;
      --r.backoffStep;
    }
    r.status = ResourceStatus::Restarting;
    r.health = Health::None;
    done();  // a second outage: the next recovery tries again
    co_return;
  }
  // The engine answers but the application does not come back: its own failure.
  r.victim = false;
  r.owedRestart = false;
  r.busy = false;
  fail(i, "bringing it back after the engine outage failed: " + redact(launched.error()).what());
  done();
}

asio::awaitable<bool> LifecycleManager::Impl::waitForEngine(bool pinging) {
  while (engineDown) {
    if (killRequested || co_await ls::detail::cancelled()) {
      co_return false;
    }
    if (!pinging) {
      if (supervisionStopping) {
        co_return false;
      }
      if (Result<void> woke = co_await changed.wait(); !woke) {
        co_return false;
      }
      continue;
    }
    Result<void> slept = co_await clock.sleepFor(options.resubscribeDelay);
    if (!slept || killRequested) {
      co_return false;
    }
    if (Result<void> pinged = co_await rt.ping(); pinged) {
      engineDown = false;
      engineDownSince.reset();
      LifecycleEvent ev;
      ev.kind = Kind::EngineAvailable;
      ev.time = clock.system();
      ev.message = "the engine answers again";
      if (outageSince) {
        ev.delay = clock.steady() - *outageSince;
      }
      bus.publish(ev);
      changed.notifyAll();
    }
  }
  co_return true;
}

void LifecycleManager::Impl::handOverToRecovery(std::size_t i) {
  Resource& r = res[i];
  --r.restarts;
  --r.backoffStep;
  r.victim = true;
  r.owedRestart = true;
  r.busy = true;
  r.supervised = false;
  r.status = ResourceStatus::Restarting;
  r.health = Health::None;
  if (!engineDown && !recoveryRunning && !supervisionStopping) {
    recoveryRunning = true;  // the engine came back before this launch failed
    supervision.spawn(*ex, recover());
  }
  changed.notifyAll();
}

}  // namespace ls::lifecycle
