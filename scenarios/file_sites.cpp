// The sites of a scenario file: explicit `sites:`, those of `organizations:`, and the `fleet:`
// shorthand; each site's uplink and device groups, and the hosts that carry Tier-2 cameras.
// Also the `heartbeat:`, `cloud:` and `network:` sections, which are about the network too.
#include <algorithm>
#include <iterator>
#include <map>

#include "scenarios/file_sections.h"

namespace ccsim::scenarios::file {
// `reconnect: {first, cap}`: both from 100ms to 1h, the cap at least the first.
devices::ReconnectBackoff read_reconnect(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"first", "cap"});
  devices::ReconnectBackoff backoff;
  map.with("first", [&](const Field& first) {
    backoff.first =
        read_duration(reader, first, devices::kReconnectBackoffMin, devices::kReconnectBackoffMax);
  });
  backoff.cap = std::max(backoff.cap, backoff.first);
  map.with("cap", [&](const Field& cap) {
    backoff.cap = read_duration(reader, cap, backoff.first, devices::kReconnectBackoffMax,
                                "1h, and at least `first`");
  });
  return backoff;
}

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kDeviceGroupsPerSiteMax = 1'000;
constexpr Duration kLatencyMax = 60s;
constexpr Duration kHeartbeatIntervalMax = 24h;  // the wire carries uint32 milliseconds: 49 days
constexpr std::uint64_t kMissedHeartbeatsMax = 100;
constexpr std::uint64_t kHeartbeatLimitMax = 1'000'000'000;
constexpr std::uint64_t kCamerasPerFleetSiteDefault = 100;
constexpr int kFleetSiteDigitsMin = 4;
constexpr std::uint64_t kHostedDevicesPerHostMax = 256;  // wire::kHostedDevicesMax
constexpr double kCrashesPerDayMax = 1'000;              // as the platform's per-sample limit

Uplink read_uplink(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"bandwidth", "latency", "loss"});
  Uplink uplink;
  map.with("bandwidth", [&](const Field& bandwidth) {
    uplink.bandwidth_bps = read_bandwidth_bps(reader, bandwidth);
  });
  map.with("latency", [&](const Field& latency) {
    uplink.latency = read_duration(reader, latency, Duration::zero(), kLatencyMax);
  });
  map.with("loss", [&](const Field& loss) {
    uplink.loss_fraction = read_fraction(reader, loss);
    if (uplink.loss_fraction >= 1.0) {
      reader.fail(loss, "got " + quote(loss.node.Scalar()) +
                            "; expected a loss below 1 (100%): nothing would get through");
    }
  });
  return uplink;
}

NatBehaviour read_nat_behaviour(const Reader& reader, const Field& field) {
  return static_cast<NatBehaviour>(read_word_index(reader, field, nat_behaviour_words()));
}

// A mapping timeout up to `max`; under `min`, the problem says which RFC forbids it (`why`).
Duration read_mapping_timeout(const Reader& reader, const Field& field, Duration min, Duration max,
                              std::string_view why) {
  const Duration timeout = read_duration(reader, field, Duration::zero(), max);
  if (timeout < min) {
    reader.fail(field,
                "got " + quote(field.node.Scalar()) + "; expected at least " + std::string(why));
  }
  return timeout;
}

// `nat: {mapping, filtering, udp_timeout, tcp_timeout, hairpinning, port_preservation}`, after
// RFC 4787; absent keys take its recommendations (endpoint-independent mapping, a 5-minute UDP
// timeout, hairpinning) with address-dependent filtering.
NatConfig read_nat(const Reader& reader, const Field& field) {
  const MapView map = open_map(
      reader, field,
      {"mapping", "filtering", "udp_timeout", "tcp_timeout", "hairpinning", "port_preservation"});
  NatConfig nat;
  map.with("mapping",
           [&](const Field& mapping) { nat.mapping = read_nat_behaviour(reader, mapping); });
  map.with("filtering",
           [&](const Field& filtering) { nat.filtering = read_nat_behaviour(reader, filtering); });
  map.with("udp_timeout", [&](const Field& timeout) {
    nat.udp_timeout =
        read_mapping_timeout(reader, timeout, kUdpMappingTimeoutMin, kUdpMappingTimeoutMax,
                             "2m: RFC 4787 REQ-5 forbids a UDP mapping timeout under 2 minutes");
  });
  map.with("tcp_timeout", [&](const Field& timeout) {
    nat.tcp_timeout = read_mapping_timeout(
        reader, timeout, kTcpMappingTimeoutMin, kTcpMappingTimeoutMax,
        "2h4m: RFC 5382 REQ-5 forbids a TCP mapping timeout under 2 hours 4 minutes");
  });
  map.with("hairpinning", [&](const Field& on) { nat.hairpinning = read_bool(reader, on); });
  map.with("port_preservation",
           [&](const Field& on) { nat.port_preservation = read_bool(reader, on); });
  return nat;
}

// `firewall: {udp: blocked}` and/or `firewall: {outbound: [tcp/443, udp/3478]}`.
Firewall read_firewall(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"udp", "outbound"});
  Firewall firewall;
  map.with("udp", [&](const Field& udp) {
    firewall.udp_blocked = read_word(reader, udp, {"blocked", "allowed"}) == "blocked";
  });
  map.with("outbound", [&](const Field& outbound) {
    firewall.outbound.emplace();
    for (const Field& item : open_list(reader, outbound, kFirewallRulesMax, "outbound rules")) {
      reader.recover([&] {
        const std::string& text = read_scalar(reader, item, "a rule such as tcp/443 or udp/*");
        const std::optional<PortRule> rule = parse_port_rule(text);
        if (!rule) {
          reader.fail(item, "got " + quote(text) +
                                "; expected tcp/PORT or udp/PORT (PORT 1-65535, or * for any)");
        }
        firewall.outbound->push_back(*rule);
      });
    }
  });
  return firewall;
}

}  // namespace

Cloud read_cloud(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"region", "bandwidth", "latency"});
  Cloud cloud;
  map.with("region", [&](const Field& region) { cloud.region = read_identifier(reader, region); });
  map.with("bandwidth", [&](const Field& bandwidth) {
    cloud.bandwidth_bps = read_bandwidth_bps(reader, bandwidth);
  });
  map.with("latency", [&](const Field& latency) {
    cloud.latency = read_duration(reader, latency, Duration::zero(), kLatencyMax);
  });
  return cloud;
}

NetworkModel read_network(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"small_messages"});
  NetworkModel network;
  map.with("small_messages", [&](const Field& lane) {
    network.small_messages = read_word(reader, lane, {"fast", "exact"}) == "exact"
                                 ? SmallMessages::kExact
                                 : SmallMessages::kFast;
  });
  return network;
}

Heartbeat read_heartbeat(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"interval", "missed_max", "limit"});
  Heartbeat heartbeat;
  map.with("interval", [&](const Field& interval) {
    heartbeat.interval = read_duration(reader, interval, 1ms, kHeartbeatIntervalMax);
    if (heartbeat.interval % 1ms != Duration::zero()) {
      reader.fail(interval, "got " + quote(interval.node.Scalar()) +
                                "; expected whole milliseconds (the wire carries milliseconds)");
    }
  });
  map.with("missed_max", [&](const Field& missed_max) {
    heartbeat.missed_max =
        static_cast<std::uint32_t>(read_whole_number(reader, missed_max, 1, kMissedHeartbeatsMax));
  });
  map.with("limit", [&](const Field& limit) {
    heartbeat.limit = read_whole_number(reader, limit, 0, kHeartbeatLimitMax);
  });
  return heartbeat;
}

namespace {

std::uint32_t tier_of_model(std::string_view model) {
  return model.starts_with("tier2") ? 2 : 1;
}

DeviceGroup::Telemetry read_telemetry(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"load", "sd_card_health", "crashes_per_day"});
  DeviceGroup::Telemetry telemetry;
  map.with("load", [&](const Field& load) { telemetry.load = read_fraction(reader, load); });
  map.with("sd_card_health",
           [&](const Field& health) { telemetry.sd_card_health = read_fraction(reader, health); });
  map.with("crashes_per_day", [&](const Field& crashes) {
    telemetry.crashes_per_day = read_number(reader, crashes);
    if (telemetry.crashes_per_day < 0 || telemetry.crashes_per_day > kCrashesPerDayMax) {
      reader.fail(crashes, "got " + quote(crashes.node.Scalar()) +
                               "; expected a number of crashes a day from 0 to " +
                               std::to_string(static_cast<int>(kCrashesPerDayMax)));
    }
  });
  return telemetry;
}

DeviceGroup read_device_group(const Reader& reader, const Field& field) {
  const MapView map = open_map(
      reader, field, {"kind", "name", "model", "count", "os", "track", "via", "telemetry"});
  DeviceGroup group;
  map.with("kind", [&](const Field& kind) {
    group.kind = read_word(reader, kind, {"camera", "recorder", "edge_host"});
  });
  if (group.kind == "recorder") group.model = "recorder";
  if (group.kind == "edge_host") group.model = "edge-host";
  map.with("name", [&](const Field& name) {
    if (group.kind == "camera") {
      reader.fail(name, "given for a camera; expected names only on recorders and edge hosts");
    }
    group.name = read_identifier(reader, name);
  });
  map.with("model", [&](const Field& model) { group.model = read_identifier(reader, model); });
  map.with("count", [&](const Field& count) {
    group.count =
        static_cast<std::uint32_t>(read_whole_number(reader, count, 1, kDevicesPerScenarioMax));
    if (!group.name.empty() && group.count != 1) {
      reader.fail(count, "got " + std::to_string(group.count) + " for the named host " +
                             quote(group.name) +
                             "; expected 1, so that cameras name one device with via");
    }
  });
  map.with("os", [&](const Field& os) { group.os_version = read_identifier(reader, os); });
  map.with("track", [&](const Field& track) { group.os_track = read_identifier(reader, track); });
  map.with("via", [&](const Field& via) {
    if (group.kind != "camera") {
      reader.fail(via, "given for a " + group.kind + "; expected via only on cameras");
    }
    group.via = read_identifier(reader, via);
  });
  map.with("telemetry",
           [&](const Field& telemetry) { group.telemetry = read_telemetry(reader, telemetry); });
  group.tier = group.kind == "camera" ? tier_of_model(group.model) : 1;
  if (group.tier == 2 && group.via.empty()) {
    reader.fail(map.field(), "a Tier-2 camera (model " + quote(group.model) +
                                 ") has no connection of its own; expected via: the name of a "
                                 "recorder or edge host of the same site");
  }
  return group;
}

// Checks each `via` against the hosts named before it in the site, and how many each carries.
void check_hosts(const Reader& reader, const std::vector<Field>& fields, const Site& site) {
  std::map<std::string, std::uint64_t> carried;  // host name -> devices it carries
  for (std::size_t i = 0; i < site.devices.size(); ++i) {
    const DeviceGroup& group = site.devices[i];
    if (!group.name.empty()) {
      if (!carried.emplace(group.name, 0).second) {
        reader.fail(
            open_map_field(fields[i], "name"),
            quote(group.name) + " names another device of this site; expected a unique name");
      }
    }
    if (group.via.empty()) continue;
    const auto host = carried.find(group.via);
    if (host == carried.end()) {
      reader.fail(open_map_field(fields[i], "via"),
                  quote(group.via) + " is no recorder or edge host named before it at site " +
                      site.name + "; expected the name of one");
    }
    host->second += group.count;
    if (host->second > kHostedDevicesPerHostMax) {
      // Blame `count`, or the group when it has none (one device).
      reader.fail(
          fields[i].node["count"].IsDefined() ? open_map_field(fields[i], "count") : fields[i],
          "brings " + group.via + " to " + std::to_string(host->second) +
              " devices; expected at most " + std::to_string(kHostedDevicesPerHostMax) +
              " on one host");
    }
  }
}

// Adds up devices as they are read, so the one that goes past the limit is the one blamed.
class DeviceTally {
 public:
  void add(const Reader& reader, const Field& field, std::uint64_t count) {
    total_ += count;
    if (total_ > kDevicesPerScenarioMax) {
      reader.fail(field, "brings the scenario to " + std::to_string(total_) +
                             " devices; expected at most " +
                             std::to_string(kDevicesPerScenarioMax) + " in all");
    }
  }
  std::uint64_t total() const { return total_; }

 private:
  std::uint64_t total_ = 0;
};

Site read_site(const Reader& reader, const Field& field, DeviceTally& tally,
               const std::vector<Region>& regions, const Organization* organization = nullptr,
               int organization_index = -1) {
  const MapView map = open_map(
      reader, field, {"name", "region", "time_zone", "uplink", "nat", "firewall", "devices"});
  Site site;
  site.organization = organization_index;
  site.line = reader.line_of(field);
  site.name = read_identifier(reader, map.require("name", kIdentifierExpected));
  if (organization != nullptr) site.region = organization->region;
  map.with("region", [&](const Field& region) { site.region = read_identifier(reader, region); });
  if (const std::optional<Field> region = map.find("region")) {
    check_region(reader, *region, site.region, regions);
  } else {
    check_region(reader, open_map_field(field, "name"), site.region, regions,
                 organization != nullptr ? "its organization's region" : "the default region");
  }
  map.with("time_zone", [&](const Field& zone) { site.time_zone = read_time_zone(reader, zone); });
  map.with("uplink", [&](const Field& uplink) { site.uplink = read_uplink(reader, uplink); });
  map.with("nat", [&](const Field& nat) { site.nat = read_nat(reader, nat); });
  map.with("firewall",
           [&](const Field& firewall) { site.firewall = read_firewall(reader, firewall); });
  const Field devices = map.require("devices", "a list of device groups");
  const std::vector<Field> groups =
      open_list(reader, devices, kDeviceGroupsPerSiteMax, "device groups");
  if (groups.empty()) {
    reader.fail(devices,
                "an empty list; expected at least one device group, such as "
                "{kind: camera, count: 5}");
  }
  std::vector<Field> read;  // the groups read, beside site.devices
  for (const Field& group_field : groups) {
    reader.recover([&] {
      site.devices.push_back(read_device_group(reader, group_field));
      read.push_back(group_field);
      tally.add(reader, group_field, site.devices.back().count);
    });
  }
  check_hosts(reader, read, site);
  return site;
}

std::string fleet_site_name(std::size_t index, std::size_t sites) {
  int digits = 1;
  for (std::size_t last = sites - 1; last >= 10; last /= 10) ++digits;
  std::string number = std::to_string(index);
  const std::size_t width = static_cast<std::size_t>(std::max(digits, kFleetSiteDigitsMin));
  if (number.size() < width) number.insert(0, width - number.size(), '0');
  return "site-" + number;
}

struct Fleet {
  std::vector<Site> sites;
  std::uint64_t cameras = 0;
  Field cameras_field;
};

// The index of the organization `field` names.
int read_organization_index(const Reader& reader, const Field& field,
                            const std::vector<Organization>& organizations) {
  const std::string name = read_identifier(reader, field);
  const auto owner = std::find_if(organizations.begin(), organizations.end(),
                                  [&](const Organization& o) { return o.name == name; });
  if (owner == organizations.end()) {
    std::vector<std::string> known;
    for (const Organization& o : organizations) known.push_back(o.name);
    reader.fail(field, quote(name) + " is not an organization" +
                           (known.empty() ? "; the scenario defines none"
                                          : "; expected one of " + join(known, kNamesListedMax)));
  }
  return static_cast<int>(owner - organizations.begin());
}

// The `fleet:` shorthand: cameras spread evenly over generated sites, the first
// (cameras % sites) sites taking one more.
Fleet read_fleet(const Reader& reader, const Field& field,
                 const std::vector<Organization>& organizations,
                 const std::vector<Region>& regions) {
  const MapView map = open_map(reader, field,
                               {"cameras", "sites", "model", "os", "track", "region", "time_zone",
                                "uplink", "nat", "firewall", "organization", "telemetry"});
  Fleet fleet;
  fleet.cameras_field = map.require("cameras", "a whole number of cameras");
  fleet.cameras = read_whole_number(reader, fleet.cameras_field, 1, kDevicesPerScenarioMax);
  std::uint64_t site_count =
      (fleet.cameras + kCamerasPerFleetSiteDefault - 1) / kCamerasPerFleetSiteDefault;
  map.with("sites", [&](const Field& sites) {
    site_count = read_whole_number(reader, sites, 1, kSitesPerScenarioMax);
    if (site_count > fleet.cameras) {
      reader.fail(sites, "got " + std::to_string(site_count) + " sites for " +
                             std::to_string(fleet.cameras) +
                             " cameras; expected at most one site per camera");
    }
  });
  Site prototype;
  DeviceGroup group;
  map.with("model", [&](const Field& model) { group.model = read_identifier(reader, model); });
  map.with("os", [&](const Field& os) { group.os_version = read_identifier(reader, os); });
  map.with("track", [&](const Field& track) { group.os_track = read_identifier(reader, track); });
  map.with("telemetry",
           [&](const Field& telemetry) { group.telemetry = read_telemetry(reader, telemetry); });
  map.with("organization", [&](const Field& organization) {
    prototype.organization = read_organization_index(reader, organization, organizations);
    prototype.region = organizations[static_cast<std::size_t>(prototype.organization)].region;
  });
  map.with("region",
           [&](const Field& region) { prototype.region = read_identifier(reader, region); });
  if (const std::optional<Field> region = map.find("region")) {
    check_region(reader, *region, prototype.region, regions);
  } else {
    check_region(reader, fleet.cameras_field, prototype.region, regions,
                 prototype.organization >= 0 ? "the fleet's organization's region"
                                             : "the fleet's default region");
  }
  map.with("time_zone",
           [&](const Field& zone) { prototype.time_zone = read_time_zone(reader, zone); });
  map.with("uplink", [&](const Field& uplink) { prototype.uplink = read_uplink(reader, uplink); });
  map.with("nat", [&](const Field& nat) { prototype.nat = read_nat(reader, nat); });
  map.with("firewall",
           [&](const Field& firewall) { prototype.firewall = read_firewall(reader, firewall); });
  prototype.line = reader.line_of(field);
  group.tier = tier_of_model(group.model);
  fleet.sites.reserve(site_count);
  for (std::uint64_t i = 0; i < site_count; ++i) {
    Site site = prototype;
    site.name = fleet_site_name(i, site_count);
    group.count = static_cast<std::uint32_t>(fleet.cameras / site_count +
                                             (i < fleet.cameras % site_count ? 1 : 0));
    site.devices.push_back(group);
    fleet.sites.push_back(std::move(site));
  }
  return fleet;
}

// One site of a `sites:` list (the scenario's, or organization `organization`'s), its name
// unique among those `taken`.
void read_listed_site(const Reader& reader, const Field& item,
                      const std::vector<Organization>& organizations, int organization,
                      DeviceTally& tally, std::map<std::string, std::string>& taken,
                      const std::vector<Region>& regions, std::vector<Site>& sites) {
  Site site =
      read_site(reader, item, tally, regions,
                organization < 0 ? nullptr : &organizations[static_cast<std::size_t>(organization)],
                organization);
  const auto [it, added] = taken.emplace(site.name, item.path);
  if (!added) {
    reader.report(open_map_field(item, "name"), quote(site.name) + " is already taken by " +
                                                    it->second + "; expected a unique site name");
  }
  sites.push_back(std::move(site));
}

}  // namespace

// Explicit sites first, then the organizations', then the fleet's, every name unique.
std::vector<Viewer> read_viewers(const Reader& reader, const Field& field,
                                 const std::vector<Region>& regions) {
  std::vector<Viewer> viewers;
  std::set<std::string> names;
  for (const Field& item : open_list(reader, field, kViewersPerScenarioMax, "viewers")) {
    reader.recover([&] {
      const MapView map =
          open_map(reader, item, {"name", "region", "nat", "firewall", "latency", "keepalive"});
      Viewer viewer;
      viewer.line = reader.line_of(item);
      const Field name = map.require("name", kIdentifierExpected);
      viewer.name = read_identifier(reader, name);
      if (!names.insert(viewer.name).second) {
        reader.fail(name, quote(viewer.name) + " names two viewers; expected unique names");
      }
      map.with("region", [&](const Field& region) {
        viewer.region = read_identifier(reader, region);
        check_region(reader, region, viewer.region, regions);
      });
      map.with("nat", [&](const Field& nat) { viewer.nat = read_nat(reader, nat); });
      map.with("firewall",
               [&](const Field& firewall) { viewer.firewall = read_firewall(reader, firewall); });
      map.with("latency", [&](const Field& latency) {
        viewer.latency = read_duration(reader, latency, Duration::zero(), kViewerLatencyMax);
      });
      map.with("keepalive", [&](const Field& keepalive) {
        viewer.keepalive =
            read_duration(reader, keepalive, kViewerKeepaliveMin, kViewerKeepaliveMax);
      });
      viewers.push_back(std::move(viewer));
    });
  }
  return viewers;
}

std::vector<Site> read_all_sites(const Reader& reader, const MapView& root,
                                 const std::vector<Organization>& organizations,
                                 const std::vector<OrganizationField>& fields,
                                 const std::vector<Region>& regions) {
  const std::optional<Field> fleet_field = root.find("fleet");
  const std::optional<Field> sites_field = root.find("sites");
  Fleet fleet;
  bool whole = true;  // every site and the fleet read: only then is "no devices" news
  if (fleet_field)
    whole =
        reader.recover([&] { fleet = read_fleet(reader, *fleet_field, organizations, regions); });
  std::map<std::string, std::string> taken;  // name -> who took it
  for (const Site& site : fleet.sites) taken.emplace(site.name, "the fleet's generated sites");
  DeviceTally tally;
  std::vector<Site> sites;
  const auto read_list = [&](const Field& list, int organization) {
    const std::vector<Field> items = open_list(reader, list, kSitesPerScenarioMax, "sites");
    if (sites.size() + items.size() + fleet.sites.size() > kSitesPerScenarioMax) {
      reader.fail(list, std::to_string(sites.size() + items.size() + fleet.sites.size()) +
                            " sites in all; expected at most " +
                            std::to_string(kSitesPerScenarioMax));
    }
    for (const Field& item : items) {
      whole = reader.recover([&] {
        read_listed_site(reader, item, organizations, organization, tally, taken, regions, sites);
      }) && whole;
    }
  };
  if (sites_field) whole = reader.recover([&] { read_list(*sites_field, -1); }) && whole;
  for (std::size_t o = 0; o < fields.size(); ++o) {
    if (!fields[o].sites) continue;
    whole = reader.recover([&] { read_list(*fields[o].sites, static_cast<int>(o)); }) && whole;
  }
  if (fleet_field && fleet.cameras > 0) {
    reader.recover([&] { tally.add(reader, fleet.cameras_field, fleet.cameras); });
  }
  if (tally.total() == 0 && whole) {
    const Field blamed = sites_field ? *sites_field : Field{root.field().node, "sites"};
    reader.report(blamed,
                  "no devices; expected a fleet: map or a sites: list with at least one device");
  }
  std::move(fleet.sites.begin(), fleet.sites.end(), std::back_inserter(sites));
  return sites;
}

}  // namespace ccsim::scenarios::file
