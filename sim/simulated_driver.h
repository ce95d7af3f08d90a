// The simulated driver: moves a scenario's frames between the platform node and the device
// agents on SimGrid 3.32, and keeps their time.
//
// Topology: one cloud host behind a backbone link, and one host per site behind that site's
// uplink (bandwidth, latency); a site with one camera is a camera behind its own uplink.
//
// Two lanes. Bulk transfers (firmware images) are SimGrid flows over the uplink and the backbone,
// sharing them. Small messages on an established connection skip SimGrid: the driver delivers
// each at the time the network model gives it (sim/paths.h: latency, serialisation at the link's
// share beside the bulk flows of the moment, jitter), from its own event queue (sim/event_queue.h).
// `network: {small_messages: exact}` makes each of them a SimGrid communication instead, for
// comparison. Both lanes see the same faults and the same transport (scenarios/model/
// tcp_transport.h): a connection opens after its handshakes, a lost segment is sent again after
// RFC 6298's timeout and holds those behind it, one lost too often resets the connection, and a
// site's NAT and firewall (sim/site_gateways.h) stand between its devices and the cloud.
//
// One actor runs everything: it takes the earliest event and handles it, and lets SimGrid run up
// to that event's time first whenever SimGrid carries something. Everything runs on one OS
// thread, one event at a time.
//
// SimGrid allows one engine per process: one SimulatedDriver per process. Callers that run
// several simulations (suites, tests, Python) run each in a child process.
#pragma once

#include <memory>

#include "scenarios/model/driver.h"

namespace ccsim::sim {

struct SimulatedDriverOptions {
  bool progress = false;  // a progress line on stderr about once per wall-clock second
};

class SimulatedDriver final : public scenarios::Driver {
 public:
  // `fleet`'s nodes must outlive the driver.
  SimulatedDriver(const scenarios::Fleet& fleet, SimulatedDriverOptions options);
  ~SimulatedDriver() override;
  SimulatedDriver(const SimulatedDriver&) = delete;
  SimulatedDriver& operator=(const SimulatedDriver&) = delete;

  void at_site(core::Time at, std::uint32_t site, Callback callback) override;
  void dispatch_platform(core::Time now, core::Outbox& out) override;
  void dispatch_agent(core::Time now, std::uint32_t agent, core::Outbox& out) override;
  void begin_fault(std::uint32_t site, const scenarios::Fault& fault) override;
  void end_fault(std::uint32_t site, const scenarios::Fault& fault) override;
  void begin_region_fault(std::uint32_t region, const scenarios::Fault& fault) override;
  void end_region_fault(std::uint32_t region, const scenarios::Fault& fault) override;
  bool makes(scenarios::FaultKind kind) const override;
  bool makes_site_gateways() const override { return true; }
  bool makes_regions() const override { return true; }
  void run(core::Time end) override;
  scenarios::NetworkCounters network() const override;
  double uplink_bps(std::uint32_t site) const override;
  core::Duration uplink_latency(std::uint32_t site) const override;
  std::uint64_t upstream_bytes(std::uint32_t site) const override;

  struct World;  // what the driver keeps, in its .cpp

 protected:
  void set_platform_callback(core::Time at, Callback callback, scenarios::Phase phase) override;

 private:
  std::unique_ptr<World> world_;
};

}  // namespace ccsim::sim
