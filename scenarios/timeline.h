// The timeline, played on a driver: the nodes start at time zero, users act through the
// platform's commands (claims, task series, rollouts, consents, ...), things happen at devices
// (an app installed, a host restarted), and faults change the network. Each entry becomes a
// driver callback at its time, on the platform's side or at the sites of the devices it names;
// what the nodes answer, the driver carries out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "scenarios/deployment.h"
#include "scenarios/live_sessions.h"
#include "scenarios/model/driver.h"

namespace ccsim::scenarios {

class Timeline {
 public:
  // Sets every callback of the scenario's start and timeline on `driver`, which has not run yet.
  // `deployment` and `driver` must outlive the timeline, and the timeline the run.
  Timeline(Deployment& deployment, Driver& driver);
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

 private:
  void schedule_start();
  void refuse_gateways_the_driver_cannot_make() const;
  void schedule_fault(const Fault& fault);
  // A throttle began or ended at `sites`: the meter and the live streams follow the uplinks.
  void uplinks_changed(core::Time now, const std::vector<std::uint32_t>& sites);
  void schedule_region_fault(const Fault& fault);
  void schedule_power_loss(const Fault& fault);
  std::vector<std::uint32_t> agents_selected(const Fault& fault) const;
  void schedule_device_crash(const Fault& fault);
  void schedule_clock_skew(const Fault& fault);
  void schedule_task_manager_restart(const Fault& fault);
  void schedule_turn_server_down(const Fault& fault);
  void schedule_action(std::uint32_t index);

  // What users do through the platform's API, on the platform's side.
  void run_platform_action(core::Time now, std::uint32_t index);
  void onboard_due(core::Time now, std::uint32_t index);
  void onboard(core::Time now, const Action& action, std::uint32_t device);
  void request_live_video(core::Time now, const Action& action, std::uint32_t index);
  void set_diagnostics(core::Time now, const Action& action, std::uint32_t index);
  void start_work(core::Time now, const Action& action, int organization,
                  std::vector<std::string> serials);
  // The selected devices of action `index`, by owning organization, as serials in device order.
  std::map<int, std::vector<std::string>> devices_by_organization(std::uint32_t index) const;

  // What happens at the devices of one site.
  void run_device_action(core::Time now, std::uint32_t index, std::uint32_t site);
  bool act_on_device(core::Time now, const Action& action, std::uint32_t device, core::Outbox& out);

  const std::string& acting_user(const Action& action, int organization) const;

  Deployment& deployment_;
  Driver& driver_;
  LiveSessions live_;
  core::RandomStream timeline_random_;                // power losses' boot times
  std::vector<std::vector<std::uint32_t>> selected_;  // by action: the devices it acts on
  std::vector<std::size_t> claims_done_;              // by action: claims made so far
  // One outbox per side: a driver may run another side while it carries one out (a SimGrid actor
  // yields inside a send), so two sides never share one.
  core::Outbox platform_out_;
  std::vector<core::Outbox> site_outs_;  // by site
};

}  // namespace ccsim::scenarios
