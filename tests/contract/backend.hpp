// The seam of the runtime contract (tests/contract): what one backend gives the scenarios. The
// scenarios are written once against `Runtime` (and `ContainerOps` for the rich inspect); each
// backend says how a call is driven (virtual time on the fakes, real time on an engine), which
// projects a test uses, and how it prepares itself for a scenario (the fakes load what their
// engine would do: MemoryRuntime's scripts, the scripted transport's canned exchanges).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "lightshuttle/runtime/container_ops.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::contract {

class Backend {
 public:
  virtual ~Backend() = default;

  /// Why this backend cannot run here (no engine answers), or nullopt when it can.
  virtual std::optional<std::string> unavailable() = 0;

  virtual runtime::Runtime& runtime() = 0;
  virtual runtime::ContainerOps& containers() = 0;

  /// The loop every call of the runtime runs on.
  virtual boost::asio::io_context& context() = 0;
  /// Runs the loop until `done()` (or a bound that fails the call): the fakes advance their
  /// virtual clock whenever nothing else is ready; an engine backend waits in real time.
  virtual void drive(const std::function<bool()>& done) = 0;

  /// The project the scenario's containers belong to, and a second one it must not see. The
  /// fakes use fixed names (their scripts name them); an engine backend unique ones.
  virtual std::string project() const = 0;
  virtual std::string otherProject() const = 0;

  /// Called once before the scenario's first call, with its name (the test's name).
  virtual void prepare(std::string_view scenario) = 0;

  /// Creates a network named `name` with `labels`, as someone else would (not through the
  /// runtime); the backend removes it at the end.
  virtual void addForeignNetwork(const std::string& name,
                                 const std::map<std::string, std::string>& labels) = 0;
  /// A named volume the scenario makes (through a container's spec): removed at the end.
  virtual void ownVolume(const std::string& name) = 0;

  /// Called once after the scenario: what the backend checks itself (the scripted transport:
  /// every canned exchange was asked for, by the expected request line, in order).
  virtual void verify() = 0;
};

/// One instantiation's backend: its name (the test name's suffix) and how to make one per test.
struct BackendParam {
  std::string name;
  std::function<std::unique_ptr<Backend>()> make;
};

inline void PrintTo(const BackendParam& p, std::ostream* os) { *os << p.name; }

}  // namespace ls::contract
