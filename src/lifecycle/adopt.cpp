// Adoption: `up` on a project whose containers still run from a supervisor that died (kill -9,
// OOM) supervises those whose config-hash label matches the plan's spec as they are, and boots
// only the others (a stale container of a differing spec is replaced by the launch).
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

asio::awaitable<std::vector<bool>> LifecycleManager::Impl::adoptRunning() {
  std::vector<bool> adopted(res.size(), false);
  Result<std::vector<runtime::ManagedContainer>> listed = co_await rt.listManaged(plan.project());
  if (!listed) {
    co_return adopted;  // nothing to adopt from what we cannot see: the boot recreates
  }
  using CS = runtime::ContainerState;
  for (std::size_t i = 0; i < res.size(); ++i) {
    const PlanNode& n = node(i);
    Resource& r = res[i];
    if (!r.selected || plan.isOneShot(n.name)) {
      continue;
    }
    for (const runtime::ManagedContainer& c : *listed) {
      if (c.name != n.spec.name) {
        continue;
      }
      const bool alive =
          !c.status.paused && (c.status.state == CS::Running || c.status.state == CS::Healthy ||
                               c.status.state == CS::Unhealthy);
      // A healthcheck not yet passed (Running) is not ready: the launch path recreates it.
      const bool ready = !n.spec.healthcheck || c.status.state != CS::Running;
      if (!alive || !ready || c.configHash != runtime::configHash(n.spec)) {
        break;
      }
      r.id = c.id;
      r.ports = c.status.ports;
      r.status = ResourceStatus::Running;
      r.health = !n.spec.healthcheck               ? Health::None
                 : c.status.state == CS::Unhealthy ? Health::Unhealthy
                                                   : Health::Healthy;
      r.attempted = true;
      r.supervised = true;
      r.startedAt = c.status.startedAt.value_or(clock.system());
      r.startedSteady = clock.steady();
      r.readyAt = clock.system();
      adopted[i] = true;
      emit(Kind::ResourceAdopted, i,
           "adopted its running container (same config hash; not recreated)");
      break;
    }
  }
  changed.notifyAll();
  co_return adopted;
}

}  // namespace ls::lifecycle
