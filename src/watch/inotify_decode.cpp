// The inotify record decoder, apart from the watcher so the fuzz target needs nothing else.
#include <sys/inotify.h>

#include <cstring>

#include "watch/inotify.hpp"

namespace ls::watch::detail {

std::vector<RawEvent> decodeEvents(std::string_view bytes) {
  std::vector<RawEvent> out;
  constexpr std::size_t kHeader = sizeof(struct inotify_event);
  std::size_t at = 0;
  while (bytes.size() - at >= kHeader) {
    struct inotify_event header {};
    std::memcpy(&header, bytes.data() + at, kHeader);
    const std::size_t len = header.len;
    if (len > bytes.size() - at - kHeader) {
      break;  // truncated record
    }
    RawEvent ev;
    ev.wd = header.wd;
    ev.mask = header.mask;
    ev.cookie = header.cookie;
    std::string_view name(bytes.data() + at + kHeader, len);
    ev.name = std::string(name.substr(0, name.find('\0')));
    out.push_back(std::move(ev));
    at += kHeader + len;
  }
  return out;
}

}  // namespace ls::watch::detail
