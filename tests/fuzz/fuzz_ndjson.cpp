// Split invariance of the JSON-lines decoder: feeding the input in pieces (sizes drawn from the
// first byte) must give the same values and the same error as one feed; the splitter must frame
// exactly the decoder's messages. streamError() runs on
// every value. The first byte also picks a small message limit half of the time.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ndjson.hpp"

namespace {

using ls::engine::NdjsonDecoder;

// Values equal, except that doubles may differ in their last bits: Boost 1.81 parses a number
// with more than ~16 significant digits slightly differently when it is split across feeds
// (its one-buffer path keeps up to 19 mantissa digits, the resumable path stops at 2^53).
bool sameDouble(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) {  // Boost 1.81 reads "0e8000" as NaN
    return std::isnan(a) && std::isnan(b);
  }
  if (std::isinf(a) || std::isinf(b)) {
    return std::signbit(a) == std::signbit(b) && std::fabs(a) >= 1e307 && std::fabs(b) >= 1e307;
  }
  const double diff = std::fabs(a - b);
  return diff <= 1e-14 * std::max(std::fabs(a), std::fabs(b)) || diff < 1e-300;
}

bool sameValue(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    return sameDouble(a.get_double(), b.get_double());
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), sameValue);
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    return x.size() == y.size() &&
           std::equal(x.begin(), x.end(), y.begin(), [](const auto& l, const auto& r) {
             return l.key() == r.key() && sameValue(l.value(), r.value());
           });
  }
  return a == b;
}

struct Outcome {
  std::vector<boost::json::value> values;
  std::optional<std::string> error;  // errc name and message without the parser's reason

  bool operator==(const Outcome& o) const {
    return error == o.error && values.size() == o.values.size() &&
           std::equal(values.begin(), values.end(), o.values.begin(), sameValue);
  }
};

void check(bool cond) {
  if (!cond) {
    std::abort();
  }
}

// Piece sizes 0..max from a small LCG; 0 exercises empty feeds.
class Splitter {
 public:
  explicit Splitter(std::uint8_t seed) : state_(seed), max_((seed & 0x0f) + 1u) {}
  std::size_t next() {
    state_ = state_ * 1103515245u + 12345u;
    return (state_ >> 16) % (max_ + 1);
  }

 private:
  std::uint32_t state_;
  std::uint32_t max_;
};

Outcome run(std::size_t limit, std::string_view input, Splitter* splitter) {
  NdjsonDecoder decoder(limit);
  Outcome o;
  // The parser's reason after "at byte N: " is left out: Boost 1.81 names a different reason
  // for the same bad escape when it is split across feeds ("expected hex digit" instead of
  // "illegal trailing surrogate"). The category and the offset must still agree.
  auto fail = [&](const ls::Error& e) {
    const std::string& m = e.message();
    o.error = std::string(ls::errcName(e.code())) + ": " + m.substr(0, m.find(": "));
  };
  std::size_t pos = 0;
  while (!o.error && pos < input.size()) {
    const std::size_t n =
        splitter != nullptr ? std::min(splitter->next(), input.size() - pos) : input.size();
    if (auto r = decoder.feed(input.substr(pos, n), o.values); !r) {
      fail(r.error());
    }
    pos += n;
  }
  if (!o.error) {
    if (auto r = decoder.finish(o.values); !r) {
      fail(r.error());
    }
  }
  return o;
}

}  // namespace

// The splitter alone must frame the same messages: as many as the decoder's values, each of
// which parses to that value, and fail where the decoder fails.
void checkSplitter(std::size_t limit, std::string_view input, const Outcome& whole) {
  ls::engine::NdjsonSplitter splitter(limit);
  std::vector<std::string_view> views;
  std::vector<boost::json::value> parsed;
  bool failed = false;
  if (!splitter.feed(input, views)) {
    failed = true;
  }
  for (std::string_view v : views) {
    parsed.push_back(boost::json::parse(v));
  }
  views.clear();
  if (!failed && !splitter.finish(views)) {
    failed = true;
  }
  for (std::string_view v : views) {
    parsed.push_back(boost::json::parse(v));
  }
  check(failed == whole.error.has_value());
  check(parsed.size() == whole.values.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    check(sameValue(parsed[i], whole.values[i]));
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t limit = (data[0] & 0x80) != 0 ? std::size_t{16} << 20 : 4u + (data[0] >> 4);
  const Outcome whole = run(limit, input, nullptr);
  Splitter splitter(data[0]);
  const Outcome split = run(limit, input, &splitter);
  check(split == whole);
  checkSplitter(limit, input, whole);
  for (const auto& v : whole.values) {
    if (auto err = ls::engine::streamError(v)) {
      check(err->code() != ls::Errc::Ok && !err->message().empty());
    }
  }
  return 0;
}
