// File: lightshuttle/core/scope_guard.hpp
//
// Runs a cleanup at scope exit unless dismissed: roll back multi-step work on any early return.
//
//   auto undo = ls::ScopeGuard([&] { removeNetwork(id); });
//   LS_TRY(startAll());
//   undo.dismiss();
#pragma once

#include <utility>

namespace ls {

template <typename F>
class [[nodiscard]] ScopeGuard {
 public:
  explicit ScopeGuard(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}
  ScopeGuard(ScopeGuard&& other) noexcept(std::is_nothrow_move_constructible_v<F>)
      : f_(std::move(other.f_)), active_(std::exchange(other.active_, false)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ScopeGuard& operator=(ScopeGuard&&) = delete;
  ~ScopeGuard() {
    if (active_) {
      f_();
    }
  }
  /// The cleanup will not run.
  void dismiss() noexcept { active_ = false; }

 private:
  F f_;
  bool active_ = true;
};

}  // namespace ls
