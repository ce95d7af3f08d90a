#include "platform/control_plane.h"

#include <cassert>

namespace ccsim::platform {

ControlPlane::ControlPlane(std::uint64_t seed, ControlPlaneLimits limits, RunEpoch epoch)
    : audit_log(limits.audit_log),
      identity_store(limits.identity_store),
      tenancy(audit_log, identity_store, limits.tenancy),
      registry_random(seed, core::kDeviceRegistryStream),
      registry(audit_log, tenancy, registry_random, limits.registry, limits.lockout),
      apps(core::RandomStream(seed, core::kAppAuthorizationStream), limits.apps),
      tasks(audit_log, tenancy, registry_router(registry), limits.tasks),
      rollouts(tasks, audit_log),
      software(epoch),
      insights(audit_log, tenancy, registry) {
  registry.connect_to(tenancy);
  apps.connect_to(tenancy);
  // The platform's own trail (registrations, LAN placements, releases) grows with the fleet;
  // it keeps the newest entries, as many as a trail may hold.
  const auto kept = audit_log.set_retention(
      kRegistryAuditTrail,
      AuditRetention{limits.audit_log.organization_entries_max, kAuditRetentionAgeMax});
  assert(kept.ok());
  (void)kept;
}

}  // namespace ccsim::platform
