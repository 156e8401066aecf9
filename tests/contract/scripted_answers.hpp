// The words of the scripted engine (scripted_scenarios.cpp): Docker Engine 20.10's answers
// (API 1.41) in the shapes it gives them, trimmed to the fields a client reads, each paired with
// the request line the runtime must send for it. Captured from dockerd running the contract's
// scenarios, then written by hand.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "unit/engine/fake_transport.hpp"

namespace ls::contract::scripted {

/// One exchange of a scenario: the request line the runtime must send (method and target, as
/// written on the wire) and the engine's answer to it.
struct Exchange {
  std::string request;
  engine::testing::FakeExchange answer;
};

/// A container of a scenario as the engine knows it.
struct Ctr {
  std::string id;  ///< 64 hex digits
  std::string project;
  std::string resource;
  std::string configHash;  ///< its lightshuttle.config-hash label: what the runtime sent
  std::vector<std::string> binds;
  std::vector<std::string> healthcheck;  ///< Config.Healthcheck.Test; empty: none
  std::string name() const { return project + "_" + resource; }
};

/// A container's State as inspect shows it.
struct State {
  std::string status = "running";
  int exitCode = 0;
  std::string startedAt;
  std::string finishedAt = "0001-01-01T00:00:00Z";
  std::string health;  ///< State.Health.Status; empty: no Health object
};

State running(std::string startedAt, std::string health = {});
State exited(int code, std::string startedAt, std::string finishedAt);

// --- bodies ----------------------------------------------------------------------------------

std::string inspectJson(const Ctr& c, const State& s);
/// A container as GET /containers/json lists it (`state`: "running", "exited", ...).
std::string summaryJson(const Ctr& c, const std::string& state);
/// A network as GET /networks/{name} shows it, with the containers attached to it now.
std::string networkJson(const std::string& name, const std::string& id,
                        const std::map<std::string, std::string>& labels,
                        const std::vector<Ctr>& attached);
/// One event of the events stream (a JSON line), at second `time` of the engine's clock.
std::string eventJson(const Ctr& c, const std::string& action, long long time,
                      const std::string& exitCode = {});
using engine::testing::frame;

// --- exchanges -------------------------------------------------------------------------------

/// A plain answer: `status` with a JSON `body` (none when empty) and `headers`.
Exchange answer(std::string request, int status, const std::string& body = {},
                const std::string& headers = {});
/// A chunked stream of `pieces`, ended (the engine closed it) or left open; no Content-Type
/// when `contentType` is empty (Docker's logs).
Exchange stream(std::string request, const std::vector<std::string>& pieces, bool open,
                const std::string& contentType = "application/json");
/// The raw multiplexed stream of an exec's output, read until the engine closes the
/// connection (or left open: the command is still running).
Exchange execOutput(std::string request, const std::string& frames, bool open = false);

/// A 404 with Docker's {"message": ...}.
Exchange notFound(std::string request, const std::string& message);

/// GET /v1.41/<path> and the like, prefixed with the API version.
std::string get(const std::string& path);
std::string post(const std::string& path);
std::string del(const std::string& path);

/// The query of GET /containers/json listing a project's containers.
std::string listPath(const std::string& project);
/// Percent-encoding of a query value, as the client writes it.
std::string encode(const std::string& value);

}  // namespace ls::contract::scripted
