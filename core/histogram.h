// A histogram of durations (or any non-negative counts) with bounded relative error, mergeable
// by adding counts, after HdrHistogram's layout: values below 128 each have a bucket; above, each
// power of two is split into 128 buckets, so a bucket is at most 1/128 (0.8%) of its values wide.
// Percentiles come back as their bucket's lower bound; the maximum is kept exactly.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <vector>

namespace ccsim::core {

class Histogram {
 public:
  void add(std::uint64_t value, std::uint64_t count = 1) {
    const std::size_t i = index_of(value);
    if (i >= counts_.size()) counts_.resize(i + 1, 0);
    counts_[i] += count;
    total_ += count;
    max_ = std::max(max_, value);
  }

  void merge(const Histogram& other) {
    if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
    for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }

  // The values added since `earlier`, a copy of this histogram taken before (every count of it at
  // most this one's). Its maximum is its highest bucket's lower bound, the exact one being lost.
  Histogram since(const Histogram& earlier) const {
    assert(earlier.total_ <= total_ && earlier.counts_.size() <= counts_.size());
    Histogram added;
    added.counts_ = counts_;
    for (std::size_t i = 0; i < earlier.counts_.size(); ++i) {
      assert(earlier.counts_[i] <= counts_[i] && "not an earlier copy of this histogram");
      added.counts_[i] -= earlier.counts_[i];
    }
    added.total_ = total_ - earlier.total_;
    for (std::size_t i = added.counts_.size(); i-- > 0;) {
      if (added.counts_[i] != 0) {
        added.max_ = std::min(lower_bound_of(i), max_);
        break;
      }
    }
    return added;
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }

  // The smallest value v such that at least `fraction` of the values are <= v's bucket, as its
  // bucket's lower bound (the maximum for fraction 1); 0 when empty.
  std::uint64_t percentile(double fraction) const {
    assert(fraction >= 0.0 && fraction <= 1.0);
    if (total_ == 0) return 0;
    if (fraction >= 1.0) return max_;
    const auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(total_)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(lower_bound_of(i), max_);
    }
    return max_;
  }

  static std::size_t index_of(std::uint64_t value) {
    if (value < kSubBuckets) return static_cast<std::size_t>(value);
    const int exponent = 63 - std::countl_zero(value);  // >= kSubBits
    const std::uint64_t sub = (value >> (exponent - kSubBits)) & (kSubBuckets - 1);
    return static_cast<std::size_t>((exponent - kSubBits + 1) * kSubBuckets + sub);
  }
  static std::uint64_t lower_bound_of(std::size_t index) {
    if (index < kSubBuckets) return index;
    const std::size_t block = index / kSubBuckets;  // >= 1
    const std::uint64_t sub = index % kSubBuckets;
    const int exponent = static_cast<int>(block) + kSubBits - 1;
    return (std::uint64_t{1} << exponent) | (sub << (exponent - kSubBits));
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBits;

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace ccsim::core
