#include "scenarios/scenario_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>

#include "core/file_text.h"
#include "core/os_version.h"
#include "core/yaml_documents.h"
#include "platform/device_registry.h"
#include "platform/insights.h"
#include "platform/rollout.h"
#include "platform/rollout_manager.h"
#include "platform/task_manager.h"
#include "platform/tenancy.h"
#include "scenarios/model/metrics.h"

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

// Limits of the file format itself, beside the scenario limits in scenario.h. README.md lists
// them; keep the two in step.
constexpr std::size_t kScenarioFileBytesMax = 16 * 1024 * 1024;
constexpr std::size_t kIdentifierCharsMax = 64;
constexpr std::size_t kDescriptionCharsMax = 4096;
constexpr std::size_t kDeviceGroupsPerSiteMax = 1'000;
constexpr std::size_t kOverridesMax = 1'000;
constexpr std::size_t kOverrideSegmentsMax = 32;
constexpr double kBandwidthBpsMax = 1e12;  // 1 Tbps
constexpr Duration kLatencyMax = 60s;
constexpr Duration kHeartbeatIntervalMax = 1h;  // the wire carries it as uint32 milliseconds
constexpr std::uint64_t kMissedHeartbeatsMax = 100;
constexpr std::uint64_t kHeartbeatLimitMax = 1'000'000'000;
constexpr std::uint64_t kCamerasPerFleetSiteDefault = 100;
constexpr int kFleetSiteDigitsMin = 4;
constexpr std::size_t kNamesListedMax = 5;  // in "expected one of ..." for sites and regions
constexpr std::uint64_t kHostedDevicesPerHostMax = 256;  // wire::kHostedDevicesMax
constexpr Duration kOnboardingTimeoutMax = 24h;
constexpr Duration kTelemetryIntervalMin = 1min;
constexpr Duration kTelemetryIntervalMax = 24h;
constexpr double kCrashesPerDayMax = 1'000;  // as the platform's per-sample limit

// ---------------------------------------------------------------------------------------------
// Text helpers

// Quotes user text for a message, cut short so a pasted blob does not flood the terminal.
std::string quote(std::string_view text) {
  constexpr std::size_t kQuotedCharsMax = 60;
  if (text.size() <= kQuotedCharsMax) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kQuotedCharsMax)) + "...\"";
}

std::string join(const std::vector<std::string>& items, std::size_t listed_max) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < listed_max; ++i) {
    if (i > 0) text += ", ";
    text += items[i];
  }
  if (items.size() > listed_max) {
    text += ", ... (" + std::to_string(items.size()) + " in all)";
  }
  return text;
}

// "a, b, c" from any range of words.
template <typename Words>
std::string join_words(const Words& words) {
  std::string text;
  for (std::string_view word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_identifier(std::string_view text) {
  if (text.empty() || text.size() > kIdentifierCharsMax) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return is_digit(c) || is_letter(c) || c == '.' || c == '_' || c == '-';
  });
}

bool is_index(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// Whole-number text to an integer; nullopt for anything else (signs, spaces, overflow).
std::optional<std::uint64_t> to_whole_number(std::string_view text) {
  if (!is_index(text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A finite decimal number ("0.5", "12", "1e-3", "-2"); nullopt otherwise.
std::optional<double> to_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// One "1.5Mbps"-shaped group: digits, optionally '.' and digits, then letters.
struct NumberAndUnit {
  std::string_view whole;     // digits before the point
  std::string_view fraction;  // digits after it; empty if there is no point
  std::string_view unit;
};

// Takes one group off the front of `rest`; nullopt if `rest` does not start with one.
std::optional<NumberAndUnit> take_number_and_unit(std::string_view& rest) {
  std::size_t i = 0;
  while (i < rest.size() && is_digit(rest[i])) ++i;
  if (i == 0) return std::nullopt;
  NumberAndUnit part{rest.substr(0, i), {}, {}};
  if (i < rest.size() && rest[i] == '.') {
    const std::size_t fraction_begin = ++i;
    while (i < rest.size() && is_digit(rest[i])) ++i;
    if (i == fraction_begin) return std::nullopt;
    part.fraction = rest.substr(fraction_begin, i - fraction_begin);
  }
  const std::size_t unit_begin = i;
  while (i < rest.size() && is_letter(rest[i])) ++i;
  if (i == unit_begin) return std::nullopt;
  part.unit = rest.substr(unit_begin, i - unit_begin);
  rest.remove_prefix(i);
  return part;
}

struct DurationUnit {
  std::string_view name;
  std::uint64_t microseconds;
};
// Largest first: a duration's groups must follow this order.
constexpr std::array<DurationUnit, 6> kDurationUnits = {{
    {"d", 86'400'000'000},
    {"h", 3'600'000'000},
    {"m", 60'000'000},
    {"s", 1'000'000},
    {"ms", 1'000},
    {"us", 1},
}};

// The microseconds of one group; throws if it is finer than a microsecond or too long.
std::uint64_t group_microseconds(const NumberAndUnit& part, std::uint64_t unit_us,
                                 std::string_view text) {
  constexpr std::size_t kFractionDigitsMax = 8;  // keeps fraction * unit inside 64 bits
  const std::optional<std::uint64_t> whole = to_whole_number(part.whole);
  std::uint64_t total_us = 0;
  if (!whole || __builtin_mul_overflow(*whole, unit_us, &total_us)) {
    throw std::invalid_argument(quote(text) + " is too long a duration; expected at most " +
                                std::to_string(kScenarioDurationMax / 24h) + "d");
  }
  if (part.fraction.empty()) return total_us;
  std::uint64_t scale = 1;
  std::uint64_t fraction = 0;
  if (part.fraction.size() <= kFractionDigitsMax) {
    for (std::size_t i = 0; i < part.fraction.size(); ++i) scale *= 10;
    fraction = *to_whole_number(part.fraction) * unit_us;
  }
  if (part.fraction.size() > kFractionDigitsMax || fraction % scale != 0) {
    throw std::invalid_argument(quote(text) +
                                " is finer than a microsecond; expected whole microseconds");
  }
  return total_us + fraction / scale;  // no overflow: the whole part already fit
}

// ---------------------------------------------------------------------------------------------
// Overrides: applied to the YAML tree before validation

struct AppliedOverride {
  std::string setting;  // "fleet.cameras=500", as given
  // The path it set and every map it created on the way: errors under these came from it.
  std::vector<std::string> owned_paths;
};

std::vector<std::string> split_path(std::string_view key) {
  std::vector<std::string> segments;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = key.find('.', begin);
    segments.emplace_back(key.substr(begin, dot == std::string_view::npos ? dot : dot - begin));
    if (dot == std::string_view::npos) return segments;
    begin = dot + 1;
  }
}

void check_override_key(std::string_view key, std::string_view setting) {
  const std::vector<std::string> segments = split_path(key);
  const bool well_formed =
      segments.size() <= kOverrideSegmentsMax &&
      std::all_of(segments.begin(), segments.end(), [](const std::string& segment) {
        return !segment.empty() && std::all_of(segment.begin(), segment.end(), [](char c) {
          return is_digit(c) || is_letter(c) || c == '_' || c == '-';
        });
      });
  if (!well_formed) {
    throw ScenarioError("--set", 0, std::string(key),
                        "not a key path; expected keys of letters, digits, _ and - joined by "
                        "dots, numbers indexing lists, e.g. sites.0.uplink.latency",
                        std::string(setting));
  }
}

// "sites.0.uplink" for "sites.0.uplink.latency"; "" at the top.
std::string parent_path(const std::string& path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

std::string_view describe_node(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a value";
  return "nothing";
}

class OverrideApplier {
 public:
  OverrideApplier(YAML::Node root, const Override& override_in)
      : root_(std::move(root)),
        key_(override_in.first),
        value_(override_in.second),
        applied_{override_in.first + "=" + override_in.second, {}} {}

  AppliedOverride apply() {
    check_override_key(key_, applied_.setting);
    YAML::Node value = load_value();
    const std::vector<std::string> segments = split_path(key_);
    YAML::Node current;
    current.reset(root_);
    std::string path;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
      path += (i == 0 ? "" : ".") + segments[i];
      YAML::Node next = step(current, segments[i], path);
      current.reset(next);
    }
    assign(current, segments.back(), value);
    applied_.owned_paths.push_back(key_);
    return applied_;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& expected) const {
    throw ScenarioError("--set", 0, path, expected, applied_.setting);
  }

  YAML::Node load_value() const {
    try {
      return YAML::Load(value_);
    } catch (const YAML::Exception& error) {
      fail(key_, "the value is not valid YAML (" + error.msg +
                     "); expected a value such as 30ms, "
                     "a list such as [a, b] or a map such as {bandwidth: 5Mbps}");
    }
  }

  std::size_t index(const YAML::Node& list, const std::string& segment,
                    const std::string& path) const {
    const std::string list_path = parent_path(path);
    const std::optional<std::uint64_t> position = to_whole_number(segment);
    if (!position) {
      fail(list_path, "is a list, so " + quote(segment) + " cannot index it; expected a number");
    }
    if (*position >= list.size()) {
      const std::string items =
          std::to_string(list.size()) + (list.size() == 1 ? " item" : " items");
      fail(path, "past the end of " + list_path + ", which has " + items +
                     "; expected an index below " + std::to_string(list.size()));
    }
    return *position;
  }

  // Moves one key down, creating a map when the key is missing so validation can judge it.
  YAML::Node step(YAML::Node& current, const std::string& segment, const std::string& path) {
    YAML::Node next;
    if (current.IsSequence()) {
      next.reset(current[index(current, segment, path)]);
      return next;
    }
    if (!current.IsMap()) {
      fail(parent_path(path), "is " + std::string(describe_node(current)) + ", so it has no key " +
                                  segment + "; expected a map or a list on the way to " + key_);
    }
    YAML::Node child = current[segment];
    if (!child.IsDefined() || child.IsNull()) {
      current[segment] = YAML::Node(YAML::NodeType::Map);
      applied_.owned_paths.push_back(path);
    }
    next.reset(current[segment]);
    return next;
  }

  void assign(YAML::Node& current, const std::string& segment, const YAML::Node& value) {
    if (current.IsSequence()) {
      current[index(current, segment, key_)] = value;
      return;
    }
    if (!current.IsMap()) {
      fail(parent_path(key_), "is " + std::string(describe_node(current)) + ", so it has no key " +
                                  segment + "; expected a map or a list");
    }
    current[segment] = value;
  }

  YAML::Node root_;
  std::string key_;
  std::string value_;
  AppliedOverride applied_;
};

std::vector<AppliedOverride> apply_overrides(const YAML::Node& root,
                                             const std::vector<Override>& overrides) {
  if (overrides.size() > kOverridesMax) {
    throw ScenarioError("--set", 0, "",
                        std::to_string(overrides.size()) + " overrides; expected at most " +
                            std::to_string(kOverridesMax));
  }
  std::vector<AppliedOverride> applied;
  for (const Override& override_item : overrides) {
    applied.push_back(OverrideApplier(root, override_item).apply());
  }
  return applied;
}

// ---------------------------------------------------------------------------------------------
// Reading the tree: every value is read through a Field so errors can name its path and line.

struct Field {
  YAML::Node node;
  std::string path;  // dotted key path, "sites.2.uplink.latency"; "" for the document
  // Where the key that holds the node is: errors point at the key, as a reader looks for it.
  // List items and the document have no key: their errors point at the node itself.
  YAML::Mark key_mark = YAML::Mark::null_mark();
};

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

bool path_within(std::string_view path, std::string_view root) {
  return path == root ||
         (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '.');
}

class Reader {
 public:
  Reader(std::string file, std::vector<AppliedOverride> overrides)
      : file_(std::move(file)), overrides_(std::move(overrides)) {}

  // The 1-based line of a field, 0 when it came from an override.
  int line_of(const Field& field) const {
    if (origin(field.path) != nullptr) return 0;
    const YAML::Mark mark = field.key_mark.line >= 0 ? field.key_mark : field.node.Mark();
    return mark.line >= 0 ? mark.line + 1 : 0;
  }

  [[noreturn]] void fail(const Field& field, const std::string& expected) const {
    if (const AppliedOverride* from = origin(field.path)) {
      throw ScenarioError("--set", 0, field.path, expected, from->setting);
    }
    throw ScenarioError(file_, line_of(field), field.path, expected);
  }
  // For a key itself (an unknown key, a key given twice).
  [[noreturn]] void fail_key(const YAML::Node& key_node, const std::string& path,
                             const std::string& expected) const {
    fail(Field{key_node, path}, expected);
  }

 private:
  // The last override that set this path or a map above it, if any.
  const AppliedOverride* origin(const std::string& path) const {
    for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it) {
      for (const std::string& owned : it->owned_paths) {
        if (path_within(path, owned)) return &*it;
      }
    }
    return nullptr;
  }

  std::string file_;
  std::vector<AppliedOverride> overrides_;
};

struct Entry {
  std::string key;
  YAML::Node key_node;
  Field value;
};

// A map whose keys were checked: each a value, each once, each one of the allowed.
class MapView {
 public:
  MapView(const Reader& reader, Field map, std::vector<Entry> entries)
      : reader_(&reader), map_(std::move(map)), entries_(std::move(entries)) {}

  const Field& field() const { return map_; }
  const std::vector<Entry>& entries() const { return entries_; }

  std::optional<Field> find(std::string_view key) const {
    for (const Entry& entry : entries_) {
      if (entry.key == key) return entry.value;
    }
    return std::nullopt;
  }

  // `expected` says what the key should hold, e.g. "a duration such as 1h".
  Field require(std::string_view key, std::string_view expected) const {
    std::optional<Field> found = find(key);
    if (!found) {
      reader_->fail(Field{map_.node, child_path(map_.path, key), map_.key_mark},
                    "missing; expected " + std::string(expected));
    }
    return *found;
  }

 private:
  const Reader* reader_;
  Field map_;
  std::vector<Entry> entries_;
};

MapView open_map(const Reader& reader, const Field& field,
                 std::span<const std::string_view> allowed) {
  if (!field.node.IsMap()) {
    reader.fail(field, "got " + std::string(describe_node(field.node)) + "; expected a map of " +
                           join_words(allowed));
  }
  std::vector<Entry> entries;
  for (const auto& pair : field.node) {
    const YAML::Node& key_node = pair.first;
    if (!key_node.IsScalar()) {
      reader.fail_key(key_node, field.path,
                      "a key is " + std::string(describe_node(key_node)) + "; expected one of " +
                          join_words(allowed));
    }
    const std::string& key = key_node.Scalar();
    const std::string path = child_path(field.path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      reader.fail_key(key_node, path, "unknown key; expected one of " + join_words(allowed));
    }
    const bool repeated = std::any_of(entries.begin(), entries.end(),
                                      [&](const Entry& entry) { return entry.key == key; });
    if (repeated) reader.fail_key(key_node, path, "given twice; expected each key once");
    entries.push_back(Entry{key, key_node, Field{pair.second, path, key_node.Mark()}});
  }
  return MapView(reader, field, std::move(entries));
}

MapView open_map(const Reader& reader, const Field& field,
                 std::initializer_list<std::string_view> allowed) {
  return open_map(reader, field,
                  std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

// The field under `key` of a map already read and checked, for an error found afterwards.
Field open_map_field(const Field& map, std::string_view key) {
  for (const auto& pair : map.node) {
    if (pair.first.Scalar() == key) {
      return Field{pair.second, child_path(map.path, key), pair.first.Mark()};
    }
  }
  return Field{map.node, child_path(map.path, key), map.key_mark};
}

std::vector<Field> open_list(const Reader& reader, const Field& field, std::size_t items_max,
                             std::string_view item) {
  if (!field.node.IsSequence()) {
    reader.fail(field, "got " + std::string(describe_node(field.node)) + "; expected a list of " +
                           std::string(item));
  }
  if (field.node.size() > items_max) {
    reader.fail(field, std::to_string(field.node.size()) + " items; expected at most " +
                           std::to_string(items_max));
  }
  std::vector<Field> items;
  for (std::size_t i = 0; i < field.node.size(); ++i) {
    items.push_back(Field{field.node[i], child_path(field.path, std::to_string(i))});
  }
  return items;
}

const std::string& read_scalar(const Reader& reader, const Field& field,
                               std::string_view expected) {
  if (!field.node.IsScalar()) {
    reader.fail(field, "got " + std::string(describe_node(field.node)) + "; expected " +
                           std::string(expected));
  }
  return field.node.Scalar();
}

constexpr std::string_view kIdentifierExpected = "1-64 characters of A-Z a-z 0-9 . _ -";

std::string read_identifier(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, kIdentifierExpected);
  if (!is_identifier(text)) {
    reader.fail(field, "got " + quote(text) + "; expected " + std::string(kIdentifierExpected));
  }
  return text;
}

std::string read_text(const Reader& reader, const Field& field, std::size_t chars_max) {
  const std::string& text = read_scalar(reader, field, "text");
  if (text.size() > chars_max) {
    reader.fail(field, std::to_string(text.size()) + " characters; expected at most " +
                           std::to_string(chars_max));
  }
  return text;
}

// A word from a fixed set, e.g. `do: fault`.
std::string read_word(const Reader& reader, const Field& field,
                      std::span<const std::string_view> words) {
  const std::string expected =
      words.size() == 1 ? std::string(*words.begin()) : "one of " + join_words(words);
  const std::string& text = read_scalar(reader, field, expected);
  if (std::find(words.begin(), words.end(), text) == words.end()) {
    reader.fail(field, "got " + quote(text) + "; expected " + expected);
  }
  return text;
}

std::string read_word(const Reader& reader, const Field& field,
                      std::initializer_list<std::string_view> words) {
  return read_word(reader, field, std::span<const std::string_view>(words.begin(), words.size()));
}

std::uint64_t read_whole_number(const Reader& reader, const Field& field, std::uint64_t min,
                                std::uint64_t max) {
  const std::string expected =
      "a whole number in " + std::to_string(min) + ".." + std::to_string(max);
  const std::string& text = read_scalar(reader, field, expected);
  const std::optional<std::uint64_t> value = to_whole_number(text);
  if (!value || *value < min || *value > max) {
    reader.fail(field, "got " + quote(text) + "; expected " + expected);
  }
  return *value;
}

double read_number(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, "a number");
  const std::optional<double> value = to_number(text);
  if (!value) reader.fail(field, "got " + quote(text) + "; expected a number");
  return *value;
}

double read_fraction(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, "a fraction such as 0.99 or 99%");
  try {
    return parse_fraction(text);
  } catch (const std::invalid_argument& error) {
    reader.fail(field, error.what());
  }
}

double read_bandwidth_bps(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, "a bandwidth such as 50Mbps");
  double bandwidth_bps = 0;
  try {
    bandwidth_bps = parse_bandwidth_bps(text);
  } catch (const std::invalid_argument& error) {
    reader.fail(field, error.what());
  }
  if (bandwidth_bps <= 0 || bandwidth_bps > kBandwidthBpsMax) {
    reader.fail(field, "got " + quote(text) + "; expected a bandwidth above 0 and at most 1Tbps");
  }
  return bandwidth_bps;
}

std::string format_duration(Duration duration);

// A duration in [min, max]; `max_meaning` says where max comes from ("the scenario's duration").
Duration read_duration(const Reader& reader, const Field& field, Duration min, Duration max,
                       std::string_view max_meaning = {}) {
  const std::string& text = read_scalar(reader, field, "a duration such as 90s, 15m or 1h30m");
  Duration duration{};
  try {
    duration = parse_duration(text);
  } catch (const std::invalid_argument& error) {
    reader.fail(field, error.what());
  }
  if (duration < min || duration > max) {
    std::string expected = min > 1us
                               ? "a duration of at least " + format_duration(min) + " and at most "
                           : min > Duration::zero() ? "a duration above 0 and at most "
                                                    : "a duration of at most ";
    expected += format_duration(max);
    if (!max_meaning.empty()) expected += " (" + std::string(max_meaning) + ")";
    reader.fail(field, "got " + quote(text) + "; expected " + expected);
  }
  return duration;
}

std::string format_duration(Duration duration) {
  if (duration == Duration::zero()) return "0s";
  std::uint64_t rest_us = static_cast<std::uint64_t>(duration.count());
  std::string text;
  for (const DurationUnit& unit : kDurationUnits) {
    if (rest_us >= unit.microseconds) {
      text += std::to_string(rest_us / unit.microseconds) + std::string(unit.name);
      rest_us %= unit.microseconds;
    }
  }
  return text;
}

bool read_bool(const Reader& reader, const Field& field) {
  return read_word(reader, field, {"true", "false"}) == "true";
}

// A time at which something happens in the run: `0s` up to, not including, its end.
Duration read_time_before_end(const Reader& reader, const Field& field, Duration duration) {
  const Duration when =
      read_duration(reader, field, Duration::zero(), duration, "the scenario's duration");
  if (when == duration) {
    reader.fail(field, "got " + quote(field.node.Scalar()) +
                           "; expected a time before the end of the scenario (duration " +
                           format_duration(duration) + ")");
  }
  return when;
}

// What a platform parser found wrong, without the field name it starts with ("update window
// start: got ..."): the scenario error names the key instead.
std::string platform_expected(const platform::ServiceError& error) {
  const std::size_t colon = error.message.find(": ");
  if (error.code != platform::ErrorCode::kInvalidArgument || colon == std::string::npos) {
    return error.message;
  }
  return error.message.substr(colon + 2);
}

constexpr std::string_view kVersionExpected =
    "an OS version of three numbers without leading zeros, such as 11.12.0";

std::string read_version(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, kVersionExpected);
  if (!core::parse_os_version(text)) {
    reader.fail(field, "got " + quote(text) + "; expected " + std::string(kVersionExpected));
  }
  return text;
}

struct SizeUnit {
  std::string_view name;
  std::uint64_t bytes;
};
constexpr std::array<SizeUnit, 4> kSizeUnits = {{
    {"B", 1},
    {"kB", 1'000},
    {"MB", 1'000'000},
    {"GB", 1'000'000'000},
}};

// "150MB", "1.5GB", "900B": decimal units, whole bytes; nullopt for anything else.
std::optional<std::uint64_t> to_size_bytes(std::string_view text) {
  constexpr std::size_t kFractionDigitsMax = 9;  // the digits of the largest unit
  std::string_view rest = text;
  const std::optional<NumberAndUnit> part = take_number_and_unit(rest);
  if (!part || !rest.empty()) return std::nullopt;
  const auto unit = std::find_if(kSizeUnits.begin(), kSizeUnits.end(),
                                 [&](const SizeUnit& u) { return u.name == part->unit; });
  const std::optional<std::uint64_t> whole = to_whole_number(part->whole);
  std::uint64_t bytes = 0;
  if (unit == kSizeUnits.end() || !whole || __builtin_mul_overflow(*whole, unit->bytes, &bytes)) {
    return std::nullopt;
  }
  if (part->fraction.empty()) return bytes;
  if (part->fraction.size() > kFractionDigitsMax) return std::nullopt;
  std::uint64_t scale = 1;
  for (std::size_t i = 0; i < part->fraction.size(); ++i) scale *= 10;
  const std::uint64_t fraction = *to_whole_number(part->fraction) * unit->bytes;
  if (fraction % scale != 0 || __builtin_add_overflow(bytes, fraction / scale, &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

std::uint64_t read_size_bytes(const Reader& reader, const Field& field, std::uint64_t max) {
  const std::string range = "from 1B to " + std::to_string(max) + "B";
  const std::string expected =
      "a size in whole bytes with a unit B, kB, MB or GB (1000-based), such as 150MB, " + range;
  const std::string& text = read_scalar(reader, field, expected);
  const std::optional<std::uint64_t> bytes = to_size_bytes(text);
  if (!bytes) reader.fail(field, "got " + quote(text) + "; expected " + expected);
  if (*bytes < 1 || *bytes > max) {
    reader.fail(field, "got " + quote(text) + "; expected a size " + range);
  }
  return *bytes;
}

// An IANA zone the machine's tz database has, as update windows need.
std::string read_time_zone(const Reader& reader, const Field& field) {
  const std::string& name =
      read_scalar(reader, field, "an IANA time zone name such as Europe/Stockholm");
  platform::UpdateWindowSchedule probe;  // a valid schedule but for the zone in question
  probe.days.set(0);
  probe.duration = platform::kUpdateWindowDurationMin;
  probe.time_zone = name;
  const platform::Result<platform::Done> valid = platform::validate_update_window_schedule(probe);
  if (!valid.ok()) reader.fail(field, platform_expected(valid.error()));
  return name;
}

// ---------------------------------------------------------------------------------------------
// Sections

Uplink read_uplink(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"bandwidth", "latency", "loss"});
  Uplink uplink;
  if (auto bandwidth = map.find("bandwidth"))
    uplink.bandwidth_bps = read_bandwidth_bps(reader, *bandwidth);
  if (auto latency = map.find("latency")) {
    uplink.latency = read_duration(reader, *latency, Duration::zero(), kLatencyMax);
  }
  if (auto loss = map.find("loss")) {
    uplink.loss_fraction = read_fraction(reader, *loss);
    if (uplink.loss_fraction >= 1.0) {
      reader.fail(*loss, "got " + quote(loss->node.Scalar()) +
                             "; expected a loss below 1 (100%): nothing would get through");
    }
  }
  return uplink;
}

Cloud read_cloud(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"region", "bandwidth", "latency"});
  Cloud cloud;
  if (auto region = map.find("region")) cloud.region = read_identifier(reader, *region);
  if (auto bandwidth = map.find("bandwidth"))
    cloud.bandwidth_bps = read_bandwidth_bps(reader, *bandwidth);
  if (auto latency = map.find("latency")) {
    cloud.latency = read_duration(reader, *latency, Duration::zero(), kLatencyMax);
  }
  return cloud;
}

Heartbeat read_heartbeat(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"interval", "missed_max", "limit"});
  Heartbeat heartbeat;
  if (auto interval = map.find("interval")) {
    heartbeat.interval = read_duration(reader, *interval, 1ms, kHeartbeatIntervalMax);
    if (heartbeat.interval % 1ms != Duration::zero()) {
      reader.fail(*interval, "got " + quote(interval->node.Scalar()) +
                                 "; expected whole milliseconds (the wire carries milliseconds)");
    }
  }
  if (auto missed_max = map.find("missed_max")) {
    heartbeat.missed_max =
        static_cast<std::uint32_t>(read_whole_number(reader, *missed_max, 1, kMissedHeartbeatsMax));
  }
  if (auto limit = map.find("limit")) {
    heartbeat.limit = read_whole_number(reader, *limit, 0, kHeartbeatLimitMax);
  }
  return heartbeat;
}

std::uint32_t tier_of_model(std::string_view model) {
  return model.starts_with("tier2") ? 2 : 1;
}

DeviceGroup::Telemetry read_telemetry(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"load", "sd_card_health", "crashes_per_day"});
  DeviceGroup::Telemetry telemetry;
  if (auto load = map.find("load")) telemetry.load = read_fraction(reader, *load);
  if (auto health = map.find("sd_card_health")) {
    telemetry.sd_card_health = read_fraction(reader, *health);
  }
  if (auto crashes = map.find("crashes_per_day")) {
    telemetry.crashes_per_day = read_number(reader, *crashes);
    if (telemetry.crashes_per_day < 0 || telemetry.crashes_per_day > kCrashesPerDayMax) {
      reader.fail(*crashes, "got " + quote(crashes->node.Scalar()) +
                                "; expected a number of crashes a day from 0 to " +
                                std::to_string(static_cast<int>(kCrashesPerDayMax)));
    }
  }
  return telemetry;
}

DeviceGroup read_device_group(const Reader& reader, const Field& field) {
  const MapView map = open_map(
      reader, field, {"kind", "name", "model", "count", "os", "track", "via", "telemetry"});
  DeviceGroup group;
  if (auto kind = map.find("kind")) {
    group.kind = read_word(reader, *kind, {"camera", "recorder", "edge_host"});
  }
  if (group.kind == "recorder") group.model = "recorder";
  if (group.kind == "edge_host") group.model = "edge-host";
  if (auto name = map.find("name")) {
    if (group.kind == "camera") {
      reader.fail(*name, "given for a camera; expected names only on recorders and edge hosts");
    }
    group.name = read_identifier(reader, *name);
  }
  if (auto model = map.find("model")) group.model = read_identifier(reader, *model);
  if (auto count = map.find("count")) {
    group.count =
        static_cast<std::uint32_t>(read_whole_number(reader, *count, 1, kDevicesPerScenarioMax));
    if (!group.name.empty() && group.count != 1) {
      reader.fail(*count, "got " + std::to_string(group.count) + " for the named host " +
                              quote(group.name) +
                              "; expected 1, so that cameras name one device with via");
    }
  }
  if (auto os = map.find("os")) group.os_version = read_identifier(reader, *os);
  if (auto track = map.find("track")) group.os_track = read_identifier(reader, *track);
  if (auto via = map.find("via")) {
    if (group.kind != "camera") {
      reader.fail(*via, "given for a " + group.kind + "; expected via only on cameras");
    }
    group.via = read_identifier(reader, *via);
  }
  if (auto telemetry = map.find("telemetry")) group.telemetry = read_telemetry(reader, *telemetry);
  group.tier = group.kind == "camera" ? tier_of_model(group.model) : 1;
  if (group.tier == 2 && group.via.empty()) {
    reader.fail(map.field(), "a Tier-2 camera (model " + quote(group.model) +
                                 ") has no connection of its own; expected via: the name of a "
                                 "recorder or edge host of the same site");
  }
  return group;
}

// Checks each `via` against the hosts named before it in the site, and how many each carries.
void check_hosts(const Reader& reader, const std::vector<Field>& fields, const Site& site) {
  std::map<std::string, std::uint64_t> carried;  // host name -> devices it carries
  for (std::size_t i = 0; i < site.devices.size(); ++i) {
    const DeviceGroup& group = site.devices[i];
    if (!group.name.empty()) {
      if (!carried.emplace(group.name, 0).second) {
        reader.fail(
            open_map_field(fields[i], "name"),
            quote(group.name) + " names another device of this site; expected a unique name");
      }
    }
    if (group.via.empty()) continue;
    const auto host = carried.find(group.via);
    if (host == carried.end()) {
      reader.fail(open_map_field(fields[i], "via"),
                  quote(group.via) + " is no recorder or edge host named before it at site " +
                      site.name + "; expected the name of one");
    }
    host->second += group.count;
    if (host->second > kHostedDevicesPerHostMax) {
      // Blame `count`, or the group when it has none (one device).
      reader.fail(
          fields[i].node["count"].IsDefined() ? open_map_field(fields[i], "count") : fields[i],
          "brings " + group.via + " to " + std::to_string(host->second) +
              " devices; expected at most " + std::to_string(kHostedDevicesPerHostMax) +
              " on one host");
    }
  }
}

// Adds up devices as they are read, so the one that goes past the limit is the one blamed.
class DeviceTally {
 public:
  void add(const Reader& reader, const Field& field, std::uint64_t count) {
    total_ += count;
    if (total_ > kDevicesPerScenarioMax) {
      reader.fail(field, "brings the scenario to " + std::to_string(total_) +
                             " devices; expected at most " +
                             std::to_string(kDevicesPerScenarioMax) + " in all");
    }
  }
  std::uint64_t total() const { return total_; }

 private:
  std::uint64_t total_ = 0;
};

Site read_site(const Reader& reader, const Field& field, DeviceTally& tally,
               const Organization* organization = nullptr, int organization_index = -1) {
  const MapView map = open_map(reader, field, {"name", "region", "time_zone", "uplink", "devices"});
  Site site;
  site.organization = organization_index;
  site.name = read_identifier(reader, map.require("name", kIdentifierExpected));
  if (organization != nullptr) site.region = organization->region;
  if (auto region = map.find("region")) site.region = read_identifier(reader, *region);
  if (auto zone = map.find("time_zone")) site.time_zone = read_time_zone(reader, *zone);
  if (auto uplink = map.find("uplink")) site.uplink = read_uplink(reader, *uplink);
  const Field devices = map.require("devices", "a list of device groups");
  const std::vector<Field> groups =
      open_list(reader, devices, kDeviceGroupsPerSiteMax, "device groups");
  if (groups.empty()) {
    reader.fail(devices,
                "an empty list; expected at least one device group, such as "
                "{kind: camera, count: 5}");
  }
  for (const Field& group_field : groups) {
    site.devices.push_back(read_device_group(reader, group_field));
    tally.add(reader, group_field, site.devices.back().count);
  }
  check_hosts(reader, groups, site);
  return site;
}

std::string fleet_site_name(std::size_t index, std::size_t sites) {
  int digits = 1;
  for (std::size_t last = sites - 1; last >= 10; last /= 10) ++digits;
  std::string number = std::to_string(index);
  const std::size_t width = static_cast<std::size_t>(std::max(digits, kFleetSiteDigitsMin));
  if (number.size() < width) number.insert(0, width - number.size(), '0');
  return "site-" + number;
}

struct Fleet {
  std::vector<Site> sites;
  std::uint64_t cameras = 0;
  Field cameras_field;
};

// The index of the organization `field` names.
int read_organization_index(const Reader& reader, const Field& field,
                            const std::vector<Organization>& organizations) {
  const std::string name = read_identifier(reader, field);
  const auto owner = std::find_if(organizations.begin(), organizations.end(),
                                  [&](const Organization& o) { return o.name == name; });
  if (owner == organizations.end()) {
    std::vector<std::string> known;
    for (const Organization& o : organizations) known.push_back(o.name);
    reader.fail(field, quote(name) + " is not an organization" +
                           (known.empty() ? "; the scenario defines none"
                                          : "; expected one of " + join(known, kNamesListedMax)));
  }
  return static_cast<int>(owner - organizations.begin());
}

// The `fleet:` shorthand: cameras spread evenly over generated sites, the first
// (cameras % sites) sites taking one more.
Fleet read_fleet(const Reader& reader, const Field& field,
                 const std::vector<Organization>& organizations) {
  const MapView map = open_map(reader, field,
                               {"cameras", "sites", "model", "os", "track", "region", "time_zone",
                                "uplink", "organization", "telemetry"});
  Fleet fleet;
  fleet.cameras_field = map.require("cameras", "a whole number of cameras");
  fleet.cameras = read_whole_number(reader, fleet.cameras_field, 1, kDevicesPerScenarioMax);
  std::uint64_t site_count =
      (fleet.cameras + kCamerasPerFleetSiteDefault - 1) / kCamerasPerFleetSiteDefault;
  if (auto sites = map.find("sites")) {
    site_count = read_whole_number(reader, *sites, 1, kSitesPerScenarioMax);
    if (site_count > fleet.cameras) {
      reader.fail(*sites, "got " + std::to_string(site_count) + " sites for " +
                              std::to_string(fleet.cameras) +
                              " cameras; expected at most one site per camera");
    }
  }
  Site prototype;
  DeviceGroup group;
  if (auto model = map.find("model")) group.model = read_identifier(reader, *model);
  if (auto os = map.find("os")) group.os_version = read_identifier(reader, *os);
  if (auto track = map.find("track")) group.os_track = read_identifier(reader, *track);
  if (auto telemetry = map.find("telemetry")) group.telemetry = read_telemetry(reader, *telemetry);
  if (auto organization = map.find("organization")) {
    prototype.organization = read_organization_index(reader, *organization, organizations);
    prototype.region = organizations[static_cast<std::size_t>(prototype.organization)].region;
  }
  if (auto region = map.find("region")) prototype.region = read_identifier(reader, *region);
  if (auto zone = map.find("time_zone")) prototype.time_zone = read_time_zone(reader, *zone);
  if (auto uplink = map.find("uplink")) prototype.uplink = read_uplink(reader, *uplink);
  group.tier = tier_of_model(group.model);
  fleet.sites.reserve(site_count);
  for (std::uint64_t i = 0; i < site_count; ++i) {
    Site site = prototype;
    site.name = fleet_site_name(i, site_count);
    group.count = static_cast<std::uint32_t>(fleet.cameras / site_count +
                                             (i < fleet.cameras % site_count ? 1 : 0));
    site.devices.push_back(group);
    fleet.sites.push_back(std::move(site));
  }
  return fleet;
}

constexpr std::array<std::string_view, 6> kRegionNames = {"eu-west", "eu-central", "us-east",
                                                          "us-west", "ap-south",   "ap-northeast"};
constexpr std::array<std::string_view, 3> kServiceNames = {"device-management", "video-streaming",
                                                           "recording"};
constexpr std::uint64_t kLicenseSeatsMax = 1'000'000;

// Whether an organization's name fits in its users' addresses, "owner@NAME.example": labels of
// 1-63 letters, digits and inner '-', joined by dots (the identity store's domain rules).
bool is_domain_part(std::string_view name) {
  constexpr std::size_t kLabelCharsMax = 63;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    const bool fits = !label.empty() && label.size() <= kLabelCharsMax && label.front() != '-' &&
                      label.back() != '-' && std::all_of(label.begin(), label.end(), [](char c) {
                        return is_digit(c) || is_letter(c) || c == '-';
                      });
    if (!fits) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lowered;
}

struct OrganizationSites {
  int organization;
  Field sites;
};

// `organizations:`; each one's sites are read with the others in read_all_sites.
std::vector<Organization> read_organizations(const Reader& reader,
                                             const std::optional<Field>& field,
                                             std::vector<OrganizationSites>& sites) {
  std::vector<Organization> organizations;
  if (!field) return organizations;
  std::map<std::string, std::string> names;  // lower-cased -> as given: addresses ignore case
  for (const Field& item :
       open_list(reader, *field, kOrganizationsPerScenarioMax, "organizations")) {
    const MapView map = open_map(reader, item,
                                 {"name", "region", "licenses", "default_profile",
                                  "audit_retention", "update_windows", "sites"});
    Organization organization;
    const Field name = map.require("name", kIdentifierExpected);
    organization.name = read_identifier(reader, name);
    if (!is_domain_part(organization.name)) {
      reader.fail(name, "got " + quote(organization.name) +
                            "; expected letters, digits and inner - in dot-separated parts of at "
                            "most 63 characters, as its users' addresses owner@NAME.example need");
    }
    const auto [taken, added] = names.emplace(lower_case(organization.name), organization.name);
    if (!added) {
      reader.fail(name, quote(organization.name) + " names another organization" +
                            (taken->second == organization.name
                                 ? ""
                                 : " (" + quote(taken->second) + ": addresses ignore case)") +
                            "; expected a unique name");
    }
    if (auto region = map.find("region")) {
      organization.region = read_word(reader, *region, kRegionNames);
    }
    if (auto licenses = map.find("licenses")) {
      const MapView seats = open_map(reader, *licenses, kServiceNames);
      for (const Entry& entry : seats.entries()) {
        organization.licenses.push_back(
            License{entry.key, static_cast<std::uint32_t>(
                                   read_whole_number(reader, entry.value, 0, kLicenseSeatsMax))});
      }
    }
    if (auto profile = map.find("default_profile")) {
      organization.default_profile = read_identifier(reader, *profile);
    }
    if (auto retention = map.find("audit_retention")) {
      const MapView kept = open_map(reader, *retention, {"entries", "age"});
      organization.audit_entries_max =
          read_whole_number(reader, kept.require("entries", "how many entries the trail keeps"), 1,
                            platform::kAuditOrganizationEntriesMax);
      organization.audit_age_max = platform::kAuditRetentionAgeMax;
      if (auto age = kept.find("age")) {
        organization.audit_age_max =
            read_duration(reader, *age, 1us, platform::kAuditRetentionAgeMax);
      }
    }
    if (auto windows = map.find("update_windows")) {
      organization.update_windows = read_bool(reader, *windows);
    }
    if (auto owned = map.find("sites")) {
      sites.push_back(OrganizationSites{static_cast<int>(organizations.size()), *owned});
    }
    organizations.push_back(std::move(organization));
  }
  return organizations;
}

std::vector<std::string> read_names(const Reader& reader, const Field& field,
                                    std::size_t items_max) {
  std::vector<std::string> names;
  for (const Field& item : open_list(reader, field, items_max, "names")) {
    names.push_back(read_identifier(reader, item));
  }
  return names;
}

// `update_window:` of a profile; the zone is each site's.
ProfileUpdateWindow read_update_window(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"days", "start", "duration"});
  ProfileUpdateWindow window;
  const Field days = map.require("days", "a list of day names such as [sat, sun]");
  std::vector<std::string> names;
  for (const Field& item :
       open_list(reader, days, platform::kUpdateWindowDayNamesMax, "day names such as sat")) {
    names.push_back(read_scalar(reader, item, "a day name such as sat"));
    // The names so far: the first unknown or repeated one is the one blamed.
    const platform::Result<platform::WeekdaySet> so_far = platform::parse_update_window_days(names);
    if (!so_far.ok()) reader.fail(item, platform_expected(so_far.error()));
  }
  const platform::Result<platform::WeekdaySet> parsed = platform::parse_update_window_days(names);
  if (!parsed.ok()) reader.fail(days, platform_expected(parsed.error()));
  window.days = parsed.value();
  const Field start = map.require("start", "a local time HH:MM such as 02:00");
  const platform::Result<std::chrono::minutes> start_minutes = platform::parse_update_window_start(
      read_scalar(reader, start, "a local time HH:MM such as 02:00"));
  if (!start_minutes.ok()) reader.fail(start, platform_expected(start_minutes.error()));
  window.start = start_minutes.value();
  const Field length = map.require("duration", "how long it is open, such as 3h");
  const platform::Result<std::chrono::minutes> minutes_open =
      platform::parse_update_window_duration(
          read_scalar(reader, length, "how long it is open, such as 3h"));
  if (!minutes_open.ok()) reader.fail(length, platform_expected(minutes_open.error()));
  window.duration = minutes_open.value();
  return window;
}

// A profile's update_policy, pinned_version and update_window.
void read_profile_updates(const Reader& reader, const MapView& map, Profile& profile) {
  if (auto policy = map.find("update_policy")) {
    profile.update_policy = read_word(reader, *policy, {"latest", "pinned"}) == "pinned"
                                ? UpdatePolicy::kPinned
                                : UpdatePolicy::kLatest;
  }
  const bool pinned = profile.update_policy == UpdatePolicy::kPinned;
  if (auto version = map.find("pinned_version")) {
    if (!pinned) {
      reader.fail(*version,
                  "given with update_policy latest; expected pinned_version only with "
                  "update_policy: pinned");
    }
    profile.pinned_version = read_version(reader, *version);
  } else if (pinned) {
    map.require("pinned_version",
                "the version the devices keep, such as 11.11.0, with update_policy: pinned");
  }
  if (auto window = map.find("update_window")) {
    profile.update_window = read_update_window(reader, *window);
  }
}

constexpr std::array<std::string_view, 7> kProfileKeys = {
    "mode",          "track",          "allowed_apps", "capabilities",
    "update_policy", "pinned_version", "update_window"};

// `profiles:`, a map from name to {mode, track, allowed_apps, capabilities, update_policy,
// pinned_version, update_window}.
std::vector<Profile> read_profiles(const Reader& reader, const std::optional<Field>& field) {
  std::vector<Profile> profiles;
  if (!field) return profiles;
  if (field->node.IsMap() && field->node.size() > kProfilesPerScenarioMax) {
    reader.fail(*field, std::to_string(field->node.size()) + " profiles; expected at most " +
                            std::to_string(kProfilesPerScenarioMax));
  }
  if (!field->node.IsMap()) {
    reader.fail(*field, "got " + std::string(describe_node(field->node)) +
                            "; expected a map from profile name to {" + join_words(kProfileKeys) +
                            "}");
  }
  for (const auto& pair : field->node) {
    const Field key{pair.first, field->path, pair.first.Mark()};
    Profile profile;
    profile.name = read_identifier(reader, key);
    const bool repeated = std::any_of(profiles.begin(), profiles.end(),
                                      [&](const Profile& p) { return p.name == profile.name; });
    if (repeated) {
      reader.fail(Field{pair.first, child_path(field->path, profile.name), pair.first.Mark()},
                  "given twice; expected each profile once");
    }
    const Field body{pair.second, child_path(field->path, profile.name), pair.first.Mark()};
    const MapView map = open_map(reader, body, kProfileKeys);
    profile.managed = read_word(reader, map.require("mode", "connected or managed"),
                                {"connected", "managed"}) == "managed";
    if (auto track = map.find("track")) profile.os_track = read_identifier(reader, *track);
    if (auto apps = map.find("allowed_apps")) {
      profile.allowed_apps = read_names(reader, *apps, platform::kProfileAppsMax);
    }
    if (auto capabilities = map.find("capabilities")) {
      profile.capabilities = read_names(reader, *capabilities, platform::kProfileCapabilitiesMax);
    }
    read_profile_updates(reader, map, profile);
    profiles.push_back(std::move(profile));
  }
  return profiles;
}

Release read_release(const Reader& reader, const Field& field, Duration duration) {
  const MapView map =
      open_map(reader, field, {"version", "track", "at", "size", "failure_share", "tampered"});
  Release release;
  release.line = reader.line_of(field);
  release.version = read_version(reader, map.require("version", kVersionExpected));
  const std::string_view track = core::track_of(*core::parse_os_version(release.version));
  release.track = std::string(track);
  if (auto given = map.find("track")) {
    const std::string name = read_identifier(reader, *given);
    if (name != track) {
      reader.fail(*given, "got " + quote(name) + "; expected " + std::string(track) +
                              ", the track of " + release.version +
                              " (leave track out and it is filled in)");
    }
  }
  if (auto at = map.find("at")) release.published_at = read_time_before_end(reader, *at, duration);
  if (auto size = map.find("size")) {
    release.size_bytes = read_size_bytes(reader, *size, kReleaseBytesMax);
  }
  if (auto share = map.find("failure_share")) release.failure_share = read_fraction(reader, *share);
  if (auto tampered = map.find("tampered")) release.tampered = read_bool(reader, *tampered);
  return release;
}

// `releases:`, each version once.
std::vector<Release> read_releases(const Reader& reader, const std::optional<Field>& field,
                                   Duration duration) {
  std::vector<Release> releases;
  if (!field) return releases;
  std::map<std::string, std::string> versions;  // version -> the release that has it
  for (const Field& item : open_list(reader, *field, kReleasesPerScenarioMax, "releases")) {
    releases.push_back(read_release(reader, item, duration));
    const auto [it, added] = versions.emplace(releases.back().version, item.path);
    if (!added) {
      reader.fail(open_map_field(item, "version"), quote(releases.back().version) +
                                                       " is already released by " + it->second +
                                                       "; expected a unique version");
    }
  }
  return releases;
}

// Explicit sites first, then the organizations', then the fleet's, every name unique.
std::vector<Site> read_all_sites(const Reader& reader, const MapView& root,
                                 const std::vector<Organization>& organizations,
                                 const std::vector<OrganizationSites>& owned) {
  const std::optional<Field> fleet_field = root.find("fleet");
  const std::optional<Field> sites_field = root.find("sites");
  Fleet fleet;
  if (fleet_field) fleet = read_fleet(reader, *fleet_field, organizations);
  std::map<std::string, std::string> taken;  // name -> who took it
  for (const Site& site : fleet.sites) taken.emplace(site.name, "the fleet's generated sites");
  DeviceTally tally;
  std::vector<Site> sites;
  const auto read_list = [&](const Field& list, int organization) {
    const std::vector<Field> items = open_list(reader, list, kSitesPerScenarioMax, "sites");
    if (sites.size() + items.size() + fleet.sites.size() > kSitesPerScenarioMax) {
      reader.fail(list, std::to_string(sites.size() + items.size() + fleet.sites.size()) +
                            " sites in all; expected at most " +
                            std::to_string(kSitesPerScenarioMax));
    }
    for (const Field& item : items) {
      sites.push_back(read_site(reader, item, tally,
                                organization < 0 ? nullptr : &organizations[organization],
                                organization));
      const auto [it, added] = taken.emplace(sites.back().name, item.path);
      if (!added) {
        reader.fail(open_map_field(item, "name"), quote(sites.back().name) +
                                                      " is already taken by " + it->second +
                                                      "; expected a unique site name");
      }
    }
  };
  if (sites_field) read_list(*sites_field, -1);
  for (const OrganizationSites& list : owned) read_list(list.sites, list.organization);
  if (fleet_field) tally.add(reader, fleet.cameras_field, fleet.cameras);
  if (tally.total() == 0) {
    const Field blamed = sites_field ? *sites_field : Field{root.field().node, "sites"};
    reader.fail(blamed,
                "no devices; expected a fleet: map or a sites: list with at least one device");
  }
  std::move(fleet.sites.begin(), fleet.sites.end(), std::back_inserter(sites));
  return sites;
}

// What the timeline and checks may refer to.
struct Names {
  Duration duration{};
  std::set<std::string> sites;
  std::set<std::string> regions;
  std::vector<std::string> site_list;      // in file order, for messages
  std::vector<std::string> region_list;    // sorted, for messages
  std::vector<std::string> organizations;  // in file order
  std::vector<std::string> profiles;       // in file order
  std::set<std::string> models;
  std::set<std::string> owned_sites;  // sites of an organization (each a resource group)
  // Versions deploy and rollout may name: the releases', sorted (the platform deploys only
  // what it published).
  std::vector<std::string> versions;
  std::vector<std::string> rollouts;  // names of the timeline's rollouts, once it is read
};

Names names_of(const Scenario& scenario) {
  Names names;
  names.duration = scenario.duration;
  std::set<std::string> versions;
  for (const Release& release : scenario.releases) versions.insert(release.version);
  for (const Site& site : scenario.sites) {
    names.sites.insert(site.name);
    names.site_list.push_back(site.name);
    names.regions.insert(site.region);
    for (const DeviceGroup& group : site.devices) {
      names.models.insert(group.model);
    }
    if (site.organization >= 0) names.owned_sites.insert(site.name);
  }
  names.versions.assign(versions.begin(), versions.end());
  names.region_list.assign(names.regions.begin(), names.regions.end());
  for (const Organization& organization : scenario.organizations) {
    names.organizations.push_back(organization.name);
  }
  for (const Profile& profile : scenario.profiles) names.profiles.push_back(profile.name);
  return names;
}

std::string read_site_reference(const Reader& reader, const Field& field, const Names& names) {
  std::string site = read_identifier(reader, field);
  if (names.sites.count(site) == 0) {
    reader.fail(field, quote(site) + " is not a site; expected one of " +
                           join(names.site_list, kNamesListedMax));
  }
  return site;
}

// `value` must be one of `known` (a kind of thing named `what`).
std::string read_reference(const Reader& reader, const Field& field,
                           const std::vector<std::string>& known, std::string_view what) {
  std::string name = read_identifier(reader, field);
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    reader.fail(field, quote(name) + " is not " + std::string(what) +
                           (known.empty() ? "; the scenario defines none"
                                          : "; expected one of " + join(known, kNamesListedMax)));
  }
  return name;
}

// `devices:`: "all", or a map {site, organization, model, count}.
DeviceSelection read_selection(const Reader& reader, const Field& field, const Names& names) {
  DeviceSelection selection;
  if (field.node.IsScalar()) {
    read_word(reader, field, {"all"});
    return selection;
  }
  const MapView map = open_map(reader, field, {"site", "organization", "model", "count"});
  if (auto site = map.find("site")) selection.site = read_site_reference(reader, *site, names);
  if (auto organization = map.find("organization")) {
    selection.organization =
        read_reference(reader, *organization, names.organizations, "an organization");
  }
  if (auto model = map.find("model")) {
    selection.model = read_identifier(reader, *model);
    if (names.models.count(selection.model) == 0) {
      reader.fail(*model, quote(selection.model) + " is the model of no device in the scenario");
    }
  }
  if (auto count = map.find("count")) {
    selection.count = read_whole_number(reader, *count, 1, kDevicesPerScenarioMax);
  }
  return selection;
}

// `at:` of a timeline entry: within the run, before its end.
Duration read_entry_time(const Reader& reader, const MapView& map, const Names& names) {
  return read_time_before_end(reader, map.require("at", "the time it happens, such as 10m"),
                              names.duration);
}

Fault read_fault(const Reader& reader, const Field& field, const Names& names) {
  const MapView map = open_map(reader, field, {"at", "do", "kind", "site", "region", "for"});
  read_word(reader, map.require("do", "fault"), {"fault"});
  read_word(reader, map.require("kind", "partition"), {"partition"});
  Fault fault;
  fault.at = read_entry_time(reader, map, names);
  fault.length = read_duration(reader, map.require("for", "how long it lasts, such as 20m"), 1us,
                               kScenarioDurationMax);
  const std::optional<Field> site = map.find("site");
  const std::optional<Field> region = map.find("region");
  if (site && region) {
    reader.fail(*region, "given with site; expected site or region, not both");
  }
  if (site) fault.site = read_site_reference(reader, *site, names);
  if (region) {
    fault.region = read_identifier(reader, *region);
    if (names.regions.count(fault.region) == 0) {
      reader.fail(*region, quote(fault.region) + " is no site's region; expected one of " +
                               join(names.region_list, kNamesListedMax));
    }
  }
  return fault;
}

constexpr std::array<std::string_view, 14> kActionWords = {
    "fault", "onboard", "install_app", "use_local_administrator", "install_os", "set_latest_lts",
    "request_live_video", "delete_organization",
    // Tasks, software updates and diagnostics.
    "set_overlay_text", "deploy", "rollout", "restart_host", "add_device_locally",
    "set_diagnostics"};

struct ActionShape {
  std::string_view word;
  ActionKind kind;
  std::initializer_list<std::string_view> keys;
};

const std::array<ActionShape, 13> kActionShapes = {{
    {"onboard",
     ActionKind::kOnboard,
     {"at", "do", "devices", "organization", "as", "scope", "method", "profile", "oak", "attempts",
      "over"}},
    {"install_app", ActionKind::kInstallApp, {"at", "do", "devices", "app"}},
    {"use_local_administrator", ActionKind::kUseLocalAdministrator, {"at", "do", "devices"}},
    {"install_os", ActionKind::kInstallOs, {"at", "do", "devices", "version", "track"}},
    {"set_latest_lts", ActionKind::kSetLatestLts, {"at", "do", "track"}},
    {"request_live_video", ActionKind::kRequestLiveVideo, {"at", "do", "devices", "as", "scope"}},
    {"delete_organization", ActionKind::kDeleteOrganization, {"at", "do", "organization"}},
    {"set_overlay_text",
     ActionKind::kSetOverlayText,
     {"at", "do", "devices", "as", "scope", "text", "name"}},
    {"deploy", ActionKind::kDeploy, {"at", "do", "devices", "as", "scope", "version", "name"}},
    {"rollout",
     ActionKind::kRollout,
     {"at", "do", "devices", "as", "scope", "version", "name", "stages", "starts_per_minute",
      "abort"}},
    {"restart_host", ActionKind::kRestartHost, {"at", "do", "devices"}},
    {"add_device_locally", ActionKind::kAddDeviceLocally, {"at", "do", "devices"}},
    {"set_diagnostics",
     ActionKind::kSetDiagnostics,
     {"at", "do", "devices", "as", "scope", "granted"}},
}};

// The overlay text of a set_overlay_text task, as the Task Manager takes it.
std::string read_overlay_text(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, "text");
  if (text.size() > kOverlayTextBytesMax) {
    reader.fail(field, std::to_string(text.size()) + " bytes; expected at most " +
                           std::to_string(kOverlayTextBytesMax) + " (the Task Manager's limit)");
  }
  const auto control = std::find_if(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
  if (control != text.end()) {
    reader.fail(field, "a control character at byte " +
                           std::to_string(std::distance(text.begin(), control)) +
                           "; expected text without control characters (newlines and tabs "
                           "included)");
  }
  return text;
}

// A version deploy and rollout may install: a release's.
std::string read_known_version(const Reader& reader, const Field& field, const Names& names) {
  std::string version = read_version(reader, field);
  if (!std::binary_search(names.versions.begin(), names.versions.end(), version)) {
    reader.fail(field, quote(version) +
                           " is an unknown version: the platform deploys only published releases; "
                           "expected one of the releases: " +
                           (names.versions.empty() ? std::string("(none published)")
                                                   : join(names.versions, kNamesListedMax)));
  }
  return version;
}

std::vector<RolloutStage> read_rollout_stages(const Reader& reader, const Field& field) {
  constexpr std::string_view kStage = "stages such as {devices: 10, success_threshold: 90%}";
  const std::vector<Field> items = open_list(reader, field, kRolloutStagesMax, kStage);
  if (items.empty()) {
    reader.fail(field, "an empty list; expected at least one of the " + std::string(kStage) +
                           ", or no stages: one stage of every device");
  }
  std::vector<RolloutStage> stages;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const MapView map = open_map(reader, items[i], {"devices", "success_threshold"});
    RolloutStage stage;
    const Field devices = map.require(
        "devices", "how many devices the stage takes (0 in the last stage: every device left)");
    stage.devices = read_whole_number(reader, devices, 0, kDevicesPerScenarioMax);
    if (stage.devices == 0 && i + 1 < items.size()) {
      reader.fail(devices,
                  "0 in a stage before the last; expected at least 1 (only the last stage may "
                  "take 0: every device left)");
    }
    if (auto threshold = map.find("success_threshold")) {
      stage.success_threshold = read_fraction(reader, *threshold);
    }
    stages.push_back(stage);
  }
  return stages;
}

RolloutSpec read_rollout_spec(const Reader& reader, const MapView& map) {
  RolloutSpec spec;
  if (auto stages = map.find("stages")) spec.stages = read_rollout_stages(reader, *stages);
  if (auto rate = map.find("starts_per_minute")) {
    spec.starts_per_minute = static_cast<std::uint32_t>(
        read_whole_number(reader, *rate, 0, platform::kRolloutStartsPerMinuteMax));
  }
  if (auto abort = map.find("abort")) {
    const MapView rule = open_map(reader, *abort, {"failure_share", "after"});
    if (auto share = rule.find("failure_share")) {
      spec.abort_failure_share = read_fraction(reader, *share);
    }
    if (auto after = rule.find("after")) {
      spec.abort_after = read_whole_number(reader, *after, 1, kDevicesPerScenarioMax);
    }
  }
  return spec;
}

// The keys of set_overlay_text, deploy, rollout and set_diagnostics.
void read_task_action(const Reader& reader, const MapView& map, const Names& names,
                      Action& action) {
  if (action.kind == ActionKind::kSetOverlayText) {
    action.text = read_overlay_text(
        reader, map.require("text", "the overlay text, at most " +
                                        std::to_string(kOverlayTextBytesMax) + " bytes"));
  }
  if (action.kind == ActionKind::kDeploy || action.kind == ActionKind::kRollout) {
    action.version = read_known_version(
        reader, map.require("version", "the OS version to install, such as 11.12.0"), names);
  }
  if (auto name = map.find("name")) {
    action.name = read_identifier(reader, *name);
  } else if (action.kind == ActionKind::kRollout) {
    map.require("name", "a name for the rollout, unique among rollouts, such as lts-rollout");
  }
  if (action.kind == ActionKind::kRollout) action.rollout = read_rollout_spec(reader, map);
  if (auto granted = map.find("granted")) action.granted = read_bool(reader, *granted);
}

Action read_action(const Reader& reader, const Field& field, const MapView& map,
                   const std::string& word, const Names& names) {
  const ActionShape& shape = *std::find_if(kActionShapes.begin(), kActionShapes.end(),
                                           [&](const ActionShape& a) { return a.word == word; });
  for (const Entry& entry : map.entries()) {
    if (std::find(shape.keys.begin(), shape.keys.end(), entry.key) == shape.keys.end()) {
      reader.fail_key(entry.key_node, entry.value.path,
                      "not valid with do: " + word + "; expected one of " + join_words(shape.keys));
    }
  }
  if (names.organizations.empty()) {
    reader.fail(open_map_field(field, "do"),
                "do: " + word +
                    " acts on a platform with tenants; expected organizations: in the scenario "
                    "(only do: fault works without)");
  }
  Action action;
  action.kind = shape.kind;
  action.line = reader.line_of(field);
  action.at = read_entry_time(reader, map, names);
  if (auto devices = map.find("devices")) action.devices = read_selection(reader, *devices, names);
  if (auto organization = map.find("organization")) {
    action.organization =
        read_reference(reader, *organization, names.organizations, "an organization");
  } else if (action.kind == ActionKind::kDeleteOrganization) {
    map.require("organization", "the name of the organization to delete");
  }
  if (auto as = map.find("as")) {
    const std::string role =
        read_word(reader, *as, {"owner", "administrator", "operator", "viewer"});
    action.as = role == "owner"           ? ActingRole::kOwner
                : role == "administrator" ? ActingRole::kAdministrator
                : role == "operator"      ? ActingRole::kOperator
                                          : ActingRole::kViewer;
  }
  if (auto scope = map.find("scope")) {
    action.scope = read_site_reference(reader, *scope, names);
    if (names.owned_sites.count(action.scope) == 0) {
      reader.fail(*scope, quote(action.scope) +
                              " belongs to no organization, so it has no resource group; expected "
                              "a site of an organization");
    }
    if (action.as == ActingRole::kOwner) {
      reader.fail(*scope,
                  "given for the owner, whose role is organization-wide; expected as: "
                  "administrator, operator or viewer");
    }
  }
  if (auto method = map.find("method")) {
    action.method = read_word(reader, *method, {"one-click", "local"}) == "local"
                        ? ClaimMethod::kLocal
                        : ClaimMethod::kOneClick;
  }
  if (auto profile = map.find("profile")) {
    action.profile = read_reference(reader, *profile, names.profiles, "a profile");
  }
  if (auto oak = map.find("oak"))
    action.wrong_oak = read_word(reader, *oak, {"right", "wrong"}) == "wrong";
  if (auto attempts = map.find("attempts")) {
    action.attempts =
        static_cast<std::uint32_t>(read_whole_number(reader, *attempts, 1, kClaimAttemptsMax));
  }
  if (auto over = map.find("over")) {
    action.over = read_duration(reader, *over, Duration::zero(), names.duration - action.at,
                                "the time left in the scenario");
  }
  if (action.kind == ActionKind::kInstallApp) {
    action.app = read_identifier(reader, map.require("app", "an app name such as motion-guard"));
  }
  if (action.kind == ActionKind::kInstallOs) {
    action.version =
        read_identifier(reader, map.require("version", "an OS version such as 12.2.0"));
  }
  if (action.kind == ActionKind::kInstallOs || action.kind == ActionKind::kSetLatestLts) {
    action.track = read_identifier(reader, map.require("track", "an OS track such as lts-2024"));
  }
  read_task_action(reader, map, names, action);
  return action;
}

constexpr std::array<std::string_view, 3> kAllConnectedKeys = {"id", "expect", "within"};
constexpr std::array<std::string_view, 6> kFractionKeys = {"id",   "expect",   "at",
                                                           "site", "at_least", "at_most"};
constexpr std::array<std::string_view, 5> kMetricKeys = {"id", "expect", "metric", "at_least",
                                                         "at_most"};
constexpr std::array<std::string_view, 4> kAllOnboardedKeys = {"id", "expect", "within", "devices"};
constexpr std::array<std::string_view, 7> kStatusKeys = {"id",      "expect",   "status", "reason",
                                                         "devices", "at_least", "at_most"};
constexpr std::array<std::string_view, 6> kModeKeys = {"id",      "expect",   "mode",
                                                       "devices", "at_least", "at_most"};
constexpr std::array<std::string_view, 7> kAuditKeys = {"id",     "expect",   "trail",  "topic",
                                                        "detail", "at_least", "at_most"};
constexpr std::array<std::string_view, 2> kIntactKeys = {"id", "expect"};
constexpr std::array<std::string_view, 7> kOnVersionKeys = {"id", "expect",   "version", "devices",
                                                            "at", "at_least", "at_most"};
constexpr std::array<std::string_view, 4> kOutsideWindowKeys = {"id", "expect", "at_least",
                                                                "at_most"};
constexpr std::array<std::string_view, 6> kRolloutStateKeys = {"id",    "expect",   "rollout",
                                                               "state", "at_least", "at_most"};
constexpr std::array<std::string_view, 8> kTasksKeys = {"id",     "expect",  "action",   "status",
                                                        "origin", "devices", "at_least", "at_most"};
constexpr std::array<std::string_view, 6> kInsightsKeys = {"id",      "expect",   "insight",
                                                           "devices", "at_least", "at_most"};

struct CheckShape {
  std::string_view expect;
  CheckKind kind;
  std::span<const std::string_view> keys;  // the keys valid with this `expect`
};

constexpr std::array<CheckShape, 14> kCheckShapes = {{
    {"all_devices_connected", CheckKind::kAllDevicesConnected, kAllConnectedKeys},
    {"connected_fraction", CheckKind::kConnectedFraction, kFractionKeys},
    {"disconnected_fraction", CheckKind::kDisconnectedFraction, kFractionKeys},
    {"metric", CheckKind::kMetric, kMetricKeys},
    {"all_devices_onboarded", CheckKind::kAllDevicesOnboarded, kAllOnboardedKeys},
    {"devices_with_status", CheckKind::kDevicesWithStatus, kStatusKeys},
    {"devices_in_mode", CheckKind::kDevicesInMode, kModeKeys},
    {"audit_entries", CheckKind::kAuditEntries, kAuditKeys},
    {"audit_trails_intact", CheckKind::kAuditTrailsIntact, kIntactKeys},
    {"devices_on_version", CheckKind::kDevicesOnVersion, kOnVersionKeys},
    {"updates_outside_window", CheckKind::kUpdatesOutsideWindow, kOutsideWindowKeys},
    {"rollout_state", CheckKind::kRolloutState, kRolloutStateKeys},
    {"tasks", CheckKind::kTasks, kTasksKeys},
    {"insights", CheckKind::kInsights, kInsightsKeys},
}};

constexpr std::array<std::string_view, 14> kCheckWords = {
    "all_devices_connected", "connected_fraction", "disconnected_fraction", "metric",
    "all_devices_onboarded", "devices_with_status", "devices_in_mode", "audit_entries",
    "audit_trails_intact",
    // Software updates, tasks and insights.
    "devices_on_version", "updates_outside_window", "rollout_state", "tasks", "insights"};

CheckKind read_check_kind(const Reader& reader, const MapView& map) {
  const Field expect = map.require("expect", "one of " + join_words(kCheckWords));
  const std::string kind = read_word(reader, expect, kCheckWords);
  const CheckShape& shape = *std::find_if(kCheckShapes.begin(), kCheckShapes.end(),
                                          [&](const CheckShape& s) { return s.expect == kind; });
  for (const Entry& entry : map.entries()) {
    if (std::find(shape.keys.begin(), shape.keys.end(), entry.key) == shape.keys.end()) {
      reader.fail_key(
          entry.key_node, entry.value.path,
          "not valid with expect: " + kind + "; expected one of " + join_words(shape.keys));
    }
  }
  return shape.kind;
}

// The audit topics the platform writes, which audit_entries checks may count.
const std::vector<std::string>& audit_topics() {
  static const std::vector<std::string> topics = [] {
    namespace p = platform;
    std::vector<std::string> all;
    for (std::string_view topic : {p::kTopicOrganizationCreated,
                                   p::kTopicMemberInvited,
                                   p::kTopicMemberJoined,
                                   p::kTopicRoleAssigned,
                                   p::kTopicRoleRevoked,
                                   p::kTopicResourceGroupCreated,
                                   p::kTopicLicenseSet,
                                   p::kTopicSeatConsumed,
                                   p::kTopicSeatReleased,
                                   p::kTopicOrganizationDeleted,
                                   p::kTopicDeviceRegistered,
                                   p::kTopicDevicePlacedOnLan,
                                   p::kTopicDeviceOnboarding,
                                   p::kTopicDeviceOnboarded,
                                   p::kTopicDeviceOnboardingFailed,
                                   p::kTopicDeviceClaimRefused,
                                   p::kTopicDeviceModeChanged,
                                   p::kTopicDeviceReleased,
                                   p::kTopicDeviceOsReported,
                                   p::kTopicDeviceAppInstalled,
                                   p::kTopicDeviceLocalAdministratorUsed,
                                   p::kTopicDeviceConnection,
                                   p::kTopicProfileDefined,
                                   p::kTopicProfileDefaultSet,
                                   p::kTopicLatestLtsSet,
                                   p::kTopicTaskSeriesCreated,
                                   p::kTopicTaskSeriesCancelled,
                                   p::kTopicTaskCancelled,
                                   p::kTopicTaskHostCreated,
                                   p::kTopicRolloutStarted,
                                   p::kTopicRolloutEnded,
                                   p::kTopicDiagnosticsConsentGranted,
                                   p::kTopicDiagnosticsConsentRevoked}) {
      all.emplace_back(topic);
    }
    return all;
  }();
  return topics;
}

// at_least / at_most: fractions for fraction checks, any number for the others.
void read_bounds(const Reader& reader, const MapView& map, Check& check) {
  const bool fraction =
      check.kind == CheckKind::kConnectedFraction || check.kind == CheckKind::kDisconnectedFraction;
  const std::optional<Field> at_least = map.find("at_least");
  const std::optional<Field> at_most = map.find("at_most");
  if (!at_least && !at_most) {
    reader.fail(map.field(), "has no bound; expected at_least, at_most or both");
  }
  if (at_least)
    check.at_least = fraction ? read_fraction(reader, *at_least) : read_number(reader, *at_least);
  if (at_most)
    check.at_most = fraction ? read_fraction(reader, *at_most) : read_number(reader, *at_most);
  if (check.at_least > check.at_most) {
    reader.fail(*at_most, "below at_least; expected at_least <= at_most");
  }
}

// The Task Manager's actions and statuses, which tasks checks may name, and the insights the
// platform raises.
const std::vector<std::string_view>& task_action_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> all;
    for (const platform::TaskActionSpec& spec : platform::kTaskActions) all.push_back(spec.name);
    return all;
  }();
  return words;
}
const std::vector<std::string_view>& task_status_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> all;
    for (std::size_t i = 0; i < platform::kTaskStatusCount; ++i) {
      all.push_back(platform::task_status_name(static_cast<platform::TaskStatus>(i)));
    }
    return all;
  }();
  return words;
}
const std::vector<std::string_view>& insight_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> all;
    for (std::size_t i = 0; i < platform::kInsightKindCount; ++i) {
      all.push_back(platform::insight_kind_name(static_cast<platform::InsightKind>(i)));
    }
    return all;
  }();
  return words;
}

// devices_on_version, updates_outside_window, rollout_state, tasks and insights; false for the
// other checks, which it leaves alone.
bool read_update_check(const Reader& reader, const MapView& map, const Names& names, Check& check) {
  switch (check.kind) {
    case CheckKind::kDevicesOnVersion:
      check.version = read_version(reader, map.require("version", kVersionExpected));
      check.at = names.duration;
      if (auto at = map.find("at")) {
        check.at =
            read_duration(reader, *at, Duration::zero(), names.duration, "the scenario's duration");
      }
      break;
    case CheckKind::kRolloutState:
      check.rollout = read_reference(reader, map.require("rollout", "the name of a rollout"),
                                     names.rollouts, "a rollout (the name of a do: rollout entry)");
      check.state = read_word(reader, map.require("state", "running, finished or aborted"),
                              {"running", "finished", "aborted"});
      if (!map.find("at_least") && !map.find("at_most")) return true;  // the state alone
      break;
    case CheckKind::kTasks:
      if (auto action = map.find("action")) {
        check.action = read_word(reader, *action, task_action_words());
      }
      if (auto status = map.find("status")) {
        check.status = read_word(reader, *status, task_status_words());
      }
      if (auto origin = map.find("origin")) {
        check.origin = read_word(reader, *origin, {"user", "host"});
      }
      break;
    case CheckKind::kInsights:
      check.insight = read_word(
          reader, map.require("insight", "one of " + join_words(insight_words())), insight_words());
      break;
    case CheckKind::kUpdatesOutsideWindow:
      break;
    default:
      return false;
  }
  read_bounds(reader, map, check);
  return true;
}

Check read_check(const Reader& reader, const Field& field, const Names& names) {
  const MapView map = open_map(
      reader, field, {"id",      "expect",  "within",  "at",     "site",   "metric", "at_least",
                      "at_most", "devices", "status",  "reason", "mode",   "trail",  "topic",
                      "detail",  "version", "rollout", "state",  "action", "origin", "insight"});
  Check check;
  check.id = read_identifier(reader, map.require("id", kIdentifierExpected));
  check.kind = read_check_kind(reader, map);
  check.line = reader.line_of(field);
  if (auto devices = map.find("devices")) check.devices = read_selection(reader, *devices, names);
  if (read_update_check(reader, map, names, check)) return check;
  switch (check.kind) {
    case CheckKind::kAllDevicesOnboarded:
      check.within = names.duration;
      if (auto within = map.find("within")) {
        check.within =
            read_duration(reader, *within, 1us, names.duration, "the scenario's duration");
      }
      return check;
    case CheckKind::kAuditTrailsIntact:
      return check;
    case CheckKind::kDevicesWithStatus:
      check.status = read_word(reader, map.require("status", "an onboarding status"),
                               {"registered", "onboarding", "onboarded", "failed"});
      if (auto reason = map.find("reason")) check.reason = read_text(reader, *reason, 256);
      read_bounds(reader, map, check);
      return check;
    case CheckKind::kDevicesInMode:
      check.mode = read_word(reader, map.require("mode", "a management mode"),
                             {"standalone", "connected", "managed"});
      read_bounds(reader, map, check);
      return check;
    case CheckKind::kAuditEntries: {
      std::vector<std::string> trails = names.organizations;
      trails.emplace_back(platform::kRegistryAuditTrail);
      check.trail = read_reference(reader, map.require("trail", "an organization or platform"),
                                   trails, "an audit trail (an organization, or platform)");
      const Field topic = map.require("topic", "an audit topic such as device.onboarded");
      check.topic = read_scalar(reader, topic, "an audit topic such as device.onboarded");
      const std::vector<std::string>& topics = audit_topics();
      if (std::find(topics.begin(), topics.end(), check.topic) == topics.end()) {
        reader.fail(topic, quote(check.topic) + " is not an audit topic; expected one of " +
                               join(topics, topics.size()));
      }
      if (auto detail = map.find("detail")) check.detail = read_text(reader, *detail, 256);
      read_bounds(reader, map, check);
      return check;
    }
    default:
      break;
  }
  if (check.kind == CheckKind::kAllDevicesConnected) {
    check.within = names.duration;
    if (auto within = map.find("within")) {
      check.within = read_duration(reader, *within, 1us, names.duration, "the scenario's duration");
    }
    return check;
  }
  if (check.kind == CheckKind::kMetric) {
    const Field metric = map.require("metric", "a metric name such as frame_errors");
    check.metric = read_scalar(reader, metric, "a metric name such as frame_errors");
    if (find_metric(check.metric) == nullptr) {
      std::vector<std::string> known;
      for (const MetricSpec& spec : metric_specs()) known.emplace_back(spec.name);
      reader.fail(metric, quote(check.metric) + " is not a metric; expected one of " +
                              join(known, known.size()));
    }
  } else {
    check.at = read_duration(reader, map.require("at", "the time to look, such as 30m"),
                             Duration::zero(), names.duration, "the scenario's duration");
    if (auto site = map.find("site")) check.site = read_site_reference(reader, *site, names);
  }
  read_bounds(reader, map, check);
  return check;
}

void read_timeline(const Reader& reader, const std::optional<Field>& field, const Names& names,
                   Scenario& scenario) {
  if (!field) return;
  std::map<std::string, std::string> rollouts;  // name -> the entry that has it
  for (const Field& item : open_list(reader, *field, kTimelineEntriesMax, "timeline entries")) {
    if (!item.node.IsMap()) {
      reader.fail(item, "got " + std::string(describe_node(item.node)) +
                            "; expected a map such as {at: 10m, do: onboard, devices: all}");
    }
    const YAML::Node word_node = item.node["do"];
    const Field word_field{word_node.IsDefined() ? word_node : item.node,
                           child_path(item.path, "do")};
    if (!word_node.IsDefined()) {
      reader.fail(word_field, "missing; expected one of " + join_words(kActionWords));
    }
    const std::string word = read_word(reader, word_field, kActionWords);
    if (word == "fault") {
      scenario.timeline.push_back(read_fault(reader, item, names));
      continue;
    }
    const MapView map =
        open_map(reader, item,
                 {"at",      "do",     "devices",  "organization", "as",     "method",
                  "profile", "oak",    "attempts", "over",         "app",    "version",
                  "track",   "scope",  "text",     "name",         "stages", "starts_per_minute",
                  "abort",   "granted"});
    scenario.actions.push_back(read_action(reader, item, map, word, names));
    const Action& action = scenario.actions.back();
    if (action.kind != ActionKind::kRollout) continue;
    const auto [it, added] = rollouts.emplace(action.name, item.path);
    if (!added) {
      reader.fail(open_map_field(item, "name"), quote(action.name) + " already names the rollout " +
                                                    it->second +
                                                    "; expected a unique rollout name");
    }
  }
}

std::vector<Check> read_checks(const Reader& reader, const Field& field, const Names& names) {
  const std::vector<Field> items = open_list(reader, field, kChecksMax, "checks");
  if (items.empty()) {
    reader.fail(field, "an empty list; expected at least one check");
  }
  std::vector<Check> checks;
  std::map<std::string, std::string> ids;  // id -> the check that has it
  for (const Field& item : items) {
    checks.push_back(read_check(reader, item, names));
    const auto [it, added] = ids.emplace(checks.back().id, item.path);
    if (!added) {
      reader.fail(open_map_field(item, "id"), quote(checks.back().id) + " is already the id of " +
                                                  it->second + "; expected a unique check id");
    }
  }
  return checks;
}

// Default profiles name defined profiles; device-management seats default to one per device.
void check_organizations(const Reader& reader, const MapView& root, Scenario& scenario,
                         const Names& names) {
  if (scenario.organizations.empty()) return;
  const std::vector<Field> items =
      open_list(reader, *root.find("organizations"), kOrganizationsPerScenarioMax, "organizations");
  for (std::size_t i = 0; i < scenario.organizations.size(); ++i) {
    Organization& organization = scenario.organizations[i];
    if (!organization.default_profile.empty()) {
      read_reference(reader, open_map_field(items[i], "default_profile"), names.profiles,
                     "a profile");
    }
    const bool licensed = std::any_of(
        organization.licenses.begin(), organization.licenses.end(), [](const License& license) {
          return license.service == platform::kDeviceManagementService;
        });
    if (licensed) continue;
    std::uint64_t devices = 0;
    for (const Site& site : scenario.sites) {
      if (site.organization != static_cast<int>(i)) continue;
      for (const DeviceGroup& group : site.devices) devices += group.count;
    }
    organization.licenses.push_back(
        License{std::string(platform::kDeviceManagementService),
                static_cast<std::uint32_t>(std::max<std::uint64_t>(devices, 1))});
  }
}

// epoch, release_check_interval, telemetry_interval and releases.
void read_update_settings(const Reader& reader, const MapView& root, Scenario& scenario) {
  if (auto epoch = root.find("epoch")) {
    const platform::Result<platform::RunEpoch> parsed = platform::parse_run_epoch(
        read_scalar(reader, *epoch, "an instant in UTC such as 2026-03-23T00:00:00Z"));
    if (!parsed.ok()) reader.fail(*epoch, platform_expected(parsed.error()));
    scenario.epoch = parsed.value();
  }
  if (auto interval = root.find("release_check_interval")) {
    scenario.release_check_interval =
        read_duration(reader, *interval, kReleaseCheckIntervalMin, kReleaseCheckIntervalMax);
  }
  if (auto interval = root.find("telemetry_interval")) {
    scenario.telemetry_interval =
        read_duration(reader, *interval, kTelemetryIntervalMin, kTelemetryIntervalMax);
  }
  scenario.releases = read_releases(reader, root.find("releases"), scenario.duration);
}

Scenario read_scenario(const Reader& reader, const Field& root_field, const std::string& file) {
  const MapView root = open_map(
      reader, root_field,
      {"name", "description", "duration", "start_within", "start_order", "heartbeat", "cloud",
       "latest_lts", "onboarding_timeout", "epoch", "release_check_interval", "telemetry_interval",
       "releases", "profiles", "organizations", "fleet", "sites", "timeline", "checks"});
  Scenario scenario;
  scenario.file = file;
  scenario.name = read_identifier(reader, root.require("name", kIdentifierExpected));
  if (auto description = root.find("description")) {
    scenario.description = read_text(reader, *description, kDescriptionCharsMax);
  }
  scenario.duration = read_duration(reader, root.require("duration", "a duration such as 1h"), 1us,
                                    kScenarioDurationMax);
  if (auto start_within = root.find("start_within")) {
    scenario.start_within =
        read_duration(reader, *start_within, 1us, scenario.duration, "the scenario's duration");
  }
  scenario.start_within = std::min(scenario.start_within, scenario.duration);
  if (auto start_order = root.find("start_order")) {
    scenario.start_order = read_word(reader, *start_order, {"random", "staggered"}) == "staggered"
                               ? StartOrder::kStaggered
                               : StartOrder::kRandom;
  }
  if (auto heartbeat = root.find("heartbeat"))
    scenario.heartbeat = read_heartbeat(reader, *heartbeat);
  if (auto cloud = root.find("cloud")) scenario.cloud = read_cloud(reader, *cloud);
  if (auto lts = root.find("latest_lts")) scenario.latest_lts_track = read_identifier(reader, *lts);
  if (auto timeout = root.find("onboarding_timeout")) {
    scenario.onboarding_timeout = read_duration(reader, *timeout, 1s, kOnboardingTimeoutMax);
  }
  read_update_settings(reader, root, scenario);
  scenario.profiles = read_profiles(reader, root.find("profiles"));
  std::vector<OrganizationSites> owned;
  scenario.organizations = read_organizations(reader, root.find("organizations"), owned);
  scenario.sites = read_all_sites(reader, root, scenario.organizations, owned);
  Names names = names_of(scenario);
  check_organizations(reader, root, scenario, names);
  read_timeline(reader, root.find("timeline"), names, scenario);
  for (const Action& action : scenario.actions) {
    if (action.kind == ActionKind::kRollout) names.rollouts.push_back(action.name);
  }
  scenario.checks =
      read_checks(reader, root.require("checks", "a list of at least one check"), names);
  return scenario;
}

YAML::Node load_document(std::string_view yaml_text, const std::string& file_label) {
  if (yaml_text.size() > kScenarioFileBytesMax) {
    throw ScenarioError(file_label, 0, "",
                        std::to_string(yaml_text.size()) + " bytes; expected at most " +
                            std::to_string(kScenarioFileBytesMax));
  }
  const std::string text(yaml_text);
  YAML::Node document;
  try {
    // Not YAML::LoadAll, which loops on a stray ',' (core/yaml_documents.h).
    const core::YamlDocuments scan = core::scan_yaml_documents(text);
    if (scan.stalled_at) {
      throw ScenarioError(file_label, scan.stalled_at->line + 1, "",
                          "invalid YAML: unexpected character at column " +
                              std::to_string(scan.stalled_at->column + 1) +
                              "; expected a key, a value or a list item (a ',' outside [] or {}?)");
    }
    if (scan.second_at) {
      throw ScenarioError(file_label, scan.second_at->line + 1, "",
                          "a second YAML document; expected one scenario per file");
    }
    document = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ScenarioError(file_label, error.mark.line >= 0 ? error.mark.line + 1 : 0, "",
                        "invalid YAML: " + error.msg);
  }
  if (!document.IsDefined() || document.IsNull()) {
    throw ScenarioError(file_label, 1, "",
                        "empty document; expected a map with name, duration, sites or fleet, "
                        "and checks");
  }
  return document;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public

Override parse_override(std::string_view key_equals_value) {
  const std::size_t equals = key_equals_value.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw ScenarioError("--set", 0, "",
                        "expected KEY=VALUE, such as fleet.cameras=500 or "
                        "sites.0.uplink.latency=30ms",
                        std::string(key_equals_value));
  }
  Override parsed{std::string(key_equals_value.substr(0, equals)),
                  std::string(key_equals_value.substr(equals + 1))};
  check_override_key(parsed.first, key_equals_value);
  return parsed;
}

Scenario parse_scenario(std::string_view yaml_text, const std::string& file_label,
                        const std::vector<Override>& overrides) {
  YAML::Node root = load_document(yaml_text, file_label);
  if (!root.IsMap()) {
    throw ScenarioError(file_label, root.Mark().line + 1, "",
                        "the document is " + std::string(describe_node(root)) +
                            "; expected a map with name, duration, sites or fleet, and checks");
  }
  std::vector<AppliedOverride> applied = apply_overrides(root, overrides);
  const Reader reader(file_label, std::move(applied));
  return read_scenario(reader, Field{root, ""}, file_label);
}

Scenario load_scenario(const std::string& path, const std::vector<Override>& overrides) {
  const core::FileText file = core::read_file_text(path, kScenarioFileBytesMax);
  if (!file.error.empty()) {
    throw ScenarioError(path, 0, "", file.error + "; expected a readable scenario file");
  }
  return parse_scenario(file.text, path, overrides);  // it reports a text over the size limit
}

Duration parse_duration(std::string_view text) {
  const std::string expected =
      "; expected a number and a unit (d, h, m, s, ms, us), largest unit first, no spaces, "
      "such as 90s, 15m, 250ms or 1h30m";
  if (text.empty()) throw std::invalid_argument("an empty duration" + expected);
  std::string_view rest = text;
  std::size_t units_used = 0;  // units before this index are no longer allowed
  std::uint64_t total_us = 0;
  while (!rest.empty()) {
    const std::optional<NumberAndUnit> part = take_number_and_unit(rest);
    if (!part) throw std::invalid_argument(quote(text) + " is not a duration" + expected);
    const auto unit = std::find_if(kDurationUnits.begin(), kDurationUnits.end(),
                                   [&](const DurationUnit& u) { return u.name == part->unit; });
    if (unit == kDurationUnits.end()) {
      throw std::invalid_argument(quote(text) + " has an unknown unit " + quote(part->unit) +
                                  expected);
    }
    const auto unit_index = static_cast<std::size_t>(unit - kDurationUnits.begin());
    if (unit_index < units_used) {
      throw std::invalid_argument(quote(text) + " repeats a unit or puts a smaller one first" +
                                  expected);
    }
    units_used = unit_index + 1;
    const std::uint64_t part_us = group_microseconds(*part, unit->microseconds, text);
    const auto duration_max_us = static_cast<std::uint64_t>(kScenarioDurationMax.count());
    if (__builtin_add_overflow(total_us, part_us, &total_us) || total_us > duration_max_us) {
      throw std::invalid_argument(quote(text) + " is too long a duration; expected at most " +
                                  std::to_string(kScenarioDurationMax / 24h) + "d");
    }
  }
  return Duration(static_cast<Duration::rep>(total_us));
}

double parse_bandwidth_bps(std::string_view text) {
  struct BandwidthUnit {
    std::string_view name;
    double bps;
  };
  static constexpr std::array<BandwidthUnit, 11> kUnits = {{
      {"bps", 1},
      {"kbps", 1e3},
      {"Kbps", 1e3},
      {"Mbps", 1e6},
      {"Gbps", 1e9},
      {"Tbps", 1e12},
      {"Bps", 8},
      {"kBps", 8e3},
      {"KBps", 8e3},
      {"MBps", 8e6},
      {"GBps", 8e9},
  }};
  const std::string expected =
      "; expected a number and a unit: bps, kbps, Mbps, Gbps, Tbps (bits per second) or Bps, "
      "kBps, MBps, GBps (bytes), such as 50Mbps or 1.5Gbps";
  std::string_view rest = text;
  const std::optional<NumberAndUnit> part = take_number_and_unit(rest);
  if (!part || !rest.empty()) {
    throw std::invalid_argument(quote(text) + " is not a bandwidth" + expected);
  }
  const auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                                 [&](const BandwidthUnit& u) { return u.name == part->unit; });
  if (unit == kUnits.end()) {
    throw std::invalid_argument(quote(text) + " has an unknown unit " + quote(part->unit) +
                                expected);
  }
  const std::size_t number_chars = text.size() - part->unit.size();
  const std::optional<double> number = to_number(text.substr(0, number_chars));
  if (!number) throw std::invalid_argument(quote(text) + " is not a bandwidth" + expected);
  return *number * unit->bps;
}

double parse_fraction(std::string_view text) {
  const bool percent = text.ends_with('%');
  const std::optional<double> number = to_number(percent ? text.substr(0, text.size() - 1) : text);
  const double fraction = number ? *number / (percent ? 100.0 : 1.0) : -1.0;
  if (!number || fraction < 0.0 || fraction > 1.0) {
    throw std::invalid_argument(quote(text) +
                                " is not a fraction; expected a number from 0 to 1 or a "
                                "percentage from 0% to 100%, such as 0.001 or 0.1%");
  }
  return fraction;
}

}  // namespace ccsim::scenarios
