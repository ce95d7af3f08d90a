// Seeded randomness for the core. One run seed is split into independent streams, one per
// subsystem or device, so adding a draw in one place never shifts the draws of another.
// The generator is SplitMix64 (Steele, Lea, Flood 2014): 8 bytes of state, which matters at
// 100,000 devices, where std::mt19937_64 would cost 2.5 KB each. Distributions are computed here
// rather than with <random>'s, whose results differ between standard libraries.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ccsim::core {

class RandomStream {
 public:
  // Stream `stream_id` of run `seed`; distinct ids give unrelated sequences.
  RandomStream(std::uint64_t seed, std::uint64_t stream_id)
      : state_(mix(seed ^ mix(stream_id + 0x632be59bd9b4e019ULL))) {}

  std::uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix(state_);
  }

  // Uniform in [0, 1), from the top 53 bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform in [0, bound), bound > 0; the modulo bias is below 2^-40 for bounds under 2^24.
  std::uint64_t next_below(std::uint64_t bound) {
    assert(bound > 0);
    return next_u64() % bound;
  }

  // An independent stream derived from this one's current state, which stays as it was: a
  // device's sub-system draws from it without shifting the device's own draws.
  RandomStream fork(std::uint64_t salt) const {
    RandomStream forked(0, 0);
    forked.state_ = mix(state_ ^ mix(salt + 0x2545f4914f6cdd1dULL));
    return forked;
  }

  // True with probability p, 0 <= p <= 1.
  bool chance(double p) {
    assert(p >= 0.0 && p <= 1.0);
    return next_unit() < p;
  }

 private:
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
};

// `count` bytes drawn from `random`, each draw's 8 bytes little-endian (keys, codes, tokens).
inline std::string random_bytes(RandomStream& random, std::size_t count) {
  constexpr std::size_t kBitsPerByte = 8;
  std::string bytes;
  bytes.reserve(count);
  while (bytes.size() < count) {
    const std::uint64_t draw = random.next_u64();
    for (std::size_t b = 0; b < sizeof(draw) && bytes.size() < count; ++b) {
      bytes += static_cast<char>((draw >> (b * kBitsPerByte)) & 0xffU);
    }
  }
  return bytes;
}

// Well-known stream ids, so subsystems never share a stream by accident. Device streams are
// kDeviceStreamBase + device index.
enum StreamId : std::uint64_t {
  kNetworkLossStream = 1,
  kPlatformStream = 2,
  kDeviceRegistryStream = 3,    // OAK salts
  kAppAuthorizationStream = 4,  // signing key, codes, token ids
  kFactoryStream = 5,           // the OAKs a simulated factory prints on its devices
  kFirmwareSigningStream = 6,   // the vendor's image signing key
  kNetworkJitterStream = 7,     // the extra delay each message meets while a jitter fault holds
  kTimelineStream = 8,  // what the timeline draws: when each device boots after a power loss
  kSwarmStream = 9,     // a swarm run's faults: which, when, where, how long
  kDeviceStreamBase = 1'000'000,
};

// Salts of the streams a device forks from its own.
inline constexpr std::uint64_t kDeviceHostSubstream = 1;  // tasks, release checks, telemetry

}  // namespace ccsim::core
