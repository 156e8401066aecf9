// Supervision after boot: the engine's event stream drives state; exits are judged by the
// restart policy (backoff), outside stops and removals are noticed, reconnects reconciled.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

asio::awaitable<void> LifecycleManager::Impl::pump() {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    if (!events) {
      co_return;
    }
    Result<runtime::RuntimeEvent> ev = co_await events->next();
    if (supervisionStopping || co_await ls::detail::cancelled()) {
      co_return;
    }
    if (ev) {
      using RK = runtime::RuntimeEvent::Kind;
      if (ev->kind == RK::Reconnected) {
        co_await onReconnected();
      } else if (ev->kind == RK::Disconnected) {
        if (!engineDown) {
          (void)co_await engineAnswers();  // a failed ping begins the outage
        }
      } else if (ev->kind != RK::Die || co_await dieIsTheApplications(*ev)) {
        if (!supervisionStopping) {
          onRuntimeEvent(*ev);
        }
      }
      continue;
    }
    if (ev.error().code() == Errc::Cancelled) {
      co_return;
    }
    // The stream broke for good: subscribe again, then reconcile what was missed.
    Result<void> slept = co_await clock.sleepFor(options.resubscribeDelay);
    if (!slept || supervisionStopping) {
      co_return;
    }
    runtime::EventFilter filter;
    filter.project = plan.project();
    Result<std::unique_ptr<runtime::EventStream>> stream = co_await rt.events(filter);
    if (stream) {
      events = std::move(stream).value();
      co_await onReconnected();
    }
  }
}

void LifecycleManager::Impl::onRuntimeEvent(const runtime::RuntimeEvent& ev) {
  using RK = runtime::RuntimeEvent::Kind;
  std::optional<std::size_t> found = indexOfResource(ev.resource);
  if (!found || !res[*found].selected) {
    return;
  }
  const std::size_t i = *found;
  Resource& r = res[i];
  if (ev.kind == RK::Die) {
    r.lastDie = std::make_pair(ev.id, ev.exitCode.value_or(-1));
    changed.notifyAll();
  }
  const bool current = r.id && *r.id == ev.id;
  if (!current) {
    return;
  }
  if (r.busy) {
    // A pending policy restart still learns that the container was stopped or removed.
    if (r.restartPending && ev.kind == RK::Stop) {
      r.stoppedOutside = true;
    } else if (r.restartPending && ev.kind == RK::Destroy) {
      r.removedOutside = true;
      r.id.reset();
    }
    return;
  }
  switch (ev.kind) {
    case RK::Die:
      if (r.supervised) {
        onExit(i, ev.exitCode.value_or(-1));
      }
      break;
    case RK::HealthStatus:
      if (r.supervised && ev.health == "healthy" && r.health != Health::Healthy) {
        r.health = Health::Healthy;
        emit(Kind::ResourceHealthy, i);
      } else if (r.supervised && ev.health == "unhealthy" && r.health != Health::Unhealthy) {
        r.health = Health::Unhealthy;
        emit(Kind::ResourceUnhealthy, i, "healthcheck failing");
      }
      changed.notifyAll();
      break;
    case RK::Stop:
      r.stoppedOutside = true;
      if (r.status == ResourceStatus::Exited || r.status == ResourceStatus::Completed) {
        r.status = ResourceStatus::Stopped;
        emit(Kind::ResourceStopped, i, "stopped outside lightshuttle");
        changed.notifyAll();
      }
      break;
    case RK::Destroy: onRemovedOutside(i); break;
    default: break;
  }
}

// The current container of a supervised resource exited with `code`.
void LifecycleManager::Impl::onExit(std::size_t i, int code) {
  Resource& r = res[i];
  const PlanNode& n = node(i);
  r.exitCode = code;
  r.supervised = false;
  // Measured on the steady clock: a wall-clock jump (NTP, a laptop resume) must not reset it.
  if (r.startedSteady && clock.steady() - *r.startedSteady >= options.backoff.resetAfter) {
    r.backoffStep = 0;  // it ran long enough: this crash is not part of a crash loop
  }
  RestartDecision decision =
      decideRestart(n.spec.restart, code, r.restarts, r.backoffStep, rng, options.backoff);
  if (std::holds_alternative<GiveUp>(decision)) {
    if (code == 0) {
      r.status = ResourceStatus::Completed;
      emit(Kind::ResourceCompleted, i, "exited with code 0", 0);
    } else if (n.spec.restart.mode == runtime::RestartPolicy::Mode::No) {
      r.status = ResourceStatus::Exited;
      emit(Kind::ResourceExited, i, "exited with code " + std::to_string(code), code);
    } else {
      emit(Kind::ResourceExited, i, "exited with code " + std::to_string(code), code);
      fail(i, "exited with code " + std::to_string(code) + "; gave up after " +
                  std::to_string(r.restarts) + " restarts");
    }
    changed.notifyAll();
    return;
  }
  emit(Kind::ResourceExited, i, "exited with code " + std::to_string(code), code);
  scheduleRestart(i, std::get<Restart>(decision).delay);
}

void LifecycleManager::Impl::onRemovedOutside(std::size_t i) {
  Resource& r = res[i];
  r.removedOutside = true;
  r.id.reset();
  r.ports.clear();
  if (r.status == ResourceStatus::Restarting) {
    return;  // the pending restart decides
  }
  r.supervised = false;
  emit(Kind::ResourceStopped, i, "removed outside lightshuttle");
  if (node(i).spec.restart.mode == runtime::RestartPolicy::Mode::Always) {
    RestartDecision decision =
        decideRestart(node(i).spec.restart, 0, r.restarts, r.backoffStep, rng, options.backoff);
    scheduleRestart(i, std::get<Restart>(decision).delay);
    return;
  }
  r.status = ResourceStatus::Stopped;
  changed.notifyAll();
}

void LifecycleManager::Impl::scheduleRestart(std::size_t i, std::chrono::nanoseconds delay) {
  Resource& r = res[i];
  r.status = ResourceStatus::Restarting;
  r.busy = true;
  r.restartPending = true;
  emitRestarting(i, delay, "restarting in " + formatSeconds(delay));
  changed.notifyAll();
  supervision.spawn(*ex, restartAfter(i, delay));
}

asio::awaitable<void> LifecycleManager::Impl::restartAfter(std::size_t i,
                                                           std::chrono::nanoseconds delay) {
  co_await asio::this_coro::throw_if_cancelled(false);
  Resource& r = res[i];
  const runtime::RestartPolicy& policy = node(i).spec.restart;
  for (;;) {
    r.restartPending = true;
    Result<void> slept = co_await clock.sleepFor(delay);
    r.restartPending = false;
    if (r.victim) {
      co_return;  // an engine outage began meanwhile: the recovery owns it (and the restart)
    }
    if (!slept || supervisionStopping || co_await ls::detail::cancelled()) {
      r.busy = false;
      co_return;
    }
    if ((r.stoppedOutside || r.removedOutside) &&
        policy.mode != runtime::RestartPolicy::Mode::Always) {
      r.busy = false;
      r.status = ResourceStatus::Stopped;
      emit(Kind::ResourceStopped, i,
           std::string(r.removedOutside ? "removed" : "stopped") +
               " outside lightshuttle; not restarted (restart: " +
               (policy.mode == runtime::RestartPolicy::Mode::No ? "no" : "on-failure") + ")");
      changed.notifyAll();
      co_return;
    }
    ++r.restarts;
    ++r.backoffStep;
    Result<void> launched = co_await launch(i, /*replacing=*/true);
    if (launched) {
      r.busy = false;
      afterReady(i);
      co_return;
    }
    if (launched.error().code() == Errc::Cancelled || supervisionStopping ||
        co_await ls::detail::cancelled()) {
      r.busy = false;
      co_return;
    }
    if (r.victim || engineDown || !co_await engineAnswers()) {
      handOverToRecovery(i);  // the engine's failure, not the application's: not counted
      co_return;
    }
    Error error = redact(launched.error());
    r.lastError = error.what();
    RestartDecision decision = decideRestart(policy, kRestartFailureExitCode, r.restarts,
                                             r.backoffStep, rng, options.backoff);
    if (std::holds_alternative<GiveUp>(decision)) {
      r.busy = false;
      fail(i, "restarting failed: " + error.what());
      co_return;
    }
    delay = std::get<Restart>(decision).delay;
    r.status = ResourceStatus::Restarting;
    emitRestarting(i, delay, "restart failed: " + error.what());
  }
}

// After the event stream reconnected: events may have been lost, so compare with the engine.
asio::awaitable<void> LifecycleManager::Impl::reconcile() {
  Result<std::vector<runtime::ManagedContainer>> listed = co_await rt.listManaged(plan.project());
  if (!listed) {
    co_return;  // the next Reconnected tries again
  }
  for (std::size_t i = 0; i < res.size(); ++i) {
    Resource& r = res[i];
    if (!r.selected || r.busy || !r.supervised || !r.id) {
      continue;
    }
    const runtime::ManagedContainer* found = nullptr;
    for (const runtime::ManagedContainer& c : *listed) {
      if (c.id == *r.id) {
        found = &c;
      }
    }
    if (found == nullptr) {
      onRemovedOutside(i);
      continue;
    }
    using CS = runtime::ContainerState;
    if (found->status.state == CS::Stopped) {
      const int code = found->status.exitCode.value_or(-1);
      r.lastDie = std::make_pair(*r.id, code);
      onExit(i, code);
    } else if (found->status.state == CS::Healthy && r.health != Health::Healthy &&
               r.health != Health::None) {
      r.health = Health::Healthy;
      emit(Kind::ResourceHealthy, i);
    } else if (found->status.state == CS::Unhealthy && r.health != Health::Unhealthy) {
      r.health = Health::Unhealthy;
      emit(Kind::ResourceUnhealthy, i, "healthcheck failing");
    }
  }
  changed.notifyAll();
}

}  // namespace ls::lifecycle
