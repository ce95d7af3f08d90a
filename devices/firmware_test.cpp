// Firmware: signed images (a tampered one refused), and the upgrade state machine's timeline,
// failures and rollbacks, driven by hand one wake-up at a time. Version text and tracks are
// tested in core/os_version_test.cpp.
#include "devices/firmware.h"

#include <gtest/gtest.h>

#include <string>

#include "core/digest.h"
#include "devices/model_catalog.h"

namespace ccsim::devices {
namespace {

using namespace std::chrono_literals;
using core::Duration;
using core::Time;

constexpr std::uint64_t kSigningStream = 77;

OsVersion v(std::uint32_t major, std::uint32_t minor, std::uint32_t patch) {
  return OsVersion{major, minor, patch};
}

TEST(DownloadDuration, IsSizeOverBandwidthRoundedUp) {
  EXPECT_EQ(download_duration(100'000'000, 100'000'000), 8s);  // 100 MB at 100 Mbps
  EXPECT_EQ(download_duration(1, 8'000'000), 1us);
  EXPECT_EQ(download_duration(1, 3), Duration(2'666'667));  // 8/3 s, rounded up
  EXPECT_EQ(download_duration(0, 1), 0us);
  EXPECT_EQ(download_duration(kFirmwareImageBytesMax, 1), Duration(32'000'000'000'000'000));
}

struct Keys {
  FirmwareSigner signer{core::RandomStream(1, kSigningStream)};
  FirmwareVerifier verifier{signer.public_key()};
};

FirmwareImage signed_image(const FirmwareSigner& signer, OsVersion version,
                           std::string model = "tier1-bullet", std::uint64_t size = 95'000'000) {
  return signer.sign(model, version, size, core::sha256(model + " " + version.text()));
}

TEST(FirmwareImage, SignedImageVerifies) {
  const Keys keys;
  EXPECT_EQ(keys.signer.public_key().size(), kFirmwareKeyBytes);
  const FirmwareImage image = signed_image(keys.signer, v(11, 11, 120));
  EXPECT_EQ(image.signature.size(), kFirmwareSignatureBytes);
  EXPECT_FALSE(keys.verifier.verify(image));
  // Deterministic: the same seed gives the same key and the same signature.
  const Keys again;
  EXPECT_EQ(again.signer.public_key(), keys.signer.public_key());
  EXPECT_EQ(signed_image(again.signer, v(11, 11, 120)), image);
}

void expect_refused(const FirmwareVerifier& verifier, const FirmwareImage& image,
                    FirmwareErrorCode code) {
  const auto error = verifier.verify(image);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, code) << error->message;
}

TEST(FirmwareImage, TamperedImageIsRefused) {
  const Keys keys;
  const FirmwareImage image = signed_image(keys.signer, v(11, 11, 120));
  for (std::size_t i = 0; i < kFirmwareDigestBytes; i += 7) {
    FirmwareImage tampered = image;
    tampered.digest[i] = static_cast<char>(tampered.digest[i] ^ 0x01);
    expect_refused(keys.verifier, tampered, FirmwareErrorCode::kSignatureInvalid);
  }
  FirmwareImage tampered = image;
  tampered.signature[10] = static_cast<char>(tampered.signature[10] ^ 0x80);
  expect_refused(keys.verifier, tampered, FirmwareErrorCode::kSignatureInvalid);
  tampered = image;
  tampered.version = v(11, 11, 121);
  expect_refused(keys.verifier, tampered, FirmwareErrorCode::kSignatureInvalid);
  tampered = image;
  tampered.size_bytes += 1;
  expect_refused(keys.verifier, tampered, FirmwareErrorCode::kSignatureInvalid);
  tampered = image;
  tampered.model = "tier1-dome";
  expect_refused(keys.verifier, tampered, FirmwareErrorCode::kSignatureInvalid);
}

TEST(FirmwareImage, AnotherKeyIsRefused) {
  const Keys keys;
  const FirmwareSigner other(core::RandomStream(2, kSigningStream));
  EXPECT_NE(other.public_key(), keys.signer.public_key());
  const auto error = keys.verifier.verify(signed_image(other, v(11, 11, 120)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, FirmwareErrorCode::kSignatureInvalid);
  EXPECT_EQ(firmware_error_code_name(error->code), "signature_invalid");
}

TEST(FirmwareImage, MalformedImageIsRefused) {
  const Keys keys;
  const FirmwareImage image = signed_image(keys.signer, v(11, 11, 120));
  FirmwareImage bad = image;
  bad.digest.pop_back();
  expect_refused(keys.verifier, bad, FirmwareErrorCode::kMalformedImage);
  bad = image;
  bad.signature += 'x';
  expect_refused(keys.verifier, bad, FirmwareErrorCode::kMalformedImage);
  bad = image;
  bad.size_bytes = 0;
  expect_refused(keys.verifier, bad, FirmwareErrorCode::kMalformedImage);
  bad = image;
  bad.size_bytes = kFirmwareImageBytesMax + 1;
  expect_refused(keys.verifier, bad, FirmwareErrorCode::kMalformedImage);
  bad = image;
  bad.model = "tier1-bullet\nversion=12.0.0";  // would forge another signing text
  expect_refused(keys.verifier, bad, FirmwareErrorCode::kMalformedImage);
  bad = image;
  bad.model = "";
  expect_refused(keys.verifier, bad, FirmwareErrorCode::kMalformedImage);
}

// A bullet camera's firmware with the catalog's figures: verify 5 s, install 40 s, reboot 75 s.
struct Device {
  Keys keys;
  DeviceModel model = [] {
    DeviceModel m;
    m.name = "tier1-bullet";
    m.install_duration = 40s;
    m.reboot_duration = 75s;
    return m;
  }();
  DeviceFirmware firmware{model.name, v(11, 11, 100), keys.verifier, upgrade_durations(model)};

  // Wakes the firmware at its deadline, as a driver does; returns the report if one came.
  std::optional<FirmwareReport> step() {
    const auto at = firmware.deadline();
    EXPECT_TRUE(at);
    return firmware.on_wakeup(*at);
  }
};

TEST(DeviceFirmware, UpgradeTimeline) {
  Device d;
  const FirmwareImage image = signed_image(d.keys.signer, v(11, 11, 120));
  const Time start = 1000s;
  const Duration download = download_duration(image.size_bytes, 50'000'000);  // 50 Mbps
  EXPECT_EQ(download, 15200ms);
  ASSERT_FALSE(d.firmware.start_upgrade(start, image, download));
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kDownloading);
  EXPECT_EQ(d.firmware.deadline(), start + download);
  EXPECT_EQ(d.firmware.pending()->version, v(11, 11, 120));

  // An early or stale wake-up changes nothing.
  EXPECT_FALSE(d.firmware.on_wakeup(start + 1s));
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kDownloading);

  EXPECT_FALSE(d.step());
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kVerifying);
  EXPECT_EQ(d.firmware.deadline(), start + download + 5s);
  EXPECT_FALSE(d.step());
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kInstalling);
  EXPECT_EQ(d.firmware.deadline(), start + download + 45s);
  EXPECT_TRUE(d.firmware.ready());
  EXPECT_FALSE(d.step());
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kRebooting);
  EXPECT_FALSE(d.firmware.ready());
  EXPECT_EQ(d.firmware.running(), v(11, 11, 100));  // not yet
  EXPECT_EQ(d.firmware.deadline(), start + download + 120s);

  const auto report = d.step();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, FirmwareOutcome::kUpgraded);
  EXPECT_EQ(report->at, start + download + 5s + 40s + 75s);
  EXPECT_EQ(report->from, v(11, 11, 100));
  EXPECT_EQ(report->target, v(11, 11, 120));
  EXPECT_EQ(report->running, v(11, 11, 120));
  EXPECT_FALSE(report->error);
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kRunning);
  EXPECT_FALSE(d.firmware.deadline());
  EXPECT_EQ(d.firmware.running(), v(11, 11, 120));
  EXPECT_EQ(d.firmware.previous(), v(11, 11, 100));
  EXPECT_EQ(d.firmware.track(), "lts-2024");
  EXPECT_EQ(d.firmware.boots(), 1u);
  EXPECT_FALSE(d.firmware.pending());
  EXPECT_EQ(d.firmware.last_report()->outcome, FirmwareOutcome::kUpgraded);
}

TEST(DeviceFirmware, ALateWakeUpRunsEveryStepDue) {
  Device d;
  ASSERT_FALSE(d.firmware.start_upgrade(0s, signed_image(d.keys.signer, v(12, 0, 3)), 10s));
  const auto report = d.firmware.on_wakeup(1h);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, FirmwareOutcome::kUpgraded);
  EXPECT_EQ(report->at, 10s + 5s + 40s + 75s);  // when it finished, not when it was noticed
  EXPECT_EQ(d.firmware.track(), "active");
}

TEST(DeviceFirmware, BadSignatureIsRefusedAfterDownloadAndNothingChanges) {
  Device d;
  FirmwareImage image = signed_image(d.keys.signer, v(11, 11, 120));
  image.digest[0] = static_cast<char>(image.digest[0] ^ 0x01);
  ASSERT_FALSE(d.firmware.start_upgrade(0s, image, 10s));  // the device cannot tell yet
  EXPECT_FALSE(d.step());                                  // downloaded
  const auto report = d.step();                            // verified: refused
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, FirmwareOutcome::kUpgradeFailed);
  EXPECT_EQ(report->at, 15s);
  ASSERT_TRUE(report->error);
  EXPECT_EQ(report->error->code, FirmwareErrorCode::kSignatureInvalid);
  EXPECT_EQ(report->running, v(11, 11, 100));
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kRunning);
  EXPECT_EQ(d.firmware.running(), v(11, 11, 100));
  EXPECT_FALSE(d.firmware.previous());
  EXPECT_EQ(d.firmware.boots(), 0u);  // no reboot: nothing was written
}

TEST(DeviceFirmware, InstallFailureRebootsIntoThePreviousVersion) {
  Device d;
  d.firmware.inject_install_failure("flash write error");
  ASSERT_FALSE(d.firmware.start_upgrade(0s, signed_image(d.keys.signer, v(11, 11, 120)), 0s));
  EXPECT_FALSE(d.step());  // download
  EXPECT_FALSE(d.step());  // verify
  EXPECT_FALSE(d.step());  // install fails
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kRebooting);
  EXPECT_EQ(d.firmware.reboot_cause(), RebootCause::kFailedInstall);
  const auto report = d.step();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, FirmwareOutcome::kUpgradeFailed);
  EXPECT_EQ(report->at, 5s + 40s + 75s);
  ASSERT_TRUE(report->error);
  EXPECT_EQ(report->error->code, FirmwareErrorCode::kInstallFailed);
  EXPECT_NE(report->error->message.find("flash write error"), std::string::npos);
  EXPECT_EQ(report->target, v(11, 11, 120));
  EXPECT_EQ(d.firmware.running(), v(11, 11, 100));
  EXPECT_EQ(d.firmware.boots(), 1u);
  EXPECT_EQ(firmware_outcome_name(report->outcome), "upgrade_failed");

  // The fault was spent: the next upgrade goes through.
  ASSERT_FALSE(d.firmware.start_upgrade(1h, signed_image(d.keys.signer, v(11, 11, 120)), 0s));
  EXPECT_EQ(d.firmware.on_wakeup(2h)->outcome, FirmwareOutcome::kUpgraded);
}

TEST(DeviceFirmware, RefusesAtOnce) {
  Device d;
  const FirmwareImage dome = signed_image(d.keys.signer, v(11, 11, 120), "tier1-dome");
  auto error = d.firmware.start_upgrade(0s, dome, 0s);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, FirmwareErrorCode::kWrongModel);

  FirmwareImage short_digest = signed_image(d.keys.signer, v(11, 11, 120));
  short_digest.digest.resize(16);
  EXPECT_EQ(d.firmware.start_upgrade(0s, short_digest, 0s)->code,
            FirmwareErrorCode::kMalformedImage);
  EXPECT_EQ(d.firmware.start_upgrade(0s, signed_image(d.keys.signer, v(11, 11, 120)), 25h)->code,
            FirmwareErrorCode::kMalformedImage);

  error = d.firmware.rollback(0s);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, FirmwareErrorCode::kNoPreviousVersion);
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kRunning);

  ASSERT_FALSE(d.firmware.start_upgrade(0s, signed_image(d.keys.signer, v(11, 11, 120)), 1s));
  EXPECT_EQ(d.firmware.start_upgrade(0s, signed_image(d.keys.signer, v(11, 11, 121)), 1s)->code,
            FirmwareErrorCode::kBusy);
  EXPECT_EQ(d.firmware.reboot(0s, RebootCause::kRequested)->code, FirmwareErrorCode::kBusy);
  EXPECT_EQ(d.firmware.rollback(0s)->code, FirmwareErrorCode::kBusy);
  EXPECT_EQ(d.firmware.pending()->version, v(11, 11, 120));  // the first upgrade goes on
}

TEST(DeviceFirmware, RollbackSwapsVersionsAfterAReboot) {
  Device d;
  ASSERT_FALSE(d.firmware.start_upgrade(0s, signed_image(d.keys.signer, v(12, 1, 0)), 0s));
  ASSERT_EQ(d.firmware.on_wakeup(1h)->outcome, FirmwareOutcome::kUpgraded);
  ASSERT_FALSE(d.firmware.rollback(2h));
  EXPECT_EQ(d.firmware.phase(), FirmwarePhase::kRebooting);
  EXPECT_EQ(d.firmware.deadline(), 2h + 75s);
  const auto report = d.step();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, FirmwareOutcome::kRolledBack);
  EXPECT_EQ(report->from, v(12, 1, 0));
  EXPECT_EQ(report->running, v(11, 11, 100));
  EXPECT_EQ(d.firmware.running(), v(11, 11, 100));
  EXPECT_EQ(d.firmware.previous(), v(12, 1, 0));
  EXPECT_EQ(d.firmware.track(), "lts-2024");
  EXPECT_EQ(d.firmware.boots(), 2u);
}

TEST(DeviceFirmware, PlainReboot) {
  Device d;
  ASSERT_FALSE(d.firmware.reboot(10s, RebootCause::kRequested));
  EXPECT_FALSE(d.firmware.ready());
  EXPECT_EQ(d.firmware.deadline(), 85s);
  const auto report = d.step();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->outcome, FirmwareOutcome::kRebooted);
  EXPECT_EQ(report->at, 85s);
  EXPECT_TRUE(d.firmware.ready());
  EXPECT_EQ(d.firmware.running(), v(11, 11, 100));
}

}  // namespace
}  // namespace ccsim::devices
