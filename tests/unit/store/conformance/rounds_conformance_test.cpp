// RoundStore conformance: schedules, the rounds planned from them (the store
// reconciles a plan, never touching rounds already under way), the
// read-decide-write of a round, check-ins and what progress is computed from.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <functional>
#include <set>

#include "conformance/fixture.hpp"
#include "domain/round_planner.hpp"

namespace patrol::store::conformance {
namespace {

constexpr Ms kDay = 24LL * 3600 * 1000;

template <class F>
class RoundConformance : public StoreConformance<F> {
 protected:
  Schedule schedule_ = {};
  void SetUp() override {
    StoreConformance<F>::SetUp();
    ASSERT_FALSE(this->seed_.schedules.empty());
    schedule_ = this->seed_.schedules[0];
  }
  std::vector<Round> plan(const Schedule& s, Ms from, Ms to) {
    auto r = domain::plan_rounds(s, from, to, from);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<Round>{};
  }
  std::vector<Round> rounds_of(const std::string& schedule_id) {
    RoundFilter f;
    f.scope_path = "/";
    f.limit = 1000;
    auto page = this->store_->rounds(f);
    EXPECT_TRUE(page);
    std::vector<Round> out;
    for (const auto& r : page->items)
      if (r.schedule_id == schedule_id) out.push_back(r);
    return out;
  }
};
TYPED_TEST_SUITE(RoundConformance, Implementations, ImplementationName);

TYPED_TEST(RoundConformance, SeededScheduleAndRoundsReadBack) {
  auto s = this->store_->schedule(this->schedule_.id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->weekdays, (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(s->route, this->schedule_.route);
  EXPECT_EQ(s->starts_on, this->schedule_.starts_on);
  auto rounds = this->rounds_of(this->schedule_.id);
  EXPECT_EQ(rounds.size(), this->seed_.rounds.size());
  for (const auto& r : rounds) {
    EXPECT_EQ(r.state, "planned");
    EXPECT_EQ(r.route, this->schedule_.route);
  }
  auto team = this->store_->team(this->schedule_.team_id);
  ASSERT_TRUE(team);
  EXPECT_EQ(team->org_path, "/1/2/21/");
  EXPECT_EQ(this->store_->schedule("nope").error(), errc::not_found);
}

// The JSON columns (weekdays, exceptions with and without a moved start)
// read back as written, whichever store wrote them.
TYPED_TEST(RoundConformance, ScheduleExceptionsAndWeekdaysReadBack) {
  Schedule s = this->schedule_;
  s.weekdays = {0, 6};
  s.exceptions = {{"2026-10-01", "cancel", std::nullopt}, {"2026-10-03", "move", "20:30"}};
  s.updated_at = now_ms();
  ASSERT_TRUE(this->store_->put_schedule(s, {}, s.updated_at, s.updated_at, std::nullopt));
  auto back = this->store_->schedule(s.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->weekdays, (std::vector<int>{0, 6}));
  ASSERT_EQ(back->exceptions.size(), 2u);
  EXPECT_EQ(back->exceptions[0].date, "2026-10-01");
  EXPECT_EQ(back->exceptions[0].action, "cancel");
  EXPECT_FALSE(back->exceptions[0].start_time);
  EXPECT_EQ(back->exceptions[1].action, "move");
  EXPECT_EQ(back->exceptions[1].start_time, std::optional<std::string>("20:30"));
}

TYPED_TEST(RoundConformance, PutScheduleReconcilesPlannedRoundsOnly) {
  Ms now = now_ms();
  auto before = this->rounds_of(this->schedule_.id);
  ASSERT_GE(before.size(), 3u);
  // One round is under way: a re-plan must leave it alone.
  auto started = this->store_->update_rounds({before[0].id}, [&](const Round& r) {
    Round n = r;
    n.state = "in_progress";
    n.started_at = r.starts_at;
    return std::optional<Round>(n);
  });
  ASSERT_TRUE(started);
  ASSERT_EQ(started->size(), 1u);

  Schedule s = this->schedule_;
  s.weekdays = {2, 4};  // Tue/Thu from now on
  s.start_time = "20:00";
  auto plan = this->plan(s, now, now + 21 * kDay);
  ASSERT_TRUE(this->store_->put_schedule(s, plan, now, now + 21 * kDay, std::nullopt));
  auto after = this->rounds_of(s.id);
  std::set<std::string> ids;
  for (const auto& r : after) ids.insert(r.id);
  EXPECT_TRUE(ids.count(before[0].id)) << "the started round stays";
  for (const auto& r : after) {
    if (r.id == before[0].id) {
      EXPECT_EQ(r.state, "in_progress");
      continue;
    }
    auto d = domain::parse_date(r.date);
    ASSERT_TRUE(d);
    int w = domain::iso_weekday(*d);
    EXPECT_TRUE(w == 2 || w == 4) << r.date << " weekday " << w;
  }
  for (const auto& p : plan) EXPECT_TRUE(ids.count(p.id)) << p.date;
  auto back = this->store_->schedule(s.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->start_time, "20:00");

  // The change log carries the schedule, new rounds and deleted ones.
  auto ch = this->store_->changes("/1/2/21/", 0, 100000);
  ASSERT_TRUE(ch);
  int deletes = 0, schedules = 0;
  for (const auto& c : ch->changes) {
    deletes += c.entity == "round" && c.op == "delete";
    schedules += c.entity == "schedule";
  }
  EXPECT_GT(deletes, 0);
  EXPECT_GE(schedules, 2);
}

TYPED_TEST(RoundConformance, AddRoundsIsIdempotent) {
  Ms now = now_ms();
  auto plan = this->plan(this->schedule_, now, now + 35 * kDay);
  auto first = this->store_->add_rounds(plan);
  ASSERT_TRUE(first);
  auto second = this->store_->add_rounds(plan);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(this->rounds_of(this->schedule_.id).size(), plan.size());
}

TYPED_TEST(RoundConformance, DeleteScheduleRemovesItsPlannedRounds) {
  ASSERT_TRUE(this->store_->delete_schedule(this->schedule_.id, now_ms(), std::nullopt));
  EXPECT_EQ(this->store_->schedule(this->schedule_.id).error(), errc::not_found);
  EXPECT_TRUE(this->rounds_of(this->schedule_.id).empty());
  EXPECT_EQ(this->store_->delete_schedule(this->schedule_.id, now_ms(), std::nullopt).error(),
            errc::not_found);
}

TYPED_TEST(RoundConformance, RoundsFilterAndPage) {
  RoundFilter f;
  f.scope_path = "/1/2/21/";
  f.limit = 2;
  std::vector<Round> seen;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = this->store_->rounds(f);
    ASSERT_TRUE(page);
    seen.insert(seen.end(), page->items.begin(), page->items.end());
    if (!page->next) break;
    f.after = page->next;
  }
  EXPECT_EQ(seen.size(), this->seed_.rounds.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(), [](const Round& a, const Round& b) {
    return a.starts_at < b.starts_at;
  }));
  RoundFilter other;
  other.scope_path = "/1/3/";  // 东塍镇: none there
  EXPECT_TRUE(this->store_->rounds(other)->items.empty());
  RoundFilter missed;
  missed.scope_path = "/";
  missed.state = "missed";
  EXPECT_TRUE(this->store_->rounds(missed)->items.empty());
  RoundFilter window;
  window.scope_path = "/";
  window.from = seen[1].starts_at;
  window.to = seen[1].starts_at + 1;
  auto one = this->store_->rounds(window);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->items.size(), 1u);
  EXPECT_EQ(one->items[0].id, seen[1].id);
}

TYPED_TEST(RoundConformance, TimerQueriesAndDeciderSeeTheCurrentRow) {
  auto first = this->seed_.rounds[0];
  auto early = this->store_->earliest_planned_start();
  ASSERT_TRUE(early);
  ASSERT_TRUE(*early);
  EXPECT_EQ(**early, first.starts_at);
  auto due = this->store_->planned_rounds_starting_before(first.starts_at, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->at(0).id, first.id);
  // A decider returning nullopt writes nothing.
  auto none = this->store_->update_rounds({first.id, "no-such-round"},
                                          [](const Round&) { return std::optional<Round>(); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto missed = this->store_->update_rounds({first.id}, [](const Round& r) {
    Round n = r;
    n.state = "missed";
    return std::optional<Round>(n);
  });
  ASSERT_TRUE(missed);
  ASSERT_EQ(missed->size(), 1u);
  EXPECT_EQ(this->store_->round(first.id)->state, "missed");
  due = this->store_->planned_rounds_starting_before(first.starts_at, 10);
  EXPECT_TRUE(due->empty());
}

TYPED_TEST(RoundConformance, ActivityHasCheckinsInspectionsAndTeamTracks) {
  Round r = this->seed_.rounds[0];
  const User& v = this->volunteer();
  ASSERT_FALSE(r.route.empty());
  ASSERT_TRUE(this->store_->add_checkin(r.id, r.route[0], v.id, r.starts_at + 1000));
  ASSERT_TRUE(this->store_->add_checkin(r.id, r.route[0], v.id, r.starts_at + 500));  // idempotent
  this->apply(this->positions_op(v, 5, r.starts_at + 60'000));
  auto a = this->store_->round_activity(r, r.starts_at, r.ends_at);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->route_sites.size(), r.route.size());
  EXPECT_EQ(a->route_sites[0].id, r.route[0]);
  EXPECT_EQ(a->visited_site_ids, (std::vector<std::string>{r.route[0]}));
  EXPECT_EQ(a->member_ids, (std::vector<std::string>{v.id}));
  EXPECT_EQ(a->track.size(), 5u);
  auto outside = this->store_->round_activity(r, r.ends_at + 1, r.ends_at + 2);
  ASSERT_TRUE(outside);
  EXPECT_TRUE(outside->track.empty());
}

// Every write that counts towards a round's progress stores it
// (domain::with_progress): a check-in, a finish (the team's track inside a
// route site's geofence, distance walked) and an inspection naming the round.
TYPED_TEST(RoundConformance, StoredProgressFollowsCheckinsTrackAndInspections) {
  Round r = this->seed_.rounds[0];
  const User& v = this->volunteer();
  ASSERT_GE(r.route.size(), 3u);
  auto site = [&](const std::string& id) {
    for (const auto& s : this->seed_.sites)
      if (s.id == id) return s;
    ADD_FAILURE() << "no site " << id;
    return Site{};
  };
  auto op = [&](std::optional<std::string> checkin, std::function<Round(Round)> next) {
    RoundOpWrite w;
    w.round_id = r.id;
    w.user_id = v.id;
    w.at = r.starts_at;
    w.checkin_site_id = std::move(checkin);
    w.decide =
        [next](const Round& cur) -> boost::system::result<std::optional<Round>, wire::FieldError> {
      return std::optional<Round>(next(cur));
    };
    return PreparedOp{wire::make_uuid_v7(), v.id, "dev", "round.checkin", std::move(w)};
  };
  this->apply(op(r.route[0], [&](Round n) {
    n.state = "in_progress";
    n.started_at = r.starts_at;
    return n;
  }));
  auto stored = this->store_->round(r.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "in_progress");
  EXPECT_EQ(stored->sites_visited, 1) << "the check-in";

  // The volunteer walks to the second site (a point on it, then ~111 m north).
  Site s1 = site(r.route[1]);
  PositionsWrite w;
  w.user_id = v.id;
  w.device_id = "dev";
  w.org_unit_id = v.org_unit_id;
  w.org_path = v.org_path;
  w.points.push_back({0, v.id, r.starts_at + 60'000, s1.lat, s1.lon, 5.0});
  w.points.push_back({0, v.id, r.starts_at + 120'000, s1.lat + 0.001, s1.lon, 5.0});
  w.points.push_back({0, v.id, r.ends_at + 3'600'000, s1.lat + 0.5, s1.lon, 5.0});  // after it
  this->apply(PreparedOp{wire::make_uuid_v7(), v.id, "dev", "position.append", w});
  this->apply(op(std::nullopt, [&](Round n) {
    n.state = "completed";
    n.finished_at = r.starts_at + 30 * 60'000;
    return n;
  }));
  stored = this->store_->round(r.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "completed");
  EXPECT_GE(stored->sites_visited, 2) << "the track entered the second site's geofence";
  EXPECT_NEAR(stored->distance_m, 111.2, 1.0) << "the walk inside the round only";

  // An inspection naming the round at the third site counts too.
  auto insp = this->inspection_op(site(r.route[2]), r.starts_at + 10 * 60'000);
  std::get<InspectionWrite>(insp.action).inspection.round_id = r.id;
  this->apply(std::move(insp));
  auto after = this->store_->round(r.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->sites_visited, stored->sites_visited + 1);
  // And what sync/pull hands phones is the same round.
  auto changes = this->store_->changes("/1/2/21/", 0, 1000);
  ASSERT_TRUE(changes);
  std::int64_t visited = -1;
  for (const auto& c : changes->changes)
    if (c.entity == "round" && c.id == r.id)
      visited = boost::json::parse(c.data).at("progress").at("sites_visited").as_int64();
  EXPECT_EQ(visited, after->sites_visited);
}

}  // namespace
}  // namespace patrol::store::conformance
