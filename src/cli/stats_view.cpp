#include "cli/stats_view.hpp"

#include <fmt/core.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "lightshuttle/control/codec.hpp"

namespace ls::cli {
namespace {

/// printf's %.<precision>g of `value` scaled down by `base` until below it, with the unit.
template <std::size_t N>
std::string scaled(std::uint64_t bytes, double base, int precision,
                   const std::array<const char*, N>& units) {
  double v = static_cast<double>(bytes);
  std::size_t i = 0;
  while (v >= base && i + 1 < units.size()) {
    v /= base;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g%s", precision, v, units[i]);
  return buf;
}

}  // namespace

double memoryPercent(const runtime::StatsSample& s) noexcept {
  if (s.memoryLimitBytes == 0) {
    return 0.0;
  }
  return static_cast<double>(s.memoryUsedBytes) / static_cast<double>(s.memoryLimitBytes) * 100.0;
}

std::string binaryBytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 7> kUnits{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  return scaled(bytes, 1024.0, 4, kUnits);
}

std::string decimalBytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 7> kUnits{"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  return scaled(bytes, 1000.0, 3, kUnits);
}

std::vector<std::string> statsHeader() {
  return {"NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"};
}

std::vector<std::string> statsRow(const std::string& name,
                                  const std::optional<runtime::StatsSample>& previous,
                                  const runtime::StatsSample& current) {
  const std::string cpu =
      previous ? fmt::format("{:.2f}%", runtime::cpuPercent(*previous, current)) : "--";
  const std::string limit =
      current.memoryLimitBytes == 0 ? "--" : binaryBytes(current.memoryLimitBytes);
  return {name,
          cpu,
          binaryBytes(current.memoryUsedBytes) + " / " + limit,
          fmt::format("{:.2f}%", memoryPercent(current)),
          decimalBytes(current.networkRxBytes) + " / " + decimalBytes(current.networkTxBytes),
          decimalBytes(current.blockReadBytes) + " / " + decimalBytes(current.blockWriteBytes),
          std::to_string(current.pidsCurrent)};
}

std::string statsJsonLine(const std::string& resource, const std::string& container,
                          const runtime::StatsSample& previous,
                          const runtime::StatsSample& current) {
  boost::json::object o;
  o["resource"] = resource;
  o["container"] = container;
  o["ts"] = control::formatTime(current.timestamp);
  o["cpu_percent"] = runtime::cpuPercent(previous, current);
  o["memory_bytes"] = current.memoryUsedBytes;
  o["memory_limit_bytes"] = current.memoryLimitBytes;
  o["memory_percent"] = memoryPercent(current);
  o["net_rx_bytes"] = current.networkRxBytes;
  o["net_tx_bytes"] = current.networkTxBytes;
  o["block_read_bytes"] = current.blockReadBytes;
  o["block_write_bytes"] = current.blockWriteBytes;
  o["pids"] = current.pidsCurrent;
  return boost::json::serialize(o);
}

}  // namespace ls::cli
