#include "lightshuttle/core/clock.hpp"

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/asio_fwd.hpp"

namespace asio = boost::asio;

namespace ls {

asio::awaitable<Result<void>> Clock::sleepFor(Duration d) {
  co_return co_await sleepUntil(steady() + d);
}

namespace {

class SystemClock final : public Clock {
 public:
  SteadyTime steady() const override { return std::chrono::steady_clock::now(); }
  SystemTime system() const override { return std::chrono::system_clock::now(); }
  asio::awaitable<Result<void>> sleepUntil(SteadyTime deadline) override {
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    auto [ec] = co_await timer.async_wait(detail::kUseTuple);
    if (ec) {
      co_return Error(Errc::Cancelled, "sleep cancelled");
    }
    co_return ok();
  }
};

}  // namespace

std::unique_ptr<Clock> makeSystemClock() { return std::make_unique<SystemClock>(); }

struct ManualClock::State {
  // NOTE: Boost 1.81's any_completion_handler move assignment recurses until the stack overflows
  // (it rewraps `other` as an lvalue instead of taking it; fixed in Boost 1.82). std::vector and
  // the algorithms in advance() move-assign waiters, so the handler lives in a wrapper whose
  // move assignment goes through the (correct) move constructor and swap.
  struct Handler {
    asio::any_completion_handler<void(boost::system::error_code)> fn;

    template <typename H>
    requires(!std::is_same_v<std::decay_t<H>, Handler>) explicit Handler(H&& h)
        : fn(std::forward<H>(h)) {}
    Handler(Handler&& other) noexcept = default;
    Handler& operator=(Handler&& other) noexcept {
      auto taken = std::move(other.fn);
      fn.swap(taken);
      return *this;
    }
  };
  struct Waiter {
    SteadyTime deadline;
    std::uint64_t id;
    asio::any_io_executor ex;
    Handler handler;
  };
  SteadyTime now{std::chrono::hours(1000)};
  SystemTime wall{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};
  std::vector<Waiter> waiters;
  std::uint64_t nextId = 1;

  static void complete(Waiter w, boost::system::error_code ec) {
    asio::post(w.ex, [h = std::move(w.handler.fn), ec]() mutable { std::move(h)(ec); });
  }
};

ManualClock::ManualClock() : state_(std::make_shared<State>()) {}

ManualClock::~ManualClock() {
  // Outstanding sleepers are cancelled so no coroutine is left suspended forever.
  auto waiters = std::move(state_->waiters);
  for (auto& w : waiters) {
    State::complete(std::move(w), boost::system::error_code(asio::error::operation_aborted));
  }
}

Clock::SteadyTime ManualClock::steady() const { return state_->now; }
Clock::SystemTime ManualClock::system() const { return state_->wall; }
void ManualClock::setSystem(SystemTime t) { state_->wall = t; }
std::size_t ManualClock::pendingTimers() const { return state_->waiters.size(); }

Clock::SteadyTime ManualClock::nextDeadline() const {
  SteadyTime best = SteadyTime::max();
  for (const auto& w : state_->waiters) {
    best = std::min(best, w.deadline);
  }
  return best;
}

void ManualClock::advance(Duration d) {
  state_->now += d;
  state_->wall += std::chrono::duration_cast<SystemTime::duration>(d);
  auto& ws = state_->waiters;
  auto due = std::stable_partition(
      ws.begin(), ws.end(),
      [now = state_->now](const State::Waiter& w) { return w.deadline > now; });
  std::vector<State::Waiter> fire(std::make_move_iterator(due), std::make_move_iterator(ws.end()));
  ws.erase(due, ws.end());
  std::stable_sort(fire.begin(), fire.end(),
                   [](const auto& a, const auto& b) { return a.deadline < b.deadline; });
  for (auto& w : fire) {
    State::complete(std::move(w), {});
  }
}

asio::awaitable<Result<void>> ManualClock::sleepUntil(SteadyTime deadline) {
  std::weak_ptr<State> weak = state_;
  // NOTE: the initiation is a named local, not a temporary inside the co_await expression: GCC 12
  // destroys such temporaries twice, which released `weak`'s control block under a live clock.
  auto initiation = [weak, deadline](auto handler) {
    asio::any_io_executor ex = asio::get_associated_executor(handler);
    State::Handler wrapped(std::move(handler));
    auto state = weak.lock();
    if (!state || deadline <= state->now) {
      State::complete(State::Waiter{deadline, 0, ex, std::move(wrapped)},
                      state ? boost::system::error_code{}
                            : boost::system::error_code(asio::error::operation_aborted));
      return;
    }
    // NOTE: wrapping in any_completion_handler installs its own forwarder on the handler's
    // cancellation slot (a slot holds one handler), so ours goes on the wrapper's slot.
    auto slot = wrapped.fn.get_cancellation_slot();
    const std::uint64_t id = state->nextId++;
    if (slot.is_connected()) {
      slot.assign([weak, id](asio::cancellation_type) {
        auto s = weak.lock();
        if (!s) {
          return;
        }
        auto it = std::find_if(s->waiters.begin(), s->waiters.end(),
                               [id](const State::Waiter& w) { return w.id == id; });
        if (it != s->waiters.end()) {
          State::Waiter w = std::move(*it);
          s->waiters.erase(it);
          State::complete(std::move(w), boost::system::error_code(asio::error::operation_aborted));
        }
      });
    }
    state->waiters.push_back(State::Waiter{deadline, id, ex, std::move(wrapped)});
  };
  auto [ec] =
      co_await asio::async_initiate<decltype(detail::kUseTuple), void(boost::system::error_code)>(
          std::move(initiation), detail::kUseTuple);
  if (ec) {
    co_return Error(Errc::Cancelled, "sleep cancelled");
  }
  co_return ok();
}

}  // namespace ls
