#include "platform/command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/json_text.h"
#include "core/os_version.h"
#include "proto/task_vocabulary.h"

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

// The actions a command may name, as its error lists them: "a, b, c or d".
std::string task_action_choices() {
  const std::span<const wire::TaskAction> actions = wire::task_actions();
  std::string text;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (i > 0) text += i + 1 == actions.size() ? " or " : ", ";
    text += wire::task_action_name(actions[i]);
  }
  return text;
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

  wire::TaskAction task_action(std::string_view key) {
    const std::string name = string(key);
    if (error_) return wire::TASK_ACTION_UNSPECIFIED;
    if (const auto action = wire::parse_task_action(name)) return *action;
    fail(key, "expected " + task_action_choices());
    return wire::TASK_ACTION_UNSPECIFIED;
  }

  UpdatePolicyKind policy_kind(std::string_view key) {
    const std::string name = string(key);
    if (error_) return UpdatePolicyKind::kLatest;
    for (const UpdatePolicyKind kind : {UpdatePolicyKind::kLatest, UpdatePolicyKind::kPinned}) {
      if (update_policy_kind_name(kind) == name) return kind;
    }
    fail(key, "expected latest or pinned");
    return UpdatePolicyKind::kLatest;
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

  // A required array of strings, in order; repeats are left for the service to judge.
  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return out;
    if (!value->is_array()) {
      fail(key, "expected an array of strings");
      return out;
    }
    for (std::size_t index = 0; index < value->size(); ++index) {
      const Json& item = (*value)[index];
      if (!item.is_string()) {
        fail(std::string(key) + "[" + std::to_string(index) + "]", "expected a string");
        return out;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  bool boolean(std::string_view key) {
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return false;
    if (!value->is_boolean()) {
      fail(key, "expected true or false");
      return false;
    }
    return value->get<bool>();
  }

  std::optional<bool> optional_boolean(std::string_view key) {
    if (!has(key)) return std::nullopt;
    return boolean(key);
  }

  // Any JSON number (the parser refuses what does not fit a double).
  double number(std::string_view key) {
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return 0;
    if (!value->is_number()) {
      fail(key, "expected a number");
      return 0;
    }
    return value->get<double>();
  }

  std::optional<double> optional_number(std::string_view key) {
    if (!has(key)) return std::nullopt;
    return number(key);
  }

  // Every field of this object, each a string, by name: an object of free-form names.
  std::map<std::string, std::string, std::less<>> all_strings() {
    std::map<std::string, std::string, std::less<>> out;
    for (const auto& [key, value] : object_.items()) {
      if (error_) return out;
      read_.emplace(key);
      if (!value.is_string()) {
        fail(shown(key), "expected a string");
        return out;
      }
      out.emplace(key, value.get<std::string>());
    }
    return out;
  }

  // Calls `read(FieldReader&)` on each object of the required array at `key`, then refuses its
  // unknown fields; stops at the first error.
  template <typename Read>
  void each_object(std::string_view key, Read read) {
    const Json* value = find(key, /*required=*/true);
    if (value == nullptr) return;
    if (!value->is_array()) {
      fail(key, "expected an array of objects");
      return;
    }
    for (std::size_t index = 0; index < value->size() && !error_; ++index) {
      const std::string at = std::string(key) + "[" + std::to_string(index) + "]";
      const Json& item = (*value)[index];
      if (!item.is_object()) {
        fail(at, "expected an object");
        return;
      }
      FieldReader element(item, path_of(at), error_);
      read(element);
      element.refuse_unknown();
    }
  }

  // Whether a read has failed, here or in a reader sharing the slot.
  bool failed() const { return error_.has_value(); }
  // Refuses the field `key` of this object for the reason `what`, unless a read failed before.
  void refuse(std::string_view key, std::string_view what) { fail(key, what); }

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
  CreateOrganization command{p.string("name"), p.string("region"), {}};
  const std::set<std::string> applications = p.string_set("applications");
  command.applications.assign(applications.begin(), applications.end());
  return command;
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

CommandParams decode_create_task_series(FieldReader& p) {
  CreateTaskSeries command;
  command.organization = p.string("organization");
  TaskSeriesRequest& request = command.request;
  request.name = p.optional_string("name").value_or("");
  request.payload.action = p.task_action("action");
  FieldReader parameters = p.object("parameters");
  request.payload.parameters = parameters.all_strings();
  request.devices = p.strings("devices");
  if (const auto timeout_s = p.optional_uint32("timeout_s")) {
    request.timeout = std::chrono::seconds(*timeout_s);
  }
  return command;
}
CommandParams decode_cancel_task(FieldReader& p) {
  return CancelTask{p.string("organization"), p.string("task")};
}
CommandParams decode_cancel_series(FieldReader& p) {
  return CancelSeries{p.string("organization"), p.string("series")};
}
CommandParams decode_get_task(FieldReader& p) {
  return GetTask{p.string("task")};
}
CommandParams decode_get_task_series(FieldReader& p) {
  return GetTaskSeries{p.string("series")};
}
CommandParams decode_start_rollout(FieldReader& p) {
  StartRollout command;
  command.organization = p.string("organization");
  RolloutRequest& request = command.request;
  request.name = p.string("name");
  request.version = p.string("version");
  request.devices = p.strings("devices");
  RolloutPolicy& policy = request.policy;
  p.each_object("groups", [&policy](FieldReader& group) {
    policy.groups.push_back(
        RolloutGroup{group.uint32("devices"), group.number("success_threshold")});
  });
  policy.starts_per_minute = p.optional_uint32("starts_per_minute").value_or(0);
  policy.abort_failure_share = p.optional_number("abort_failure_share").value_or(1.0);
  policy.abort_after_min = p.optional_uint32("abort_after_min").value_or(1);
  return command;
}
CommandParams decode_get_rollout(FieldReader& p) {
  return GetRollout{p.string("organization"), p.string("name")};
}
CommandParams decode_publish_release(FieldReader& p) {
  return PublishRelease{p.string("version"), p.uint32("size_bytes"),
                        p.optional_uint32("published_at_s")};
}
CommandParams decode_set_update_offering(FieldReader& p) {
  return SetUpdateOffering{p.string("organization"), p.boolean("update_windows")};
}

// What a parser of update_window.h expected, from its message "<part>: got <value>; expected
// <what>": decoding does not quote the value back. The value comes first, so the last
// "; expected " is the parser's own.
std::string expectation(const ServiceError& refused) {
  constexpr std::string_view kExpected = "; expected ";
  const std::size_t at = refused.message.rfind(kExpected);
  if (at == std::string::npos) return "not valid";
  return "expected " + refused.message.substr(at + kExpected.size());
}

// `parse(input)`'s value; when it fails, `key` is refused with what the parser expected.
template <typename Input, typename Parse>
auto parsed_field(FieldReader& reader, std::string_view key, const Input& input, Parse parse) {
  using Value = std::decay_t<decltype(parse(input).value())>;
  if (reader.failed()) return Value{};
  auto value = parse(input);
  if (!value.ok()) {
    reader.refuse(key, expectation(value.error()));
    return Value{};
  }
  return std::move(value).value();
}

UpdateWindowRule decode_window_rule(FieldReader& window) {
  UpdateWindowRule rule;
  const std::vector<std::string> days = window.strings("days");
  rule.days = parsed_field(window, "days", days, parse_update_window_days);
  const std::string start = window.string("start");
  rule.start = parsed_field(window, "start", start, parse_update_window_start);
  const std::string duration = window.string("duration");
  rule.duration = parsed_field(window, "duration", duration, parse_update_window_duration);
  window.refuse_unknown();
  return rule;
}
CommandParams decode_set_profile_update_policy(FieldReader& p) {
  SetProfileUpdatePolicy command;
  command.organization = p.string("organization");
  command.profile = p.string("profile");
  command.policy.kind = p.policy_kind("policy");
  command.policy.pinned_version = p.optional_string("pinned_version").value_or("");
  if (p.has("window")) {
    FieldReader window = p.object("window");
    command.policy.window = decode_window_rule(window);
  }
  return command;
}
CommandParams decode_set_site_time_zone(FieldReader& p) {
  return SetSiteTimeZone{p.string("organization"), p.string("resource_group"),
                         p.string("time_zone")};
}
CommandParams decode_set_diagnostics_consent(FieldReader& p) {
  return SetDiagnosticsConsent{p.string("organization"), p.string("device"), p.boolean("granted")};
}
CommandParams decode_get_insights(FieldReader& p) {
  return GetInsights{p.string("device")};
}
CommandParams decode_register_application(FieldReader& p) {
  return RegisterApplication{p.string("name"), p.strings("redirect_uris")};
}
CommandParams decode_onboard_application(FieldReader& p) {
  return OnboardApplication{p.string("organization"), p.string("client_id")};
}
CommandParams decode_authorize_application(FieldReader& p) {
  AuthorizeApplication command;
  AuthorizationRequest& request = command.request;
  request.client_id = p.string("client_id");
  request.redirect_uri = p.string("redirect_uri");
  request.organization_id = p.string("organization");
  request.scopes = p.strings("scopes");
  request.code_challenge = p.string("code_challenge");
  request.code_challenge_method = p.string("code_challenge_method");
  request.consent = p.optional_boolean("consent").value_or(false);
  return command;
}
CommandParams decode_exchange_authorization_code(FieldReader& p) {
  return ExchangeAuthorizationCode{TokenRequest{p.string("client_id"), p.string("redirect_uri"),
                                                p.string("code"), p.string("code_verifier")}};
}
CommandParams decode_introspect_token(FieldReader& p) {
  return IntrospectToken{p.string("token")};
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
    {"create_task_series", true, decode_create_task_series},
    {"cancel_task", true, decode_cancel_task},
    {"cancel_series", true, decode_cancel_series},
    {"get_task", true, decode_get_task},
    {"get_task_series", true, decode_get_task_series},
    {"start_rollout", true, decode_start_rollout},
    {"get_rollout", true, decode_get_rollout},
    {"publish_release", true, decode_publish_release},
    {"set_update_offering", true, decode_set_update_offering},
    {"set_profile_update_policy", true, decode_set_profile_update_policy},
    {"set_site_time_zone", true, decode_set_site_time_zone},
    {"set_diagnostics_consent", true, decode_set_diagnostics_consent},
    {"get_insights", true, decode_get_insights},
    {"register_application", true, decode_register_application},
    {"onboard_application", true, decode_onboard_application},
    {"authorize_application", true, decode_authorize_application},
    {"exchange_authorization_code", false, decode_exchange_authorization_code},
    {"introspect_token", false, decode_introspect_token},
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

// The scope of an action on something in resource group `group` ("" for none).
std::optional<std::string_view> scope_of(const std::string& group) {
  if (group.empty()) return std::nullopt;
  return group;
}

Result<Done> check_known(const Context& c) {
  if (!c.plane.identity_store.contains(c.actor)) {
    return error(ErrorCode::kUnauthenticated, "actor: unknown user");
  }
  return Done{};
}

// Whether the actor may use `permission` on something of `organization` in `group`.
bool allowed_in(const Context& c, std::string_view organization, Permission permission,
                const std::string& group) {
  return c.plane.tenancy.authorize(c.actor, organization, permission, scope_of(group)).ok();
}

// Only members learn what an organization holds: a stranger gets tenancy's refusal of
// `permission` before anything is looked up.
Result<Done> check_member(const Context& c, std::string_view organization, Permission permission) {
  const std::vector<OrganizationId> memberships = c.plane.tenancy.organizations_of(c.actor);
  if (std::ranges::find(memberships, organization) != memberships.end()) return Done{};
  auto allowed = c.plane.tenancy.authorize(c.actor, organization, permission);
  if (!allowed.ok()) return allowed.error();
  return Done{};
}

Out time_or_null(const std::optional<core::Time>& at) {
  if (!at) return nullptr;
  return at->count();
}

Out parameters_json(const TaskPayload& payload) {
  Out out = Out::object();
  for (const auto& [name, value] : payload.parameters) out[name] = value;
  return out;
}

Out progress_json(const TaskSeriesProgress& progress) {
  return Out{{"total", progress.total},           {"queued", progress.queued},
             {"dispatched", progress.dispatched}, {"running", progress.running},
             {"succeeded", progress.succeeded},   {"failed", progress.failed},
             {"cancelled", progress.cancelled},   {"timed_out", progress.timed_out}};
}

Out series_json(const TaskSeries& series) {
  return Out{{"id", series.id},
             {"organization", series.organization},
             {"name", series.name},
             {"created_by", series.created_by},
             {"action", std::string(wire::task_action_name(series.payload.action))},
             {"parameters", parameters_json(series.payload)},
             {"created_at_us", series.created_at.count()},
             {"deadline_us", series.deadline.count()},
             {"completed_at_us", time_or_null(series.completed_at)},
             {"progress", progress_json(series.progress)}};
}

Out task_json(const Task& task) {
  return Out{{"id", task.id},
             {"series", task.series},
             {"organization", task.organization},
             {"device", task.device},
             {"host", task.host},
             {"resource_group", task.resource_group},
             {"action", std::string(wire::task_action_name(task.payload.action))},
             {"parameters", parameters_json(task.payload)},
             {"origin", task.origin == TaskOrigin::kUser ? "user" : "host"},
             {"created_by", task.created_by},
             {"status", std::string(task_status_name(task.status))},
             {"created_at_us", task.created_at.count()},
             {"deadline_us", task.deadline.count()},
             {"dispatched_at_us", time_or_null(task.dispatched_at)},
             {"acknowledged_at_us", time_or_null(task.acknowledged_at)},
             {"started_at_us", time_or_null(task.started_at)},
             {"finished_at_us", time_or_null(task.finished_at)},
             {"deliveries", task.deliveries},
             {"cancel_requested", task.cancel_requested},
             {"detail", task.detail}};
}

Out rollout_json(const RolloutRecord& record) {
  Out groups = Out::array();
  for (const RolloutGroupProgress& group : record.rollout.progress()) {
    groups.push_back(Out{{"devices", group.devices},
                         {"started", group.started},
                         {"succeeded", group.succeeded},
                         {"failed", group.failed}});
  }
  return Out{{"name", record.name},
             {"organization", record.organization},
             {"started_by", record.started_by},
             {"version", record.version},
             {"state", std::string(rollout_state_name(record.rollout.state()))},
             {"abort_reason", record.rollout.abort_reason()},
             {"started_at_us", record.started_at.count()},
             {"ended_at_us", time_or_null(record.ended_at)},
             {"groups", std::move(groups)},
             {"series", record.series},
             {"refused", record.refused}};
}

Out release_json(const Release& release) {
  return Out{{"version", release.version},
             {"track", release.track},
             {"size_bytes", release.size_bytes},
             {"published_at_us", release.published_at.count()}};
}

Out insight_json(const Insight& insight) {
  return Out{{"kind", std::string(insight_kind_name(insight.kind))},
             {"raised_at_us", insight.raised_at.count()},
             {"detail", insight.detail}};
}

Result<Out> series_result(const Result<TaskSeries>& series) {
  if (!series.ok()) return series.error();
  return Out{{"series", series_json(series.value())}};
}

Result<Out> run(const Context& c, const RegisterUser& p) {
  return id("user", c.plane.identity_store.register_user(p.email, p.display_name));
}
Result<Out> run(const Context& c, const CreateOrganization& p) {
  // Refused before the organization exists, so that it never exists without its applications.
  if (auto grantable = c.plane.apps.check_grantable(p.applications); !grantable.ok()) {
    return grantable.error();
  }
  auto created = c.plane.tenancy.create_organization(c.now, c.actor, p.name, p.region);
  if (!created.ok()) return created.error();
  for (const std::string& client_id : p.applications) {
    const auto granted =
        c.plane.apps.grant_application(c.now, created.value(), client_id, GrantPath::kAtCreation);
    assert(granted.ok());  // check_grantable said so, and nothing ran in between
    (void)granted;
  }
  return Out{{"organization", created.value()}};
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
  if (auto known = check_known(c); !known.ok()) return known.error();
  auto found = c.plane.registry.device(p.serial);
  if (!found.ok()) return found.error();
  const DeviceState& state = found.value().state;
  // Outsiders, and members whose roles do not cover the device's group, learn no more than of a
  // serial that does not exist.
  if (!state.organization.empty() &&
      !allowed_in(c, state.organization, kGetDevicePermission, state.resource_group)) {
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

Result<Out> run(const Context& c, const CreateTaskSeries& p) {
  auto deployable = check_deployable(c.plane.software.catalog(), p.request.payload);
  if (!deployable.ok()) return deployable.error();
  return series_result(c.plane.tasks.create_series(c.now, c.actor, p.organization, p.request));
}
Result<Out> run(const Context& c, const CancelTask& p) {
  auto cancelled = c.plane.tasks.cancel_task(c.now, c.actor, p.organization, p.task);
  if (!cancelled.ok()) return cancelled.error();
  return Out{{"task", task_json(cancelled.value())}};
}
Result<Out> run(const Context& c, const CancelSeries& p) {
  return series_result(c.plane.tasks.cancel_series(c.now, c.actor, p.organization, p.series));
}

Result<Out> run(const Context& c, const GetTask& p) {
  if (auto known = check_known(c); !known.ok()) return known.error();
  const auto found = c.plane.tasks.task(p.task);
  // Outsiders, and members whose roles do not cover the task's group, learn no more than of a
  // task that does not exist.
  if (!found.ok() || !allowed_in(c, found.value().organization, kGetTaskPermission,
                                 found.value().resource_group)) {
    return error(ErrorCode::kNotFound, "task: no such task");
  }
  return Out{{"task", task_json(found.value())}};
}

Result<Out> run(const Context& c, const GetTaskSeries& p) {
  if (auto known = check_known(c); !known.ok()) return known.error();
  const ServiceError hidden = error(ErrorCode::kNotFound, "series: no such series");
  const auto series = c.plane.tasks.series(p.series);
  if (!series.ok()) return hidden;
  const auto tasks = c.plane.tasks.series_tasks(p.series);
  assert(tasks.ok());
  std::set<std::string> groups;
  for (const Task& task : tasks.value()) groups.insert(task.resource_group);
  for (const std::string& group : groups) {
    if (!allowed_in(c, series.value().organization, kGetTaskPermission, group)) return hidden;
  }
  Out listed = Out::array();
  for (const Task& task : tasks.value()) {
    listed.push_back(Out{{"id", task.id},
                         {"device", task.device},
                         {"status", std::string(task_status_name(task.status))}});
  }
  return Out{{"series", series_json(series.value())}, {"tasks", std::move(listed)}};
}

Result<Out> run(const Context& c, const StartRollout& p) {
  // A rollout's tasks need kUpdateSoftware, which the Task Manager checks device by device.
  if (auto member = check_member(c, p.organization, Permission::kUpdateSoftware); !member.ok()) {
    return member.error();
  }
  if (c.plane.software.catalog().find(p.request.version) == nullptr) {
    return error(ErrorCode::kNotFound,
                 "version: \"" + shown(p.request.version) + "\" is not a published release");
  }
  auto started = c.plane.rollouts.start(c.now, c.actor, p.organization, p.request);
  if (!started.ok()) return started.error();
  return Out{{"rollout", rollout_json(*started.value())}};
}

Result<Out> run(const Context& c, const GetRollout& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.organization, kGetRolloutPermission);
  if (!allowed.ok()) return allowed.error();
  const RolloutRecord* found = c.plane.rollouts.find(p.organization, p.name);
  if (found == nullptr) return error(ErrorCode::kNotFound, "name: no such rollout");
  return Out{{"rollout", rollout_json(*found)}};
}

Result<Out> run(const Context& c, const PublishRelease& p) {
  if (c.actor != kAuditPlatformActor) {
    return error(ErrorCode::kPermissionDenied, "actor: only the platform (\"" +
                                                   std::string(kAuditPlatformActor) +
                                                   "\") publishes releases");
  }
  const std::optional<core::OsVersion> version = core::parse_os_version(p.version);
  // An unparsable version gets no track; the catalog names the version as the fault.
  Release release{p.version, version ? std::string(core::track_of(*version)) : "", p.size_bytes,
                  p.published_at_s ? core::Time(std::chrono::seconds(*p.published_at_s)) : c.now};
  auto published = c.plane.software.catalog().publish(release);
  if (!published.ok()) return published.error();
  return Out{{"release", release_json(release)}};
}

Result<Out> run(const Context& c, const SetUpdateOffering& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.organization, kSetOfferingPermission);
  if (!allowed.ok()) return allowed.error();
  return nothing(c.plane.software.set_offering(p.organization, p.update_windows));
}

Result<Out> run(const Context& c, const SetProfileUpdatePolicy& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.organization, kSetUpdatePolicyPermission);
  if (!allowed.ok()) return allowed.error();
  auto profile = c.plane.registry.profile(p.organization, p.profile);
  if (!profile.ok()) return profile.error();
  return nothing(c.plane.software.set_profile_policy(p.organization, p.profile, p.policy));
}

Result<Out> run(const Context& c, const SetSiteTimeZone& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.organization, kSetUpdatePolicyPermission,
                                           p.resource_group);
  if (!allowed.ok()) return allowed.error();
  return nothing(c.plane.software.set_time_zone(p.organization, p.resource_group, p.time_zone));
}

Result<Out> run(const Context& c, const SetDiagnosticsConsent& p) {
  return nothing(c.plane.insights.set_consent(c.now, c.actor, p.organization, p.device, p.granted));
}

Result<Out> run(const Context& c, const GetInsights& p) {
  if (auto known = check_known(c); !known.ok()) return known.error();
  auto found = c.plane.registry.device(p.device);
  // As get_device: an owned device is hidden from those who may not see it.
  if (!found.ok() || (!found.value().state.organization.empty() &&
                      !allowed_in(c, found.value().state.organization, kGetInsightsPermission,
                                  found.value().state.resource_group))) {
    return error(ErrorCode::kNotFound, "device: no such device");
  }
  Out insights = Out::array();
  for (const Insight& insight : c.plane.insights.insights_of(p.device)) {
    insights.push_back(insight_json(insight));
  }
  return Out{{"insights", std::move(insights)}};
}

Out claims_json(const TokenClaims& claims) {
  return Out{{"token_id", claims.token_id},
             {"client_id", claims.client_id},
             {"user", claims.user_id},
             {"organization", claims.organization_id},
             {"scopes", claims.scopes},
             {"issued_at_us", claims.issued_at.count()},
             {"expires_at_us", claims.expires_at.count()}};
}

Result<Out> run(const Context& c, const RegisterApplication& p) {
  if (c.actor != kAuditPlatformActor) {
    return error(ErrorCode::kPermissionDenied, "actor: only the platform (\"" +
                                                   std::string(kAuditPlatformActor) +
                                                   "\") registers applications");
  }
  return id("client_id", c.plane.apps.register_application(c.now, p.name, p.redirect_uris));
}

Result<Out> run(const Context& c, const OnboardApplication& p) {
  auto allowed = c.plane.tenancy.authorize(c.actor, p.organization, kOnboardApplicationPermission);
  if (!allowed.ok()) return allowed.error();
  return nothing(c.plane.apps.grant_application(c.now, p.organization, p.client_id,
                                                GrantPath::kOrganizationSelected));
}

Result<Out> run(const Context& c, const AuthorizeApplication& p) {
  // Any member with an organization-wide role passes (scopes are organization-wide: a role held
  // only in resource groups is refused here); that role bounds the scopes.
  auto member =
      c.plane.tenancy.authorize(c.actor, p.request.organization_id, kListDevicesPermission);
  if (!member.ok()) return member.error();
  const auto role = c.plane.tenancy.role_of(c.actor, p.request.organization_id);
  assert(role.ok());  // authorized organization-wide, so a grant applies there
  AuthorizationRequest request = p.request;
  request.user_id = c.actor;
  request.user_role = role.value();
  return id("code", c.plane.apps.authorize(c.now, request));
}

Result<Out> run(const Context& c, const ExchangeAuthorizationCode& p) {
  auto token = c.plane.apps.exchange_code(c.now, p.request);
  if (!token.ok()) return token.error();
  return Out{{"access_token", token.value().token}, {"claims", claims_json(token.value().claims)}};
}

Result<Out> run(const Context& c, const IntrospectToken& p) {
  auto claims = c.plane.apps.verify_token(c.now, p.token);
  // RFC 7662 s2.2: a token that does not verify is inactive, for whatever reason.
  if (!claims.ok()) return Out{{"active", false}};
  return Out{{"active", true}, {"claims", claims_json(claims.value())}};
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
  return execute_command(plane, now, command.value());
}

std::string execute_command(ControlPlane& plane, core::Time now, const Command& command) noexcept {
  const Context context{plane, now, command.actor};
  Result<Out> result =
      std::visit([&](const auto& params) { return run(context, params); }, command.params);
  if (!result.ok()) return error_reply(result.error());
  return dump(Out{{"ok", true}, {"result", std::move(result).value()}});
}

}  // namespace ccsim::platform
