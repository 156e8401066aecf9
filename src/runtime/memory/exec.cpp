// MemoryRuntime: exec and streamed exec, running the command scripted for the container, and
// native checks, answering what the container's native script says.
#include <deque>
#include <map>
#include <string>

#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

namespace {

// The script set for a container: by its name first, then by its resource; nullptr if none.
template <typename Script>
const Script* scriptOf(const std::map<std::string, Script>& scripts, const ContainerSpec& spec) {
  if (auto it = scripts.find(spec.name); it != scripts.end()) {
    return &it->second;
  }
  if (auto it = scripts.find(spec.resource); it != scripts.end()) {
    return &it->second;
  }
  return nullptr;
}

}  // namespace

const ExecScript* MemoryRuntime::Impl::execScriptFor(const ContainerSpec& spec) const {
  return scriptOf(execScripts, spec);
}

asio::awaitable<Result<ExecResult>> MemoryRuntime::Impl::exec(const ContainerId& id,
                                                              const ExecRequest& request) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::Exec, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  Result<ExecResult> ran = runExecScript(id.value, request);
  if (!ran) {
    co_return std::move(ran).error();
  }
  ExecResult result = std::move(ran).value();
  if (result.stdoutText.size() > kExecOutputCap) {
    result.stdoutText.resize(kExecOutputCap);
  }
  if (result.stderrText.size() > kExecOutputCap) {
    result.stderrText.resize(kExecOutputCap);
  }
  co_return result;
}

Result<ExecResult> MemoryRuntime::Impl::runExecScript(const std::string& nameOrId,
                                                      const ExecRequest& request) {
  LS_ASSIGN_OR_RETURN(const auto* c, settledContainer(nameOrId));
  const ExecScript* script = execScriptFor(c->spec);
  if (script == nullptr || !*script) {
    return Error(Errc::Unsupported, "exec is not scripted for container '" + c->spec.name + "'");
  }
  if (c->phase != Phase::Running) {
    return Error(Errc::Conflict, "container '" + c->spec.name + "' is not running");
  }
  if (c->paused) {
    return Error(Errc::Conflict,
                 "container '" + c->spec.name + "' is paused, unpause the container before exec");
  }
  if (request.cmd.empty()) {
    return Error(Errc::InvalidArgument, "exec: empty command");
  }
  const ExecScript run = *script;  // a copy: the script may rescript the runtime
  const Duration sinceStart = clock.steady() - c->createdSteady;
  return run(request.cmd, sinceStart);
}

/// A streamed exec of a scripted command: its outputs, then its exit, all ready at once.
class MemoryRuntime::Impl::ExecEvents final : public ExecEventStream {
 public:
  explicit ExecEvents(std::deque<ExecEvent> events) : events_(std::move(events)) {}

  asio::awaitable<Result<std::optional<ExecEvent>>> next() override {
    if (closed_ && !events_.empty()) {
      co_return Error(Errc::Cancelled, "exec stream closed");
    }
    if (events_.empty()) {
      co_return std::optional<ExecEvent>();
    }
    ExecEvent e = std::move(events_.front());
    events_.pop_front();
    co_return std::optional<ExecEvent>(std::move(e));
  }

  void close() override { closed_ = true; }

 private:
  std::deque<ExecEvent> events_;
  bool closed_ = false;
};

asio::awaitable<Result<std::unique_ptr<ExecEventStream>>> MemoryRuntime::Impl::execStream(
    const ContainerId& id, const ExecRequest& request) {
  const std::string argument = describe(id.value);
  Result<void> entered = co_await enter(Op::ExecStream, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  Result<ExecResult> ran = runExecScript(id.value, request);
  if (!ran) {
    co_return std::move(ran).error();
  }
  std::deque<ExecEvent> events;
  if (!ran->stdoutText.empty()) {
    ExecEvent out;
    out.kind = ExecEvent::Kind::Stdout;
    out.bytes = std::move(ran->stdoutText);
    events.push_back(std::move(out));
  }
  if (!ran->stderrText.empty()) {
    ExecEvent err;
    err.kind = ExecEvent::Kind::Stderr;
    err.bytes = std::move(ran->stderrText);
    events.push_back(std::move(err));
  }
  ExecEvent exit;
  exit.kind = ExecEvent::Kind::Exit;
  exit.exitCode = ran->exitCode;
  events.push_back(std::move(exit));
  std::unique_ptr<ExecEventStream> stream = std::make_unique<ExecEvents>(std::move(events));
  co_return std::move(stream);
}

/// Native checks of one container: each runs the container's native script, looked up anew.
class MemoryRuntime::Impl::NativeChecks final : public NativeProber {
 public:
  NativeChecks(Impl& impl, std::string id, NativeCheck check)
      : impl_(impl), id_(std::move(id)), check_(std::move(check)) {}

  asio::awaitable<Result<bool>> check(std::chrono::nanoseconds timeout) override {
    (void)timeout;  // a script answers at once
    Result<void> entered = co_await impl_.enter(Op::NativeCheck, impl_.describe(id_));
    if (!entered) {
      co_return std::move(entered).error();
    }
    Result<Container*> c = impl_.settledContainer(id_);
    if (!c || (*c)->phase != Phase::Running || (*c)->paused) {
      co_return false;  // gone or not running: nothing answers at its address
    }
    const NativeScript* script = impl_.nativeScriptFor((*c)->spec);
    if (script == nullptr || !*script) {
      co_return false;
    }
    const NativeScript run = *script;  // a copy: the script may rescript the runtime
    co_return run(check_, impl_.clock.steady() - (*c)->createdSteady);
  }

 private:
  Impl& impl_;
  std::string id_;
  NativeCheck check_;
};

const NativeScript* MemoryRuntime::Impl::nativeScriptFor(const ContainerSpec& spec) const {
  return scriptOf(nativeScripts, spec);
}

asio::awaitable<Result<std::unique_ptr<NativeProber>>> MemoryRuntime::Impl::nativeProber(
    const ContainerId& id, const NativeCheck& check) {
  {
    Result<Container*> c = settledContainer(id.value);
    if (c && nativeScriptFor((*c)->spec) == nullptr) {
      co_return Error(Errc::Unsupported,
                      "native checks are not scripted for container '" + (*c)->spec.name + "'");
    }
  }
  LS_CO_ASSIGN_OR_RETURN(auto* c, co_await enterContainer(Op::Inspect, id.value));
  if (c->phase != Phase::Running || c->paused) {
    co_return Error(Errc::Conflict, "container '" + c->spec.name + "' is not running");
  }
  std::unique_ptr<NativeProber> prober = std::make_unique<NativeChecks>(*this, c->id.value, check);
  co_return std::move(prober);
}

}  // namespace ls::runtime
