#include "devices/firmware.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "core/digest.h"
#include "devices/model_catalog.h"

namespace ccsim::devices {
namespace {

// Put before the fields so that a signature over any other message (a platform token, a future
// image format) never verifies as an image of this one.
constexpr std::string_view kImageSigningDomain = "ccsim-os-image-v1";

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
unsigned char* bytes_of(std::string& text) {
  return reinterpret_cast<unsigned char*>(text.data());
}

bool model_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// The text an image's signature covers. Model names hold no newline (check_image_shape), so
// no two images share a signing text.
std::string signing_text(const FirmwareImage& image) {
  std::string text(kImageSigningDomain);
  text += "\nmodel=" + image.model;
  text += "\nversion=" + image.version.text();
  text += "\nsize=" + std::to_string(image.size_bytes);
  text += "\ndigest=" + core::hex(image.digest);
  return text;
}

FirmwareError firmware_error(FirmwareErrorCode code, std::string message) {
  return FirmwareError{code, std::move(message)};
}

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Signed images

std::string_view firmware_error_code_name(FirmwareErrorCode code) {
  switch (code) {
    case FirmwareErrorCode::kMalformedImage:
      return "malformed_image";
    case FirmwareErrorCode::kSignatureInvalid:
      return "signature_invalid";
    case FirmwareErrorCode::kWrongModel:
      return "wrong_model";
    case FirmwareErrorCode::kBusy:
      return "busy";
    case FirmwareErrorCode::kNoPreviousVersion:
      return "no_previous_version";
    case FirmwareErrorCode::kInstallFailed:
      return "install_failed";
  }
  return "unknown";
}

std::optional<FirmwareError> check_image_shape(const FirmwareImage& image) {
  const std::string& model = image.model;
  if (model.empty() || model.size() > kFirmwareModelCharsMax ||
      !std::all_of(model.begin(), model.end(), model_character)) {
    return firmware_error(FirmwareErrorCode::kMalformedImage,
                          "image model must be 1.." + std::to_string(kFirmwareModelCharsMax) +
                              " characters of a-z 0-9 -");
  }
  const OsVersion& v = image.version;
  if (v.major > kOsVersionPartMax || v.minor > kOsVersionPartMax || v.patch > kOsVersionPartMax) {
    return firmware_error(FirmwareErrorCode::kMalformedImage, "image version out of range");
  }
  if (image.size_bytes == 0 || image.size_bytes > kFirmwareImageBytesMax) {
    return firmware_error(FirmwareErrorCode::kMalformedImage,
                          "image size must be 1.." + std::to_string(kFirmwareImageBytesMax) +
                              " bytes, got " + std::to_string(image.size_bytes));
  }
  if (image.digest.size() != kFirmwareDigestBytes) {
    return firmware_error(FirmwareErrorCode::kMalformedImage,
                          "image digest must be " + std::to_string(kFirmwareDigestBytes) +
                              " bytes, got " + std::to_string(image.digest.size()));
  }
  if (image.signature.size() != kFirmwareSignatureBytes) {
    return firmware_error(FirmwareErrorCode::kMalformedImage,
                          "image signature must be " + std::to_string(kFirmwareSignatureBytes) +
                              " bytes, got " + std::to_string(image.signature.size()));
  }
  return std::nullopt;
}

void FirmwareSigner::KeyDeleter::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

FirmwareSigner::FirmwareSigner(core::RandomStream random) {
  std::string private_key = core::random_bytes(random, kFirmwareKeyBytes);
  key_.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(private_key),
                                          private_key.size()));
  OPENSSL_cleanse(private_key.data(), private_key.size());
  assert(key_ != nullptr);
  public_key_.assign(kFirmwareKeyBytes, '\0');
  std::size_t size = public_key_.size();
  const int done = EVP_PKEY_get_raw_public_key(key_.get(), bytes_of(public_key_), &size);
  assert(done == 1 && size == kFirmwareKeyBytes);
  (void)done;
}

FirmwareSigner::~FirmwareSigner() = default;
FirmwareSigner::FirmwareSigner(FirmwareSigner&&) noexcept = default;
FirmwareSigner& FirmwareSigner::operator=(FirmwareSigner&&) noexcept = default;

FirmwareImage FirmwareSigner::sign(std::string model, OsVersion version, std::uint64_t size_bytes,
                                   std::string digest) const {
  FirmwareImage image{std::move(model), version, size_bytes, std::move(digest),
                      std::string(kFirmwareSignatureBytes, '\0')};
  assert(!check_image_shape(image));
  const std::string message = signing_text(image);
  const DigestContext context(EVP_MD_CTX_new());
  assert(context != nullptr);
  // Ed25519 hashes internally (PureEdDSA), so there is no message digest to name.
  int done = EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get());
  assert(done == 1);
  std::size_t size = image.signature.size();
  done = EVP_DigestSign(context.get(), bytes_of(image.signature), &size, bytes_of(message),
                        message.size());
  assert(done == 1 && size == kFirmwareSignatureBytes);
  (void)done;
  return image;
}

void FirmwareVerifier::KeyDeleter::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

FirmwareVerifier::FirmwareVerifier(std::string_view public_key) {
  assert(public_key.size() == kFirmwareKeyBytes);
  key_.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(public_key),
                                         public_key.size()));
  assert(key_ != nullptr);
}

FirmwareVerifier::~FirmwareVerifier() = default;
FirmwareVerifier::FirmwareVerifier(FirmwareVerifier&&) noexcept = default;
FirmwareVerifier& FirmwareVerifier::operator=(FirmwareVerifier&&) noexcept = default;

std::optional<FirmwareError> FirmwareVerifier::verify(const FirmwareImage& image) const {
  if (auto shape = check_image_shape(image)) return shape;
  const std::string message = signing_text(image);
  const DigestContext context(EVP_MD_CTX_new());
  assert(context != nullptr);
  const int done = EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key_.get());
  assert(done == 1);
  (void)done;
  if (EVP_DigestVerify(context.get(), bytes_of(image.signature), image.signature.size(),
                       bytes_of(message), message.size()) != 1) {
    return firmware_error(FirmwareErrorCode::kSignatureInvalid,
                          "image " + image.model + " " + image.version.text() +
                              ": signature does not verify with the vendor's key");
  }
  return std::nullopt;
}

core::Duration download_duration(std::uint64_t bytes, std::uint64_t bandwidth_bps) {
  // Within these, bytes * 8 * 1e6 stays below 2^64 (3.2e16 at most).
  assert(bytes <= kFirmwareImageBytesMax);
  assert(bandwidth_bps > 0 && bandwidth_bps <= kDownloadBandwidthBpsMax);
  constexpr std::uint64_t kBitsPerByte = 8;
  constexpr std::uint64_t kMicrosecondsPerSecond = 1'000'000;
  const std::uint64_t bit_microseconds = bytes * kBitsPerByte * kMicrosecondsPerSecond;
  const std::uint64_t us = (bit_microseconds + bandwidth_bps - 1) / bandwidth_bps;
  return core::Duration(static_cast<core::Duration::rep>(us));
}

// ---------------------------------------------------------------------------------------------
// The upgrade state machine

UpgradeDurations upgrade_durations(const DeviceModel& model) {
  return UpgradeDurations{kVerifyDurationDefault, model.install_duration, model.reboot_duration};
}

std::string_view firmware_phase_name(FirmwarePhase phase) {
  switch (phase) {
    case FirmwarePhase::kRunning:
      return "running";
    case FirmwarePhase::kDownloading:
      return "downloading";
    case FirmwarePhase::kVerifying:
      return "verifying";
    case FirmwarePhase::kInstalling:
      return "installing";
    case FirmwarePhase::kRebooting:
      return "rebooting";
  }
  return "unknown";
}

std::string_view firmware_outcome_name(FirmwareOutcome outcome) {
  switch (outcome) {
    case FirmwareOutcome::kUpgraded:
      return "upgraded";
    case FirmwareOutcome::kUpgradeFailed:
      return "upgrade_failed";
    case FirmwareOutcome::kRolledBack:
      return "rolled_back";
    case FirmwareOutcome::kRebooted:
      return "rebooted";
  }
  return "unknown";
}

DeviceFirmware::DeviceFirmware(std::string model, OsVersion running,
                               const FirmwareVerifier& verifier, UpgradeDurations durations)
    : model_(std::move(model)), verifier_(&verifier), durations_(durations), running_(running) {
  for (const core::Duration step : {durations_.verify, durations_.install, durations_.reboot}) {
    assert(step >= core::Duration::zero() && step <= kFirmwareStepDurationMax);
    (void)step;
  }
  assert(!model_.empty() && model_.size() <= kFirmwareModelCharsMax);
}

std::optional<core::Time> DeviceFirmware::deadline() const {
  if (phase_ == FirmwarePhase::kRunning) return std::nullopt;
  return deadline_;
}

std::optional<FirmwareError> DeviceFirmware::start_upgrade(core::Time now, FirmwareImage image,
                                                           core::Duration download) {
  assert(download >= core::Duration::zero());
  if (busy()) {
    return firmware_error(FirmwareErrorCode::kBusy,
                          "cannot upgrade while " + std::string(firmware_phase_name(phase_)));
  }
  if (auto shape = check_image_shape(image)) return shape;
  if (image.model != model_) {
    return firmware_error(FirmwareErrorCode::kWrongModel,
                          "image is for model " + image.model + ", this device is " + model_);
  }
  if (download > kDownloadDurationMax) {
    return firmware_error(
        FirmwareErrorCode::kMalformedImage,
        "image of " + std::to_string(image.size_bytes) + " bytes would take over 24h to download");
  }
  from_ = running_;
  pending_ = std::move(image);
  enter(now, FirmwarePhase::kDownloading, download);
  return std::nullopt;
}

std::optional<FirmwareError> DeviceFirmware::rollback(core::Time now) {
  if (busy()) {
    return firmware_error(FirmwareErrorCode::kBusy,
                          "cannot roll back while " + std::string(firmware_phase_name(phase_)));
  }
  if (!previous_) {
    return firmware_error(FirmwareErrorCode::kNoPreviousVersion,
                          "no previous version to roll back to");
  }
  from_ = running_;
  reboot_cause_ = RebootCause::kRollback;
  enter(now, FirmwarePhase::kRebooting, durations_.reboot);
  return std::nullopt;
}

std::optional<FirmwareError> DeviceFirmware::reboot(core::Time now, RebootCause cause) {
  assert(cause == RebootCause::kRequested || cause == RebootCause::kFactoryDefault);
  if (busy()) {
    return firmware_error(FirmwareErrorCode::kBusy,
                          "cannot reboot while " + std::string(firmware_phase_name(phase_)));
  }
  from_ = running_;
  reboot_cause_ = cause;
  enter(now, FirmwarePhase::kRebooting, durations_.reboot);
  return std::nullopt;
}

void DeviceFirmware::inject_install_failure(std::string reason) {
  install_failure_ = std::move(reason);
}

void DeviceFirmware::enter(core::Time now, FirmwarePhase phase, core::Duration length) {
  phase_ = phase;
  deadline_ = now + length;
}

std::optional<FirmwareReport> DeviceFirmware::on_wakeup(core::Time now) {
  std::optional<FirmwareReport> finished;
  // Zero-length steps end on the wake-up that finds them due, all in one call.
  while (busy() && now >= deadline_) {
    finished = finish_step(deadline_);
  }
  return finished;
}

// Ends the current step at `at`, its deadline, and enters the next one.
std::optional<FirmwareReport> DeviceFirmware::finish_step(core::Time at) {
  switch (phase_) {
    case FirmwarePhase::kDownloading:
      enter(at, FirmwarePhase::kVerifying, durations_.verify);
      return std::nullopt;
    case FirmwarePhase::kVerifying:
      return finish_verify(at);
    case FirmwarePhase::kInstalling:
      // A failed install leaves the running version's partition untouched: reboot back into it.
      reboot_cause_ = install_failure_ ? RebootCause::kFailedInstall : RebootCause::kUpgrade;
      enter(at, FirmwarePhase::kRebooting, durations_.reboot);
      return std::nullopt;
    case FirmwarePhase::kRebooting:
      return finish_reboot(at);
    case FirmwarePhase::kRunning:
      break;
  }
  assert(false && "finish_step while running");
  return std::nullopt;
}

std::optional<FirmwareReport> DeviceFirmware::finish_verify(core::Time at) {
  assert(pending_);
  if (auto refused = verifier_->verify(*pending_)) {
    // Nothing was written: the device never left its running version.
    const OsVersion target = pending_->version;
    pending_.reset();
    phase_ = FirmwarePhase::kRunning;
    return report(at, FirmwareOutcome::kUpgradeFailed, target, std::move(refused));
  }
  enter(at, FirmwarePhase::kInstalling, durations_.install);
  return std::nullopt;
}

std::optional<FirmwareReport> DeviceFirmware::finish_reboot(core::Time at) {
  phase_ = FirmwarePhase::kRunning;
  ++boots_;
  switch (reboot_cause_) {
    case RebootCause::kUpgrade: {
      assert(pending_);
      const OsVersion target = pending_->version;
      pending_.reset();
      previous_ = running_;
      running_ = target;
      return report(at, FirmwareOutcome::kUpgraded, target, std::nullopt);
    }
    case RebootCause::kFailedInstall: {
      assert(pending_ && install_failure_);
      const OsVersion target = pending_->version;
      pending_.reset();
      FirmwareError error{FirmwareErrorCode::kInstallFailed,
                          "installing " + target.text() + " failed (" + *install_failure_ +
                              "); rebooted into " + running_.text()};
      install_failure_.reset();
      return report(at, FirmwareOutcome::kUpgradeFailed, target, std::move(error));
    }
    case RebootCause::kRollback: {
      assert(previous_);
      std::swap(running_, *previous_);
      return report(at, FirmwareOutcome::kRolledBack, running_, std::nullopt);
    }
    case RebootCause::kRequested:
    case RebootCause::kFactoryDefault:
      return report(at, FirmwareOutcome::kRebooted, running_, std::nullopt);
  }
  assert(false && "unknown reboot cause");
  return std::nullopt;
}

FirmwareReport DeviceFirmware::report(core::Time at, FirmwareOutcome outcome, OsVersion target,
                                      std::optional<FirmwareError> error) {
  last_report_ = FirmwareReport{outcome, from_, target, running_, std::move(error), at};
  return *last_report_;
}

}  // namespace ccsim::devices
