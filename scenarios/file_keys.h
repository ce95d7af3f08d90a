// Reading the keys the vocabulary declares (scenarios/model/vocabulary.h) for the timeline and
// the checks (internal to scenarios/file_*.cpp): each value by its KeyType, then assigned where
// its declaration says; a key left out is an error, a default, or the scenario's duration.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/file_reader.h"
#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios::file {

// What a key's value may refer to: the scenario's names, and the `at` of the entry being read
// (for a kSpread key, which may not run past the end).
struct KeyContext {
  const Names& names;
  Duration entry_at{};
};

// A metric's name, as metrics.h declares them.
std::string read_metric_name(const Reader& reader, const Field& field);

// Reads one value of `type` (bounds `min`..`max` for kWhole, `max` characters for kText).
KeyValue read_key_value(const Reader& reader, const Field& field, KeyType type, std::uint64_t min,
                        std::uint64_t max, std::span<const std::string_view> words,
                        const KeyContext& context);

// The keys a map may hold: `implicit` ones, then the declared ones.
template <typename Target>
std::vector<std::string_view> allowed_keys(std::initializer_list<std::string_view> implicit,
                                           std::span<const KeySpec<Target>> keys) {
  std::vector<std::string_view> allowed(implicit);
  for (const KeySpec<Target>& key : keys) allowed.push_back(key.name);
  return allowed;
}

// Reads every declared key of `map` into `target`, each on its own: a problem with one key
// leaves the others to be read.
template <typename Target>
void read_declared_keys(const Reader& reader, const MapView& map,
                        std::span<const KeySpec<Target>> keys, const KeyContext& context,
                        Target& target) {
  for (const KeySpec<Target>& key : keys) {
    const std::optional<Field> field = map.find(key.name);
    if (!field) {
      if (key.absent == Absent::kRequired) {
        const std::string expected =
            key.type == KeyType::kWord ? "one of " + join_words(key.words) : std::string(key.doc);
        reader.recover([&] { map.require(key.name, expected); });
      } else if (key.absent == Absent::kDuration) {
        key.assign(target, KeyValue(context.names.duration));
      }
      continue;
    }
    reader.recover([&] {
      key.assign(target,
                 read_key_value(reader, *field, key.type, key.min, key.max, key.words, context));
    });
  }
}

}  // namespace ccsim::scenarios::file
