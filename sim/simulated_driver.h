// The simulated driver: moves a scenario's frames between the platform node and the device
// agents on SimGrid 3.32, and keeps their time.
//
// Topology: one cloud host behind a backbone link, and one host per site behind that site's
// uplink (bandwidth, latency); a site with one camera is a camera behind its own uplink. Each
// message is a SimGrid communication of its frame's size plus protocol overhead, so transfer
// times follow the links and their sharing. NetworkConditions adds loss and partitions. A device's
// connection opens after three round trips (TCP, TLS 1.3, the websocket upgrade) and leaves
// through its site's NAT and firewall when the site has them.
//
// Actors: one cloud actor drives the platform node and the engine's platform callbacks; one actor
// per site drives all of that site's device agents and its callbacks (a sans-IO node needs no
// stack of its own). Each actor keeps one get_async pending on its eager mailbox and waits for "a
// message or the next timer" with Comm::wait_any_for, the shape that kept every response in the
// plain-SimGrid yardstick. Everything runs on one OS thread, one actor at a time.
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
  bool makes(scenarios::FaultKind kind) const override;
  bool makes_site_gateways() const override { return true; }
  void run(core::Time end) override;
  scenarios::NetworkCounters network() const override;

  struct World;  // what the driver keeps, in its .cpp

 protected:
  void set_platform_callback(core::Time at, Callback callback, scenarios::Phase phase) override;

 private:
  std::unique_ptr<World> world_;
};

}  // namespace ccsim::sim
