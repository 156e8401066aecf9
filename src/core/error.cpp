#include "lightshuttle/core/error.hpp"

#include <cstdio>
#include <cstdlib>

#include "lightshuttle/core/result.hpp"

namespace ls {

std::string_view errcName(Errc code) noexcept {
  switch (code) {
    case Errc::Ok: return "ok";
    case Errc::NotFound: return "not_found";
    case Errc::AlreadyExists: return "already_exists";
    case Errc::Conflict: return "conflict";
    case Errc::InvalidArgument: return "invalid_argument";
    case Errc::FailedPrecondition: return "failed_precondition";
    case Errc::Unavailable: return "unavailable";
    case Errc::Timeout: return "timeout";
    case Errc::Cancelled: return "cancelled";
    case Errc::PermissionDenied: return "permission_denied";
    case Errc::Unsupported: return "unsupported";
    case Errc::Internal: return "internal";
  }
  return "unknown";
}

namespace {
class ErrcCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lightshuttle"; }
  std::string message(int ev) const override {
    return std::string(errcName(static_cast<Errc>(ev)));
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<Errc>(ev)) {
      case Errc::Timeout: return std::errc::timed_out;
      case Errc::Cancelled: return std::errc::operation_canceled;
      case Errc::PermissionDenied: return std::errc::permission_denied;
      case Errc::Unsupported: return std::errc::not_supported;
      case Errc::InvalidArgument: return std::errc::invalid_argument;
      default: return {ev, *this};
    }
  }
};
}  // namespace

const std::error_category& errcCategory() noexcept {
  static const ErrcCategory category;
  return category;
}

std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), errcCategory()};
}

Error& Error::context(std::string frame) & {
  contexts_.push_back(std::move(frame));
  return *this;
}
Error&& Error::context(std::string frame) && { return std::move(context(std::move(frame))); }

Error& Error::withEngine(int status, std::string message) & {
  engine_ = EngineOrigin{status, std::move(message)};
  return *this;
}
Error&& Error::withEngine(int status, std::string message) && {
  return std::move(withEngine(status, std::move(message)));
}

Error& Error::withLocation(SourceLocation loc) & {
  location_ = std::move(loc);
  return *this;
}
Error&& Error::withLocation(SourceLocation loc) && {
  return std::move(withLocation(std::move(loc)));
}

Error& Error::withReason(std::string reason) & {
  reason_ = std::move(reason);
  return *this;
}
Error&& Error::withReason(std::string reason) && {
  return std::move(withReason(std::move(reason)));
}

std::string Error::what() const {
  std::string out;
  for (auto it = contexts_.rbegin(); it != contexts_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  if (engine_ && !engine_->message.empty() &&
      message_.find(engine_->message) == std::string::npos) {
    out += " (engine ";
    out += std::to_string(engine_->status);
    out += ": ";
    out += engine_->message;
    out += ")";
  }
  return out;
}

namespace detail {
void resultAccessFailed(const Error* err) noexcept {
  if (err != nullptr) {
    std::fprintf(stderr, "lightshuttle: fatal: value() of a failed Result: %s\n",
                 err->what().c_str());
  } else {
    std::fprintf(stderr, "lightshuttle: fatal: error() of a successful Result\n");
  }
  std::abort();
}

void checkFailed(const char* cond, const char* file, int line) noexcept {
  std::fprintf(stderr, "lightshuttle: fatal: invariant '%s' broken at %s:%d\n", cond, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace ls
