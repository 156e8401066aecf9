// Fuzzes the HTTP response path: arbitrary bytes as an engine's answer, fed whole and in pieces.
// Properties: never crash or hang; when both feedings succeed they agree on status and body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/http_reader.hpp"

namespace {

struct Outcome {
  bool ok = true;
  bool done = false;
  int status = 0;
  std::string body;
};

Outcome feed(std::string_view data, std::size_t piece, bool head) {
  ls::engine::HttpResponseReader r(
      ls::engine::HttpResponseReader::Options{.headRequest = head, .bodyLimit = 1u << 20});
  Outcome o;
  for (std::size_t i = 0; i < data.size() && !r.done(); i += piece) {
    auto n = r.feed(data.substr(i, piece));
    if (!n) {
      o.ok = false;
      return o;
    }
    o.body += r.takeBody();
  }
  if (!r.done()) {
    if (!r.feedEof()) {
      o.ok = false;
      return o;
    }
  }
  o.body += r.takeBody();
  o.done = r.done();
  o.status = r.headerDone() ? r.head().status : 0;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::size_t piece = 1 + data[0] % 17;
  const bool head = (data[0] & 0x80) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = feed(input, input.size() + 1, head);
  const Outcome split = feed(input, piece, head);
  if (whole.ok && split.ok && whole.done && split.done &&
      (whole.status != split.status || whole.body != split.body)) {
    std::abort();
  }
  return 0;
}
