#include "lightshuttle/control/codec.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "control/codec_json.hpp"

namespace ls::control {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using lifecycle::Health;
using lifecycle::LifecycleEvent;
using lifecycle::ResourceStatus;
using lifecycle::ResourceView;
using lifecycle::StackStatus;
using lifecycle::StackView;
using std::chrono::system_clock;

system_clock::time_point at(std::int64_t msSinceEpoch) {
  return system_clock::time_point(std::chrono::milliseconds(msSinceEpoch));
}

// 2026-12-01T20:44:03.120Z
const system_clock::time_point kStarted = at(1796157843120);

void expectSameView(const ResourceView& a, const ResourceView& b, const std::string& label) {
  EXPECT_EQ(a.name, b.name) << label;
  EXPECT_EQ(a.kind, b.kind) << label;
  EXPECT_EQ(a.status, b.status) << label;
  EXPECT_EQ(a.health, b.health) << label;
  EXPECT_EQ(a.image, b.image) << label;
  EXPECT_EQ(a.imageId, b.imageId) << label;
  EXPECT_EQ(a.containerId, b.containerId) << label;
  EXPECT_EQ(a.containerName, b.containerName) << label;
  ASSERT_EQ(a.ports.size(), b.ports.size()) << label;
  for (std::size_t i = 0; i < a.ports.size(); ++i) {
    EXPECT_EQ(a.ports[i].containerPort, b.ports[i].containerPort) << label;
    EXPECT_EQ(a.ports[i].hostAddress, b.ports[i].hostAddress) << label;
    EXPECT_EQ(a.ports[i].hostPort, b.ports[i].hostPort) << label;
    EXPECT_EQ(a.ports[i].protocol, b.ports[i].protocol) << label;
  }
  EXPECT_EQ(a.dependsOn, b.dependsOn) << label;
  EXPECT_EQ(a.startedAt, b.startedAt) << label;
  EXPECT_EQ(a.readyAt, b.readyAt) << label;
  EXPECT_EQ(a.timeToReady, b.timeToReady) << label;
  EXPECT_EQ(a.restarts, b.restarts) << label;
  EXPECT_EQ(a.lastError, b.lastError) << label;
  EXPECT_EQ(a.exitCode, b.exitCode) << label;
  EXPECT_EQ(a.operation, b.operation) << label;
}

void expectSameEvent(const LifecycleEvent& a, const LifecycleEvent& b, const std::string& label) {
  EXPECT_EQ(a.kind, b.kind) << label;
  EXPECT_EQ(a.resource, b.resource) << label;
  EXPECT_EQ(a.time, b.time) << label;
  EXPECT_EQ(a.message, b.message) << label;
  EXPECT_EQ(a.exitCode, b.exitCode) << label;
  EXPECT_EQ(a.containerId, b.containerId) << label;
  EXPECT_EQ(a.restarts, b.restarts) << label;
  EXPECT_EQ(a.delay, b.delay) << label;
  EXPECT_EQ(a.missed, b.missed) << label;
}

ResourceView fullView() {
  ResourceView v;
  v.name = "db";
  v.kind = manifest::Kind::Postgres;
  v.status = ResourceStatus::Running;
  v.health = Health::Healthy;
  v.image = "lightshuttle-test/postgres:15";
  v.imageId = "sha256:c60054cc67ce";
  v.containerId = "8d1f00aa";
  v.containerName = "quickstart_db";
  v.ports = {{.containerPort = 5432,
              .hostAddress = "127.0.0.1",
              .hostPort = 15432,
              .protocol = runtime::Protocol::Tcp},
             {.containerPort = 53,
              .hostAddress = "::1",
              .hostPort = 1053,
              .protocol = runtime::Protocol::Udp},
             {.containerPort = 9,
              .hostAddress = "127.0.0.1",
              .hostPort = std::nullopt,
              .protocol = runtime::Protocol::Sctp}};
  v.dependsOn = {"net", "cache"};
  v.startedAt = kStarted;
  v.readyAt = kStarted + 2290ms;
  v.timeToReady = 2290ms;
  v.restarts = 3;
  v.lastError = "exited with code 1: \"boom\"\n\tat line 2";
  v.exitCode = 1;
  v.operation = "restart";
  return v;
}

TEST(CodecTest, RoundTripsAResourceViewWithEveryField) {
  // Ensures decodeView(encodeView(v)) gives back every field of a view that sets them all.
  const ResourceView v = fullView();
  auto back = decodeView(encodeView(v));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  expectSameView(v, *back, "full view");
}

TEST(CodecTest, RoundTripsAResourceViewWithoutOptionals) {
  // Ensures absent optionals are written as null and read back as absent, for every kind,
  // status and health.
  for (auto kind : {manifest::Kind::Postgres, manifest::Kind::Redis, manifest::Kind::Container,
                    manifest::Kind::Dockerfile}) {
    for (int s = 0; s <= static_cast<int>(ResourceStatus::Stopped); ++s) {
      for (int h = 0; h <= static_cast<int>(Health::Unhealthy); ++h) {
        ResourceView v;
        v.name = "r";
        v.kind = kind;
        v.status = static_cast<ResourceStatus>(s);
        v.health = static_cast<Health>(h);
        const std::string label = std::string(manifest::kindName(kind)) + "/" +
                                  std::string(lifecycle::statusName(v.status)) + "/" +
                                  std::string(lifecycle::healthName(v.health));
        const std::string text = encodeView(v);
        auto back = decodeView(text);
        ASSERT_TRUE(back.has_value()) << label << ": " << back.error().message();
        expectSameView(v, *back, label);
      }
    }
  }
  ResourceView bare;
  bare.name = "bare";
  const std::string text = encodeView(bare);
  for (const char* key :
       {"\"started_at\":null", "\"ready_at\":null", "\"exit_code\":null", "\"last_error\":null",
        "\"operation\":null", "\"time_to_ready_ms\":null"}) {
    EXPECT_NE(text.find(key), std::string::npos) << key << " in " << text;
  }
}

TEST(CodecTest, RoundTripsAListOfViewsInOrder) {
  // Ensures decodeViews keeps the plan order of encodeViews, empty list included.
  ResourceView a = fullView();
  ResourceView b;
  b.name = "web";
  b.status = ResourceStatus::Pending;
  auto back = decodeViews(encodeViews({a, b}));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  ASSERT_EQ(back->size(), 2u);
  expectSameView(a, (*back)[0], "first");
  expectSameView(b, (*back)[1], "second");
  auto empty = decodeViews(encodeViews({}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(CodecTest, RoundTripsTheStackForEveryStatus) {
  // Ensures decodeStack(encodeStack(s)) gives back the project, status, times and counts.
  for (int st = 0; st <= static_cast<int>(StackStatus::Failed); ++st) {
    StackView s;
    s.project = "quickstart";
    s.status = static_cast<StackStatus>(st);
    s.startedAt = kStarted;
    s.readyAt = st == 1 ? std::optional(kStarted + 2s) : std::nullopt;
    s.resources = 3;
    s.resourcesReady = 2;
    const std::string text = encodeStack(s, "0.1.0", 4242, "http://127.0.0.1:41234/");
    auto back = decodeStack(text);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(back->project, s.project);
    EXPECT_EQ(back->status, s.status) << lifecycle::stackStatusName(s.status);
    EXPECT_EQ(back->startedAt, s.startedAt);
    EXPECT_EQ(back->readyAt, s.readyAt);
    EXPECT_EQ(back->resources, 3u);
    EXPECT_EQ(back->resourcesReady, 2u);
    EXPECT_NE(text.find("\"supervisor_pid\":4242"), std::string::npos) << text;
    EXPECT_NE(text.find("\"version\":\"0.1.0\""), std::string::npos) << text;
  }
  EXPECT_NE(encodeStack({}, "v", 1, "").find("\"dashboard_url\":null"), std::string::npos);
}

TEST(CodecTest, RoundTripsTheEngineAvailability) {
  // Ensures an engine outage reaches clients: "engine" and the time it was noticed.
  StackView s;
  s.project = "quickstart";
  s.status = StackStatus::Degraded;
  s.engineAvailable = false;
  s.engineUnavailableSince = kStarted + 5s;
  const std::string text = encodeStack(s, "0.1.0", 1, "");
  EXPECT_NE(text.find("\"engine\":\"unavailable\""), std::string::npos) << text;
  auto back = decodeStack(text);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_FALSE(back->engineAvailable);
  EXPECT_EQ(back->engineUnavailableSince, s.engineUnavailableSince);
  auto fine = decodeStack(encodeStack({}, "v", 1, ""));
  ASSERT_TRUE(fine.has_value());
  EXPECT_TRUE(fine->engineAvailable);
  EXPECT_FALSE(fine->engineUnavailableSince.has_value());
}

TEST(CodecTest, RoundTripsTheWatcherState) {
  // Ensures the stack object says whether a watcher runs (null before one announced itself), so
  // a client that missed watch_stopped learns it from the next snapshot.
  StackView s;
  s.project = "quickstart";
  const std::string none = encodeStack(s, "v", 1, "");
  EXPECT_NE(none.find("\"watch\":null"), std::string::npos) << none;
  auto back = decodeStack(none);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_FALSE(back->watch.has_value());
  for (bool active : {true, false}) {
    s.watch = StackView::Watch{.active = active, .message = "watching 2 rules for web"};
    back = decodeStack(encodeStack(s, "v", 1, ""));
    ASSERT_TRUE(back.has_value()) << back.error().message();
    ASSERT_TRUE(back->watch.has_value());
    EXPECT_EQ(back->watch->active, active);
    EXPECT_EQ(back->watch->message, "watching 2 rules for web");
  }
}

TEST(CodecTest, RoundTripsAnEventOfEveryKind) {
  // Ensures decodeEvent(encodeEvent(e)) gives back every field, for every kind of event.
  for (int k = 0; k <= static_cast<int>(LifecycleEvent::Kind::Lagged); ++k) {
    LifecycleEvent e;
    e.kind = static_cast<LifecycleEvent::Kind>(k);
    const bool lagged = e.kind == LifecycleEvent::Kind::Lagged;
    e.resource = k < static_cast<int>(LifecycleEvent::Kind::StackStarting) ? "db" : "";
    e.time = kStarted + std::chrono::milliseconds(k);
    e.message = k % 2 == 0 ? "pulling 'postgres:15'" : "";
    e.exitCode = k % 3 == 0 ? std::optional(137) : std::nullopt;
    e.containerId = k % 2 == 1 ? "8d1f" : "";
    e.restarts = k;
    e.delay = k % 4 == 0 ? std::optional<std::chrono::nanoseconds>(1500ms) : std::nullopt;
    e.missed = lagged ? 12 : 0;
    const std::string label(lifecycle::eventKindName(e.kind));
    auto back = decodeEvent(encodeEvent(e));
    ASSERT_TRUE(back.has_value()) << label << ": " << back.error().message();
    expectSameEvent(e, *back, label);
  }
}

TEST(CodecTest, DecodesEveryTypeOfEventsMessage) {
  // Ensures decodeEventMessage reads the three messages of the events WebSocket as
  // docs/control-api.md shows them: snapshot, event (with the view and the stack after it) and
  // lagged.
  const std::string view = encodeView(fullView());
  const std::string stack =
      encodeStack({.project = "q", .status = StackStatus::Ready}, "0.1.0", 7, "");

  auto snapshot = decodeEventMessage(R"({"type":"snapshot","stack":)" + stack +
                                     R"(,"resources":[)" + view + "," + view + "]}");
  ASSERT_TRUE(snapshot.has_value()) << snapshot.error().message();
  EXPECT_EQ(snapshot->type, EventMessage::Type::Snapshot);
  ASSERT_EQ(snapshot->resources.size(), 2u);
  expectSameView(fullView(), snapshot->resources[1], "snapshot");
  ASSERT_TRUE(snapshot->stack.has_value());
  EXPECT_EQ(snapshot->stack->status, StackStatus::Ready);

  LifecycleEvent e;
  e.kind = LifecycleEvent::Kind::ResourceHealthy;
  e.resource = "db";
  e.time = kStarted;
  auto event = decodeEventMessage(R"({"type":"event","seq":17,"event":)" + encodeEvent(e) +
                                  R"(,"resource":)" + view + R"(,"stack":)" + stack + "}");
  ASSERT_TRUE(event.has_value()) << event.error().message();
  EXPECT_EQ(event->type, EventMessage::Type::Event);
  ASSERT_TRUE(event->event.has_value());
  expectSameEvent(e, *event->event, "event");
  ASSERT_TRUE(event->resource.has_value());
  expectSameView(fullView(), *event->resource, "event's view");
  ASSERT_TRUE(event->stack.has_value());
  EXPECT_EQ(event->stack->project, "q");

  auto stackEvent =
      decodeEventMessage(R"({"type":"event","event":)" + encodeEvent({}) + R"(,"resource":null})");
  ASSERT_TRUE(stackEvent.has_value()) << stackEvent.error().message();
  EXPECT_FALSE(stackEvent->resource.has_value());

  auto lagged = decodeEventMessage(R"({"type":"lagged","missed":12})");
  ASSERT_TRUE(lagged.has_value()) << lagged.error().message();
  EXPECT_EQ(lagged->type, EventMessage::Type::Lagged);
  EXPECT_EQ(lagged->missed, 12u);
}

TEST(CodecTest, RefusesTextTheEncoderDoesNotWrite) {
  // Ensures malformed input (not JSON, wrong shapes or types, unknown names) is InvalidArgument
  // with a message, from every decoder, and never a crash or a default-filled value.
  enum class Decoder { View, Views, Stack, Event, Message };
  struct Case {
    std::string label;
    Decoder decoder;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"view: not JSON", Decoder::View, "{name: db}"},
      {"view: empty", Decoder::View, ""},
      {"view: truncated", Decoder::View, R"({"name":"db","status":"runn)"},
      {"view: an array", Decoder::View, "[]"},
      {"view: a string", Decoder::View, R"("db")"},
      {"view: no name", Decoder::View, R"({"status":"running"})"},
      {"view: empty name", Decoder::View, R"({"name":"","status":"running"})"},
      {"view: name a number", Decoder::View, R"({"name":5,"status":"running"})"},
      {"view: no status", Decoder::View, R"({"name":"db"})"},
      {"view: status a number", Decoder::View, R"({"name":"db","status":2})"},
      {"view: unknown status", Decoder::View, R"({"name":"db","status":"sleeping"})"},
      {"view: status in upper case", Decoder::View, R"({"name":"db","status":"RUNNING"})"},
      {"views: an object", Decoder::Views, R"({"name":"db","status":"running"})"},
      {"views: not JSON", Decoder::Views, "[{]"},
      {"views: a number inside", Decoder::Views, "[1]"},
      {"views: a bad view inside", Decoder::Views,
       R"([{"name":"db","status":"running"},{"name":"x","status":"?"}])"},
      {"stack: not JSON", Decoder::Stack, "nope"},
      {"stack: an array", Decoder::Stack, "[]"},
      {"stack: unknown status", Decoder::Stack, R"({"project":"q","status":"sleeping"})"},
      {"stack: resource status", Decoder::Stack, R"({"project":"q","status":"running"})"},
      {"event: not JSON", Decoder::Event, "{"},
      {"event: no kind", Decoder::Event, R"({"resource":"db"})"},
      {"event: unknown kind", Decoder::Event, R"({"kind":"resource_exploded"})"},
      {"event: kind a number", Decoder::Event, R"({"kind":3})"},
      {"message: not JSON", Decoder::Message, "\x01"},
      {"message: an array", Decoder::Message, "[]"},
      {"message: no type", Decoder::Message, R"({"missed":1})"},
      {"message: unknown type", Decoder::Message, R"({"type":"hello"})"},
      {"message: type a number", Decoder::Message, R"({"type":1})"},
      {"message: event without event", Decoder::Message, R"({"type":"event"})"},
      {"message: event not an object", Decoder::Message, R"({"type":"event","event":"x"})"},
      {"message: event of unknown kind", Decoder::Message,
       R"({"type":"event","event":{"kind":"nope"}})"},
      {"message: event with a bad view", Decoder::Message,
       R"({"type":"event","event":{"kind":"stack_ready"},"resource":{"name":"db"}})"},
      {"message: snapshot with a bad view", Decoder::Message,
       R"({"type":"snapshot","resources":[{"name":"db","status":"zombie"}]})"},
      {"message: snapshot with a bad stack", Decoder::Message,
       R"({"type":"snapshot","stack":{"status":"zombie"},"resources":[]})"},
  };
  for (const Case& c : cases) {
    std::optional<Error> error;
    switch (c.decoder) {
      case Decoder::View:
        if (auto r = decodeView(c.text); !r)
          error = r.error();
        break;
      case Decoder::Views:
        if (auto r = decodeViews(c.text); !r)
          error = r.error();
        break;
      case Decoder::Stack:
        if (auto r = decodeStack(c.text); !r)
          error = r.error();
        break;
      case Decoder::Event:
        if (auto r = decodeEvent(c.text); !r)
          error = r.error();
        break;
      case Decoder::Message:
        if (auto r = decodeEventMessage(c.text); !r)
          error = r.error();
        break;
    }
    ASSERT_TRUE(error.has_value()) << c.label << " was accepted";
    EXPECT_EQ(error->code(), Errc::InvalidArgument) << c.label;
    EXPECT_FALSE(error->message().empty()) << c.label;
  }
}

TEST(CodecTest, DropsNumbersThatDoNotFit) {
  // Ensures a number the encoder could not have written (a double past int64, milliseconds past
  // what a nanosecond duration holds) is read as absent instead of wrapping into a wrong value
  // through undefined behaviour.
  auto huge = decodeView(R"({"name":"db","status":"running","restarts":1e300,)"
                         R"("exit_code":-1e300,"time_to_ready_ms":1e30})");
  ASSERT_TRUE(huge.has_value()) << huge.error().message();
  EXPECT_EQ(huge->restarts, 0);
  EXPECT_EQ(huge->exitCode, std::nullopt);
  EXPECT_EQ(huge->timeToReady, std::nullopt);

  auto maxMs =
      decodeView(R"({"name":"db","status":"running","time_to_ready_ms":9223372036854775807})");
  ASSERT_TRUE(maxMs.has_value()) << maxMs.error().message();
  EXPECT_EQ(maxMs->timeToReady, std::nullopt);

  auto fits = decodeView(R"({"name":"db","status":"running","time_to_ready_ms":9223372036854})");
  ASSERT_TRUE(fits.has_value()) << fits.error().message();
  EXPECT_EQ(fits->timeToReady, std::chrono::milliseconds(9223372036854));

  auto fraction = decodeView(R"({"name":"db","status":"running","restarts":2.5,"exit_code":-1.0})");
  ASSERT_TRUE(fraction.has_value()) << fraction.error().message();
  EXPECT_EQ(fraction->restarts, 2);
  EXPECT_EQ(fraction->exitCode, -1);

  auto delay = decodeEvent(R"({"kind":"resource_restarting","delay_ms":-9223372036854775807})");
  ASSERT_TRUE(delay.has_value()) << delay.error().message();
  EXPECT_EQ(delay->delay, std::nullopt);

  auto lagged = decodeEventMessage(R"({"type":"lagged","missed":-1e300})");
  ASSERT_TRUE(lagged.has_value()) << lagged.error().message();
  EXPECT_EQ(lagged->missed, 0u);
}

TEST(TimeTest, FormatsUtcWithMilliseconds) {
  // Ensures formatTime writes RFC 3339 UTC with exactly three fraction digits, truncating finer
  // precision, before and after the epoch.
  struct Case {
    system_clock::time_point t;
    std::string text;
  };
  const std::vector<Case> cases = {
      {at(0), "1970-01-01T00:00:00.000Z"},
      {kStarted, "2026-12-01T20:44:03.120Z"},
      {kStarted + 999us, "2026-12-01T20:44:03.120Z"},
      {at(951782400000), "2000-02-29T00:00:00.000Z"},
      {at(1709164800000 + 86399999), "2024-02-29T23:59:59.999Z"},
      {at(-1), "1969-12-31T23:59:59.999Z"},
      {at(-1500), "1969-12-31T23:59:58.500Z"},
      {at(-86400000LL * 365), "1969-01-01T00:00:00.000Z"},
      {at(4102444800000), "2100-01-01T00:00:00.000Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(formatTime(c.t), c.text);
  }
}

TEST(TimeTest, ParsesRfc3339WithFractionsAndOffsets) {
  // Ensures parseTime reads what formatTime writes and RFC 3339 in general: any fraction (down to
  // nanoseconds), Z or a numeric offset, lower-case t/z, leap days, the epoch and earlier.
  struct Case {
    std::string text;
    system_clock::time_point t;
  };
  using std::chrono::nanoseconds;
  const std::vector<Case> cases = {
      {"1970-01-01T00:00:00Z", at(0)},
      {"1970-01-01T00:00:00.000Z", at(0)},
      {"2026-12-01T20:44:03.120Z", kStarted},
      {"2026-12-01T20:44:03.12Z", kStarted},
      {"2026-12-01t20:44:03.120z", kStarted},
      {"2026-12-01T20:44:03.123456789Z", at(1796157843000) + nanoseconds(123456789)},
      {"2026-12-01T20:44:03.1234567891234Z", at(1796157843000) + nanoseconds(123456789)},
      {"2026-12-01T20:44:03.000000001Z", at(1796157843000) + nanoseconds(1)},
      {"2026-12-01T21:44:03.120+01:00", kStarted},
      {"2026-12-01T15:14:03.120-05:30", kStarted},
      {"2026-12-02T06:44:03.120+10:00", kStarted},
      {"2026-12-01T20:44:03.120+00:00", kStarted},
      {"2026-12-01T20:44:03.120-00:00", kStarted},
      {"1970-01-01T00:59:59+01:00", at(-1000)},
      {"2000-02-29T00:00:00Z", at(951782400000)},
      {"2024-02-29T12:00:00Z", at(1709164800000 + 12 * 3600000)},
      {"2024-03-01T00:00:00Z", at(1709251200000)},
      {"1969-12-31T23:59:59.999Z", at(-1)},
      {"1969-12-31T23:59:58.500Z", at(-1500)},
      {"1900-01-01T00:00:00Z", at(-2208988800000)},
      {"2100-01-01T00:00:00Z", at(4102444800000)},
  };
  for (const Case& c : cases) {
    const auto got = parseTime(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(*got, c.t) << c.text << " vs " << formatTime(*got);
  }
  for (std::int64_t ms : {0LL, 1LL, -1LL, 1796157843120LL, -2208988800001LL, 253402300799LL}) {
    EXPECT_EQ(parseTime(formatTime(at(ms))), at(ms)) << ms;
  }
}

TEST(TimeTest, RefusesStringsThatAreNotRfc3339) {
  // Ensures parseTime answers nullopt for malformed text and for dates or offsets that do not
  // exist, instead of normalising them into another instant.
  const std::vector<std::string> cases = {
      "",
      "2026",
      "2026-12-01",
      "2026-12-01T20:44:03",
      "2026-12-01T20:44:03.120",
      "2026-12-01 20:44:03Z",
      "2026-12-01T20:44:03.Z",
      "2026-12-01T20:44:03,120Z",
      "2026-12-01T20:44:03ZZ",
      "2026-12-01T20:44:03Z ",
      " 2026-12-01T20:44:03Z",
      "2026-13-01T20:44:03Z",
      "2026-00-01T20:44:03Z",
      "2026-12-00T20:44:03Z",
      "2026-12-32T20:44:03Z",
      "2026-02-30T00:00:00Z",
      "2026-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-12-01T24:00:00Z",
      "2026-12-01T20:60:00Z",
      "2026-12-01T20:44:61Z",
      "2026-12-01T20:44:03+01",
      "2026-12-01T20:44:03+0100",
      "2026-12-01T20:44:03+01:0",
      "2026-12-01T20:44:03+1:00",
      "2026-12-01T20:44:03+24:00",
      "2026-12-01T20:44:03+01:60",
      "2026-12-01T20:44:03+01:00:00",
      "2026-12-01T20:44:03UTC",
      "+2026-12-01T20:44:03Z",
      "2026-1-01T20:44:03Z",
      "20261201T204403Z",
      "2026-12-01T20:44:0aZ",
      "2026-12-01T20:44:03.12a4Z",
      "9999-12-31T23:59:59Z",
      "1600-01-01T00:00:00Z",
      "2026-12-01T20:44:03\0Z"s,
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(parseTime(c).has_value()) << "'" << c << "' gave " << formatTime(*parseTime(c));
  }
}

TEST(PortUrlTest, GivesAnHttpUrlOnlyForPortsThatLookLikeHttp) {
  // Ensures the `url` rules of docs/control-api.md: a TCP port with a host port, that is a
  // well-known HTTP port or belongs to an app kind (container/dockerfile); loopback for an
  // empty or wildcard address, brackets for IPv6.
  struct Case {
    std::string label;
    manifest::Kind kind;
    runtime::PortBinding port;
    std::optional<std::string> url;
  };
  using runtime::Protocol;
  const auto tcp = [](std::uint16_t container, std::optional<std::uint16_t> host,
                      std::string address = "127.0.0.1") {
    return runtime::PortBinding{.containerPort = container,
                                .hostAddress = std::move(address),
                                .hostPort = host,
                                .protocol = Protocol::Tcp};
  };
  std::vector<Case> cases = {
      {"postgres 5432", manifest::Kind::Postgres, tcp(5432, 15432), std::nullopt},
      {"redis 6379", manifest::Kind::Redis, tcp(6379, 16379), std::nullopt},
      {"container 5432 (app kind)", manifest::Kind::Container, tcp(5432, 15432),
       "http://127.0.0.1:15432/"},
      {"dockerfile 1234 (app kind)", manifest::Kind::Dockerfile, tcp(1234, 4321),
       "http://127.0.0.1:4321/"},
      {"no host port", manifest::Kind::Container, tcp(80, std::nullopt), std::nullopt},
      {"no host port, http port", manifest::Kind::Postgres, tcp(8080, std::nullopt), std::nullopt},
      {"udp on an app kind",
       manifest::Kind::Container,
       {.containerPort = 80,
        .hostAddress = "127.0.0.1",
        .hostPort = 8080,
        .protocol = Protocol::Udp},
       std::nullopt},
      {"sctp on an app kind",
       manifest::Kind::Container,
       {.containerPort = 80,
        .hostAddress = "127.0.0.1",
        .hostPort = 8080,
        .protocol = Protocol::Sctp},
       std::nullopt},
      {"empty address", manifest::Kind::Container, tcp(80, 8080, ""), "http://127.0.0.1:8080/"},
      {"wildcard address", manifest::Kind::Container, tcp(80, 8080, "0.0.0.0"),
       "http://127.0.0.1:8080/"},
      {"IPv6 loopback", manifest::Kind::Container, tcp(80, 8080, "::1"), "http://[::1]:8080/"},
      {"other address", manifest::Kind::Container, tcp(80, 8080, "192.168.1.2"),
       "http://192.168.1.2:8080/"},
  };
  for (std::uint16_t p : {80, 443, 3000, 5000, 8000, 8080, 8443, 8888, 9000}) {
    cases.push_back({"postgres publishing " + std::to_string(p), manifest::Kind::Postgres,
                     tcp(p, 20000), "http://127.0.0.1:20000/"});
  }
  for (std::uint16_t p : {22, 5432, 6379, 81, 8079}) {
    cases.push_back({"redis publishing " + std::to_string(p), manifest::Kind::Redis, tcp(p, 20000),
                     std::nullopt});
  }
  for (const Case& c : cases) {
    ResourceView v;
    v.name = "r";
    v.kind = c.kind;
    EXPECT_EQ(portUrl(v, c.port), c.url) << c.label;
  }
}

TEST(PortUrlTest, IsWrittenIntoTheView) {
  // Ensures encodeView carries portUrl's answer in each port's `url`, null when there is none.
  ResourceView v;
  v.name = "web";
  v.kind = manifest::Kind::Container;
  v.ports = {{.containerPort = 8080, .hostAddress = "", .hostPort = 18080},
             {.containerPort = 8080, .hostAddress = "", .hostPort = std::nullopt}};
  const std::string text = encodeView(v);
  EXPECT_NE(text.find(R"("url":"http://127.0.0.1:18080/")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("url":null)"), std::string::npos) << text;
}

bool isValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80                 ? 1
                      : c >= 0xC2 && c <= 0xDF ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
    if (len == 0 || i + len > s.size()) {
      return false;
    }
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

TEST(SanitizeUtf8Test, KeepsValidTextByteIdentical) {
  // Ensures valid UTF-8 of every length, the edges of the code space included, passes through
  // unchanged (log lines are shown as the container wrote them).
  const std::vector<std::string> cases = {
      "",
      "plain ascii\twith\ttabs\r\n",
      "nul \0 inside"s,
      "\x1b[31mred\x1b[0m",
      "\xC2\x80 \xDF\xBF",                                    // U+0080, U+07FF
      "caf\xC3\xA9 \xE2\x82\xAC 5",                           // é €
      "\xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF",  // U+0800 U+D7FF U+E000 U+FFFF
      "\xEF\xBF\xBD",                                         // U+FFFD itself
      "\xF0\x90\x80\x80 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF",   // U+10000 😀 U+10FFFF
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
  };
  for (const std::string& c : cases) {
    EXPECT_EQ(detail::sanitizeUtf8(c), c);
  }
}

TEST(SanitizeUtf8Test, ReplacesInvalidSequencesWithTheReplacementCharacter) {
  // Ensures truncated sequences, stray continuation bytes, overlong forms, surrogates, code
  // points past U+10FFFF and bytes that never occur become U+FFFD, while the valid text around
  // them survives and the result is valid UTF-8.
  struct Case {
    std::string label;
    std::string bad;
  };
  const std::vector<Case> cases = {
      {"truncated 2-byte", "\xC3"},
      {"truncated 3-byte", "\xE2\x82"},
      {"truncated 4-byte", "\xF0\x9F\x98"},
      {"lead then ascii",
       "\xE2"
       "A"},
      {"lone continuation", "\x80"},
      {"continuations", "\x80\xBF\x80"},
      {"overlong NUL", "\xC0\x80"},
      {"overlong C1", "\xC1\xBF"},
      {"overlong 3-byte slash", "\xE0\x80\xAF"},
      {"overlong 4-byte slash", "\xF0\x80\x80\xAF"},
      {"overlong U+FFFF", "\xF0\x8F\xBF\xBF"},
      {"high surrogate", "\xED\xA0\x80"},
      {"low surrogate", "\xED\xBF\xBF"},
      {"surrogate pair (CESU-8)", "\xED\xA0\xBD\xED\xB8\x80"},
      {"U+110000", "\xF4\x90\x80\x80"},
      {"F5 lead", "\xF5\x80\x80\x80"},
      {"5-byte form", "\xF8\x88\x80\x80\x80"},
      {"6-byte form", "\xFC\x84\x80\x80\x80\x80"},
      {"FE", "\xFE"},
      {"FF", "\xFF"},
  };
  const std::string fffd = "\xEF\xBF\xBD";
  for (const Case& c : cases) {
    const std::string in = "a\xC3\xA9" + c.bad +
                           "\xE2\x82\xAC"
                           "z";
    const std::string out = detail::sanitizeUtf8(in);
    EXPECT_TRUE(isValidUtf8(out)) << c.label;
    ASSERT_GE(out.size(), 3u + fffd.size() + 4u) << c.label;
    EXPECT_EQ(out.substr(0, 3), "a\xC3\xA9") << c.label;
    EXPECT_EQ(out.substr(out.size() - 4),
              "\xE2\x82\xAC"
              "z")
        << c.label;
    // Between them only replacement characters, and ASCII that was in the input.
    std::string middle = out.substr(3, out.size() - 7);
    std::string ascii;
    for (char ch : c.bad) {
      if (static_cast<unsigned char>(ch) < 0x80) {
        ascii.push_back(ch);
      }
    }
    std::string stripped;
    std::size_t replacements = 0;
    for (std::size_t i = 0; i < middle.size();) {
      if (middle.compare(i, fffd.size(), fffd) == 0) {
        ++replacements;
        i += fffd.size();
      } else {
        stripped.push_back(middle[i]);
        ++i;
      }
    }
    EXPECT_GE(replacements, 1u) << c.label;
    EXPECT_LE(replacements, c.bad.size()) << c.label;
    EXPECT_EQ(stripped, ascii) << c.label;
  }
}

TEST(SanitizeUtf8Test, ProtectsEveryTextFieldOfAnEvent) {
  // Ensures hostile bytes in an event's message reach the JSON as U+FFFD and the text stays
  // decodable.
  LifecycleEvent e;
  e.kind = LifecycleEvent::Kind::ResourceFailed;
  e.resource = "db";
  e.message = "bad \xFF\xC0\x80 bytes";
  auto back = decodeEvent(encodeEvent(e));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->message, detail::sanitizeUtf8(e.message));
  EXPECT_TRUE(isValidUtf8(back->message));
}

}  // namespace
}  // namespace ls::control
