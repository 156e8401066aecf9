// File: lightshuttle/core/result.hpp
//
// `Result<T>`: a value or an `ls::Error`, with the shape of C++23 `std::expected<T, Error>`
// (`has_value`, `value`, `error`, `operator*`, `and_then`, `transform`), so a later switch to
// `std::expected` is mechanical. libstdc++ 12 ships <expected> only under -std=c++2b.
//
//   ls::Result<int> parsePort(std::string_view s);
//   LS_ASSIGN_OR_RETURN(int port, parsePort(text));   // returns the error to our caller
//   LS_TRY(writeFile(path, data));                     // same, for Result<void>
#pragma once

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "lightshuttle/core/error.hpp"

namespace ls {

/// Tag wrapper so `return ls::unexpected(err)` reads like std::expected code.
struct Unexpected {
  Error error;
};
inline Unexpected unexpected(Error e) { return Unexpected{std::move(e)}; }

namespace detail {
[[noreturn]] void resultAccessFailed(const Error* err) noexcept;
}

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Result(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT(implicit)
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(implicit)
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> &&
           !std::is_same_v<std::decay_t<U>, Unexpected> &&
           !std::is_same_v<std::decay_t<U>, Result<T>>) Result(U&& v)
      : v_(std::in_place_index<0>, T(std::forward<U>(v))) {}                // NOLINT(implicit)
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}             // NOLINT(implicit)
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT(implicit)

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    checkError();
    return std::get<1>(v_);
  }
  Error& error() & {
    checkError();
    return std::get<1>(v_);
  }
  Error&& error() && {
    checkError();
    return std::get<1>(std::move(v_));
  }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// f(T) -> Result<U>
  template <typename F>
  auto and_then(F&& f) && -> std::invoke_result_t<F, T&&> {
    if (!has_value()) {
      return std::get<1>(std::move(v_));
    }
    return std::forward<F>(f)(std::get<0>(std::move(v_)));
  }
  /// f(T) -> U, giving Result<U>
  template <typename F>
  auto transform(F&& f) && -> Result<std::invoke_result_t<F, T&&>> {
    if (!has_value()) {
      return std::get<1>(std::move(v_));
    }
    return std::forward<F>(f)(std::get<0>(std::move(v_)));
  }

 private:
  void check() const noexcept {
    if (!has_value()) {
      detail::resultAccessFailed(&std::get<1>(v_));
    }
  }
  void checkError() const noexcept {
    if (has_value()) {
      detail::resultAccessFailed(nullptr);
    }
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Error e) : err_(std::move(e)) {}             // NOLINT(implicit)
  Result(Unexpected u) : err_(std::move(u.error)) {}  // NOLINT(implicit)

  bool has_value() const noexcept { return !err_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (err_) {
      detail::resultAccessFailed(&*err_);
    }
  }
  const Error& error() const& {
    checkError();
    return *err_;
  }
  Error& error() & {
    checkError();
    return *err_;
  }
  Error&& error() && {
    checkError();
    return std::move(*err_);
  }

 private:
  void checkError() const noexcept {
    if (!err_) {
      detail::resultAccessFailed(nullptr);
    }
  }
  std::optional<Error> err_;
};

/// A successful Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace ls

#define LS_CONCAT_INNER_(a, b) a##b
#define LS_CONCAT_(a, b) LS_CONCAT_INNER_(a, b)

/// Evaluates `expr` (a Result<...>); on error returns that error from the enclosing function.
/// Multi-statement macro: use it as a statement, not as an expression.
#define LS_TRY(expr)                            \
  do {                                          \
    auto&& ls_try_result_ = (expr);             \
    if (!ls_try_result_.has_value()) {          \
      return std::move(ls_try_result_).error(); \
    }                                           \
  } while (false)

/// Evaluates `expr` (a Result<T>); on error returns it, otherwise binds the value to `lhs`
/// (`LS_ASSIGN_OR_RETURN(auto x, f())` or `LS_ASSIGN_OR_RETURN(x, f())`).
/// Multi-statement macro: declares a hidden temporary in the enclosing scope.
#define LS_ASSIGN_OR_RETURN(lhs, expr) \
  LS_ASSIGN_OR_RETURN_IMPL_(LS_CONCAT_(ls_aor_, __LINE__), lhs, expr)
#define LS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.has_value()) {                         \
    return std::move(tmp).error();                \
  }                                               \
  lhs = std::move(tmp).value()

/// Coroutine flavours of the two macros above (`co_return` instead of `return`).
#define LS_CO_TRY(expr)                            \
  do {                                             \
    auto&& ls_try_result_ = (expr);                \
    if (!ls_try_result_.has_value()) {             \
      co_return std::move(ls_try_result_).error(); \
    }                                              \
  } while (false)
#define LS_CO_ASSIGN_OR_RETURN(lhs, expr) \
  LS_CO_ASSIGN_OR_RETURN_IMPL_(LS_CONCAT_(ls_caor_, __LINE__), lhs, expr)
#define LS_CO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.has_value()) {                            \
    co_return std::move(tmp).error();                \
  }                                                  \
  lhs = std::move(tmp).value()

/// Invariant check: aborts with a message when `cond` is false. Only for broken invariants,
/// never for bad input or environment errors (those return Result).
#define LS_CHECK(cond)                                      \
  do {                                                      \
    if (!(cond)) {                                          \
      ::ls::detail::checkFailed(#cond, __FILE__, __LINE__); \
    }                                                       \
  } while (false)

namespace ls::detail {
[[noreturn]] void checkFailed(const char* cond, const char* file, int line) noexcept;
}
