// What the engine and e2e tiers run against: the test engine (LS_TEST_ENGINE, DOCKER_HOST),
// the local test images, the loopback registry, and CI's rule that a missing engine fails.
#pragma once

#include <cstdlib>
#include <string>

namespace ls::testing {

/// The local test images (tests/images, built by scripts/bootstrap on both engines).
inline constexpr const char* kBusybox = "lightshuttle-test/busybox:latest";
inline constexpr const char* kPostgres = "lightshuttle-test/postgres:15";
inline constexpr const char* kRedis = "lightshuttle-test/redis:7";

/// Whether the suite runs under CI (a missing engine must fail there, never skip).
inline bool underCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

/// The engine this run of the engine/e2e tiers targets: "docker" or "podman" (LS_TEST_ENGINE,
/// set by tests/CMakeLists.txt for each half, with DOCKER_HOST for podman; "docker" when unset).
inline std::string testEngine() {
  const char* e = std::getenv("LS_TEST_ENGINE");
  return e != nullptr && *e != '\0' ? std::string(e) : std::string("docker");
}

/// The loopback registry (LS_REGISTRY_ADDR, or scripts/bootstrap's 127.0.0.1:5000).
inline std::string registryAddr() {
  const char* r = std::getenv("LS_REGISTRY_ADDR");
  return r != nullptr && *r != '\0' ? r : "127.0.0.1:5000";
}

}  // namespace ls::testing
