#include "engine/errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace ls::engine {

Errc errcForStatus(int status) noexcept {
  switch (status) {
    case 400: return Errc::InvalidArgument;
    case 401:
    case 403: return Errc::PermissionDenied;
    case 404: return Errc::NotFound;
    case 408: return Errc::Timeout;
    case 409: return Errc::Conflict;
    case 422: return Errc::InvalidArgument;
    case 501: return Errc::Unsupported;
    case 502:
    case 503: return Errc::Unavailable;
    case 504: return Errc::Timeout;
    default: break;
  }
  if (status >= 500) {
    return Errc::Internal;
  }
  if (status >= 400) {
    return Errc::InvalidArgument;
  }
  return Errc::Internal;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}
}  // namespace

std::string engineMessage(std::string_view body, int status) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (!ec && doc.is_object()) {
    if (auto* m = doc.as_object().if_contains("message");
        m && m->is_string() && !m->as_string().empty()) {
      return std::string(m->as_string());
    }
  }
  std::string_view raw = trim(body);
  constexpr std::size_t kMax = 512;
  if (!raw.empty()) {
    std::string out(raw.substr(0, kMax));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
        c = '?';
      }
    }
    if (raw.size() > kMax) {
      out += "...";
    }
    return out;
  }
  return "http status " + std::to_string(status);
}

std::string_view startFailureReason(std::string_view m) noexcept {
  const auto has = [m](std::string_view part) { return m.find(part) != std::string_view::npos; };
  // Only the OCI runtime's failure to exec the process, not a missing mount source or device
  // that also says "no such file or directory".
  const bool exec = has("exec:") || has("exec ");
  if (has("executable file not found") || has("invoke a command that was not found") ||
      (exec && has("no such file or directory"))) {
    return "command_not_found";
  }
  if (has("OCI permission denied") || (exec && has("permission denied"))) {
    return "command_not_executable";
  }
  return {};
}

Error classifyResponse(int status, std::string_view body, std::string_view operation) {
  std::string msg = engineMessage(body, status);
  Error err(errcForStatus(status), std::string(operation) + ": " + msg);
  return std::move(err).withEngine(status, std::move(msg));
}

}  // namespace ls::engine
