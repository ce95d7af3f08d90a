#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios {

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kTime:
    case KeyType::kMoment:
    case KeyType::kWithin:
    case KeyType::kLength:
    case KeyType::kSpread:
      return "duration";
    case KeyType::kWhole:
      return "whole number";
    case KeyType::kFraction:
      return "fraction";
    case KeyType::kNumber:
      return "number";
    case KeyType::kBandwidth:
      return "bandwidth";
    case KeyType::kBool:
      return "boolean";
    case KeyType::kWord:
      return "word";
    case KeyType::kIdentifier:
      return "identifier";
    case KeyType::kText:
    case KeyType::kOverlayText:
      return "text";
    case KeyType::kVersion:
      return "version";
    case KeyType::kRelease:
      return "version of a release";
    case KeyType::kSelection:
      return "device selection";
    case KeyType::kSite:
      return "site name";
    case KeyType::kViewer:
      return "viewer name";
    case KeyType::kTurnServer:
      return "TURN server name";
    case KeyType::kRegion:
      return "region";
    case KeyType::kOrganization:
      return "organization name";
    case KeyType::kProfile:
      return "profile name";
    case KeyType::kScope:
      return "site name";
    case KeyType::kRollout:
      return "rollout name";
    case KeyType::kMetric:
      return "metric name";
    case KeyType::kAuditTrail:
      return "audit trail";
    case KeyType::kAuditTopic:
      return "audit topic";
    case KeyType::kRolloutStages:
      return "list of {devices, success_threshold}";
    case KeyType::kAbortRule:
      return "map {failure_share, after}";
  }
  return "value";
}

}  // namespace ccsim::scenarios
