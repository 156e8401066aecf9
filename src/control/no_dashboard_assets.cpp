// The asset table of a build without the web dashboard (LS_DASHBOARD=OFF, or no Node.js): the
// API works, `/` says the dashboard is not built in.
#include "control/dashboard_assets.hpp"

namespace ls::control {

std::span<const Asset> dashboardAssets() { return {}; }

}  // namespace ls::control
