// A tenant to try the API with, set up through the commands as a user and a partner would: a
// user who owns an organization with device-management seats and a default managed profile, a
// partner application onboarded there, and an access token it obtained with PKCE holding every
// scope. `ccsim serve --demo` prints the token; the REST fuzzer starts from the same tenant.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/node.h"
#include "platform/command.h"
#include "platform/control_plane.h"
#include "platform/service_result.h"

namespace ccsim::platform {

struct DemoTenant {
  std::string user;
  std::string organization;
  std::string client_id;
  std::string access_token;
};

inline constexpr std::uint32_t kDemoSeats = 100;

// Sets the tenant up through `run` at times from `now` on, a second apart, moving `now`; the
// first command refused ends it with that refusal (an email already taken, say).
Result<DemoTenant> make_demo_tenant(const CommandRunner& run, core::Time& now,
                                    const std::string& email);
// The same on `plane` directly.
Result<DemoTenant> make_demo_tenant(ControlPlane& plane, core::Time& now, const std::string& email);

}  // namespace ccsim::platform
