#include "core/async.hpp"

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <utility>

#include "core/asio_fwd.hpp"

namespace asio = boost::asio;

namespace ls::detail {

asio::awaitable<Result<void>> Notifier::wait() {
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           asio::steady_timer::time_point::max());
  timers_.push_back(&timer);
  const std::uint64_t generation = generation_;
  // Woken by cancel(): from notifyAll, or from the caller's cancellation slot.
  (void)co_await timer.async_wait(ls::detail::kUseTuple);
  std::erase(timers_, &timer);
  if (generation_ != generation) {
    co_return ok();
  }
  co_return Error(Errc::Cancelled, "wait cancelled");
}

void Notifier::notifyAll() {
  ++generation_;
  auto timers = std::move(timers_);
  timers_.clear();
  for (asio::steady_timer* t : timers) {
    t->cancel();
  }
}

struct TaskGroup::State {
  std::map<Id, std::unique_ptr<asio::cancellation_signal>> tasks;
  Notifier changed;
  std::exception_ptr firstException;
  Id nextId = 1;
};

TaskGroup::TaskGroup() : state_(std::make_shared<State>()) {}
TaskGroup::~TaskGroup() = default;

TaskGroup::Id TaskGroup::spawn(const asio::any_io_executor& ex, asio::awaitable<void> task) {
  const Id id = state_->nextId++;
  auto& signal =
      *state_->tasks.emplace(id, std::make_unique<asio::cancellation_signal>()).first->second;
  std::weak_ptr<State> weak = state_;
  auto done = [weak, id, ex](std::exception_ptr e) {
    auto s = weak.lock();
    if (!s) {
      return;
    }
    if (e && !s->firstException) {
      s->firstException = e;
    }
    // NOTE: the signal is destroyed on the next turn of the loop, not inside the completion
    // handler that was bound to its slot.
    asio::post(ex, [weak, id] {
      if (auto st = weak.lock()) {
        st->tasks.erase(id);
        st->changed.notifyAll();
      }
    });
  };
  asio::co_spawn(ex, std::move(task), asio::bind_cancellation_slot(signal.slot(), std::move(done)));
  return id;
}

void TaskGroup::cancel(Id id, asio::cancellation_type type) {
  if (auto it = state_->tasks.find(id); it != state_->tasks.end()) {
    it->second->emit(type);
  }
}

void TaskGroup::cancelAll(asio::cancellation_type type) {
  std::vector<Id> ids;
  for (const auto& [id, signal] : state_->tasks) {
    ids.push_back(id);
  }
  for (Id id : ids) {
    cancel(id, type);
  }
}

bool TaskGroup::contains(Id id) const { return state_->tasks.contains(id); }
bool TaskGroup::empty() const { return state_->tasks.empty(); }
std::size_t TaskGroup::size() const { return state_->tasks.size(); }
std::exception_ptr TaskGroup::firstException() const { return state_->firstException; }

asio::awaitable<Result<void>> TaskGroup::waitEmpty() {
  std::shared_ptr<State> s = state_;
  while (!s->tasks.empty()) {
    Result<void> woke = co_await s->changed.wait();
    if (!woke) {
      co_return woke;
    }
  }
  co_return ok();
}

asio::awaitable<Result<void>> TaskGroup::waitFor(Id id) {
  std::shared_ptr<State> s = state_;
  while (s->tasks.contains(id)) {
    Result<void> woke = co_await s->changed.wait();
    if (!woke) {
      co_return woke;
    }
  }
  co_return ok();
}

asio::awaitable<bool> cancelled() {
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace ls::detail
