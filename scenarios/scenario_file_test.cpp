#include "scenarios/scenario_file.h"

#include <gtest/gtest.h>

TEST(ScenarioFile, Placeholder) {}
