// A device's local HTTP API in the VAPIX style: each API lives at its own path and takes one JSON
// envelope per request,
//
//   request:  {"apiVersion": "1.0", "context": "c1", "method": "getAllProperties", "params": {}}
//   reply:    {"apiVersion": "1.0", "context": "c1", "method": "...", "data": {...}}
//             {"apiVersion": "1.0", "context": "c1", "method": "...",
//              "error": {"code": 2000, "message": "..."}}
//
// `context` is the caller's own text, echoed back; `params` may be left out when a method takes
// none. APIs (path "/api/<id>") and methods; (A) needs the local administrator:
//
//   api-discovery        1.0       getApiList, getSupportedVersions
//   basic-device-info    1.0, 1.1  getAllProperties (1.1 adds osTrack and capabilities),
//                                  getSupportedVersions
//   firmware-management  1.0       status, upgrade (A) {image}, rollback (A),
//                                  factoryDefault (A), reboot (A), getSupportedVersions
//   app-management       1.0       list, install (A) {name, version}, remove (A) {name},
//                                  getSupportedVersions
//   parameters           1.0       get {name}, set (A) {name, value}, getSupportedVersions
//   system-ready         1.0       systemready, getSupportedVersions
//   local-admin          1.0       login {user, password}, logout (A), getSupportedVersions
//
// An upgrade's image is {"model", "version": "11.11.120", "size": bytes, "digest": 64 hex,
// "signature": 128 hex}. A request asks for an API version "M.m"; it is served when the API has
// version M.n with n >= m, and the reply carries the version asked for.
//
// Error codes (LocalErrorCode):
//   1000 invalid JSON: not JSON, not an object, or a key repeated in one object
//   1001 unknown method for this API
//   1002 bad params: not an object, a key missing, unknown, of the wrong type or out of range
//   1003 unsupported apiVersion for this API
//   1004 request over kLocalRequestBytesMax bytes, or nested deeper than kLocalRequestNestingMax
//   1005 malformed envelope: apiVersion or method missing or not a string, apiVersion not
//        "M.m", context not a string or over kLocalContextBytesMax, an unknown top-level key
//   1006 unknown API (path)
//   2000 unauthorized: the method needs the local administrator; no valid session
//   2001 login failed: wrong user or password
//   2002 login locked: kLoginFailuresMax failures in a row; wait kLoginLockout
//   3000 firmware signature invalid (a tampered image, or another vendor's key)
//   3001 firmware image malformed (sizes, digest or signature length, download too long)
//   3002 firmware image for another model
//   3003 firmware busy: an upgrade, rollback or reboot is under way
//   3004 no previous firmware to roll back to
//   4000 app not installed
//   4001 apps full: kInstalledAppsMax installed
//   5000 not ready: the device is rebooting (only systemready answers)
//
// Authentication: a request carries a session from login (as an HTTP client carries a cookie),
// or is granted administrator access by its transport: the device host's own task engine, or a
// platform tunnel configured for administrator access (ONVIF Uplink's habit). Logging in is the
// "local administrator used" side effect the platform must learn of; granted access is not.
//
// Side effects the platform must learn of are returned as LocalEvents for the caller to forward
// through the device agent (DeviceAgent::use_local_administrator, install_app, install_os).
// Sans-IO: the caller wakes the device at each time in LocalEffects::wakeups and ignores stale
// ones; session tokens are drawn from the device's own random stream.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "devices/firmware.h"
#include "devices/model_catalog.h"

namespace ccsim::devices {

// Limits.
inline constexpr std::size_t kLocalRequestBytesMax = 16 * 1024;
inline constexpr std::size_t kLocalRequestNestingMax = 8;  // the deepest valid request nests 3
inline constexpr std::size_t kLocalContextBytesMax = 128;
inline constexpr std::size_t kLocalPathBytesMax = 128;
inline constexpr std::size_t kLocalSessionsMax = 8;  // past this the oldest session is dropped
inline constexpr core::Duration kLocalSessionLifetime = std::chrono::minutes(30);
inline constexpr std::uint32_t kLoginFailuresMax = 5;
inline constexpr core::Duration kLoginLockout = std::chrono::minutes(5);
inline constexpr std::size_t kLocalUserBytesMax = 64;
inline constexpr std::size_t kLocalPasswordBytesMax = 128;
inline constexpr std::size_t kInstalledAppsMax = 16;
inline constexpr std::size_t kAppNameCharsMax = 32;     // [a-z0-9_-], a letter first
inline constexpr std::size_t kAppVersionCharsMax = 16;  // [A-Za-z0-9.-]
inline constexpr std::size_t kOverlayTextBytesMax = 128;
inline constexpr std::size_t kSessionTokenBytes = 16;  // written as 32 hex characters

inline constexpr std::string_view kLocalApiPathPrefix = "/api/";
inline constexpr std::string_view kOverlayTextParameter = "Overlay.Text";

enum class LocalErrorCode : std::uint16_t {
  kInvalidJson = 1000,
  kUnknownMethod = 1001,
  kBadParams = 1002,
  kUnsupportedVersion = 1003,
  kRequestTooLarge = 1004,
  kMalformedEnvelope = 1005,
  kUnknownApi = 1006,
  kUnauthorized = 2000,
  kLoginFailed = 2001,
  kLoginLocked = 2002,
  kFirmwareSignatureInvalid = 3000,
  kFirmwareMalformed = 3001,
  kFirmwareWrongModel = 3002,
  kFirmwareBusy = 3003,
  kNoPreviousFirmware = 3004,
  kAppNotInstalled = 4000,
  kAppsFull = 4001,
  kNotReady = 5000,
};

// One API as discovery lists it.
struct LocalApiDescription {
  std::string_view id;  // its path is kLocalApiPathPrefix + id
  std::string_view name;
  std::array<std::string_view, 2> versions;  // oldest first; unused slots empty
};
inline constexpr std::array<LocalApiDescription, 7> kLocalApis = {{
    {"api-discovery", "API discovery", {"1.0", ""}},
    {"basic-device-info", "Basic device information", {"1.0", "1.1"}},
    {"firmware-management", "Firmware management", {"1.0", ""}},
    {"app-management", "Application management", {"1.0", ""}},
    {"parameters", "Parameters", {"1.0", ""}},
    {"system-ready", "System ready", {"1.0", ""}},
    {"local-admin", "Local administrator", {"1.0", ""}},
}};

enum class Access : std::uint8_t { kAnonymous, kAdministrator };

struct LocalRequest {
  std::string_view path;                // "/api/firmware-management"
  std::string_view body;                // one JSON envelope
  std::string_view session;             // a token from login; empty: none
  Access granted = Access::kAnonymous;  // by the transport; see the header comment
};

enum class LocalEventKind : std::uint8_t {
  kLocalAdministratorLogin,  // -> DeviceAgent::use_local_administrator
  kAppInstalled,             // -> DeviceAgent::install_app (also a reinstall at a new version)
  kAppRemoved,
  kOsInstalled,      // an upgrade or rollback finished -> DeviceAgent::install_os
  kOsUpgradeFailed,  // refused after download, or failed to install; `reason` says why
  kFactoryDefaulted,
  kRebootStarted,   // the device stops serving (and its connections drop)
  kRebootFinished,  // ready again
};
std::string_view local_event_kind_name(LocalEventKind kind);

struct LocalEvent {
  LocalEventKind kind = LocalEventKind::kLocalAdministratorLogin;
  core::Time at{};
  std::string serial;
  std::string app;       // app events
  std::string version;   // the app's, or the OS version installed or attempted
  std::string os_track;  // kOsInstalled
  std::string reason;    // kOsUpgradeFailed

  friend bool operator==(const LocalEvent&, const LocalEvent&) = default;
};

// What the device asks of its caller after one input, as core::Outbox does for frames.
struct LocalEffects {
  std::vector<LocalEvent> events;
  std::vector<core::Time> wakeups;

  void clear() {
    events.clear();
    wakeups.clear();
  }
  bool empty() const { return events.empty() && wakeups.empty(); }
};

struct LocalAdministrator {
  std::string user;
  std::string password;
};

struct InstalledApp {
  std::string name;
  std::string version;
  friend bool operator==(const InstalledApp&, const InstalledApp&) = default;
};

struct LocalApiMetrics {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint32_t logins = 0;
  std::uint32_t logins_failed = 0;
};

class LocalApi {
 public:
  // `model` and `verifier` must outlive this; `administrator` is the device's local administrator
  // credential (1..kLocalUserBytesMax, 1..kLocalPasswordBytesMax); `random` is its own stream.
  LocalApi(std::string serial, const DeviceModel& model, OsVersion running,
           const FirmwareVerifier& verifier, const LocalAdministrator& administrator,
           core::RandomStream random);

  // Answers one request with one reply envelope; never throws on any input.
  std::string handle(core::Time now, const LocalRequest& request, LocalEffects& effects);
  void on_wakeup(core::Time now, LocalEffects& effects);

  // A platform-driven upgrade: the device host fetches the image over its link, taking
  // `download` (download_duration() of its size and the link's bandwidth).
  std::optional<FirmwareError> start_upgrade(core::Time now, FirmwareImage image,
                                             core::Duration download, LocalEffects& effects);

  const std::string& serial() const { return serial_; }
  const DeviceModel& model() const { return *model_; }
  // For reading state and injecting faults (DeviceFirmware::inject_install_failure).
  DeviceFirmware& firmware() { return firmware_; }
  const DeviceFirmware& firmware() const { return firmware_; }
  const std::vector<InstalledApp>& apps() const { return apps_; }  // by name
  const std::string& overlay_text() const { return overlay_text_; }
  std::size_t session_count() const { return sessions_.size(); }
  const LocalApiMetrics& metrics() const { return metrics_; }

  struct Dispatch;  // the method handlers, in local_api.cpp

 private:
  void advance_firmware(core::Time now, LocalEffects& effects);
  void prune_sessions(core::Time now);
  bool session_valid(core::Time now, std::string_view session);
  void event(LocalEffects& effects, LocalEvent e) const;
  void forget_sessions();

  std::string serial_;
  const DeviceModel* model_;
  DeviceFirmware firmware_;
  const FirmwareVerifier* verifier_;
  std::string administrator_user_;
  std::string administrator_password_digest_;  // SHA-256
  core::RandomStream random_;
  std::vector<InstalledApp> apps_;
  std::string overlay_text_;
  std::map<std::string, core::Time, std::less<>> sessions_;  // token -> expiry
  std::uint32_t login_failures_ = 0;
  core::Time locked_until_{};
  core::Time booted_at_{};
  // What the caller was last told: readiness, boots and the wake-up asked for.
  bool ready_seen_ = true;
  std::uint32_t boots_seen_ = 0;
  std::optional<core::Time> wakeup_asked_;
  LocalApiMetrics metrics_;
};

}  // namespace ccsim::devices
