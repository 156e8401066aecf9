// DockerRuntime: the containers operations of the wider Runtime surface (operations.hpp).
#include "runtime/docker/docker_impl.hpp"

namespace ls::runtime {}  // namespace ls::runtime
