// Engine tests of the containers operations of DockerRuntime's wider surface, against the real engine.
#include <gtest/gtest.h>
