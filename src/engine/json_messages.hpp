// The JSON messages of a streamed response body (events, stats, pull/build/load progress), handed
// out one at a time: what EventsStream, StatsReader and ProgressStream share.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "engine/ndjson.hpp"
#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/client.hpp"

namespace ls::engine {

class JsonMessages {
 public:
  explicit JsonMessages(std::unique_ptr<ResponseStream> body) : body_(std::move(body)) {}

  /// The next message, reading more of the body as needed; nullopt at the clean end of the body.
  /// Errors: the body's (Unavailable, Cancelled) and the decoder's (InvalidArgument).
  boost::asio::awaitable<Result<std::optional<boost::json::value>>> next();
  /// Closes the body; a pending `next` completes with an error.
  void close() { body_->close(); }

 private:
  std::unique_ptr<ResponseStream> body_;
  NdjsonDecoder decoder_;
  std::vector<boost::json::value> ready_;
  std::size_t pos_ = 0;
  bool ended_ = false;
};

}  // namespace ls::engine
