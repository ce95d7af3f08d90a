// The histogram against a sorted copy of the same values (the exact percentiles), and its bucket
// layout against the definition worked out by hand.
#include "core/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/random_stream.h"

namespace ccsim::core {
namespace {

TEST(Histogram, SmallValuesHaveABucketEach) {
  for (std::uint64_t v = 0; v < 128; ++v) {
    EXPECT_EQ(Histogram::index_of(v), v);
    EXPECT_EQ(Histogram::lower_bound_of(v), v);
  }
}

// 128..255 are one power of two split into 128 buckets of 1; 256..511 into buckets of 2; 1,000,000
// (2^19 <= v < 2^20) into buckets of 2^12 = 4096: it falls in the one starting at 999,424.
TEST(Histogram, LargerValuesShareBucketsOfBoundedWidth) {
  EXPECT_EQ(Histogram::index_of(128), 128U);
  EXPECT_EQ(Histogram::index_of(255), 255U);
  EXPECT_EQ(Histogram::index_of(256), 256U);
  EXPECT_EQ(Histogram::index_of(257), 256U);
  EXPECT_EQ(Histogram::lower_bound_of(Histogram::index_of(257)), 256U);
  EXPECT_EQ(Histogram::lower_bound_of(Histogram::index_of(1'000'000)), 999'424U);
  for (std::uint64_t v : {129ULL, 1'000ULL, 123'456'789ULL, 1ULL << 40}) {
    const std::uint64_t low = Histogram::lower_bound_of(Histogram::index_of(v));
    EXPECT_LE(low, v);
    EXPECT_LT(static_cast<double>(v - low), static_cast<double>(v) / 128.0) << v;
  }
}

TEST(Histogram, PercentilesAgreeWithTheSortedValuesWithinABucket) {
  RandomStream random(11, 3);
  Histogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 100'000; ++i) {
    // Spread over six decades, as reconnect gaps from seconds to days are.
    const std::uint64_t v = random.next_below(1000) * (1ULL << random.next_below(20));
    values.push_back(v);
    h.add(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {0.5, 0.9, 0.95, 0.99, 0.999}) {
    const std::uint64_t exact = values[static_cast<std::size_t>(p * values.size())];
    const std::uint64_t got = h.percentile(p);
    EXPECT_LE(got, exact) << p;
    EXPECT_GE(static_cast<double>(got), static_cast<double>(exact) * (1.0 - 1.0 / 128) - 1) << p;
  }
  EXPECT_EQ(h.percentile(1.0), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, MergingIsAddingTheCounts) {
  Histogram a, b, both;
  for (std::uint64_t v = 0; v < 5000; v += 7) {
    a.add(v);
    both.add(v);
  }
  for (std::uint64_t v = 3; v < 90'000; v += 13) {
    b.add(v);
    both.add(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.max(), both.max());
  for (double p : {0.1, 0.5, 0.99}) EXPECT_EQ(a.percentile(p), both.percentile(p));
}

TEST(Histogram, SinceAnEarlierCopyHoldsOnlyWhatCameAfter) {
  Histogram h;
  for (std::uint64_t v = 0; v < 1000; ++v) h.add(v);
  const Histogram earlier = h;
  Histogram later_alone;
  for (std::uint64_t v : {40U, 50U, 60U, 5000U}) {
    h.add(v);
    later_alone.add(v);
  }
  const Histogram added = h.since(earlier);
  EXPECT_EQ(added.count(), 4U);
  EXPECT_EQ(added.percentile(0.5), 60U);  // rank 0.5 x 4 + 1 = 3: the third of 40, 50, 60, 5000
  EXPECT_EQ(added.percentile(0.5), later_alone.percentile(0.5));
  // 5000 lies in [4992, 5024): 4096's power of two split in 128 buckets of 32.
  EXPECT_EQ(added.percentile(0.99), 4992U);
  EXPECT_EQ(added.max(), 4992U);  // the exact maximum of the later values is not kept
  EXPECT_EQ(h.since(h).count(), 0U);
  EXPECT_EQ(h.since(h).percentile(0.99), 0U);
}

TEST(Histogram, AnEmptyOneSaysZero) {
  const Histogram h;
  EXPECT_EQ(h.percentile(0.5), 0U);
  EXPECT_EQ(h.count(), 0U);
}

}  // namespace
}  // namespace ccsim::core
