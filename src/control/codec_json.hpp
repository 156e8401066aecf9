// Boost.JSON side of the control codec (private to ls_control): the server builds messages from
// these objects; the public string API in lightshuttle/control/codec.hpp wraps them.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "lightshuttle/lifecycle/events.hpp"
#include "lightshuttle/lifecycle/handle.hpp"
#include "lightshuttle/runtime/operations.hpp"

namespace ls::control::detail {

boost::json::object viewJson(const lifecycle::ResourceView& view);
boost::json::object stackJson(const lifecycle::StackView& stack, const std::string& version,
                              long supervisorPid, const std::string& dashboardUrl);
boost::json::object detailJson(const lifecycle::ResourceDetail& detail);
boost::json::object eventJson(const lifecycle::LifecycleEvent& event);
/// {"ts","stream","line"}: `line` with invalid UTF-8 replaced by U+FFFD.
boost::json::object logLineJson(std::chrono::system_clock::time_point ts, bool stderrStream,
                                std::string_view line);
/// One stats message; `cpuPercent` from the previous sample.
boost::json::object statsJson(const runtime::StatsSample& sample, double cpuPercent);
/// `{"error": message[, "resource": resource]}`.
std::string errorBody(std::string_view message, std::string_view resource = {});
/// Valid UTF-8: every invalid sequence replaced by U+FFFD.
std::string sanitizeUtf8(std::string_view bytes);

}  // namespace ls::control::detail
