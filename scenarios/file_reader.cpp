#include "scenarios/file_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "core/os_version.h"
#include "platform/update_window.h"
#include "scenarios/scenario_file.h"

namespace ccsim::scenarios::file {
namespace {

using namespace std::chrono_literals;

constexpr double kBandwidthBpsMax = 1e12;  // 1 Tbps

bool is_index(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

}  // namespace

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

// Whole-number text to an integer; nullopt for anything else (signs, spaces, overflow).
std::optional<std::uint64_t> to_whole_number(std::string_view text) {
  if (!is_index(text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

namespace {

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

}  // namespace

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string_view describe_node(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a value";
  return "nothing";
}

namespace {

bool path_within(std::string_view path, std::string_view root) {
  return path == root ||
         (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '.');
}

}  // namespace

// ---- the reader -----------------------------------------------------------------------------

int Reader::line_of(const Field& field) const {
  if (origin(field.path) != nullptr) return 0;
  const YAML::Mark mark = field.key_mark.line >= 0 ? field.key_mark : field.node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

void Reader::fail(const Field& field, const std::string& expected) const {
  report(field, expected);
  throw FieldAbandoned{};
}

void Reader::report(const Field& field, const std::string& expected) const {
  if (problems_.size() >= kScenarioProblemsMax) {
    ++more_;
    return;
  }
  if (const AppliedOverride* from = origin(field.path)) {
    problems_.push_back({"--set", 0, field.path, expected, from->setting});
    return;
  }
  problems_.push_back({file_, line_of(field), field.path, expected, ""});
}

void Reader::report_key(const YAML::Node& key_node, const std::string& path,
                        const std::string& expected) const {
  report(Field{key_node, path}, expected);
}

// Overrides first (they have no line), then the file's problems by line; problems on one line in
// the order found.
void Reader::finish() const {
  if (!has_problems()) return;
  std::vector<ScenarioProblem> sorted = problems_;
  std::stable_sort(
      sorted.begin(), sorted.end(), [](const ScenarioProblem& a, const ScenarioProblem& b) {
        return (a.file == "--set") != (b.file == "--set") ? a.file == "--set" : a.line < b.line;
      });
  throw ScenarioError(std::move(sorted), more_);
}

// The last override that set this path or a map above it, if any.
const AppliedOverride* Reader::origin(const std::string& path) const {
  for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it) {
    for (const std::string& owned : it->owned_paths) {
      if (path_within(path, owned)) return &*it;
    }
  }
  return nullptr;
}

std::optional<Field> MapView::find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return entry.value;
  }
  return std::nullopt;
}

Field MapView::require(std::string_view key, std::string_view expected) const {
  std::optional<Field> found = find(key);
  if (!found) {
    reader_->fail(Field{map_.node, child_path(map_.path, key), map_.key_mark},
                  "missing; expected " + std::string(expected));
  }
  return *found;
}

MapView open_map(const Reader& reader, const Field& field,
                 std::span<const std::string_view> allowed) {
  return open_map(reader, field, allowed, {}, {});
}

MapView open_map(const Reader& reader, const Field& field,
                 std::span<const std::string_view> allowed, std::span<const std::string_view> known,
                 std::string_view context) {
  if (!field.node.IsMap()) {
    reader.fail(field, "got " + std::string(describe_node(field.node)) + "; expected a map of " +
                           join_words(allowed));
  }
  std::vector<Entry> entries;
  for (const auto& pair : field.node) {
    const YAML::Node& key_node = pair.first;
    if (!key_node.IsScalar()) {
      reader.report_key(key_node, field.path,
                        "a key is " + std::string(describe_node(key_node)) + "; expected one of " +
                            join_words(allowed));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string path = child_path(field.path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      const bool elsewhere = std::find(known.begin(), known.end(), key) != known.end();
      reader.report_key(key_node, path,
                        (elsewhere ? "not valid with " + std::string(context) : "unknown key") +
                            "; expected one of " + join_words(allowed));
      continue;
    }
    const bool repeated = std::any_of(entries.begin(), entries.end(),
                                      [&](const Entry& entry) { return entry.key == key; });
    if (repeated) {
      reader.report_key(key_node, path, "given twice; expected each key once");
      continue;
    }
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

std::size_t read_word_index(const Reader& reader, const Field& field,
                            std::span<const std::string_view> words) {
  const std::string expected =
      words.size() == 1 ? std::string(*words.begin()) : "one of " + join_words(words);
  const std::string& text = read_scalar(reader, field, expected);
  const auto found = std::find(words.begin(), words.end(), text);
  if (found == words.end()) reader.fail(field, "got " + quote(text) + "; expected " + expected);
  return static_cast<std::size_t>(found - words.begin());
}

std::string read_word(const Reader& reader, const Field& field,
                      std::span<const std::string_view> words) {
  return std::string(words[read_word_index(reader, field, words)]);
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

// A duration in [min, max]; `max_meaning` says where max comes from ("the scenario's duration").
Duration read_duration(const Reader& reader, const Field& field, Duration min, Duration max,
                       std::string_view max_meaning) {
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
  for (const Region& region : scenario.regions) names.regions.insert(region.name);
  names.region_list.assign(names.regions.begin(), names.regions.end());
  for (const Organization& organization : scenario.organizations) {
    names.organizations.push_back(organization.name);
  }
  for (const Profile& profile : scenario.profiles) names.profiles.push_back(profile.name);
  for (const Viewer& viewer : scenario.viewers) names.viewers.push_back(viewer.name);
  for (const TurnServer& server : scenario.turn_servers) names.turn_servers.push_back(server.name);
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

}  // namespace ccsim::scenarios::file

namespace ccsim::scenarios {

using namespace file;  // NOLINT: the value parsers below share the reader's number helpers

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
