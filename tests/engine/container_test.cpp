#include "support/engine.hpp"

namespace ls::testing {
namespace {

class ContainerTest : public EngineTest {};

TEST_F(ContainerTest, CreateStartInspectStopRemove) {
  // Ensures the full container lifecycle works on the real engine with idempotent outcomes.
  engine::ContainerCreate spec;
  spec.image = kBusybox;
  spec.cmd = {"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"};
  spec.labels = labels();
  const std::string name = project + "_test";
  auto created = run(api->createContainer(name, spec));
  ASSERT_TRUE(created) << created.error().what();

  auto dup = run(api->createContainer(name, spec));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), Errc::Conflict);

  auto started = run(api->startContainer(created->id));
  ASSERT_TRUE(started) << started.error().what();
  EXPECT_EQ(*started, engine::StartOutcome::Started);
  EXPECT_EQ(*run(api->startContainer(created->id)), engine::StartOutcome::AlreadyRunning);

  auto info = run(api->inspectContainer(name));
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(info->id, created->id);
  EXPECT_EQ(info->name, name);
  EXPECT_TRUE(info->state.running);
  EXPECT_GT(info->state.pid, 0);
  EXPECT_TRUE(info->state.startedAt.has_value());
  EXPECT_EQ(info->labels.at("lightshuttle.project"), project);

  std::vector<std::string> filter{"lightshuttle.project=" + project};
  auto listed = run(api->listContainers(filter, true));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).names.at(0), name);

  auto stopped = run(api->stopContainer(created->id, std::chrono::seconds(5)));
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_EQ(*stopped, engine::StopOutcome::Stopped);
  EXPECT_EQ(*run(api->stopContainer(created->id, std::chrono::seconds(5))),
            engine::StopOutcome::AlreadyStopped);
  auto after = run(api->inspectContainer(created->id));
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->state.running);
  EXPECT_EQ(after->state.exitCode, 0) << "the TERM trap exits 0";

  EXPECT_EQ(*run(api->removeContainer(created->id, false, true)), engine::RemoveOutcome::Removed);
  EXPECT_EQ(*run(api->removeContainer(created->id, false, true)),
            engine::RemoveOutcome::AlreadyRemoved);
  auto gone = run(api->inspectContainer(created->id));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::NotFound);
}

TEST_F(ContainerTest, ExitCodeAndWait) {
  // Ensures wait returns the process's exit code, registered before start so it is not missed.
  engine::ContainerCreate spec;
  spec.image = kBusybox;
  spec.cmd = {"sh", "-c", "exit 7"};
  spec.labels = labels();
  auto created = run(api->createContainer(project + "_exit", spec));
  ASSERT_TRUE(created) << created.error().what();
  ASSERT_TRUE(run(api->startContainer(created->id)));
  auto code = run(api->waitContainer(created->id, "not-running", std::chrono::seconds(30)));
  ASSERT_TRUE(code) << code.error().what();
  EXPECT_EQ(*code, 7);
  auto info = run(api->inspectContainer(created->id));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state.exitCode, 7);
  EXPECT_TRUE(info->state.finishedAt.has_value());
}

TEST_F(ContainerTest, PublishesOnLoopbackWithARandomPort) {
  // Ensures a port published without a host port binds 127.0.0.1 and gets a real port.
  engine::ContainerCreate spec;
  spec.image = kBusybox;
  spec.cmd = {"sleep", "60"};
  spec.labels = labels();
  spec.ports.push_back(
      {.containerPort = 8080, .protocol = "tcp", .hostIp = "127.0.0.1", .hostPort = ""});
  auto created = run(api->createContainer(project + "_ports", spec));
  ASSERT_TRUE(created) << created.error().what();
  ASSERT_TRUE(run(api->startContainer(created->id)));
  auto info = run(api->inspectContainer(created->id));
  ASSERT_TRUE(info);
  ASSERT_EQ(info->ports.size(), 1u);
  EXPECT_EQ(info->ports[0].hostIp, "127.0.0.1");
  EXPECT_GT(info->ports[0].hostPort, 0);
}

TEST_F(ContainerTest, MissingImageIsNotFound) {
  // Ensures creating from an image that is not present locally is NotFound, naming the image.
  engine::ContainerCreate spec;
  spec.image = "lightshuttle-test/does-not-exist:never";
  spec.labels = labels();
  auto created = run(api->createContainer(project + "_noimage", spec));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code(), Errc::NotFound);
  EXPECT_NE(created.error().what().find("does-not-exist"), std::string::npos);
}

}  // namespace
}  // namespace ls::testing
