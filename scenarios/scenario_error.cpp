#include "scenarios/scenario_error.h"

#include <cassert>
#include <utility>

namespace ccsim::scenarios {
namespace {

std::string compose_messages(const std::vector<ScenarioProblem>& problems, std::size_t more) {
  assert(!problems.empty());
  std::string text;
  for (const ScenarioProblem& problem : problems) {
    text += (text.empty() ? "" : "\n") + problem.message();
  }
  if (more > 0) {
    text += "\n" + problems.front().file + ": " + std::to_string(more) +
            " more problems not listed (at most " + std::to_string(kScenarioProblemsMax) +
            " are); fix these first";
  }
  return text;
}

}  // namespace

std::string ScenarioProblem::message() const {
  std::string text = file;
  if (!setting.empty()) text += " " + setting;
  if (line > 0) text += ":" + std::to_string(line);
  if (!key.empty()) text += ": " + key;
  return text + ": " + expected;
}

ScenarioError::ScenarioError(std::string file_in, int line_in, std::string key_in,
                             std::string expected_in, std::string setting_in)
    : ScenarioError(std::vector<ScenarioProblem>{{std::move(file_in), line_in, std::move(key_in),
                                                  std::move(expected_in), std::move(setting_in)}}) {
}

ScenarioError::ScenarioError(std::vector<ScenarioProblem> problems_in, std::size_t more_in)
    : std::runtime_error(compose_messages(problems_in, more_in)),
      file(problems_in.front().file),
      line(problems_in.front().line),
      key(problems_in.front().key),
      expected(problems_in.front().expected),
      setting(problems_in.front().setting),
      problems(std::move(problems_in)),
      more(more_in) {}

nlohmann::ordered_json scenario_error_to_json(const ScenarioError& error) {
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const ScenarioProblem& p : error.problems) {
    problems.push_back({{"file", p.file},
                        {"line", p.line},
                        {"key", p.key},
                        {"expected", p.expected},
                        {"setting", p.setting}});
  }
  return {{"problems", std::move(problems)}, {"more", error.more}};
}

ScenarioError scenario_error_from_json(const nlohmann::json& json) {
  std::vector<ScenarioProblem> problems;
  for (const nlohmann::json& p : json.at("problems")) {
    problems.push_back(
        {p.at("file"), p.at("line"), p.at("key"), p.at("expected"), p.at("setting")});
  }
  return ScenarioError(std::move(problems), json.at("more").get<std::size_t>());
}

}  // namespace ccsim::scenarios
