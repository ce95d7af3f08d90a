// The real driver: a scenario's platform node and device agents on real sockets, in one process.
// The platform listens on 127.0.0.1 behind TLS with a throwaway CA; every agent is a device client
// with its own TLS websocket to it, carrying the same protobuf envelopes as the simulated driver's
// messages. The engine's callbacks are timers of the driver's loop. On the paused clock (the
// default) time moves to the next timer whenever no socket has work, so a scenario of days runs
// in seconds with frames arriving at the time they were sent; on the real clock it runs for as
// long as the scenario says.
//
// The network between a site and the platform is loopback, so frames take no time and links do
// not share bandwidth; loss and partitions are the simulated driver's NetworkConditions, applied
// to each agent's frames in both directions, and a partitioned site cannot open connections or
// get a close across.
#pragma once

#include <cstddef>
#include <memory>

#include "net/driver_clock.h"
#include "scenarios/model/driver.h"

namespace ccsim::net {

// Most agents one real run drives; each costs two sockets and a TLS session in this process.
inline constexpr std::size_t kRealDriverAgentsMax = 2'000;

struct RealDriverOptions {
  ClockMode clock = ClockMode::kPaused;
  bool progress = false;  // a progress line on stderr about once per wall-clock second
};

// The fault kinds the real driver makes (RealDriver::makes), known before one is built.
bool real_driver_makes(scenarios::FaultKind kind);

class RealDriver final : public scenarios::Driver {
 public:
  // `fleet`'s nodes must outlive the driver. Throws std::invalid_argument past
  // kRealDriverAgentsMax agents, std::runtime_error if the sockets or TLS cannot be set up.
  RealDriver(const scenarios::Fleet& fleet, RealDriverOptions options);
  ~RealDriver() override;
  RealDriver(const RealDriver&) = delete;
  RealDriver& operator=(const RealDriver&) = delete;

  void at_site(core::Time at, std::uint32_t site, Callback callback) override;
  void dispatch_platform(core::Time now, core::Outbox& out) override;
  void dispatch_agent(core::Time now, std::uint32_t agent, core::Outbox& out) override;
  void begin_fault(std::uint32_t site, const scenarios::Fault& fault) override;
  void end_fault(std::uint32_t site, const scenarios::Fault& fault) override;
  bool makes(scenarios::FaultKind kind) const override;
  // Loopback has no NAT or firewall to put between devices and the platform.
  bool makes_site_gateways() const override { return false; }
  // One platform server, one endpoint: no regions of its own yet.
  bool makes_regions() const override { return false; }
  void begin_region_fault(std::uint32_t region, const scenarios::Fault& fault) override;
  void end_region_fault(std::uint32_t region, const scenarios::Fault& fault) override;
  void run(core::Time end) override;
  scenarios::NetworkCounters network() const override;
  double uplink_bps(std::uint32_t site) const override;
  core::Duration uplink_latency(std::uint32_t site) const override;
  std::uint64_t upstream_bytes(std::uint32_t site) const override;

  struct Parts;  // what the driver keeps, in its .cpp

 protected:
  void set_platform_callback(core::Time at, Callback callback, scenarios::Phase phase) override;

 private:
  std::unique_ptr<Parts> parts_;
};

}  // namespace ccsim::net
