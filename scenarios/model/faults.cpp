// The timeline's fault kinds: what each `do: fault, kind:` does and every key it takes.
#include <array>
#include <cassert>

#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios {
namespace {

using Key = KeySpec<Fault>;

const std::array<Key, 3> kPartitionKeys = {{
    {"for",
     KeyType::kLength,
     Absent::kRequired,
     "required",
     "how long it lasts, such as 20m; above 0, at most `366d`; it may run past the end",
     0,
     0,
     {},
     &assign_member<&Fault::length, Fault>},
    {"site",
     KeyType::kSite,
     Absent::kDefault,
     "none",
     "the one site it hits",
     0,
     0,
     {},
     &assign_member<&Fault::site, Fault>},
    {"region",
     KeyType::kRegion,
     Absent::kDefault,
     "none",
     "every site of this region; not with `site`. With neither, the fault hits every site.",
     0,
     0,
     {},
     &assign_member<&Fault::region, Fault>},
}};

const std::array<FaultSpec, 1> kFaults = {{
    {"partition", FaultKind::kPartition,
     "the matched sites cannot reach the cloud, in either direction: frames are lost and "
     "connections cannot open until it heals",
     kPartitionKeys},
}};
static_assert(kFaults.size() == static_cast<std::size_t>(FaultKind::kPartition) + 1,
              "one row per fault kind");

}  // namespace

std::span<const FaultSpec> fault_specs() {
  return kFaults;
}

const FaultSpec& fault_spec(FaultKind kind) {
  for (const FaultSpec& spec : kFaults) {
    if (spec.kind == kind) return spec;
  }
  assert(false && "every fault kind is declared");
  return kFaults[0];
}

}  // namespace ccsim::scenarios
