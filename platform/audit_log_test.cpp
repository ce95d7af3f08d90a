#include "platform/audit_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace ccsim::platform {
namespace {

using std::chrono::seconds;

core::Time at_s(std::int64_t s) {
  return core::Time(seconds(s));
}

AuditRecord record(std::string organization, std::string actor = "alice@acme",
                   std::string topic = "device.onboarded", std::string device = "",
                   std::string detail = "") {
  return AuditRecord{std::move(organization), std::move(actor), std::move(topic), std::move(device),
                     std::move(detail)};
}

std::uint64_t must_append(AuditLog& log, core::Time at, AuditRecord r) {
  auto result = log.append(at, std::move(r));
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : 0;
}

AuditPage must_search(const AuditLog& log, const AuditQuery& query) {
  auto result = log.search(query);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : AuditPage{};
}

std::vector<std::uint64_t> sequences(const std::vector<AuditEntry>& entries) {
  std::vector<std::uint64_t> out;
  for (const auto& entry : entries) out.push_back(entry.sequence);
  return out;
}

// Every page of a query, following cursors; fails the test if paging does not end.
std::vector<AuditEntry> all_pages(const AuditLog& log, AuditQuery query,
                                  std::size_t* pages = nullptr) {
  std::vector<AuditEntry> out;
  std::size_t count = 0;
  for (; count < 100'000; ++count) {
    AuditPage page = must_search(log, query);
    EXPECT_LE(page.entries.size(), query.limit);
    out.insert(out.end(), page.entries.begin(), page.entries.end());
    if (page.next_cursor.empty()) break;
    query.cursor = page.next_cursor;
  }
  EXPECT_LT(count, 100'000u) << "paging did not end";
  if (pages != nullptr) *pages = count + 1;
  return out;
}

// The documented encoding, written out independently of the implementation.
std::string reference_hash(std::string_view previous, const AuditEntry& e) {
  std::string bytes;
  auto u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto text = [&](std::string_view t) {
    u64(t.size());
    bytes.append(t);
  };
  text("ccsim.audit.v1");
  text(previous);
  u64(e.sequence);
  u64(static_cast<std::uint64_t>(e.at.count()));
  text(e.organization);
  text(e.actor);
  text(e.topic);
  text(e.device);
  text(e.detail);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &size, EVP_sha256(), nullptr);
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", md[i]);
    hex += pair;
  }
  return hex;
}

AuditQuery query_of(std::string organization, std::size_t limit = kAuditPageEntriesMax) {
  AuditQuery query;
  query.organization = std::move(organization);
  query.limit = limit;
  return query;
}

// ---- append, sequence, hash ----

TEST(AuditLogAppend, AssignsGlobalSequencesAndChainsHashesPerOrganization) {
  AuditLog log;
  EXPECT_EQ(must_append(log, at_s(1), record("acme", "alice", "user.invited", "", "bob")), 1u);
  EXPECT_EQ(must_append(log, at_s(2), record("globex", "hank", "device.onboarded", "cam-1")), 2u);
  EXPECT_EQ(must_append(log, at_s(2), record("acme", "alice", "role.assigned", "", "bob:op")), 3u);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.organization_size("acme"), 2u);

  const auto acme = must_search(log, query_of("acme")).entries;
  ASSERT_EQ(acme.size(), 2u);
  EXPECT_EQ(acme[0].sequence, 1u);
  EXPECT_EQ(acme[0].at, at_s(1));
  EXPECT_EQ(acme[0].detail, "bob");
  EXPECT_EQ(acme[1].sequence, 3u);
  EXPECT_EQ(acme[0].hash.size(), 64u);
  EXPECT_EQ(acme[0].hash, reference_hash("", acme[0]));
  EXPECT_EQ(acme[1].hash, reference_hash(acme[0].hash, acme[1]));  // chains within acme
  EXPECT_EQ(log.head_hash("acme"), acme[1].hash);

  const auto globex = must_search(log, query_of("globex")).entries;
  ASSERT_EQ(globex.size(), 1u);
  EXPECT_EQ(globex[0].hash, reference_hash("", globex[0]));
  EXPECT_EQ(globex[0].device, "cam-1");
}

TEST(AuditLogAppend, EncodingIsUnambiguousAcrossFieldBoundaries) {
  AuditLog a;
  AuditLog b;
  must_append(a, at_s(1), record("acme", "ab", "c"));
  must_append(b, at_s(1), record("acme", "a", "bc"));
  EXPECT_NE(a.head_hash("acme"), b.head_hash("acme"));
}

struct FieldCase {
  const char* name;
  std::function<void(AuditRecord&)> spoil;
  const char* field;
};

TEST(AuditLogAppend, RefusesEachInvalidFieldNamingIt) {
  const std::vector<FieldCase> cases = {
      {"organization empty", [](AuditRecord& r) { r.organization = ""; }, "organization"},
      {"organization long", [](AuditRecord& r) { r.organization = std::string(65, 'o'); },
       "organization"},
      {"organization slash", [](AuditRecord& r) { r.organization = "ac/me"; }, "organization"},
      {"actor empty", [](AuditRecord& r) { r.actor = ""; }, "actor"},
      {"actor space", [](AuditRecord& r) { r.actor = "al ice"; }, "actor"},
      {"actor long", [](AuditRecord& r) { r.actor = std::string(65, 'a'); }, "actor"},
      {"topic empty", [](AuditRecord& r) { r.topic = ""; }, "topic"},
      {"topic non-ascii", [](AuditRecord& r) { r.topic = "mode.\xc3\xa9"; }, "topic"},
      {"topic reserved", [](AuditRecord& r) { r.topic = "audit.closed"; }, "topic"},
      {"device bad", [](AuditRecord& r) { r.device = "cam#1"; }, "device"},
      {"device long", [](AuditRecord& r) { r.device = std::string(65, 'd'); }, "device"},
      {"detail long", [](AuditRecord& r) { r.detail = std::string(1025, 'x'); }, "detail"},
  };
  AuditLog log;
  for (const auto& c : cases) {
    AuditRecord r = record("acme", "alice", "device.onboarded", "cam-1", "ok");
    c.spoil(r);
    auto result = log.append(at_s(1), r);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(result.error().message.starts_with(std::string(c.field) + ":"))
        << c.name << ": " << result.error().message;
  }
  EXPECT_EQ(log.size(), 0u);
  // The edges of each limit are accepted, and the sequence did not advance on refusals.
  AuditRecord edge = record(std::string(64, 'o'), "a.b_c:d@e-f", "T0", "", std::string(1024, 'x'));
  EXPECT_EQ(must_append(log, at_s(1), edge), 1u);
}

TEST(AuditLogAppend, RefusesTimeGoingBackwardsAcceptsEqualTime) {
  AuditLog log;
  must_append(log, at_s(10), record("acme"));
  auto backwards = log.append(at_s(9), record("globex"));  // any organization: time is global
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(backwards.error().message.starts_with("at:")) << backwards.error().message;
  EXPECT_EQ(must_append(log, at_s(10), record("acme")), 2u);
  EXPECT_EQ(log.size(), 2u);
}

TEST(AuditLogAppend, RefusesPastTotalEntryLimit) {
  AuditLogLimits limits;
  limits.entries_max = 5;
  AuditLog log(limits);
  for (int i = 0; i < 5; ++i) must_append(log, at_s(i), record(i % 2 ? "acme" : "globex"));
  auto full = log.append(at_s(6), record("acme"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(log.set_retention("acme", {1, kAuditRetentionAgeMax}).ok());
  EXPECT_EQ(log.enforce_retention(at_s(6)), 1u);
  EXPECT_EQ(must_append(log, at_s(6), record("acme")), 6u);  // room again after pruning
}

TEST(AuditLogAppend, RefusesPastOrganizationEntryAndOrganizationCountLimits) {
  AuditLogLimits limits;
  limits.organization_entries_max = 2;
  limits.organizations_max = 2;
  AuditLog log(limits);
  must_append(log, at_s(1), record("acme"));
  must_append(log, at_s(1), record("acme"));
  auto per_organization = log.append(at_s(1), record("acme"));
  ASSERT_FALSE(per_organization.ok());
  EXPECT_EQ(per_organization.error().code, ErrorCode::kResourceExhausted);
  must_append(log, at_s(1), record("globex"));
  auto organizations = log.append(at_s(1), record("initech"));
  ASSERT_FALSE(organizations.ok());
  EXPECT_EQ(organizations.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(log.organization_size("initech"), 0u);
}

// ---- verify ----

AuditLog populated_log() {
  AuditLog log;
  for (int i = 0; i < 12; ++i) {
    const char* organization = i % 3 == 0 ? "globex" : "acme";
    must_append(log, at_s(i),
                record(organization, "u" + std::to_string(i % 4), "device.moded",
                       "cam-" + std::to_string(i), "step " + std::to_string(i)));
  }
  return log;
}

TEST(AuditLogVerify, IntactLogPasses) {
  const AuditLog log = populated_log();
  const VerifyReport report = log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.kind, AuditBreak::kNone);
  EXPECT_EQ(report.entries_checked, 12u);
  EXPECT_TRUE(AuditLog().verify().intact);
}

struct TamperCase {
  const char* name;
  std::function<void(AuditEntry&)> tamper;
  AuditBreak kind;
};

TEST(AuditLogVerify, EditingOneEntryNamesItsSequence) {
  const std::vector<TamperCase> cases = {
      {"detail", [](AuditEntry& e) { e.detail = "step 99"; }, AuditBreak::kHashMismatch},
      {"actor", [](AuditEntry& e) { e.actor = "mallory"; }, AuditBreak::kHashMismatch},
      {"topic", [](AuditEntry& e) { e.topic = "device.other"; }, AuditBreak::kHashMismatch},
      {"device", [](AuditEntry& e) { e.device = ""; }, AuditBreak::kHashMismatch},
      {"organization", [](AuditEntry& e) { e.organization = "globex"; }, AuditBreak::kHashMismatch},
      {"at later", [](AuditEntry& e) { e.at += std::chrono::microseconds(1); },
       AuditBreak::kHashMismatch},
      {"at earlier", [](AuditEntry& e) { e.at = at_s(0); }, AuditBreak::kOutOfOrder},
      {"hash", [](AuditEntry& e) { e.hash[10] = e.hash[10] == 'a' ? 'b' : 'a'; },
       AuditBreak::kHashMismatch},
  };
  for (const std::uint64_t target : {2u, 5u, 8u, 12u}) {  // acme: first, middle, newest
    for (const auto& c : cases) {
      AuditLog log = populated_log();
      c.tamper(log.entry_for_test(target));
      const VerifyReport report = log.verify();
      EXPECT_FALSE(report.intact) << c.name << " at " << target;
      EXPECT_EQ(report.broken_sequence, target) << c.name << ": " << report.reason;
      // The first entry of a trail has no predecessor to be out of order with.
      const AuditBreak kind = target == 2 ? AuditBreak::kHashMismatch : c.kind;
      EXPECT_EQ(report.kind, kind) << c.name << " at " << target << ": " << report.reason;
      EXPECT_EQ(report.organization, "acme");
      EXPECT_NE(report.reason.find("entry " + std::to_string(target)), std::string::npos);
    }
  }
}

TEST(AuditLogVerify, RemovingAnEntryIsDetected) {
  AuditLog middle = populated_log();  // acme holds 2, 3, 5, 6, 8, 9, 11, 12
  middle.erase_for_test(5);
  VerifyReport report = middle.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 6u) << report.reason;  // the entry that chained from it
  EXPECT_EQ(report.kind, AuditBreak::kHashMismatch);

  AuditLog newest = populated_log();
  newest.erase_for_test(12);
  report = newest.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 12u) << report.reason;
  EXPECT_EQ(report.kind, AuditBreak::kMissingHead);

  AuditLog oldest = populated_log();
  oldest.erase_for_test(1);  // globex's first: nothing before it, but 4 chained from it
  report = oldest.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 4u) << report.reason;
  EXPECT_EQ(report.organization, "globex");
}

TEST(AuditLogVerify, ReorderingIsDetected) {
  AuditLog swapped = populated_log();
  swapped.swap_for_test(5, 6);
  VerifyReport report = swapped.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 6u) << report.reason;

  EXPECT_EQ(report.kind, AuditBreak::kHashMismatch);

  // Swapping the entries and their sequence numbers, so the order looks right, still breaks.
  AuditLog renumbered = populated_log();
  renumbered.swap_for_test(5, 6);
  AuditEntry& now_first = renumbered.entry_for_test(6);
  AuditEntry& now_second = renumbered.entry_for_test(5);
  now_first.sequence = 5;
  now_second.sequence = 6;
  ASSERT_EQ(sequences(must_search(renumbered, query_of("acme")).entries),
            (std::vector<std::uint64_t>{2, 3, 5, 6, 8, 9, 11, 12}));
  report = renumbered.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 5u) << report.reason;
  EXPECT_EQ(report.kind, AuditBreak::kHashMismatch) << report.reason;

  // Entries moved far apart: caught at the first one out of place.
  AuditLog moved = populated_log();
  moved.swap_for_test(3, 9);
  report = moved.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 9u) << report.reason;
}

TEST(AuditLogVerify, ReportsTheSmallestBrokenSequenceAcrossTrails) {
  AuditLog log = populated_log();
  log.entry_for_test(8).detail = "x";   // acme
  log.entry_for_test(7).detail = "y";   // globex
  log.entry_for_test(10).detail = "z";  // globex, after the first break
  const VerifyReport report = log.verify();
  EXPECT_EQ(report.broken_sequence, 7u);
  EXPECT_EQ(report.organization, "globex");
}

// ---- search ----

AuditLog search_log() {
  AuditLog log;
  // at: 0..11 s; actors alternate, topics every three, devices every four.
  for (int i = 0; i < 12; ++i) {
    must_append(log, at_s(i),
                record("acme", i % 2 ? "bob" : "alice", i % 3 ? "mode.changed" : "user.invited",
                       i % 4 ? "cam-1" : "cam-2"));
    must_append(log, at_s(i), record("globex", "alice", "mode.changed", "cam-1"));
  }
  return log;
}

std::vector<std::uint64_t> matching(AuditQuery query) {
  const AuditLog log = search_log();
  return sequences(must_search(log, query).entries);
}

TEST(AuditLogSearch, FiltersEachDimension) {
  // acme's entry i has sequence 2i+1.
  AuditQuery q = query_of("acme");
  EXPECT_EQ(matching(q).size(), 12u);
  q.actor = "bob";
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{3, 7, 11, 15, 19, 23}));
  q = query_of("acme");
  q.topic = "user.invited";
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{1, 7, 13, 19}));
  q = query_of("acme");
  q.device = "cam-2";
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{1, 9, 17}));
  q = query_of("globex");
  EXPECT_EQ(matching(q).size(), 12u);
  EXPECT_EQ(matching(q).front(), 2u);
  q.actor = "bob";
  EXPECT_TRUE(matching(q).empty());
  EXPECT_TRUE(matching(query_of("initech")).empty());  // no trail: no entries, no error
}

TEST(AuditLogSearch, FiltersCombine) {
  AuditQuery q = query_of("acme");
  q.actor = "alice";
  q.topic = "user.invited";
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{1, 13}));  // i = 0, 6
  q.device = "cam-2";
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{1}));
  q.from = at_s(1);
  EXPECT_TRUE(matching(q).empty());
  q = query_of("acme");
  q.actor = "bob";
  q.device = "cam-1";
  q.from = at_s(3);
  q.until = at_s(9);
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{7, 11, 15}));  // i = 3, 5, 7
}

TEST(AuditLogSearch, TimeRangeIncludesFromExcludesUntil) {
  AuditQuery q = query_of("acme");
  q.from = at_s(4);
  q.until = at_s(7);
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{9, 11, 13}));  // i = 4, 5, 6
  q.until = at_s(4);
  EXPECT_TRUE(matching(q).empty());
  q.until.reset();
  EXPECT_EQ(matching(q).size(), 8u);
  q.from.reset();
  q.until = at_s(1);
  EXPECT_EQ(matching(q), (std::vector<std::uint64_t>{1}));
  q.from = at_s(5);
  q.until = at_s(4);
  const AuditLog log = search_log();
  auto refused = log.search(q);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(refused.error().message.starts_with("from:"));
}

TEST(AuditLogSearch, RefusesInvalidQueries) {
  const AuditLog log = search_log();
  const std::vector<std::pair<std::function<void(AuditQuery&)>, std::string>> cases = {
      {[](AuditQuery& q) { q.organization = ""; }, "organization:"},
      {[](AuditQuery& q) { q.actor = "a b"; }, "actor:"},
      {[](AuditQuery& q) { q.topic = std::string(65, 't'); }, "topic:"},
      {[](AuditQuery& q) { q.device = "cam/1"; }, "device:"},
      {[](AuditQuery& q) { q.limit = 0; }, "limit:"},
      {[](AuditQuery& q) { q.limit = kAuditPageEntriesMax + 1; }, "limit:"},
  };
  for (const auto& [spoil, prefix] : cases) {
    AuditQuery q = query_of("acme");
    spoil(q);
    auto result = log.search(q);
    ASSERT_FALSE(result.ok()) << prefix;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(result.error().message.starts_with(prefix)) << result.error().message;
  }
  EXPECT_EQ(AuditQuery{}.limit, 100u);
}

// ---- pagination ----

class AuditLogPagination : public ::testing::TestWithParam<std::size_t> {};

TEST_P(AuditLogPagination, YieldsEveryMatchExactlyOnceInOrder) {
  AuditLog log;
  std::vector<std::uint64_t> expected;
  std::vector<std::uint64_t> expected_filtered;
  for (int i = 0; i < 1203; ++i) {
    const std::uint64_t sequence =
        must_append(log, at_s(i), record("acme", i % 3 ? "bob" : "alice", "device.event"));
    must_append(log, at_s(i), record("globex"));
    expected.push_back(sequence);
    if (i % 3 == 0) expected_filtered.push_back(sequence);
  }
  const std::size_t limit = GetParam();
  std::size_t pages = 0;
  EXPECT_EQ(sequences(all_pages(log, query_of("acme", limit), &pages)), expected);
  EXPECT_EQ(pages, (expected.size() + limit - 1) / limit);  // no empty trailing page

  AuditQuery filtered = query_of("acme", limit);
  filtered.actor = "alice";
  EXPECT_EQ(sequences(all_pages(log, filtered, &pages)), expected_filtered);
  EXPECT_EQ(pages, (expected_filtered.size() + limit - 1) / limit);
}

INSTANTIATE_TEST_SUITE_P(AuditLogLimits, AuditLogPagination, ::testing::Values(1, 2, 7, 500));

TEST(AuditLogPaging, ExactlyFullLastPageHasNoCursor) {
  AuditLog log;
  for (int i = 0; i < 4; ++i) must_append(log, at_s(i), record("acme"));
  AuditPage first = must_search(log, query_of("acme", 2));
  EXPECT_EQ(first.entries.size(), 2u);
  ASSERT_FALSE(first.next_cursor.empty());
  AuditQuery next = query_of("acme", 2);
  next.cursor = first.next_cursor;
  AuditPage second = must_search(log, next);
  EXPECT_EQ(sequences(second.entries), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_TRUE(second.next_cursor.empty());
}

TEST(AuditLogPaging, CursorSurvivesAppendsAndPruningBetweenPages) {
  AuditLog log;
  for (int i = 0; i < 10; ++i) must_append(log, at_s(i), record("acme", "alice"));
  AuditQuery q = query_of("acme", 3);
  q.actor = "alice";
  AuditPage page = must_search(log, q);
  std::vector<std::uint64_t> seen = sequences(page.entries);
  int t = 10;
  for (int round = 0; !page.next_cursor.empty(); ++round) {
    if (round < 4) {  // new matching and non-matching entries, in this trail and another
      must_append(log, at_s(t), record("acme", "alice"));
      must_append(log, at_s(t), record("acme", "bob"));
      must_append(log, at_s(t), record("globex", "alice"));
      ++t;
    }
    q.cursor = page.next_cursor;
    page = must_search(log, q);
    for (auto s : sequences(page.entries)) seen.push_back(s);
  }
  AuditQuery everything = query_of("acme");
  everything.actor = "alice";
  EXPECT_EQ(seen, sequences(must_search(log, everything).entries));

  // Pruning between pages: the cursor resumes at the first remaining entry after it.
  AuditQuery pruned = query_of("acme", 2);
  page = must_search(log, pruned);
  ASSERT_TRUE(log.set_retention("acme", {3, kAuditRetentionAgeMax}).ok());
  log.enforce_retention(at_s(t));
  pruned.cursor = page.next_cursor;
  EXPECT_EQ(sequences(all_pages(log, pruned)),
            sequences(must_search(log, query_of("acme")).entries));
}

TEST(AuditLogPaging, RefusesMalformedAndForeignCursors) {
  const AuditLog log = search_log();
  AuditQuery q = query_of("acme", 2);
  q.actor = "bob";
  const std::string cursor = must_search(log, q).next_cursor;
  ASSERT_FALSE(cursor.empty());

  std::vector<std::string> malformed = {"x",
                                        "not-a-cursor",
                                        cursor.substr(1),
                                        cursor + "0",
                                        std::string(cursor.size(), 'z'),
                                        std::string(100'000, 'a')};
  std::string uppercase = cursor;
  uppercase[5] = 'G';
  malformed.push_back(uppercase);
  std::string zero = cursor;
  zero.replace(4, 16, std::string(16, '0'));
  malformed.push_back(zero);
  std::string beyond = cursor;
  beyond.replace(4, 16, "00000000ffffffff");
  malformed.push_back(beyond);
  for (const auto& bad : malformed) {
    AuditQuery b = q;
    b.cursor = bad;
    auto result = log.search(b);
    ASSERT_FALSE(result.ok()) << bad.substr(0, 60);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(result.error().message.starts_with("cursor:")) << result.error().message;
  }
  // A cursor from another query (organization, filter, range) is foreign.
  std::vector<std::function<void(AuditQuery&)>> others = {
      [](AuditQuery& o) { o.organization = "globex"; }, [](AuditQuery& o) { o.actor = "alice"; },
      [](AuditQuery& o) { o.topic = "mode.changed"; },  [](AuditQuery& o) { o.from = at_s(0); },
      [](AuditQuery& o) { o.until = at_s(100); },
  };
  for (const auto& change : others) {
    AuditQuery other = q;
    change(other);
    other.cursor = cursor;
    auto result = log.search(other);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().message, "cursor: made by a different query");
  }
  // Only the limit may change between pages.
  AuditQuery wider = q;
  wider.limit = 500;
  wider.cursor = cursor;
  EXPECT_TRUE(log.search(wider).ok());
}

TEST(AuditLogPaging, ScanLimitReturnsShortPagesThatStillMakeProgress) {
  AuditLogLimits limits;
  limits.search_scan_entries_max = 10;
  AuditLog log(limits);
  std::vector<std::uint64_t> expected;
  for (int i = 0; i < 50; ++i) {
    const auto s = must_append(log, at_s(i), record("acme", i == 42 || i == 3 ? "eve" : "bob"));
    if (i == 42 || i == 3) expected.push_back(s);
  }
  AuditQuery q = query_of("acme", 5);
  q.actor = "eve";
  std::size_t pages = 0;
  EXPECT_EQ(sequences(all_pages(log, q, &pages)), expected);
  EXPECT_EQ(pages, 5u);  // 10 entries examined per page
}

// ---- retention ----

TEST(AuditLogRetention, ByCountKeepsNewestAndStaysVerifiable) {
  AuditLog log;
  for (int i = 0; i < 10; ++i) must_append(log, at_s(i), record("acme", "alice", "t", "", "a"));
  for (int i = 10; i < 15; ++i) must_append(log, at_s(i), record("globex"));
  ASSERT_TRUE(log.set_retention("acme", {3, kAuditRetentionAgeMax}).ok());
  EXPECT_EQ(log.enforce_retention(at_s(15)), 7u);
  EXPECT_EQ(log.size(), 8u);
  EXPECT_EQ(sequences(must_search(log, query_of("acme")).entries),
            (std::vector<std::uint64_t>{8, 9, 10}));
  EXPECT_EQ(log.organization_size("globex"), 5u);
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;
  EXPECT_EQ(log.enforce_retention(at_s(15)), 0u);  // idempotent

  AuditLog tampered = log;
  tampered.entry_for_test(8).detail = "b";  // the first entry after the anchor
  VerifyReport report = tampered.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 8u);

  AuditLog dropped = log;
  dropped.erase_for_test(8);  // pruning by hand, without moving the anchor
  report = dropped.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_sequence, 9u) << report.reason;
  // Appending after pruning keeps the trail verifiable (the full trail now rolls).
  must_append(log, at_s(16), record("acme"));
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;
}

TEST(AuditLogRetention, AFullTrailWithARetentionRollsInsteadOfRefusing) {
  AuditLogLimits limits;
  limits.organization_entries_max = 4;
  AuditLog log(limits);
  ASSERT_TRUE(log.set_retention("acme", {3, kAuditRetentionAgeMax}).ok());
  for (int i = 0; i < 10; ++i) must_append(log, at_s(i), record("acme"));
  EXPECT_EQ(sequences(must_search(log, query_of("acme")).entries),
            (std::vector<std::uint64_t>{8, 9, 10}));
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;
  // Without a retention the trail stops at its cap instead.
  for (int i = 10; i < 14; ++i) must_append(log, at_s(i), record("globex"));
  auto refused = log.append(at_s(14), record("globex"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  // Given a retention (here as wide as the cap), it rolls instead.
  ASSERT_TRUE(log.set_retention("globex", {4, kAuditRetentionAgeMax}).ok());
  EXPECT_EQ(must_append(log, at_s(15), record("globex")), 15u);
  EXPECT_EQ(log.organization_size("globex"), 4u);
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;
}

TEST(AuditLogRetention, ByAgeDropsEntriesOlderThanAgeMax) {
  AuditLog log;
  for (int i = 0; i <= 20; ++i) must_append(log, at_s(i), record("acme"));
  ASSERT_TRUE(log.set_retention("acme", {kAuditOrganizationEntriesMax, seconds(10)}).ok());
  EXPECT_EQ(log.enforce_retention(at_s(25)), 15u);  // now - at > 10 s: at 0..14 s
  const auto kept = must_search(log, query_of("acme")).entries;
  ASSERT_EQ(kept.size(), 6u);
  EXPECT_EQ(kept.front().at, at_s(15));  // exactly age_max old: kept
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;

  AuditLog tampered = log;
  tampered.entry_for_test(kept.back().sequence).actor = "mallory";
  EXPECT_EQ(tampered.verify().broken_sequence, kept.back().sequence);

  EXPECT_EQ(log.enforce_retention(at_s(100)), 6u);  // all of it
  EXPECT_EQ(log.organization_size("acme"), 0u);
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;
  must_append(log, at_s(100), record("acme"));
  EXPECT_TRUE(log.verify().intact) << log.verify().reason;
}

TEST(AuditLogRetention, RefusesInvalidRetention) {
  AuditLog log;
  auto none = log.set_retention("acme", {0, seconds(1)});
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(none.error().message.starts_with("entries_max:"));
  auto too_many = log.set_retention("acme", {kAuditOrganizationEntriesMax + 1, seconds(1)});
  ASSERT_FALSE(too_many.ok());
  EXPECT_TRUE(too_many.error().message.starts_with("entries_max:"));
  auto ageless = log.set_retention("acme", {10, seconds(0)});
  ASSERT_FALSE(ageless.ok());
  EXPECT_TRUE(ageless.error().message.starts_with("age_max:"));
  auto organization = log.set_retention("a cme", {10, seconds(1)});
  ASSERT_FALSE(organization.ok());
  EXPECT_EQ(organization.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(organization.error().message.starts_with("organization:"));
}

// ---- closing ----

TEST(AuditLogClose, ClosedTrailRefusesAppendsAndStaysSearchable) {
  AuditLog log;
  must_append(log, at_s(1), record("acme"));
  must_append(log, at_s(1), record("globex"));
  auto closed = log.close_trail(at_s(2), "acme");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed.value(), 3u);
  EXPECT_TRUE(log.is_closed("acme"));
  EXPECT_FALSE(log.is_closed("globex"));

  auto later = log.append(at_s(3), record("acme"));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, ErrorCode::kFailedPrecondition);
  auto again = log.close_trail(at_s(3), "acme");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(must_append(log, at_s(3), record("globex")), 4u);

  const auto entries = must_search(log, query_of("acme")).entries;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.back().topic, kAuditClosedTopic);
  EXPECT_EQ(entries.back().actor, kAuditPlatformActor);
  EXPECT_EQ(entries.back().at, at_s(2));
  EXPECT_TRUE(log.verify().intact);

  auto bad = log.close_trail(at_s(3), "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto backwards = log.close_trail(at_s(0), "globex");
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(log.is_closed("globex"));
}

// ---- determinism ----

AuditLog scripted_log(std::string_view last_detail) {
  AuditLog log;
  for (int i = 0; i < 20; ++i) {
    must_append(log, at_s(i / 2),
                record(i % 2 ? "acme" : "globex", "u" + std::to_string(i), "mode.changed",
                       "cam-" + std::to_string(i % 5), i == 19 ? std::string(last_detail) : "d"));
  }
  return log;
}

TEST(AuditLogDeterminism, SameInputsGiveSameHashes) {
  const AuditLog a = scripted_log("d");
  const AuditLog b = scripted_log("d");
  const AuditLog c = scripted_log("e");
  for (const char* organization : {"acme", "globex"}) {
    const auto from_a = must_search(a, query_of(organization)).entries;
    const auto from_b = must_search(b, query_of(organization)).entries;
    ASSERT_EQ(from_a.size(), from_b.size());
    for (std::size_t i = 0; i < from_a.size(); ++i) EXPECT_EQ(from_a[i].hash, from_b[i].hash);
  }
  EXPECT_EQ(a.head_hash("acme"), b.head_hash("acme"));
  EXPECT_NE(a.head_hash("acme"), c.head_hash("acme"));  // entry 20 is acme's, detail differs
  EXPECT_EQ(a.head_hash("globex"), c.head_hash("globex"));
}

}  // namespace
}  // namespace ccsim::platform
