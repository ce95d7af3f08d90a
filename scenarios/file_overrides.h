// `--set key=value` overrides, applied to a scenario file's YAML tree before it is read, so that
// an override is checked exactly as the file is (internal to scenarios/file_*.cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <vector>

#include "scenarios/file_reader.h"
#include "scenarios/scenario_file.h"

namespace ccsim::scenarios::file {

inline constexpr std::size_t kOverridesMax = 1'000;
inline constexpr std::size_t kOverrideSegmentsMax = 32;

// Applies `overrides` in order to the tree under `root`, creating missing maps on the way. Throws
// ScenarioError (file "--set") for a malformed key path, a value that is not YAML, or a path
// through something that is not a map or list.
std::vector<AppliedOverride> apply_overrides(const YAML::Node& root,
                                             const std::vector<Override>& overrides);

}  // namespace ccsim::scenarios::file
