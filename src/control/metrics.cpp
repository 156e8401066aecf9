#include "control/metrics.hpp"

#include <fmt/core.h>

namespace ls::control::detail {
namespace {

constexpr lifecycle::ResourceStatus kStatuses[] = {
    lifecycle::ResourceStatus::Pending,    lifecycle::ResourceStatus::Starting,
    lifecycle::ResourceStatus::Running,    lifecycle::ResourceStatus::Completed,
    lifecycle::ResourceStatus::Restarting, lifecycle::ResourceStatus::Exited,
    lifecycle::ResourceStatus::Failed,     lifecycle::ResourceStatus::Stopped,
};

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

std::string number(double v) {
  std::string s = fmt::format("{}", v);
  return s;
}

}  // namespace

std::string escapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string renderMetrics(const lifecycle::StackView& stack,
                          const std::vector<lifecycle::ResourceView>& views,
                          const std::map<std::string, runtime::StatsSample>& samples,
                          const std::string& version) {
  std::string out;
  family(out, "lightshuttle_resources", "gauge", "Resources of the stack by status.");
  for (lifecycle::ResourceStatus s : kStatuses) {
    std::size_t n = 0;
    for (const auto& v : views) {
      n += v.status == s ? 1 : 0;
    }
    out += fmt::format("lightshuttle_resources{{status=\"{}\"}} {}\n", lifecycle::statusName(s), n);
  }
  family(out, "lightshuttle_resource_up", "gauge",
         "1 when the resource is running and ready, else 0.");
  for (const auto& v : views) {
    const bool up =
        v.status == lifecycle::ResourceStatus::Running && v.health != lifecycle::Health::Unhealthy;
    out += fmt::format("lightshuttle_resource_up{{resource=\"{}\"}} {}\n", escapeLabel(v.name),
                       up ? 1 : 0);
  }
  family(out, "lightshuttle_resource_restarts_total", "counter",
         "Restarts of the resource since the stack started.");
  for (const auto& v : views) {
    out += fmt::format("lightshuttle_resource_restarts_total{{resource=\"{}\"}} {}\n",
                       escapeLabel(v.name), v.restarts);
  }
  family(out, "lightshuttle_resource_time_to_ready_seconds", "gauge",
         "From the last launch of the resource to ready.");
  for (const auto& v : views) {
    if (v.timeToReady) {
      out += fmt::format("lightshuttle_resource_time_to_ready_seconds{{resource=\"{}\"}} {}\n",
                         escapeLabel(v.name),
                         number(std::chrono::duration<double>(*v.timeToReady).count()));
    }
  }
  family(out, "lightshuttle_stack_boot_duration_seconds", "gauge",
         "From the start of the boot to the stack ready.");
  if (stack.startedAt && stack.readyAt) {
    out += fmt::format(
        "lightshuttle_stack_boot_duration_seconds {}\n",
        number(std::chrono::duration<double>(*stack.readyAt - *stack.startedAt).count()));
  }
  family(out, "lightshuttle_container_cpu_seconds_total", "counter",
         "CPU time used by the resource's container.");
  for (const auto& v : views) {
    if (auto it = samples.find(v.name); it != samples.end()) {
      out += fmt::format("lightshuttle_container_cpu_seconds_total{{resource=\"{}\"}} {}\n",
                         escapeLabel(v.name),
                         number(static_cast<double>(it->second.cpuTotalNs) / 1e9));
    }
  }
  family(out, "lightshuttle_container_memory_bytes", "gauge",
         "Memory used by the resource's container.");
  for (const auto& v : views) {
    if (auto it = samples.find(v.name); it != samples.end()) {
      out += fmt::format("lightshuttle_container_memory_bytes{{resource=\"{}\"}} {}\n",
                         escapeLabel(v.name), it->second.memoryUsedBytes);
    }
  }
  family(out, "lightshuttle_build_info", "gauge", "The version of the supervisor.");
  out += fmt::format("lightshuttle_build_info{{version=\"{}\"}} 1\n", escapeLabel(version));
  return out;
}

}  // namespace ls::control::detail
