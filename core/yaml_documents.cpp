#include "core/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <vector>

namespace ccsim::core {
namespace {

// Records where each document starts and nothing else.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

YamlDocuments scan_yaml_documents(const std::string& text) {
  // Three starts tell one document from several, and a repeated start from progress.
  constexpr std::size_t kDocumentsLooked = 3;
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  YamlDocuments scan;
  while (handler.starts.size() < kDocumentsLooked && parser.HandleNextDocument(handler)) {
    const std::size_t count = handler.starts.size();
    if (count >= 2 && handler.starts[count - 1].pos == handler.starts[count - 2].pos) {
      scan.stalled_at = handler.starts[count - 1];
      return scan;
    }
  }
  scan.count = handler.starts.size();
  if (scan.count > 1) scan.second_at = handler.starts[1];
  return scan;
}

}  // namespace ccsim::core
