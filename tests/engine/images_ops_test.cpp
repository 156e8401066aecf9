// Engine tests of the images operations of DockerRuntime's wider surface, against the real engine.
#include <gtest/gtest.h>
