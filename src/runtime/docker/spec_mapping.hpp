// ContainerSpec <-> Engine value types (no JSON here: engine/mapping does the wire format).
#pragma once

#include <string>

#include "lightshuttle/engine/api.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::runtime::detail {

/// The image reference a spec runs: the pull reference or the build tag.
std::string imageReference(const ContainerSpec& spec);

/// The create request for `spec` (labels, network alias, loopback ports, healthcheck, volumes).
engine::ContainerCreate toContainerCreate(const ContainerSpec& spec);

/// Inspect answer → runtime status.
ContainerStatus toStatus(const engine::ContainerInfo& info);

/// "SIGTERM" when empty.
std::string effectiveStopSignal(const std::string& signal);

}  // namespace ls::runtime::detail
