// What the judge's verdicts share: a check's bounds and how numbers, lists and selections read in
// a verdict's detail. Internal to the judge (judge.cpp, judge_work.cpp).
#pragma once

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "platform/control_plane.h"
#include "scenarios/deployment.h"
#include "scenarios/model/run_result.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

// Devices or tasks named in a failing detail at most, so a large fleet's verdict stays readable.
inline constexpr std::size_t kExamplesNamedMax = 3;

inline std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

inline bool within_bounds(double value, const Check& check) {
  return value >= check.at_least && value <= check.at_most;
}

// "at least 3", "at most 0.5", "at least 1 and at most 2"; empty without bounds.
inline std::string bounds_text(const Check& check) {
  std::string text;
  if (check.at_least > -std::numeric_limits<double>::infinity()) {
    text += "at least " + format_number(check.at_least);
  }
  if (check.at_most < std::numeric_limits<double>::infinity()) {
    text += (text.empty() ? "" : " and ") + std::string("at most ") + format_number(check.at_most);
  }
  return text;
}

inline std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// " of acme at site lund of model tier1-dome", for the parts a selection names.
inline std::string selection_text(const DeviceSelection& selection) {
  std::string text;
  if (!selection.organization.empty()) text += " of " + selection.organization;
  if (!selection.site.empty()) text += " at site " + selection.site;
  if (!selection.model.empty()) text += " of model " + selection.model;
  return text;
}

// The checks of tasks, software and insights (judge_work.cpp).
CheckResult judge_work(const Deployment& deployment, const platform::ControlPlane& plane,
                       const Check& check);

}  // namespace ccsim::scenarios
