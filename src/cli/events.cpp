// `lightshuttle events [--json]`: the lifecycle events of a supervised stack as they happen,
// one line each (or one JSON object per line), until the supervisor stops or Ctrl+C.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/control.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/control/codec.hpp"

namespace ls::cli {
namespace {

struct EventsOptions {
  std::string file;
  std::string project;
  bool json = false;
};

std::string plainLine(const lifecycle::LifecycleEvent& e) {
  std::string line = control::formatTime(e.time) + "  " +
                     (e.resource.empty() ? "stack" : e.resource) + "  " +
                     std::string(lifecycle::eventKindName(e.kind));
  if (e.exitCode) {
    line += "  exit_code=" + std::to_string(*e.exitCode);
  }
  if (!e.message.empty()) {
    line += "  " + e.message;
  }
  return line;
}

int runEvents(const EventsOptions& o) {
  int exitCode = kExitOk;
  std::optional<SupervisorRecord> sup = runningSupervisor(
      o.project, o.file, "events come from `lightshuttle up` (attached or -d)", exitCode);
  if (!sup) {
    return exitCode;
  }
  bool stackStopped = false;
  auto followed = supervisorFollow(*sup, std::nullopt, [&](std::string_view text) {
    auto m = control::decodeEventMessage(text);
    if (!m) {
      fmt::print(stderr, "warning: unreadable event message: {}\n", m.error().what());
      return true;
    }
    if (m->type == control::EventMessage::Type::Lagged) {
      fmt::print(stderr, "warning: {} events were missed (reading too slowly)\n", m->missed);
      return true;
    }
    if (m->type == control::EventMessage::Type::Snapshot) {
      // What happened before we came is not replayed; from here on nothing is missed.
      fmt::print(stderr, "following the events of '{}' (Ctrl+C stops)\n", sup->project);
      return true;
    }
    if (m->type != control::EventMessage::Type::Event || !m->event) {
      return true;
    }
    stackStopped = stackStopped || m->event->kind == lifecycle::LifecycleEvent::Kind::StackStopped;
    const std::string line = o.json ? control::encodeEvent(*m->event) : plainLine(*m->event);
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
    return true;
  });
  // After stack_stopped the supervisor exits: its socket may break instead of closing.
  if (!followed && !(stackStopped && followed.error().code() == Errc::Unavailable)) {
    fmt::print(stderr, "error: {}\n", followed.error().what());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void registerEvents(Registrar& r) {
  auto o = std::make_shared<EventsOptions>();
  auto* cmd = projectVerb(
      r, "events", "Print the lifecycle events of a supervised stack as they happen", o, runEvents);
  cmd->add_flag("--json", o->json,
                "One JSON object per line: {\"kind\", \"resource\", \"time\", \"message\", "
                "\"exit_code\", ...}");
  cmd->footer(
      "Examples:\n"
      "  lightshuttle events\n"
      "  lightshuttle events --json | jq -r 'select(.kind == \"resource_failed\") | .resource'\n"
      "Lines: TIME  RESOURCE|stack  KIND  [exit_code=N]  [MESSAGE], on stdout, as they happen; "
      "the\n"
      "event kinds are those of docs/control-api.md. It ends when the supervisor stops.\n"
      "Exit status: 0 the stack stopped, 1 no running supervisor (or it failed), 2 no project,\n"
      "130 Ctrl+C.\n");
}

}  // namespace ls::cli
