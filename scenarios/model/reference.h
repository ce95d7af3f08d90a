// The reference tables of scenarios/README.md, written from the declarations they document: the
// timeline's actions and fault kinds, the checks, the metrics and the audit topics. The README
// holds each between markers, and a test fails when what is checked in differs from what the
// declarations say (scenario_reference --check; `cmake --build build --target scenario_readme`
// rewrites them).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ccsim::scenarios {

// The generated sections, in README order.
std::span<const std::string_view> reference_sections();

// The markdown of one section ("actions", "faults", "checks", "metrics", "audit-topics").
std::string reference_markdown(std::string_view section);

// `text` (a README) with every generated section between its markers replaced by what the
// declarations say now; nullopt, with `problem` set, when a section's markers are missing.
std::optional<std::string> with_generated_sections(std::string_view text, std::string& problem);

}  // namespace ccsim::scenarios
