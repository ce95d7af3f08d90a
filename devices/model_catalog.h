// The catalog of device models a virtual fleet is built from: cameras (Tier-1 with the device host
// built in, Tier-2 reaching the cloud only through a recorder or an edge host), recorders, edge
// hosts, speakers and door controllers, each with its capabilities, SD card, PTZ and the figures
// the simulator needs (OS image size, install and reboot times). The catalog is data
// (devices/models.yaml); this unit reads and validates it, fills defaults, and never guesses: any
// wrong key is a ModelCatalogError naming the file, the 1-based line, the dotted key path
// ("models.2.sd_card.slots") and what was expected.
//
// File shape (every key but `name` and `kind` has the default shown):
//
//   models:
//     - name: tier1-bullet          # 1..kModelNameCharsMax of [a-z0-9-], a letter first; unique
//       kind: camera                # camera | recorder | edge_host | speaker | door_controller
//       tier: 1                     # 1 or 2; recorders and edge hosts are always 1
//       description: ""             # at most kModelDescriptionCharsMax characters
//       capabilities: []            # words from kCapabilities; a camera lists video
//       ptz: false                  # cameras only
//       sd_card: {slots: 1, capacity_max: 512GB}  # absent: no SD card slot
//       hosted_devices_max: 0       # recorders and edge hosts: 1..kHostedDevicesPerModelMax
//       os_image_size: 100MB        # bytes of one OS image: B, kB, MB, GB (decimal units)
//       install: 30s                # writing an OS image: ms, s, m, h
//       reboot: 60s                 # power-on to ready
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"

namespace ccsim::devices {

// Limits of the catalog file.
inline constexpr std::size_t kModelCatalogBytesMax = 1024 * 1024;
inline constexpr std::size_t kModelsMax = 256;
inline constexpr std::size_t kModelNameCharsMax = 32;
inline constexpr std::size_t kModelDescriptionCharsMax = 200;
inline constexpr std::size_t kCapabilitiesPerModelMax = 16;
// As wire::kHostedDevicesMax: what one hello can carry.
inline constexpr std::uint32_t kHostedDevicesPerModelMax = 256;
inline constexpr std::uint32_t kSdCardSlotsMax = 4;
inline constexpr std::uint64_t kSdCardCapacityBytesMax = 4'000'000'000'000;  // 4 TB
inline constexpr std::uint64_t kOsImageBytesMax = 4'000'000'000;             // 4 GB
inline constexpr core::Duration kInstallDurationMax = std::chrono::hours(1);
inline constexpr core::Duration kRebootDurationMax = std::chrono::minutes(30);

// Defaults filled for keys a model leaves out.
inline constexpr std::uint32_t kSdCardSlotsDefault = 1;
inline constexpr std::uint64_t kSdCardCapacityBytesDefault = 512'000'000'000;  // 512 GB
inline constexpr std::uint64_t kOsImageBytesDefault = 100'000'000;             // 100 MB
inline constexpr core::Duration kInstallDurationDefault = std::chrono::seconds(30);
inline constexpr core::Duration kRebootDurationDefault = std::chrono::seconds(60);

enum class DeviceKind : std::uint8_t { kCamera, kRecorder, kEdgeHost, kSpeaker, kDoorController };
// The word used in the catalog file: "camera", "recorder", "edge_host", "speaker",
// "door_controller".
std::string_view device_kind_name(DeviceKind kind);

// What a model can do, as the catalog spells it, in alphabetical order.
inline constexpr std::array<std::string_view, 11> kCapabilities = {
    "audio_in",        "audio_out",        "door_control",     "io_ports",  "ir_illumination",
    "local_discovery", "motion_detection", "object_analytics", "recording", "video",
    "webrtc"};

struct SdCard {
  std::uint32_t slots = 0;  // 0: the model has no SD card slot
  std::uint64_t capacity_bytes_max = 0;
};

struct DeviceModel {
  std::string name;
  DeviceKind kind = DeviceKind::kCamera;
  std::uint32_t tier = 1;
  std::string description;
  std::vector<std::string> capabilities;  // sorted, distinct, each from kCapabilities
  bool ptz = false;
  SdCard sd_card;
  std::uint32_t hosted_devices_max = 0;  // Tier-2 devices it can carry on its LAN
  std::uint64_t os_image_bytes = kOsImageBytesDefault;
  core::Duration install_duration = kInstallDurationDefault;
  core::Duration reboot_duration = kRebootDurationDefault;
  int line = 0;  // where the model starts in its file, for later messages

  bool has(std::string_view capability) const;
};

// Bad input in a catalog file. what() reads "FILE:LINE: KEY: EXPECTED", e.g.
// "models.yaml:12: models.1.tier: got \"3\"; expected a whole number in 1..2".
struct ModelCatalogError : std::runtime_error {
  ModelCatalogError(std::string file_in, int line_in, std::string key_in, std::string expected_in);

  std::string file;
  int line = 0;          // 1-based; 0 when there is none (an unreadable file)
  std::string key;       // dotted key path; may be empty
  std::string expected;  // what was wrong and what was expected
};

class ModelCatalog {
 public:
  ModelCatalog() = default;
  // `models` must be valid as the reader leaves them: distinct names, in file order.
  explicit ModelCatalog(std::vector<DeviceModel> models);

  // Nullptr for a name not in the catalog.
  const DeviceModel* find(std::string_view name) const;
  const std::vector<DeviceModel>& models() const { return models_; }  // in file order
  std::size_t size() const { return models_.size(); }

 private:
  std::vector<DeviceModel> models_;
};

// Reads and validates the catalog at `path`. Throws ModelCatalogError.
ModelCatalog load_model_catalog(const std::string& path);
// As load_model_catalog, from text; `file_label` names the text in errors.
ModelCatalog parse_model_catalog(std::string_view yaml_text, const std::string& file_label);

}  // namespace ccsim::devices
