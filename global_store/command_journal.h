// The platform's system data on disk: every control-plane command that changed something, and
// every batch of devices the factory registered, in the order the plane ran them, with the time
// it ran them at and what it answered, in a SQLite database (WAL, synchronous=FULL: an entry is on
// disk before append returns, so before the caller hears the answer). The control plane is a
// deterministic state machine (docs/GLOBAL_STORE.md): running the entries again, in order and at
// their times, on a plane of the same seed rebuilds it exactly, and each answer must come out as
// it was written, or the store refuses to start rather than serve a different history.
//
// The schema is versioned (the `schema` table); an older database migrates forward when opened,
// one a newer ccsim wrote is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/node.h"

struct sqlite3;

namespace ccsim::global_store {

// The schema this ccsim writes.
inline constexpr int kSchemaVersion = 1;
// Entries one database may hold.
inline constexpr std::uint64_t kJournalEntriesMax = 100'000'000;

// What the store cannot do: open, read, write, or a history that replays differently. Its
// message names the file.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class EntryKind : std::uint8_t { kCommand, kFactoryRegistration };

struct JournalEntry {
  std::uint64_t sequence = 0;  // from 1
  core::Time at{};
  EntryKind kind = EntryKind::kCommand;
  std::string request;  // the command's JSON, or the factory records as JSON
  std::string answer;   // what the plane answered
};

class CommandJournal {
 public:
  // Opens (making it, with `seed`) the database at `file`. A database made with another seed
  // is refused: its history would replay as another.
  CommandJournal(const std::filesystem::path& file, std::uint64_t seed);
  ~CommandJournal();
  CommandJournal(const CommandJournal&) = delete;
  CommandJournal& operator=(const CommandJournal&) = delete;

  // Writes one entry; on disk when it returns. Its sequence is the next.
  void append(core::Time at, EntryKind kind, const std::string& request, const std::string& answer);
  // Every entry, in order, to `visit`.
  void replay(const std::function<void(const JournalEntry&)>& visit) const;
  std::uint64_t entries() const { return entries_; }
  core::Time last_at() const { return last_at_; }

 private:
  void execute(const char* sql) const;
  void migrate();

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::uint64_t entries_ = 0;
  core::Time last_at_{};
};

}  // namespace ccsim::global_store
