// The trace: an ordered log of everything that happened in a run, reduced to a SHA-256 digest.
// Two runs with the same seed and build produce the same digest; the tests hold us to it.
// Events are appended as compact binary records (an event byte, then LEB128 varints) into a
// buffer that is hashed a block at a time, so tracing every message of a 100,000-camera run, and
// what each delivered frame carries, stays cheap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/node.h"

struct evp_md_ctx_st;

namespace ccsim::core {

enum class TraceEvent : std::uint8_t {
  kSend = 1,
  kDeliver = 2,
  kDrop = 3,
  kWakeup = 4,
  kStatusChange = 5,
  kFrameError = 6,
  kFault = 7,
  kProbe = 8,
  kOnboarding = 9,     // a device's onboarding status or mode changed
  kAction = 10,        // a timeline action ran
  kAuditHead = 11,     // an audit trail's head at the end of the run
  kTransferDone = 12,  // a bulk transfer's last byte arrived
};

class Trace {
 public:
  Trace();
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // One event: when, what, which node, and two event-specific values (a body kind, a size...).
  void record(Time at, TraceEvent event, std::uint64_t node, std::uint64_t a = 0,
              std::uint64_t b = 0);
  // A frame as it was delivered: a record of its size, then every byte it carries, so that two
  // runs whose frames differ in content, not only in size, differ in their digests.
  void record_frame(Time at, TraceEvent event, std::uint64_t node, std::uint64_t a,
                    std::string_view frame);
  // Free-form text for rare events (faults, probes, the audit trails' heads at the end); hashed
  // whole, after a record of its length.
  void record_text(Time at, TraceEvent event, std::string_view text);

  std::uint64_t events() const { return events_; }
  // Hex SHA-256 of everything recorded. Ends the trace: record() after this is an error.
  std::string finish();

 private:
  void put(const void* data, std::size_t size);
  void put_all(std::string_view bytes);  // in pieces of at most a buffer
  void flush();

  static constexpr std::size_t kBufferBytes = 16 * 1024;
  evp_md_ctx_st* digest_;
  std::array<unsigned char, kBufferBytes> buffer_{};
  std::size_t used_ = 0;
  std::uint64_t events_ = 0;
  bool finished_ = false;
};

}  // namespace ccsim::core
