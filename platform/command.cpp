#include "platform/command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <functional>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "core/json_text.h"

namespace ccsim::platform {
namespace {

using Json = nlohmann::json;
using Out = nlohmann::ordered_json;  // replies keep "ok" first

ServiceError invalid(std::string_view field, std::string_view what) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": " + std::string(what));
}

// A name from the request, fit to quote in a message: cut short, anything unusual replaced.
std::string shown(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kCommandFieldQuoteBytesMax)) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    out += plain ? c : '?';
  }
  if (text.size() > kCommandFieldQuoteBytesMax) out += "...";
  return out;
}

// Parses the request, refusing a key repeated within one object (core/json_text.h).
Result<Json> parse_request(std::string_view text) {
  core::StrictJson parsed = core::parse_json_strict(text);
  if (!parsed.error.empty()) return invalid("request", parsed.error);
  if (parsed.repeated_key) {
    return invalid("request", "field '" + shown(*parsed.repeated_key) + "' repeated in one object");
  }
  return std::move(parsed.value);
}

// Reads the fields of one JSON object by name, type-checked. The first error is kept in a slot
// shared with the readers of nested objects, and later reads then return defaults, so a decoder
// reads straight through and looks at the slot once.
class FieldReader {
 public:
  // `object` is an object and outlives the reader; `path` names it in messages ("" at the top).
  FieldReader(const Json& object, std::string path, std::optional<ServiceError>& error)
      : object_(object), path_(std::move(path)), error_(error) {
    assert(object_.is_object());
  }

  bool has(std::string_view key) const { return object_.contains(std::string(key)); }

  std::string string(std::string_view key) {
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return {};
    if (!value->is_string()) {
      fail(key, "expected a string");
      return {};
    }
    return value->get<std::string>();
  }

  std::optional<std::string> optional_string(std::string_view key) {
    if (!has(key)) return std::nullopt;
    return string(key);
  }

  // A non-negative integer that fits 32 bits.
  std::uint32_t uint32(std::string_view key) {
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      fail(key, "expected an integer");
      return 0;
    }
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint32_t>::max();
    if (!value->is_number_unsigned() || value->get<std::uint64_t>() > kMax) {
      fail(key, "out of range 0.." + std::to_string(kMax));
      return 0;
    }
    return static_cast<std::uint32_t>(value->get<std::uint64_t>());
  }

  std::optional<std::uint32_t> optional_uint32(std::string_view key) {
    if (!has(key)) return std::nullopt;
    return uint32(key);
  }

  Role role(std::string_view key) {
    const std::string name = string(key);
    if (error_) return Role::kViewer;
    auto role = parse_role(name);
    if (!role.ok()) {
      fail(key, "expected owner, administrator, operator or viewer");
      return Role{};
    }
    return role.value();
  }

  DeviceMode mode(std::string_view key) {
    const std::string name = string(key);
    if (error_) return DeviceMode::kStandalone;
    for (const DeviceMode mode :
         {DeviceMode::kStandalone, DeviceMode::kConnected, DeviceMode::kManaged}) {
      if (device_mode_name(mode) == name) return mode;
    }
    fail(key, "expected standalone, connected or managed");
    return DeviceMode::kStandalone;
  }

  // An optional array of distinct strings; empty when absent.
  std::set<std::string> string_set(std::string_view key) {
    std::set<std::string> out;
    if (!has(key)) return out;
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return out;
    if (!value->is_array()) {
      fail(key, "expected an array of strings");
      return out;
    }
    for (std::size_t index = 0; index < value->size(); ++index) {
      const Json& item = (*value)[index];
      const std::string at = std::string(key) + "[" + std::to_string(index) + "]";
      if (!item.is_string()) {
        fail(at, "expected a string");
        return out;
      }
      if (!out.insert(item.get<std::string>()).second) {
        fail(at, "repeated");
        return out;
      }
    }
    return out;
  }

  // A reader of the object at `key`; an empty one (its reads failing) when it is missing.
  FieldReader object(std::string_view key) {
    static const Json kEmpty = Json::object();
    const Json* value = find(key, /*required=*/true);
    if (value != nullptr && !value->is_object()) fail(key, "expected an object");
    const bool usable = value != nullptr && value->is_object();
    return FieldReader(usable ? *value : kEmpty, path_of(key), error_);
  }

  // Refuses the first field, in name order, that no read asked for.
  void refuse_unknown() {
    for (const auto& [key, value] : object_.items()) {
      if (!read_.contains(key)) {
        fail(shown(key), "unknown field");
        return;
      }
    }
  }

 private:
  const Json* find(std::string_view key, bool required) {
    if (error_) return nullptr;
    read_.emplace(key);
    const auto it = object_.find(std::string(key));
    if (it != object_.end()) return &*it;
    if (required) fail(key, "missing");
    return nullptr;
  }

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  void fail(std::string_view key, std::string_view what) {
    if (!error_) error_ = invalid(path_of(key), what);
  }

  const Json& object_;
  std::string path_;
  std::optional<ServiceError>& error_;
  std::set<std::string, std::less<>> read_;
};

// ---------------------------------------------------------------------------------------------
// Decoders: one per command, reading its params in the order a message should name them.

CommandParams decode_register_user(FieldReader& p) {
  return RegisterUser{p.string("email"), p.string("display_name")};
}
CommandParams decode_create_organization(FieldReader& p) {
  return CreateOrganization{p.string("name"), p.string("region")};
}
CommandParams decode_invite(FieldReader& p) {
  return Invite{p.string("organization"), p.string("email"), p.role("role"),
                p.optional_string("scope")};
}
CommandParams decode_accept_invitation(FieldReader& p) {
  return AcceptInvitation{p.string("invitation")};
}
CommandParams decode_assign_role(FieldReader& p) {
  return AssignRole{p.string("organization"), p.string("member"), p.role("role"),
                    p.optional_string("scope")};
}
CommandParams decode_revoke_role(FieldReader& p) {
  return RevokeRole{p.string("organization"), p.string("member"), p.role("role"),
                    p.optional_string("scope")};
}
CommandParams decode_create_resource_group(FieldReader& p) {
  return CreateResourceGroup{p.string("organization"), p.string("name")};
}
CommandParams decode_set_license(FieldReader& p) {
  return SetLicense{p.string("organization"), p.string("service"), p.uint32("seats")};
}
CommandParams decode_delete_organization(FieldReader& p) {
  return DeleteOrganization{p.string("organization")};
}
CommandParams decode_define_profile(FieldReader& p) {
  DefineProfile command;
  command.organization = p.string("organization");
  FieldReader profile = p.object("profile");
  command.profile =
      DeviceProfile{profile.string("name"), profile.mode("mode"), profile.string("os_track"),
                    profile.string_set("allowed_apps"), profile.string_set("capabilities")};
  profile.refuse_unknown();
  return command;
}
CommandParams decode_set_default_profile(FieldReader& p) {
  return SetDefaultProfile{p.string("organization"), p.string("profile")};
}
CommandParams decode_claim_device(FieldReader& p) {
  return ClaimDevice{p.string("organization"), p.string("serial"), p.string("oak"),
                     p.optional_string("profile"), p.optional_string("resource_group")};
}
CommandParams decode_claim_device_via_host(FieldReader& p) {
  return ClaimDeviceViaHost{p.string("organization"),     p.string("host"),
                            p.string("serial"),           p.string("oak"),
                            p.optional_string("profile"), p.optional_string("resource_group")};
}
CommandParams decode_assign_resource_group(FieldReader& p) {
  return AssignResourceGroup{p.string("organization"), p.string("serial"),
                             p.optional_string("resource_group")};
}
CommandParams decode_request_capability(FieldReader& p) {
  return RequestCapability{p.string("organization"), p.string("serial"), p.string("capability")};
}
CommandParams decode_get_device(FieldReader& p) {
  return GetDevice{p.string("serial")};
}
CommandParams decode_list_devices(FieldReader& p) {
  return ListDevices{p.string("organization"), p.optional_uint32("limit"),
                     p.optional_string("after")};
}
CommandParams decode_search_audit(FieldReader& p) {
  SearchAudit command;
  AuditQuery& query = command.query;
  query.organization = p.string("organization");
  query.topic = p.optional_string("topic").value_or("");
  query.device = p.optional_string("device").value_or("");
  query.actor = p.optional_string("actor").value_or("");
  query.limit = p.optional_uint32("limit").value_or(kAuditPageEntriesDefault);
  query.cursor = p.optional_string("cursor").value_or("");
  return command;
}

struct CommandEntry {
  std::string_view name;
  bool takes_actor;
  CommandParams (*decode)(FieldReader& params);
};

// In CommandParams' order: an entry's index is its alternative's.
constexpr std::array<CommandEntry, std::variant_size_v<CommandParams>> kCommands = {{
    {"register_user", false, decode_register_user},
    {"create_organization", true, decode_create_organization},
    {"invite", true, decode_invite},
    {"accept_invitation", true, decode_accept_invitation},
    {"assign_role", true, decode_assign_role},
    {"revoke_role", true, decode_revoke_role},
    {"create_resource_group", true, decode_create_resource_group},
    {"set_license", true, decode_set_license},
    {"delete_organization", true, decode_delete_organization},
    {"define_profile", true, decode_define_profile},
    {"set_default_profile", true, decode_set_default_profile},
    {"claim_device", true, decode_claim_device},
    {"claim_device_via_host", true, decode_claim_device_via_host},
    {"assign_resource_group", true, decode_assign_resource_group},
    {"request_capability", true, decode_request_capability},
    {"get_device", true, decode_get_device},
    {"list_devices", true, decode_list_devices},
    {"search_audit", true, decode_search_audit},
}};

static_assert(std::ranges::all_of(kCommands,
                                  [](const CommandEntry& entry) {
                                    return !entry.name.empty() && entry.decode != nullptr;
                                  }),
              "one entry per CommandParams alternative");

const CommandEntry* find_command(std::string_view name) {
  for (const CommandEntry& entry : kCommands) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

ServiceError unknown_command(std::string_view name) {
  std::string known;
  for (const CommandEntry& entry : kCommands) {
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  return invalid("command", "unknown command '" + shown(name) + "' (known: " + known + ")");
}

Result<Command> decode_request(const Json& request) {
  if (!request.is_object()) return invalid("request", "expected a JSON object");
  std::optional<ServiceError> failure;
  FieldReader top(request, "", failure);
  const std::string name = top.string("command");
  if (failure) return *failure;
  const CommandEntry* entry = find_command(name);
  if (entry == nullptr) return unknown_command(name);
  Command command;
  if (entry->takes_actor) {
    command.actor = top.string("actor");
  } else if (top.has("actor")) {
    return invalid("actor", std::string(entry->name) + " takes no actor");
  }
  FieldReader params = top.object("params");
  top.refuse_unknown();
  command.params = entry->decode(params);
  params.refuse_unknown();
  if (failure) return *failure;
  assert(command_name(command.params) == entry->name);
  return command;
}

// ---------------------------------------------------------------------------------------------
// Running: one overload per command, each calling its service and shaping the result.

struct Context {
  ControlPlane& plane;
  core::Time now;
  const std::string& actor;
};

std::string_view device_kind_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kCamera:
      return "camera";
    case DeviceKind::kRecorder:
      return "recorder";
    case DeviceKind::kEdgeHost:
      return "edge_host";
    case DeviceKind::kSpeaker:
      return "speaker";
    case DeviceKind::kDoorController:
      return "door_controller";
  }
  return "unknown";
}

Out device_json(const DeviceRecord& record) {
  const DeviceFacts& facts = record.facts;
  const DeviceState& state = record.state;
  return Out{{"serial", facts.serial},
             {"model", facts.model},
             {"kind", std::string(device_kind_name(facts.kind))},
             {"tier", static_cast<int>(facts.tier)},
             {"status", std::string(onboarding_status_name(state.status))},
             {"failure_reason", state.failure_reason},
             {"organization", state.organization},
             {"resource_group", state.resource_group},
             {"profile", state.profile},
             {"host", state.host},
             {"mode", std::string(device_mode_name(state.mode))},
             {"os_version", state.os_version},
             {"os_track", state.os_track},
             {"connection", std::string(connection_status_name(state.connection))}};
}

Out audit_entry_json(const AuditEntry& entry) {
  return Out{{"sequence", entry.sequence},
             {"at_us", entry.at.count()},
             {"organization", entry.organization},
             {"actor", entry.actor},
             {"topic", entry.topic},
             {"device", entry.device},
             {"detail", entry.detail},
             {"hash", entry.hash}};
}

// An empty result for a command that returns nothing.
Result<Out> nothing(const Result<Done>& done) {
  if (!done.ok()) return done.error();
  return Out::object();
}

// {"<key>": id} for a command that returns an identifier.
Result<Out> id(std::string_view key, const Result<std::string>& made) {
  if (!made.ok()) return made.error();
  return Out{{std::string(key), made.value()}};
}

Result<Out> device_result(const Result<DeviceRecord>& record) {
  if (!record.ok()) return record.error();
  return Out{{"device", device_json(record.value())}};
}

std::optional<std::string_view> view(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return *text;
}

Result<Out> run(const Context& c, const RegisterUser& p) {
  return id("user", c.plane.identity_store.register_user(p.email, p.display_name));
}
Result<Out> run(const Context& c, const CreateOrganization& p) {
  return id("organization", c.plane.tenancy.create_organization(c.now, c.actor, p.name, p.region));
}
Result<Out> run(const Context& c, const Invite& p) {
  return id("invitation",
            c.plane.tenancy.invite(c.now, c.actor, p.organization, p.email, p.role, view(p.scope)));
}
Result<Out> run(const Context& c, const AcceptInvitation& p) {
  return nothing(c.plane.tenancy.accept_invitation(c.now, c.actor, p.invitation));
}
Result<Out> run(const Context& c, const AssignRole& p) {
  return nothing(
      c.plane.tenancy.assign_role(c.now, c.actor, p.organization, p.member, p.role, view(p.scope)));
}
Result<Out> run(const Context& c, const RevokeRole& p) {
  return nothing(
      c.plane.tenancy.revoke_role(c.now, c.actor, p.organization, p.member, p.role, view(p.scope)));
}
Result<Out> run(const Context& c, const CreateResourceGroup& p) {
  return id("resource_group",
            c.plane.tenancy.create_resource_group(c.now, c.actor, p.organization, p.name));
}
Result<Out> run(const Context& c, const SetLicense& p) {
  return nothing(c.plane.tenancy.set_license(c.now, c.actor, p.organization, p.service, p.seats));
}
Result<Out> run(const Context& c, const DeleteOrganization& p) {
  auto released = c.plane.tenancy.delete_organization(c.now, c.actor, p.organization);
  if (!released.ok()) return released.error();
  return Out{{"released_devices", released.value()}};
}
Result<Out> run(const Context& c, const DefineProfile& p) {
  return nothing(c.plane.registry.define_profile(c.now, c.actor, p.organization, p.profile));
}
Result<Out> run(const Context& c, const SetDefaultProfile& p) {
  return nothing(c.plane.registry.set_default_profile(c.now, c.actor, p.organization, p.profile));
}
Result<Out> run(const Context& c, const ClaimDevice& p) {
  return device_result(c.plane.registry.claim(c.now, c.actor, p.organization, p.serial, p.oak,
                                              view(p.profile), view(p.resource_group)));
}
Result<Out> run(const Context& c, const ClaimDeviceViaHost& p) {
  return device_result(c.plane.registry.claim_via_host(c.now, c.actor, p.organization, p.host,
                                                       p.serial, p.oak, view(p.profile),
                                                       view(p.resource_group)));
}
Result<Out> run(const Context& c, const AssignResourceGroup& p) {
  return device_result(c.plane.registry.assign_resource_group(c.now, c.actor, p.organization,
                                                              p.serial, view(p.resource_group)));
}
Result<Out> run(const Context& c, const RequestCapability& p) {
  return nothing(
      c.plane.registry.request_capability(c.actor, p.organization, p.serial, p.capability));
}

Result<Out> run(const Context& c, const GetDevice& p) {
  if (!c.plane.identity_store.contains(c.actor)) {
    return error(ErrorCode::kUnauthenticated, "actor: unknown user");
  }
  auto found = c.plane.registry.device(p.serial);
  if (!found.ok()) return found.error();
  const DeviceState& state = found.value().state;
  const std::optional<std::string_view> group =
      state.resource_group.empty() ? std::nullopt
                                   : std::optional<std::string_view>(state.resource_group);
  // Outsiders, and members whose roles do not cover the device's group, learn no more than of a
  // serial that does not exist.
  if (!state.organization.empty() &&
      !c.plane.tenancy.authorize(c.actor, state.organization, kGetDevicePermission, group).ok()) {
    return error(ErrorCode::kNotFound, "serial: no such device");
  }
  return device_result(found);
}

Result<Out> run(const Context& c, const ListDevices& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.organization, kListDevicesPermission);
  if (!allowed.ok()) return allowed.error();
  const std::size_t limit = p.limit.value_or(kDevicePageEntriesDefault);
  if (limit < 1 || limit > kDevicePageEntriesMax) {
    return invalid("limit", "must be 1.." + std::to_string(kDevicePageEntriesMax));
  }
  Out devices = Out::array();
  std::string next_after;
  for (const DeviceRecord& record : c.plane.registry.devices_of(p.organization)) {
    if (p.after && record.facts.serial <= *p.after) continue;  // by serial, as devices_of sorts
    if (devices.size() == limit) {
      next_after = devices.back()["serial"].get<std::string>();
      break;
    }
    devices.push_back(device_json(record));
  }
  return Out{{"devices", std::move(devices)}, {"next_after", next_after}};
}

Result<Out> run(const Context& c, const SearchAudit& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.query.organization, kSearchAuditPermission);
  if (!allowed.ok()) return allowed.error();
  auto page = c.plane.audit_log.search(p.query);
  if (!page.ok()) return page.error();
  Out entries = Out::array();
  for (const AuditEntry& entry : page.value().entries) entries.push_back(audit_entry_json(entry));
  return Out{{"entries", std::move(entries)}, {"next_cursor", page.value().next_cursor}};
}

std::string dump(const Out& reply) {
  // Replacing rather than refusing bad UTF-8: a message may quote a service's input cut short.
  return reply.dump(-1, ' ', false, Out::error_handler_t::replace);
}

std::string error_reply(const ServiceError& failure) {
  return dump(Out{{"ok", false},
                  {"error", Out{{"code", std::string(error_code_name(failure.code))},
                                {"message", failure.message}}}});
}

}  // namespace

std::string_view command_name(const CommandParams& params) {
  return kCommands[params.index()].name;
}

Result<Command> decode_command(std::string_view request_json) {
  if (request_json.size() > kCommandBytesMax) {
    return invalid("request", std::to_string(request_json.size()) + " bytes, over the limit of " +
                                  std::to_string(kCommandBytesMax));
  }
  if (core::json_nesting_depth(request_json, kCommandNestingMax) > kCommandNestingMax) {
    return invalid("request", "nested deeper than " + std::to_string(kCommandNestingMax));
  }
  auto parsed = parse_request(request_json);
  if (!parsed.ok()) return parsed.error();
  return decode_request(parsed.value());
}

std::string execute_command(ControlPlane& plane, core::Time now,
                            std::string_view request_json) noexcept {
  const Result<Command> command = decode_command(request_json);
  if (!command.ok()) return error_reply(command.error());
  const Context context{plane, now, command.value().actor};
  Result<Out> result =
      std::visit([&](const auto& params) { return run(context, params); }, command.value().params);
  if (!result.ok()) return error_reply(result.error());
  return dump(Out{{"ok", true}, {"result", std::move(result).value()}});
}

}  // namespace ccsim::platform
