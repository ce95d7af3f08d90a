// The checks of a scenario file: each read by the keys its declaration names
// (scenarios/model/vocabulary.h), then its bounds as the declaration says.
#include <map>

#include "scenarios/file_keys.h"
#include "scenarios/file_sections.h"

namespace ccsim::scenarios::file {
namespace {

std::vector<std::string_view> check_words() {
  std::vector<std::string_view> words;
  for (const CheckSpec& spec : check_specs()) words.push_back(spec.word);
  return words;
}

// Every key some check takes, for "not valid with expect: X".
std::vector<std::string_view> check_keys() {
  std::vector<std::string_view> keys{"id", "expect", "at_least", "at_most"};
  for (const CheckSpec& spec : check_specs()) {
    for (const KeySpec<Check>& key : spec.keys) keys.push_back(key.name);
  }
  return keys;
}

// at_least / at_most: fractions for fraction checks, any number for the others.
void read_bounds(const Reader& reader, const MapView& map, const CheckSpec& spec, Check& check) {
  const std::optional<Field> at_least = map.find("at_least");
  const std::optional<Field> at_most = map.find("at_most");
  if (spec.bounds == Bounds::kRequired && !at_least && !at_most) {
    reader.report(map.field(), "has no bound; expected at_least, at_most or both");
    return;
  }
  const auto read_bound = [&](const Field& field) {
    return spec.fraction_bounds ? read_fraction(reader, field) : read_number(reader, field);
  };
  bool read = true;
  if (at_least) read = reader.recover([&] { check.at_least = read_bound(*at_least); });
  if (at_most) read = reader.recover([&] { check.at_most = read_bound(*at_most); }) && read;
  if (read && check.at_least > check.at_most) {
    reader.report(*at_most, "below at_least; expected at_least <= at_most");
  }
}

Check read_check(const Reader& reader, const Field& item, const Names& names) {
  if (!item.node.IsMap()) {
    reader.fail(item, "got " + std::string(describe_node(item.node)) +
                          "; expected a map such as {id: all-up, expect: all_devices_connected}");
  }
  const std::vector<std::string_view> words = check_words();
  const YAML::Node word_node = item.node[std::string(kCheckWordKey)];
  const Field word_field{word_node.IsDefined() ? word_node : item.node,
                         child_path(item.path, kCheckWordKey)};
  if (!word_node.IsDefined())
    reader.fail(word_field, "missing; expected one of " + join_words(words));
  const CheckSpec& spec = check_specs()[read_word_index(reader, word_field, words)];
  std::vector<std::string_view> allowed = allowed_keys<Check>({"id", "expect"}, spec.keys);
  if (spec.bounds != Bounds::kNone) allowed.insert(allowed.end(), {"at_least", "at_most"});
  const MapView map =
      open_map(reader, item, allowed, check_keys(), "expect: " + std::string(spec.word));
  Check check;
  check.kind = spec.kind;
  check.line = reader.line_of(item);
  reader.recover(
      [&] { check.id = read_identifier(reader, map.require("id", kIdentifierExpected)); });
  read_declared_keys<Check>(reader, map, spec.keys, KeyContext{names, {}}, check);
  if (spec.bounds != Bounds::kNone) read_bounds(reader, map, spec, check);
  return check;
}

}  // namespace

std::vector<Check> read_checks(const Reader& reader, const Field& field, const Names& names) {
  const std::vector<Field> items = open_list(reader, field, kChecksMax, "checks");
  if (items.empty()) reader.fail(field, "an empty list; expected at least one check");
  std::vector<Check> checks;
  std::map<std::string, std::string> ids;  // id -> the check that has it
  for (const Field& item : items) {
    reader.recover([&] {
      Check check = read_check(reader, item, names);
      if (!check.id.empty()) {
        const auto [it, added] = ids.emplace(check.id, item.path);
        if (!added) {
          reader.report(open_map_field(item, "id"), quote(check.id) + " is already the id of " +
                                                        it->second +
                                                        "; expected a unique check id");
        }
      }
      checks.push_back(std::move(check));
    });
  }
  return checks;
}

}  // namespace ccsim::scenarios::file
