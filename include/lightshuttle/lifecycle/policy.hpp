// File: lightshuttle/lifecycle/policy.hpp
//
// The lifecycle's decisions as pure functions, with no runtime and no clock: whether and when to
// restart a container that died, and how long a resource may take to become ready.
//
//   RestartDecision d = decideRestart(spec.restart, exitCode, restarts, backoffStep, rng, backoff);
//   if (const auto* r = std::get_if<Restart>(&d)) { co_await clock.sleepFor(r->delay); ... }
//   co_await clock.sleepFor(probeDelay(failedProbes, healthcheck.interval, ProbeNeed::Awaited));
#pragma once

#include <chrono>
#include <optional>
#include <variant>

#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::lifecycle {

/// Capped exponential backoff: `initial × 2^restarts`, at most `max`, then jittered down by up to
/// `jitter` of itself (0.5 = anywhere in [delay/2, delay]).
struct Backoff {
  std::chrono::nanoseconds initial{std::chrono::milliseconds(500)};
  std::chrono::nanoseconds max{std::chrono::seconds(30)};
  double jitter = 0.5;
  /// A container that ran at least this long before it died starts the backoff over (as Docker
  /// does), so a service that crashes once a day is not restarted 30 s late forever.
  std::chrono::nanoseconds resetAfter{std::chrono::seconds(10)};
};

/// Restart after `delay`.
struct Restart {
  std::chrono::nanoseconds delay{0};
  friend bool operator==(const Restart&, const Restart&) = default;
};
/// Leave the container exited.
struct GiveUp {
  friend bool operator==(const GiveUp&, const GiveUp&) = default;
};
using RestartDecision = std::variant<Restart, GiveUp>;

/// What to do when a container under `policy` exited with `exitCode` after it had already been
/// restarted `restarts` times: `no` never restarts; `on-failure` restarts a non-zero exit, at
/// most N times for `on-failure:N` (counting every restart, like Docker); `always` restarts
/// every exit. The delay doubles with `backoffStep` (the restarts since the backoff was last
/// reset, see Backoff::resetAfter). Consumes randomness from `rng` only when it restarts.
RestartDecision decideRestart(const runtime::RestartPolicy& policy, int exitCode, int restarts,
                              int backoffStep, Rng& rng, const Backoff& backoff = {});
/// The same with the backoff never reset (`backoffStep == restarts`).
inline RestartDecision decideRestart(const runtime::RestartPolicy& policy, int exitCode,
                                     int restarts, Rng& rng, const Backoff& backoff = {}) {
  return decideRestart(policy, exitCode, restarts, restarts, rng, backoff);
}

/// How much the readiness of a starting resource is waited for, which sets the pace of our own
/// probe of it (an exec of its healthcheck's test, racing the engine's checks; an exec is
/// ~0.1 s of engine CPU, paid on the same cores as the work still under way).
enum class ProbeNeed {
  /// Nothing could use it before an image still being prepared is ready (its dependents', or
  /// another resource's the stack waits for): probed at the healthcheck's pace.
  Moot,
  /// Others are starting too.
  Normal,
  /// Something is held by it alone or with others: a dependent whose image is ready, the stack
  /// when it is the last one not ready, or the operation that launched it.
  Awaited,
};

/// The pauses of that probe: from `first`, doubling up to the healthcheck's interval and at
/// most `max`; at most `awaitedMax` when Awaited (every pause then adds to the boot); the
/// interval itself (at least `max`) when Moot.
struct ProbeBackoff {
  std::chrono::nanoseconds first{std::chrono::milliseconds(50)};
  std::chrono::nanoseconds max{std::chrono::seconds(1)};
  std::chrono::nanoseconds awaitedMax{std::chrono::milliseconds(200)};
};

/// The pause after the `failed`-th failed probe (1 for the first) of a resource whose
/// healthcheck runs every `interval`.
std::chrono::nanoseconds probeDelay(int failed, std::chrono::nanoseconds interval, ProbeNeed need,
                                    const ProbeBackoff& backoff = {});

/// The smallest start timeout: image pulls and builds are outside it.
inline constexpr std::chrono::nanoseconds kStartTimeoutFloor = std::chrono::seconds(30);

/// How long a resource may take from its container start to ready: `override` when set;
/// otherwise `start_period + interval × retries` of its healthcheck, at least
/// `kStartTimeoutFloor` (the floor alone without a healthcheck).
std::chrono::nanoseconds startTimeout(const runtime::ContainerSpec& spec,
                                      std::optional<std::chrono::nanoseconds> override);

}  // namespace ls::lifecycle
