// scenario_reference: keeps scenarios/README.md's reference tables in step with the declarations.
//   scenario_reference --check README.md   exit 1, naming the first line that differs, when the
//                                          generated sections are not what the declarations say
//   scenario_reference --write README.md   rewrite them (the scenario_readme build target)
//   scenario_reference --print SECTION     print one section: actions, faults, checks, metrics,
//                                          audit-topics
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "scenarios/model/reference.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitDiffers = 1;
constexpr int kExitUsage = 2;

int usage() {
  std::cerr << "usage: scenario_reference --check README.md | --write README.md | --print "
               "SECTION\n";
  return kExitUsage;
}

// The 1-based line at which `a` and `b` first differ.
std::size_t first_difference(const std::string& a, const std::string& b) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return line;
    if (a[i] == '\n') ++line;
  }
  return line;
}

int check_or_write(const std::string& mode, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot read\n";
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string problem;
  const std::optional<std::string> generated =
      ccsim::scenarios::with_generated_sections(text.str(), problem);
  if (!generated) {
    std::cerr << path << ": " << problem << "\n";
    return kExitDiffers;
  }
  if (mode == "--write") {
    std::ofstream(path) << *generated;
    return kExitOk;
  }
  if (*generated == text.str()) return kExitOk;
  std::cerr << path << ":" << first_difference(text.str(), *generated)
            << ": the reference tables differ from the declarations in scenarios/model and "
               "platform/audit_topics.h; run `cmake --build build --target scenario_readme` and "
               "commit the result\n";
  return kExitDiffers;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return usage();
  const std::string mode = argv[1];
  if (mode == "--print") {
    const std::string section = ccsim::scenarios::reference_markdown(argv[2]);
    if (section.empty()) return usage();
    std::cout << section;
    return kExitOk;
  }
  if (mode != "--check" && mode != "--write") return usage();
  return check_or_write(mode, argv[2]);
}
