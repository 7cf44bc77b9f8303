#include "domain/round_rules.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace patrol::domain {
namespace {

constexpr Ms kMin = 60'000;
constexpr Ms kStart = 1'800'000'000'000;  // an arbitrary planned start

RoundTimes round_in(RoundState s, std::optional<Ms> started = {}, std::optional<Ms> finished = {}) {
  return {s, kStart, kStart + 120 * kMin, started, finished};
}

const char* action_name(RoundAction a) {
  return a == RoundAction::start ? "start" : a == RoundAction::finish ? "finish" : "checkin";
}

TEST(RoundRules, EveryStateAndActionFromATable) {
  RoundPolicy p;
  p.grace_ms = 30 * kMin;
  p.early_ms = 60 * kMin;
  struct Case {
    RoundTimes from;
    RoundAction action;
    Ms t;
    const char* expect_state;  // or the error code
    bool changed;
  } cases[] = {
      // start
      {round_in(RoundState::planned), RoundAction::start, kStart, "in_progress", true},
      {round_in(RoundState::planned), RoundAction::start, kStart - 60 * kMin, "in_progress", true},
      {round_in(RoundState::planned), RoundAction::start, kStart - 61 * kMin, "too_early", false},
      {round_in(RoundState::planned), RoundAction::start, kStart + 30 * kMin, "in_progress", true},
      {round_in(RoundState::planned), RoundAction::start, kStart + 31 * kMin, "too_late", false},
      {round_in(RoundState::missed), RoundAction::start, kStart + 5 * kMin, "in_progress", true},
      {round_in(RoundState::missed), RoundAction::start, kStart + 40 * kMin, "too_late", false},
      {round_in(RoundState::in_progress, kStart), RoundAction::start, kStart + kMin, "in_progress",
       false},
      {round_in(RoundState::in_progress, kStart), RoundAction::start, kStart - kMin, "in_progress",
       true},
      {round_in(RoundState::completed, kStart, kStart + 90 * kMin), RoundAction::start,
       kStart + kMin, "completed", false},
      {round_in(RoundState::cancelled), RoundAction::start, kStart, "invalid_transition", false},
      // finish
      {round_in(RoundState::in_progress, kStart), RoundAction::finish, kStart + 90 * kMin,
       "completed", true},
      {round_in(RoundState::completed, kStart, kStart + 90 * kMin), RoundAction::finish,
       kStart + 95 * kMin, "completed", true},
      {round_in(RoundState::completed, kStart, kStart + 90 * kMin), RoundAction::finish,
       kStart + 80 * kMin, "completed", false},
      {round_in(RoundState::planned), RoundAction::finish, kStart, "invalid_transition", false},
      {round_in(RoundState::missed), RoundAction::finish, kStart, "invalid_transition", false},
      {round_in(RoundState::cancelled), RoundAction::finish, kStart, "invalid_transition", false},
      // checkin
      {round_in(RoundState::planned), RoundAction::checkin, kStart + kMin, "in_progress", true},
      {round_in(RoundState::planned), RoundAction::checkin, kStart + 50 * kMin, "too_late", false},
      {round_in(RoundState::missed), RoundAction::checkin, kStart + kMin, "in_progress", true},
      {round_in(RoundState::in_progress, kStart), RoundAction::checkin, kStart + kMin,
       "in_progress", false},
      {round_in(RoundState::completed, kStart, kStart + kMin), RoundAction::checkin, kStart,
       "completed", false},
      {round_in(RoundState::cancelled), RoundAction::checkin, kStart, "invalid_transition", false},
  };
  for (const auto& c : cases) {
    std::ostringstream in;
    in << to_string(c.from.state) << " --" << action_name(c.action) << "@" << (c.t - kStart) / kMin
       << "min--> expect " << c.expect_state;
    auto d = apply(c.from, c.action, c.t, p);
    if (d) {
      EXPECT_EQ(to_string(d->next.state), c.expect_state) << in.str();
      EXPECT_EQ(d->changed, c.changed) << in.str();
      if (d->next.state == RoundState::in_progress) {
        EXPECT_TRUE(d->next.started_at) << in.str();
      }
    } else {
      EXPECT_EQ(d.error().code, c.expect_state) << in.str() << ": " << d.error().message;
    }
  }
}

TEST(RoundRules, InvalidTransitionNamesTheState) {
  auto d = apply(round_in(RoundState::cancelled), RoundAction::start, kStart, {});
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("cancelled"), std::string::npos) << d.error().message;
}

TEST(RoundRules, MissedOnlyAfterTheGrace) {
  RoundPolicy p;
  p.grace_ms = 2'000;
  auto r = round_in(RoundState::planned);
  EXPECT_FALSE(is_missed(r, kStart + 1'999, p));
  EXPECT_TRUE(is_missed(r, kStart + 2'000, p));
  EXPECT_FALSE(is_missed(round_in(RoundState::in_progress, kStart), kStart + 9'000, p));
  EXPECT_EQ(missed_due(r, p), kStart + 2'000);
  for (auto s : {"planned", "in_progress", "completed", "missed", "cancelled"})
    EXPECT_EQ(to_string(*parse_round_state(s)), s);
  EXPECT_FALSE(parse_round_state("done"));
}

TEST(RoundRules, DurationsForTheGraceOption) {
  struct Case {
    const char* in;
    std::optional<Ms> ms;
  } cases[] = {{"90s", 90'000}, {"30m", 1'800'000}, {"2h", 7'200'000}, {"1d", 86'400'000},
               {"45", 45'000},  {"0s", 0},          {"", {}},          {"m", {}},
               {"-5s", {}},     {"5x", {}},         {"1.5h", {}},      {"9999999999s", {}}};
  for (const auto& c : cases) EXPECT_EQ(parse_duration(c.in), c.ms) << "'" << c.in << "'";
}

TEST(RoundRules, HaversineAgreesWithKnownDistances) {
  struct Case {
    double lat1, lon1, lat2, lon2, metres, tolerance;
  } cases[] = {
      {28.8571, 121.1432, 28.8571, 121.1432, 0, 1e-6},
      {0, 0, 0, 1, 111195.08, 1},                             // one degree on the equator
      {28.8571, 121.1432, 28.8580, 121.1432, 100.08, 0.5},    // 0.0009° of latitude
      {39.9042, 116.4074, 31.2304, 121.4737, 1067000, 5000},  // Beijing–Shanghai
  };
  for (const auto& c : cases)
    EXPECT_NEAR(haversine_m(c.lat1, c.lon1, c.lat2, c.lon2), c.metres, c.tolerance)
        << c.lat1 << "," << c.lon1 << " → " << c.lat2 << "," << c.lon2;
}

TEST(RoundRules, ProgressCountsVisitsGeofenceDistanceAndMembers) {
  // Three sites 0.001° of latitude (~111 m) apart, walked north.
  std::vector<SitePoint> route = {
      {"s1", 28.850, 121.140}, {"s2", 28.851, 121.140}, {"s3", 28.852, 121.140}};
  auto r = round_in(RoundState::completed, kStart, kStart + 60 * kMin);
  std::vector<TrackSample> track = {
      {"u1", kStart + 10 * kMin, 28.8511, 121.140},  // within 30 m of s2
      {"u1", kStart + 5 * kMin, 28.8500, 121.140},   // unsorted input, at s1
      {"u1", kStart + 20 * kMin, 28.8530, 121.140},  // past s3, not near it
      {"u2", kStart + 10 * kMin, 28.8600, 121.140},  // far away
      {"u3", kStart - 10 * kMin, 28.8520, 121.140},  // at s3 but before the start: ignored
  };
  auto p = progress(r, route, 30, {"s3"}, track, {"u4"}, kStart + 200 * kMin);
  EXPECT_EQ(p.sites_planned, 3);
  EXPECT_EQ(p.sites_visited, 3);  // s1, s2 by track, s3 by check-in
  EXPECT_EQ(p.visited, (std::vector<std::string>{"s1", "s2", "s3"}));
  EXPECT_NEAR(p.distance_m, 333.6, 1.0);  // u1: 28.8500 → 28.8511 → 28.8530
  EXPECT_EQ(p.duration_ms, 60 * kMin);
  EXPECT_EQ(p.members_present, (std::vector<std::string>{"u1", "u2", "u4"}));

  auto planned = progress(round_in(RoundState::planned), route, 30, {}, track, {}, kStart);
  EXPECT_EQ(planned.sites_visited, 0);
  EXPECT_EQ(planned.distance_m, 0);
  EXPECT_EQ(planned.duration_ms, 0);

  // A check-in of a site not on the route is not a route visit.
  auto off = progress(r, route, 30, {"elsewhere"}, {}, {}, kStart);
  EXPECT_EQ(off.sites_visited, 0);
}

}  // namespace
}  // namespace patrol::domain
