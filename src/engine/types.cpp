#include "lightshuttle/engine/types.hpp"

namespace ls::engine {

std::string_view streamKindName(StreamKind k) noexcept {
  switch (k) {
    case StreamKind::Stdin: return "stdin";
    case StreamKind::Stdout: return "stdout";
    case StreamKind::Stderr: return "stderr";
    case StreamKind::System: return "system";
  }
  return "unknown";
}

}  // namespace ls::engine
