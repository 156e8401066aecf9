// The runtime contract over MemoryRuntime, on virtual time. MemoryRuntime runs no process: what
// each scenario's process does (its output, exit, health, how it takes the stop signal, what an
// exec answers) is scripted here, per scenario, as the engine would see it run the scenario's
// command. `EngineContract` is not instantiated: MemoryRuntime has no filesystem nor volumes
// (archivePut and removeVolume are Unsupported) and its exec answers only what is scripted.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "contract/contract.hpp"
#include "contract/fake_backend.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/memory_runtime.hpp"

namespace ls::contract {
namespace {

using namespace std::chrono_literals;
using runtime::Behaviour;
using runtime::MemoryRuntime;
using runtime::ScriptedExit;
using runtime::ScriptedLog;
using Stream = runtime::LogChunk::Stream;

/// A process that writes "ready" and exits with `code` on the stop signal (cmd::exitsOnTerm),
/// taking `shutdown` to do so.
Behaviour exitsOnTerm(int code, std::chrono::nanoseconds shutdown = 0ns) {
  Behaviour b;
  b.logs = {ScriptedLog{.at = 0s, .line = "ready"}};
  b.sigtermExitCode = code;
  b.shutdownTime = shutdown;
  return b;
}

Behaviour ignoresTerm() {
  Behaviour b;
  b.ignoresSigterm = true;
  return b;
}

/// Per scenario, the scripts of its resources: what the commands of the scenario do.
const std::map<std::string, std::function<void(MemoryRuntime&)>>& scripts() {
  static const std::map<std::string, std::function<void(MemoryRuntime&)>> table = {
      {"StartedContainerRunsWithTheSpecsIdentity",
       [](MemoryRuntime& rt) { rt.script("web", exitsOnTerm(0)); }},
      {"ATakenNameIsConflictNameInUseEvenWhenStopped",
       [](MemoryRuntime& rt) { rt.script("web", ignoresTerm()); }},
      {"StopReportsTheExitCodeAndIsIdempotent",
       [](MemoryRuntime& rt) { rt.script("web", exitsOnTerm(3)); }},
      {"StopKillsAProcessIgnoringTheSignalAfterTheGrace",
       [](MemoryRuntime& rt) { rt.script("stubborn", ignoresTerm()); }},
      {"ListManagedSeesOnlyTheProjectSortedByResource",
       [](MemoryRuntime& rt) {
         rt.script("web", ignoresTerm());
         rt.script("api", ignoresTerm());
         rt.script("db", ignoresTerm());
       }},
      // The restart takes a moment of virtual time, as the engine's does of real time.
      {"RestartRunsTheSameContainerWithANewStartTime",
       [](MemoryRuntime& rt) { rt.script("web", exitsOnTerm(0, 100ms)); }},
      {"TeardownRefusesWhileAContainerRuns",
       [](MemoryRuntime& rt) { rt.script("db", ignoresTerm()); }},
      {"LogsKeepStdoutAndStderrApart",
       [](MemoryRuntime& rt) {
         Behaviour talker;
         talker.logs = {ScriptedLog{.at = 0s, .line = "out-1"},
                        ScriptedLog{.at = 0s, .line = "err-1", .stream = Stream::Stderr},
                        ScriptedLog{.at = 0s, .line = "out-2"}};
         talker.exit = ScriptedExit{.after = 1s, .code = 0};
         rt.script("talker", talker);
       }},
      {"ExecReturnsOutputAndExitCode",
       [](MemoryRuntime& rt) {
         rt.script("exec", ignoresTerm());
         rt.scriptExec("exec", [](const std::vector<std::string>& cmd, auto) {
           if (cmd == std::vector<std::string>{"sh", "-c", "echo out; echo err >&2; exit 7"}) {
             return runtime::ExecResult{
                 .exitCode = 7, .stdoutText = "out\n", .stderrText = "err\n"};
           }
           return runtime::ExecResult{.exitCode = 127, .stderrText = "not scripted\n"};
         });
       }},
      {"WaitHealthyReturnsOnceTheHealthcheckPasses",
       [](MemoryRuntime& rt) {
         Behaviour svc;
         svc.healthyAfter = 1500ms;
         rt.script("svc", svc);
       }},
      {"WaitHealthyFailsWhenTheProcessExitsFirst",
       [](MemoryRuntime& rt) {
         Behaviour bad;
         bad.logs = {ScriptedLog{.at = 0s, .line = "booting"}};
         bad.exit = ScriptedExit{.after = 500ms, .code = 3, .lastLines = {"cannot bind port"}};
         rt.script("bad", bad);
       }},
      // Its healthcheck never passes: an unscripted health stays "starting".
      {"WaitHealthyTimesOutWhileTheHealthcheckFails",
       [](MemoryRuntime& rt) { rt.script("slow", ignoresTerm()); }},
      {"EventsReportStartDieAndDestroy",
       [](MemoryRuntime& rt) {
         Behaviour ev;
         ev.exit = ScriptedExit{.after = 1s, .code = 4};
         rt.script("ev", ev);
       }},
  };
  return table;
}

class MemoryBackend final : public FakeBackend {
 public:
  runtime::Runtime& runtime() override { return rt_; }
  runtime::ContainerOps& containers() override { return rt_; }

  void prepare(std::string_view scenario) override {
    rt_.addLocalImage(ls::testing::kBusybox);
    if (auto it = scripts().find(std::string(scenario)); it != scripts().end()) {
      it->second(rt_);
    }
  }

  void addForeignNetwork(const std::string& name,
                         const std::map<std::string, std::string>& labels) override {
    rt_.addNetwork(name, labels);
  }
  void ownVolume(const std::string&) override {}
  void verify() override {}

 private:
  MemoryRuntime rt_{ctx_.get_executor(), clock_};
};

const BackendParam kMemory{"MemoryRuntime", [] { return std::make_unique<MemoryBackend>(); }};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, RuntimeContract, ::testing::Values(kMemory), backendName);
// No EngineContract here (see the top of this file).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EngineContract);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(NativeCheckContract);

}  // namespace ls::contract
