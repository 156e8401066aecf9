// What `lightshuttle stats` shows, as pure functions (unit-tested): docker stats' columns and
// units, and the JSON line of one sample. CPU % is runtime::cpuPercent (Δcontainer / Δsystem ×
// online CPUs × 100, docker's formula).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lightshuttle/runtime/operations.hpp"

namespace ls::cli {

/// Memory used in percent of the limit; 0 without a limit.
double memoryPercent(const runtime::StatsSample& s) noexcept;

/// Binary units with four significant digits, as docker stats prints memory: "512B", "1.5MiB",
/// "1.953GiB".
std::string binaryBytes(std::uint64_t bytes);
/// Decimal units with three significant digits, as docker stats prints I/O: "0B", "1.2kB",
/// "35.4MB".
std::string decimalBytes(std::uint64_t bytes);

/// NAME, CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS.
std::vector<std::string> statsHeader();
/// The row of one container; CPU shows "--" until there is a previous sample to compare with.
std::vector<std::string> statsRow(const std::string& name,
                                  const std::optional<runtime::StatsSample>& previous,
                                  const runtime::StatsSample& current);

/// One JSON object (no newline): resource, container, ts, cpu_percent, memory_bytes,
/// memory_limit_bytes, memory_percent, net_rx_bytes, net_tx_bytes, block_read_bytes,
/// block_write_bytes, pids; the byte counts as numbers.
std::string statsJsonLine(const std::string& resource, const std::string& container,
                          const runtime::StatsSample& previous,
                          const runtime::StatsSample& current);

}  // namespace ls::cli
