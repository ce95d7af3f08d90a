// The platform's control plane in one object: the services every command goes through, wired
// together as the platform runs them. The audit log and identity store come first because the
// others write to them; the device registry is connected to tenancy so that deleting an
// organization releases its devices, and application authorization so that revoking a role,
// removing a member or deleting an organization revokes the application tokens it backed. The Task
// Manager routes tasks through the registry, and rollouts run on the Task Manager. Everything
// random is drawn from streams of the run's seed.
#pragma once

#include <cstdint>

#include "core/random_stream.h"
#include "platform/app_authorization.h"
#include "platform/audit_log.h"
#include "platform/device_registry.h"
#include "platform/identity_store.h"
#include "platform/insights.h"
#include "platform/rollout_manager.h"
#include "platform/software_updates.h"
#include "platform/task_manager.h"
#include "platform/tenancy.h"
#include "platform/update_window.h"

namespace ccsim::platform {

struct ControlPlaneLimits {
  AuditLogLimits audit_log;
  IdentityStoreLimits identity_store;
  TenancyLimits tenancy;
  DeviceRegistryLimits registry;
  ClaimLockoutPolicy lockout;
  AppAuthorizationPolicy apps;
  TaskManagerLimits tasks;
};

// Monday 5 January 2026, 00:00 UTC: runs start there unless told otherwise.
inline constexpr RunEpoch kDefaultRunEpoch{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}};

struct ControlPlane {
  // `epoch` is the UTC instant of the run's Time 0, against which update windows are read.
  explicit ControlPlane(std::uint64_t seed, ControlPlaneLimits limits = {},
                        RunEpoch epoch = kDefaultRunEpoch);
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  AuditLog audit_log;
  IdentityStore identity_store;
  Tenancy tenancy;
  core::RandomStream registry_random;  // before the registry, which holds a reference to it
  DeviceRegistry registry;
  AppAuthorization apps;
  TaskManager tasks;  // routes through the registry
  RolloutManager rollouts;
  SoftwareUpdates software;  // the release catalog and the update policies
  Insights insights;
};

}  // namespace ccsim::platform
