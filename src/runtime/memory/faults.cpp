// MemoryRuntime's fault injection: the call log, the faults each operation meets as it enters
// (fail, hang, hold at a gate), and engine outages.
#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

std::string_view opName(Op op) noexcept {
  switch (op) {
    case Op::Start: return "start";
    case Op::Stop: return "stop";
    case Op::Remove: return "remove";
    case Op::Inspect: return "inspect";
    case Op::WaitHealthy: return "wait_healthy";
    case Op::Logs: return "logs";
    case Op::EnsureNetwork: return "ensure_network";
    case Op::TeardownNetwork: return "teardown_network";
    case Op::ListManaged: return "list_managed";
    case Op::Events: return "events";
    case Op::Pull: return "pull";
    case Op::Build: return "build";
    case Op::Exec: return "exec";
    case Op::Kill: return "kill";
    case Op::Wait: return "wait";
    case Op::Rename: return "rename";
    case Op::Pause: return "pause";
    case Op::Unpause: return "unpause";
    case Op::PortMappings: return "port_mappings";
    case Op::InspectDetailed: return "inspect_detailed";
    case Op::PruneContainers: return "prune_containers";
    case Op::ExecStream: return "exec_stream";
    case Op::ListImages: return "list_images";
    case Op::TagImage: return "tag_image";
    case Op::RemoveImage: return "remove_image";
    case Op::Ping: return "ping";
    case Op::Restart: return "restart";
    case Op::NativeCheck: return "native_check";
  }
  return "unknown";
}

// --- Gate ----------------------------------------------------------------------------------

void Gate::release() {
  if (!state_ || state_->released) {
    return;
  }
  state_->released = true;
  if (state_->wake) {
    state_->wake();
  }
}

void Gate::fail(Failure failure) {
  if (!state_ || state_->released || state_->failure) {
    return;
  }
  state_->failure = std::move(failure);
  if (state_->wake) {
    state_->wake();
  }
}

bool Gate::reached() const { return state_ && state_->reached; }

Error MemoryRuntime::Impl::injected(Op op, std::size_t nth, const Failure& failure,
                                    bool overall) const {
  std::string message = failure.message;
  if (message.empty()) {
    message = "injected failure of " + std::string(opName(op)) + " (call " + std::to_string(nth) +
              (overall ? " overall)" : ")");
  }
  Error e(failure.code, std::move(message));
  if (!failure.reason.empty()) {
    e.withReason(failure.reason);
  }
  return e;
}

// Every operation starts here: logs and counts the call, then applies its injected fault.
asio::awaitable<Result<void>> MemoryRuntime::Impl::enter(Op op, const std::string& argument) {
  calls.push_back(Call{op, argument});
  const std::size_t nth = ++opCounts[op];
  const std::size_t overall = ++totalCalls;
  std::optional<Fault> fault;
  if (auto it = opFaults.find({op, nth}); it != opFaults.end()) {
    fault = std::move(it->second);
    opFaults.erase(it);
  }
  std::optional<Failure> callFailure;
  if (auto it = callFaults.find(overall); it != callFaults.end()) {
    callFailure = std::move(it->second);
    callFaults.erase(it);
  }
  if (fault && fault->kind == Fault::Kind::Hold) {
    std::shared_ptr<detail::GateState> gate = fault->gate;
    gate->reached = true;
    std::function<bool()> opened = [gate] { return gate->released || gate->failure.has_value(); };
    Result<WaitEnd> waited = co_await waitFor(opened, SteadyTime::max());
    if (!waited) {
      co_return std::move(waited).error();
    }
    if (gate->failure) {
      co_return injected(op, nth, *gate->failure, false);
    }
  }
  if (fault && fault->kind == Fault::Kind::Hang) {
    LS_MEM_RETURN_IF_CANCELLED();
    Result<void> woke = co_await hung.wait();
    if (!woke) {
      co_return std::move(woke).error();
    }
    co_return cancelledError();
  }
  if (fault && fault->kind == Fault::Kind::Fail) {
    co_return injected(op, nth, fault->failure, false);
  }
  if (engineDown) {
    co_return Error(Errc::Unavailable, "cannot reach the engine (it is stopped)")
        .withReason("engine_unavailable");
  }
  if (callFailure) {
    co_return injected(op, overall, *callFailure, true);
  }
  co_return ok();
}

// The start of most operations on one container: enter(op) with the container's name as the
// call's argument, then the container as of now (settledContainer).
asio::awaitable<Result<MemoryRuntime::Impl::Container*>> MemoryRuntime::Impl::enterContainer(
    Op op, const std::string& nameOrId) {
  const std::string argument = describe(nameOrId);
  Result<void> entered = co_await enter(op, argument);
  if (!entered) {
    co_return std::move(entered).error();
  }
  co_return settledContainer(nameOrId);
}

void MemoryRuntime::restartEngine() {
  impl_->settle();
  const SystemTime now = impl_->clock.system();
  for (auto& [id, sub] : impl_->subscribers) {
    sub.backlog.push_back(Impl::reconnectedEvent(sub.filter.project, now));
  }
  impl_->notify();
}

void MemoryRuntime::stopEngine(std::optional<int> exitCode) {
  impl_->settle();
  if (impl_->engineDown) {
    return;
  }
  // As dockerd does on SIGTERM: its API stops answering, it stops the containers (their `die`
  // and `stop` still reach open streams), then the streams break.
  if (exitCode) {
    for (const std::string& name : containerNames()) {
      (void)crash(name, *exitCode);
    }
  }
  const SystemTime now = impl_->clock.system();
  for (auto& [id, sub] : impl_->subscribers) {
    RuntimeEvent e;
    e.kind = RuntimeEvent::Kind::Disconnected;
    e.project = sub.filter.project;
    e.time = now;
    sub.backlog.push_back(std::move(e));
  }
  impl_->engineDown = true;
  impl_->notify();
}

void MemoryRuntime::startEngine() {
  impl_->settle();
  if (!impl_->engineDown) {
    return;
  }
  impl_->engineDown = false;
  const SystemTime now = impl_->clock.system();
  for (auto& [id, sub] : impl_->subscribers) {
    sub.backlog.push_back(Impl::reconnectedEvent(sub.filter.project, now));
    for (RuntimeEvent& e : sub.held) {
      sub.backlog.push_back(std::move(e));
    }
    sub.held.clear();
  }
  impl_->notify();
}

bool MemoryRuntime::engineStopped() const { return impl_->engineDown; }

void MemoryRuntime::failOn(Op op, std::size_t nthCall, Failure failure, std::size_t times) {
  LS_CHECK(nthCall >= 1);
  for (std::size_t k = 0; k < times; ++k) {
    Impl::Fault fault;
    fault.kind = Impl::Fault::Kind::Fail;
    fault.failure = failure;
    impl_->opFaults[{op, nthCall + k}] = std::move(fault);
  }
}

void MemoryRuntime::failCall(std::size_t nthCall, Failure failure) {
  LS_CHECK(nthCall >= 1);
  impl_->callFaults[nthCall] = std::move(failure);
}

void MemoryRuntime::hangOn(Op op, std::size_t nthCall) {
  LS_CHECK(nthCall >= 1);
  Impl::Fault fault;
  fault.kind = Impl::Fault::Kind::Hang;
  impl_->opFaults[{op, nthCall}] = std::move(fault);
}

Gate MemoryRuntime::hold(Op op) { return hold(op, callCount(op) + 1); }

Gate MemoryRuntime::hold(Op op, std::size_t nthCall) {
  LS_CHECK(nthCall >= 1);
  auto state = std::make_shared<detail::GateState>();
  std::weak_ptr<Impl> weak = impl_;
  state->wake = [weak] {
    if (auto impl = weak.lock()) {
      impl->notify();
    }
  };
  Impl::Fault fault;
  fault.kind = Impl::Fault::Kind::Hold;
  fault.gate = state;
  impl_->opFaults[{op, nthCall}] = std::move(fault);
  return Gate(std::move(state));
}

void MemoryRuntime::clearFaults() {
  impl_->opFaults.clear();
  impl_->callFaults.clear();
  impl_->opCounts.clear();
  impl_->totalCalls = 0;
}

std::size_t MemoryRuntime::callCount(Op op) const {
  auto it = impl_->opCounts.find(op);
  return it == impl_->opCounts.end() ? 0 : it->second;
}

std::size_t MemoryRuntime::callCount() const { return impl_->totalCalls; }

const std::vector<Call>& MemoryRuntime::calls() const { return impl_->calls; }

void MemoryRuntime::clearCalls() { impl_->calls.clear(); }

}  // namespace ls::runtime
