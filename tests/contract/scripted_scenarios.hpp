// The scripted engine's table (scripted_scenarios.cpp): scenario name -> the exchanges of that
// scenario, in the order DockerRuntime must ask for them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "contract/scripted_answers.hpp"

namespace ls::contract::scripted {

/// Every scenario of `RuntimeContract` and `EngineContract`, after the version negotiation.
const std::map<std::string, std::vector<Exchange>>& scenarios();

}  // namespace ls::contract::scripted
