// File: lightshuttle/control/codec.hpp
//
// The one JSON codec of the control plane (docs/control-api.md): resource views, the stack,
// resource details and lifecycle events, shared by the API server, `ps --format json`, the
// progress pipe of `up -d` and the CLI's client side. Text in, text out: callers never see the
// JSON library.
//
//   std::string body = encodeViews(handle.list());
//   Result<std::vector<lifecycle::ResourceView>> back = decodeViews(body);
//
// Times are RFC 3339 UTC with milliseconds; absent values are null.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/lifecycle/events.hpp"
#include "lightshuttle/lifecycle/handle.hpp"

namespace ls::control {

std::string encodeView(const lifecycle::ResourceView& view);
std::string encodeViews(const std::vector<lifecycle::ResourceView>& views);
/// The views with one more boolean field in each (`ps --format json` adds "supervised").
std::string encodeViewsTagged(const std::vector<lifecycle::ResourceView>& views,
                              std::string_view key, bool value);
std::string encodeStack(const lifecycle::StackView& stack, const std::string& version,
                        long supervisorPid, const std::string& dashboardUrl);
std::string encodeDetail(const lifecycle::ResourceDetail& detail);
/// The event object alone (`{"kind": ..., "resource": ..., ...}`).
std::string encodeEvent(const lifecycle::LifecycleEvent& event);

/// InvalidArgument (naming what is wrong) for text that is not what the encoder writes.
Result<lifecycle::ResourceView> decodeView(std::string_view json);
Result<std::vector<lifecycle::ResourceView>> decodeViews(std::string_view json);
Result<lifecycle::StackView> decodeStack(std::string_view json);
Result<lifecycle::LifecycleEvent> decodeEvent(std::string_view json);

/// One message of the events WebSocket.
struct EventMessage {
  enum class Type { Snapshot, Event, Lagged };
  Type type = Type::Event;
  std::optional<lifecycle::LifecycleEvent> event;   ///< Event
  std::optional<lifecycle::ResourceView> resource;  ///< Event: the view after it
  std::vector<lifecycle::ResourceView> resources;   ///< Snapshot
  std::optional<lifecycle::StackView> stack;        ///< Snapshot and Event
  std::uint64_t missed = 0;                         ///< Lagged
};
Result<EventMessage> decodeEventMessage(std::string_view json);

/// "2026-12-01T20:44:03.120Z".
std::string formatTime(std::chrono::system_clock::time_point t);
/// Parses what formatTime writes (and RFC 3339 with any fraction and a Z or ±hh:mm offset).
std::optional<std::chrono::system_clock::time_point> parseTime(std::string_view text);

/// The `url` of a published port: http://127.0.0.1:PORT/ for ports that look like HTTP.
std::optional<std::string> portUrl(const lifecycle::ResourceView& view,
                                   const runtime::PortBinding& port);

}  // namespace ls::control
