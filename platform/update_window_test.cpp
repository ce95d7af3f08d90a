// Update windows: weekly schedules in IANA zones, checked against UTC instants computed by hand
// from the 2026 daylight-saving dates (Europe: 29 March and 25 October at 01:00Z; United
// States: 8 March at 07:00Z and 1 November at 06:00Z in New York), the bounds of every input,
// and independence from the process's own time zone.
#include "platform/update_window.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccsim::platform {
namespace {

using core::Duration;
using core::Time;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr microseconds kOneMicrosecond{1};

RunEpoch epoch_at(std::string_view text) {
  Result<RunEpoch> epoch = parse_run_epoch(text);
  EXPECT_TRUE(epoch.ok()) << text << ": " << epoch.error().message;
  return epoch.value();
}

// Run Time of the UTC instant `text`, in a run that started at `epoch`.
Time utc(RunEpoch epoch, std::string_view text) {
  return epoch_at(text).utc - epoch.utc;
}

UpdateWindow window(const std::vector<std::string>& days, std::string_view start,
                    std::string_view duration, std::string_view zone, RunEpoch epoch) {
  Result<UpdateWindowSchedule> schedule = parse_update_window_schedule(days, start, duration, zone);
  EXPECT_TRUE(schedule.ok()) << schedule.error().message;
  Result<UpdateWindow> made = UpdateWindow::create(std::move(schedule).value(), epoch);
  EXPECT_TRUE(made.ok()) << made.error().message;
  return std::move(made).value();
}

const std::vector<std::string> kWeekend = {"sat", "sun"};
const std::vector<std::string> kEveryDay = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The error's code is kInvalidArgument and its message holds each of `parts`.
void expect_invalid(const ServiceError& error, const std::vector<std::string_view>& parts) {
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << error.message;
  for (std::string_view part : parts) {
    EXPECT_TRUE(contains(error.message, part)) << "'" << part << "' not in: " << error.message;
  }
}

// ---------------------------------------------------------------------------------------------
// Zones

TEST(UpdateWindowTest, WeekendWindowGivesDifferentAnswersInTwoZonesAtTheSameInstant) {
  // Saturday 28 March 2026: Stockholm is on CET (+1), New York already on EDT (-4).
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const UpdateWindow stockholm = window(kWeekend, "02:00", "3h", "Europe/Stockholm", epoch);
  const UpdateWindow new_york = window(kWeekend, "02:00", "3h", "America/New_York", epoch);

  // 02:00Z: 03:00 Saturday in Stockholm, 22:00 Friday in New York.
  EXPECT_TRUE(stockholm.is_open(utc(epoch, "2026-03-28T02:00:00Z")));
  EXPECT_FALSE(new_york.is_open(utc(epoch, "2026-03-28T02:00:00Z")));
  // 07:00Z: 08:00 in Stockholm, 03:00 in New York.
  EXPECT_FALSE(stockholm.is_open(utc(epoch, "2026-03-28T07:00:00Z")));
  EXPECT_TRUE(new_york.is_open(utc(epoch, "2026-03-28T07:00:00Z")));

  EXPECT_EQ(stockholm.opening_at(utc(epoch, "2026-03-28T02:00:00Z")),
            (UpdateWindowOpening{utc(epoch, "2026-03-28T01:00:00Z"),
                                 utc(epoch, "2026-03-28T04:00:00Z")}));
  EXPECT_EQ(new_york.next_opening(utc(epoch, "2026-03-28T02:00:00Z")),
            (UpdateWindowOpening{utc(epoch, "2026-03-28T06:00:00Z"),
                                 utc(epoch, "2026-03-28T09:00:00Z")}));
}

TEST(UpdateWindowTest, LinkNamesAndZonesWithoutDaylightSavingWork) {
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  // US/Eastern is a tz database link to America/New_York.
  const UpdateWindow eastern = window(kWeekend, "02:00", "3h", "US/Eastern", epoch);
  EXPECT_EQ(eastern.next_opening(Time::zero()).opens, utc(epoch, "2026-03-28T06:00:00Z"));
  const UpdateWindow tokyo = window({"sun"}, "02:00", "1h", "Asia/Tokyo", epoch);
  EXPECT_EQ(tokyo.next_opening(Time::zero()).opens, utc(epoch, "2026-03-28T17:00:00Z"));
  const UpdateWindow utc_zone = window({"sat"}, "00:00", "1m", "UTC", epoch);
  EXPECT_EQ(utc_zone.opening_at(Time::zero()), (UpdateWindowOpening{Time::zero(), minutes{1}}));
}

TEST(UpdateWindowTest, ZoneRulesComeFromTheMachinesCurrentTzDatabase) {
  // Mexico ended daylight saving in October 2022 (tz 2022f): on Sunday 5 July 2026, 02:00 in
  // Mexico City is 08:00Z (CST, -6), not 07:00Z as older data (ICU 72's 2022e) would say.
  const RunEpoch epoch = epoch_at("2026-07-01T00:00:00Z");
  const UpdateWindow mexico = window({"sun"}, "02:00", "1h", "America/Mexico_City", epoch);
  EXPECT_EQ(mexico.next_opening(Time::zero()).opens, utc(epoch, "2026-07-05T08:00:00Z"));

  const std::string version = tz_database_version();
  ASSERT_EQ(version.size(), 5u) << version;
  EXPECT_GE(version, "2022f");
  EXPECT_LE(version.substr(0, 4), "9999");
  EXPECT_TRUE(version[4] >= 'a' && version[4] <= 'z') << version;
}

TEST(UpdateWindowTest, AnswersDoNotDependOnTheProcessTimeZone) {
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const auto answers = [&] {
    const UpdateWindow stockholm = window(kWeekend, "02:00", "3h", "Europe/Stockholm", epoch);
    return stockholm.next_opening(hours{3});
  };
  const UpdateWindowOpening before = answers();
  const char* saved = std::getenv("TZ");
  const std::optional<std::string> saved_tz =
      saved ? std::optional<std::string>(saved) : std::nullopt;
  ::setenv("TZ", "Pacific/Kiritimati", 1);  // +14, as far from Stockholm as a zone gets
  ::tzset();
  const UpdateWindowOpening during = answers();
  if (saved_tz) {
    ::setenv("TZ", saved_tz->c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  EXPECT_EQ(before, during);
  EXPECT_EQ(before.opens, utc(epoch, "2026-03-29T01:00:00Z"));
}

// ---------------------------------------------------------------------------------------------
// Daylight-saving changes

TEST(UpdateWindowTest, StockholmSpringForwardOpensAtTheJumpForASkippedStart) {
  // Sunday 29 March 2026, 01:00Z: 02:00 CET becomes 03:00 CEST; 02:00-02:59 never happens.
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const UpdateWindow at_two = window({"sun"}, "02:00", "3h", "Europe/Stockholm", epoch);
  EXPECT_EQ(at_two.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-03-29T01:00:00Z"),
                                 utc(epoch, "2026-03-29T04:00:00Z")}));  // 3h elapsed
  EXPECT_FALSE(at_two.is_open(utc(epoch, "2026-03-29T01:00:00Z") - kOneMicrosecond));
  EXPECT_TRUE(at_two.is_open(utc(epoch, "2026-03-29T01:00:00Z")));
  EXPECT_TRUE(at_two.is_open(utc(epoch, "2026-03-29T04:00:00Z") - kOneMicrosecond));
  EXPECT_FALSE(at_two.is_open(utc(epoch, "2026-03-29T04:00:00Z")));

  // 02:30 is skipped too: it opens at the jump, not an hour later (03:30 CEST).
  const UpdateWindow at_half_past = window({"sun"}, "02:30", "1h", "Europe/Stockholm", epoch);
  EXPECT_EQ(at_half_past.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-03-29T01:00:00Z"),
                                 utc(epoch, "2026-03-29T02:00:00Z")}));
  // The next Sunday is ordinary again: 02:30 CEST is 00:30Z.
  EXPECT_EQ(at_half_past.next_opening(utc(epoch, "2026-03-29T01:00:01Z")).opens,
            utc(epoch, "2026-04-05T00:30:00Z"));
  // And the week before it was 02:30 CET, 01:30Z.
  const RunEpoch earlier = epoch_at("2026-03-21T00:00:00Z");
  const UpdateWindow week_before = window({"sun"}, "02:30", "1h", "Europe/Stockholm", earlier);
  EXPECT_EQ(week_before.next_opening(Time::zero()).opens, utc(earlier, "2026-03-22T01:30:00Z"));

  // 03:00 exists (CEST): the same instant as the jump.
  const UpdateWindow at_three = window({"sun"}, "03:00", "1h", "Europe/Stockholm", epoch);
  EXPECT_EQ(at_three.next_opening(Time::zero()).opens, utc(epoch, "2026-03-29T01:00:00Z"));
}

TEST(UpdateWindowTest, StockholmSpringForwardWindowAcrossTheChangeLastsItsElapsedDuration) {
  // Saturday 23:00 CET (22:00Z) for 5h closes at 03:00Z, which the wall clock shows as 05:00
  // CEST: six hours later on the clock.
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const UpdateWindow night = window({"sat"}, "23:00", "5h", "Europe/Stockholm", epoch);
  EXPECT_EQ(night.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-03-28T22:00:00Z"),
                                 utc(epoch, "2026-03-29T03:00:00Z")}));
  EXPECT_TRUE(night.can_finish(utc(epoch, "2026-03-29T01:00:00Z"), hours{2}));
  EXPECT_FALSE(night.can_finish(utc(epoch, "2026-03-29T01:00:00Z"), hours{2} + seconds{1}));
}

TEST(UpdateWindowTest, StockholmFallBackOpensAtTheFirstShowingOfARepeatedStart) {
  // Sunday 25 October 2026, 01:00Z: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice,
  // first at 00:00-00:59Z, again at 01:00-01:59Z.
  const RunEpoch epoch = epoch_at("2026-10-20T00:00:00Z");
  const UpdateWindow at_half_past = window({"sun"}, "02:30", "1h", "Europe/Stockholm", epoch);
  EXPECT_EQ(at_half_past.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-10-25T00:30:00Z"),
                                 utc(epoch, "2026-10-25T01:30:00Z")}));
  // 01:15Z is 02:15 CET, the second showing: still open, an hour of elapsed time not yet over.
  EXPECT_TRUE(at_half_past.is_open(utc(epoch, "2026-10-25T01:15:00Z")));
  // 01:30Z is 02:30 CET, the start's second showing: the window does not open again.
  EXPECT_FALSE(at_half_past.is_open(utc(epoch, "2026-10-25T01:30:00Z")));
  EXPECT_EQ(at_half_past.next_opening(utc(epoch, "2026-10-25T01:30:00Z")),
            (UpdateWindowOpening{utc(epoch, "2026-11-01T01:30:00Z"),
                                 utc(epoch, "2026-11-01T02:30:00Z")}));  // 02:30 CET

  // 02:00 for 3h: opens 02:00 CEST (00:00Z), closes 03:00Z, which the clock shows as 04:00 CET.
  const UpdateWindow at_two = window({"sun"}, "02:00", "3h", "Europe/Stockholm", epoch);
  EXPECT_EQ(at_two.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-10-25T00:00:00Z"),
                                 utc(epoch, "2026-10-25T03:00:00Z")}));

  // 03:00 is shown once, as CET: 02:00Z.
  const UpdateWindow at_three = window({"sun"}, "03:00", "1h", "Europe/Stockholm", epoch);
  EXPECT_EQ(at_three.next_opening(Time::zero()).opens, utc(epoch, "2026-10-25T02:00:00Z"));

  // Saturday 23:00 CEST (21:00Z) for 5h closes at 02:00Z, shown as 03:00 CET: four hours on
  // the clock.
  const UpdateWindow night = window({"sat"}, "23:00", "5h", "Europe/Stockholm", epoch);
  EXPECT_EQ(night.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-10-24T21:00:00Z"),
                                 utc(epoch, "2026-10-25T02:00:00Z")}));
}

TEST(UpdateWindowTest, NewYorkSpringForwardOpensAtTheJumpForASkippedStart) {
  // Sunday 8 March 2026, 07:00Z: 02:00 EST becomes 03:00 EDT.
  const RunEpoch epoch = epoch_at("2026-03-01T00:00:00Z");
  const UpdateWindow sunday = window({"sun"}, "02:30", "2h", "America/New_York", epoch);
  // 1 March is ordinary: 02:30 EST is 07:30Z.
  EXPECT_EQ(sunday.next_opening(Time::zero()).opens, utc(epoch, "2026-03-01T07:30:00Z"));
  EXPECT_EQ(sunday.next_opening(utc(epoch, "2026-03-02T00:00:00Z")),
            (UpdateWindowOpening{utc(epoch, "2026-03-08T07:00:00Z"),
                                 utc(epoch, "2026-03-08T09:00:00Z")}));
  EXPECT_FALSE(sunday.is_open(utc(epoch, "2026-03-08T06:59:59Z")));
  EXPECT_TRUE(sunday.is_open(utc(epoch, "2026-03-08T07:00:00Z")));
  // 15 March: 02:30 EDT is 06:30Z.
  EXPECT_EQ(sunday.next_opening(utc(epoch, "2026-03-09T00:00:00Z")).opens,
            utc(epoch, "2026-03-15T06:30:00Z"));

  // Saturday 22:00 EST (03:00Z) for 6h closes at 09:00Z, shown as 05:00 EDT.
  const UpdateWindow night = window({"sat"}, "22:00", "6h", "America/New_York", epoch);
  EXPECT_EQ(night.next_opening(utc(epoch, "2026-03-02T00:00:00Z")),
            (UpdateWindowOpening{utc(epoch, "2026-03-08T03:00:00Z"),
                                 utc(epoch, "2026-03-08T09:00:00Z")}));
}

TEST(UpdateWindowTest, NewYorkFallBackOpensAtTheFirstShowingOfARepeatedStart) {
  // Sunday 1 November 2026, 06:00Z: 02:00 EDT becomes 01:00 EST; 01:00-01:59 happens twice,
  // first at 05:00-05:59Z, again at 06:00-06:59Z.
  const RunEpoch epoch = epoch_at("2026-10-28T00:00:00Z");
  const UpdateWindow sunday = window({"sun"}, "01:30", "1h", "America/New_York", epoch);
  EXPECT_EQ(sunday.next_opening(Time::zero()),
            (UpdateWindowOpening{utc(epoch, "2026-11-01T05:30:00Z"),
                                 utc(epoch, "2026-11-01T06:30:00Z")}));
  EXPECT_TRUE(sunday.is_open(utc(epoch, "2026-11-01T06:15:00Z")));   // 01:15 EST
  EXPECT_FALSE(sunday.is_open(utc(epoch, "2026-11-01T06:30:00Z")));  // 01:30 EST, again
  EXPECT_EQ(sunday.next_opening(utc(epoch, "2026-11-01T06:30:00Z")).opens,
            utc(epoch, "2026-11-08T06:30:00Z"));  // 01:30 EST

  // 02:00 is shown once, as EST: 07:00Z.
  const UpdateWindow at_two = window({"sun"}, "02:00", "1h", "America/New_York", epoch);
  EXPECT_EQ(at_two.next_opening(Time::zero()).opens, utc(epoch, "2026-11-01T07:00:00Z"));
}

TEST(UpdateWindowTest, OpeningsThatOverlapAcrossSpringForwardAreOne) {
  // Every day 00:00 for 1430m in Stockholm. Sunday 29 March has 23 hours, so Sunday's window
  // (23:00Z Saturday to 22:50Z Sunday) overlaps Monday's (22:00Z Sunday, 00:00 CEST).
  const RunEpoch epoch = epoch_at("2026-03-25T00:00:00Z");
  const UpdateWindow daily = window(kEveryDay, "00:00", "1430m", "Europe/Stockholm", epoch);

  // The usual ten-minute gap before Sunday's window.
  EXPECT_FALSE(daily.is_open(utc(epoch, "2026-03-28T22:55:00Z")));
  const UpdateWindowOpening merged{utc(epoch, "2026-03-28T23:00:00Z"),
                                   utc(epoch, "2026-03-30T21:50:00Z")};
  EXPECT_EQ(daily.next_opening(utc(epoch, "2026-03-28T22:55:00Z")), merged);
  EXPECT_EQ(daily.opening_at(utc(epoch, "2026-03-29T22:40:00Z")), merged);
  // Started ten minutes before Sunday's own window closes, it may run on into Monday's.
  EXPECT_TRUE(daily.can_finish(utc(epoch, "2026-03-29T22:40:00Z"), hours{1}));
  EXPECT_FALSE(daily.is_open(utc(epoch, "2026-03-30T21:55:00Z")));
}

// ---------------------------------------------------------------------------------------------
// Queries

TEST(UpdateWindowTest, CanFinishOnlyWhenTheWorkEndsByTheClose) {
  // Saturday 28 March 2026, 02:00 CET for 3h: 01:00Z to 04:00Z.
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const UpdateWindow saturday = window({"sat"}, "02:00", "3h", "Europe/Stockholm", epoch);
  const Time opens = utc(epoch, "2026-03-28T01:00:00Z");
  const Time closes = utc(epoch, "2026-03-28T04:00:00Z");

  EXPECT_TRUE(saturday.can_finish(opens, hours{3}));
  EXPECT_FALSE(saturday.can_finish(opens, hours{3} + kOneMicrosecond));
  EXPECT_TRUE(saturday.can_finish(closes - hours{1}, hours{1}));  // ends exactly at the close
  EXPECT_FALSE(saturday.can_finish(closes - hours{1} + kOneMicrosecond, hours{1}));
  EXPECT_TRUE(saturday.can_finish(closes - kOneMicrosecond, Duration::zero()));
  EXPECT_FALSE(saturday.can_finish(closes, Duration::zero()));  // closed
  // Work that would fit is still refused before the window opens.
  EXPECT_FALSE(saturday.can_finish(opens - seconds{1}, minutes{1}));
  EXPECT_FALSE(saturday.can_finish(Time::zero(), minutes{1}));
}

TEST(UpdateWindowTest, NextOpeningCrossesAWeekBoundary) {
  // Mondays 09:00 CEST (07:00Z) for 1h; the run starts on Saturday 28 March.
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const UpdateWindow monday = window({"mon"}, "09:00", "1h", "Europe/Stockholm", epoch);
  const UpdateWindowOpening this_week{utc(epoch, "2026-03-30T07:00:00Z"),
                                      utc(epoch, "2026-03-30T08:00:00Z")};
  const UpdateWindowOpening next_week{utc(epoch, "2026-04-06T07:00:00Z"),
                                      utc(epoch, "2026-04-06T08:00:00Z")};
  EXPECT_EQ(monday.next_opening(Time::zero()), this_week);
  EXPECT_EQ(monday.next_opening(this_week.opens), this_week);  // at the opening: that one
  EXPECT_EQ(monday.next_opening(this_week.opens + kOneMicrosecond), next_week);
  EXPECT_EQ(monday.next_opening(this_week.closes), next_week);
  EXPECT_EQ(monday.next_opening(utc(epoch, "2026-04-05T23:59:59Z")), next_week);
}

TEST(UpdateWindowTest, WindowAcrossMidnightBelongsToItsStartDay) {
  // Saturdays 23:00 CEST (21:00Z) for 3h, until 02:00 on Sunday, which is not among the days.
  const RunEpoch epoch = epoch_at("2026-04-01T00:00:00Z");
  const UpdateWindow saturday = window({"sat"}, "23:00", "3h", "Europe/Stockholm", epoch);
  EXPECT_TRUE(saturday.is_open(utc(epoch, "2026-04-04T23:30:00Z")));  // Sunday 01:30
  EXPECT_FALSE(saturday.is_open(utc(epoch, "2026-04-05T00:00:00Z")));
  EXPECT_FALSE(saturday.is_open(utc(epoch, "2026-04-05T21:30:00Z")));  // Sunday 23:30
  EXPECT_TRUE(saturday.can_finish(utc(epoch, "2026-04-04T23:30:00Z"), minutes{30}));

  // Sundays 23:00 for 3h: open at 01:30 Monday; the next is a week later.
  const UpdateWindow sunday = window({"sun"}, "23:00", "3h", "Europe/Stockholm", epoch);
  EXPECT_TRUE(sunday.is_open(utc(epoch, "2026-04-05T23:30:00Z")));
  EXPECT_EQ(sunday.next_opening(utc(epoch, "2026-04-05T23:30:00Z")).opens,
            utc(epoch, "2026-04-12T21:00:00Z"));
}

TEST(UpdateWindowTest, AWindowOpenedBeforeTheRunStartedIsOpenAtTimeZero) {
  const RunEpoch epoch = epoch_at("2026-03-28T02:00:00Z");  // Saturday 03:00 CET
  const UpdateWindow saturday = window({"sat"}, "02:00", "3h", "Europe/Stockholm", epoch);
  EXPECT_EQ(saturday.opening_at(Time::zero()), (UpdateWindowOpening{-hours{1}, hours{2}}));
}

TEST(UpdateWindowTest, AYearOfOpeningsKeepsItsShapeThroughBothChanges) {
  // Walks every opening of 2026 in both zones: each lasts its duration, is open from its first
  // microsecond to its last, and each week has one per day.
  const RunEpoch epoch = epoch_at("2026-01-01T00:00:00Z");
  for (const char* zone : {"Europe/Stockholm", "America/New_York"}) {
    const UpdateWindow weekend = window(kWeekend, "02:30", "90m", zone, epoch);
    int openings = 0;
    Time at = Time::zero();
    while (at < utc(epoch, "2026-12-25T00:00:00Z")) {
      const UpdateWindowOpening opening = weekend.next_opening(at);
      ASSERT_GE(opening.opens, at);
      ASSERT_EQ(opening.closes - opening.opens, minutes{90}) << zone;
      ASSERT_FALSE(weekend.is_open(opening.opens - kOneMicrosecond)) << zone;
      ASSERT_TRUE(weekend.is_open(opening.opens)) << zone;
      ASSERT_TRUE(weekend.is_open(opening.closes - kOneMicrosecond)) << zone;
      ASSERT_FALSE(weekend.is_open(opening.closes)) << zone;
      ++openings;
      at = opening.closes;
    }
    // Saturdays 3 January to 26 December (52), Sundays 4 January to 20 December (51).
    EXPECT_EQ(openings, 52 + 51) << zone;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

TEST(UpdateWindowTest, ParsesAScheduleAsScenarioFilesWriteIt) {
  Result<UpdateWindowSchedule> parsed =
      parse_update_window_schedule({"sun", "sat"}, "02:00", "3h", "Europe/Stockholm");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const UpdateWindowSchedule& schedule = parsed.value();
  EXPECT_EQ(schedule.days, WeekdaySet{}
                               .set(static_cast<std::size_t>(Weekday::kSaturday))
                               .set(static_cast<std::size_t>(Weekday::kSunday)));
  EXPECT_EQ(schedule.start, minutes{120});
  EXPECT_EQ(schedule.duration, minutes{180});
  EXPECT_EQ(schedule.time_zone, "Europe/Stockholm");
  EXPECT_EQ(update_window_text(schedule), "sat,sun 02:00 for 3h Europe/Stockholm");

  EXPECT_EQ(parse_update_window_start("00:00").value(), minutes{0});
  EXPECT_EQ(parse_update_window_start("23:59").value(), minutes{23 * 60 + 59});
  EXPECT_EQ(parse_update_window_duration("1m").value(), minutes{1});
  EXPECT_EQ(parse_update_window_duration("90m").value(), minutes{90});
  EXPECT_EQ(parse_update_window_duration("1h30m").value(), minutes{90});
  EXPECT_EQ(parse_update_window_duration("23h50m").value(), minutes{1430});
  EXPECT_EQ(parse_update_window_duration("1430m").value(), minutes{1430});
  EXPECT_EQ(weekday_name(Weekday::kMonday), "mon");
  EXPECT_EQ(weekday_name(Weekday::kSunday), "sun");

  EXPECT_EQ(run_epoch_text(epoch_at("2026-03-28T00:00:00Z")), "2026-03-28T00:00:00Z");
  EXPECT_EQ(run_epoch_text(epoch_at("2035-12-31T23:59:59Z")), "2035-12-31T23:59:59Z");
  EXPECT_EQ(epoch_at("2000-01-01T00:00:00Z").utc, kRunEpochEarliest);
  EXPECT_EQ(epoch_at("2036-01-01T00:00:00Z").utc, kRunEpochLatest);
}

TEST(UpdateWindowTest, RefusesBadDurationsNamingTheField) {
  for (const char* text : {"0m", "0h", "1431m", "24h", "23h51m"}) {
    expect_invalid(parse_update_window_duration(text).error(),
                   {"update window duration", std::string("\"") + text + "\"", "1430m"});
  }
  for (const char* text : {"", "3", "3d", "90s", "1.5h", "-5m", "h", "1h30", "30m1h", "1h1h",
                           "999999m", "3 h", "3H"}) {
    expect_invalid(parse_update_window_duration(text).error(),
                   {"update window duration", std::string("\"") + text + "\"", "such as 90m"});
  }
}

TEST(UpdateWindowTest, RefusesBadStartsNamingTheField) {
  for (const char* text :
       {"25:00", "7:5", "24:00", "12:60", "", "2:00", "02:00:00", "ab:cd", "02-00", " 2:00"}) {
    expect_invalid(parse_update_window_start(text).error(),
                   {"update window start", std::string("\"") + text + "\"", "HH:MM", "23:59"});
  }
}

TEST(UpdateWindowTest, RefusesBadDaysNamingTheField) {
  expect_invalid(parse_update_window_days({}).error(),
                 {"update window days", "empty", "at least one of mon"});
  expect_invalid(parse_update_window_days({"sat", "funday"}).error(),
                 {"update window days", "\"funday\"", "mon, tue, wed, thu, fri, sat, sun"});
  expect_invalid(parse_update_window_days({"Sat"}).error(), {"update window days", "\"Sat\""});
  expect_invalid(parse_update_window_days({"saturday"}).error(),
                 {"update window days", "\"saturday\""});
  expect_invalid(parse_update_window_days({"sat", "sun", "sat"}).error(),
                 {"update window days", "\"sat\" twice", "each day once"});
  std::vector<std::string> eight = kEveryDay;
  eight.push_back("mon");
  expect_invalid(parse_update_window_days(eight).error(), {"update window days", "8 names"});
}

TEST(UpdateWindowTest, RefusesUnknownTimeZonesNamingTheField) {
  for (const char* zone : {"Mars/Olympus_Mons", "europe/stockholm", "", "localtime", "Europe",
                           "../etc/passwd", "+01:00", "CEST"}) {
    Result<UpdateWindowSchedule> parsed =
        parse_update_window_schedule(kWeekend, "02:00", "3h", zone);
    ASSERT_FALSE(parsed.ok()) << zone;
    expect_invalid(parsed.error(), {"update window time zone", std::string("\"") + zone + "\"",
                                    "IANA time zone name"});
  }
  const std::string long_name(kTimeZoneNameBytesMax + 1, 'A');
  expect_invalid(parse_update_window_schedule(kWeekend, "02:00", "3h", long_name).error(),
                 {"update window time zone", "65 bytes", "at most 64"});
}

TEST(UpdateWindowTest, ParsingReportsTheFirstWrongPart) {
  expect_invalid(parse_update_window_schedule({"funday"}, "25:00", "0m", "Nowhere").error(),
                 {"update window days"});
  expect_invalid(parse_update_window_schedule(kWeekend, "25:00", "0m", "Nowhere").error(),
                 {"update window start"});
  expect_invalid(parse_update_window_schedule(kWeekend, "02:00", "0m", "Nowhere").error(),
                 {"update window duration"});
  expect_invalid(parse_update_window_schedule(kWeekend, "02:00", "3h", "Nowhere").error(),
                 {"update window time zone"});
}

TEST(UpdateWindowTest, CreateRefusesAnOutOfBoundsScheduleOrEpoch) {
  const RunEpoch epoch = epoch_at("2026-03-28T00:00:00Z");
  const UpdateWindowSchedule good{WeekdaySet{}.set(static_cast<std::size_t>(Weekday::kSaturday)),
                                  minutes{120}, minutes{180}, "Europe/Stockholm"};
  EXPECT_TRUE(UpdateWindow::create(good, epoch).ok());

  UpdateWindowSchedule bad = good;
  bad.duration = minutes{0};
  expect_invalid(UpdateWindow::create(bad, epoch).error(),
                 {"update window duration", "0 minutes", "1 to 1430 minutes"});
  bad.duration = minutes{1431};
  expect_invalid(UpdateWindow::create(bad, epoch).error(),
                 {"update window duration", "1431 minutes"});
  bad = good;
  bad.start = minutes{24 * 60};
  expect_invalid(UpdateWindow::create(bad, epoch).error(),
                 {"update window start", "1440 minutes", "00:00 to 23:59"});
  bad.start = minutes{-1};
  expect_invalid(UpdateWindow::create(bad, epoch).error(), {"update window start"});
  bad = good;
  bad.days.reset();
  expect_invalid(UpdateWindow::create(bad, epoch).error(), {"update window days", "none"});
  bad = good;
  bad.time_zone = "Atlantis/Capital";
  expect_invalid(UpdateWindow::create(bad, epoch).error(),
                 {"update window time zone", "\"Atlantis/Capital\"", "tz database (version"});

  const RunEpoch too_early{kRunEpochEarliest - std::chrono::seconds{1}};
  expect_invalid(UpdateWindow::create(good, too_early).error(),
                 {"run epoch", "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z"});
}

TEST(UpdateWindowTest, RefusesBadRunEpochs) {
  for (const char* text : {"2026-03-28", "2026-03-28T00:00:00", "2026-03-28T00:00:00+01:00",
                           "2026-03-28 00:00:00Z", "26-03-28T00:00:00Z", ""}) {
    expect_invalid(parse_run_epoch(text).error(),
                   {"run epoch", std::string("\"") + text + "\"", "YYYY-MM-DDTHH:MM:SSZ"});
  }
  for (const char* text : {"2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-28T24:00:00Z",
                           "2026-03-28T00:60:00Z"}) {
    expect_invalid(parse_run_epoch(text).error(), {"run epoch", "no such instant"});
  }
  expect_invalid(parse_run_epoch("1999-12-31T23:59:59Z").error(),
                 {"run epoch", "from 2000-01-01T00:00:00Z to 2036-01-01T00:00:00Z"});
  expect_invalid(parse_run_epoch("2036-01-01T00:00:01Z").error(), {"run epoch"});
}

}  // namespace
}  // namespace ccsim::platform
