#include "global_store/command_journal.h"

#include <sqlite3.h>

#include <cassert>

namespace ccsim::global_store {
namespace {

// A prepared statement, finalized when it goes.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const std::filesystem::path& file) : file_(file) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK) {
      throw StoreError(file_.string() + ": " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() { return statement_; }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }
  // SQLITE_ROW or SQLITE_DONE; anything else is the file's error.
  int step(sqlite3* db) {
    const int result = sqlite3_step(statement_);
    if (result != SQLITE_ROW && result != SQLITE_DONE) {
      throw StoreError(file_.string() + ": " + sqlite3_errmsg(db));
    }
    return result;
  }
  std::string text(int column) {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return bytes == nullptr
               ? std::string()
               : std::string(bytes,
                             static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
  const std::filesystem::path& file_;
};

// Each schema version's statements, from the one before it: index i makes version i + 1.
constexpr const char* kMigrations[kSchemaVersion] = {
    "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE journal (sequence INTEGER PRIMARY KEY, at_us INTEGER NOT NULL,"
    " kind INTEGER NOT NULL, request TEXT NOT NULL, answer TEXT NOT NULL);",
};

}  // namespace

CommandJournal::CommandJournal(const std::filesystem::path& file, std::uint64_t seed)
    : file_(file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError(file.string() + ": cannot open: " + why);
  }
  try {
    execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    migrate();
    Statement read_seed(db_, "SELECT value FROM settings WHERE name = 'seed'", file_);
    if (read_seed.step(db_) == SQLITE_ROW) {
      if (read_seed.text(0) != std::to_string(seed)) {
        throw StoreError(file.string() + ": made with seed " + read_seed.text(0) + ", not " +
                         std::to_string(seed) + ": its history would replay as another's");
      }
    } else {
      Statement write_seed(db_, "INSERT INTO settings VALUES ('seed', ?1)", file_);
      write_seed.bind(1, std::to_string(seed));
      write_seed.step(db_);
    }
    Statement last(db_, "SELECT COUNT(*), COALESCE(MAX(at_us), 0) FROM journal", file_);
    last.step(db_);
    entries_ = static_cast<std::uint64_t>(sqlite3_column_int64(last.get(), 0));
    last_at_ = core::Time{sqlite3_column_int64(last.get(), 1)};
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

CommandJournal::~CommandJournal() {
  sqlite3_close(db_);
}

void CommandJournal::execute(const char* sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(file_.string() + ": " + why);
  }
}

// Brings the schema to kSchemaVersion, each step in its own transaction.
void CommandJournal::migrate() {
  execute("CREATE TABLE IF NOT EXISTS schema (version INTEGER NOT NULL)");
  int version = 0;
  {
    Statement read(db_, "SELECT MAX(version) FROM schema", file_);
    read.step(db_);
    version = sqlite3_column_int(read.get(), 0);
  }
  if (version > kSchemaVersion) {
    throw StoreError(file_.string() + ": schema version " + std::to_string(version) +
                     " is a newer ccsim's; this one reads up to " + std::to_string(kSchemaVersion));
  }
  for (; version < kSchemaVersion; ++version) {
    execute("BEGIN IMMEDIATE");
    execute(kMigrations[version]);
    Statement record(db_, "INSERT INTO schema VALUES (?1)", file_);
    record.bind(1, version + 1);
    record.step(db_);
    execute("COMMIT");
  }
}

void CommandJournal::append(core::Time at, EntryKind kind, const std::string& request,
                            const std::string& answer) {
  if (entries_ == kJournalEntriesMax) {
    throw StoreError(file_.string() + ": holds " + std::to_string(kJournalEntriesMax) +
                     " entries, as many as one store may");
  }
  assert(at >= last_at_ && "the plane's time never goes back");
  Statement insert(
      db_, "INSERT INTO journal (at_us, kind, request, answer) VALUES (?1, ?2, ?3, ?4)", file_);
  insert.bind(1, at.count());
  insert.bind(2, static_cast<std::int64_t>(kind));
  insert.bind(3, request);
  insert.bind(4, answer);
  insert.step(db_);
  ++entries_;
  last_at_ = at;
}

void CommandJournal::replay(const std::function<void(const JournalEntry&)>& visit) const {
  Statement read(
      db_, "SELECT sequence, at_us, kind, request, answer FROM journal ORDER BY sequence", file_);
  while (read.step(db_) == SQLITE_ROW) {
    const std::int64_t kind = sqlite3_column_int64(read.get(), 2);
    if (kind != static_cast<std::int64_t>(EntryKind::kCommand) &&
        kind != static_cast<std::int64_t>(EntryKind::kFactoryRegistration)) {
      throw StoreError(file_.string() + ": entry of unknown kind " + std::to_string(kind));
    }
    visit({static_cast<std::uint64_t>(sqlite3_column_int64(read.get(), 0)),
           core::Time{sqlite3_column_int64(read.get(), 1)}, static_cast<EntryKind>(kind),
           read.text(3), read.text(4)});
  }
}

}  // namespace ccsim::global_store
