#include "platform/audit_log.h"

#include "core/digest.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <utility>

namespace ccsim::platform {

namespace {

constexpr std::string_view kCursorPrefix = "ac1-";
constexpr std::size_t kCursorHexDigits = 16;
constexpr std::size_t kCursorBytes = kCursorPrefix.size() + 2 * kCursorHexDigits + 1;
using core::sha256_hex;

bool identifier_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

// An error naming `field` if `value` is not an identifier (or empty, when that is allowed).
std::optional<ServiceError> check_identifier(std::string_view field, std::string_view value,
                                             bool empty_allowed) {
  if (value.empty() && empty_allowed) return std::nullopt;
  if (value.empty() || value.size() > kAuditIdentifierBytesMax) {
    return error(ErrorCode::kInvalidArgument,
                 std::string(field) + ": must be 1.." + std::to_string(kAuditIdentifierBytesMax) +
                     " characters, got " + std::to_string(value.size()));
  }
  if (!std::all_of(value.begin(), value.end(), identifier_character)) {
    return error(ErrorCode::kInvalidArgument,
                 std::string(field) + ": contains a character outside [A-Za-z0-9._:@-]");
  }
  return std::nullopt;
}

std::optional<ServiceError> check_record(const AuditRecord& record) {
  if (auto e = check_identifier("organization", record.organization, false)) return e;
  if (auto e = check_identifier("actor", record.actor, false)) return e;
  if (auto e = check_identifier("topic", record.topic, false)) return e;
  if (auto e = check_identifier("device", record.device, true)) return e;
  if (record.detail.size() > kAuditDetailBytesMax) {
    return error(ErrorCode::kInvalidArgument,
                 "detail: at most " + std::to_string(kAuditDetailBytesMax) + " bytes, got " +
                     std::to_string(record.detail.size()));
  }
  return std::nullopt;
}

// Little-endian whatever the host, so a log's hashes are the same on every machine.
void put_u64(std::string& to, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) to.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_text(std::string& to, std::string_view text) {
  put_u64(to, text.size());
  to.append(text);
}

std::string entry_hash(std::string_view previous_hash, const AuditEntry& entry) {
  std::string bytes;
  bytes.reserve(128 + entry.detail.size());
  put_text(bytes, "ccsim.audit.v1");
  put_text(bytes, previous_hash);
  put_u64(bytes, entry.sequence);
  put_u64(bytes, static_cast<std::uint64_t>(entry.at.count()));
  put_text(bytes, entry.organization);
  put_text(bytes, entry.actor);
  put_text(bytes, entry.topic);
  put_text(bytes, entry.device);
  put_text(bytes, entry.detail);
  return sha256_hex(bytes);
}

void put_optional_time(std::string& to, const std::optional<core::Time>& time) {
  to.push_back(time ? 1 : 0);
  put_u64(to, time ? static_cast<std::uint64_t>(time->count()) : 0);
}

// Binds a cursor to the query that made it (all but limit and cursor).
std::string query_fingerprint(const AuditQuery& query) {
  std::string bytes;
  put_text(bytes, query.organization);
  put_text(bytes, query.actor);
  put_text(bytes, query.topic);
  put_text(bytes, query.device);
  put_optional_time(bytes, query.from);
  put_optional_time(bytes, query.until);
  return sha256_hex(bytes).substr(0, kCursorHexDigits);
}

std::string encode_cursor(std::uint64_t sequence, std::string_view fingerprint) {
  char digits[kCursorHexDigits + 1];
  std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(sequence));
  std::string cursor(kCursorPrefix);
  cursor.append(digits).append("-").append(fingerprint);
  assert(cursor.size() == kCursorBytes);
  return cursor;
}

bool hex_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The sequence a cursor resumes at, if it is well formed and made by the same query.
Result<std::uint64_t> decode_cursor(std::string_view cursor, std::string_view fingerprint,
                                    std::uint64_t next_sequence) {
  if (cursor.size() != kCursorBytes || !cursor.starts_with(kCursorPrefix) ||
      cursor[kCursorPrefix.size() + kCursorHexDigits] != '-') {
    return error(ErrorCode::kInvalidArgument, "cursor: malformed");
  }
  const std::string_view digits = cursor.substr(kCursorPrefix.size(), kCursorHexDigits);
  const std::string_view cursor_fingerprint = cursor.substr(kCursorBytes - kCursorHexDigits);
  if (!hex_digits(digits) || !hex_digits(cursor_fingerprint)) {
    return error(ErrorCode::kInvalidArgument, "cursor: malformed");
  }
  if (cursor_fingerprint != fingerprint) {
    return error(ErrorCode::kInvalidArgument, "cursor: made by a different query");
  }
  std::uint64_t sequence = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), sequence, 16);
  if (sequence == 0 || sequence > next_sequence) {
    return error(ErrorCode::kInvalidArgument, "cursor: points outside the log");
  }
  return sequence;
}

std::optional<ServiceError> check_query(const AuditQuery& query) {
  if (auto e = check_identifier("organization", query.organization, false)) return e;
  if (auto e = check_identifier("actor", query.actor, true)) return e;
  if (auto e = check_identifier("topic", query.topic, true)) return e;
  if (auto e = check_identifier("device", query.device, true)) return e;
  if (query.limit < 1 || query.limit > kAuditPageEntriesMax) {
    return error(ErrorCode::kInvalidArgument, "limit: must be 1.." +
                                                  std::to_string(kAuditPageEntriesMax) + ", got " +
                                                  std::to_string(query.limit));
  }
  if (query.from && query.until && *query.from > *query.until) {
    return error(ErrorCode::kInvalidArgument, "from: after until");
  }
  return std::nullopt;
}

bool matches(const AuditQuery& query, const AuditEntry& entry) {
  return (query.actor.empty() || query.actor == entry.actor) &&
         (query.topic.empty() || query.topic == entry.topic) &&
         (query.device.empty() || query.device == entry.device);
}

VerifyReport broken(std::uint64_t sequence, AuditBreak kind, const std::string& organization,
                    std::string reason) {
  VerifyReport report;
  report.intact = false;
  report.broken_sequence = sequence;
  report.kind = kind;
  report.organization = organization;
  report.reason = "entry " + std::to_string(sequence) + ": " + std::move(reason);
  return report;
}

}  // namespace

std::string_view audit_break_name(AuditBreak kind) {
  switch (kind) {
    case AuditBreak::kNone:
      return "none";
    case AuditBreak::kHashMismatch:
      return "hash_mismatch";
    case AuditBreak::kOutOfOrder:
      return "out_of_order";
    case AuditBreak::kMissingHead:
      return "missing_head";
  }
  return "unknown";
}

AuditLog::AuditLog(AuditLogLimits limits) : limits_(limits) {
  assert(limits_.entries_max >= 1 && limits_.entries_max <= kAuditEntriesMax);
  assert(limits_.organization_entries_max >= 1);
  assert(limits_.organization_entries_max <= kAuditOrganizationEntriesMax);
  assert(limits_.organizations_max >= 1 && limits_.organizations_max <= kAuditOrganizationsMax);
  assert(limits_.search_scan_entries_max >= 1);
}

Result<AuditLog::Trail*> AuditLog::trail_for_write(std::string_view organization) {
  auto found = trails_.find(organization);
  if (found != trails_.end() && found->second.closed) {
    return error(ErrorCode::kFailedPrecondition,
                 "organization: audit trail of '" + std::string(organization) + "' is closed");
  }
  // A trail with a retention is a rolling window: when full, its oldest entry makes room.
  if (found != trails_.end() && found->second.retention && !found->second.entries.empty() &&
      found->second.entries.size() >=
          std::min(found->second.retention->entries_max, limits_.organization_entries_max)) {
    drop_oldest(found->second);
  }
  if (entries_total_ >= limits_.entries_max) {
    return error(ErrorCode::kResourceExhausted,
                 "audit log full: " + std::to_string(limits_.entries_max) + " entries kept");
  }
  if (found == trails_.end()) {
    if (trails_.size() >= limits_.organizations_max) {
      return error(ErrorCode::kResourceExhausted, "audit log holds the most organizations: " +
                                                      std::to_string(limits_.organizations_max));
    }
    found = trails_.emplace(std::string(organization), Trail{}).first;
  }
  if (found->second.entries.size() >= limits_.organization_entries_max) {
    return error(ErrorCode::kResourceExhausted,
                 "organization: trail of '" + std::string(organization) + "' holds " +
                     std::to_string(limits_.organization_entries_max) + " entries, the most");
  }
  return &found->second;
}

std::uint64_t AuditLog::append_unchecked(core::Time at, Trail& trail, AuditRecord record) {
  assert(at >= last_at_);
  AuditEntry entry{next_sequence_,
                   at,
                   std::move(record.organization),
                   std::move(record.actor),
                   std::move(record.topic),
                   std::move(record.device),
                   std::move(record.detail),
                   {}};
  entry.hash = entry_hash(trail.head_hash, entry);
  trail.head_hash = entry.hash;
  trail.head_sequence = entry.sequence;
  trail.entries.push_back(std::move(entry));
  last_at_ = at;
  ++entries_total_;
  return next_sequence_++;
}

Result<std::uint64_t> AuditLog::append(core::Time at, AuditRecord record) {
  if (auto e = check_record(record)) return *e;
  if (record.topic == kAuditClosedTopic) {
    return error(ErrorCode::kInvalidArgument,
                 "topic: '" + std::string(kAuditClosedTopic) + "' is reserved for close_trail");
  }
  if (at < last_at_) {
    return error(ErrorCode::kInvalidArgument, "at: " + std::to_string(at.count()) +
                                                  " us is before the newest entry's " +
                                                  std::to_string(last_at_.count()) + " us");
  }
  auto trail = trail_for_write(record.organization);
  if (!trail.ok()) return trail.error();
  return append_unchecked(at, *trail.value(), std::move(record));
}

Result<std::uint64_t> AuditLog::close_trail(core::Time at, std::string_view organization) {
  if (auto e = check_identifier("organization", organization, false)) return *e;
  if (at < last_at_) {
    return error(ErrorCode::kInvalidArgument, "at: " + std::to_string(at.count()) +
                                                  " us is before the newest entry's " +
                                                  std::to_string(last_at_.count()) + " us");
  }
  auto trail = trail_for_write(organization);
  if (!trail.ok()) return trail.error();
  AuditRecord record{std::string(organization), std::string(kAuditPlatformActor),
                     std::string(kAuditClosedTopic), "", "organization deleted"};
  const std::uint64_t sequence = append_unchecked(at, *trail.value(), std::move(record));
  trail.value()->closed = true;
  return sequence;
}

std::optional<VerifyReport> AuditLog::verify_trail(const std::string& organization,
                                                   const Trail& trail,
                                                   std::uint64_t& entries_checked) const {
  std::string_view previous_hash = trail.anchor_hash;
  std::uint64_t previous_sequence = trail.anchor_sequence;
  core::Time previous_at = trail.anchor_sequence == 0 ? core::Time::min() : trail.anchor_at;
  for (const AuditEntry& entry : trail.entries) {
    ++entries_checked;
    if (entry.sequence <= previous_sequence || entry.sequence >= next_sequence_) {
      return broken(entry.sequence, AuditBreak::kOutOfOrder, organization,
                    "sequence does not follow " + std::to_string(previous_sequence));
    }
    if (entry.at < previous_at) {
      return broken(entry.sequence, AuditBreak::kOutOfOrder, organization,
                    "time is before its predecessor's");
    }
    if (entry_hash(previous_hash, entry) != entry.hash) {
      return broken(entry.sequence, AuditBreak::kHashMismatch, organization,
                    "hash does not match its fields and its predecessor's hash (edited, or an "
                    "entry before it removed or moved)");
    }
    previous_hash = entry.hash;
    previous_sequence = entry.sequence;
    previous_at = entry.at;
  }
  if (previous_sequence != trail.head_sequence || previous_hash != trail.head_hash) {
    return broken(trail.head_sequence, AuditBreak::kMissingHead, organization,
                  "the trail's newest entry is missing");
  }
  return std::nullopt;
}

VerifyReport AuditLog::verify() const {
  std::uint64_t entries_checked = 0;
  std::optional<VerifyReport> first;
  for (const auto& [organization, trail] : trails_) {
    auto report = verify_trail(organization, trail, entries_checked);
    if (report && (!first || report->broken_sequence < first->broken_sequence)) {
      first = std::move(report);
    }
  }
  VerifyReport result = first.value_or(VerifyReport{});
  result.entries_checked = entries_checked;
  return result;
}

Result<AuditPage> AuditLog::search(const AuditQuery& query) const {
  if (auto e = check_query(query)) return *e;
  const std::string fingerprint = query_fingerprint(query);
  std::uint64_t start_sequence = 0;
  if (!query.cursor.empty()) {
    auto decoded = decode_cursor(query.cursor, fingerprint, next_sequence_);
    if (!decoded.ok()) return decoded.error();
    start_sequence = decoded.value();
  }
  AuditPage page;
  const auto found = trails_.find(query.organization);
  if (found == trails_.end()) return page;
  const std::deque<AuditEntry>& entries = found->second.entries;
  // Trails are sorted by sequence and by time, so both bounds are binary searches.
  auto first = std::lower_bound(
      entries.begin(), entries.end(), start_sequence,
      [](const AuditEntry& entry, std::uint64_t sequence) { return entry.sequence < sequence; });
  if (query.from) {
    first = std::max(first, std::lower_bound(entries.begin(), entries.end(), *query.from,
                                             [](const AuditEntry& entry, core::Time at) {
                                               return entry.at < at;
                                             }));
  }
  std::size_t entries_scanned = 0;
  for (auto entry = first; entry != entries.end(); ++entry) {
    if (query.until && entry->at >= *query.until) break;
    // Full page, or scanned enough: resume here. A full page looks ahead for one more match
    // so that the last page carries no cursor.
    const bool page_full = page.entries.size() == query.limit;
    if (entries_scanned == limits_.search_scan_entries_max ||
        (page_full && matches(query, *entry))) {
      page.next_cursor = encode_cursor(entry->sequence, fingerprint);
      break;
    }
    ++entries_scanned;
    if (!page_full && matches(query, *entry)) page.entries.push_back(*entry);
  }
  return page;
}

Result<Done> AuditLog::set_retention(std::string_view organization, AuditRetention retention) {
  if (auto e = check_identifier("organization", organization, false)) return *e;
  if (retention.entries_max < 1 || retention.entries_max > limits_.organization_entries_max) {
    return error(ErrorCode::kInvalidArgument, "entries_max: must be 1.." +
                                                  std::to_string(limits_.organization_entries_max) +
                                                  ", got " + std::to_string(retention.entries_max));
  }
  if (retention.age_max <= core::Duration::zero() || retention.age_max > kAuditRetentionAgeMax) {
    return error(ErrorCode::kInvalidArgument,
                 "age_max: must be 1.." + std::to_string(kAuditRetentionAgeMax.count()) +
                     " us, got " + std::to_string(retention.age_max.count()));
  }
  auto found = trails_.find(organization);
  if (found == trails_.end()) {
    if (trails_.size() >= limits_.organizations_max) {
      return error(ErrorCode::kResourceExhausted, "audit log holds the most organizations: " +
                                                      std::to_string(limits_.organizations_max));
    }
    found = trails_.emplace(std::string(organization), Trail{}).first;
  }
  found->second.retention = retention;
  return Done{};
}

std::size_t AuditLog::prune(Trail& trail, core::Time now) {
  assert(trail.retention);
  const AuditRetention& retention = *trail.retention;
  std::size_t dropped = 0;
  while (!trail.entries.empty() && (trail.entries.size() > retention.entries_max ||
                                    now - trail.entries.front().at > retention.age_max)) {
    drop_oldest(trail);
    ++dropped;
  }
  return dropped;
}

void AuditLog::drop_oldest(Trail& trail) {
  assert(!trail.entries.empty() && entries_total_ > 0);
  AuditEntry& oldest = trail.entries.front();
  trail.anchor_hash = std::move(oldest.hash);
  trail.anchor_sequence = oldest.sequence;
  trail.anchor_at = oldest.at;
  trail.entries.pop_front();
  --entries_total_;
}

std::size_t AuditLog::enforce_retention(core::Time now) {
  std::size_t dropped = 0;
  for (auto& [organization, trail] : trails_) {
    if (trail.retention) dropped += prune(trail, now);
  }
  return dropped;
}

bool AuditLog::is_closed(std::string_view organization) const {
  const auto found = trails_.find(organization);
  return found != trails_.end() && found->second.closed;
}

std::size_t AuditLog::organization_size(std::string_view organization) const {
  const auto found = trails_.find(organization);
  return found == trails_.end() ? 0 : found->second.entries.size();
}

std::string AuditLog::head_hash(std::string_view organization) const {
  const auto found = trails_.find(organization);
  return found == trails_.end() ? std::string() : found->second.head_hash;
}

std::pair<std::string, std::size_t> AuditLog::locate_for_test(std::uint64_t sequence) {
  for (auto& [organization, trail] : trails_) {
    for (std::size_t i = 0; i < trail.entries.size(); ++i) {
      if (trail.entries[i].sequence == sequence) return {organization, i};
    }
  }
  assert(false && "no entry with that sequence");
  return {};
}

AuditEntry& AuditLog::entry_for_test(std::uint64_t sequence) {
  const auto [organization, index] = locate_for_test(sequence);
  return trails_.find(organization)->second.entries[index];
}

void AuditLog::erase_for_test(std::uint64_t sequence) {
  const auto [organization, index] = locate_for_test(sequence);
  auto& entries = trails_.find(organization)->second.entries;
  entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(index));
  --entries_total_;
}

void AuditLog::swap_for_test(std::uint64_t first_sequence, std::uint64_t second_sequence) {
  const auto [first_organization, first_index] = locate_for_test(first_sequence);
  const auto [second_organization, second_index] = locate_for_test(second_sequence);
  assert(first_organization == second_organization);
  auto& entries = trails_.find(first_organization)->second.entries;
  std::swap(entries[first_index], entries[second_index]);
}

}  // namespace ccsim::platform
