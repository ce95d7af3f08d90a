// The audit log: the platform's append-only record of who did what, for every organization
// (bus events on topics marked for audit, mode transitions with their cause, closed trails),
// searchable through the API and provably untampered.
//
// Chain design. Every organization has its own trail, a hash chain in sequence order:
//   hash = hex SHA-256( previous hash of the same trail, sequence, at, organization, actor,
//                       topic, device, detail )
// with length-prefixed strings and little-endian integers, so no two field lists encode alike.
// Sequences are global (one counter for the whole log), so an entry cannot be moved between
// trails or reordered without breaking its hash. Per-trail chains make retention simple:
// pruning only ever drops the oldest entries of one trail, and the trail keeps an anchor (the
// hash, sequence and time of the last entry it pruned) that its first remaining entry chains
// from. The trail also keeps its head (hash and sequence of its newest entry), so dropping
// entries from the end is caught too. verify() walks every trail from anchor to head.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "platform/audit_topics.h"
#include "platform/service_result.h"

namespace ccsim::platform {

// Identifiers (organization, actor, topic, device): 1..64 characters of [A-Za-z0-9._:@-].
inline constexpr std::size_t kAuditIdentifierBytesMax = 64;
inline constexpr std::size_t kAuditDetailBytesMax = 1024;
// Entries kept across all organizations; appends past it are refused until retention prunes.
inline constexpr std::size_t kAuditEntriesMax = 10'000'000;
inline constexpr std::size_t kAuditOrganizationEntriesMax = 1'000'000;
inline constexpr std::size_t kAuditOrganizationsMax = 100'000;
inline constexpr std::size_t kAuditPageEntriesMax = 500;
inline constexpr std::size_t kAuditPageEntriesDefault = 100;
// Entries one search call examines before it returns a (possibly short) page and a cursor.
inline constexpr std::size_t kAuditSearchScanEntriesMax = 100'000;
inline constexpr core::Duration kAuditRetentionAgeMax = std::chrono::hours(24 * 366 * 100);
inline constexpr std::string_view kAuditPlatformActor = "platform";

struct AuditEntry {
  std::uint64_t sequence = 0;  // global, from 1, strictly increasing
  core::Time at{};
  std::string organization;
  std::string actor;
  std::string topic;
  std::string device;  // may be empty
  std::string detail;
  std::string hash;  // lower-case hex SHA-256, see the chain design above
};

// What a caller appends: an entry without its sequence, time and hash.
struct AuditRecord {
  std::string organization;
  std::string actor;
  std::string topic;
  std::string device;
  std::string detail;
};

// A search of one organization's trail. Empty actor/topic/device and absent times match all.
struct AuditQuery {
  std::string organization;  // required
  std::string actor;
  std::string topic;
  std::string device;
  std::optional<core::Time> from;                // inclusive: at >= from
  std::optional<core::Time> until;               // exclusive: at < until
  std::size_t limit = kAuditPageEntriesDefault;  // 1..kAuditPageEntriesMax
  std::string cursor;  // empty for the first page, else a next_cursor of the same query
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // in sequence order
  std::string next_cursor;          // empty on the last page
};

// Per organization: entries beyond either limit are dropped by enforce_retention().
struct AuditRetention {
  std::size_t entries_max = kAuditOrganizationEntriesMax;  // 1..kAuditOrganizationEntriesMax
  core::Duration age_max = kAuditRetentionAgeMax;          // 1 us..kAuditRetentionAgeMax
};

enum class AuditBreak : std::uint8_t {
  kNone,
  kHashMismatch,  // an entry's hash is not that of its fields and its predecessor's hash
  kOutOfOrder,    // sequence not increasing, or time going backwards, within a trail
  kMissingHead,   // the trail ends before its recorded newest entry
};
std::string_view audit_break_name(AuditBreak kind);

struct VerifyReport {
  bool intact = true;
  std::uint64_t broken_sequence = 0;  // the smallest sequence at which a trail breaks
  AuditBreak kind = AuditBreak::kNone;
  std::string organization;  // whose trail breaks there
  std::string reason;        // for a person
  std::uint64_t entries_checked = 0;
};

// The log's limits; tests shrink them, the platform keeps the defaults.
struct AuditLogLimits {
  std::size_t entries_max = kAuditEntriesMax;
  std::size_t organization_entries_max = kAuditOrganizationEntriesMax;
  std::size_t organizations_max = kAuditOrganizationsMax;
  std::size_t search_scan_entries_max = kAuditSearchScanEntriesMax;
};

class AuditLog {
 public:
  explicit AuditLog(AuditLogLimits limits = {});

  // Appends one entry at `at` (not before the newest entry of the log); returns its sequence.
  Result<std::uint64_t> append(core::Time at, AuditRecord record);

  // Walks every trail from its anchor to its head.
  VerifyReport verify() const;

  // One page of an organization's matching entries. An organization with no trail has none.
  Result<AuditPage> search(const AuditQuery& query) const;

  // Sets (or replaces) an organization's retention; without one, a trail is only capped by
  // organization_entries_max, past which appends are refused. With one, the trail is a rolling
  // window: an append to a full trail first drops its oldest entry.
  Result<Done> set_retention(std::string_view organization, AuditRetention retention);
  // Drops, in every trail with a retention, the oldest entries beyond its entries_max and those
  // older than age_max (now - at > age_max). Returns how many entries were dropped.
  std::size_t enforce_retention(core::Time now);

  // The organization was deleted: appends a final kAuditClosedTopic entry by
  // kAuditPlatformActor and refuses later appends for it. Searches still work. Like append, it
  // is refused (kResourceExhausted) when the log is full: enforce retention, then retry.
  Result<std::uint64_t> close_trail(core::Time at, std::string_view organization);

  bool is_closed(std::string_view organization) const;
  std::size_t size() const { return entries_total_; }
  std::size_t organization_size(std::string_view organization) const;
  // Hash of the organization's newest entry ever appended ("" if none): what an outside
  // witness would record to notice the whole log being rewritten.
  std::string head_hash(std::string_view organization) const;

  // Test only: reach into stored entries to tamper with them. The sequence must exist.
  AuditEntry& entry_for_test(std::uint64_t sequence);
  void erase_for_test(std::uint64_t sequence);
  void swap_for_test(std::uint64_t first_sequence, std::uint64_t second_sequence);

 private:
  struct Trail {
    std::deque<AuditEntry> entries;  // sequence order
    std::string anchor_hash;         // hash of the last pruned entry; "" before any pruning
    std::uint64_t anchor_sequence = 0;
    core::Time anchor_at{};
    std::string head_hash;  // hash of the newest appended entry
    std::uint64_t head_sequence = 0;
    bool closed = false;
    std::optional<AuditRetention> retention;
  };

  Result<Trail*> trail_for_write(std::string_view organization);
  std::uint64_t append_unchecked(core::Time at, Trail& trail, AuditRecord record);
  std::optional<VerifyReport> verify_trail(const std::string& organization, const Trail& trail,
                                           std::uint64_t& entries_checked) const;
  std::size_t prune(Trail& trail, core::Time now);
  void drop_oldest(Trail& trail);  // moves the anchor past it
  std::pair<std::string, std::size_t> locate_for_test(std::uint64_t sequence);

  AuditLogLimits limits_;
  std::map<std::string, Trail, std::less<>> trails_;
  std::uint64_t next_sequence_ = 1;
  core::Time last_at_ = core::Time::min();
  std::size_t entries_total_ = 0;
};

}  // namespace ccsim::platform
