// The trace digest: equal logs give equal digests, any difference (a field, the order, a text)
// gives another, and the block buffering never shows in the result.
#include "core/trace.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ccsim::core {
namespace {

using std::chrono::microseconds;

struct Entry {
  std::int64_t at_us;
  TraceEvent event;
  std::uint64_t node, a, b;
};

std::string digest_of(const std::vector<Entry>& entries) {
  Trace trace;
  for (const Entry& e : entries) trace.record(microseconds(e.at_us), e.event, e.node, e.a, e.b);
  return trace.finish();
}

const std::vector<Entry> kSample = {
    {0, TraceEvent::kSend, 1, 10, 100},
    {10, TraceEvent::kDeliver, 2, 10, 100},
    {20, TraceEvent::kStatusChange, 2, 1, 0},
};

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// One-shot SHA-256 of `bytes`, independent of Trace's buffering.
std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &length, EVP_sha256(), nullptr);
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", md[i]);
    hex += pair;
  }
  return hex;
}

// LEB128, written out: seven bits a byte, low bits first, the top bit on all but the last.
void put_varint(std::string& out, std::uint64_t v) {
  do {
    const auto low = static_cast<unsigned char>(v & 0x7f);
    v >>= 7;
    out += static_cast<char>(v != 0 ? (low | 0x80) : low);
  } while (v != 0);
}

TEST(Trace, EmptyTraceIsTheDigestOfNothing) {
  Trace trace;
  EXPECT_EQ(trace.events(), 0u);
  EXPECT_EQ(trace.finish(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Trace, SameRecordsGiveTheSameDigest) {
  const std::string first = digest_of(kSample);
  EXPECT_EQ(first.size(), 64u);
  EXPECT_TRUE(is_lower_hex(first)) << first;
  EXPECT_EQ(digest_of(kSample), first);
}

TEST(Trace, AnyChangedFieldChangesTheDigest) {
  const std::string base = digest_of(kSample);
  std::vector<std::vector<Entry>> variants(5, kSample);
  variants[0][1].at_us += 1;
  variants[1][1].event = TraceEvent::kDrop;
  variants[2][1].node += 1;
  variants[3][1].a += 1;
  variants[4][1].b += 1;
  std::vector<std::string> digests;
  for (const auto& v : variants) {
    digests.push_back(digest_of(v));
    EXPECT_NE(digests.back(), base);
  }
  for (std::size_t i = 0; i < digests.size(); ++i) {
    for (std::size_t j = i + 1; j < digests.size(); ++j) EXPECT_NE(digests[i], digests[j]);
  }
}

TEST(Trace, OrderMatters) {
  std::vector<Entry> swapped = kSample;
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(digest_of(swapped), digest_of(kSample));
}

TEST(Trace, DroppedOrExtraRecordChangesTheDigest) {
  std::vector<Entry> shorter(kSample.begin(), kSample.end() - 1);
  std::vector<Entry> longer = kSample;
  longer.push_back(kSample.back());
  EXPECT_NE(digest_of(shorter), digest_of(kSample));
  EXPECT_NE(digest_of(longer), digest_of(kSample));
}

TEST(Trace, CountsEvents) {
  Trace trace;
  trace.record(microseconds(1), TraceEvent::kSend, 1);
  trace.record(microseconds(2), TraceEvent::kDeliver, 1, 2, 3);
  trace.record_text(microseconds(3), TraceEvent::kFault, "region_outage eu-west");
  EXPECT_EQ(trace.events(), 3u);
  trace.finish();
  EXPECT_EQ(trace.events(), 3u);
}

TEST(Trace, TextIsHashed) {
  auto text_digest = [](std::string_view text, TraceEvent event) {
    Trace trace;
    trace.record(microseconds(1), TraceEvent::kSend, 1);
    trace.record_text(microseconds(5), event, text);
    return trace.finish();
  };
  const std::string base = text_digest("partition site=lund", TraceEvent::kFault);
  EXPECT_EQ(text_digest("partition site=lund", TraceEvent::kFault), base);
  EXPECT_NE(text_digest("partition site=lunD", TraceEvent::kFault), base);  // same length
  EXPECT_NE(text_digest("partition site=lun", TraceEvent::kFault), base);
  EXPECT_NE(text_digest("partition site=lund", TraceEvent::kProbe), base);
  EXPECT_NE(text_digest("", TraceEvent::kFault), base);
}

TEST(Trace, LongTextIsHashedWhole) {
  // Texts longer than a buffer still count to their last byte.
  auto digest = [](const std::string& text) {
    Trace trace;
    trace.record_text(microseconds(1), TraceEvent::kFault, text);
    return trace.finish();
  };
  std::string text(40'000, 'x');
  const std::string base = digest(text);
  text.back() = 'y';
  EXPECT_NE(digest(text), base);
  std::string stream;
  stream += static_cast<char>(TraceEvent::kFault);
  put_varint(stream, 1);            // at
  put_varint(stream, 0);            // node
  put_varint(stream, text.size());  // a: the text's length
  put_varint(stream, 0);            // b
  stream += text;
  EXPECT_EQ(digest(text), sha256_hex(stream));
}

TEST(Trace, TextCannotBeConfusedWithARecord) {
  // The text's length is part of its record, so moving bytes between a text and what follows
  // cannot produce the same stream.
  Trace one;
  one.record_text(microseconds(1), TraceEvent::kProbe, "ab");
  one.record_text(microseconds(1), TraceEvent::kProbe, "c");
  Trace two;
  two.record_text(microseconds(1), TraceEvent::kProbe, "a");
  two.record_text(microseconds(1), TraceEvent::kProbe, "bc");
  EXPECT_NE(one.finish(), two.finish());
}

TEST(Trace, ManyBuffersStayDeterministic) {
  // 10,000 records of about 15 bytes (b is a large number) are 150 KB, about 9 flushes of the
  // 16 KiB buffer.
  std::vector<Entry> many;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    many.push_back({static_cast<std::int64_t>(i * 1000), TraceEvent::kSend, i % 97, i, ~i});
  }
  const std::string first = digest_of(many);
  EXPECT_EQ(digest_of(many), first);
  many.back().b ^= 1;
  EXPECT_NE(digest_of(many), first);
  many.back().b ^= 1;
  many.front().a ^= 1;
  EXPECT_NE(digest_of(many), first);
}

TEST(Trace, BufferingIsInvisible) {
  // The digest is the SHA-256 of the record stream (the event byte, then at, node, a, b as
  // LEB128; texts follow their record), however it was split into blocks. Texts of odd sizes
  // make the records straddle buffer boundaries.
  Trace trace;
  std::string stream;
  for (std::uint64_t i = 0; i < 3'000; ++i) {
    const auto at = static_cast<std::int64_t>(i * 7);
    if (i % 10 == 3) {
      const std::string text(i % 41, static_cast<char>('a' + i % 26));
      trace.record_text(microseconds(at), TraceEvent::kFault, text);
      stream += static_cast<char>(TraceEvent::kFault);
      put_varint(stream, static_cast<std::uint64_t>(at));
      put_varint(stream, 0);
      put_varint(stream, text.size());
      put_varint(stream, 0);
      stream += text;
    } else {
      trace.record(microseconds(at), TraceEvent::kDeliver, i, i * i, i + 1);
      stream += static_cast<char>(TraceEvent::kDeliver);
      put_varint(stream, static_cast<std::uint64_t>(at));
      put_varint(stream, i);
      put_varint(stream, i * i);
      put_varint(stream, i + 1);
    }
  }
  ASSERT_GT(stream.size(), 2u * 16 * 1024);
  EXPECT_EQ(trace.finish(), sha256_hex(stream));
}

}  // namespace
}  // namespace ccsim::core

namespace ccsim::core {
namespace {

// Two runs whose frames differ in one byte of content, not in size or timing, have different
// digests; the same frames give the same digest.
TEST(TraceFrames, OneByteOfOneFrameChangesTheDigest) {
  const auto digest = [](std::string_view second_frame) {
    Trace trace;
    trace.record_frame(Time(10), TraceEvent::kDeliver, 3, 1, "hello from B8A44F000001");
    trace.record_frame(Time(20), TraceEvent::kDeliver, 3, 0, second_frame);
    return trace.finish();
  };
  const std::string same = digest("heartbeat 0001");
  EXPECT_EQ(same, digest("heartbeat 0001"));
  EXPECT_NE(same, digest("heartbeat 0002"));
  EXPECT_NE(same, digest("Heartbeat 0001"));
}

// A frame longer than the trace's buffer is hashed whole, in pieces.
TEST(TraceFrames, AFrameLargerThanTheBufferIsHashedWhole) {
  std::string big(40'000, 'x');
  const auto digest = [](std::string_view frame) {
    Trace trace;
    trace.record_frame(Time(1), TraceEvent::kDeliver, 0, 0, frame);
    return trace.finish();
  };
  const std::string before = digest(big);
  big[39'999] = 'y';
  EXPECT_NE(before, digest(big));
}

}  // namespace
}  // namespace ccsim::core
