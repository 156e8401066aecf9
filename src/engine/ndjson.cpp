#include "engine/ndjson.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <string>

#include "engine/errors.hpp"

namespace ls::engine {

namespace {

bool isJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trimEnd(std::string_view s) {
  while (!s.empty() && isJsonSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
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

// Validates without building anything: every callback accepts.
struct NullHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) { return true; }
  bool on_object_end(std::size_t, boost::json::error_code&) { return true; }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::json::error_code&) { return true; }
  bool on_key_part(std::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_key(std::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_string_part(std::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_number_part(std::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t, std::string_view, boost::json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, boost::json::error_code&) { return true; }
  bool on_double(double, std::string_view, boost::json::error_code&) { return true; }
  bool on_bool(bool, boost::json::error_code&) { return true; }
  bool on_null(boost::json::error_code&) { return true; }
  bool on_comment_part(std::string_view, boost::json::error_code&) { return true; }
  bool on_comment(std::string_view, boost::json::error_code&) { return true; }
};

}  // namespace

struct NdjsonSplitter::Parser {
  boost::json::basic_parser<NullHandler> p{boost::json::parse_options{}};
};

NdjsonSplitter::NdjsonSplitter(std::size_t maxMessageBytes)
    : parser_(std::make_unique<Parser>()), maxMessageBytes_(maxMessageBytes) {}
NdjsonSplitter::~NdjsonSplitter() = default;

Result<void> NdjsonSplitter::feed(std::string_view bytes, std::vector<std::string_view>& out) {
  if (failed_) {
    return alreadyFailed();
  }
  auto& parser = parser_->p;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  const char* begin = nullptr;  // where the message in progress began, when in this feed
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
      begin = p;
    }
    const std::size_t start = offset_ - current_;
    // Never hand the parser more than the limit allows, so its state stays bounded too.
    const std::size_t budget = maxMessageBytes_ - current_;
    const std::size_t n = std::min(budget, static_cast<std::size_t>(end - p));
    if (n == 0) {
      failed_ = true;
      return Error(Errc::InvalidArgument, "json message at byte " + std::to_string(start) +
                                              " exceeds the limit of " +
                                              std::to_string(maxMessageBytes_) + " bytes");
    }
    boost::json::error_code ec;
    const std::size_t used = parser.write_some(true, p, n, ec);
    if (ec) {
      failed_ = true;
      return Error(Errc::InvalidArgument,
                   "malformed json message at byte " + std::to_string(start) + ": " + ec.message());
    }
    if (parser.done()) {
      // The parser also consumes the whitespace after a value: the view leaves it out.
      if (begin != nullptr) {
        out.push_back(trimEnd(std::string_view(begin, static_cast<std::size_t>(p + used - begin))));
      } else {  // begun in an earlier feed: at most one such message per feed
        partial_.append(p, used);
        assembled_ = std::move(partial_);
        partial_.clear();
        out.push_back(trimEnd(assembled_));
      }
      parser.reset();
      inMessage_ = false;
      begin = nullptr;
    } else if (begin != nullptr) {
      partial_.assign(begin, static_cast<std::size_t>(p + used - begin));  // continues later
      begin = nullptr;
    } else {
      partial_.append(p, used);
    }
    p += used;
    current_ += used;
    offset_ += used;
  }
  return ok();
}

Result<void> NdjsonSplitter::finish(std::vector<std::string_view>& out) {
  if (failed_) {
    return alreadyFailed();
  }
  if (!inMessage_) {
    return ok();
  }
  // A top-level number or literal is only complete once the parser knows no digit follows.
  boost::json::error_code ec;
  parser_->p.write_some(false, nullptr, 0, ec);
  if (ec || !parser_->p.done()) {
    failed_ = true;
    return Error(Errc::Unavailable, "stream ended inside a JSON message");
  }
  assembled_ = std::move(partial_);
  partial_.clear();
  out.push_back(trimEnd(assembled_));
  parser_->p.reset();
  inMessage_ = false;
  return ok();
}

NdjsonDecoder::NdjsonDecoder(std::size_t maxMessageBytes) : splitter_(maxMessageBytes) {}

Result<void> NdjsonDecoder::parseAll(std::vector<boost::json::value>& out) {
  for (std::string_view slice : slices_) {
    parser_.reset();
    boost::json::error_code ec;
    parser_.write(slice.data(), slice.size(), ec);
    if (ec) {  // validated already: only a limit of the value builder can get here
      slices_.clear();
      return Error(Errc::InvalidArgument, "json message cannot be represented: " + ec.message());
    }
    out.push_back(parser_.release());
  }
  slices_.clear();
  return ok();
}

Result<void> NdjsonDecoder::feed(std::string_view bytes, std::vector<boost::json::value>& out) {
  slices_.clear();
  Result<void> split = splitter_.feed(bytes, slices_);
  // The messages completed before an error are still delivered, then the error.
  LS_TRY(parseAll(out));
  return split;
}

Result<void> NdjsonDecoder::finish(std::vector<boost::json::value>& out) {
  slices_.clear();
  Result<void> split = splitter_.finish(slices_);
  LS_TRY(parseAll(out));
  return split;
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
