// Counting the documents of a YAML text without yaml-cpp's YAML::LoadAll, which in yaml-cpp 0.7
// (Debian 12's) returns empty documents without end when the text holds a stray ',' outside
// [] or {}, allocating until the process dies (jbeder/yaml-cpp#1040, fixed upstream in 2024).
// A parser that starts a document where the previous one started has stopped advancing: that is
// the stall. Loaders scan first, then YAML::Load the one document.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>

namespace ccsim::core {

struct YamlDocuments {
  std::size_t count = 0;                 // documents seen (at most 3 are looked at)
  std::optional<YAML::Mark> second_at;   // where a second document starts
  std::optional<YAML::Mark> stalled_at;  // where the parser stopped advancing
};

// Throws YAML::Exception for text yaml-cpp cannot parse, as YAML::Load would.
YamlDocuments scan_yaml_documents(const std::string& text);

}  // namespace ccsim::core
