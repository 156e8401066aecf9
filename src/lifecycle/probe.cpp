// Readiness of one started container: the engine's health racing our own exec probe (backoff
// from 50 ms, paced by how much its readiness is waited for), and one-shot completion.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

// Waits until the one-shot resource `i` exits (its container `id`), within `timeout`.
asio::awaitable<Result<void>> LifecycleManager::Impl::waitCompleted(
    std::size_t i, runtime::ContainerId id, std::chrono::nanoseconds timeout) {
  const Clock::SteadyTime deadline = clock.steady() + timeout;
  for (;;) {
    Resource& r = res[i];
    if (r.lastDie && r.lastDie->first == id) {
      const int code = r.lastDie->second;
      r.exitCode = code;
      if (code == 0) {
        co_return ok();
      }
      std::string message = "container " + quote(node(i).spec.name) + " exited with code " +
                            std::to_string(code) + " before it completed";
      std::string lines = co_await lastLines(id);
      if (!lines.empty()) {
        message += "; last log lines:" + lines;
      }
      co_return Error(Errc::FailedPrecondition, std::move(message))
          .withReason("exited_before_ready");
    }
    if (clock.steady() >= deadline) {
      co_return Error(Errc::Timeout, "container " + quote(node(i).spec.name) +
                                         " did not complete within " + formatSeconds(timeout));
    }
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<void> woke = co_await changeOrDeadline(deadline);
    if (!woke) {
      co_return woke;
    }
  }
}

// Waits for the next change or until `deadline`, whichever comes first; an error only when
// the wait was cancelled.
asio::awaitable<Result<void>> LifecycleManager::Impl::changeOrDeadline(Clock::SteadyTime deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto notified = changed.wait();
  auto timer = clock.sleepUntil(deadline);
  std::variant<Result<void>, Result<void>> first =
      co_await (std::move(notified) || std::move(timer));
  if (first.index() == 0 && !std::get<0>(first)) {
    co_return std::get<0>(std::move(first)).error();
  }
  co_return ok();
}

// The pause after a failed fast probe is recomputed at every change: when a dependent's image
// becomes ready, or the last other resource becomes ready, it shrinks at once.
asio::awaitable<Result<void>> LifecycleManager::Impl::probePause(std::size_t i, int failed,
                                                                 std::chrono::nanoseconds interval,
                                                                 const ProbeBackoff& backoff) {
  const Clock::SteadyTime from = clock.steady();
  for (;;) {
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    const Clock::SteadyTime due = from + probeDelay(failed, interval, probeNeed(i), backoff);
    if (clock.steady() >= due) {
      co_return ok();
    }
    Result<void> woke = co_await changeOrDeadline(due);
    if (!woke) {
      co_return woke;
    }
  }
}

asio::awaitable<Result<bool>> LifecycleManager::Impl::nativeProbe(
    std::size_t i, const runtime::ContainerId& id, const runtime::HealthcheckSpec& hc) {
  Result<std::unique_ptr<runtime::NativeProber>> prober = co_await rt.nativeProber(id, *hc.native);
  if (!prober) {
    switch (prober.error().code()) {
      case Errc::Cancelled: co_return std::move(prober).error();
      case Errc::Conflict:  // not running (yet, or any more)
      case Errc::NotFound:  // gone: waitHealthy reports it
        co_return false;
      default:  // unreachable here, or the inspect failed: exec still may work
        co_return Error(Errc::Unsupported, prober.error().message());
    }
  }
  int failed = 0;
  for (;;) {
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<bool> ready = co_await (*prober)->check(hc.timeout);
    if (!ready) {
      co_return std::move(ready).error();  // Cancelled, or Unsupported: unreachable after all
    }
    if (*ready) {
      co_return true;
    }
    Result<void> paused = co_await probePause(i, ++failed, hc.interval, kNativeProbeBackoff);
    if (!paused) {
      co_return std::move(paused).error();
    }
  }
}

// Our fast probe of a starting resource: the healthcheck's native check when it has one and
// the container's address answers (nativeProbe), else its test via exec with a backoff until
// an attempt exits 0 (ok). Never logs or reports the command or its output (it may hold
// secrets). When exec is unsupported, the container is not running, or it is gone, it stops
// probing and waits (until cancelled) so that the engine's health decides alone. Records the
// exit code of the last failed exec in `lastExit`.
asio::awaitable<Result<void>> LifecycleManager::Impl::fastProbe(std::size_t i,
                                                                runtime::ContainerId id,
                                                                runtime::ExecRequest request,
                                                                runtime::HealthcheckSpec hc,
                                                                std::optional<int>& lastExit) {
  co_await asio::this_coro::throw_if_cancelled(false);
  bool probing = true;
  if (hc.native) {
    Result<bool> native = co_await nativeProbe(i, id, hc);
    if (native && *native) {
      co_return ok();
    }
    if (!native && native.error().code() != Errc::Unsupported) {
      co_return std::move(native).error();
    }
    probing = !native;  // Unsupported: probe with exec; false: the container is not running
  }
  const std::chrono::nanoseconds interval = hc.interval;
  // An exec is costly engine work (a process joined to the container's namespaces), paid on
  // the same 2 cores as the creates and starts of a wide level: the first probe waits until
  // no start is in flight (bounded, so a long pull elsewhere does not hold it). Measured on
  // wide10: all healthy 1.09x the Engine API floor with probes racing the starts.
  const Clock::SteadyTime deferUntil = clock.steady() + kProbeDeferMax;
  while (probing && startsInFlight > 0 && clock.steady() < deferUntil) {
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<void> woke = co_await changeOrDeadline(deferUntil);
    if (!woke) {
      co_return woke;
    }
  }
  int failed = 0;
  while (probing) {
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<runtime::ExecResult> ran = co_await rt.exec(id, request);
    if (ran) {
      if (ran->exitCode == 0) {
        co_return ok();
      }
      lastExit = ran->exitCode;
    } else {
      switch (ran.error().code()) {
        case Errc::Cancelled: co_return std::move(ran).error();
        case Errc::Unsupported:  // no exec in this runtime
        case Errc::Conflict:     // not running (yet, or any more)
        case Errc::NotFound:     // gone: waitHealthy reports it
          probing = false;
          continue;
        default:  // a slow or failing engine: try again later
          break;
      }
    }
    Result<void> paused = co_await probePause(i, ++failed, interval);
    if (!paused) {
      co_return paused;
    }
  }
  // Fall back to the engine's health: wait until cancelled (the engine's wait ends first).
  for (;;) {
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    Result<void> woke = co_await changed.wait();
    if (!woke) {
      co_return woke;
    }
  }
}

// Waits until the started resource `i` (container `id`) is ready, within `timeout`: the
// runtime's event-driven wait, and, when it has a healthcheck we can run, our fast probe in
// parallel; the first to succeed wins and cancels the other. Exits and timeouts come from
// the runtime's wait.
asio::awaitable<Result<void>> LifecycleManager::Impl::waitReady(std::size_t i,
                                                                runtime::ContainerId id,
                                                                std::chrono::nanoseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  const std::optional<runtime::HealthcheckSpec>& hc = node(i).spec.healthcheck;
  std::optional<runtime::ExecRequest> request;
  if (hc) {
    request = probeRequest(*hc);
  }
  if (!request) {
    Result<void> ready = co_await rt.waitHealthy(id, timeout);
    co_return ready;
  }
  std::optional<int> lastExit;
  auto engineWait = rt.waitHealthy(id, timeout);
  auto probe = fastProbe(i, id, std::move(*request), *hc, lastExit);
  std::variant<Result<void>, Result<void>> first =
      co_await (std::move(engineWait) || std::move(probe));
  if (first.index() == 1) {
    co_return std::get<1>(std::move(first));
  }
  Result<void> ready = std::get<0>(std::move(first));
  if (!ready && ready.error().code() == Errc::Timeout && lastExit) {
    Error timedOut(Errc::Timeout, ready.error().message() + "; probe exited with code " +
                                      std::to_string(*lastExit));
    for (const std::string& frame : ready.error().contexts()) {
      timedOut.context(frame);
    }
    co_return timedOut;
  }
  co_return ready;
}

}  // namespace ls::lifecycle
