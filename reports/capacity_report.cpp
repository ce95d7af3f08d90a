#include "reports/capacity_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "reports/capacity_plan.h"
#include "reports/charts.h"
#include "reports/markup.h"
#include "reports/what_if.h"

namespace ccsim::reports {

const char* const kCapacityStyle = R"css(
section.capacity { background: #fff; border: 1px solid var(--line); border-radius: 6px;
                   padding: 16px 20px 18px; margin: 0 0 22px; }
figure.chart { margin: 14px 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { font-size: 13px; color: var(--muted); }
p.headline { font-size: 16px; margin: 6px 0 12px; }
)css";

namespace {

using scenarios::RunResult;

std::string cell(const std::string& text, bool number = false) {
  return std::string(number ? "<td class=\"num\">" : "<td>") + escape(text) + "</td>";
}

std::string percent(double share) {
  return format("%.1f %%", share * 100);
}

std::string bound_text(const scenarios::Objective& o) {
  std::string text;
  if (std::isfinite(o.at_least)) text += "at least " + format_metric(o.at_least);
  if (std::isfinite(o.at_most))
    text += (text.empty() ? "" : ", ") + std::string("at most ") + format_metric(o.at_most);
  return text;
}

void append_objectives(std::string& out, const std::vector<const RunResult*>& runs) {
  out += "<h3>Service level objectives</h3>\n";
  std::string rows;
  for (const RunResult* run : runs) {
    for (const scenarios::CheckResult& check : run->checks) {
      if (!check.objective) continue;
      const scenarios::Objective& o = *check.objective;
      rows += std::string("<tr") + (check.passed ? "" : " class=\"fail\"") + ">" + cell(check.id) +
              cell(o.metric) + cell(bound_text(o)) + cell(format_metric(o.measured), true) +
              cell(std::to_string(run->seed), true) + "<td>" +
              (check.passed ? "<span class=\"badge pass\">PASS</span>"
                            : "<span class=\"badge fail\">FAIL</span>") +
              "</td></tr>\n";
    }
  }
  if (rows.empty()) {
    out += "<p class=\"none\">The scenario states no objectives (key <code>slo:</code>).</p>\n";
    return;
  }
  out +=
      "<table><tr><th>objective</th><th>metric</th><th>bound</th><th class=\"num\">measured</th>"
      "<th class=\"num\">seed</th><th>verdict</th></tr>\n" +
      rows + "</table>\n";
}

std::string demand_text(const Limit& limit) {
  if (limit.unit == "bps") return format_metric(limit.demand / 1e6) + " Mbps";
  if (limit.unit == "share of the uplink") return percent(limit.demand);
  return format_metric(limit.demand) + " " + limit.unit;
}

std::string per_node_text(const Limit& limit) {
  if (limit.per_node <= 0) return "the site's own";
  if (limit.unit == "bps") return format_metric(limit.per_node / 1e6) + " Mbps";
  return format_metric(limit.per_node);
}

void append_plan(std::string& out, const RunResult& run, const CapacityPlan& plan) {
  out += "<h3>Capacity plan (seed " + std::to_string(run.seed) + ", headroom " +
         percent(plan.headroom) + ")</h3>\n";
  if (plan.binds_first >= 0) {
    const Limit& first = plan.limits[static_cast<std::size_t>(plan.binds_first)];
    out += "<p class=\"headline\">Binds first: <b>" + escape(first.subsystem) + ", " +
           escape(first.limit) + "</b> at " + percent(first.utilisation) +
           (first.utilisation > 1 - plan.headroom ? " &mdash; over the headroom" : "") + ".</p>\n";
  }
  out +=
      "<table><tr><th>subsystem</th><th>limit</th><th class=\"num\">demand (peak)</th>"
      "<th class=\"num\">capacity a node</th><th class=\"num\">nodes</th>"
      "<th class=\"num\">utilisation</th><th>sets the nodes</th></tr>\n";
  for (const Limit& limit : plan.limits) {
    const bool used = limit.demand > 0;
    out += "<tr>" + cell(limit.subsystem) + cell(limit.limit) + cell(demand_text(limit), true) +
           cell(per_node_text(limit), true) +
           cell(limit.per_node > 0 ? (used ? format_metric(limit.nodes) : "not used") : "-", true) +
           cell(used ? percent(limit.utilisation) : "-", true) +
           cell(limit.sets_nodes ? "yes" : "") + "</tr>\n";
  }
  out += "</table>\n";
  if (!plan.cost_month) {
    out +=
        "<p class=\"none\">No cost: the scenario gives no unit prices (key "
        "<code>capacity.prices</code>).</p>\n";
    return;
  }
  out += "<p>Relay egress " + format_metric(plan.relay_egress_gb_month) + " GB a month; cost " +
         format_metric(*plan.cost_month) + " " + escape(run.capacity.prices.currency) +
         " a month, <b>" + format("%.4f", plan.cost_per_device_month.value_or(0)) + " " +
         escape(run.capacity.prices.currency) + " a device a month</b> (" +
         format_metric(plan.devices) + " devices).</p>\n";
}

void append_assumptions(std::string& out, const RunResult& run, const std::vector<Curve>& curves) {
  out += "<h3>Assumptions</h3>\n<table><tr><th>input</th><th>value</th><th>source</th></tr>\n";
  for (const scenarios::Assumption& a : run.assumptions) {
    const bool varies = std::any_of(curves.begin(), curves.end(),
                                    [&](const Curve& c) { return c.input == a.input; });
    out += "<tr>" + cell(a.input) + cell(varies ? a.value + " (varies: see what-if)" : a.value) +
           cell(a.source) + "</tr>\n";
  }
  out += "</table>\n";
}

}  // namespace

namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;  // column, label

// A chart of `columns` of the series against time in hours; none when every value is zero.
std::optional<Chart> series_chart(const RunResult& run, std::string id, std::string title,
                                  const Columns& columns, std::string y_label,
                                  double y_divisor = 1) {
  Chart chart{id, std::move(title),   "time_s", "simulated time (h)", 3600,
              {}, std::move(y_label), y_divisor};
  chart.data.columns = {"time_s"};
  std::vector<std::vector<double>> values = {series_column(run.series, "time_s")};
  bool any = false;
  for (const auto& [column, label] : columns) {
    std::vector<double> value = series_column(run.series, column);
    if (value.empty()) continue;
    any = any || std::any_of(value.begin(), value.end(), [](double v) { return v != 0; });
    chart.y.emplace_back(column, label);
    chart.data.columns.push_back(column);
    values.push_back(std::move(value));
  }
  if (!any || values.front().size() < 2) return std::nullopt;
  for (std::size_t row = 0; row < values.front().size(); ++row) {
    std::vector<double> line;
    for (const std::vector<double>& column : values) line.push_back(column[row]);
    chart.data.rows.push_back(std::move(line));
  }
  return chart;
}

void add_threshold(Chart& chart, const RunResult& run, const std::string& metric, double scale) {
  for (const scenarios::CheckResult& check : run.checks) {
    if (check.objective && check.objective->metric == metric &&
        std::isfinite(check.objective->at_most)) {
      chart.thresholds.push_back({0, check.objective->at_most * scale,
                                  "objective: at most " + format_metric(check.objective->at_most)});
    }
  }
}

// A chart of the time series: its columns (those of `more`, the columns whose name starts with
// it, follow), and the objective whose bound it draws.
struct SeriesChart {
  const char* id;
  const char* title;
  Columns columns;
  const char* more;
  const char* y_label;
  double y_divisor;
  const char* objective;
};

// The time series' charts, in the report's order.
const SeriesChart kSeriesCharts[] = {
    {"connected",
     "Devices connected",
     {{"devices_connected", "connected"}, {"devices_unreachable", "unreachable"}},
     "connected_",
     "devices",
     1,
     ""},
    {"rates",
     "Connects, messages and tasks a second",
     {{"connects_per_s", "connects"},
      {"messages_per_s", "messages"},
      {"tasks_created_per_s", "tasks created"}},
     "",
     "a second (interval mean)",
     1,
     ""},
    {"services",
     "Messages a second by platform service",
     {{"endpoint_messages_per_s", "device endpoint"},
      {"signaling_messages_per_s", "signaling"},
      {"task_manager_messages_per_s", "Task Manager"},
      {"inventory_messages_per_s", "inventory"},
      {"software_update_messages_per_s", "software updates"},
      {"insights_messages_per_s", "insights"}},
     "",
     "a second (interval mean)",
     1,
     ""},
    {"tasks",
     "Tasks in flight and upgrades done",
     {{"tasks_in_flight", "tasks in flight"}, {"upgrades_done", "upgrades done"}},
     "",
     "count",
     1,
     ""},
    {"live", "Live sessions", {{"live_sessions", "running"}}, "", "sessions", 1, ""},
    {"relay",
     "TURN relay bandwidth (platform's servers)",
     {{"relay_bps", "relayed"}},
     "",
     "Mbps",
     1e6,
     "relay_bandwidth_peak_bps"},
    {"uplinks",
     "Site uplink utilisation over the sites",
     {{"uplink_p50", "median site"},
      {"uplink_p95", "95th percentile"},
      {"uplink_max", "busiest site"}},
     "",
     "% of the uplink",
     0.01,
     ""},
    {"busiest-sites", "The busiest sites' uplinks", {}, "uplink_", "% of the uplink", 0.01, ""},
    {"offline",
     "Time offline of the devices that came back",
     {{"offline_p50_s", "p50"}, {"offline_p95_s", "p95"}, {"offline_p99_s", "p99"}},
     "",
     "seconds",
     1,
     ""},
    {"live-setup",
     "Live session set-up time",
     {{"live_setup_p50_s", "p50"}, {"live_setup_p95_s", "p95"}, {"live_setup_p99_s", "p99"}},
     "",
     "seconds",
     1,
     "live_session_setup_p99_s"},
};

// The columns starting with `prefix` that no spec names, labelled by what follows the prefix.
Columns more_columns(const RunResult& run, const std::string& prefix) {
  Columns columns;
  if (prefix.empty()) return columns;
  for (const std::string& column : run.series.columns) {
    if (column.rfind(prefix, 0) != 0) continue;
    const bool named = std::any_of(
        std::begin(kSeriesCharts), std::end(kSeriesCharts), [&](const SeriesChart& spec) {
          return std::any_of(
              spec.columns.begin(), spec.columns.end(),
              [&](const auto& named_column) { return named_column.first == column; });
        });
    if (!named) columns.emplace_back(column, column.substr(prefix.size()));
  }
  return columns;
}

std::vector<Chart> series_charts(const RunResult& run, const std::string& prefix) {
  std::vector<Chart> out;
  for (const SeriesChart& spec : kSeriesCharts) {
    Columns columns = spec.columns;
    for (auto& column : more_columns(run, spec.more)) columns.push_back(std::move(column));
    std::optional<Chart> chart =
        series_chart(run, spec.id, spec.title, columns, spec.y_label, spec.y_divisor);
    if (!chart) continue;
    if (*spec.objective != '\0') add_threshold(*chart, run, spec.objective, 1);
    chart->id = prefix + chart->id;
    out.push_back(std::move(*chart));
  }
  return out;
}

Chart curve_chart(const Curve& curve, const std::string& id) {
  Chart chart{id,
              curve.output + " against " + curve.input,
              "x",
              curve.input,
              1,
              {{"y", curve.output}},
              curve.output,
              1};
  chart.data.columns = {"x", "y"};
  for (std::size_t i = 0; i < curve.x.size(); ++i)
    chart.data.rows.push_back({curve.x[i], curve.y[i]});
  if (curve.knee) {
    const std::size_t k = *curve.knee;
    chart.knees.push_back({curve.x[k], curve.y[k], "knee: " + format_metric(curve.x[k])});
  }
  return chart;
}

std::string figure(const Chart& chart, const std::string& svg, const ChartPlace& place) {
  const std::string csv = (place.href.empty() ? "" : place.href + "/") + chart.id + ".csv";
  return "<figure class=\"chart\" id=\"chart-" + chart.id + "\">" + svg + "<figcaption>" +
         escape(chart.title) + " &middot; <a" + attribute("href", csv) +
         ">data (CSV)</a></figcaption></figure>\n";
}

// Draws `charts` and returns their figures; on failure, says so in place of them.
std::string figures(const std::vector<Chart>& charts, const ChartPlace& place,
                    std::vector<std::string>& warnings) {
  if (charts.empty()) return "";
  if (!place.draw) return "<p class=\"none\">Charts not drawn (--no-charts).</p>\n";
  try {
    const std::vector<std::string> svgs = draw_charts(charts, place.dir);
    std::string out;
    for (std::size_t i = 0; i < charts.size(); ++i) out += figure(charts[i], svgs[i], place);
    return out;
  } catch (const std::exception& e) {
    warnings.push_back(e.what());
    return "<p class=\"none\">Charts not drawn: " + escape(e.what()) +
           ". Their data is in the CSV files in " + escape(place.dir.string()) + ".</p>\n";
  }
}

// The run whose first-binding limit is nearest its capacity: the one to size for.
const RunResult& sizing_run(const std::vector<const RunResult*>& runs) {
  const RunResult* worst = runs.front();
  double highest = -1;
  for (const RunResult* run : runs) {
    const CapacityPlan plan = plan_capacity(*run);
    const double u = plan.binds_first >= 0
                         ? plan.limits[static_cast<std::size_t>(plan.binds_first)].utilisation
                         : 0;
    if (u > highest) {
      highest = u;
      worst = run;
    }
  }
  return *worst;
}

std::string group_sections(const std::vector<const RunResult*>& runs, std::size_t index,
                           const ChartPlace& place, std::vector<std::string>& warnings) {
  const RunResult& run = sizing_run(runs);
  const std::string prefix = "s" + std::to_string(index + 1) + "-";
  std::string out = "<section class=\"capacity\">\n<h2>Capacity: " + escape(run.scenario) +
                    " <span class=\"seed\">" + std::to_string(runs.size()) +
                    (runs.size() == 1 ? " run" : " runs") + "</span></h2>\n";
  append_objectives(out, runs);
  append_plan(out, run, plan_capacity(run));
  std::vector<Chart> charts = series_charts(run, prefix);
  const std::size_t over_time = charts.size();
  const std::vector<Curve> curves = what_if(runs);
  for (std::size_t i = 0; i < curves.size(); ++i)
    charts.push_back(curve_chart(curves[i], prefix + "what-if-" + std::to_string(i + 1)));
  const std::string drawn = figures(charts, place, warnings);
  out += "<h3>Over time (seed " + std::to_string(run.seed) + ")</h3>\n";
  if (over_time == 0)
    out +=
        "<p class=\"none\">The run has no time series (a result.json without its "
        "timeseries.csv).</p>\n";
  out += drawn;
  if (!curves.empty()) {
    out += "<h3>What if</h3>\n<table><tr><th>input</th><th>outcome</th><th>knee</th></tr>\n";
    for (const Curve& c : curves) {
      out += "<tr>" + cell(c.input) + cell(c.output) +
             cell(c.knee ? "at " + format_metric(c.x[*c.knee]) + " (" +
                               format_metric(c.y[*c.knee]) + ")"
                         : "none: the curve is straight") +
             "</tr>\n";
    }
    out += "</table>\n";
  }
  append_assumptions(out, run, curves);
  return out + "</section>\n";
}

}  // namespace

std::string capacity_sections(const std::vector<RunResult>& runs, const ChartPlace& place,
                              std::vector<std::string>& warnings) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RunResult*>> groups;
  for (const RunResult& run : runs) {
    if (groups[run.scenario].empty()) order.push_back(run.scenario);
    groups[run.scenario].push_back(&run);
  }
  std::string out;
  for (std::size_t i = 0; i < order.size(); ++i)
    out += group_sections(groups[order[i]], i, place, warnings);
  return out;
}

}  // namespace ccsim::reports
