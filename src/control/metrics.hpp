// Prometheus text exposition (format 0.0.4) of a stack: pure, from views and stats samples.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lightshuttle/lifecycle/handle.hpp"
#include "lightshuttle/runtime/operations.hpp"

namespace ls::control::detail {

/// `samples` holds one engine sample per running resource (missing ones are left out).
std::string renderMetrics(const lifecycle::StackView& stack,
                          const std::vector<lifecycle::ResourceView>& views,
                          const std::map<std::string, runtime::StatsSample>& samples,
                          const std::string& version);

/// A label value escaped as the format wants (backslash, double quote, newline).
std::string escapeLabel(std::string_view value);

}  // namespace ls::control::detail
