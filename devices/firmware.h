// A device's operating system: signed OS images, and the upgrade a device runs through (download,
// verify, install, reboot, then the new version). Versions and the release tracks they belong to
// live in core/os_version.h, shared with the platform; they are named here so device code reads
// them unqualified.
//
// Images: (model, version, size, digest) signed with Ed25519 (RFC 8032) by the vendor's key. The
// signed message is a fixed text layout with a domain prefix, so a signature over anything else
// (an access token, another image) never verifies as an image. Verification refuses any changed
// byte and any other key. As in platform/app_authorization.cpp, the signing key is 32 bytes drawn
// from an injected core::RandomStream so a seed reproduces every signature; a vendor would keep
// its key in a hardware module instead.
//
// Sans-IO: DeviceFirmware never sleeps or reads a clock. Each call takes `now`; the caller wakes
// it at deadline() and drops stale wake-ups, as with core::Outbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/node.h"
#include "core/os_version.h"
#include "core/random_stream.h"

// OpenSSL's key type, declared rather than included: OpenSSL stays a private dependency.
struct evp_pkey_st;

namespace ccsim::devices {

struct DeviceModel;

// ---------------------------------------------------------------------------------------------
// Versions and tracks (core/os_version.h)

using core::is_known_track;
using core::kActiveTrack;
using core::kLtsTracks;
using core::kOsVersionCharsMax;
using core::kOsVersionPartMax;
using core::LtsTrack;
using core::OsVersion;
using core::parse_os_version;
using core::track_of;

// ---------------------------------------------------------------------------------------------
// Signed images

inline constexpr std::size_t kFirmwareKeyBytes = 32;        // Ed25519 private and public keys
inline constexpr std::size_t kFirmwareSignatureBytes = 64;  // RFC 8032 s5.1.6
inline constexpr std::size_t kFirmwareDigestBytes = 32;     // SHA-256 of the image's content
// An image's model is a catalog model name; the catalog's own rule and limit.
inline constexpr std::size_t kFirmwareModelCharsMax = 32;
inline constexpr std::uint64_t kFirmwareImageBytesMax = 4'000'000'000;

struct FirmwareImage {
  std::string model;
  OsVersion version;
  std::uint64_t size_bytes = 0;  // 1..kFirmwareImageBytesMax
  std::string digest;            // kFirmwareDigestBytes raw bytes
  std::string signature;         // kFirmwareSignatureBytes raw bytes

  friend bool operator==(const FirmwareImage&, const FirmwareImage&) = default;
};

enum class FirmwareErrorCode : std::uint8_t {
  kMalformedImage,     // a field out of shape: model name, size, digest or signature length
  kSignatureInvalid,   // the signature does not verify with the vendor's key
  kWrongModel,         // an image built for another model
  kBusy,               // an upgrade, rollback or reboot is under way
  kNoPreviousVersion,  // a rollback with nothing to roll back to
  kInstallFailed,      // writing the image failed; the device rebooted into its previous version
};
// Stable lower-case name ("signature_invalid", ...), for logs, JSON and tests.
std::string_view firmware_error_code_name(FirmwareErrorCode code);

struct FirmwareError {
  FirmwareErrorCode code;
  std::string message;
};

// The vendor's signing side: what a build server does to publish an image.
class FirmwareSigner {
 public:
  // Draws the 32-byte private key from `random`.
  explicit FirmwareSigner(core::RandomStream random);
  ~FirmwareSigner();
  FirmwareSigner(FirmwareSigner&&) noexcept;
  FirmwareSigner& operator=(FirmwareSigner&&) noexcept;
  FirmwareSigner(const FirmwareSigner&) = delete;
  FirmwareSigner& operator=(const FirmwareSigner&) = delete;

  // The image with its signature. The fields must be well formed (see FirmwareImage).
  FirmwareImage sign(std::string model, OsVersion version, std::uint64_t size_bytes,
                     std::string digest) const;
  // The raw Ed25519 public key (kFirmwareKeyBytes) devices verify images with.
  const std::string& public_key() const { return public_key_; }

 private:
  struct KeyDeleter {
    void operator()(evp_pkey_st* key) const;
  };
  std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
  std::string public_key_;
};

// The device's side: the vendor's public key, burnt in. One verifier serves a whole fleet.
class FirmwareVerifier {
 public:
  // `public_key` is kFirmwareKeyBytes raw bytes (FirmwareSigner::public_key()).
  explicit FirmwareVerifier(std::string_view public_key);
  ~FirmwareVerifier();
  FirmwareVerifier(FirmwareVerifier&&) noexcept;
  FirmwareVerifier& operator=(FirmwareVerifier&&) noexcept;
  FirmwareVerifier(const FirmwareVerifier&) = delete;
  FirmwareVerifier& operator=(const FirmwareVerifier&) = delete;

  // Nullopt when the image is well formed and its signature verifies; else kMalformedImage or
  // kSignatureInvalid.
  std::optional<FirmwareError> verify(const FirmwareImage& image) const;

 private:
  struct KeyDeleter {
    void operator()(evp_pkey_st* key) const;
  };
  std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
};

// Nullopt when the fields are in shape (model name, size, digest and signature lengths).
std::optional<FirmwareError> check_image_shape(const FirmwareImage& image);

// The fastest link a download is timed over: 1 Tbps, as scenario files allow.
inline constexpr std::uint64_t kDownloadBandwidthBpsMax = 1'000'000'000'000;
// The time to move `bytes` (at most kFirmwareImageBytesMax) at `bandwidth_bps` bits per second
// (1..kDownloadBandwidthBpsMax), rounded up to a microsecond.
core::Duration download_duration(std::uint64_t bytes, std::uint64_t bandwidth_bps);

// ---------------------------------------------------------------------------------------------
// The upgrade state machine

inline constexpr core::Duration kVerifyDurationDefault = std::chrono::seconds(5);
inline constexpr core::Duration kFirmwareStepDurationMax = std::chrono::hours(1);
// A download longer than this is refused: it would not finish while the link holds.
inline constexpr core::Duration kDownloadDurationMax = std::chrono::hours(24);

// How long each step takes on one model.
struct UpgradeDurations {
  core::Duration verify = kVerifyDurationDefault;
  core::Duration install = std::chrono::seconds(30);
  core::Duration reboot = std::chrono::seconds(60);
};
// A model's install and reboot times from the catalog, with the default verify time.
UpgradeDurations upgrade_durations(const DeviceModel& model);

enum class FirmwarePhase : std::uint8_t {
  kRunning,      // idle, serving
  kDownloading,  // fetching an image
  kVerifying,    // checking its signature
  kInstalling,   // writing it to the inactive partition
  kRebooting,    // not serving until deadline()
};
std::string_view firmware_phase_name(FirmwarePhase phase);

// Why the device is rebooting, or last rebooted.
enum class RebootCause : std::uint8_t {
  kRequested,       // reboot asked for
  kFactoryDefault,  // settings reset, then reboot
  kUpgrade,         // into the new version
  kRollback,        // into the previous version, asked for
  kFailedInstall,   // back into the running version after an install failed
};

enum class FirmwareOutcome : std::uint8_t {
  kUpgraded,       // running the image's version
  kUpgradeFailed,  // still (or again) running the version from before; `error` says why
  kRolledBack,     // running the version from before the last upgrade, as asked
  kRebooted,       // a plain reboot (or factory default) finished
};
std::string_view firmware_outcome_name(FirmwareOutcome outcome);

// What a finished operation reports: the platform learns of it through the device agent.
struct FirmwareReport {
  FirmwareOutcome outcome;
  OsVersion from;     // running before
  OsVersion target;   // the image's version (upgrades), or the version rolled back to
  OsVersion running;  // running now
  std::optional<FirmwareError> error;
  core::Time at{};
};

class DeviceFirmware {
 public:
  // `verifier` must outlive this. `model` is the catalog name images must carry.
  DeviceFirmware(std::string model, OsVersion running, const FirmwareVerifier& verifier,
                 UpgradeDurations durations);

  // Starts downloading `image`, which takes `download` (download_duration() of its size over the
  // link; zero when it was uploaded with the request). Refused at once (nothing changes) when
  // busy, malformed, for another model or when the download is over kDownloadDurationMax; the
  // signature is checked after the download, as a device can only check what it holds.
  std::optional<FirmwareError> start_upgrade(core::Time now, FirmwareImage image,
                                             core::Duration download);
  // Reboots into the previous version; running and previous swap. kNoPreviousVersion or kBusy.
  std::optional<FirmwareError> rollback(core::Time now);
  // Reboots; kBusy during an upgrade or another reboot.
  std::optional<FirmwareError> reboot(core::Time now, RebootCause cause);
  // The next install fails (a flash write error, a power cut), as a fault the simulator injects.
  void inject_install_failure(std::string reason);

  // Advances through every step due by `now`; a stale or early wake-up does nothing. Returns the
  // report of an operation that finished.
  std::optional<FirmwareReport> on_wakeup(core::Time now);

  FirmwarePhase phase() const { return phase_; }
  bool ready() const { return phase_ != FirmwarePhase::kRebooting; }
  bool busy() const { return phase_ != FirmwarePhase::kRunning; }
  // When the current step ends; nullopt while running.
  std::optional<core::Time> deadline() const;
  const OsVersion& running() const { return running_; }
  std::string_view track() const { return track_of(running_); }
  // The version kept for rollback; nullopt until a first upgrade or rollback.
  const std::optional<OsVersion>& previous() const { return previous_; }
  // The image being downloaded, verified or installed.
  const std::optional<FirmwareImage>& pending() const { return pending_; }
  const std::optional<FirmwareReport>& last_report() const { return last_report_; }
  RebootCause reboot_cause() const { return reboot_cause_; }
  std::uint32_t boots() const { return boots_; }
  const UpgradeDurations& durations() const {
    return durations_;
  }  // reboots completed since construction
  const std::string& model() const { return model_; }

 private:
  void enter(core::Time now, FirmwarePhase phase, core::Duration length);
  std::optional<FirmwareReport> finish_step(core::Time at);
  std::optional<FirmwareReport> finish_verify(core::Time at);
  std::optional<FirmwareReport> finish_reboot(core::Time at);
  FirmwareReport report(core::Time at, FirmwareOutcome outcome, OsVersion target,
                        std::optional<FirmwareError> error);

  std::string model_;
  const FirmwareVerifier* verifier_;
  UpgradeDurations durations_;
  OsVersion running_;
  std::optional<OsVersion> previous_;
  FirmwarePhase phase_ = FirmwarePhase::kRunning;
  core::Time deadline_{};
  RebootCause reboot_cause_ = RebootCause::kRequested;
  std::optional<FirmwareImage> pending_;
  OsVersion from_;  // running when the current operation began
  std::optional<std::string> install_failure_;
  std::optional<FirmwareReport> last_report_;
  std::uint32_t boots_ = 0;
};

}  // namespace ccsim::devices
