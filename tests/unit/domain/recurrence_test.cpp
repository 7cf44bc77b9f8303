#include "domain/recurrence.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <sstream>

#include "domain/local_time.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::domain {
namespace {

Ms at(const char* rfc3339) {
  auto t = wire::parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t ? t->instant.time_since_epoch().count() : 0;
}

std::string utc(Ms t) {
  return wire::format_rfc3339(wire::Millis(std::chrono::milliseconds(t)));
}

CivilDate date(const char* s) {
  auto d = parse_date(s);
  EXPECT_TRUE(d) << s;
  return d.value_or(CivilDate{});
}

std::string describe(const std::vector<Occurrence>& v) {
  std::ostringstream o;
  for (const auto& x : v)
    o << format_date(x.date) << " " << utc(x.starts_at) << ".." << utc(x.ends_at)
      << (x.cancelled ? " cancelled" : "") << (x.moved ? " moved" : "") << "; ";
  return o.str();
}

TEST(LocalTime, DatesAndTimesParseStrictly) {
  struct Case {
    const char* in;
    bool ok;
  } cases[] = {{"2026-11-30", true},  {"2024-02-29", true},  {"2026-02-29", false},
               {"2026-13-01", false}, {"2026-11-31", false}, {"2026-1-30", false},
               {"26-11-30", false},   {"2026/11/30", false}, {"", false}};
  for (const auto& c : cases) {
    auto d = parse_date(c.in);
    EXPECT_EQ(d.has_value(), c.ok) << c.in;
    if (d) {
      EXPECT_EQ(format_date(*d), c.in);
    }
  }
  struct T {
    const char* in;
    std::optional<int> minute;
  } times[] = {{"19:00", 1140}, {"00:00", 0},  {"23:59", 1439},  {"24:00", {}},
               {"7:00", {}},    {"19:60", {}}, {"19:00:00", {}}, {"ab:cd", {}}};
  for (const auto& t : times) EXPECT_EQ(parse_hhmm(t.in), t.minute) << t.in;
}

TEST(LocalTime, WeekdaysAreIso) {
  struct Case {
    const char* d;
    int iso;
  } cases[] = {{"2026-11-30", 1}, {"2026-12-02", 3}, {"2026-12-04", 5},
               {"2026-12-06", 7}, {"1970-01-01", 4}, {"2000-02-29", 2}};
  for (const auto& c : cases) EXPECT_EQ(iso_weekday(date(c.d)), c.iso) << c.d;
}

TEST(LocalTime, ZonesFromTheSystemDatabase) {
  EXPECT_TRUE(known_time_zone("Asia/Shanghai"));
  EXPECT_TRUE(known_time_zone("Europe/Berlin"));
  EXPECT_FALSE(known_time_zone("Mars/Olympus_Mons"));
  EXPECT_FALSE(known_time_zone(""));
  struct Case {
    const char* date;
    int minute;
    const char* tz;
    const char* utc;
  } cases[] = {
      {"2026-11-30", 19 * 60, "Asia/Shanghai", "2026-11-30T11:00:00.000Z"},
      {"2026-11-30", 30, "Asia/Shanghai", "2026-11-29T16:30:00.000Z"},       // China's midnight
      {"2026-07-01", 19 * 60, "Europe/Berlin", "2026-07-01T17:00:00.000Z"},  // CEST
      {"2026-12-01", 19 * 60, "Europe/Berlin", "2026-12-01T18:00:00.000Z"},  // CET
      {"2026-03-29", 150, "Europe/Berlin", "2026-03-29T01:30:00.000Z"},  // 02:30 skipped → 03:30
      {"2026-10-25", 150, "Europe/Berlin", "2026-10-25T00:30:00.000Z"},  // 02:30 twice → first
  };
  for (const auto& c : cases) {
    auto t = local_to_utc(date(c.date), c.minute, c.tz);
    ASSERT_TRUE(t) << c.date << " " << c.tz;
    EXPECT_EQ(utc(*t), c.utc) << c.date << " " << format_hhmm(c.minute) << " " << c.tz;
  }
  EXPECT_FALSE(local_to_utc(date("2026-11-30"), 0, "Nowhere/Town"));
  EXPECT_EQ(format_date(*utc_to_local_date(at("2026-11-29T16:30:00Z"), "Asia/Shanghai")),
            "2026-11-30");
  EXPECT_EQ(format_date(*utc_to_local_date(at("2026-11-29T15:59:59Z"), "Asia/Shanghai")),
            "2026-11-29");
  EXPECT_EQ(utc_offset_minutes(at("2026-11-29T15:59:59Z"), "Asia/Shanghai"), 480);
  EXPECT_EQ(utc_offset_minutes(at("2026-07-01T12:00:00Z"), "Europe/Berlin"), 120);
}

Recurrence mon_wed_fri() {
  Recurrence r;
  r.weekdays = {1, 3, 5};
  r.start_minute = 19 * 60;
  r.duration_min = 120;
  r.tz = "Asia/Shanghai";
  r.starts_on = date("2026-11-01");
  return r;
}

struct RecurrenceCase {
  const char* name;
  Recurrence rule;
  const char* from;
  const char* to;
  std::vector<std::string> expect;  // "date startUTC [cancelled|moved]"
};

std::ostream& operator<<(std::ostream& o, const RecurrenceCase& c) {
  return o << c.name;
}

std::vector<std::string> render(const std::vector<Occurrence>& v) {
  std::vector<std::string> out;
  for (const auto& x : v)
    out.push_back(format_date(x.date) + " " + utc(x.starts_at) + (x.cancelled ? " cancelled" : "") +
                  (x.moved ? " moved" : ""));
  return out;
}

TEST(Recurrence, ExpandsRulesIntoDatedRounds) {
  std::vector<RecurrenceCase> cases;
  cases.push_back({"mon/wed/fri one week",
                   mon_wed_fri(),
                   "2026-11-30T00:00:00+08:00",
                   "2026-12-07T00:00:00+08:00",
                   {"2026-11-30 2026-11-30T11:00:00.000Z", "2026-12-02 2026-12-02T11:00:00.000Z",
                    "2026-12-04 2026-12-04T11:00:00.000Z"}});
  {
    auto r = mon_wed_fri();
    r.exceptions.push_back({date("2026-12-02"), ScheduleException::Action::cancel, {}});
    r.exceptions.push_back({date("2026-12-04"), ScheduleException::Action::move, 20 * 60 + 30});
    cases.push_back(
        {"cancelled wednesday, friday moved to 20:30",
         r,
         "2026-11-30T00:00:00+08:00",
         "2026-12-07T00:00:00+08:00",
         {"2026-11-30 2026-11-30T11:00:00.000Z", "2026-12-02 2026-12-02T11:00:00.000Z cancelled",
          "2026-12-04 2026-12-04T12:30:00.000Z moved"}});
  }
  {
    auto r = mon_wed_fri();
    r.exceptions.push_back({date("2026-12-01"), ScheduleException::Action::cancel, {}});
    cases.push_back({"an exception on a day without a round changes nothing",
                     r,
                     "2026-11-30T00:00:00+08:00",
                     "2026-12-02T00:00:00+08:00",
                     {"2026-11-30 2026-11-30T11:00:00.000Z"}});
  }
  {
    auto r = mon_wed_fri();
    r.start_minute = 30;  // 00:30 Monday in China = Sunday 16:30 UTC
    r.duration_min = 60;
    cases.push_back({"00:30 belongs to the local monday",
                     r,
                     "2026-11-29T00:00:00Z",
                     "2026-12-01T00:00:00Z",
                     {"2026-11-30 2026-11-29T16:30:00.000Z"}});
  }
  {
    auto r = mon_wed_fri();
    r.start_minute = 23 * 60 + 30;  // crosses local midnight
    r.duration_min = 90;
    cases.push_back({"23:30 for 90 min is the monday round, ending tuesday",
                     r,
                     "2026-11-30T00:00:00+08:00",
                     "2026-12-01T23:00:00+08:00",
                     {"2026-11-30 2026-11-30T15:30:00.000Z"}});
    cases.push_back({"a round already under way at `from` overlaps and is included",
                     r,
                     "2026-12-01T00:30:00+08:00",
                     "2026-12-01T02:00:00+08:00",
                     {"2026-11-30 2026-11-30T15:30:00.000Z"}});
  }
  {
    auto r = mon_wed_fri();
    r.starts_on = date("2026-12-02");
    r.ends_on = date("2026-12-04");
    cases.push_back(
        {"starts_on and ends_on are inclusive",
         r,
         "2026-11-28T00:00:00+08:00",
         "2026-12-12T00:00:00+08:00",
         {"2026-12-02 2026-12-02T11:00:00.000Z", "2026-12-04 2026-12-04T11:00:00.000Z"}});
  }
  {
    Recurrence r;
    r.weekdays = {7};
    r.start_minute = 2 * 60 + 30;
    r.duration_min = 60;
    r.tz = "Europe/Berlin";
    r.starts_on = date("2026-03-01");
    cases.push_back({"DST zone: sundays 02:30 around both changes",
                     r,
                     "2026-03-22T00:00:00Z",
                     "2026-04-06T00:00:00Z",
                     {"2026-03-22 2026-03-22T01:30:00.000Z",     // CET +01:00
                      "2026-03-29 2026-03-29T01:30:00.000Z",     // skipped: 03:30 CEST
                      "2026-04-05 2026-04-05T00:30:00.000Z"}});  // CEST +02:00
    cases.push_back({"DST zone: autumn's repeated hour takes the first",
                     r,
                     "2026-10-18T00:00:00Z",
                     "2026-11-02T00:00:00Z",
                     {"2026-10-18 2026-10-18T00:30:00.000Z", "2026-10-25 2026-10-25T00:30:00.000Z",
                      "2026-11-01 2026-11-01T01:30:00.000Z"}});
  }
  cases.push_back({"empty window",
                   mon_wed_fri(),
                   "2026-11-30T20:00:00+08:00",
                   "2026-11-30T20:00:00+08:00",
                   {}});
  cases.push_back({"window ending at a start excludes it",
                   mon_wed_fri(),
                   "2026-11-30T00:00:00+08:00",
                   "2026-11-30T19:00:00+08:00",
                   {}});

  for (const auto& c : cases) {
    auto got = occurrences(c.rule, at(c.from), at(c.to));
    ASSERT_TRUE(got) << c << ": " << got.error().message;
    EXPECT_EQ(render(*got), c.expect)
        << c << " [" << c.from << ", " << c.to << ") got: " << describe(*got);
  }
}

TEST(Recurrence, ValidateNamesTheField) {
  struct Case {
    const char* name;
    Recurrence rule;
    const char* field;
  };
  std::vector<Case> cases;
  auto r = mon_wed_fri();
  cases.push_back({"valid", r, ""});
  r.weekdays = {};
  cases.push_back({"no weekday", r, "weekdays"});
  r.weekdays = {1, 8};
  cases.push_back({"weekday 8", r, "weekdays[1]"});
  r.weekdays = {3, 3};
  cases.push_back({"weekday twice", r, "weekdays[1]"});
  r = mon_wed_fri();
  r.tz = "Asia/Atlantis";
  cases.push_back({"unknown zone", r, "tz"});
  r = mon_wed_fri();
  r.duration_min = 0;
  cases.push_back({"zero duration", r, "duration_min"});
  r = mon_wed_fri();
  r.ends_on = date("2026-10-01");
  cases.push_back({"ends before it starts", r, "ends_on"});
  r = mon_wed_fri();
  r.exceptions.push_back({date("2026-12-02"), ScheduleException::Action::move, {}});
  cases.push_back({"move without a time", r, "exceptions[0].start_time"});
  r = mon_wed_fri();
  r.exceptions.push_back({date("2026-12-02"), ScheduleException::Action::cancel, {}});
  r.exceptions.push_back({date("2026-12-02"), ScheduleException::Action::cancel, {}});
  cases.push_back({"same date twice", r, "exceptions[1].date"});
  for (const auto& c : cases) {
    auto e = validate(c.rule);
    EXPECT_EQ(e ? e->field : "", c.field) << c.name;
    if (*c.field) {
      EXPECT_FALSE(occurrences(c.rule, 0, 1)) << c.name;
    }
  }
}

TEST(Recurrence, RoundIdsAreDeterministicUuids) {
  auto a = round_id("sched-1", date("2026-11-30"));
  EXPECT_TRUE(wire::is_uuid(a)) << a;
  EXPECT_EQ(a[14], '8') << a;  // version 8
  EXPECT_EQ(a, round_id("sched-1", date("2026-11-30")));
  EXPECT_NE(a, round_id("sched-1", date("2026-12-02")));
  EXPECT_NE(a, round_id("sched-2", date("2026-11-30")));
}

}  // namespace
}  // namespace patrol::domain
