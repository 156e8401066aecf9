#include "lightshuttle/lifecycle/events.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ls::lifecycle {
namespace {

namespace asio = boost::asio;
using K = LifecycleEvent::Kind;

LifecycleEvent event(const std::string& resource) {
  LifecycleEvent ev;
  ev.kind = K::ResourceStarted;
  ev.resource = resource;
  return ev;
}

TEST(EventBusTest, DeliversInOrderToEverySubscriberWithoutReplay) {
  // Ensures each subscriber sees every event published after it subscribed, in order.
  EventBus bus(8);
  EventSubscriptionPtr early = bus.subscribe();
  bus.publish(event("a"));
  EventSubscriptionPtr late = bus.subscribe();
  bus.publish(event("b"));
  std::vector<LifecycleEvent> first = early->drain();
  std::vector<LifecycleEvent> second = late->drain();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].resource, "a");
  EXPECT_EQ(first[1].resource, "b");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].resource, "b");
  EXPECT_EQ(bus.subscriberCount(), 2u);
  late.reset();
  EXPECT_EQ(bus.subscriberCount(), 1u);
}

TEST(EventBusTest, SlowSubscriberGetsALaggedMarkerAndNeverBlocksPublishing) {
  // Ensures a full queue drops its oldest events and reports how many with a lagged marker.
  EventBus bus(2);
  EventSubscriptionPtr slow = bus.subscribe();
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    bus.publish(event(name));
  }
  std::vector<LifecycleEvent> got = slow->drain();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, K::Lagged);
  EXPECT_EQ(got[0].missed, 3u);
  EXPECT_EQ(eventKindName(got[0].kind), "lagged");
  EXPECT_EQ(got[1].resource, "d");
  EXPECT_EQ(got[2].resource, "e");
  EXPECT_FALSE(slow->tryNext().has_value());
}

TEST(EventBusTest, NextWaitsForAnEventAndEndsWhenClosed) {
  // Ensures next() suspends until an event arrives and returns Cancelled once closed.
  asio::io_context ctx;
  EventBus bus(4);
  EventSubscriptionPtr sub = bus.subscribe();
  std::vector<std::string> received;
  bool ended = false;
  auto reader = [&]() -> asio::awaitable<void> {
    for (;;) {
      Result<LifecycleEvent> ev = co_await sub->next();
      if (!ev) {
        ended = ev.error().code() == Errc::Cancelled;
        co_return;
      }
      received.push_back(ev->resource);
    }
  };
  asio::co_spawn(ctx, reader(), [](std::exception_ptr e) { EXPECT_FALSE(e); });
  ctx.poll();
  EXPECT_TRUE(received.empty());
  bus.publish(event("a"));
  ctx.restart();
  ctx.poll();
  EXPECT_EQ(received, std::vector<std::string>{"a"});
  sub->close();
  ctx.restart();
  ctx.poll();
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace ls::lifecycle
