#include "platform/control_plane.h"

namespace ccsim::platform {

ControlPlane::ControlPlane(std::uint64_t seed, ControlPlaneLimits limits)
    : audit_log(limits.audit_log),
      identity_store(limits.identity_store),
      tenancy(audit_log, identity_store, limits.tenancy),
      registry_random(seed, core::kDeviceRegistryStream),
      registry(audit_log, tenancy, registry_random, limits.registry, limits.lockout),
      apps(core::RandomStream(seed, core::kAppAuthorizationStream), limits.apps) {
  registry.connect_to(tenancy);
}

}  // namespace ccsim::platform
