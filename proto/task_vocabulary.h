// The task vocabulary the platform and every host share: the actions a task may carry and the
// outcomes it may end in, declared once as the wire's enums (proto/ccsim.proto). Their names, as
// users, commands and scenario files write them, are the enums' own, lower-cased without their
// prefix: TASK_ACTION_SET_OVERLAY_TEXT is "set_overlay_text", TASK_OUTCOME_TIMED_OUT "timed_out".
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "proto/ccsim.pb.h"

namespace ccsim::wire {

// Every action and outcome the schema names, but the unspecified zero, in the schema's order.
std::span<const TaskAction> task_actions();
std::span<const TaskOutcome> task_outcomes();

// The name of `action` or `outcome`; "unspecified" for the zero, "unknown" for a number the schema
// does not name (which a frame check refuses before it gets this far).
std::string_view task_action_name(TaskAction action);
std::string_view task_outcome_name(TaskOutcome outcome);
// The action or outcome named `name`; nullopt for any other text.
std::optional<TaskAction> parse_task_action(std::string_view name);
std::optional<TaskOutcome> parse_task_outcome(std::string_view name);

}  // namespace ccsim::wire
