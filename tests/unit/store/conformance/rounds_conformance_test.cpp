// RoundStore conformance: schedules, the rounds planned from them (the store
// reconciles a plan, never touching rounds already under way), the
// read-decide-write of a round, check-ins and what progress is computed from.
#include <algorithm>
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

}  // namespace
}  // namespace patrol::store::conformance
