// The runtime contract of an engine backend: files put into a container, named volumes and the
// process environment. MemoryRuntime has no filesystem, no volumes and runs no process (its
// archivePut and removeVolume are Unsupported, its exec answers what a test scripted), so only
// the Docker backends instantiate these.
#include <chrono>
#include <string>
#include <vector>

#include "archive/tar_writer.hpp"
#include "contract/contract.hpp"

namespace ls::contract {
namespace {

using namespace std::chrono_literals;

std::string tarOf(const std::string& name, const std::string& content) {
  std::string tar;
  archive::TarWriter w(tar);
  LS_CHECK(w.addEntry({.name = name, .mode = 0644, .size = content.size(), .mtime = 1700000000},
                      content));
  LS_CHECK(w.finish());
  return tar;
}

TEST_P(EngineContract, ArchivePutIsVisibleThroughExec) {
  // Ensures a file put with archivePut (a watch-mode sync) is what the container then reads,
  // and that a missing directory is NotFound and a path that is no directory InvalidArgument.
  auto id = startOk(spec("files", cmd::ignoresTerm()));
  ASSERT_TRUE(id);
  const std::string content = "hello from the contract\n";
  const std::string tar = tarOf("hello.txt", content);
  const runtime::ArchivePutOptions options;
  auto put = run(rt().archivePut(*id, "/tmp", tar, options));
  ASSERT_TRUE(put) << put.error().what();
  runtime::ExecRequest cat;
  cat.cmd = {"cat", "/tmp/hello.txt"};
  cat.timeout = 30s;
  auto read = run(rt().exec(*id, cat));
  ASSERT_TRUE(read) << read.error().what();
  EXPECT_EQ(read->exitCode, 0) << read->stderrText;
  EXPECT_EQ(read->stdoutText, content);

  auto missing = run(rt().archivePut(*id, "/no/such/dir", tar, options));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound) << missing.error().what();
  auto intoFile = run(rt().archivePut(*id, "/etc/passwd", tar, options));
  ASSERT_FALSE(intoFile);
  EXPECT_EQ(intoFile.error().code(), Errc::InvalidArgument) << intoFile.error().what();
}

TEST_P(EngineContract, NamedVolumeOutlivesItsContainerUntilRemoved) {
  // Ensures a named volume is listed with the container that mounts it, cannot be removed while
  // that container exists (Conflict), survives the container's removal (`down` keeps it), and
  // is then removed once (Removed, then AlreadyRemoved: `down --volumes` run twice).
  const std::string volume = project() + "_data";
  backend().ownVolume(volume);
  runtime::ContainerSpec s = spec("db", cmd::ignoresTerm());
  s.volumes.push_back(runtime::VolumeBinding{
      .kind = runtime::VolumeBinding::Kind::Named, .source = volume, .target = "/data"});
  auto id = startOk(s);
  ASSERT_TRUE(id);
  auto listed = run(rt().listManaged(project()));
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().namedVolumes, std::vector<std::string>{volume});

  auto inUse = run(rt().removeVolume(volume));
  ASSERT_FALSE(inUse);
  EXPECT_EQ(inUse.error().code(), Errc::Conflict) << inUse.error().what();
  auto removed = run(rt().remove(s.name));
  ASSERT_TRUE(removed) << removed.error().what();
  auto dropped = run(rt().removeVolume(volume));
  ASSERT_TRUE(dropped) << dropped.error().what();
  EXPECT_EQ(*dropped, runtime::RemoveOutcome::Removed);
  auto again = run(rt().removeVolume(volume));
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(*again, runtime::RemoveOutcome::AlreadyRemoved);
}

TEST_P(EngineContract, ExecSeesTheSpecsEnvironment) {
  // Ensures the spec's environment reaches the process: an exec (which inherits it) reads it.
  runtime::ContainerSpec s = spec("env", cmd::ignoresTerm());
  s.env["GREETING"] = "hello contract";
  auto id = startOk(s);
  ASSERT_TRUE(id);
  runtime::ExecRequest echo;
  echo.cmd = {"sh", "-c", "echo \"$GREETING\""};
  echo.timeout = 30s;
  auto ran = run(rt().exec(*id, echo));
  ASSERT_TRUE(ran) << ran.error().what();
  EXPECT_EQ(ran->exitCode, 0);
  EXPECT_EQ(ran->stdoutText, "hello contract\n");
}

TEST_P(EngineContract, ExecIsBoundedByItsTimeout) {
  // Ensures an exec that runs longer than its timeout ends with Timeout (a probe never hangs
  // the readiness wait).
  auto id = startOk(spec("slow", cmd::ignoresTerm()));
  ASSERT_TRUE(id);
  runtime::ExecRequest slow;
  slow.cmd = {"sleep", "30"};
  slow.timeout = 300ms;
  auto ran = run(rt().exec(*id, slow));
  ASSERT_FALSE(ran);
  EXPECT_EQ(ran.error().code(), Errc::Timeout) << ran.error().what();
}

}  // namespace
}  // namespace ls::contract
