#include "engine/json_messages.hpp"

namespace ls::engine {

boost::asio::awaitable<Result<std::optional<boost::json::value>>> JsonMessages::next() {
  for (;;) {
    if (pos_ < ready_.size()) {
      boost::json::value v = std::move(ready_[pos_++]);
      if (pos_ == ready_.size()) {
        ready_.clear();
        pos_ = 0;
      }
      co_return std::optional<boost::json::value>(std::move(v));
    }
    if (ended_) {
      co_return std::optional<boost::json::value>();
    }
    LS_CO_ASSIGN_OR_RETURN(std::optional<std::string> piece, co_await body_->next());
    if (piece) {
      LS_CO_TRY(decoder_.feed(*piece, ready_));
    } else {
      ended_ = true;
      LS_CO_TRY(decoder_.finish(ready_));
    }
  }
}

}  // namespace ls::engine
