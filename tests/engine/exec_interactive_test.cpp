// Interactive exec against a real engine: the hijacked exec start (stdin in, output out, with and
// without a TTY), resizing, exit codes, and the errors of a missing or stopped container.
#include <boost/asio/co_spawn.hpp>

#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerSpec;
using runtime::ExecChunk;
using runtime::ExecSession;
using runtime::InteractiveExecRequest;

/// Everything a session printed, per stream, until its end.
struct Collected {
  std::string out;
  std::string err;
};

class ExecInteractiveTest : public RuntimeEngineTest {
 protected:
  /// A running busybox container of this test's project.
  runtime::ContainerId startContainer(const std::string& resource, std::vector<std::string> cmd) {
    ContainerSpec s = projectSpec(resource, std::move(cmd));
    s.stopGracePeriod = 1s;
    runtime::StartOptions none;
    auto id = run(rt->start(s, none));
    EXPECT_TRUE(id) << id.error().what();
    return id ? *id : runtime::ContainerId{};
  }

  std::unique_ptr<ExecSession> open(const runtime::ContainerId& id,
                                    const InteractiveExecRequest& r) {
    auto s = run(rt->execInteractive(id, r));
    EXPECT_TRUE(s) << s.error().what();
    return s ? std::move(*s) : nullptr;
  }

  static boost::asio::awaitable<Result<Collected>> drain(ExecSession& s) {
    Collected c;
    for (;;) {
      LS_CO_ASSIGN_OR_RETURN(std::optional<ExecChunk> chunk, co_await s.read());
      if (!chunk) {
        co_return c;
      }
      (chunk->stream == ExecChunk::Stream::Stderr ? c.err : c.out) += chunk->bytes;
    }
  }

  /// Reads until `needle` shows up on stdout (or the output ends); what was read.
  static boost::asio::awaitable<Result<std::string>> readUntil(ExecSession& s,
                                                               const std::string& needle) {
    std::string seen;
    while (seen.find(needle) == std::string::npos) {
      LS_CO_ASSIGN_OR_RETURN(std::optional<ExecChunk> chunk, co_await s.read());
      if (!chunk) {
        break;
      }
      seen += chunk->bytes;
    }
    co_return seen;
  }
};

TEST_F(ExecInteractiveTest, WithoutTtyStdinReachesTheProcessAndStreamsStaySeparate) {
  // Ensures stdin written to `cat` comes back on stdout once stdin is closed (the process sees
  // EOF and exits 0), and that stdout and stderr stay apart with the command's exit code.
  const runtime::ContainerId id = startContainer("exec", {"sleep", "3600"});
  ASSERT_FALSE(id.value.empty());

  InteractiveExecRequest cat;
  cat.cmd = {"cat"};
  cat.attachStdin = true;
  auto session = open(id, cat);
  ASSERT_TRUE(session);
  const std::string hello = "hello\n";
  auto wrote = run(session->write(hello));
  ASSERT_TRUE(wrote) << wrote.error().what();
  auto closed = run(session->closeStdin());
  ASSERT_TRUE(closed) << closed.error().what();
  auto got = run(drain(*session));
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(got->out, "hello\n");
  EXPECT_EQ(got->err, "");
  auto code = run(session->exitCode());
  ASSERT_TRUE(code) << code.error().what();
  EXPECT_EQ(*code, 0);
  // Stdin is closed now: writing again is refused, closing again is a no-op.
  auto late = run(session->write(hello));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), Errc::FailedPrecondition);
  EXPECT_TRUE(run(session->closeStdin()));

  InteractiveExecRequest both;
  both.cmd = {"sh", "-c", "read -r line; echo \"out:$line\"; echo \"err:$line\" >&2; exit 4"};
  both.attachStdin = true;
  auto second = open(id, both);
  ASSERT_TRUE(second);
  const std::string line = "abc\n";
  ASSERT_TRUE(run(second->write(line)));
  auto both_out = run(drain(*second));
  ASSERT_TRUE(both_out) << both_out.error().what();
  EXPECT_EQ(both_out->out, "out:abc\n");
  EXPECT_EQ(both_out->err, "err:abc\n");
  auto code4 = run(second->exitCode());
  ASSERT_TRUE(code4) << code4.error().what();
  EXPECT_EQ(*code4, 4);
  // Without a TTY there is nothing to resize.
  auto resized = run(second->resize(10, 10));
  ASSERT_FALSE(resized);
  EXPECT_EQ(resized.error().code(), Errc::FailedPrecondition);
}

TEST_F(ExecInteractiveTest, TtyHasTheInitialSizeAndFollowsResizes) {
  // Ensures a TTY exec starts with the requested size (`stty size` prints "40 120") and exits
  // with its code, and that a resize of a running TTY exec is what the process sees next.
  const runtime::ContainerId id = startContainer("tty", {"sleep", "3600"});
  ASSERT_FALSE(id.value.empty());

  // The command waits for one line before reading the size: engines before API 1.42 (this one)
  // can only size the terminal right after the process started, so an immediate `stty size`
  // would race with that resize. execInteractive returns once the resize is done.
  InteractiveExecRequest sized;
  sized.cmd = {"sh", "-c", "read -r _; stty size; exit 3"};
  sized.tty = true;
  sized.attachStdin = true;
  sized.height = 40;
  sized.width = 120;
  auto session = open(id, sized);
  ASSERT_TRUE(session);
  const std::string go = "go\n";
  ASSERT_TRUE(run(session->write(go)));
  auto got = run(drain(*session));
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_NE(got->out.find("40 120"), std::string::npos) << got->out;
  EXPECT_EQ(got->err, "") << "a TTY merges stderr into stdout";
  auto code = run(session->exitCode());
  ASSERT_TRUE(code) << code.error().what();
  EXPECT_EQ(*code, 3);

  InteractiveExecRequest shell;
  shell.cmd = {"sh"};
  shell.tty = true;
  shell.attachStdin = true;
  shell.height = 24;
  shell.width = 80;
  auto sh = open(id, shell);
  ASSERT_TRUE(sh);
  const std::string first = "stty size\n";
  ASSERT_TRUE(run(sh->write(first)));
  const std::string initialSize = "24 80";
  auto before = run(readUntil(*sh, initialSize));
  ASSERT_TRUE(before) << before.error().what();
  EXPECT_NE(before->find("24 80"), std::string::npos) << *before;
  auto resized = run(sh->resize(50, 100));
  ASSERT_TRUE(resized) << resized.error().what();
  const std::string second = "stty size; exit 5\n";
  ASSERT_TRUE(run(sh->write(second)));
  auto after = run(drain(*sh));
  ASSERT_TRUE(after) << after.error().what();
  EXPECT_NE(after->out.find("50 100"), std::string::npos) << after->out;
  auto code5 = run(sh->exitCode());
  ASSERT_TRUE(code5) << code5.error().what();
  EXPECT_EQ(*code5, 5);

  // Closing stdin of a TTY exec is the terminal's end-of-file: `cat` ends, its output (and
  // what follows it) still arrives, and the exit code is there.
  InteractiveExecRequest cat;
  cat.cmd = {"sh", "-c", "cat; echo after-eof; exit 6"};
  cat.tty = true;
  cat.attachStdin = true;
  auto typed = open(id, cat);
  ASSERT_TRUE(typed);
  const std::string partial = "no newline";
  ASSERT_TRUE(run(typed->write(partial)));
  auto closed = run(typed->closeStdin());
  ASSERT_TRUE(closed) << closed.error().what();
  auto echoed = run(drain(*typed));
  ASSERT_TRUE(echoed) << echoed.error().what();
  EXPECT_NE(echoed->out.find("after-eof"), std::string::npos) << echoed->out;
  auto code6 = run(typed->exitCode());
  ASSERT_TRUE(code6) << code6.error().what();
  EXPECT_EQ(*code6, 6);
}

TEST_F(ExecInteractiveTest, MissingContainerIsNotFoundAndStoppedOneIsConflict) {
  // Ensures the documented errors: NotFound for a container that does not exist, Conflict for
  // one that is not running, InvalidArgument for an empty command.
  InteractiveExecRequest r;
  r.cmd = {"true"};
  runtime::ContainerId missing{"lightshuttle-no-such-container"};
  auto gone = run(rt->execInteractive(missing, r));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::NotFound) << gone.error().what();

  const runtime::ContainerId id = startContainer("done", {"true"});
  ASSERT_FALSE(id.value.empty());
  ASSERT_TRUE(run(api->waitContainer(id.value, "not-running", 30s)));
  auto stopped = run(rt->execInteractive(id, r));
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), Errc::Conflict) << stopped.error().what();

  InteractiveExecRequest empty;
  auto invalid = run(rt->execInteractive(id, empty));
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code(), Errc::InvalidArgument);
}

}  // namespace
}  // namespace ls::testing
