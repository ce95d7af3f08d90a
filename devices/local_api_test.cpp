// The local API on its own: requests are written as JSON text, replies parsed and checked, and
// every effect (events for the platform, wake-ups) looked at after each input.
#include "devices/local_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "core/digest.h"

namespace ccsim::devices {
namespace {

using namespace std::chrono_literals;
using core::Time;
using Json = nlohmann::json;

constexpr std::string_view kSerial = "ACCC8E000042";
const LocalAdministrator kAdministrator{"root", "correct horse battery staple"};

DeviceModel bullet_model() {
  DeviceModel model;
  model.name = "tier1-bullet";
  model.capabilities = {"motion_detection", "video", "webrtc"};
  model.sd_card = {1, 1'000'000'000'000};
  model.install_duration = 40s;
  model.reboot_duration = 75s;
  return model;
}

Json envelope(std::string_view method, Json params = nullptr, std::string_view version = "1.0") {
  Json e{{"apiVersion", version}, {"context", "ctx-1"}, {"method", method}};
  if (!params.is_null()) e["params"] = std::move(params);
  return e;
}

std::string api(std::string_view id) {
  return std::string(kLocalApiPathPrefix) + std::string(id);
}

struct Device {
  DeviceModel model = bullet_model();
  FirmwareSigner signer{core::RandomStream(5, 99)};
  FirmwareVerifier verifier{signer.public_key()};
  LocalApi device{std::string(kSerial),   model,
                  OsVersion{11, 11, 100}, verifier,
                  kAdministrator,         core::RandomStream(5, 1'000'000)};
  LocalEffects effects;
  std::string session;

  // Sends `body` as text to `path` and parses the reply. Each request clears `effects` first.
  Json raw(std::string_view path, std::string_view body, Time now = 1s,
           Access granted = Access::kAnonymous) {
    effects.clear();
    const std::string reply = device.handle(now, {path, body, session, granted}, effects);
    return Json::parse(reply);
  }
  Json call(std::string_view id, const Json& body, Time now = 1s) {
    return raw(api(id), body.dump(), now);
  }
  // Logs in as the local administrator and keeps the session for later calls.
  void login(Time now = 1s) {
    const Json reply = call(
        "local-admin",
        envelope("login", {{"user", kAdministrator.user}, {"password", kAdministrator.password}}),
        now);
    ASSERT_TRUE(reply.contains("data")) << reply.dump();
    session = reply["data"]["session"].get<std::string>();
  }
  Json image(OsVersion version, std::string model_name = "tier1-bullet") const {
    const FirmwareImage i =
        signer.sign(model_name, version, 95'000'000, core::sha256("image " + version.text()));
    return image_json(i);
  }
  static Json image_json(const FirmwareImage& i) {
    return Json{{"model", i.model},
                {"version", i.version.text()},
                {"size", i.size_bytes},
                {"digest", core::hex(i.digest)},
                {"signature", core::hex(i.signature)}};
  }
};

void expect_error(const Json& reply, LocalErrorCode code) {
  ASSERT_TRUE(reply.contains("error")) << reply.dump();
  EXPECT_FALSE(reply.contains("data")) << reply.dump();
  EXPECT_EQ(reply["error"]["code"].get<int>(), static_cast<int>(code)) << reply.dump();
  EXPECT_FALSE(reply["error"]["message"].get<std::string>().empty());
}

const Json& data(const Json& reply) {
  static const Json kNone;
  EXPECT_TRUE(reply.contains("data")) << reply.dump();
  EXPECT_FALSE(reply.contains("error")) << reply.dump();
  return reply.contains("data") ? reply.at("data") : kNone;
}

std::vector<LocalEventKind> kinds(const LocalEffects& effects) {
  std::vector<LocalEventKind> out;
  for (const LocalEvent& e : effects.events) out.push_back(e.kind);
  return out;
}

// --- Discovery, device info, system ready --------------------------------------------------------

TEST(LocalApi, DiscoveryListsEveryApiWithItsVersions) {
  Device d;
  const Json reply = d.call("api-discovery", envelope("getApiList"));
  EXPECT_EQ(reply["apiVersion"], "1.0");
  EXPECT_EQ(reply["context"], "ctx-1");
  EXPECT_EQ(reply["method"], "getApiList");
  const Json& list = data(reply)["apiList"];
  ASSERT_EQ(list.size(), kLocalApis.size());
  EXPECT_EQ(list[1]["id"], "basic-device-info");
  EXPECT_EQ(list[1]["path"], "/api/basic-device-info");
  EXPECT_EQ(list[1]["versions"], Json::array({"1.0", "1.1"}));
  EXPECT_EQ(list[2]["versions"], Json::array({"1.0"}));
  // Every listed API answers at its path.
  for (const Json& entry : list) {
    const Json versions =
        d.raw(entry["path"].get<std::string>(), envelope("getSupportedVersions").dump());
    EXPECT_EQ(data(versions)["apiVersions"], entry["versions"]) << entry.dump();
  }
  EXPECT_TRUE(d.effects.empty());
}

TEST(LocalApi, ReplyKeepsTheEnvelopeOrder) {
  Device d;
  const std::string reply =
      d.device.handle(1s, {api("system-ready"), envelope("systemready").dump(), "", {}}, d.effects);
  EXPECT_EQ(
      reply.rfind(R"({"apiVersion":"1.0","context":"ctx-1","method":"systemready","data":)", 0), 0u)
      << reply;
}

TEST(LocalApi, DeviceInfoByApiVersion) {
  Device d;
  const Json v10 = data(d.call("basic-device-info", envelope("getAllProperties")))["propertyList"];
  EXPECT_EQ(v10["serialNumber"], kSerial);
  EXPECT_EQ(v10["model"], "tier1-bullet");
  EXPECT_EQ(v10["deviceKind"], "camera");
  EXPECT_EQ(v10["tier"], 1);
  EXPECT_EQ(v10["firmwareVersion"], "11.11.100");
  EXPECT_EQ(v10["ptz"], false);
  EXPECT_EQ(v10["sdCardSlots"], 1);
  EXPECT_FALSE(v10.contains("osTrack"));
  const Json reply = d.call("basic-device-info", envelope("getAllProperties", nullptr, "1.1"));
  EXPECT_EQ(reply["apiVersion"], "1.1");
  const Json& v11 = data(reply)["propertyList"];
  EXPECT_EQ(v11["osTrack"], "lts-2024");
  EXPECT_EQ(v11["capabilities"], Json::array({"motion_detection", "video", "webrtc"}));
}

TEST(LocalApi, SystemReady) {
  Device d;
  const Json ready = data(d.call("system-ready", envelope("systemready"), 90s));
  EXPECT_EQ(ready["systemready"], "yes");
  EXPECT_EQ(ready["needsetup"], "no");
  EXPECT_EQ(ready["uptime"], 90);
  EXPECT_EQ(ready["bootId"], 0);
}

// --- Envelope errors -----------------------------------------------------------------------

TEST(LocalApi, EnvelopeErrors) {
  Device d;
  expect_error(d.raw(api("system-ready"), "{\"apiVersion\": "), LocalErrorCode::kInvalidJson);
  expect_error(d.raw(api("system-ready"), "[1, 2]"), LocalErrorCode::kInvalidJson);
  expect_error(d.raw(api("system-ready"), "\"text\""), LocalErrorCode::kInvalidJson);
  expect_error(d.raw(api("system-ready"), R"({"method": "a", "method": "b"})"),
               LocalErrorCode::kInvalidJson);
  expect_error(d.raw(api("system-ready"), "{\"context\": \"\xff\"}"), LocalErrorCode::kInvalidJson);

  expect_error(d.call("system-ready", envelope("reboot")), LocalErrorCode::kUnknownMethod);
  expect_error(d.call("system-ready", envelope("getApiList")), LocalErrorCode::kUnknownMethod);

  expect_error(d.call("system-ready", envelope("systemready", Json::array())),
               LocalErrorCode::kBadParams);
  expect_error(d.call("system-ready", envelope("systemready", {{"verbose", true}})),
               LocalErrorCode::kBadParams);

  expect_error(d.call("system-ready", envelope("systemready", nullptr, "2.0")),
               LocalErrorCode::kUnsupportedVersion);
  expect_error(d.call("system-ready", envelope("systemready", nullptr, "1.1")),
               LocalErrorCode::kUnsupportedVersion);
  EXPECT_TRUE(d.call("basic-device-info", envelope("getAllProperties", nullptr, "1.1"))
                  .contains("data"));  // served where the API has it

  expect_error(d.call("system-ready", envelope("systemready", nullptr, "one")),
               LocalErrorCode::kMalformedEnvelope);
  Json e = envelope("systemready");
  e.erase("apiVersion");
  expect_error(d.call("system-ready", e), LocalErrorCode::kMalformedEnvelope);
  e = envelope("systemready");
  e.erase("method");
  expect_error(d.call("system-ready", e), LocalErrorCode::kMalformedEnvelope);
  e = envelope("systemready");
  e["method"] = 7;
  expect_error(d.call("system-ready", e), LocalErrorCode::kMalformedEnvelope);
  e = envelope("systemready");
  e["context"] = std::string(kLocalContextBytesMax + 1, 'c');
  const Json long_context = d.call("system-ready", e);
  expect_error(long_context, LocalErrorCode::kMalformedEnvelope);
  EXPECT_FALSE(long_context.contains("context"));
  e = envelope("systemready");
  e["extra"] = 1;
  expect_error(d.call("system-ready", e), LocalErrorCode::kMalformedEnvelope);

  expect_error(d.call("no-such-api", envelope("systemready")), LocalErrorCode::kUnknownApi);
  expect_error(d.raw("/other/system-ready", envelope("systemready").dump()),
               LocalErrorCode::kUnknownApi);
  EXPECT_EQ(d.device.metrics().errors, d.device.metrics().requests - 1);
}

TEST(LocalApi, OversizeRequestIsRefusedBeforeParsing) {
  Device d;
  Json e = envelope("set", {{"name", "Overlay.Text"}, {"value", "x"}});
  e["context"] = "c";
  std::string body = e.dump();
  body.insert(1, std::string(kLocalRequestBytesMax, ' '));  // valid JSON, too big
  const Json reply = d.raw(api("parameters"), body);
  expect_error(reply, LocalErrorCode::kRequestTooLarge);
  EXPECT_FALSE(reply.contains("context"));  // not parsed, so nothing to echo
  expect_error(d.raw(api("parameters"), std::string(kLocalRequestNestingMax + 1, '[') +
                                            std::string(kLocalRequestNestingMax + 1, ']')),
               LocalErrorCode::kRequestTooLarge);
}

// --- Local administrator -------------------------------------------------------------------

TEST(LocalApi, LoginEmitsTheLocalAdministratorEvent) {
  Device d;
  d.login(3s);
  EXPECT_EQ(d.session.size(), 2 * kSessionTokenBytes);
  ASSERT_EQ(d.effects.events.size(), 1u);
  const LocalEvent& e = d.effects.events[0];
  EXPECT_EQ(e.kind, LocalEventKind::kLocalAdministratorLogin);
  EXPECT_EQ(e.at, 3s);
  EXPECT_EQ(e.serial, kSerial);
  EXPECT_EQ(local_event_kind_name(e.kind), "local_administrator_login");
  EXPECT_EQ(d.device.session_count(), 1u);
  EXPECT_EQ(d.device.metrics().logins, 1u);
  // The session lets administrator methods through, until it expires.
  EXPECT_TRUE(d.call("parameters", envelope("set", {{"name", "Overlay.Text"}, {"value", "a"}}))
                  .contains("data"));
  expect_error(d.call("parameters", envelope("set", {{"name", "Overlay.Text"}, {"value", "b"}}),
                      3s + kLocalSessionLifetime),
               LocalErrorCode::kUnauthorized);
}

TEST(LocalApi, WrongPasswordAndLockout) {
  Device d;
  const auto attempt = [&](const std::string& user, const std::string& password, Time now) {
    return d.call("local-admin", envelope("login", {{"user", user}, {"password", password}}), now);
  };
  expect_error(attempt("root", "wrong", 1s), LocalErrorCode::kLoginFailed);
  expect_error(attempt("admin", kAdministrator.password, 2s), LocalErrorCode::kLoginFailed);
  EXPECT_TRUE(d.effects.empty());  // a failed login is not a use of the account
  EXPECT_EQ(d.device.session_count(), 0u);
  for (Time t = 3s; t < 3s + std::chrono::seconds(kLoginFailuresMax - 2); t += 1s) {
    expect_error(attempt("root", "wrong", t), LocalErrorCode::kLoginFailed);
  }
  // Locked now, even with the right password.
  expect_error(attempt("root", kAdministrator.password, 10s), LocalErrorCode::kLoginLocked);
  const Time unlocked = 3s + std::chrono::seconds(kLoginFailuresMax - 3) + kLoginLockout;
  EXPECT_TRUE(attempt("root", kAdministrator.password, unlocked).contains("data"));
  EXPECT_EQ(d.device.metrics().logins_failed, kLoginFailuresMax);
  expect_error(attempt("", "x", unlocked), LocalErrorCode::kBadParams);
  expect_error(attempt("root", std::string(kLocalPasswordBytesMax + 1, 'p'), unlocked),
               LocalErrorCode::kBadParams);
  expect_error(d.call("local-admin", envelope("login", {{"user", "root"}})),
               LocalErrorCode::kBadParams);
}

TEST(LocalApi, AdministratorMethodsNeedASessionOrGrantedAccess) {
  Device d;
  const Json set = envelope("set", {{"name", "Overlay.Text"}, {"value", "Gate 3"}});
  expect_error(d.call("parameters", set), LocalErrorCode::kUnauthorized);
  d.session = "00000000000000000000000000000000";  // made up
  expect_error(d.call("parameters", set), LocalErrorCode::kUnauthorized);
  d.session.clear();
  for (const auto& [id, method] :
       {std::pair{"firmware-management", "upgrade"}, std::pair{"firmware-management", "rollback"},
        std::pair{"firmware-management", "reboot"},
        std::pair{"firmware-management", "factoryDefault"}, std::pair{"app-management", "install"},
        std::pair{"app-management", "remove"}, std::pair{"local-admin", "logout"}}) {
    expect_error(d.call(id, envelope(method)), LocalErrorCode::kUnauthorized);
  }
  // The device host's task engine, or an administrator tunnel: no login, so no login event.
  const Json reply = d.raw(api("parameters"), set.dump(), 1s, Access::kAdministrator);
  EXPECT_EQ(data(reply)["value"], "Gate 3");
  EXPECT_TRUE(d.effects.empty());
}

TEST(LocalApi, SessionsAreBoundedAndLogoutEndsOne) {
  Device d;
  std::vector<std::string> sessions;
  for (std::size_t i = 0; i <= kLocalSessionsMax; ++i) {
    d.login(Time(std::chrono::seconds(1 + i)));
    sessions.push_back(d.session);
  }
  EXPECT_EQ(d.device.session_count(), kLocalSessionsMax);
  d.session = sessions.front();  // the oldest was dropped
  expect_error(d.call("firmware-management", envelope("rollback"), 20s),
               LocalErrorCode::kUnauthorized);
  d.session = sessions.back();
  EXPECT_TRUE(d.call("local-admin", envelope("logout"), 20s).contains("data"));
  EXPECT_EQ(d.device.session_count(), kLocalSessionsMax - 1);
  expect_error(d.call("firmware-management", envelope("rollback"), 20s),
               LocalErrorCode::kUnauthorized);
}

// --- Parameters ----------------------------------------------------------------------------

TEST(LocalApi, TextOverlay) {
  Device d;
  d.login();
  EXPECT_EQ(data(d.call("parameters", envelope("get", {{"name", "Overlay.Text"}})))["value"], "");
  const std::string text = "Entrance \xc3\xa9st";  // UTF-8 is fine
  EXPECT_TRUE(d.call("parameters", envelope("set", {{"name", "Overlay.Text"}, {"value", text}}))
                  .contains("data"));
  EXPECT_EQ(d.device.overlay_text(), text);
  EXPECT_EQ(data(d.call("parameters", envelope("get", {{"name", "Overlay.Text"}})))["value"], text);
  const std::string longest(kOverlayTextBytesMax, 'x');
  EXPECT_TRUE(d.call("parameters", envelope("set", {{"name", "Overlay.Text"}, {"value", longest}}))
                  .contains("data"));
  EXPECT_TRUE(d.call("parameters", envelope("set", {{"name", "Overlay.Text"}, {"value", ""}}))
                  .contains("data"));

  for (const Json& bad :
       {Json{{"name", "Overlay.Text"}, {"value", longest + "x"}},
        Json{{"name", "Overlay.Text"}, {"value", "line\nbreak"}},
        Json{{"name", "Overlay.Text"}, {"value", 5}}, Json{{"name", "Overlay.Text"}},
        Json{{"name", "Image.Rotation"}, {"value", "180"}},
        Json{{"name", "Overlay.Text"}, {"value", "a"}, {"force", true}}}) {
    expect_error(d.call("parameters", envelope("set", bad)), LocalErrorCode::kBadParams);
  }
  expect_error(d.call("parameters", envelope("get", {{"name", "Image.Rotation"}})),
               LocalErrorCode::kBadParams);
  expect_error(d.call("parameters", envelope("get")), LocalErrorCode::kBadParams);
  EXPECT_EQ(d.device.overlay_text(), "");
}

// --- Apps ----------------------------------------------------------------------------------

TEST(LocalApi, AppInstallListRemove) {
  Device d;
  d.login();
  Json reply = d.call("app-management",
                      envelope("install", {{"name", "motion-guard"}, {"version", "1.4.2"}}), 5s);
  EXPECT_EQ(data(reply)["name"], "motion-guard");
  ASSERT_EQ(d.effects.events.size(), 1u);
  const LocalEvent& installed = d.effects.events[0];
  EXPECT_EQ(installed.kind, LocalEventKind::kAppInstalled);
  EXPECT_EQ(installed.app, "motion-guard");
  EXPECT_EQ(installed.version, "1.4.2");
  EXPECT_EQ(installed.serial, kSerial);
  EXPECT_EQ(installed.at, 5s);

  d.call("app-management", envelope("install", {{"name", "counter"}, {"version", "2.0"}}));
  d.call("app-management", envelope("install", {{"name", "motion-guard"}, {"version", "1.5.0"}}));
  EXPECT_EQ(kinds(d.effects), std::vector{LocalEventKind::kAppInstalled});  // a reinstall reports
  const Json list = data(d.call("app-management", envelope("list")))["apps"];
  EXPECT_EQ(list, Json::parse(R"([{"name":"counter","version":"2.0"},
                                  {"name":"motion-guard","version":"1.5.0"}])"));

  reply = d.call("app-management", envelope("remove", {{"name", "counter"}}));
  EXPECT_EQ(data(reply)["name"], "counter");
  EXPECT_EQ(kinds(d.effects), std::vector{LocalEventKind::kAppRemoved});
  EXPECT_EQ(d.device.apps(), (std::vector<InstalledApp>{{"motion-guard", "1.5.0"}}));
  expect_error(d.call("app-management", envelope("remove", {{"name", "counter"}})),
               LocalErrorCode::kAppNotInstalled);
  EXPECT_TRUE(d.effects.empty());
}

TEST(LocalApi, AppErrors) {
  Device d;
  d.login();
  for (const Json& bad :
       {Json{{"name", "Motion"}, {"version", "1.0"}}, Json{{"name", "9lives"}, {"version", "1.0"}},
        Json{{"name", std::string(kAppNameCharsMax + 1, 'a')}, {"version", "1"}},
        Json{{"name", "ok"}, {"version", "1.0 beta"}},
        Json{{"name", "ok"}, {"version", std::string(kAppVersionCharsMax + 1, '1')}},
        Json{{"name", "ok"}}, Json{{"name", "ok"}, {"version", 1}},
        Json{{"name", "ok"}, {"version", "1"}, {"vendor", "x"}}}) {
    expect_error(d.call("app-management", envelope("install", bad)), LocalErrorCode::kBadParams);
  }
  for (std::size_t i = 0; i < kInstalledAppsMax; ++i) {
    ASSERT_TRUE(d.call("app-management",
                       envelope("install", {{"name", "app" + std::to_string(i)}, {"version", "1"}}))
                    .contains("data"));
  }
  expect_error(
      d.call("app-management", envelope("install", {{"name", "one-more"}, {"version", "1"}})),
      LocalErrorCode::kAppsFull);
  EXPECT_TRUE(d.effects.empty());
  // Reinstalling one already there still works when full.
  EXPECT_TRUE(d.call("app-management", envelope("install", {{"name", "app3"}, {"version", "2"}}))
                  .contains("data"));
}

// --- Firmware ------------------------------------------------------------------------------

TEST(LocalApi, UpgradeThroughTheApiEndsOnTheNewVersion) {
  Device d;
  d.login();
  const Json reply =
      d.call("firmware-management", envelope("upgrade", {{"image", d.image({11, 11, 120})}}), 10s);
  EXPECT_EQ(data(reply)["firmwareVersion"], "11.11.120");
  // Uploaded with the request: no download; verify 5 s, then install 40 s, then reboot 75 s.
  EXPECT_EQ(d.effects.wakeups, std::vector<Time>{15s});
  const Json status = data(d.call("firmware-management", envelope("status"), 11s));
  EXPECT_EQ(status["phase"], "verifying");
  EXPECT_EQ(status["pendingFirmwareVersion"], "11.11.120");
  EXPECT_EQ(status["activeFirmwareVersion"], "11.11.100");
  EXPECT_TRUE(d.effects.wakeups.empty());  // asked for once

  d.effects.clear();
  d.device.on_wakeup(15s, d.effects);
  EXPECT_EQ(d.effects.wakeups, std::vector<Time>{55s});
  EXPECT_TRUE(d.effects.events.empty());
  d.effects.clear();
  d.device.on_wakeup(55s, d.effects);
  EXPECT_EQ(d.effects.wakeups, std::vector<Time>{130s});
  EXPECT_EQ(kinds(d.effects), std::vector{LocalEventKind::kRebootStarted});
  EXPECT_EQ(d.effects.events[0].at, 55s);
  EXPECT_EQ(d.device.session_count(), 0u);  // a reboot forgets sessions

  // Down: everything but systemready says so.
  expect_error(d.call("basic-device-info", envelope("getAllProperties"), 60s),
               LocalErrorCode::kNotReady);
  const Json down = data(d.call("system-ready", envelope("systemready"), 60s));
  EXPECT_EQ(down["systemready"], "no");
  EXPECT_FALSE(down.contains("uptime"));

  d.effects.clear();
  d.device.on_wakeup(130s, d.effects);
  EXPECT_EQ(kinds(d.effects),
            (std::vector{LocalEventKind::kRebootFinished, LocalEventKind::kOsInstalled}));
  const LocalEvent& installed = d.effects.events[1];
  EXPECT_EQ(installed.version, "11.11.120");
  EXPECT_EQ(installed.os_track, "lts-2024");
  EXPECT_EQ(installed.at, 130s);
  EXPECT_TRUE(d.effects.wakeups.empty());
  const Json up = data(d.call("firmware-management", envelope("status"), 140s));
  EXPECT_EQ(up["activeFirmwareVersion"], "11.11.120");
  EXPECT_EQ(up["inactiveFirmwareVersion"], "11.11.100");
  EXPECT_EQ(up["phase"], "running");
  EXPECT_EQ(up["lastResult"]["outcome"], "upgraded");
  const Json ready = data(d.call("system-ready", envelope("systemready"), 140s));
  EXPECT_EQ(ready["uptime"], 10);
  EXPECT_EQ(ready["bootId"], 1);
}

TEST(LocalApi, UpgradeErrors) {
  Device d;
  d.login();
  const auto upgrade = [&](const Json& image) {
    return d.call("firmware-management", envelope("upgrade", {{"image", image}}));
  };
  Json tampered = d.image({11, 11, 120});
  std::string digest = tampered["digest"];
  digest[0] = digest[0] == '0' ? '1' : '0';
  tampered["digest"] = digest;
  expect_error(upgrade(tampered), LocalErrorCode::kFirmwareSignatureInvalid);

  const FirmwareSigner other(core::RandomStream(6, 99));
  const FirmwareImage foreign =
      other.sign("tier1-bullet", {11, 11, 120}, 95'000'000, core::sha256("image"));
  expect_error(upgrade(Device::image_json(foreign)), LocalErrorCode::kFirmwareSignatureInvalid);

  Json short_digest = d.image({11, 11, 120});
  short_digest["digest"] = "abcd";
  expect_error(upgrade(short_digest), LocalErrorCode::kFirmwareMalformed);
  Json zero_size = d.image({11, 11, 120});
  zero_size["size"] = 0;
  expect_error(upgrade(zero_size), LocalErrorCode::kFirmwareMalformed);
  Json bad_version = d.image({11, 11, 120});
  bad_version["version"] = "11.11";
  expect_error(upgrade(bad_version), LocalErrorCode::kFirmwareMalformed);

  expect_error(upgrade(d.image({11, 11, 120}, "tier1-dome")), LocalErrorCode::kFirmwareWrongModel);

  Json not_hex = d.image({11, 11, 120});
  not_hex["signature"] = std::string(128, 'z');
  expect_error(upgrade(not_hex), LocalErrorCode::kBadParams);
  Json negative = d.image({11, 11, 120});
  negative["size"] = -1;
  expect_error(upgrade(negative), LocalErrorCode::kBadParams);
  Json extra = d.image({11, 11, 120});
  extra["url"] = "http://x";
  expect_error(upgrade(extra), LocalErrorCode::kBadParams);
  expect_error(d.call("firmware-management", envelope("upgrade")), LocalErrorCode::kBadParams);
  EXPECT_TRUE(d.effects.empty());
  EXPECT_EQ(d.device.firmware().phase(), FirmwarePhase::kRunning);

  expect_error(d.call("firmware-management", envelope("rollback")),
               LocalErrorCode::kNoPreviousFirmware);
  ASSERT_TRUE(upgrade(d.image({11, 11, 120})).contains("data"));
  expect_error(upgrade(d.image({11, 11, 121})), LocalErrorCode::kFirmwareBusy);
  expect_error(d.call("firmware-management", envelope("reboot")), LocalErrorCode::kFirmwareBusy);
  expect_error(d.call("firmware-management", envelope("factoryDefault")),
               LocalErrorCode::kFirmwareBusy);
  expect_error(d.call("firmware-management", envelope("rollback")), LocalErrorCode::kFirmwareBusy);
}

TEST(LocalApi, InjectedInstallFailureRollsBackAndReportsWhy) {
  Device d;
  d.device.firmware().inject_install_failure("power cut while writing");
  const Json reply = d.raw(api("firmware-management"),
                           envelope("upgrade", {{"image", d.image({12, 0, 1})}}).dump(), 0s,
                           Access::kAdministrator);
  ASSERT_TRUE(reply.contains("data")) << reply.dump();
  d.effects.clear();
  d.device.on_wakeup(1h, d.effects);  // late: every step due at once
  EXPECT_EQ(kinds(d.effects),
            (std::vector{LocalEventKind::kRebootStarted, LocalEventKind::kRebootFinished,
                         LocalEventKind::kOsUpgradeFailed}));
  EXPECT_EQ(d.effects.events[0].at, 45s);
  EXPECT_EQ(d.effects.events[1].at, 120s);
  const LocalEvent& failed = d.effects.events[2];
  EXPECT_EQ(failed.version, "12.0.1");
  EXPECT_NE(failed.reason.find("power cut while writing"), std::string::npos);
  EXPECT_EQ(d.device.firmware().running(), (OsVersion{11, 11, 100}));
  const Json status = data(d.raw(api("firmware-management"), envelope("status").dump(), 1h));
  EXPECT_EQ(status["lastResult"]["outcome"], "upgrade_failed");
  EXPECT_EQ(status["lastResult"]["error"], "install_failed");
}

TEST(LocalApi, PlatformDrivenUpgradeWithABadSignature) {
  Device d;
  FirmwareImage image =
      d.signer.sign("tier1-bullet", {11, 11, 120}, 95'000'000, core::sha256("image"));
  image.signature[0] = static_cast<char>(image.signature[0] ^ 0x01);
  const core::Duration download = download_duration(image.size_bytes, 20'000'000);
  ASSERT_FALSE(d.device.start_upgrade(0s, image, download, d.effects));
  EXPECT_EQ(d.effects.wakeups, std::vector<Time>{download});
  d.effects.clear();
  d.device.on_wakeup(download, d.effects);
  d.device.on_wakeup(download + 5s, d.effects);
  ASSERT_EQ(kinds(d.effects), std::vector{LocalEventKind::kOsUpgradeFailed});
  EXPECT_NE(d.effects.events[0].reason.find("signature"), std::string::npos);
  EXPECT_EQ(d.effects.events[0].at, download + 5s);
}

TEST(LocalApi, RollbackRebootAndFactoryDefault) {
  Device d;
  const auto admin = [&](std::string_view id, const Json& body, Time now) {
    return d.raw(api(id), body.dump(), now, Access::kAdministrator);
  };
  admin("firmware-management", envelope("upgrade", {{"image", d.image({12, 0, 1})}}), 0s);
  d.device.on_wakeup(1h, d.effects);
  ASSERT_EQ(d.device.firmware().running(), (OsVersion{12, 0, 1}));

  Json reply = admin("firmware-management", envelope("rollback"), 2h);
  EXPECT_EQ(data(reply)["firmwareVersion"], "11.11.100");
  EXPECT_EQ(kinds(d.effects), std::vector{LocalEventKind::kRebootStarted});
  EXPECT_EQ(d.effects.wakeups, std::vector<Time>{2h + 75s});
  d.effects.clear();
  d.device.on_wakeup(2h + 75s, d.effects);
  EXPECT_EQ(kinds(d.effects),
            (std::vector{LocalEventKind::kRebootFinished, LocalEventKind::kOsInstalled}));
  EXPECT_EQ(d.effects.events[1].version, "11.11.100");
  EXPECT_EQ(d.effects.events[1].os_track, "lts-2024");

  reply = admin("firmware-management", envelope("reboot"), 3h);
  EXPECT_EQ(data(reply), Json::object());
  EXPECT_EQ(kinds(d.effects), std::vector{LocalEventKind::kRebootStarted});
  d.effects.clear();
  d.device.on_wakeup(3h + 75s, d.effects);
  EXPECT_EQ(kinds(d.effects), std::vector{LocalEventKind::kRebootFinished});

  admin("parameters", envelope("set", {{"name", "Overlay.Text"}, {"value", "Lobby"}}), 4h);
  admin("app-management", envelope("install", {{"name", "counter"}, {"version", "1"}}), 4h);
  reply = admin("firmware-management", envelope("factoryDefault"), 5h);
  EXPECT_TRUE(reply.contains("data"));
  EXPECT_EQ(kinds(d.effects),
            (std::vector{LocalEventKind::kFactoryDefaulted, LocalEventKind::kRebootStarted}));
  EXPECT_TRUE(d.device.apps().empty());
  EXPECT_EQ(d.device.overlay_text(), "");
  EXPECT_EQ(d.device.firmware().running(), (OsVersion{11, 11, 100}));  // firmware stays
  d.device.on_wakeup(5h + 75s, d.effects);
  d.login(6h);  // the credential stays too
}

TEST(LocalApi, SameSeedSameSessions) {
  Device a;
  Device b;
  a.login();
  b.login();
  EXPECT_EQ(a.session, b.session);
  a.login();
  EXPECT_NE(a.session, b.session);
}

}  // namespace
}  // namespace ccsim::devices
