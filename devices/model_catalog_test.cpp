// The model catalog: the shipped devices/models.yaml loads, and every kind of bad file is refused
// with a message naming the file, the line, the key and what was expected.
#include "devices/model_catalog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace ccsim::devices {
namespace {

using namespace std::chrono_literals;

std::string source_dir() {
  if (const char* dir = std::getenv("CCSIM_SOURCE_DIR")) return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path().string();
}

TEST(ModelCatalog, LoadsTheShippedModels) {
  const ModelCatalog catalog = load_model_catalog(source_dir() + "/devices/models.yaml");
  ASSERT_EQ(catalog.size(), 9u);
  for (const char* name : {"tier1-bullet", "tier1-dome", "tier1-ptz", "tier2-box", "tier2-dome",
                           "rec-s3008", "edge-box", "speaker-c1", "door-a1"}) {
    EXPECT_NE(catalog.find(name), nullptr) << name;
  }
  EXPECT_EQ(catalog.find("tier3-nothing"), nullptr);

  const DeviceModel& ptz = *catalog.find("tier1-ptz");
  EXPECT_EQ(ptz.kind, DeviceKind::kCamera);
  EXPECT_EQ(ptz.tier, 1u);
  EXPECT_TRUE(ptz.ptz);
  EXPECT_TRUE(ptz.has("video"));
  EXPECT_TRUE(ptz.has("webrtc"));
  EXPECT_EQ(ptz.sd_card.slots, 1u);
  EXPECT_EQ(ptz.sd_card.capacity_bytes_max, 1'000'000'000'000u);
  EXPECT_EQ(ptz.os_image_bytes, 120'000'000u);
  EXPECT_EQ(ptz.reboot_duration, 120s);
  EXPECT_EQ(ptz.install_duration, 50s);

  const DeviceModel& box = *catalog.find("tier2-box");
  EXPECT_EQ(box.tier, 2u);
  EXPECT_FALSE(box.ptz);
  const DeviceModel& dome = *catalog.find("tier2-dome");
  EXPECT_EQ(dome.sd_card.slots, 0u);  // no sd_card key: no slot

  const DeviceModel& recorder = *catalog.find("rec-s3008");
  EXPECT_EQ(recorder.kind, DeviceKind::kRecorder);
  EXPECT_EQ(recorder.hosted_devices_max, 8u);
  EXPECT_EQ(catalog.find("edge-box")->kind, DeviceKind::kEdgeHost);
  EXPECT_EQ(catalog.find("speaker-c1")->kind, DeviceKind::kSpeaker);
  EXPECT_EQ(catalog.find("door-a1")->kind, DeviceKind::kDoorController);
  // Capabilities come out sorted whatever the file's order.
  const auto& capabilities = catalog.find("tier1-bullet")->capabilities;
  EXPECT_TRUE(std::is_sorted(capabilities.begin(), capabilities.end()));
}

TEST(ModelCatalog, FillsDefaults) {
  const ModelCatalog catalog = parse_model_catalog(R"(
models:
  - name: cam
    kind: camera
    capabilities: [video]
    sd_card: {}
)",
                                                   "t.yaml");
  const DeviceModel& cam = *catalog.find("cam");
  EXPECT_EQ(cam.tier, 1u);
  EXPECT_FALSE(cam.ptz);
  EXPECT_EQ(cam.sd_card.slots, kSdCardSlotsDefault);
  EXPECT_EQ(cam.sd_card.capacity_bytes_max, kSdCardCapacityBytesDefault);
  EXPECT_EQ(cam.hosted_devices_max, 0u);
  EXPECT_EQ(cam.os_image_bytes, kOsImageBytesDefault);
  EXPECT_EQ(cam.install_duration, kInstallDurationDefault);
  EXPECT_EQ(cam.reboot_duration, kRebootDurationDefault);
  EXPECT_EQ(cam.description, "");
  EXPECT_EQ(cam.line, 3);
  EXPECT_EQ(device_kind_name(cam.kind), "camera");
}

// Parses `text` expecting an error at `line` on `key` whose message contains `expected_part`.
void expect_error(std::string_view text, int line, const std::string& key,
                  const std::string& expected_part) {
  try {
    parse_model_catalog(text, "models.yaml");
    ADD_FAILURE() << "no error; expected one at line " << line << " on " << key;
  } catch (const ModelCatalogError& error) {
    EXPECT_EQ(error.file, "models.yaml") << error.what();
    EXPECT_EQ(error.line, line) << error.what();
    EXPECT_EQ(error.key, key) << error.what();
    EXPECT_NE(error.expected.find(expected_part), std::string::npos) << error.what();
    std::string head = "models.yaml";
    if (line > 0) head += ":" + std::to_string(line);
    if (!key.empty()) head += ": " + key;
    EXPECT_EQ(std::string(error.what()).rfind(head + ": ", 0), 0u) << error.what();
  }
}

// A valid camera entry to break one key at a time; `extra_lines` start on line 5.
std::string camera(std::string_view extra_lines) {
  return "models:\n"
         "  - name: cam\n"
         "    kind: camera\n"
         "    capabilities: [video]\n" +
         std::string(extra_lines);
}

TEST(ModelCatalog, RefusesBadDocuments) {
  expect_error("", 1, "", "empty document");
  expect_error("models: [a, b", 1, "", "invalid YAML");
  expect_error("models: []\n---\nmodels: []\n", 2, "", "a second YAML document");
  expect_error("- a\n- b\n", 1, "", "expected a map of models");
  // yaml-cpp 0.7's LoadAll never returns on these (jbeder/yaml-cpp#1040).
  expect_error(",", 1, "", "invalid YAML: unexpected character at column 1");
  expect_error("[a], b", 1, "", "invalid YAML: unexpected character at column 4");
  expect_error("modles: []\n", 1, "modles", "unknown key; expected one of models");
  expect_error("{}\n", 1, "models", "missing; expected a list of models");
  expect_error("models: {a: 1}\n", 1, "models", "expected a list of models");
  expect_error("models: []\n", 1, "models", "expected at least one model");
  expect_error(std::string(kModelCatalogBytesMax + 1, '#'), 0, "", "bytes; expected at most");
}

TEST(ModelCatalog, RefusesTooManyModels) {
  std::string text = "models:\n";
  for (std::size_t i = 0; i <= kModelsMax; ++i) {
    text += "  - {name: cam" + std::to_string(i) + ", kind: camera, capabilities: [video]}\n";
  }
  expect_error(text, 1, "models", "257 items; expected at most 256");
}

TEST(ModelCatalog, RefusesBadKeys) {
  expect_error(camera("    colour: red\n"), 5, "models.0.colour", "unknown key; expected one of");
  expect_error(camera("    kind: camera\n"), 5, "models.0.kind", "given twice");
  expect_error("models:\n  - kind: camera\n", 2, "models.0.name", "missing");
  expect_error("models:\n  - name: cam\n", 2, "models.0.kind", "missing; expected one of camera");
  expect_error("models:\n  - just-a-name\n", 2, "models.0", "got a value; expected a map");
}

TEST(ModelCatalog, RefusesBadValues) {
  expect_error("models:\n  - name: Cam\n    kind: camera\n", 2, "models.0.name",
               "expected 1-32 characters of a-z 0-9 -, starting with a letter");
  expect_error("models:\n  - name: " + std::string(kModelNameCharsMax + 1, 'a') + "\n", 2,
               "models.0.name", "starting with a letter");
  expect_error("models:\n  - name: cam\n    kind: robot\n", 3, "models.0.kind",
               "got \"robot\"; expected one of camera, recorder, edge_host, speaker, "
               "door_controller");
  expect_error(camera("    tier: 3\n"), 5, "models.0.tier",
               "got \"3\"; expected a whole number in 1..2");
  expect_error(camera("    ptz: maybe\n"), 5, "models.0.ptz", "expected true or false");
  expect_error(camera("    reboot: 60\n"), 5, "models.0.reboot", "expected a duration such as 45s");
  expect_error(camera("    reboot: 0s\n"), 5, "models.0.reboot", "above 0");
  expect_error(camera("    reboot: 31m\n"), 5, "models.0.reboot", "at most 1800s");
  expect_error(camera("    install: 2h\n"), 5, "models.0.install", "at most 3600s");
  expect_error(camera("    os_image_size: 5GB\n"), 5, "models.0.os_image_size",
               "expected a size such as 120MB");
  expect_error(camera("    os_image_size: 12.5MB\n"), 5, "models.0.os_image_size", "a size");
  expect_error(camera("    sd_card: {slots: 9}\n"), 5, "models.0.sd_card.slots", "1..4");
  expect_error(camera("    sd_card: {size: 1GB}\n"), 5, "models.0.sd_card.size",
               "unknown key; expected one of slots, capacity_max");
  expect_error(camera("    sd_card: yes\n"), 5, "models.0.sd_card", "got a value; expected a map");
  expect_error(camera("    description: " + std::string(kModelDescriptionCharsMax + 1, 'x') + "\n"),
               5, "models.0.description", "201 characters; expected at most 200");
}

TEST(ModelCatalog, RefusesBadCapabilities) {
  expect_error("models:\n  - name: cam\n    kind: camera\n    capabilities: [video, laser]\n", 4,
               "models.0.capabilities.1", "got \"laser\"; expected one of audio_in");
  expect_error("models:\n  - name: cam\n    kind: camera\n    capabilities: [video, video]\n", 4,
               "models.0.capabilities.1", "given twice");
  expect_error("models:\n  - name: cam\n    kind: camera\n    capabilities: video\n", 4,
               "models.0.capabilities", "expected a list of capabilities");
  expect_error("models:\n  - name: cam\n    kind: camera\n    capabilities: [audio_in]\n", 4,
               "models.0.capabilities", "no video; expected a camera lists video");
  expect_error("models:\n  - name: cam\n    kind: camera\n", 2, "models.0.capabilities",
               "missing; expected a list such as [video]");
}

TEST(ModelCatalog, RefusesRulesAcrossKeys) {
  expect_error("models:\n  - name: rec\n    kind: recorder\n", 2, "models.0.hosted_devices_max",
               "missing; expected how many Tier-2 devices a recorder carries");
  expect_error(
      "models:\n  - name: rec\n    kind: recorder\n    tier: 2\n    hosted_devices_max: 8\n", 4,
      "models.0.tier", "a recorder is always tier 1");
  expect_error(camera("    hosted_devices_max: 4\n"), 5, "models.0.hosted_devices_max",
               "only recorders and edge hosts carry devices");
  expect_error("models:\n  - name: edge\n    kind: edge_host\n    hosted_devices_max: 257\n", 4,
               "models.0.hosted_devices_max", "1..256");
  expect_error("models:\n  - name: horn\n    kind: speaker\n    ptz: true\n", 4, "models.0.ptz",
               "only cameras have PTZ");
  expect_error(camera("  - name: cam\n    kind: speaker\n"), 5, "models.1.name",
               "model \"cam\" is already defined on line 2");
}

TEST(ModelCatalog, RefusesAMissingFile) {
  try {
    load_model_catalog("/nonexistent/models.yaml");
    ADD_FAILURE() << "no error";
  } catch (const ModelCatalogError& error) {
    EXPECT_EQ(error.file, "/nonexistent/models.yaml");
    EXPECT_EQ(error.line, 0);
    EXPECT_NE(error.expected.find("cannot be read"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace ccsim::devices
