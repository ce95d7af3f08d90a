#include "global_store/journaled_plane.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

#include "platform/command.h"

namespace ccsim::global_store {
namespace {

using Json = nlohmann::json;

Json records_json(const std::vector<platform::FactoryRecord>& records) {
  Json out = Json::array();
  for (const platform::FactoryRecord& r : records) {
    out.push_back({{"serial", r.serial},
                   {"model", r.model},
                   {"kind", static_cast<int>(r.kind)},
                   {"tier", static_cast<int>(r.tier)},
                   {"oak", r.oak},
                   {"warranty_end_us", r.warranty_end.count()},
                   {"end_of_support_us", r.end_of_support.count()},
                   {"recommended_os", r.recommended_os}});
  }
  return out;
}

std::vector<platform::FactoryRecord> records_of(const Json& json) {
  std::vector<platform::FactoryRecord> records;
  for (const Json& r : json) {
    records.push_back({r.at("serial").get<std::string>(), r.at("model").get<std::string>(),
                       static_cast<platform::DeviceKind>(r.at("kind").get<int>()),
                       static_cast<platform::DeviceTier>(r.at("tier").get<int>()),
                       r.at("oak").get<std::string>(),
                       core::Time{r.at("warranty_end_us").get<std::int64_t>()},
                       core::Time{r.at("end_of_support_us").get<std::int64_t>()},
                       r.at("recommended_os").get<std::string>()});
  }
  return records;
}

std::string registration_answer(const platform::Result<std::size_t>& result) {
  return result.ok() ? std::string("ok") : result.error().message;
}

}  // namespace

bool is_read_only_command(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kReads = {
      "get_device",      "list_devices", "search_audit", "get_task",
      "get_task_series", "get_rollout",  "get_insights", "introspect_token"};
  return std::find(kReads.begin(), kReads.end(), name) != kReads.end();
}

JournaledPlane::JournaledPlane(const std::filesystem::path& file, std::uint64_t seed)
    : plane_(std::make_unique<platform::ControlPlane>(seed)), journal_(file, seed) {
  journal_.replay([&](const JournalEntry& entry) { replay_entry(entry); });
}

void JournaledPlane::replay_entry(const JournalEntry& entry) {
  std::string answer;
  if (entry.kind == EntryKind::kCommand) {
    answer = platform::execute_command(*plane_, entry.at, entry.request);
  } else {
    const Json records = Json::parse(entry.request, nullptr, /*allow_exceptions=*/false);
    if (records.is_discarded() || !records.is_array()) {
      throw StoreError("entry " + std::to_string(entry.sequence) + ": not a list of records");
    }
    answer = registration_answer(plane_->registry.register_devices(entry.at, records_of(records)));
  }
  if (answer != entry.answer) {
    throw StoreError("entry " + std::to_string(entry.sequence) +
                     " answers differently than it did when it ran: this ccsim's platform rules "
                     "are not those that wrote the store");
  }
  ++replayed_;
}

core::Time JournaledPlane::time_from(core::Time now) const {
  return std::max(now, journal_.last_at());
}

std::string JournaledPlane::execute(core::Time now, std::string_view request_json) {
  const core::Time at = time_from(now);
  // What the decoder refuses changes nothing (command.h): it is answered, not written.
  const platform::Result<platform::Command> decoded = platform::decode_command(request_json);
  if (!decoded.ok()) return platform::execute_command(*plane_, at, request_json);
  std::string answer = platform::execute_command(*plane_, at, decoded.value());
  if (!is_read_only_command(platform::command_name(decoded.value().params))) {
    journal_.append(at, EntryKind::kCommand, std::string(request_json), answer);
  }
  return answer;
}

std::string JournaledPlane::register_devices(core::Time now,
                                             const std::vector<platform::FactoryRecord>& records) {
  const core::Time at = time_from(now);
  std::string answer = registration_answer(plane_->registry.register_devices(at, records));
  journal_.append(at, EntryKind::kFactoryRegistration, records_json(records).dump(), answer);
  return answer;
}

}  // namespace ccsim::global_store
