// Update windows: the weekly times at which a managed device may install an update, in the local
// wall time of its site's IANA time zone. The shape is hawkBit's (schedule + duration + time
// zone) with AWS IoT Jobs' bounds (1 to 1430 minutes); unlike hawkBit's fixed UTC offset, real
// zone rules are applied, so daylight-saving changes come out right.
//
// Sans-IO: simulated Time counts from the start of a run, and a RunEpoch says which UTC instant
// that start is. No wall clock and no process time zone (TZ, /etc/localtime) is ever read.
//
// Zone rules come from the machine's IANA tz database (Debian's tzdata, /usr/share/zoneinfo)
// through Howard Hinnant's date/tz, the library C++20's std::chrono::tzdb was standardised from
// (libstdc++ 12 has no tzdb). Answers depend on that data, so tz_database_version() names it for
// reports to record beside the seed. (ICU was not used: Debian 12's ICU carries its own tz data,
// 2022e, which still has daylight saving in Mexico and misses Egypt's, Kazakhstan's and
// Paraguay's later changes.)
//
// Wall-time rules, all from one definition: a window opens at the first instant at which the
// zone's wall clock, on the window's start day, reads the start time or later; it then stays
// open for its duration of elapsed time.
// - A start the clock skips (spring forward: Europe/Stockholm 02:30 on 29 March 2026, when 02:00
//   CET jumps to 03:00 CEST) opens at the jump: 03:00 CEST, 01:00Z.
// - A start the clock shows twice (fall back: Europe/Stockholm 02:30 on 25 October 2026, when
//   03:00 CEST returns to 02:00 CET) opens at the first showing: 02:30 CEST, 00:30Z. It does not
//   open again at the second.
// - Duration is elapsed time: "3h" is open for 3 hours, so across a change the wall clock at
//   closing reads an hour more (spring) or less (autumn) than on other weeks.
// - A window belongs to its start day: "sat 23:00 for 3h" is open until 02:00 on Sunday, whether
//   or not Sunday is among the days.
// - Openings that touch or overlap count as one opening. Only a change can cause that: a daily
//   window of 1430 minutes is longer than the 23-hour day of a spring-forward.
#pragma once

#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "platform/service_result.h"

namespace date {
class time_zone;  // Howard Hinnant's date/tz; one entry of the process's tz database
}

namespace ccsim::platform {

// Days of the week in ISO 8601 order; the value indexes a WeekdaySet.
enum class Weekday : std::uint8_t {
  kMonday,
  kTuesday,
  kWednesday,
  kThursday,
  kFriday,
  kSaturday,
  kSunday,
};
inline constexpr std::size_t kWeekdays = 7;
using WeekdaySet = std::bitset<kWeekdays>;

// "mon", "tue", ... "sun": the names scenario files use.
std::string_view weekday_name(Weekday day);

inline constexpr std::chrono::minutes kUpdateWindowDurationMin{1};
inline constexpr std::chrono::minutes kUpdateWindowDurationMax{1430};  // AWS IoT Jobs' maximum
inline constexpr std::chrono::minutes kUpdateWindowStartMax{23 * 60 + 59};
// Longer inputs are refused before anything looks them up. The longest IANA name has 32.
inline constexpr std::size_t kTimeZoneNameBytesMax = 64;
inline constexpr std::size_t kUpdateWindowDayNamesMax = 7;
// Where Debian keeps the tz database that date/tz reads.
inline constexpr std::string_view kTzDatabaseDirectory = "/usr/share/zoneinfo";

// A weekly window as an organization sets it in a device profile.
struct UpdateWindowSchedule {
  WeekdaySet days;                   // start days
  std::chrono::minutes start{0};     // local wall time after midnight, 00:00 to 23:59
  std::chrono::minutes duration{0};  // elapsed time open
  std::string time_zone;             // IANA name, e.g. "Europe/Stockholm"
};

// The UTC instant at which a run's Time 0 falls.
struct RunEpoch {
  std::chrono::sys_seconds utc;
};

// Accepted run epochs, and the longest run a window answers for. The end keeps a run before
// 2037: Debian's tz files list transitions up to 2037 only, and date/tz 3.0 does not extend them
// by the rule at each file's end, so later instants would lose daylight saving.
inline constexpr std::chrono::sys_seconds kRunEpochEarliest{
    std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}};
inline constexpr std::chrono::sys_seconds kRunEpochLatest{
    std::chrono::sys_days{std::chrono::year{2036} / 1 / 1}};
inline constexpr core::Duration kRunLengthMax = std::chrono::hours{366 * 24};

// An opening, [opens, closes) in run Time. `opens` is negative for a window that opened before
// the run started.
struct UpdateWindowOpening {
  core::Time opens;
  core::Time closes;
  bool operator==(const UpdateWindowOpening&) const = default;
};

// A validated schedule bound to a run's epoch and its zone's rules. Every query takes run Time
// from 0 to kRunLengthMax (asserted).
class UpdateWindow {
 public:
  // kInvalidArgument naming the field for a bad schedule or epoch; kFailedPrecondition when the
  // machine's tz database cannot be read.
  static Result<UpdateWindow> create(UpdateWindowSchedule schedule, RunEpoch epoch);

  bool is_open(core::Time at) const { return opening_at(at).has_value(); }
  // The opening that `at` falls in, if any.
  std::optional<UpdateWindowOpening> opening_at(core::Time at) const;
  // The first opening that starts at or after `at` (so, while open, the one after this).
  UpdateWindowOpening next_opening(core::Time at) const;
  // True when an update of length `work` started at `at` would run inside one opening: the
  // window is open at `at` and closes no earlier than `at + work`. An update that cannot finish
  // inside the window does not start.
  bool can_finish(core::Time at, core::Duration work) const;

  const UpdateWindowSchedule& schedule() const { return schedule_; }
  RunEpoch epoch() const { return epoch_; }

 private:
  UpdateWindow(UpdateWindowSchedule schedule, RunEpoch epoch, const date::time_zone* zone);
  // Merged openings of the start days around `at`, in order.
  std::vector<UpdateWindowOpening> openings_around(core::Time at) const;

  UpdateWindowSchedule schedule_;
  RunEpoch epoch_;
  const date::time_zone* zone_;  // in the tz database, which lives as long as the process
};

// Ok when every field is within bounds and the zone is in the tz database.
Result<Done> validate_update_window_schedule(const UpdateWindowSchedule& schedule);
// Ok when kRunEpochEarliest <= utc <= kRunEpochLatest.
Result<Done> validate_run_epoch(RunEpoch epoch);

// Parsers for scenario files and the API. Errors are kInvalidArgument, and the message names the
// part ("update window start"), quotes what was given and says what was expected.
// Days: names "mon" .. "sun", at least one, none twice.
Result<WeekdaySet> parse_update_window_days(const std::vector<std::string>& names);
// Start: "HH:MM", two digits each, 00:00 to 23:59.
Result<std::chrono::minutes> parse_update_window_start(std::string_view text);
// Duration: hours and minutes, largest first ("90m", "3h", "1h30m"), 1m to 1430m.
Result<std::chrono::minutes> parse_update_window_duration(std::string_view text);
// All four parts, checked in that order, then the zone looked up.
Result<UpdateWindowSchedule> parse_update_window_schedule(const std::vector<std::string>& days,
                                                          std::string_view start,
                                                          std::string_view duration,
                                                          std::string_view time_zone);
// "YYYY-MM-DDTHH:MM:SSZ", within kRunEpochEarliest .. kRunEpochLatest.
Result<RunEpoch> parse_run_epoch(std::string_view text);

// "sat,sun 02:00 for 3h Europe/Stockholm": for logs and check details.
std::string update_window_text(const UpdateWindowSchedule& schedule);
// "2026-03-28T00:00:00Z".
std::string run_epoch_text(RunEpoch epoch);

// The tz database's release ("2025b"), read once; "unknown" when it does not say.
std::string tz_database_version();

}  // namespace ccsim::platform
