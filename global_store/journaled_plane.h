// The control plane with its system data in a CommandJournal: what `ccsim serve` runs. Opening it
// replays the journal onto a fresh plane of the same seed, checking every answer against the
// one given the first time; from then on every command that may change something, and every
// factory registration, is on disk before its answer is returned. Reads (the get_, list_ and
// search_ commands, token introspection) are not written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "global_store/command_journal.h"
#include "platform/control_plane.h"
#include "platform/device_registry.h"

namespace ccsim::global_store {

class JournaledPlane {
 public:
  // Opens the journal at `file` (made when missing) and replays it. Throws StoreError when it
  // cannot, or when an entry answers differently than it did (a ccsim whose rules changed).
  JournaledPlane(const std::filesystem::path& file, std::uint64_t seed);

  // Runs one command (platform/command.h) at `now`, or at the last entry's time if `now` is
  // earlier (a wall clock set back), and returns its answer, on disk first when it writes.
  std::string execute(core::Time now, std::string_view request_json);
  // The factory registers `records` at `now`: the registry's answer, "ok" or its refusal.
  std::string register_devices(core::Time now, const std::vector<platform::FactoryRecord>& records);

  const platform::ControlPlane& plane() const { return *plane_; }
  // The time the next entry may carry at the earliest: `now`, or the last entry's if later.
  core::Time time_from(core::Time now) const;
  std::uint64_t replayed() const { return replayed_; }

 private:
  void replay_entry(const JournalEntry& entry);

  std::unique_ptr<platform::ControlPlane> plane_;
  CommandJournal journal_;
  std::uint64_t replayed_ = 0;
};

// Whether a command (by its "command" name) only reads.
bool is_read_only_command(std::string_view name);

}  // namespace ccsim::global_store
