// File: lightshuttle/lifecycle/events.hpp
//
// The one typed event stream of the lifecycle, consumed by the CLI progress view, the control
// API, metrics and tests. Every observer subscribes to the `EventBus` and reads its own bounded
// queue; publishing never waits: a subscriber that falls behind loses its oldest events and
// reads a `Lagged` marker (with the count) in their place, then resyncs by listing resources.
//
//   EventSubscriptionPtr sub = manager.subscribe();
//   for (;;) {
//     Result<LifecycleEvent> ev = co_await sub->next();
//     if (!ev) break;                          // closed, or we were cancelled
//     render(*ev);
//   }
//
// Events carry names, times, exit codes and human messages — never a spec's env or command, and
// never the value of a secret (messages are redacted before they are published).
//
// Threading: the bus and its subscriptions live on the lifecycle's loop thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::lifecycle {

struct LifecycleEvent {
  enum class Kind {
    ResourceStarting,  ///< its dependencies are satisfied; its container is being created
    ResourceProgress,  ///< its image is being pulled or built: message says what happens
    // Preparing a resource's image (pull per policy, or build) is its own step: during a boot
    // it runs from the start, while the dependencies boot; before a restart, while the old
    // container still runs. Then ResourceStarting once the dependencies are ready.
    ImagePreparing,      ///< its image is being made available: message names it
    ImageReady,          ///< its image is there: message says built/pulled/present, id, time
    ImageFailed,         ///< the pull or build failed: message has the cause
    ResourceStarted,     ///< its container runs (containerId set)
    ResourceHealthy,     ///< ready: healthy (or running, without a healthcheck)
    ResourceUnhealthy,   ///< its healthcheck failed after it was ready
    ResourceExited,      ///< its container exited on its own (exitCode set)
    ResourceCompleted,   ///< a one-shot resource exited with code 0
    ResourceRestarting,  ///< about to be recreated (delay set for policy restarts)
    ResourceFailed,      ///< it cannot run: message has the cause
    ResourceStopped,     ///< stopped (and removed) by us, or from outside (message says so)
    OperationFailed,     ///< a handle operation (restart, start, stop) failed: message says why
    OperationCompleted,  ///< a handle operation ended well; the resource has no operation now
    StackStarting,
    StackReady,
    StackFailed,  ///< message names the failed resource and the cause
    StackStopping,
    StackStopped,
    // Watch mode (`up --watch`, `lightshuttle watch`); `files` and `took` are set where they
    // apply, `message` is the line the CLI prints ("synced 3 files in 18 ms").
    WatchStarted,     ///< the watcher runs: message says what it watches (no resource)
    WatchSynced,      ///< changed files (and deletions) were copied into the container
    WatchRestarted,   ///< the container was restarted after a change
    WatchRebuilding,  ///< a change asks for a rebuild: the new image is being built
    WatchRebuilt,     ///< the new image runs and the resource is ready again
    WatchFailed,      ///< a watch action failed: message says why (a failed rebuild kept the old
                      ///< container)
    WatchStopped,     ///< the watcher stopped (no resource)
    /// The engine stopped answering (its event stream broke, or a container died, and a ping
    /// failed): no restart is attempted nor counted until it answers again.
    EngineUnavailable,
    EngineAvailable,  ///< the engine answers again; recovery begins (delay: the outage)
    /// Every resource running or starting before the outage is back and ready (delay: from
    /// the outage's start; message names how many were brought back).
    StackRecovered,
    /// A container left running by a previous supervisor, with the same config hash, is
    /// supervised as is (containerId set; no recreate).
    ResourceAdopted,
    Lagged,  ///< this subscriber missed `missed` events (its queue was full)
  };
  Kind kind = Kind::StackStarting;
  std::string resource;  ///< empty for stack events and Lagged
  std::chrono::system_clock::time_point time;
  std::string message;  ///< human text; never a secret value
  std::optional<int> exitCode;
  std::string containerId;
  int restarts = 0;  ///< restarts so far (ResourceRestarting, ResourceExited)
  std::optional<std::chrono::nanoseconds> delay;  ///< ResourceRestarting after a crash
  std::uint64_t missed = 0;                       ///< Lagged
  std::uint64_t files = 0;                        ///< Watch*: changed paths the action covered
  std::optional<std::chrono::nanoseconds> took;   ///< Watch*: how long the action took
};

/// "resource_starting", ..., "stack_stopped", "lagged".
std::string_view eventKindName(LifecycleEvent::Kind kind) noexcept;

namespace detail {
struct EventQueue;
}

/// One subscriber's view of the bus. Destroying it unsubscribes.
class EventSubscription {
 public:
  explicit EventSubscription(std::shared_ptr<detail::EventQueue> queue);
  ~EventSubscription();
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  /// The next event, waiting for one. A `Lagged` event comes first when events were dropped.
  /// Errors: Cancelled when the subscription or the bus is closed (after the queued events were
  /// read) or when the calling coroutine is cancelled. One `next` at a time.
  boost::asio::awaitable<Result<LifecycleEvent>> next();
  /// The next queued event without waiting, or nullopt.
  std::optional<LifecycleEvent> tryNext();
  /// Every queued event (a `Lagged` marker first when events were dropped).
  std::vector<LifecycleEvent> drain();
  /// Stops receiving; a pending `next` returns Cancelled. Idempotent.
  void close();

 private:
  std::shared_ptr<detail::EventQueue> queue_;
};
using EventSubscriptionPtr = std::unique_ptr<EventSubscription>;

/// Fan-out of lifecycle events to subscribers, each with a bounded queue.
class EventBus {
 public:
  /// `capacity` (at least 1) is the queue length of each subscriber.
  explicit EventBus(std::size_t capacity = 1024);
  /// Closes every subscription.
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  /// A new subscriber; it sees events published from now on (no replay).
  EventSubscriptionPtr subscribe();
  /// Queues `event` for every subscriber; never blocks (a full queue drops its oldest event).
  void publish(const LifecycleEvent& event);
  /// Open subscriptions.
  std::size_t subscriberCount() const;

 private:
  std::size_t capacity_;
  std::vector<std::weak_ptr<detail::EventQueue>> queues_;
};

}  // namespace ls::lifecycle
