#include "engine/ndjson.hpp"

#include "engine/errors.hpp"

#include <algorithm>
#include <boost/json/error.hpp>
#include <string>

namespace ls::engine {

namespace {

bool isJsonSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

Error alreadyFailed() {
  return Error(Errc::InvalidArgument, "json stream decoder already failed on a malformed message");
}


std::string_view stringField(const boost::json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return {};
  }
  return v->get_string();
}

}  // namespace

NdjsonDecoder::NdjsonDecoder(std::size_t maxMessageBytes) : maxMessageBytes_(maxMessageBytes) {}

Result<void> NdjsonDecoder::feed(std::string_view bytes, std::vector<boost::json::value>& out) {
  if (failed_) {
    return alreadyFailed();
  }
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p != end) {
    if (!inMessage_) {
      const char* text = std::find_if_not(p, end, isJsonSpace);
      offset_ += static_cast<std::size_t>(text - p);
      p = text;
      if (p == end) {
        break;
      }
      inMessage_ = true;
      current_ = 0;
    }
    const std::size_t start = offset_ - current_;
    // Never hand the parser more than the limit allows, so its buffers stay bounded too.
    const std::size_t budget = maxMessageBytes_ - current_;
    const std::size_t n = std::min(budget, static_cast<std::size_t>(end - p));
    if (n == 0) {
      failed_ = true;
      return Error(Errc::InvalidArgument, "json message at byte " + std::to_string(start) +
                                              " exceeds the limit of " +
                                              std::to_string(maxMessageBytes_) + " bytes");
    }
    boost::json::error_code ec;
    const std::size_t used = parser_.write_some(p, n, ec);
    if (ec) {
      failed_ = true;
      return Error(Errc::InvalidArgument,
                   "malformed json message at byte " + std::to_string(start) + ": " + ec.message());
    }
    p += used;
    current_ += used;
    offset_ += used;
    if (parser_.done()) {
      out.push_back(parser_.release());
      parser_.reset();
      inMessage_ = false;
    }
  }
  return ok();
}

Result<void> NdjsonDecoder::finish(std::vector<boost::json::value>& out) {
  if (failed_) {
    return alreadyFailed();
  }
  if (!inMessage_) {
    return ok();
  }
  // A top-level number or literal is only complete once the parser knows no digit follows.
  boost::json::error_code ec;
  parser_.finish(ec);
  if (ec || !parser_.done()) {
    failed_ = true;
    return Error(Errc::Unavailable, "stream ended inside a JSON message");
  }
  out.push_back(parser_.release());
  parser_.reset();
  inMessage_ = false;
  return ok();
}

std::optional<Error> streamError(const boost::json::value& msg) {
  const auto* obj = msg.if_object();
  if (obj == nullptr) {
    return std::nullopt;
  }
  const auto* detailValue = obj->if_contains("errorDetail");
  const auto* detail = detailValue != nullptr ? detailValue->if_object() : nullptr;
  const std::string_view error = stringField(*obj, "error");
  if (detail == nullptr && error.empty()) {
    return std::nullopt;
  }

  std::string_view message = detail != nullptr ? stringField(*detail, "message") : "";
  if (message.empty()) {
    message = error;
  }
  Errc code = Errc::Internal;
  int status = 200;  // the stream itself was a successful response
  if (detail != nullptr) {
    if (const auto* c = detail->if_contains("code"); c != nullptr && c->is_number()) {
      boost::json::error_code ec;
      const auto value = c->to_number<std::int64_t>(ec);
      // errorDetail.code is sometimes an exit code (builds report 1), not an HTTP status.
      if (!ec && value >= 400 && value <= 599) {
        code = errcForStatus(static_cast<int>(value));
        status = static_cast<int>(value);
      }
    }
  }
  std::string text = message.empty() ? std::string("engine reported an error without a message")
                                     : std::string(message);
  return Error(code, text).withEngine(status, text);
}

}  // namespace ls::engine
