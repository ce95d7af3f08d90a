#include "net/real_driver.h"

#include <cassert>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/device_client.h"
#include "net/driver_loop.h"
#include "net/platform_server.h"
#include "net/shared_uplink.h"
#include "net/throwaway_ca.h"
#include "scenarios/model/network_conditions.h"
#include "scenarios/model/progress_line.h"
#include "scenarios/model/vocabulary.h"

namespace ccsim::net {
namespace {

using core::Time;

// Where the engine's callbacks come among timers at one time: after the nodes' wake-ups, and
// what observes after what acts.
constexpr std::uint8_t kActOrder = 1;
constexpr std::uint8_t kObserveOrder = 2;
// Handlers run between two looks at the wall clock for the progress line.
constexpr std::uint64_t kProgressCheckHandlers = 4096;

class Link;

}  // namespace

struct RealDriver::Parts {
  scenarios::Fleet fleet;
  RealDriverOptions options;
  DriverLoop loop;  // first: everything below runs on it, and it outlives them
  Credentials credentials;
  PlatformServer server;
  boost::asio::ssl::context client_tls;
  scenarios::NetworkConditions network;
  scenarios::NetworkCounters counters;
  std::vector<std::uint64_t> upstream_bytes;  // by site: the messages' payload bytes
  std::vector<std::unique_ptr<SharedUplink>> uplinks;  // by site
  std::vector<std::unique_ptr<Link>> links;            // by agent
  std::vector<std::unique_ptr<DeviceClient>> clients;  // by agent
  Time end = Time::max();
  bool ran = false;

  Parts(const scenarios::Fleet& f, RealDriverOptions o);
  ~Parts();
  scenarios::ProgressLine progress{"ccsim real"};
};

namespace {

// One agent's side of the network: the site's loss and partitions, applied to every frame, each
// counted and each delivered one traced with what it carries.
class Link final : public AgentLink {
 public:
  Link(RealDriver::Parts& parts, std::uint32_t agent)
      : parts_(parts), agent_(agent), site_(parts.fleet.layout.site_of_agent(agent)) {}

  bool reachable() const override { return parts_.network.reachable(site_); }

  bool pass(std::string_view frame, bool upstream, bool first) override {
    scenarios::NetworkCounters& counters = parts_.counters;
    const Time now = parts_.loop.clock().now();
    if (first) {
      ++counters.messages_sent;
      counters.bytes_sent += frame.size();
      if (upstream) parts_.upstream_bytes[site_] += frame.size();
    }
    const scenarios::Verdict verdict = parts_.network.judge(site_, upstream);
    if (verdict != scenarios::Verdict::kDeliver) {
      ++(verdict == scenarios::Verdict::kLost ? counters.messages_dropped_loss
                                              : counters.messages_dropped_partition);
      parts_.fleet.trace.record(now, core::TraceEvent::kDrop, agent_,
                                static_cast<std::uint64_t>(verdict), upstream);
      return false;
    }
    ++counters.messages_delivered;
    parts_.fleet.trace.record_frame(now, core::TraceEvent::kDeliver, agent_, upstream, frame);
    return true;
  }

  bool pass_reset(bool upstream) override {
    return parts_.network.judge(site_, upstream) == scenarios::Verdict::kDeliver;
  }
  void count_retransmission() override { ++parts_.counters.retransmissions; }
  void start_transfer(Time now, std::uint64_t bytes, bool upstream,
                      std::function<void(Time now)> done) override {
    ++parts_.counters.transfers_started;
    parts_.uplinks[site_]->start(now, bytes, upstream, [this, done = std::move(done)](Time at) {
      ++parts_.counters.transfers_completed;
      done(at);
    });
  }
  void count_reset() override { ++parts_.counters.connections_reset_retransmissions; }

 private:
  RealDriver::Parts& parts_;
  std::uint32_t agent_;
  std::uint32_t site_;
};

}  // namespace

RealDriver::Parts::Parts(const scenarios::Fleet& f, RealDriverOptions o)
    : fleet(f),
      options(o),
      loop(o.clock),
      credentials(make_throwaway_credentials()),
      server(loop, credentials, f.platform),
      client_tls(make_client_tls(credentials.ca_cert_pem)),
      network(f.scenario, f.seed),
      upstream_bytes(f.scenario.sites.size(), 0) {
  if (f.layout.agent_count() > kRealDriverAgentsMax) {
    throw std::invalid_argument("the real driver runs at most " +
                                std::to_string(kRealDriverAgentsMax) + " agents; this fleet has " +
                                std::to_string(f.layout.agent_count()) +
                                " (use --set to make it smaller, or the simulated driver)");
  }
  server.start();
  for (const scenarios::Site& site : f.scenario.sites) {
    uplinks.push_back(std::make_unique<SharedUplink>(
        loop.timers(), site.uplink.bandwidth_bps, site.uplink.latency + f.scenario.cloud.latency));
  }
  for (std::uint32_t agent = 0; agent < f.layout.agent_count(); ++agent) {
    links.push_back(std::make_unique<Link>(*this, agent));
    clients.push_back(std::make_unique<DeviceClient>(loop, client_tls, server.port(),
                                                     f.agents[agent], links.back().get()));
  }
}

RealDriver::Parts::~Parts() = default;

RealDriver::RealDriver(const scenarios::Fleet& fleet, RealDriverOptions options)
    : parts_(std::make_unique<Parts>(fleet, options)) {}

RealDriver::~RealDriver() = default;

void RealDriver::set_platform_callback(Time at, Callback callback, scenarios::Phase phase) {
  if (at >= parts_->end) return;
  parts_->loop.timers().schedule(
      at, phase == scenarios::Phase::kObserve ? kObserveOrder : kActOrder, std::move(callback));
}

void RealDriver::at_site(Time at, std::uint32_t site, Callback callback) {
  (void)site;  // one thread serves every site
  if (at >= parts_->end) return;
  parts_->loop.timers().schedule(at, kActOrder, std::move(callback));
}

void RealDriver::dispatch_platform(Time now, core::Outbox& out) {
  (void)now;  // the server reads the driver's clock, which reads `now` inside a callback
  parts_->server.carry_out(out);
}

void RealDriver::dispatch_agent(Time now, std::uint32_t agent, core::Outbox& out) {
  (void)now;
  parts_->clients.at(agent)->carry_out(out);
}

void RealDriver::begin_fault(std::uint32_t site, const scenarios::Fault& fault) {
  assert(makes(fault.kind));
  if (fault.kind == scenarios::FaultKind::kLossBurst) {
    parts_->network.begin_burst(site, fault.burst);
    return;
  }
  parts_->network.partition(site, fault.direction);
  parts_->uplinks[site]->suspend(parts_->loop.clock().now(), true);
}

void RealDriver::end_fault(std::uint32_t site, const scenarios::Fault& fault) {
  Parts& p = *parts_;
  if (fault.kind == scenarios::FaultKind::kLossBurst) {
    p.network.end_burst(site);
    return;
  }
  p.network.heal(site, fault.direction);
  if (!p.network.reachable(site)) return;
  p.uplinks[site]->suspend(p.loop.clock().now(), false);
  const scenarios::FleetLayout& layout = p.fleet.layout;
  for (std::uint32_t agent = layout.first_agent_of_site[site];
       agent < layout.first_agent_of_site[site + 1]; ++agent) {
    p.clients[agent]->on_link_restored();
  }
}

// Never called: makes() refuses every fault that hits a region, so the engine never schedules one.
void RealDriver::begin_region_fault(std::uint32_t, const scenarios::Fault& fault) {
  throw std::logic_error("the real driver cannot make a " +
                         std::string(scenarios::fault_spec(fault.kind).word) + " fault");
}

void RealDriver::end_region_fault(std::uint32_t region, const scenarios::Fault& fault) {
  begin_region_fault(region, fault);
}

// Partitions and loss are applied to each agent's frames at its end; loopback has no latency or
// bandwidth to change.
bool real_driver_makes(scenarios::FaultKind kind) {
  return kind == scenarios::FaultKind::kPartition || kind == scenarios::FaultKind::kLossBurst ||
         scenarios::made_by_engine(kind);
}

bool RealDriver::makes(scenarios::FaultKind kind) const {
  return real_driver_makes(kind);
}

void RealDriver::run(Time end) {
  Parts& p = *parts_;
  if (p.ran) throw std::logic_error("a real driver runs once");
  p.ran = true;
  p.end = end;
  std::uint64_t checks = 0;
  p.loop.run_until(
      [&p, &checks] {
        if (p.options.progress && ++checks % kProgressCheckHandlers == 0) {
          p.progress.print(p.fleet, p.loop.clock().now(), p.end, false);
        }
        return false;
      },
      end);
  if (p.options.progress) p.progress.print(p.fleet, p.loop.clock().now(), p.end, true);
  // The nodes keep what they knew at the end: nothing they hear while the sockets close counts.
  p.loop.timers().cancel_all();
  for (auto& client : p.clients) client->stop();
  p.server.stop();
  p.loop.drain();
}

scenarios::NetworkCounters RealDriver::network() const {
  return parts_->counters;
}

// Loopback has no throttle or spike: a site's uplink is what its scenario gives it.
double RealDriver::uplink_bps(std::uint32_t site) const {
  return parts_->fleet.scenario.sites[site].uplink.bandwidth_bps;
}

core::Duration RealDriver::uplink_latency(std::uint32_t site) const {
  return parts_->fleet.scenario.sites[site].uplink.latency;
}

std::uint64_t RealDriver::upstream_bytes(std::uint32_t site) const {
  return parts_->upstream_bytes[site];
}

}  // namespace ccsim::net
