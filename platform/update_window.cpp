#include "platform/update_window.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <exception>
#include <fstream>
#include <utility>

namespace ccsim::platform {
namespace {

using std::chrono::minutes;

constexpr std::array<std::string_view, kWeekdays> kWeekdayNames = {"mon", "tue", "wed", "thu",
                                                                   "fri", "sat", "sun"};

// Start days looked at around a query's local day. Behind: a window opened up to two days
// earlier can still be open (a 1430-minute window from 23:59 across a spring-forward), plus one
// for an opening merged into it. Ahead: a full week after the day, plus a margin for an opening
// merged across a change. Changes are months apart, so no chain of openings is longer.
constexpr int kStartDaysBehind = 3;
constexpr int kStartDaysAhead = 9;

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

ServiceError invalid(std::string_view field, std::string_view got, std::string_view expected) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": got " + std::string(got) +
                                                "; expected " + std::string(expected));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Two ASCII digits at `text[at]`, as a number.
int two_digits(std::string_view text, std::size_t at) {
  return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

std::string hh_mm(minutes start) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%02d:%02d", static_cast<int>(start.count() / 60),
                static_cast<int>(start.count() % 60));
  return text.data();
}

std::string duration_text(minutes duration) {
  const auto hours = duration.count() / 60;
  const auto rest = duration.count() % 60;
  std::string text;
  if (hours > 0) text += std::to_string(hours) + "h";
  if (rest > 0 || hours == 0) text += std::to_string(rest) + "m";
  return text;
}

// The zone named `name`, or why not. date/tz throws for an unknown name; that stays in here.
Result<const date::time_zone*> find_time_zone(std::string_view name) {
  constexpr std::string_view kField = "update window time zone";
  constexpr std::string_view kExpected = "an IANA time zone name such as Europe/Stockholm";
  if (name.size() > kTimeZoneNameBytesMax) {
    return invalid(kField, std::to_string(name.size()) + " bytes",
                   "at most " + std::to_string(kTimeZoneNameBytesMax) + " bytes");
  }
  // Debian links zoneinfo/localtime to /etc/localtime: the machine's own zone, never a site's.
  if (name.empty() || name == "localtime") return invalid(kField, quote(name), kExpected);
  try {
    date::get_tzdb();
  } catch (const std::exception& e) {
    return error(ErrorCode::kFailedPrecondition,
                 "the tz database in " + std::string(kTzDatabaseDirectory) +
                     " cannot be read (tools/setup installs tzdata): " + e.what());
  }
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return invalid(
        kField,
        quote(name) + ", which is not in the tz database (version " + tz_database_version() + ")",
        std::string(kExpected) + " (names are case-sensitive)");
  }
}

Weekday weekday_of(date::local_days day) {
  const unsigned iso = date::weekday{day}.iso_encoding();  // Monday 1 .. Sunday 7
  return static_cast<Weekday>(iso - 1);
}

// The first instant at which the zone's wall clock reads `local` or later, on that date: the
// one instant of an ordinary time, the first of a repeated one, the jump over a skipped one.
date::sys_seconds first_instant_reading(const date::time_zone& zone, date::local_seconds local) {
  const date::local_info info = zone.get_info(local);
  const date::sys_seconds as_if_utc{local.time_since_epoch()};
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // `first` is the earlier offset
      return as_if_utc - info.first.offset;
    case date::local_info::nonexistent:  // the clock jumps at the end of `first`
      assert(info.first.end == info.second.begin);
      return info.first.end;
  }
  assert(false);
  return as_if_utc;
}

std::string read_tzdata_zi_version() {
  std::ifstream in(std::string(kTzDatabaseDirectory) + "/tzdata.zi");
  std::string line;
  constexpr std::string_view kPrefix = "# version ";
  if (!std::getline(in, line) || !line.starts_with(kPrefix)) return "unknown";
  std::string version = line.substr(kPrefix.size());
  while (!version.empty() && (version.back() == '\r' || version.back() == ' ')) {
    version.pop_back();
  }
  return version.empty() ? "unknown" : version;
}

}  // namespace

std::string_view weekday_name(Weekday day) {
  const auto index = static_cast<std::size_t>(day);
  assert(index < kWeekdays);
  return kWeekdayNames[index];
}

// ---------------------------------------------------------------------------------------------
// Validation and parsing

Result<Done> validate_update_window_schedule(const UpdateWindowSchedule& schedule) {
  if (schedule.days.none()) {
    return invalid("update window days", "none",
                   "at least one of mon, tue, wed, thu, fri, sat, sun");
  }
  if (schedule.start < minutes{0} || schedule.start > kUpdateWindowStartMax) {
    return invalid("update window start", std::to_string(schedule.start.count()) + " minutes",
                   "00:00 to 23:59, 0 to " + std::to_string(kUpdateWindowStartMax.count()) +
                       " minutes after midnight");
  }
  if (schedule.duration < kUpdateWindowDurationMin ||
      schedule.duration > kUpdateWindowDurationMax) {
    return invalid("update window duration", std::to_string(schedule.duration.count()) + " minutes",
                   "1 to 1430 minutes (23h50m)");
  }
  const Result<const date::time_zone*> zone = find_time_zone(schedule.time_zone);
  if (!zone.ok()) return zone.error();
  return Done{};
}

Result<Done> validate_run_epoch(RunEpoch epoch) {
  if (epoch.utc < kRunEpochEarliest || epoch.utc > kRunEpochLatest) {
    return invalid("run epoch", run_epoch_text(epoch),
                   "an instant from " + run_epoch_text(RunEpoch{kRunEpochEarliest}) + " to " +
                       run_epoch_text(RunEpoch{kRunEpochLatest}));
  }
  return Done{};
}

Result<WeekdaySet> parse_update_window_days(const std::vector<std::string>& names) {
  constexpr std::string_view kField = "update window days";
  constexpr std::string_view kDayNames = "mon, tue, wed, thu, fri, sat, sun";
  const std::string expected = "day names among " + std::string(kDayNames);
  if (names.empty())
    return invalid(kField, "an empty list", "at least one of " + std::string(kDayNames));
  if (names.size() > kUpdateWindowDayNamesMax) {
    return invalid(kField, std::to_string(names.size()) + " names", "at most 7, each day once");
  }
  WeekdaySet days;
  for (const std::string& name : names) {
    const auto found = std::find(kWeekdayNames.begin(), kWeekdayNames.end(), name);
    if (found == kWeekdayNames.end()) return invalid(kField, quote(name), expected);
    const auto index = static_cast<std::size_t>(found - kWeekdayNames.begin());
    if (days.test(index)) return invalid(kField, quote(name) + " twice", "each day once");
    days.set(index);
  }
  return days;
}

Result<minutes> parse_update_window_start(std::string_view text) {
  const bool shaped = text.size() == 5 && is_digit(text[0]) && is_digit(text[1]) &&
                      text[2] == ':' && is_digit(text[3]) && is_digit(text[4]);
  if (!shaped || two_digits(text, 0) > 23 || two_digits(text, 3) > 59) {
    return invalid("update window start", quote(text), "HH:MM from 00:00 to 23:59, such as 02:00");
  }
  return minutes{two_digits(text, 0) * 60 + two_digits(text, 3)};
}

Result<minutes> parse_update_window_duration(std::string_view text) {
  constexpr std::string_view kField = "update window duration";
  constexpr std::string_view kExpected =
      "hours and minutes, largest first, such as 90m, 3h or 1h30m, from 1m to 1430m (23h50m)";
  constexpr std::size_t kDigitsMax = 5;  // keeps the sum far from overflow
  std::string_view rest = text;
  bool hours_allowed = true;
  bool minutes_allowed = true;
  std::int64_t total_minutes = 0;
  if (rest.empty()) return invalid(kField, quote(text), kExpected);
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits])) ++digits;
    if (digits == 0 || digits > kDigitsMax || digits == rest.size()) {
      return invalid(kField, quote(text), kExpected);
    }
    std::int64_t number = 0;
    for (std::size_t i = 0; i < digits; ++i) number = number * 10 + (rest[i] - '0');
    const char unit = rest[digits];
    if (unit == 'h' && hours_allowed) {
      total_minutes += number * 60;
      hours_allowed = false;
    } else if (unit == 'm' && minutes_allowed) {
      total_minutes += number;
      hours_allowed = false;
      minutes_allowed = false;
    } else {
      return invalid(kField, quote(text), kExpected);
    }
    rest.remove_prefix(digits + 1);
  }
  if (total_minutes < kUpdateWindowDurationMin.count() ||
      total_minutes > kUpdateWindowDurationMax.count()) {
    return invalid(kField, quote(text) + ", " + std::to_string(total_minutes) + " minutes",
                   "from 1m to 1430m (23h50m), the bounds of AWS IoT Jobs' maintenance windows");
  }
  return minutes{total_minutes};
}

Result<UpdateWindowSchedule> parse_update_window_schedule(const std::vector<std::string>& days,
                                                          std::string_view start,
                                                          std::string_view duration,
                                                          std::string_view time_zone) {
  UpdateWindowSchedule schedule;
  Result<WeekdaySet> parsed_days = parse_update_window_days(days);
  if (!parsed_days.ok()) return parsed_days.error();
  Result<minutes> parsed_start = parse_update_window_start(start);
  if (!parsed_start.ok()) return parsed_start.error();
  Result<minutes> parsed_duration = parse_update_window_duration(duration);
  if (!parsed_duration.ok()) return parsed_duration.error();
  schedule.days = parsed_days.value();
  schedule.start = parsed_start.value();
  schedule.duration = parsed_duration.value();
  schedule.time_zone = std::string(time_zone);
  const Result<Done> valid = validate_update_window_schedule(schedule);
  if (!valid.ok()) return valid.error();
  return schedule;
}

Result<RunEpoch> parse_run_epoch(std::string_view text) {
  constexpr std::string_view kShape = "YYYY-MM-DDTHH:MM:SSZ";
  bool shaped = text.size() == kShape.size();
  for (std::size_t i = 0; shaped && i < kShape.size(); ++i) {
    const char want = kShape[i];
    const bool digit_wanted =
        want == 'Y' || want == 'M' || want == 'D' || want == 'H' || want == 'S';
    shaped = digit_wanted ? is_digit(text[i]) : text[i] == want;
  }
  const std::string expected =
      "an instant in UTC written " + std::string(kShape) + ", such as 2026-03-28T00:00:00Z";
  if (!shaped) return invalid("run epoch", quote(text), expected);
  const int year = two_digits(text, 0) * 100 + two_digits(text, 2);
  const date::year_month_day day{date::year{year},
                                 date::month{static_cast<unsigned>(two_digits(text, 5))},
                                 date::day{static_cast<unsigned>(two_digits(text, 8))}};
  const int hour = two_digits(text, 11);
  const int minute = two_digits(text, 14);
  const int second = two_digits(text, 17);
  if (!day.ok() || hour > 23 || minute > 59 || second > 59) {
    return invalid("run epoch", quote(text) + ", which is no such instant", expected);
  }
  const RunEpoch epoch{std::chrono::sys_seconds{date::sys_days{day}.time_since_epoch() +
                                                std::chrono::hours{hour} + minutes{minute} +
                                                std::chrono::seconds{second}}};
  const Result<Done> valid = validate_run_epoch(epoch);
  if (!valid.ok()) return valid.error();
  return epoch;
}

std::string update_window_text(const UpdateWindowSchedule& schedule) {
  std::string days;
  for (std::size_t i = 0; i < kWeekdays; ++i) {
    if (!schedule.days.test(i)) continue;
    if (!days.empty()) days += ",";
    days += kWeekdayNames[i];
  }
  return days + " " + hh_mm(schedule.start) + " for " + duration_text(schedule.duration) + " " +
         schedule.time_zone;
}

std::string run_epoch_text(RunEpoch epoch) {
  const auto day = date::floor<date::days>(epoch.utc);
  const date::year_month_day ymd{day};
  const auto seconds = (epoch.utc - day).count();
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60));
  return text.data();
}

std::string tz_database_version() {
  static const std::string version = [] {
    try {
      const std::string& own = date::get_tzdb().version;  // date/tz reads +VERSION, if any
      if (!own.empty() && own != "unknown") return own;
    } catch (const std::exception&) {
      return std::string("unknown");
    }
    return read_tzdata_zi_version();  // Debian writes "# version 2025b" at its top
  }();
  return version;
}

// ---------------------------------------------------------------------------------------------
// Queries

Result<UpdateWindow> UpdateWindow::create(UpdateWindowSchedule schedule, RunEpoch epoch) {
  const Result<Done> valid_epoch = validate_run_epoch(epoch);
  if (!valid_epoch.ok()) return valid_epoch.error();
  const Result<Done> valid = validate_update_window_schedule(schedule);
  if (!valid.ok()) return valid.error();
  const Result<const date::time_zone*> zone = find_time_zone(schedule.time_zone);
  assert(zone.ok());
  return UpdateWindow(std::move(schedule), epoch, zone.value());
}

UpdateWindow::UpdateWindow(UpdateWindowSchedule schedule, RunEpoch epoch,
                           const date::time_zone* zone)
    : schedule_(std::move(schedule)), epoch_(epoch), zone_(zone) {
  assert(zone_ != nullptr);
}

std::vector<UpdateWindowOpening> UpdateWindow::openings_around(core::Time at) const {
  assert(at >= core::Time::zero() && at <= kRunLengthMax);
  const auto to_run_time = [this](date::sys_seconds instant) {
    return std::chrono::duration_cast<core::Time>(instant - epoch_.utc);
  };
  const date::sys_seconds instant =
      epoch_.utc + std::chrono::duration_cast<std::chrono::seconds>(at);  // floors: at >= 0
  const date::local_days today = date::floor<date::days>(zone_->to_local(instant));

  std::vector<UpdateWindowOpening> openings;
  for (int offset = -kStartDaysBehind; offset <= kStartDaysAhead; ++offset) {
    const date::local_days day = today + date::days{offset};
    if (!schedule_.days.test(static_cast<std::size_t>(weekday_of(day)))) continue;
    const date::sys_seconds opens = first_instant_reading(*zone_, day + schedule_.start);
    const UpdateWindowOpening next{to_run_time(opens), to_run_time(opens + schedule_.duration)};
    // Start days ascend and so do their openings: only the last one can touch the next.
    if (!openings.empty() && next.opens <= openings.back().closes) {
      assert(next.opens >= openings.back().opens);
      openings.back().closes = std::max(openings.back().closes, next.closes);
    } else {
      openings.push_back(next);
    }
  }
  return openings;
}

std::optional<UpdateWindowOpening> UpdateWindow::opening_at(core::Time at) const {
  for (const UpdateWindowOpening& opening : openings_around(at)) {
    if (opening.opens <= at && at < opening.closes) return opening;
  }
  return std::nullopt;
}

UpdateWindowOpening UpdateWindow::next_opening(core::Time at) const {
  for (const UpdateWindowOpening& opening : openings_around(at)) {
    if (opening.opens >= at) return opening;
  }
  assert(false && "a non-empty weekly schedule opens within kStartDaysAhead days");
  return {};
}

bool UpdateWindow::can_finish(core::Time at, core::Duration work) const {
  assert(work >= core::Duration::zero());
  const std::optional<UpdateWindowOpening> opening = opening_at(at);
  return opening.has_value() && at + work <= opening->closes;
}

}  // namespace ccsim::platform
