// What commands that talk to the engine share: one io_context, the engine client, a clock and
// the DockerRuntime; helpers to run coroutines to completion from the synchronous command code.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/control.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/engine/client.hpp"
#include "lightshuttle/engine/endpoint.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"

namespace ls::cli {

struct EngineSession {
  /// Declared first, so destroyed last: io objects of the commands (signal sets, timers, the
  /// runtime's sockets) must all go before the loop does.
  boost::asio::io_context ctx;
  engine::Endpoint endpoint;
  std::unique_ptr<engine::Client> client;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<runtime::DockerRuntime> runtime;
};

/// Resolves the endpoint and builds the session (no I/O yet). Prints the error and returns null
/// when the endpoint configuration is invalid.
std::unique_ptr<EngineSession> openEngine();

/// Runs one coroutine to completion; an escaped exception becomes an Internal error.
template <typename T>
Result<T> runSync(EngineSession& s, boost::asio::awaitable<Result<T>> aw) {
  std::optional<Result<T>> out;
  boost::asio::co_spawn(s.ctx, std::move(aw), [&](std::exception_ptr e, Result<T> r) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        out.emplace(Error(Errc::Internal, std::string("unexpected exception: ") + ex.what()));
      }
    } else {
      out.emplace(std::move(r));
    }
  });
  s.ctx.restart();
  s.ctx.run();
  if (!out) {
    return Error(Errc::Internal, "operation did not complete");
  }
  return std::move(*out);
}

/// Runs coroutines concurrently to completion; results in the same order.
template <typename T>
std::vector<Result<T>> runAllSync(EngineSession& s,
                                  std::vector<boost::asio::awaitable<Result<T>>> aws) {
  std::vector<std::optional<Result<T>>> slots(aws.size());
  for (std::size_t i = 0; i < aws.size(); ++i) {
    boost::asio::co_spawn(s.ctx, std::move(aws[i]), [&slots, i](std::exception_ptr e, Result<T> r) {
      if (e) {
        slots[i].emplace(Error(Errc::Internal, "unexpected exception"));
      } else {
        slots[i].emplace(std::move(r));
      }
    });
  }
  s.ctx.restart();
  s.ctx.run();
  std::vector<Result<T>> out;
  out.reserve(slots.size());
  for (auto& slot : slots) {
    out.push_back(slot ? std::move(*slot)
                       : Result<T>(Error(Errc::Internal, "operation did not complete")));
  }
  return out;
}

/// The project a command acts on: `--project`, else the manifest's (found like `validate`
/// finds it). Prints what went wrong and sets `exitCode` when there is none.
std::optional<std::string> resolveProject(const std::string& projectFlag, const std::string& file,
                                          int& exitCode);

/// The live supervisor of the project named by `--project`/`--file` (see resolveProject), or
/// nullopt with the error printed and `exitCode` set (2 no project, 1 no supervisor). `why`
/// ends the message: where a supervisor comes from, for the verb that needs one.
std::optional<SupervisorRecord> runningSupervisor(const std::string& projectFlag,
                                                  const std::string& file, std::string_view why,
                                                  int& exitCode);

/// What `ps`, `logs` and `exec` start from: the project, an engine session, and the project's
/// containers (found by label).
struct ProjectContainers {
  std::string project;
  std::unique_ptr<EngineSession> session;
  std::vector<runtime::ManagedContainer> containers;
};

/// Resolves the project (see resolveProject), opens the engine and lists the containers.
/// Prints what went wrong and sets `exitCode` (2 no project, 1 engine failure) on failure.
std::optional<ProjectContainers> openProject(const std::string& projectFlag,
                                             const std::string& file, int& exitCode);

}  // namespace ls::cli
