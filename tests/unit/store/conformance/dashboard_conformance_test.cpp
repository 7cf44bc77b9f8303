// DashboardStore conformance: scoped, keyset-paginated lists.
#include <set>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using DashboardConformance = StoreConformance<F>;
TYPED_TEST_SUITE(DashboardConformance, Implementations, ImplementationName);

TYPED_TEST(DashboardConformance, InspectionsNewestFirstPagedAndFiltered) {
  const Site& site = this->village_site();
  Ms t0 = 1'700'000'000'000;
  for (int i = 0; i < 5; ++i) this->apply(this->inspection_op(site, t0 + i * 1000));
  InspectionFilter f;
  f.scope_path = "/1/2/21/";
  f.limit = 2;
  std::vector<Inspection> all;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = this->store_->inspections(f);
    ASSERT_TRUE(page);
    for (auto& i : page->items) all.push_back(i);
    if (!page->next) break;
    f.after = std::stoll(*page->next);
  }
  ASSERT_EQ(all.size(), 5u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i].seq, all[i - 1].seq);
  EXPECT_EQ(all[0].observed_ms, t0 + 4000);
  EXPECT_EQ(all[0].items.size(), 1u);
  EXPECT_EQ(all[0].items[0].code, "corridor_clutter");
  EXPECT_GT(all[0].received_ms, 0);

  InspectionFilter window;
  window.scope_path = "/1/2/21/";
  window.since = t0 + 1000;
  window.until = t0 + 3000;
  auto w = this->store_->inspections(window);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->items.size(), 2u);

  InspectionFilter elsewhere;
  elsewhere.scope_path = "/1/3/22/";
  auto e = this->store_->inspections(elsewhere);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->items.empty());
  InspectionFilter by_other_user = window;
  by_other_user.user_id = this->user("13900000005").id;
  auto o = this->store_->inspections(by_other_user);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->items.empty());
}

TYPED_TEST(DashboardConformance, HazardsFilteredByStateAndScope) {
  this->apply(this->inspection_op(this->village_site(), now_ms(), std::vector<std::string>{}));
  HazardFilter f;
  f.scope_path = "/1/2/21/";
  f.state = "open";
  auto open = this->store_->hazards(f);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->items.size(), 1u);
  f.state = "closed";
  auto closed = this->store_->hazards(f);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closed->items.empty());
  HazardFilter other;
  other.scope_path = "/1/3/22/";
  auto o = this->store_->hazards(other);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->items.empty());
}

TYPED_TEST(DashboardConformance, LatestPositionKeepsTheNewestObservation) {
  const User& u = this->volunteer();
  this->apply(this->positions_op(u, 3, 5'000'000));  // t = 5,000,000 … 5,002,000
  this->apply(this->positions_op(u, 1, 4'000'000));  // late, older
  auto page = this->store_->latest_positions("/1/2/21/", std::nullopt, 100);
  ASSERT_TRUE(page);
  const LatestPosition* mine = nullptr;
  for (const auto& p : page->items)
    if (p.user_id == u.id) mine = &p;
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->t, 5'002'000);
  EXPECT_EQ(mine->user_name, u.name);
  auto elsewhere = this->store_->latest_positions("/1/3/22/", std::nullopt, 100);
  ASSERT_TRUE(elsewhere);
  for (const auto& p : elsewhere->items) EXPECT_NE(p.user_id, u.id);
}

TYPED_TEST(DashboardConformance, TrackByTimeThenArrivalAcrossPages) {
  const User& u = this->volunteer();
  this->apply(this->positions_op(u, 5, 6'000'000));
  this->apply(this->positions_op(u, 2, 6'000'500));  // interleaves in time
  TrackFilter f{u.id, std::nullopt, std::nullopt, std::nullopt, 3};
  std::vector<TrackPoint> all;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = this->store_->track(f);
    ASSERT_TRUE(page);
    for (auto& p : page->items) all.push_back(p);
    if (!page->next) break;
    f.after = std::make_pair(page->items.back().t, page->items.back().seq);
  }
  ASSERT_EQ(all.size(), 7u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].t, all[i].t);
  TrackFilter window{u.id, 6'001'000, 6'003'000, std::nullopt, 100};
  auto w = this->store_->track(window);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->items.size(), 3u);  // 6,001,000 6,001,500 6,002,000
}

// AlertStore: the first acknowledgement stays; out of scope is not_found.
TYPED_TEST(DashboardConformance, AcknowledgingAnAlertOnceInScope) {
  const User& u = this->volunteer();
  SosWrite w;
  w.alert.id = wire::make_uuid_v7();
  w.alert.user_id = u.id;
  w.alert.org_unit_id = u.org_unit_id;
  w.alert.org_path = u.org_path;
  w.alert.raised_at = now_ms();
  this->apply(PreparedOp{wire::make_uuid_v7(), u.id, "dev", "sos.raise", w});
  auto& s = *this->store_;
  EXPECT_EQ(s.acknowledge_alert(w.alert.id, "/9/", u.id, now_ms()).error(), errc::not_found);
  EXPECT_EQ(s.acknowledge_alert("no-such-alert", "/", u.id, now_ms()).error(), errc::not_found);
  const Ms at = now_ms();
  auto first = s.acknowledge_alert(w.alert.id, "/1/", u.id, at);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->alert.state, "acknowledged");
  auto again = s.acknowledge_alert(w.alert.id, "/1/", u.id, at + 5000);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->alert.acknowledged_at, at);
  AlertFilter f;
  f.scope_path = u.org_path;
  auto listed = s.alerts(f);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].state, "acknowledged");
  EXPECT_EQ(listed->items[0].acknowledged_by, u.id);
  EXPECT_EQ(listed->items[0].acknowledged_at, at);
}

TYPED_TEST(DashboardConformance, AlertsNewestFirstAndPerUser) {
  const User& u = this->volunteer();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    SosWrite w;
    w.alert.id = wire::make_uuid_v7();
    w.alert.user_id = u.id;
    w.alert.org_unit_id = u.org_unit_id;
    w.alert.org_path = u.org_path;
    w.alert.raised_at = now_ms();
    w.alert.note = "help " + std::to_string(i);
    ids.push_back(w.alert.id);
    this->apply(PreparedOp{wire::make_uuid_v7(), u.id, "dev", "sos.raise", w});
  }
  AlertFilter f;
  f.scope_path = "/1/2/21/";
  f.limit = 2;
  auto p1 = this->store_->alerts(f);
  ASSERT_TRUE(p1);
  ASSERT_EQ(p1->items.size(), 2u);
  EXPECT_EQ(p1->items[0].id, ids[2]);
  EXPECT_EQ(p1->items[0].state, "open");
  EXPECT_EQ(p1->items[0].user_name, u.name);
  ASSERT_TRUE(p1->next);
  f.after = std::stoll(*p1->next);
  auto p2 = this->store_->alerts(f);
  ASSERT_TRUE(p2);
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_EQ(p2->items[0].id, ids[0]);
  AlertFilter theirs;
  theirs.scope_path = "/";
  theirs.user_id = this->user("13900000005").id;
  auto t = this->store_->alerts(theirs);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->items.empty());
}

}  // namespace
}  // namespace patrol::store::conformance
