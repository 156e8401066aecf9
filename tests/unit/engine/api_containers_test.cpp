// Unit tests of the engine-level containers calls of the wider runtime surface: exact requests sent and
// JSON mapped, over the scripted transport (fake_transport.hpp).
#include <gtest/gtest.h>
