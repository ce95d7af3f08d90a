// The task vocabulary's names, against the words users, commands and scenario files have always
// written (a hand-kept table here, so the schema cannot rename a word unnoticed).
#include "proto/task_vocabulary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ccsim::wire {
namespace {

TEST(TaskVocabulary, ActionsAreNamedAsUsersWriteThem) {
  std::vector<std::string> names;
  for (TaskAction action : task_actions()) names.emplace_back(task_action_name(action));
  EXPECT_EQ(names, (std::vector<std::string>{"set_overlay_text", "upgrade_firmware", "reboot",
                                             "adopt_device"}));
  EXPECT_EQ(parse_task_action("reboot"), TASK_ACTION_REBOOT);
  for (TaskAction action : task_actions()) {
    EXPECT_EQ(parse_task_action(task_action_name(action)), action);
  }
}

TEST(TaskVocabulary, OutcomesAreNamedAsUsersWriteThem) {
  std::vector<std::string> names;
  for (TaskOutcome outcome : task_outcomes()) names.emplace_back(task_outcome_name(outcome));
  EXPECT_EQ(names, (std::vector<std::string>{"succeeded", "failed", "cancelled", "timed_out"}));
  EXPECT_EQ(parse_task_outcome("timed_out"), TASK_OUTCOME_TIMED_OUT);
  for (TaskOutcome outcome : task_outcomes()) {
    EXPECT_EQ(parse_task_outcome(task_outcome_name(outcome)), outcome);
  }
}

TEST(TaskVocabulary, NoOtherWordIsAnActionOrAnOutcome) {
  for (const char* word :
       {"", "unspecified", "REBOOT", "Reboot", "task_action_reboot", "reboot "}) {
    EXPECT_FALSE(parse_task_action(word)) << word;
  }
  for (const char* word : {"", "unspecified", "succeed", "SUCCEEDED", "timed out"}) {
    EXPECT_FALSE(parse_task_outcome(word)) << word;
  }
  EXPECT_EQ(task_action_name(TASK_ACTION_UNSPECIFIED), "unspecified");
  EXPECT_EQ(task_outcome_name(TASK_OUTCOME_UNSPECIFIED), "unspecified");
  // A number a newer schema may name: kept apart from an absent field.
  EXPECT_EQ(task_action_name(static_cast<TaskAction>(99)), "unknown");
  EXPECT_EQ(task_outcome_name(static_cast<TaskOutcome>(99)), "unknown");
}

}  // namespace
}  // namespace ccsim::wire
