// The metrics a run reports, declared once: each with its name, a line of documentation and where
// its value comes from. result.json lists them in this order, `expect: metric` checks may name any
// of them, and scenarios/README.md's metric table is generated from here. Adding a metric is one
// row in metrics.cpp (and the counter it reads).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenarios/model/measurements.h"

namespace ccsim::scenarios {

struct MetricSpec {
  std::string_view name;
  std::string_view doc;
  double (*value)(const Measurements&);
};

// Every metric, in report order.
std::span<const MetricSpec> metric_specs();
// The spec of metric `name`; nullptr when there is none.
const MetricSpec* find_metric(std::string_view name);
// Every metric's value, in report order.
std::vector<std::pair<std::string, double>> metric_values(const Measurements& measurements);

}  // namespace ccsim::scenarios
