// How the loader reads a scenario file's YAML tree (internal to scenarios/file_*.cpp). Every value
// is read through a Field, which knows its dotted key path and its line, so a problem names both.
// Problems are collected, not thrown at the user one at a time: Reader::fail records one and
// abandons the value being read (the enclosing recover() catches it and reading goes on with the
// next key or item); Reader::report records one and goes on at once. At the end, every problem
// is reported together, in file order, as compilers do.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/service_result.h"
#include "scenarios/model/scenario.h"
#include "scenarios/scenario_error.h"

namespace ccsim::scenarios::file {

// Limits of the file format itself, beside the scenario limits in scenario.h.
inline constexpr std::size_t kScenarioFileBytesMax = 16 * 1024 * 1024;
inline constexpr std::size_t kIdentifierCharsMax = 64;
inline constexpr std::size_t kNamesListedMax = 5;  // in "expected one of ..." for sites and regions
inline constexpr std::string_view kIdentifierExpected = "1-64 characters of A-Z a-z 0-9 . _ -";
inline constexpr std::string_view kVersionExpected =
    "an OS version of three numbers without leading zeros, such as 11.12.0";

// ---- text -----------------------------------------------------------------------------------

// Quotes user text for a message, cut short so a pasted blob does not flood the terminal.
std::string quote(std::string_view text);
// "a, b, c", at most `listed_max` of them, then how many in all.
std::string join(const std::vector<std::string>& items, std::size_t listed_max);
template <typename Words>
std::string join_words(const Words& words) {
  std::string text;
  for (std::string_view word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}
bool is_digit(char c);
bool is_letter(char c);
bool is_identifier(std::string_view text);
// Whole-number text to an integer; nullopt for anything else (signs, spaces, overflow).
std::optional<std::uint64_t> to_whole_number(std::string_view text);
std::string format_duration(Duration duration);
std::string_view describe_node(const YAML::Node& node);
// What a platform parser found wrong, without the field name it starts with: the problem names
// the key instead.
std::string platform_expected(const platform::ServiceError& error);

// ---- fields and the reader ------------------------------------------------------------------

struct Field {
  YAML::Node node;
  std::string path;  // dotted key path, "sites.2.uplink.latency"; "" for the document
  // Where the key that holds the node is: problems point at the key, as a reader looks for it.
  // List items and the document have no key: their problems point at the node itself.
  YAML::Mark key_mark = YAML::Mark::null_mark();
};

std::string child_path(const std::string& parent, std::string_view key);

// An override as applied to the tree: problems under the paths it owns name it, not a line.
struct AppliedOverride {
  std::string setting;  // "fleet.cameras=500", as given
  // The path it set and every map it created on the way.
  std::vector<std::string> owned_paths;
};

// Thrown by Reader::fail to abandon the value being read; caught by recover().
struct FieldAbandoned {};

class Reader {
 public:
  Reader(std::string file, std::vector<AppliedOverride> overrides)
      : file_(std::move(file)), overrides_(std::move(overrides)) {}

  // The 1-based line of a field, 0 when it came from an override.
  int line_of(const Field& field) const;

  // Records a problem with `field` and abandons the value being read.
  [[noreturn]] void fail(const Field& field, const std::string& expected) const;
  // Records a problem and goes on.
  void report(const Field& field, const std::string& expected) const;
  // For a key itself (an unknown key, a key given twice).
  void report_key(const YAML::Node& key_node, const std::string& path,
                  const std::string& expected) const;

  // Runs `read`; a value it abandons is a problem already recorded. False when abandoned.
  template <typename Read>
  bool recover(Read&& read) const {
    try {
      read();
      return true;
    } catch (const FieldAbandoned&) {
      return false;
    }
  }

  bool has_problems() const { return !problems_.empty() || more_ > 0; }
  // Throws a ScenarioError with every problem recorded, in file order, if there is any.
  void finish() const;

 private:
  const AppliedOverride* origin(const std::string& path) const;

  std::string file_;
  std::vector<AppliedOverride> overrides_;
  mutable std::vector<ScenarioProblem> problems_;
  mutable std::size_t more_ = 0;  // past kScenarioProblemsMax
};

struct Entry {
  std::string key;
  YAML::Node key_node;
  Field value;
};

// A map whose keys were checked: each a scalar, each once, each one of the allowed. Keys that are
// not are reported and left out.
class MapView {
 public:
  MapView(const Reader& reader, Field map, std::vector<Entry> entries)
      : reader_(&reader), map_(std::move(map)), entries_(std::move(entries)) {}

  const Field& field() const { return map_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::optional<Field> find(std::string_view key) const;
  // `expected` says what the key should hold, e.g. "a duration such as 1h". Abandons when missing.
  Field require(std::string_view key, std::string_view expected) const;
  // Reads the key with `read` when it is given; a value abandoned there leaves the rest alone.
  template <typename Read>
  void with(std::string_view key, Read&& read) const {
    if (std::optional<Field> found = find(key)) reader_->recover([&] { read(*found); });
  }

 private:
  const Reader* reader_;
  Field map_;
  std::vector<Entry> entries_;
};

MapView open_map(const Reader& reader, const Field& field,
                 std::span<const std::string_view> allowed);
// As open_map, for a map whose keys depend on one of its values (`do:`, `expect:`): a key the
// vocabulary has (`known`) but not here is "not valid with `context`".
MapView open_map(const Reader& reader, const Field& field,
                 std::span<const std::string_view> allowed, std::span<const std::string_view> known,
                 std::string_view context);
MapView open_map(const Reader& reader, const Field& field,
                 std::initializer_list<std::string_view> allowed);
// The field under `key` of a map already read, for a problem found afterwards.
Field open_map_field(const Field& map, std::string_view key);
std::vector<Field> open_list(const Reader& reader, const Field& field, std::size_t items_max,
                             std::string_view item);

// ---- scalars --------------------------------------------------------------------------------

const std::string& read_scalar(const Reader& reader, const Field& field, std::string_view expected);
std::string read_identifier(const Reader& reader, const Field& field);
std::string read_text(const Reader& reader, const Field& field, std::size_t chars_max);
// A word from a fixed set, e.g. `do: fault`; returns its index in `words`.
std::size_t read_word_index(const Reader& reader, const Field& field,
                            std::span<const std::string_view> words);
std::string read_word(const Reader& reader, const Field& field,
                      std::span<const std::string_view> words);
std::string read_word(const Reader& reader, const Field& field,
                      std::initializer_list<std::string_view> words);
std::uint64_t read_whole_number(const Reader& reader, const Field& field, std::uint64_t min,
                                std::uint64_t max);
double read_number(const Reader& reader, const Field& field);
double read_fraction(const Reader& reader, const Field& field);
double read_bandwidth_bps(const Reader& reader, const Field& field);
// A duration in [min, max]; `max_meaning` says where max comes from ("the scenario's duration").
Duration read_duration(const Reader& reader, const Field& field, Duration min, Duration max,
                       std::string_view max_meaning = {});
bool read_bool(const Reader& reader, const Field& field);
// A time at which something happens in the run: `0s` up to, not including, its end.
Duration read_time_before_end(const Reader& reader, const Field& field, Duration duration);
std::string read_version(const Reader& reader, const Field& field);
std::uint64_t read_size_bytes(const Reader& reader, const Field& field, std::uint64_t max);
// An IANA zone the machine's tz database has, as update windows need.
std::string read_time_zone(const Reader& reader, const Field& field);

// ---- references -----------------------------------------------------------------------------

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
  std::vector<std::string> viewers;       // in file order
  std::vector<std::string> turn_servers;  // in file order, then each region's default
  std::set<std::string> owned_sites;      // sites of an organization (each a resource group)
  // Versions deploy and rollout may name: the releases', sorted (the platform deploys only what
  // it published).
  std::vector<std::string> versions;
  std::vector<std::string> rollouts;  // names of the timeline's rollouts, once it is read
};
Names names_of(const Scenario& scenario);

std::string read_site_reference(const Reader& reader, const Field& field, const Names& names);
// `value` must be one of `known` (a kind of thing named `what`).
std::string read_reference(const Reader& reader, const Field& field,
                           const std::vector<std::string>& known, std::string_view what);
// `devices:`: "all", or a map {site, organization, model, count}.
DeviceSelection read_selection(const Reader& reader, const Field& field, const Names& names);

}  // namespace ccsim::scenarios::file
