#include "devices/local_api.h"

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <functional>
#include <tuple>
#include <utility>
#include <variant>

#include "core/digest.h"
#include "core/json_text.h"

namespace ccsim::devices {

// Types shared by the handlers, which are members of LocalApi::Dispatch; a named namespace (not
// an anonymous one) since they appear in Dispatch's member signatures.
namespace local_api_internal {

using Json = nlohmann::json;
using Out = nlohmann::ordered_json;  // replies keep the envelope's order

struct LocalError {
  LocalErrorCode code;
  std::string message;
};
using Outcome = std::variant<Out, LocalError>;

struct ApiVersion {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
};

// One request as a handler sees it, its envelope checked.
struct Call {
  core::Time now;
  const LocalApiDescription& api;
  ApiVersion version;
  const Json& params;  // an object; {} when the request had none
  std::string_view session;
  LocalEffects& effects;
};

}  // namespace local_api_internal

namespace {

using namespace local_api_internal;

constexpr std::size_t kMethodNameBytesMax = 64;
constexpr std::size_t kApiVersionPartCharsMax = 3;
constexpr std::size_t kHexFieldCharsMax = 2 * 64;  // the longest hex field: a signature
constexpr std::string_view kEnvelopeKeys[] = {"apiVersion", "context", "method", "params"};

LocalError fail(LocalErrorCode code, std::string message) {
  return LocalError{code, std::move(message)};
}
LocalError bad_params(std::string message) {
  return fail(LocalErrorCode::kBadParams, std::move(message));
}

// A name from the request, fit to quote in a message: cut short, anything unusual replaced.
std::string shown(std::string_view text) {
  constexpr std::size_t kQuotedBytesMax = 40;
  std::string out;
  for (const char c : text.substr(0, kQuotedBytesMax)) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-' || c == '/';
    out += plain ? c : '?';
  }
  if (text.size() > kQuotedBytesMax) out += "...";
  return out;
}

// The body as a JSON object; a key repeated within one object is refused, since parsers
// disagree on which value wins.
std::variant<Json, LocalError> parse_body(std::string_view text) {
  const LocalErrorCode code = LocalErrorCode::kInvalidJson;
  core::StrictJson parsed = core::parse_json_strict(text);
  if (!parsed.error.empty()) return fail(code, parsed.error);
  if (parsed.repeated_key) return fail(code, "a key is repeated in one object");
  if (!parsed.value.is_object()) return fail(code, "the body is not a JSON object");
  return std::move(parsed.value);
}

std::optional<std::uint32_t> small_number(std::string_view text) {
  if (text.empty() || text.size() > kApiVersionPartCharsMax) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "1.0" -> {1, 0}: two parts of 1..3 digits.
std::optional<ApiVersion> parse_api_version(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view major = text.substr(0, dot);
  const std::string_view minor = text.substr(dot + 1);
  const auto digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(major) || !digits(minor)) return std::nullopt;
  const auto a = small_number(major);
  const auto b = small_number(minor);
  if (!a || !b) return std::nullopt;
  return ApiVersion{*a, *b};
}

std::vector<std::string_view> versions_of(const LocalApiDescription& api) {
  std::vector<std::string_view> versions;
  for (const std::string_view v : api.versions) {
    if (!v.empty()) versions.push_back(v);
  }
  return versions;
}

bool version_served(const LocalApiDescription& api, ApiVersion asked) {
  for (const std::string_view text : versions_of(api)) {
    const auto offered = parse_api_version(text);
    assert(offered);
    if (offered->major == asked.major && offered->minor >= asked.minor) return true;
  }
  return false;
}

const LocalApiDescription* find_api(std::string_view path) {
  if (!path.starts_with(kLocalApiPathPrefix)) return nullptr;
  const std::string_view id = path.substr(kLocalApiPathPrefix.size());
  const auto it = std::find_if(kLocalApis.begin(), kLocalApis.end(),
                               [&](const LocalApiDescription& api) { return api.id == id; });
  return it == kLocalApis.end() ? nullptr : &*it;
}

// --- Reading params -------------------------------------------------------------------------

std::optional<LocalError> only_keys(const Json& object, std::string_view where,
                                    std::initializer_list<std::string_view> allowed) {
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      std::string list;
      for (const std::string_view key : allowed)
        list += (list.empty() ? "" : ", ") + std::string(key);
      return bad_params(std::string(where) + "." + shown(item.key()) + ": unknown; expected " +
                        (list.empty() ? std::string("no params") : "only " + list));
    }
  }
  return std::nullopt;
}

// A string of 1..bytes_max bytes at `key` of `object`.
std::variant<std::string, LocalError> string_param(const Json& object, std::string_view where,
                                                   std::string_view key, std::size_t bytes_max) {
  const std::string name = std::string(where) + "." + std::string(key);
  const auto it = object.find(std::string(key));
  if (it == object.end()) return bad_params(name + ": missing; expected a string");
  if (!it->is_string()) return bad_params(name + ": expected a string");
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty() || text.size() > bytes_max) {
    return bad_params(name + ": expected 1.." + std::to_string(bytes_max) + " bytes, got " +
                      std::to_string(text.size()));
  }
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = hex_value(text[i]);
    const int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

bool app_name_valid(std::string_view name) {
  if (name.empty() || name.size() > kAppNameCharsMax || name[0] < 'a' || name[0] > 'z') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool app_version_valid(std::string_view version) {
  return !version.empty() && version.size() <= kAppVersionCharsMax &&
         std::all_of(version.begin(), version.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-';
         });
}

// Overlay text: any UTF-8 (the parser checked it) but no control characters.
bool overlay_text_valid(std::string_view text) {
  return text.size() <= kOverlayTextBytesMax && std::none_of(text.begin(), text.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte < 0x20 || byte == 0x7f;
         });
}

LocalErrorCode local_code(FirmwareErrorCode code) {
  switch (code) {
    case FirmwareErrorCode::kMalformedImage:
      return LocalErrorCode::kFirmwareMalformed;
    case FirmwareErrorCode::kSignatureInvalid:
      return LocalErrorCode::kFirmwareSignatureInvalid;
    case FirmwareErrorCode::kWrongModel:
      return LocalErrorCode::kFirmwareWrongModel;
    case FirmwareErrorCode::kBusy:
      return LocalErrorCode::kFirmwareBusy;
    case FirmwareErrorCode::kNoPreviousVersion:
      return LocalErrorCode::kNoPreviousFirmware;
    case FirmwareErrorCode::kInstallFailed:
      break;  // only ever reported after the fact, never an answer to a request
  }
  assert(false && "no local error code for this firmware error");
  return LocalErrorCode::kFirmwareMalformed;
}

LocalError from_firmware(const FirmwareError& error) {
  return fail(local_code(error.code), error.message);
}

// The image of an upgrade request. Types are checked here (1002); what the values mean for an
// image is checked by check_image_shape (3001).
std::variant<FirmwareImage, LocalError> image_param(const Json& params) {
  if (auto e = only_keys(params, "params", {"image"})) return *e;
  const auto it = params.find("image");
  if (it == params.end() || !it->is_object()) {
    return bad_params(
        "params.image: expected an object of model, version, size, digest, signature");
  }
  const Json& image = *it;
  if (auto e =
          only_keys(image, "params.image", {"model", "version", "size", "digest", "signature"})) {
    return *e;
  }
  FirmwareImage out;
  std::string version;
  std::string digest_hex;
  std::string signature_hex;
  for (auto [key, target, bytes_max] :
       {std::tuple{"model", &out.model, kFirmwareModelCharsMax},
        std::tuple{"version", &version, kOsVersionCharsMax},
        std::tuple{"digest", &digest_hex, kHexFieldCharsMax},
        std::tuple{"signature", &signature_hex, kHexFieldCharsMax}}) {
    auto text = string_param(image, "params.image", key, bytes_max);
    if (auto* e = std::get_if<LocalError>(&text)) return *e;
    *target = std::move(std::get<std::string>(text));
  }
  const auto size = image.find("size");
  if (size == image.end() || !size->is_number_unsigned()) {
    return bad_params("params.image.size: expected a whole number of bytes");
  }
  out.size_bytes = size->get<std::uint64_t>();
  auto digest = from_hex(digest_hex);
  auto signature = from_hex(signature_hex);
  if (!digest || !signature) return bad_params("params.image: digest and signature are hex");
  out.digest = std::move(*digest);
  out.signature = std::move(*signature);
  const auto parsed = parse_os_version(version);
  if (!parsed) {
    return fail(LocalErrorCode::kFirmwareMalformed,
                "params.image.version: expected a version such as 11.11.120");
  }
  out.version = *parsed;
  return out;
}

LocalEvent local_event(LocalEventKind kind, core::Time at) {
  LocalEvent e;
  e.kind = kind;
  e.at = at;
  return e;
}

Out app_json(const InstalledApp& app) {
  return Out{{"name", app.name}, {"version", app.version}};
}

std::int64_t whole_seconds(core::Duration duration) {
  return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
}

}  // namespace

std::string_view local_event_kind_name(LocalEventKind kind) {
  switch (kind) {
    case LocalEventKind::kLocalAdministratorLogin:
      return "local_administrator_login";
    case LocalEventKind::kAppInstalled:
      return "app_installed";
    case LocalEventKind::kAppRemoved:
      return "app_removed";
    case LocalEventKind::kOsInstalled:
      return "os_installed";
    case LocalEventKind::kOsUpgradeFailed:
      return "os_upgrade_failed";
    case LocalEventKind::kFactoryDefaulted:
      return "factory_defaulted";
    case LocalEventKind::kRebootStarted:
      return "reboot_started";
    case LocalEventKind::kRebootFinished:
      return "reboot_finished";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// The method handlers

struct LocalApi::Dispatch {
  using Handler = Outcome (*)(LocalApi&, const Call&);
  struct Method {
    std::string_view api;
    std::string_view name;
    Access access;
    Handler handler;
  };

  static const Method* find(std::string_view api, std::string_view name);
  static std::string handle(LocalApi& device, core::Time now, const LocalRequest& request,
                            LocalEffects& effects);

  static Outcome get_api_list(LocalApi&, const Call& call);
  static Outcome get_supported_versions(LocalApi&, const Call& call);
  static Outcome get_all_properties(LocalApi& device, const Call& call);
  static Outcome firmware_status(LocalApi& device, const Call& call);
  static Outcome upgrade(LocalApi& device, const Call& call);
  static Outcome rollback(LocalApi& device, const Call& call);
  static Outcome factory_default(LocalApi& device, const Call& call);
  static Outcome reboot(LocalApi& device, const Call& call);
  static Outcome list_apps(LocalApi& device, const Call& call);
  static Outcome install_app(LocalApi& device, const Call& call);
  static Outcome remove_app(LocalApi& device, const Call& call);
  static Outcome get_parameter(LocalApi& device, const Call& call);
  static Outcome set_parameter(LocalApi& device, const Call& call);
  static Outcome system_ready(LocalApi& device, const Call& call);
  static Outcome login(LocalApi& device, const Call& call);
  static Outcome logout(LocalApi& device, const Call& call);
};

namespace {

using Method = LocalApi::Dispatch::Method;
using D = LocalApi::Dispatch;
constexpr Access kAnyone = Access::kAnonymous;
constexpr Access kAdmin = Access::kAdministrator;
constexpr std::string_view kSystemReady = "systemready";

// Keep in step with the header comment and kLocalApis.
const std::array<Method, 22> kMethods = {{
    {"api-discovery", "getApiList", kAnyone, &D::get_api_list},
    {"api-discovery", "getSupportedVersions", kAnyone, &D::get_supported_versions},
    {"basic-device-info", "getAllProperties", kAnyone, &D::get_all_properties},
    {"basic-device-info", "getSupportedVersions", kAnyone, &D::get_supported_versions},
    {"firmware-management", "status", kAnyone, &D::firmware_status},
    {"firmware-management", "upgrade", kAdmin, &D::upgrade},
    {"firmware-management", "rollback", kAdmin, &D::rollback},
    {"firmware-management", "factoryDefault", kAdmin, &D::factory_default},
    {"firmware-management", "reboot", kAdmin, &D::reboot},
    {"firmware-management", "getSupportedVersions", kAnyone, &D::get_supported_versions},
    {"app-management", "list", kAnyone, &D::list_apps},
    {"app-management", "install", kAdmin, &D::install_app},
    {"app-management", "remove", kAdmin, &D::remove_app},
    {"app-management", "getSupportedVersions", kAnyone, &D::get_supported_versions},
    {"parameters", "get", kAnyone, &D::get_parameter},
    {"parameters", "set", kAdmin, &D::set_parameter},
    {"parameters", "getSupportedVersions", kAnyone, &D::get_supported_versions},
    {"system-ready", kSystemReady, kAnyone, &D::system_ready},
    {"system-ready", "getSupportedVersions", kAnyone, &D::get_supported_versions},
    {"local-admin", "login", kAnyone, &D::login},
    {"local-admin", "logout", kAdmin, &D::logout},
    {"local-admin", "getSupportedVersions", kAnyone, &D::get_supported_versions},
}};

// The request's envelope, as far as it could be read; what the reply echoes.
struct Envelope {
  std::optional<std::string> api_version;
  std::optional<std::string> context;
  const Method* method = nullptr;
  const Json* params = nullptr;
};

Out reply(const LocalApiDescription* api, const Envelope& envelope, Outcome outcome) {
  Out out;
  const std::vector<std::string_view> versions =
      api != nullptr ? versions_of(*api) : std::vector<std::string_view>{"1.0"};
  out["apiVersion"] = envelope.api_version.value_or(std::string(versions.back()));
  if (envelope.context) out["context"] = *envelope.context;
  if (envelope.method != nullptr) out["method"] = envelope.method->name;
  if (auto* error = std::get_if<LocalError>(&outcome)) {
    out["error"] = Out{{"code", static_cast<int>(error->code)}, {"message", error->message}};
  } else {
    out["data"] = std::move(std::get<Out>(outcome));
  }
  return out;
}

// Reads the envelope's fields into `envelope`; an error for the first one out of shape.
std::optional<LocalError> read_envelope(const Json& body, const LocalApiDescription& api,
                                        Envelope& envelope) {
  const LocalErrorCode malformed = LocalErrorCode::kMalformedEnvelope;
  for (const auto& item : body.items()) {
    if (std::find(std::begin(kEnvelopeKeys), std::end(kEnvelopeKeys), item.key()) ==
        std::end(kEnvelopeKeys)) {
      return fail(malformed, shown(item.key()) +
                                 ": unknown; expected only apiVersion, context, method, params");
    }
  }
  if (const auto context = body.find("context"); context != body.end()) {
    if (!context->is_string() ||
        context->get_ref<const std::string&>().size() > kLocalContextBytesMax) {
      return fail(malformed, "context: expected a string of at most " +
                                 std::to_string(kLocalContextBytesMax) + " bytes");
    }
    envelope.context = context->get<std::string>();
  }
  const auto version = body.find("apiVersion");
  if (version == body.end() || !version->is_string()) {
    return fail(malformed, "apiVersion: expected a string such as \"1.0\"");
  }
  const auto asked = parse_api_version(version->get_ref<const std::string&>());
  if (!asked) return fail(malformed, "apiVersion: expected major.minor, such as \"1.0\"");
  envelope.api_version = version->get<std::string>();
  if (!version_served(api, *asked)) {
    std::string offered;
    for (const std::string_view v : versions_of(api))
      offered += (offered.empty() ? "" : ", ") + std::string(v);
    return fail(LocalErrorCode::kUnsupportedVersion,
                "apiVersion " + shown(*envelope.api_version) + " is not served by " +
                    std::string(api.id) + "; it serves " + offered);
  }
  const auto method = body.find("method");
  if (method == body.end() || !method->is_string() ||
      method->get_ref<const std::string&>().size() > kMethodNameBytesMax) {
    return fail(malformed, "method: expected a string");
  }
  envelope.method = D::find(api.id, method->get_ref<const std::string&>());
  if (envelope.method == nullptr) {
    return fail(LocalErrorCode::kUnknownMethod, "method " + shown(method->get<std::string>()) +
                                                    " is not a method of " + std::string(api.id));
  }
  if (const auto params = body.find("params"); params != body.end()) {
    if (!params->is_object()) return bad_params("params: expected an object");
    envelope.params = &*params;
  }
  return std::nullopt;
}

std::string dumped(const Out& out) {
  return out.dump(-1, ' ', false, Out::error_handler_t::replace);
}

}  // namespace

const Method* LocalApi::Dispatch::find(std::string_view api, std::string_view name) {
  for (const Method& method : kMethods) {
    if (method.api == api && method.name == name) return &method;
  }
  return nullptr;
}

std::string LocalApi::Dispatch::handle(LocalApi& device, core::Time now,
                                       const LocalRequest& request, LocalEffects& effects) {
  ++device.metrics_.requests;
  const LocalApiDescription* api =
      request.path.size() <= kLocalPathBytesMax ? find_api(request.path) : nullptr;
  Envelope envelope;
  const auto answer = [&](Outcome outcome) {
    if (std::holds_alternative<LocalError>(outcome)) ++device.metrics_.errors;
    return dumped(reply(api, envelope, std::move(outcome)));
  };
  if (request.body.size() > kLocalRequestBytesMax) {
    return answer(fail(LocalErrorCode::kRequestTooLarge,
                       "request of " + std::to_string(request.body.size()) + " bytes; at most " +
                           std::to_string(kLocalRequestBytesMax)));
  }
  if (api == nullptr) {
    return answer(fail(LocalErrorCode::kUnknownApi, "no API at " + shown(request.path)));
  }
  if (core::json_nesting_depth(request.body, kLocalRequestNestingMax) > kLocalRequestNestingMax) {
    return answer(fail(LocalErrorCode::kRequestTooLarge,
                       "request nested deeper than " + std::to_string(kLocalRequestNestingMax)));
  }
  auto body = parse_body(request.body);
  if (auto* e = std::get_if<LocalError>(&body)) return answer(std::move(*e));
  const Json& object = std::get<Json>(body);
  if (auto e = read_envelope(object, *api, envelope)) return answer(std::move(*e));
  const Method& method = *envelope.method;
  if (!device.firmware_.ready() && method.name != kSystemReady) {
    return answer(fail(LocalErrorCode::kNotReady, "the device is rebooting"));
  }
  if (method.access == Access::kAdministrator && request.granted != Access::kAdministrator &&
      !device.session_valid(now, request.session)) {
    return answer(fail(LocalErrorCode::kUnauthorized,
                       std::string(method.name) + " needs the local administrator; log in first"));
  }
  static const Json kNoParams = Json::object();
  const Call call{now,
                  *api,
                  *parse_api_version(*envelope.api_version),
                  envelope.params != nullptr ? *envelope.params : kNoParams,
                  request.session,
                  effects};
  Outcome outcome = method.handler(device, call);
  std::string text = answer(std::move(outcome));
  device.advance_firmware(now, effects);  // after the reply: a reboot starts once it is sent
  return text;
}

Outcome LocalApi::Dispatch::get_api_list(LocalApi&, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  Out list = Out::array();
  for (const LocalApiDescription& api : kLocalApis) {
    Out versions = Out::array();
    for (const std::string_view v : versions_of(api)) versions.push_back(v);
    list.push_back(Out{{"id", api.id},
                       {"name", api.name},
                       {"path", std::string(kLocalApiPathPrefix) + std::string(api.id)},
                       {"versions", std::move(versions)}});
  }
  return Out{{"apiList", std::move(list)}};
}

Outcome LocalApi::Dispatch::get_supported_versions(LocalApi&, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  Out versions = Out::array();
  for (const std::string_view v : versions_of(call.api)) versions.push_back(v);
  return Out{{"apiVersions", std::move(versions)}};
}

Outcome LocalApi::Dispatch::get_all_properties(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  const DeviceModel& model = *device.model_;
  Out properties{{"serialNumber", device.serial_},
                 {"model", model.name},
                 {"deviceKind", device_kind_name(model.kind)},
                 {"tier", model.tier},
                 {"firmwareVersion", device.firmware_.running().text()},
                 {"ptz", model.ptz},
                 {"sdCardSlots", model.sd_card.slots}};
  if (call.version.minor >= 1) {
    properties["osTrack"] = device.firmware_.track();
    properties["capabilities"] = model.capabilities;
  }
  return Out{{"propertyList", std::move(properties)}};
}

Outcome LocalApi::Dispatch::firmware_status(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  const DeviceFirmware& firmware = device.firmware_;
  Out status{{"activeFirmwareVersion", firmware.running().text()},
             {"activeTrack", firmware.track()},
             {"phase", firmware_phase_name(firmware.phase())}};
  if (firmware.previous()) status["inactiveFirmwareVersion"] = firmware.previous()->text();
  if (firmware.pending()) status["pendingFirmwareVersion"] = firmware.pending()->version.text();
  if (const auto& last = firmware.last_report()) {
    Out result{{"outcome", firmware_outcome_name(last->outcome)},
               {"firmwareVersion", last->target.text()}};
    if (last->error) {
      result["error"] = firmware_error_code_name(last->error->code);
      result["message"] = last->error->message;
    }
    status["lastResult"] = std::move(result);
  }
  return status;
}

Outcome LocalApi::Dispatch::upgrade(LocalApi& device, const Call& call) {
  auto read = image_param(call.params);
  if (auto* e = std::get_if<LocalError>(&read)) return *e;
  FirmwareImage& image = std::get<FirmwareImage>(read);
  DeviceFirmware& firmware = device.firmware_;
  if (firmware.busy()) {
    return fail(LocalErrorCode::kFirmwareBusy, "an upgrade, rollback or reboot is under way");
  }
  if (auto e = check_image_shape(image)) return from_firmware(*e);
  if (image.model != firmware.model()) {
    return fail(LocalErrorCode::kFirmwareWrongModel,
                "image is for model " + image.model + ", this device is " + firmware.model());
  }
  // The image came with the request: check it before taking it, as a device checks an upload.
  if (auto e = device.verifier_->verify(image)) return from_firmware(*e);
  const std::string target = image.version.text();
  if (auto e = firmware.start_upgrade(call.now, std::move(image), core::Duration::zero())) {
    return from_firmware(*e);
  }
  return Out{{"firmwareVersion", target}};
}

Outcome LocalApi::Dispatch::rollback(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  DeviceFirmware& firmware = device.firmware_;
  if (auto e = firmware.rollback(call.now)) return from_firmware(*e);
  return Out{{"firmwareVersion", firmware.previous()->text()}};
}

Outcome LocalApi::Dispatch::factory_default(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  if (auto e = device.firmware_.reboot(call.now, RebootCause::kFactoryDefault)) {
    return from_firmware(*e);
  }
  // Settings and apps go; the firmware and the local administrator credential stay.
  device.apps_.clear();
  device.overlay_text_.clear();
  device.login_failures_ = 0;
  device.locked_until_ = core::Time{};
  device.event(call.effects, local_event(LocalEventKind::kFactoryDefaulted, call.now));
  return Out::object();
}

Outcome LocalApi::Dispatch::reboot(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  if (auto e = device.firmware_.reboot(call.now, RebootCause::kRequested)) return from_firmware(*e);
  return Out::object();
}

Outcome LocalApi::Dispatch::list_apps(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  Out apps = Out::array();
  for (const InstalledApp& app : device.apps_) apps.push_back(app_json(app));
  return Out{{"apps", std::move(apps)}};
}

Outcome LocalApi::Dispatch::install_app(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {"name", "version"})) return *e;
  auto name = string_param(call.params, "params", "name", kAppNameCharsMax);
  if (auto* e = std::get_if<LocalError>(&name)) return *e;
  auto version = string_param(call.params, "params", "version", kAppVersionCharsMax);
  if (auto* e = std::get_if<LocalError>(&version)) return *e;
  InstalledApp app{std::move(std::get<std::string>(name)),
                   std::move(std::get<std::string>(version))};
  if (!app_name_valid(app.name)) {
    return bad_params("params.name: expected 1.." + std::to_string(kAppNameCharsMax) +
                      " characters of a-z 0-9 _ -, a letter first");
  }
  if (!app_version_valid(app.version)) {
    return bad_params("params.version: expected characters of A-Z a-z 0-9 . -");
  }
  auto& apps = device.apps_;
  const auto at =
      std::lower_bound(apps.begin(), apps.end(), app.name,
                       [](const InstalledApp& a, const std::string& n) { return a.name < n; });
  if (at != apps.end() && at->name == app.name) {
    at->version = app.version;  // a reinstall replaces the version
  } else if (apps.size() >= kInstalledAppsMax) {
    return fail(LocalErrorCode::kAppsFull,
                std::to_string(kInstalledAppsMax) + " apps installed; remove one first");
  } else {
    apps.insert(at, app);
  }
  LocalEvent e = local_event(LocalEventKind::kAppInstalled, call.now);
  e.app = app.name;
  e.version = app.version;
  device.event(call.effects, std::move(e));
  return app_json(app);
}

Outcome LocalApi::Dispatch::remove_app(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {"name"})) return *e;
  auto name = string_param(call.params, "params", "name", kAppNameCharsMax);
  if (auto* e = std::get_if<LocalError>(&name)) return *e;
  const std::string& app = std::get<std::string>(name);
  auto& apps = device.apps_;
  const auto at =
      std::find_if(apps.begin(), apps.end(), [&](const InstalledApp& a) { return a.name == app; });
  if (at == apps.end()) return fail(LocalErrorCode::kAppNotInstalled, "no app " + shown(app));
  LocalEvent e = local_event(LocalEventKind::kAppRemoved, call.now);
  e.app = at->name;
  e.version = at->version;
  apps.erase(at);
  device.event(call.effects, std::move(e));
  return Out{{"name", app}};
}

Outcome LocalApi::Dispatch::get_parameter(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {"name"})) return *e;
  auto name = string_param(call.params, "params", "name", kMethodNameBytesMax);
  if (auto* e = std::get_if<LocalError>(&name)) return *e;
  if (std::get<std::string>(name) != kOverlayTextParameter) {
    return bad_params("params.name: unknown parameter; expected " +
                      std::string(kOverlayTextParameter));
  }
  return Out{{"name", kOverlayTextParameter}, {"value", device.overlay_text_}};
}

Outcome LocalApi::Dispatch::set_parameter(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {"name", "value"})) return *e;
  auto name = string_param(call.params, "params", "name", kMethodNameBytesMax);
  if (auto* e = std::get_if<LocalError>(&name)) return *e;
  if (std::get<std::string>(name) != kOverlayTextParameter) {
    return bad_params("params.name: unknown parameter; expected " +
                      std::string(kOverlayTextParameter));
  }
  const auto value = call.params.find("value");
  if (value == call.params.end() || !value->is_string()) {
    return bad_params("params.value: expected a string");
  }
  const auto& text = value->get_ref<const std::string&>();
  if (!overlay_text_valid(text)) {
    return bad_params("params.value: expected at most " + std::to_string(kOverlayTextBytesMax) +
                      " bytes and no control characters, got " + std::to_string(text.size()) +
                      " bytes");
  }
  device.overlay_text_ = text;
  return Out{{"name", kOverlayTextParameter}, {"value", text}};
}

Outcome LocalApi::Dispatch::system_ready(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  const bool ready = device.firmware_.ready();
  Out data{{"systemready", ready ? "yes" : "no"}, {"needsetup", "no"}};
  if (ready) {
    data["uptime"] = whole_seconds(call.now - device.booted_at_);
    data["bootId"] = device.firmware_.boots();
  }
  return data;
}

Outcome LocalApi::Dispatch::login(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {"user", "password"})) return *e;
  auto user = string_param(call.params, "params", "user", kLocalUserBytesMax);
  if (auto* e = std::get_if<LocalError>(&user)) return *e;
  auto password = string_param(call.params, "params", "password", kLocalPasswordBytesMax);
  if (auto* e = std::get_if<LocalError>(&password)) return *e;
  if (call.now < device.locked_until_) {
    return fail(LocalErrorCode::kLoginLocked,
                "too many failed logins; try again in " +
                    std::to_string(whole_seconds(device.locked_until_ - call.now) + 1) + " s");
  }
  const std::string digest = core::sha256(std::get<std::string>(password));
  const bool password_ok =
      CRYPTO_memcmp(digest.data(), device.administrator_password_digest_.data(),
                    core::kSha256Bytes) == 0;
  if (!password_ok || std::get<std::string>(user) != device.administrator_user_) {
    ++device.metrics_.logins_failed;
    if (++device.login_failures_ >= kLoginFailuresMax) {
      device.login_failures_ = 0;
      device.locked_until_ = call.now + kLoginLockout;
    }
    return fail(LocalErrorCode::kLoginFailed, "wrong user or password");
  }
  device.login_failures_ = 0;
  ++device.metrics_.logins;
  device.prune_sessions(call.now);
  if (device.sessions_.size() >= kLocalSessionsMax) {
    // All sessions live equally long, so the one expiring first is the oldest.
    const auto oldest =
        std::min_element(device.sessions_.begin(), device.sessions_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    device.sessions_.erase(oldest);
  }
  std::string token;
  do {
    token = core::hex(core::random_bytes(device.random_, kSessionTokenBytes));
  } while (device.sessions_.contains(token));
  device.sessions_.emplace(token, call.now + kLocalSessionLifetime);
  device.event(call.effects, local_event(LocalEventKind::kLocalAdministratorLogin, call.now));
  return Out{{"session", token}, {"expiresInSeconds", whole_seconds(kLocalSessionLifetime)}};
}

Outcome LocalApi::Dispatch::logout(LocalApi& device, const Call& call) {
  if (auto e = only_keys(call.params, "params", {})) return *e;
  device.sessions_.erase(std::string(call.session));
  return Out::object();
}

// ---------------------------------------------------------------------------------------------
// LocalApi

LocalApi::LocalApi(std::string serial, const DeviceModel& model, OsVersion running,
                   const FirmwareVerifier& verifier, const LocalAdministrator& administrator,
                   core::RandomStream random)
    : serial_(std::move(serial)),
      model_(&model),
      firmware_(model.name, running, verifier, upgrade_durations(model)),
      verifier_(&verifier),
      administrator_user_(administrator.user),
      administrator_password_digest_(core::sha256(administrator.password)),
      random_(random) {
  assert(!serial_.empty());
  assert(!administrator.user.empty() && administrator.user.size() <= kLocalUserBytesMax);
  assert(!administrator.password.empty() &&
         administrator.password.size() <= kLocalPasswordBytesMax);
}

std::string LocalApi::handle(core::Time now, const LocalRequest& request, LocalEffects& effects) {
  return Dispatch::handle(*this, now, request, effects);
}

void LocalApi::on_wakeup(core::Time now, LocalEffects& effects) {
  advance_firmware(now, effects);
}

std::optional<FirmwareError> LocalApi::start_upgrade(core::Time now, FirmwareImage image,
                                                     core::Duration download,
                                                     LocalEffects& effects) {
  if (auto e = firmware_.start_upgrade(now, std::move(image), download)) return e;
  advance_firmware(now, effects);
  return std::nullopt;
}

// Moves the firmware through every step due by `now` and tells the caller what came of it:
// reboots starting and ending, versions installed or refused, and the next wake-up.
void LocalApi::advance_firmware(core::Time now, LocalEffects& effects) {
  const std::optional<FirmwareReport> report = firmware_.on_wakeup(now);
  const bool rebooted = firmware_.boots() != boots_seen_;
  if (ready_seen_ && (rebooted || !firmware_.ready())) {
    // When it went down: a late wake-up may find the reboot under way, or already over.
    const core::Time up_at = rebooted ? report->at : *firmware_.deadline();
    forget_sessions();
    event(effects,
          local_event(LocalEventKind::kRebootStarted, up_at - firmware_.durations().reboot));
  }
  if (rebooted) {
    assert(report);
    booted_at_ = report->at;
    event(effects, local_event(LocalEventKind::kRebootFinished, report->at));
  }
  ready_seen_ = firmware_.ready();
  boots_seen_ = firmware_.boots();
  if (report) {
    LocalEvent e = local_event(LocalEventKind::kOsInstalled, report->at);
    switch (report->outcome) {
      case FirmwareOutcome::kUpgraded:
      case FirmwareOutcome::kRolledBack:
        e.version = report->running.text();
        e.os_track = std::string(track_of(report->running));
        event(effects, std::move(e));
        break;
      case FirmwareOutcome::kUpgradeFailed:
        e.kind = LocalEventKind::kOsUpgradeFailed;
        e.version = report->target.text();
        e.reason = report->error ? report->error->message : "";
        event(effects, std::move(e));
        break;
      case FirmwareOutcome::kRebooted:
        break;
    }
  }
  const std::optional<core::Time> deadline = firmware_.deadline();
  if (deadline && deadline != wakeup_asked_) effects.wakeups.push_back(*deadline);
  wakeup_asked_ = deadline;
}

void LocalApi::prune_sessions(core::Time now) {
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second <= now; });
}

bool LocalApi::session_valid(core::Time now, std::string_view session) {
  if (session.empty()) return false;
  prune_sessions(now);
  return sessions_.find(session) != sessions_.end();
}

void LocalApi::event(LocalEffects& effects, LocalEvent e) const {
  e.serial = serial_;
  effects.events.push_back(std::move(e));
}

void LocalApi::forget_sessions() {
  sessions_.clear();
}

}  // namespace ccsim::devices
