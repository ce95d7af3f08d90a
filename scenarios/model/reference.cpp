#include "scenarios/model/reference.h"

#include <array>

#include "platform/audit_topics.h"
#include "scenarios/model/metrics.h"
#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios {
namespace {

constexpr std::array<std::string_view, 5> kSections = {"actions", "faults", "checks", "metrics",
                                                       "audit-topics"};

std::string code(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.append(1, '`').append(text).append(1, '`');
  return quoted;
}

// "`a`, `b` or `c`".
std::string word_list(std::span<const std::string_view> words) {
  std::string text;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) text += i + 1 == words.size() ? " or " : ", ";
    text += code(words[i]);
  }
  return text;
}

// "1,000,000".
std::string with_thousands(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text.push_back(',');
    text.push_back(digits[i]);
  }
  return text;
}

template <typename Target>
std::string type_text(const KeySpec<Target>& key) {
  switch (key.type) {
    case KeyType::kWord:
      return word_list(key.words);
    case KeyType::kWhole:
      return "whole number " + with_thousands(key.min) + ".." + with_thousands(key.max);
    case KeyType::kText:
      return "text of at most " + std::to_string(key.max) + " characters";
    case KeyType::kTime:
      return "duration: `0s` up to, not including, `duration`";
    case KeyType::kMoment:
      return "duration: `0s` to `duration`";
    case KeyType::kWithin:
      return "duration: above 0, at most `duration`";
    case KeyType::kSpread:
      return "duration: at most the time left after `at`";
    default:
      return std::string(key_type_name(key.type));
  }
}

template <typename Target>
std::string default_text(const KeySpec<Target>& key) {
  return key.absent == Absent::kRequired ? "required" : std::string(key.default_text);
}

template <typename Target>
std::string key_table(std::span<const KeySpec<Target>> keys) {
  std::string text = "| Key | Type | Default | Rules |\n|---|---|---|---|\n";
  for (const KeySpec<Target>& key : keys) {
    text += "| " + code(key.name) + " | " + type_text(key) + " | " + default_text(key) + " | " +
            std::string(key.doc) + " |\n";
  }
  return text;
}

template <typename Target>
std::string key_names(std::span<const KeySpec<Target>> keys) {
  if (keys.empty()) return "none";
  std::string text;
  for (const KeySpec<Target>& key : keys) {
    text += (text.empty() ? "" : ", ") + code(key.name) +
            (key.absent == Absent::kRequired ? " (required)" : "");
  }
  return text;
}

std::string actions_markdown() {
  std::string text =
      "| `do` | Where | Keys besides `at` and `do` | What happens |\n"
      "|---|---|---|---|\n";
  for (const ActionSpec& spec : action_specs()) {
    text += "| " + code(spec.word) + " | " +
            (spec.side == ActionSide::kPlatform ? "the platform's API" : "at the devices") + " | " +
            key_names(spec.keys) + " | " + std::string(spec.doc) + " |\n";
  }
  for (const ActionSpec& spec : action_specs()) {
    text += "\n#### `do: " + std::string(spec.word) + "`\n\n" + key_table(spec.keys);
  }
  return text;
}

std::string faults_markdown() {
  std::string text;
  for (const FaultSpec& spec : fault_specs()) {
    text += (text.empty() ? "" : "\n") + std::string("#### `do: fault, kind: ") +
            std::string(spec.word) + "`\n\nThe fault: " + std::string(spec.doc) + ".\n\n" +
            key_table(spec.keys);
  }
  return text;
}

std::string bounds_text(const CheckSpec& spec) {
  const std::string kind = spec.fraction_bounds ? "fractions" : "numbers";
  switch (spec.bounds) {
    case Bounds::kNone:
      return "none";
    case Bounds::kOptional:
      return "optional (" + kind + ")";
    case Bounds::kRequired:
      break;
  }
  return "at least one (" + kind + ")";
}

std::string checks_markdown() {
  std::string text =
      "| `expect` | Keys besides `id` and `expect` | `at_least`, `at_most` | "
      "Passes when |\n|---|---|---|---|\n";
  for (const CheckSpec& spec : check_specs()) {
    text += "| " + code(spec.word) + " | " + key_names(spec.keys) + " | " + bounds_text(spec) +
            " | " + std::string(spec.passes_when) + " |\n";
  }
  for (const CheckSpec& spec : check_specs()) {
    if (spec.keys.empty()) continue;
    text += "\n#### `expect: " + std::string(spec.word) + "`\n\n" + key_table(spec.keys);
  }
  return text;
}

std::string metrics_markdown() {
  std::string text = "| Metric | What it counts |\n|---|---|\n";
  for (const MetricSpec& spec : metric_specs()) {
    text += "| " + code(spec.name) + " | " + std::string(spec.doc) + " |\n";
  }
  return text;
}

std::string audit_topics_markdown() {
  std::string text = "| Topic | What an entry records |\n|---|---|\n";
  for (const platform::AuditTopicSpec& topic : platform::kAuditTopics) {
    text += "| " + code(topic.topic) + " | " + std::string(topic.doc) + " |\n";
  }
  return text;
}

std::string begin_marker(std::string_view section) {
  return "<!-- BEGIN GENERATED " + std::string(section) +
         ": from the declarations by scenario_reference; do not edit by hand -->\n";
}

std::string end_marker(std::string_view section) {
  return "<!-- END GENERATED " + std::string(section) + " -->";
}

}  // namespace

std::span<const std::string_view> reference_sections() {
  return kSections;
}

std::string reference_markdown(std::string_view section) {
  if (section == "actions") return actions_markdown();
  if (section == "faults") return faults_markdown();
  if (section == "checks") return checks_markdown();
  if (section == "metrics") return metrics_markdown();
  if (section == "audit-topics") return audit_topics_markdown();
  return {};
}

std::optional<std::string> with_generated_sections(std::string_view text, std::string& problem) {
  std::string out(text);
  for (std::string_view section : kSections) {
    const std::string begin = begin_marker(section);
    const std::string end = end_marker(section);
    const std::size_t from = out.find(begin);
    const std::size_t to = from == std::string::npos ? from : out.find(end, from);
    if (to == std::string::npos) {
      problem =
          "no section " + std::string(section) + " between the markers " + begin + " and " + end;
      return std::nullopt;
    }
    const std::size_t body = from + begin.size();
    out.replace(body, to - body, "\n" + reference_markdown(section) + "\n");
  }
  return out;
}

}  // namespace ccsim::scenarios
