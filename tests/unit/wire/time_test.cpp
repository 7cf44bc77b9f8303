#include "patrol/wire/time.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace patrol::wire {
namespace {

using namespace std::chrono;

// 2026-11-28T11:05:03Z in ms since the epoch.
constexpr std::int64_t kBase = 1795863903000;

struct Good {
  std::string in;
  std::int64_t ms;
  int offset;
};

TEST(Rfc3339, ParsesValidForms) {
  const std::vector<Good> cases = {
      {"2026-11-28T19:05:03+08:00", kBase, 480},
      {"2026-11-28T11:05:03Z", kBase, 0},
      {"2026-11-28t11:05:03z", kBase, 0},
      {"2026-11-28T11:05:03.123Z", kBase + 123, 0},
      {"2026-11-28T11:05:03.1Z", kBase + 100, 0},
      {"2026-11-28T11:05:03.123456789Z", kBase + 123, 0},
      {"2026-11-28T06:35:03-04:30", kBase, -270},
      {"2026-11-28T11:05:03+00:00", kBase, 0},
      {"2026-11-28T11:05:03-00:00", kBase, 0},
      {"1970-01-01T00:00:00Z", 0, 0},
      {"2024-02-29T00:00:00Z", 1709164800000, 0},
      {"2016-12-31T23:59:60Z", 1483228799999, 0},  // leap second clamped
      {"2026-11-29T00:05:03+12:59", kBase - 59 * 60 * 1000 + 60 * 60 * 1000, 779},
  };
  for (const auto& c : cases) {
    const auto t = parse_rfc3339(c.in);
    ASSERT_TRUE(t.has_value()) << "input: " << c.in;
    EXPECT_EQ(t->instant.time_since_epoch().count(), c.ms) << "input: " << c.in;
    EXPECT_EQ(t->offset_minutes, c.offset) << "input: " << c.in;
  }
}

TEST(Rfc3339, RejectsInvalidForms) {
  const std::vector<std::string> cases = {
      "",
      "2026-11-28",
      "2026-11-28T19:05:03",         // no zone
      "2026-11-28 19:05:03Z",        // space separator
      "2026-11-28T19:05Z",           // no seconds
      "2026-13-01T00:00:00Z",        // month
      "2026-00-01T00:00:00Z",        // month
      "2026-02-29T00:00:00Z",        // not a leap year
      "2026-04-31T00:00:00Z",        // day
      "2026-11-00T00:00:00Z",        // day
      "2026-11-28T24:00:00Z",        // hour
      "2026-11-28T23:60:00Z",        // minute
      "2026-11-28T23:59:61Z",        // second
      "2026-11-28T19:05:03.Z",       // empty fraction
      "2026-11-28T19:05:03+0800",    // offset without colon
      "2026-11-28T19:05:03+08",      // short offset
      "2026-11-28T19:05:03+24:00",   // offset hour
      "2026-11-28T19:05:03+08:60",   // offset minute
      "2026-11-28T19:05:03Zjunk",    // trailing
      "2026-11-28T19:05:03+08:00 ",  // trailing space
      "26-11-28T19:05:03Z",          // short year
      "2026-1-28T19:05:03Z",         // short month
      "+026-11-28T19:05:03Z",        // sign in year
      "2026/11/28T19:05:03Z",        // separators
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_rfc3339(c).has_value()) << "input: " << c;
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{kBase}}), "2026-11-28T11:05:03.000Z");
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{kBase + 7}}), "2026-11-28T11:05:03.007Z");
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{0}}), "1970-01-01T00:00:00.000Z");
}

TEST(Rfc3339, FormatsWithOffset) {
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{kBase}}, 480), "2026-11-28T19:05:03+08:00");
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{kBase + 250}}, 480),
            "2026-11-28T19:05:03.250+08:00");
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{kBase}}, -270), "2026-11-28T06:35:03-04:30");
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{kBase}}, 0), "2026-11-28T11:05:03+00:00");
  // Crossing midnight and a year boundary in local time.
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{1798761600000}}, 480), "2027-01-01T08:00:00+08:00");
  EXPECT_EQ(format_rfc3339(Millis{milliseconds{1798761600000}}, -60), "2026-12-31T23:00:00-01:00");
}

// The hand-written digits say what snprintf("%04d-%02u-%02uT%02d:%02d:%02d")
// said before, from year -9999 to 9999 (every field's width and the sign).
TEST(Rfc3339, FormatsLikeSnprintfAcrossYears) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> span(-377705116800000, 253402300799999);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t v = i < 3 ? std::int64_t{i - 1} : span(rng);
    const Millis t{milliseconds{v}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<milliseconds> tod{t - day};
    char want[64];
    std::snprintf(want, sizeof want, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                  int(tod.minutes().count()), int(tod.seconds().count()),
                  int(tod.subseconds().count()));
    ASSERT_EQ(format_rfc3339(t), want) << v;
  }
}

TEST(Rfc3339, RoundTrips) {
  for (std::int64_t ms : {std::int64_t{0}, kBase, kBase + 999, std::int64_t{951782400123}}) {
    for (int off : {0, 480, -300, 345}) {
      const Millis t{milliseconds{ms}};
      const auto s = format_rfc3339(t, off);
      const auto back = parse_rfc3339(s);
      ASSERT_TRUE(back) << s;
      EXPECT_EQ(back->instant, t) << s;
      EXPECT_EQ(back->offset_minutes, off) << s;
    }
    const auto u = parse_rfc3339(format_rfc3339(Millis{milliseconds{ms}}));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->instant.time_since_epoch().count(), ms);
  }
}

TEST(Rfc3339, NowIsRecent) {
  const auto a = now_millis();
  const auto b = floor<milliseconds>(system_clock::now());
  EXPECT_LE(a, b);
  EXPECT_GT(a, b - seconds{5});
}

}  // namespace
}  // namespace patrol::wire
