// The platform's control plane in one object: the services every command goes through, wired
// together as the platform runs them. The audit log and identity store come first because the
// others write to them; the device registry is connected to tenancy so that deleting an
// organization releases its devices. Everything random is drawn from streams of the run's seed.
#pragma once

#include <cstdint>

#include "core/random_stream.h"
#include "platform/app_authorization.h"
#include "platform/audit_log.h"
#include "platform/device_registry.h"
#include "platform/identity_store.h"
#include "platform/tenancy.h"

namespace ccsim::platform {

struct ControlPlaneLimits {
  AuditLogLimits audit_log;
  IdentityStoreLimits identity_store;
  TenancyLimits tenancy;
  DeviceRegistryLimits registry;
  ClaimLockoutPolicy lockout;
  AppAuthorizationPolicy apps;
};

struct ControlPlane {
  explicit ControlPlane(std::uint64_t seed, ControlPlaneLimits limits = {});
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  AuditLog audit_log;
  IdentityStore identity_store;
  Tenancy tenancy;
  core::RandomStream registry_random;  // before the registry, which holds a reference to it
  DeviceRegistry registry;
  AppAuthorization apps;
};

}  // namespace ccsim::platform
