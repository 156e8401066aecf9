// The events stream across an engine restart, against a private dockerd this test starts (and
// therefore may restart) on its own socket and data root.

#include <filesystem>

#include "engine/private_dockerd.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;

class EventsRestartTest : public PrivateEngineTest {};

TEST_F(EventsRestartTest, StreamSurvivesAnEngineRestartAndSaysSo) {
  // Ensures the runtime's event stream reconnects after the engine restarts, yields a
  // Reconnected marker, and then delivers events that happen after the restart.
  ASSERT_NO_FATAL_FAILURE(startPrivateEngine("lsdockerd"));
  const std::string& image = privateImage;

  auto clock = makeSystemClock();
  runtime::DockerRuntime rt(*priv, *clock);
  runtime::EventFilter filter{.project = project};
  auto events = run(rt.events(filter));
  ASSERT_TRUE(events) << events.error().what();

  auto startOne = [&](const std::string& name) -> std::string {
    engine::ContainerCreate c;
    c.image = image;
    c.cmd = {"sleep", "3600"};
    c.networkMode = "none";
    c.labels = labels();
    auto created = run(papi->createContainer(name, c));
    EXPECT_TRUE(created) << created.error().what();
    if (!created) {
      return {};
    }
    EXPECT_TRUE(run(papi->startContainer(created->id)));
    return created->id;
  };
  auto nextKind = [&]() -> std::optional<runtime::RuntimeEvent> {
    auto e = run((*events)->next());
    EXPECT_TRUE(e) << e.error().what();
    if (!e) {
      return std::nullopt;
    }
    return *e;
  };

  const std::string first = startOne(project + "_before");
  auto e1 = nextKind();
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->kind, runtime::RuntimeEvent::Kind::Start);
  EXPECT_EQ(e1->id.value, first);

  daemon->stop();
  ASSERT_TRUE(daemon->start());
  ASSERT_TRUE(answers(*priv)) << daemon->logTail();
  const std::string second = startOne(project + "_after");

  bool sawReconnected = false;
  bool sawSecondStart = false;
  for (int i = 0; i < 20 && !sawSecondStart; ++i) {
    auto e = nextKind();
    ASSERT_TRUE(e);
    if (e->kind == runtime::RuntimeEvent::Kind::Reconnected) {
      sawReconnected = true;
    }
    if (e->kind == runtime::RuntimeEvent::Kind::Start && e->id.value == second) {
      sawSecondStart = true;
      EXPECT_TRUE(sawReconnected) << "the marker comes before post-restart events";
    }
  }
  EXPECT_TRUE(sawReconnected);
  EXPECT_TRUE(sawSecondStart);
  (*events)->close();

  for (const auto& id : {first, second}) {
    (void)run(papi->removeContainer(id, true, true));
  }
}

}  // namespace
}  // namespace ls::testing
