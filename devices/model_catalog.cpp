#include "devices/model_catalog.h"

#include "core/file_text.h"
#include "core/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <span>
#include <sstream>
#include <utility>

namespace ccsim::devices {
namespace {

using namespace std::chrono_literals;

constexpr std::array<std::string_view, 5> kKindNames = {"camera", "recorder", "edge_host",
                                                        "speaker", "door_controller"};
constexpr std::array<std::string_view, 11> kModelKeys = {
    "name",          "kind",    "tier",    "description",
    "capabilities",  "ptz",     "sd_card", "hosted_devices_max",
    "os_image_size", "install", "reboot"};
constexpr std::array<std::string_view, 2> kSdCardKeys = {"slots", "capacity_max"};

struct Unit {
  std::string_view name;
  std::uint64_t scale;
};
constexpr std::array<Unit, 5> kSizeUnits = {
    {{"B", 1}, {"kB", 1'000}, {"MB", 1'000'000}, {"GB", 1'000'000'000}, {"TB", 1'000'000'000'000}}};
constexpr std::array<Unit, 4> kDurationUnits = {
    {{"ms", 1'000}, {"s", 1'000'000}, {"m", 60'000'000}, {"h", 3'600'000'000}}};

// User text for a message, cut short so a pasted blob does not flood the terminal.
std::string quote(std::string_view text) {
  constexpr std::size_t kQuotedCharsMax = 40;
  if (text.size() <= kQuotedCharsMax) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kQuotedCharsMax)) + "...\"";
}

template <typename Words>
std::string join_words(const Words& words) {
  std::string text;
  for (std::string_view word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

std::string_view describe_node(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a value";
  return "nothing";
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}

bool is_model_name(std::string_view text) {
  if (text.empty() || text.size() > kModelNameCharsMax || !is_lower(text[0])) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_lower(c) || is_digit(c) || c == '-'; });
}

std::optional<std::uint64_t> to_whole_number(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "120MB" -> 120'000'000 with `units`; nullopt for anything else or on overflow.
std::optional<std::uint64_t> to_scaled(std::string_view text, std::span<const Unit> units) {
  const auto digits_end =
      std::find_if(text.begin(), text.end(), [](char c) { return !is_digit(c); });
  const auto digits = static_cast<std::size_t>(digits_end - text.begin());
  const std::optional<std::uint64_t> number = to_whole_number(text.substr(0, digits));
  const std::string_view unit = text.substr(digits);
  const auto found =
      std::find_if(units.begin(), units.end(), [&](const Unit& u) { return u.name == unit; });
  std::uint64_t value = 0;
  if (!number || found == units.end() || __builtin_mul_overflow(*number, found->scale, &value)) {
    return std::nullopt;
  }
  return value;
}

// A value in the tree, with the dotted path and the line errors should name.
struct Field {
  YAML::Node node;
  std::string path;
  // Where the key holding the node is: errors point at the key, as a reader looks for it.
  // List items have no key: their errors point at the node itself.
  YAML::Mark key_mark = YAML::Mark::null_mark();

  int line() const {
    const YAML::Mark mark = key_mark.line >= 0 ? key_mark : node.Mark();
    return mark.line >= 0 ? mark.line + 1 : 0;
  }
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const Field& field, const std::string& expected) const {
    throw ModelCatalogError(file_, field.line(), field.path, expected);
  }

  const std::string& scalar(const Field& field, std::string_view expected) const {
    if (!field.node.IsScalar()) {
      fail(field,
           "got " + std::string(describe_node(field.node)) + "; expected " + std::string(expected));
    }
    return field.node.Scalar();
  }

  std::uint64_t whole_number(const Field& field, std::uint64_t min, std::uint64_t max) const {
    const std::string expected =
        "a whole number in " + std::to_string(min) + ".." + std::to_string(max);
    const std::string& text = scalar(field, expected);
    const std::optional<std::uint64_t> value = to_whole_number(text);
    if (!value || *value < min || *value > max) {
      fail(field, "got " + quote(text) + "; expected " + expected);
    }
    return *value;
  }

  bool boolean(const Field& field) const {
    const std::string& text = scalar(field, "true or false");
    if (text == "true") return true;
    if (text == "false") return false;
    fail(field, "got " + quote(text) + "; expected true or false");
  }

  template <typename Words>
  std::string_view word(const Field& field, const Words& words) const {
    const std::string expected = "one of " + join_words(words);
    const std::string& text = scalar(field, expected);
    const auto found = std::find(words.begin(), words.end(), text);
    if (found == words.end()) fail(field, "got " + quote(text) + "; expected " + expected);
    return *found;
  }

  std::uint64_t size_bytes(const Field& field, std::uint64_t max) const {
    const std::string expected =
        "a size such as 120MB (B, kB, MB, GB, TB) of at most " + std::to_string(max) + " bytes";
    const std::string& text = scalar(field, expected);
    const std::optional<std::uint64_t> value = to_scaled(text, kSizeUnits);
    if (!value || *value == 0 || *value > max) {
      fail(field, "got " + quote(text) + "; expected " + expected);
    }
    return *value;
  }

  core::Duration duration(const Field& field, core::Duration max) const {
    const std::string expected = "a duration such as 45s (ms, s, m, h), above 0 and at most " +
                                 std::to_string(max / 1s) + "s";
    const std::string& text = scalar(field, expected);
    const std::optional<std::uint64_t> us = to_scaled(text, kDurationUnits);
    if (!us || *us == 0 || *us > static_cast<std::uint64_t>(max.count())) {
      fail(field, "got " + quote(text) + "; expected " + expected);
    }
    return core::Duration(static_cast<core::Duration::rep>(*us));
  }

  std::vector<Field> list(const Field& field, std::size_t items_max, std::string_view item) const {
    if (!field.node.IsSequence()) {
      fail(field, "got " + std::string(describe_node(field.node)) + "; expected a list of " +
                      std::string(item));
    }
    if (field.node.size() > items_max) {
      fail(field, std::to_string(field.node.size()) + " items; expected at most " +
                      std::to_string(items_max));
    }
    std::vector<Field> items;
    for (std::size_t i = 0; i < field.node.size(); ++i) {
      items.push_back(Field{field.node[i], child_path(field.path, std::to_string(i))});
    }
    return items;
  }

 private:
  std::string file_;
};

// A map whose keys were checked: each a scalar, each once, each one of the allowed.
class MapView {
 public:
  MapView(const Reader& reader, const Field& map, std::span<const std::string_view> allowed)
      : reader_(reader), map_(map) {
    if (!map.node.IsMap()) {
      reader.fail(map, "got " + std::string(describe_node(map.node)) + "; expected a map of " +
                           join_words(allowed));
    }
    for (const auto& pair : map.node) {
      const Field key{pair.first, map.path};
      if (!pair.first.IsScalar()) {
        reader.fail(key, "a key is " + std::string(describe_node(pair.first)) +
                             "; expected one of " + join_words(allowed));
      }
      const std::string& name = pair.first.Scalar();
      const Field named{pair.first, child_path(map.path, name)};
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        reader.fail(named, "unknown key; expected one of " + join_words(allowed));
      }
      if (find(name)) reader.fail(named, "given twice; expected each key once");
      entries_.push_back({name, Field{pair.second, named.path, pair.first.Mark()}});
    }
  }

  std::optional<Field> find(std::string_view key) const {
    for (const auto& [name, field] : entries_) {
      if (name == key) return field;
    }
    return std::nullopt;
  }

  Field require(std::string_view key, std::string_view expected) const {
    std::optional<Field> found = find(key);
    if (!found) {
      reader_.fail(Field{map_.node, child_path(map_.path, key), map_.key_mark},
                   "missing; expected " + std::string(expected));
    }
    return *found;
  }

 private:
  const Reader& reader_;
  Field map_;
  std::vector<std::pair<std::string, Field>> entries_;
};

std::vector<std::string> read_capabilities(const Reader& reader, const Field& field) {
  std::vector<std::string> capabilities;
  for (const Field& item : reader.list(field, kCapabilitiesPerModelMax, "capabilities")) {
    const std::string_view word = reader.word(item, kCapabilities);
    if (std::find(capabilities.begin(), capabilities.end(), word) != capabilities.end()) {
      reader.fail(item, "\"" + std::string(word) + "\" given twice; expected each capability once");
    }
    capabilities.emplace_back(word);
  }
  std::sort(capabilities.begin(), capabilities.end());
  return capabilities;
}

SdCard read_sd_card(const Reader& reader, const Field& field) {
  const MapView map(reader, field, kSdCardKeys);
  SdCard card{kSdCardSlotsDefault, kSdCardCapacityBytesDefault};
  if (auto slots = map.find("slots")) {
    card.slots = static_cast<std::uint32_t>(reader.whole_number(*slots, 1, kSdCardSlotsMax));
  }
  if (auto capacity = map.find("capacity_max")) {
    card.capacity_bytes_max = reader.size_bytes(*capacity, kSdCardCapacityBytesMax);
  }
  return card;
}

DeviceKind kind_of(std::string_view word) {
  const auto at = std::find(kKindNames.begin(), kKindNames.end(), word);
  assert(at != kKindNames.end());
  return static_cast<DeviceKind>(at - kKindNames.begin());
}

bool hosts_devices(DeviceKind kind) {
  return kind == DeviceKind::kRecorder || kind == DeviceKind::kEdgeHost;
}

// Rules across keys, checked once every key of the model has been read.
void check_model(const Reader& reader, const MapView& map, const DeviceModel& model) {
  const std::string kind(device_kind_name(model.kind));
  if (hosts_devices(model.kind)) {
    if (model.tier != 1) reader.fail(*map.find("tier"), "a " + kind + " is always tier 1");
    if (model.hosted_devices_max == 0) {
      map.require("hosted_devices_max", "how many Tier-2 devices a " + kind + " carries, 1.." +
                                            std::to_string(kHostedDevicesPerModelMax));
    }
  } else if (auto hosted = map.find("hosted_devices_max")) {
    reader.fail(*hosted, "only recorders and edge hosts carry devices; a " + kind + " does not");
  }
  if (model.ptz && model.kind != DeviceKind::kCamera) {
    reader.fail(*map.find("ptz"), "only cameras have PTZ; expected false for a " + kind);
  }
  if (model.kind == DeviceKind::kCamera && !model.has("video")) {
    const std::string expected = "a camera lists video among its capabilities";
    const std::optional<Field> capabilities = map.find("capabilities");
    if (!capabilities) map.require("capabilities", "a list such as [video]; " + expected);
    reader.fail(*capabilities, "no video; expected " + expected);
  }
}

// The field under `key` of a map already read and checked, for an error found afterwards.
Field key_field(const Field& map, std::string_view key) {
  for (const auto& pair : map.node) {
    if (pair.first.Scalar() == key) {
      return Field{pair.second, child_path(map.path, key), pair.first.Mark()};
    }
  }
  return map;
}

// The keys saying what the model is: name, kind, tier, description.
void read_identity(const Reader& reader, const MapView& map, DeviceModel& model) {
  const Field name = map.require("name", "the model's name");
  model.name = reader.scalar(name, "a model name");
  if (!is_model_name(model.name)) {
    reader.fail(name, "got " + quote(model.name) + "; expected 1-" +
                          std::to_string(kModelNameCharsMax) +
                          " characters of a-z 0-9 -, starting with a letter");
  }
  model.kind =
      kind_of(reader.word(map.require("kind", "one of " + join_words(kKindNames)), kKindNames));
  if (auto tier = map.find("tier")) {
    model.tier = static_cast<std::uint32_t>(reader.whole_number(*tier, 1, 2));
  }
  if (auto description = map.find("description")) {
    model.description = reader.scalar(*description, "text");
    if (model.description.size() > kModelDescriptionCharsMax) {
      reader.fail(*description, std::to_string(model.description.size()) +
                                    " characters; expected at most " +
                                    std::to_string(kModelDescriptionCharsMax));
    }
  }
}

// The keys saying what the model has and how long it takes; the defaults stay for those left out.
void read_figures(const Reader& reader, const MapView& map, DeviceModel& model) {
  if (auto capabilities = map.find("capabilities")) {
    model.capabilities = read_capabilities(reader, *capabilities);
  }
  if (auto ptz = map.find("ptz")) model.ptz = reader.boolean(*ptz);
  if (auto card = map.find("sd_card")) model.sd_card = read_sd_card(reader, *card);
  if (auto hosted = map.find("hosted_devices_max")) {
    model.hosted_devices_max =
        static_cast<std::uint32_t>(reader.whole_number(*hosted, 1, kHostedDevicesPerModelMax));
  }
  if (auto size = map.find("os_image_size")) {
    model.os_image_bytes = reader.size_bytes(*size, kOsImageBytesMax);
  }
  if (auto install = map.find("install")) {
    model.install_duration = reader.duration(*install, kInstallDurationMax);
  }
  if (auto reboot = map.find("reboot")) {
    model.reboot_duration = reader.duration(*reboot, kRebootDurationMax);
  }
}

DeviceModel read_model(const Reader& reader, const Field& field) {
  const MapView map(reader, field, kModelKeys);
  DeviceModel model;
  model.line = field.line();
  read_identity(reader, map, model);
  read_figures(reader, map, model);
  check_model(reader, map, model);
  return model;
}

// Refuses a text holding more than one document, or one yaml-cpp 0.7 would loop on
// (core/yaml_documents.h).
void check_one_document(const std::string& text, const std::string& file_label) {
  const core::YamlDocuments scan = core::scan_yaml_documents(text);
  if (scan.stalled_at) {
    throw ModelCatalogError(file_label, scan.stalled_at->line + 1, "",
                            "invalid YAML: unexpected character at column " +
                                std::to_string(scan.stalled_at->column + 1) +
                                " (a ',' outside [] or {}?)");
  }
  if (scan.second_at) {
    throw ModelCatalogError(file_label, scan.second_at->line + 1, "",
                            "a second YAML document; expected one catalog per file");
  }
}

YAML::Node load_document(std::string_view yaml_text, const std::string& file_label) {
  if (yaml_text.size() > kModelCatalogBytesMax) {
    throw ModelCatalogError(file_label, 0, "",
                            std::to_string(yaml_text.size()) + " bytes; expected at most " +
                                std::to_string(kModelCatalogBytesMax));
  }
  const std::string text(yaml_text);
  YAML::Node root;
  try {
    check_one_document(text, file_label);
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ModelCatalogError(file_label, error.mark.line >= 0 ? error.mark.line + 1 : 0, "",
                            "invalid YAML: " + error.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw ModelCatalogError(file_label, 1, "", "empty document; expected a map with models");
  }
  return root;
}

std::string compose_message(const std::string& file, int line, const std::string& key,
                            const std::string& expected) {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line);
  if (!key.empty()) text += ": " + key;
  return text + ": " + expected;
}

}  // namespace

std::string_view device_kind_name(DeviceKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  assert(index < kKindNames.size());
  return kKindNames[index];
}

bool DeviceModel::has(std::string_view capability) const {
  return std::binary_search(capabilities.begin(), capabilities.end(), capability);
}

ModelCatalogError::ModelCatalogError(std::string file_in, int line_in, std::string key_in,
                                     std::string expected_in)
    : std::runtime_error(compose_message(file_in, line_in, key_in, expected_in)),
      file(std::move(file_in)),
      line(line_in),
      key(std::move(key_in)),
      expected(std::move(expected_in)) {}

ModelCatalog::ModelCatalog(std::vector<DeviceModel> models) : models_(std::move(models)) {
  assert(models_.size() <= kModelsMax);
  for (std::size_t i = 0; i < models_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) assert(models_[i].name != models_[j].name);
  }
}

const DeviceModel* ModelCatalog::find(std::string_view name) const {
  const auto it = std::find_if(models_.begin(), models_.end(),
                               [&](const DeviceModel& model) { return model.name == name; });
  return it == models_.end() ? nullptr : &*it;
}

ModelCatalog parse_model_catalog(std::string_view yaml_text, const std::string& file_label) {
  const YAML::Node root = load_document(yaml_text, file_label);
  const Reader reader(file_label);
  constexpr std::array<std::string_view, 1> kRootKeys = {"models"};
  const MapView top(reader, Field{root, ""}, kRootKeys);
  const Field list = top.require("models", "a list of models");
  std::vector<DeviceModel> models;
  for (const Field& item : reader.list(list, kModelsMax, "models")) {
    DeviceModel model = read_model(reader, item);
    const auto same = std::find_if(models.begin(), models.end(),
                                   [&](const DeviceModel& m) { return m.name == model.name; });
    if (same != models.end()) {
      reader.fail(key_field(item, "name"),
                  "model " + quote(model.name) + " is already defined on line " +
                      std::to_string(same->line) + "; expected each name once");
    }
    models.push_back(std::move(model));
  }
  if (models.empty()) reader.fail(list, "an empty list; expected at least one model");
  return ModelCatalog(std::move(models));
}

ModelCatalog load_model_catalog(const std::string& path) {
  const core::FileText file = core::read_file_text(path, kModelCatalogBytesMax);
  if (!file.error.empty()) {
    throw ModelCatalogError(path, 0, "", file.error + "; expected a readable model catalog");
  }
  return parse_model_catalog(file.text, path);  // it reports a text over the size limit
}

}  // namespace ccsim::devices
