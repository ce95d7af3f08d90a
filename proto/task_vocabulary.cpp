#include "proto/task_vocabulary.h"

#include <cassert>
#include <string>
#include <utility>
#include <vector>

namespace ccsim::wire {
namespace {

// The values of an enum but its zero, and their names, read once from the schema's descriptor.
template <typename Enum>
struct Names {
  std::vector<Enum> values;
  std::vector<std::string> names;  // by position in values

  Names(const google::protobuf::EnumDescriptor* descriptor, std::string_view prefix) {
    for (int i = 0; i < descriptor->value_count(); ++i) {
      const google::protobuf::EnumValueDescriptor* value = descriptor->value(i);
      if (value->number() == 0) continue;
      std::string name = value->name();
      assert(std::string_view(name).starts_with(prefix));
      name.erase(0, prefix.size());
      for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      values.push_back(static_cast<Enum>(value->number()));
      names.push_back(std::move(name));
    }
  }

  std::string_view name_of(Enum value) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] == value) return names[i];
    }
    // Told apart in logs: an absent field reads as the zero, a newer sender's value as itself.
    return value == Enum{} ? "unspecified" : "unknown";
  }

  std::optional<Enum> parse(std::string_view name) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (names[i] == name) return values[i];
    }
    return std::nullopt;
  }
};

const Names<TaskAction>& action_names() {
  static const Names<TaskAction> names(TaskAction_descriptor(), "TASK_ACTION_");
  return names;
}

const Names<TaskOutcome>& outcome_names() {
  static const Names<TaskOutcome> names(TaskOutcome_descriptor(), "TASK_OUTCOME_");
  return names;
}

}  // namespace

std::span<const TaskAction> task_actions() {
  return action_names().values;
}

std::span<const TaskOutcome> task_outcomes() {
  return outcome_names().values;
}

std::string_view task_action_name(TaskAction action) {
  return action_names().name_of(action);
}

std::string_view task_outcome_name(TaskOutcome outcome) {
  return outcome_names().name_of(outcome);
}

std::optional<TaskAction> parse_task_action(std::string_view name) {
  return action_names().parse(name);
}

std::optional<TaskOutcome> parse_task_outcome(std::string_view name) {
  return outcome_names().parse(name);
}

}  // namespace ccsim::wire
