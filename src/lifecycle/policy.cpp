#include "lightshuttle/lifecycle/policy.hpp"

#include <algorithm>
#include <cstdint>

namespace ls::lifecycle {

RestartDecision decideRestart(const runtime::RestartPolicy& policy, int exitCode, int restarts,
                              int backoffStep, Rng& rng, const Backoff& backoff) {
  using Mode = runtime::RestartPolicy::Mode;
  switch (policy.mode) {
    case Mode::No: return GiveUp{};
    case Mode::OnFailure:
      if (exitCode == 0) {
        return GiveUp{};
      }
      if (policy.maxRetries && restarts >= *policy.maxRetries) {
        return GiveUp{};
      }
      break;
    case Mode::Always: break;
  }
  const std::int64_t cap = std::max<std::int64_t>(backoff.max.count(), 0);
  std::int64_t delay = std::clamp<std::int64_t>(backoff.initial.count(), 0, cap);
  for (int i = 0; i < backoffStep && delay < cap; ++i) {
    delay = delay > cap / 2 ? cap : delay * 2;
  }
  const double jitter = std::clamp(backoff.jitter, 0.0, 1.0);
  const auto spread = static_cast<std::uint64_t>(static_cast<double>(delay) * jitter);
  if (spread > 0) {
    delay -= static_cast<std::int64_t>(rng.below(spread + 1));
  }
  return Restart{std::chrono::nanoseconds(delay)};
}

std::chrono::nanoseconds probeDelay(int failed, std::chrono::nanoseconds interval, ProbeNeed need,
                                    const ProbeBackoff& backoff) {
  const std::chrono::nanoseconds first = std::max(backoff.first, std::chrono::nanoseconds(1));
  const std::chrono::nanoseconds max = std::max(first, backoff.max);
  if (need == ProbeNeed::Moot) {
    return std::max(interval, max);
  }
  std::chrono::nanoseconds cap = std::clamp(interval, first, max);
  if (need == ProbeNeed::Awaited) {
    cap = std::min(cap, std::max(first, backoff.awaitedMax));
  }
  std::chrono::nanoseconds delay = first;
  for (int k = 1; k < failed && delay < cap; ++k) {
    delay = delay > cap / 2 ? cap : delay * 2;
  }
  return std::min(delay, cap);
}

std::chrono::nanoseconds startTimeout(const runtime::ContainerSpec& spec,
                                      std::optional<std::chrono::nanoseconds> override) {
  if (override) {
    return *override;
  }
  if (!spec.healthcheck) {
    return kStartTimeoutFloor;
  }
  const runtime::HealthcheckSpec& hc = *spec.healthcheck;
  const auto derived = hc.startPeriod + hc.interval * std::max(hc.retries, 0);
  return std::max(derived, kStartTimeoutFloor);
}

}  // namespace ls::lifecycle
