#include "engine/http_reader.hpp"

#include <strings.h>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace http = boost::beast::http;

namespace ls::engine {

std::string_view HttpHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) {
      return v;
    }
  }
  return {};
}

namespace {

class Parser final : public http::basic_parser<false> {
 public:
  HttpHead head;
  std::string body;

 private:
  void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int,
                        boost::beast::error_code&) override {
    head.status = code;
    head.reason.assign(reason.data(), reason.size());
  }
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                     boost::beast::error_code&) override {
    head.headers.emplace_back(std::string(name.data(), name.size()),
                              std::string(value.data(), value.size()));
  }
  void on_header_impl(boost::beast::error_code&) override {
    head.keepAlive = keep_alive();
    head.chunked = chunked();
    if (auto len = content_length()) {
      head.contentLength = *len;
    }
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view s, boost::beast::error_code&) override {
    body.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view s,
                                 boost::beast::error_code&) override {
    body.append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(boost::beast::error_code&) override {}
};

}  // namespace

struct HttpResponseReader::Impl {
  Parser parser;
  std::string pending;  // bytes fed but not yet consumed by the parser (an incomplete header)
};

HttpResponseReader::HttpResponseReader() : HttpResponseReader(Options{}) {}

HttpResponseReader::HttpResponseReader(Options opts) : impl_(std::make_unique<Impl>()) {
  impl_->parser.eager(true);
  impl_->parser.skip(opts.headRequest);
  impl_->parser.header_limit(opts.headerLimit);
  if (opts.bodyLimit) {
    impl_->parser.body_limit(*opts.bodyLimit);
  } else {
    impl_->parser.body_limit(boost::none);
  }
}

HttpResponseReader::~HttpResponseReader() = default;
HttpResponseReader::HttpResponseReader(HttpResponseReader&&) noexcept = default;
HttpResponseReader& HttpResponseReader::operator=(HttpResponseReader&&) noexcept = default;

Result<std::size_t> HttpResponseReader::feed(std::string_view bytes) {
  auto& p = impl_->parser;
  if (p.is_done()) {
    return std::size_t{0};
  }
  // Beast needs a complete header in one buffer; keep unconsumed bytes until it has one.
  impl_->pending.append(bytes);
  std::size_t used = 0;
  while (used < impl_->pending.size() && !p.is_done()) {
    boost::beast::error_code ec;
    const std::size_t n =
        p.put(boost::asio::buffer(impl_->pending.data() + used, impl_->pending.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      break;
    }
    if (ec) {
      return Error(Errc::InvalidArgument,
                   "malformed http response from the engine: " + ec.message());
    }
    if (n == 0) {
      break;
    }
  }
  // Bytes that were pending before this call count as consumed earlier; report only the part
  // of `bytes` that this response took.
  std::size_t consumedOfNew = bytes.size();
  if (p.is_done()) {
    const std::size_t total = impl_->pending.size();
    const std::size_t leftover = total - used;
    consumedOfNew = bytes.size() - std::min(leftover, bytes.size());
    impl_->pending.clear();
  } else {
    impl_->pending.erase(0, used);
  }
  return consumedOfNew;
}

Result<void> HttpResponseReader::feedEof() {
  auto& p = impl_->parser;
  if (p.is_done()) {
    return ok();
  }
  if (!p.got_some()) {
    // Beast asserts that put_eof follows some input; nothing (or only a partial header that the
    // parser has not consumed yet) means the engine hung up before its answer was complete.
    return Error(Errc::Unavailable,
                 impl_->pending.empty()
                     ? "the engine closed the connection before sending a response"
                     : "the engine closed the connection in the middle of the response header");
  }
  boost::beast::error_code ec;
  p.put_eof(ec);
  if (ec) {
    if (!p.is_header_done()) {
      return Error(Errc::Unavailable, "the engine closed the connection before sending a response");
    }
    return Error(Errc::Unavailable,
                 "the engine closed the connection in the middle of the response");
  }
  return ok();
}

bool HttpResponseReader::headerDone() const { return impl_->parser.is_header_done(); }
bool HttpResponseReader::done() const { return impl_->parser.is_done(); }
const HttpHead& HttpResponseReader::head() const { return impl_->parser.head; }
std::string HttpResponseReader::takeBody() { return std::exchange(impl_->parser.body, {}); }
std::size_t HttpResponseReader::pendingBodySize() const { return impl_->parser.body.size(); }

}  // namespace ls::engine
