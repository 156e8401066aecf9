#include "lightshuttle/lifecycle/events.hpp"

#include <algorithm>
#include <deque>
#include <utility>

#include "core/async.hpp"

namespace asio = boost::asio;

namespace ls::lifecycle {

namespace detail {

struct EventQueue {
  std::size_t capacity = 1;
  std::deque<LifecycleEvent> items;
  std::uint64_t missed = 0;
  std::chrono::system_clock::time_point lastMissed;
  bool closed = false;
  ls::detail::Notifier notifier;

  std::optional<LifecycleEvent> pop() {
    if (missed > 0) {
      LifecycleEvent lagged;
      lagged.kind = LifecycleEvent::Kind::Lagged;
      lagged.time = lastMissed;
      lagged.missed = missed;
      lagged.message = "missed " + std::to_string(missed) + " events";
      missed = 0;
      return lagged;
    }
    if (items.empty()) {
      return std::nullopt;
    }
    LifecycleEvent ev = std::move(items.front());
    items.pop_front();
    return ev;
  }
};

}  // namespace detail

std::string_view eventKindName(LifecycleEvent::Kind kind) noexcept {
  using K = LifecycleEvent::Kind;
  switch (kind) {
    case K::ResourceStarting: return "resource_starting";
    case K::ResourceStarted: return "resource_started";
    case K::ResourceHealthy: return "resource_healthy";
    case K::ResourceUnhealthy: return "resource_unhealthy";
    case K::ResourceExited: return "resource_exited";
    case K::ResourceCompleted: return "resource_completed";
    case K::ResourceRestarting: return "resource_restarting";
    case K::ResourceFailed: return "resource_failed";
    case K::ResourceStopped: return "resource_stopped";
    case K::OperationFailed: return "operation_failed";
    case K::OperationCompleted: return "operation_completed";
    case K::ResourceProgress: return "resource_progress";
    case K::ImagePreparing: return "image_preparing";
    case K::ImageReady: return "image_ready";
    case K::ImageFailed: return "image_failed";
    case K::StackStarting: return "stack_starting";
    case K::StackReady: return "stack_ready";
    case K::StackFailed: return "stack_failed";
    case K::StackStopping: return "stack_stopping";
    case K::StackStopped: return "stack_stopped";
    case K::WatchStarted: return "watch_started";
    case K::WatchSynced: return "watch_synced";
    case K::WatchRestarted: return "watch_restarted";
    case K::WatchRebuilding: return "watch_rebuilding";
    case K::WatchRebuilt: return "watch_rebuilt";
    case K::WatchFailed: return "watch_failed";
    case K::WatchStopped: return "watch_stopped";
    case K::EngineUnavailable: return "engine_unavailable";
    case K::EngineAvailable: return "engine_available";
    case K::StackRecovered: return "stack_recovered";
    case K::ResourceAdopted: return "resource_adopted";
    case K::Lagged: return "lagged";
  }
  return "unknown";
}

EventSubscription::EventSubscription(std::shared_ptr<detail::EventQueue> queue)
    : queue_(std::move(queue)) {}

EventSubscription::~EventSubscription() { close(); }

asio::awaitable<Result<LifecycleEvent>> EventSubscription::next() {
  std::shared_ptr<detail::EventQueue> q = queue_;
  for (;;) {
    if (std::optional<LifecycleEvent> ev = q->pop()) {
      co_return std::move(*ev);
    }
    if (q->closed) {
      co_return Error(Errc::Cancelled, "event subscription closed");
    }
    Result<void> woke = co_await q->notifier.wait();
    if (!woke) {
      co_return std::move(woke).error();
    }
  }
}

std::optional<LifecycleEvent> EventSubscription::tryNext() { return queue_->pop(); }

std::vector<LifecycleEvent> EventSubscription::drain() {
  std::vector<LifecycleEvent> out;
  while (std::optional<LifecycleEvent> ev = queue_->pop()) {
    out.push_back(std::move(*ev));
  }
  return out;
}

void EventSubscription::close() {
  if (!queue_->closed) {
    queue_->closed = true;
    queue_->notifier.notifyAll();
  }
}

EventBus::EventBus(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

EventBus::~EventBus() {
  for (auto& weak : queues_) {
    if (auto q = weak.lock()) {
      q->closed = true;
      q->notifier.notifyAll();
    }
  }
}

EventSubscriptionPtr EventBus::subscribe() {
  auto q = std::make_shared<detail::EventQueue>();
  q->capacity = capacity_;
  std::erase_if(queues_, [](const auto& w) { return w.expired(); });
  queues_.push_back(q);
  return std::make_unique<EventSubscription>(std::move(q));
}

void EventBus::publish(const LifecycleEvent& event) {
  for (auto& weak : queues_) {
    auto q = weak.lock();
    if (!q || q->closed) {
      continue;
    }
    if (q->items.size() >= q->capacity) {
      q->items.pop_front();
      ++q->missed;
      q->lastMissed = event.time;
    }
    q->items.push_back(event);
    q->notifier.notifyAll();
  }
}

std::size_t EventBus::subscriberCount() const {
  return static_cast<std::size_t>(std::count_if(queues_.begin(), queues_.end(), [](const auto& w) {
    auto q = w.lock();
    return q && !q->closed;
  }));
}

}  // namespace ls::lifecycle
