// The inotify record decoder on arbitrary bytes: never reads past the buffer, never crashes,
// and every record it yields fits in the input (header plus its declared name length).
#include <sys/inotify.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "watch/inotify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto events = ls::watch::detail::decodeEvents(bytes);
  std::size_t used = 0;
  for (const auto& ev : events) {
    used += sizeof(struct inotify_event);
    if (ev.name.find('\0') != std::string_view::npos) {
      std::abort();
    }
    used += ev.name.size();
  }
  if (used > size) {
    std::abort();
  }
  return 0;
}
