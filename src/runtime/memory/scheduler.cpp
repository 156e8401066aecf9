// MemoryRuntime's wait primitive (Waiters) and its virtual-time agenda: the scripted actions that
// fall due as the clock moves, and the waits that let it move.
#include <algorithm>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <variant>

#include "core/asio_fwd.hpp"
#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

void Waiters::complete(Entry entry, boost::system::error_code ec) {
  auto ex = entry.ex;
  asio::post(ex, [h = std::move(entry.handler), ec]() mutable { std::move(h)(ec); });
}

asio::awaitable<Result<void>> Waiters::wait() {
  std::weak_ptr<State> weak = state_;
  // NOTE: a named local, never a temporary inside the co_await expression (GCC 12).
  auto initiation = [weak](auto handler) {
    asio::any_io_executor ex = asio::get_associated_executor(handler);
    Handler wrapped(std::move(handler));
    auto state = weak.lock();
    if (!state) {
      complete(Entry{ex, std::move(wrapped)},
               boost::system::error_code(asio::error::operation_aborted));
      return;
    }
    const std::uint64_t id = state->nextId++;
    // NOTE: any_completion_handler forwards its handler's slot to its own; ours goes on the
    // wrapper's slot.
    auto slot = wrapped.get_cancellation_slot();
    if (slot.is_connected()) {
      slot.assign([weak, id](asio::cancellation_type) {
        auto s = weak.lock();
        if (!s) {
          return;
        }
        auto it = s->entries.find(id);
        if (it != s->entries.end()) {
          auto node = s->entries.extract(it);
          complete(std::move(node.mapped()),
                   boost::system::error_code(asio::error::operation_aborted));
        }
      });
    }
    state->entries.emplace(id, Entry{ex, std::move(wrapped)});
  };
  auto [ec] = co_await asio::async_initiate<decltype(ls::detail::kUseTuple),
                                            void(boost::system::error_code)>(std::move(initiation),
                                                                             ls::detail::kUseTuple);
  if (ec) {
    co_return cancelledError();
  }
  co_return ok();
}

void Waiters::notifyAll() {
  auto entries = std::move(state_->entries);
  state_->entries.clear();
  while (!entries.empty()) {
    auto node = entries.extract(entries.begin());
    complete(std::move(node.mapped()), {});
  }
}

SteadyTime MemoryRuntime::Impl::nextActionTime() const {
  for (const auto& [at, action] : agenda) {
    if (!frozen(action.containerId)) {
      return at;
    }
  }
  return SteadyTime::max();
}

void MemoryRuntime::Impl::apply(const Action& a, SteadyTime at) {
  Container* c = findById(a.containerId);
  if (c == nullptr || c->phase == Phase::Stopped) {
    return;
  }
  switch (a.kind) {
    case Action::Kind::Running:
      if (c->phase == Phase::Starting) {
        markRunning(*c, at);
      }
      break;
    case Action::Kind::SetHealth: setHealthOf(*c, a.health, at); break;
    case Action::Kind::Log: appendLog(*c, a.stream, a.line, at); break;
    case Action::Kind::Exit:
      for (const auto& line : a.lastLines) {
        appendLog(*c, LogChunk::Stream::Stderr, line, at);
      }
      exitContainer(*c, a.exitCode, at, false);
      break;
    case Action::Kind::Oom: exitContainer(*c, kKilledExitCode, at, true); break;
  }
}

void MemoryRuntime::Impl::settle() {
  const SteadyTime now = clock.steady();
  for (;;) {
    auto due = agenda.begin();
    while (due != agenda.end() && due->first <= now && frozen(due->second.containerId)) {
      ++due;
    }
    if (due == agenda.end() || due->first > now) {
      return;
    }
    auto node = agenda.extract(due);
    apply(node.mapped(), node.key());
  }
}

// Suspends until a notification, `wake` (a deadline or the next scripted action), or
// cancellation (Errc::Cancelled).
asio::awaitable<Result<void>> MemoryRuntime::Impl::waitOnce(SteadyTime wake) {
  using namespace asio::experimental::awaitable_operators;
  if (wake == SteadyTime::max()) {
    Result<void> woke = co_await changed.wait();
    co_return woke;
  }
  auto notified = changed.wait();
  auto timer = clock.sleepUntil(wake);
  std::variant<Result<void>, Result<void>> first =
      co_await (std::move(notified) || std::move(timer));
  if (first.index() == 0) {
    co_return std::get<0>(std::move(first));
  }
  co_return std::get<1>(std::move(first));
}

// Waits, applying scripted actions as virtual time passes, until `ready()` holds or `deadline`
// passes. Errc::Cancelled when the caller is cancelled first.
asio::awaitable<Result<MemoryRuntime::Impl::WaitEnd>> MemoryRuntime::Impl::waitFor(
    const std::function<bool()>& ready, SteadyTime deadline) {
  for (;;) {
    settle();
    if (ready()) {
      co_return WaitEnd::Ready;
    }
    if (clock.steady() >= deadline) {
      co_return WaitEnd::Deadline;
    }
    LS_MEM_RETURN_IF_CANCELLED();
    const SteadyTime wake = std::min(deadline, nextActionTime());
    Result<void> woke = co_await waitOnce(wake);
    if (!woke) {
      co_return std::move(woke).error();
    }
  }
}

}  // namespace ls::runtime
