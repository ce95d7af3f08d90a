#include "scenarios/file_overrides.h"

#include <algorithm>
#include <optional>
#include <string>

namespace ccsim::scenarios::file {
namespace {

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

}  // namespace

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

}  // namespace ccsim::scenarios::file

namespace ccsim::scenarios {

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
  file::check_override_key(parsed.first, key_equals_value);
  return parsed;
}

}  // namespace ccsim::scenarios
