// domain::SiteTally: what one site's row of a village's overview counts, from
// rows given here (the stores' side is the conformance suite's).
#include <gtest/gtest.h>

#include "domain/site_overview.hpp"

using patrol::domain::SiteTally;
using patrol::store::OverviewSite;

namespace {

OverviewSite site(const char* id, const char* name) {
  OverviewSite s;
  s.id = id;
  s.name = name;
  return s;
}

TEST(SiteTally, CountsThePeriodAndNowAndOrdersOpenHazardsFirst) {
  constexpr patrol::store::Ms from = 1000, to = 2000;
  SiteTally t(from, to);
  t.site(site("a", "甲"));
  t.site(site("b", "乙"));
  t.site(site("c", "丙"));
  t.site(site("a", "甲again"));  // listed once
  t.inspections("a", 2, 1500);
  t.inspections("b", 0, 500);             // only before the period: last inspected, none in it
  t.inspections("zzz", 9, 1500);          // not a site of the node: ignored
  t.hazard("b", "open", true, 1200);      // found in the period, open, overdue
  t.hazard("b", "assigned", false, 100);  // found before: open now only
  t.hazard("c", "closed", false, 1300);   // found and closed in the period
  t.hazard("c", "closed", false, 100);    // closed long ago: nothing
  t.hazard("a", "open", false, 2500);     // found after the period: open now only
  t.round("r1", "completed", {"a", "b", "a"});  // a site twice on a route: planned once
  t.round("r2", "cancelled", {"a", "b", "c"});  // cancelled plans nothing
  t.round("r3", "missed", {"c"});
  t.visit("r1", "a");
  t.visit("r1", "a");  // a check-in and an inspection: one visit
  t.visit("r1", "c");  // not on r1's route: no visit
  t.visit("r2", "b");  // a cancelled round's: no visit
  auto rows = t.take();
  ASSERT_EQ(rows.size(), 3u);
  // b: 2 open now (1 overdue); a: 1 open now; c: none.
  EXPECT_EQ(rows[0].id, "b");
  EXPECT_EQ(rows[1].id, "a");
  EXPECT_EQ(rows[2].id, "c");
  const auto& b = rows[0];
  EXPECT_EQ(b.inspections, 0);
  EXPECT_EQ(b.last_inspected_at, 500);
  EXPECT_EQ(b.hazards_found, 1);
  EXPECT_EQ(b.hazards_open, 1);
  EXPECT_EQ(b.hazards_overdue, 1);
  EXPECT_EQ(b.hazards_closed, 0);
  EXPECT_EQ(b.open_hazards, 2);
  EXPECT_EQ(b.overdue_hazards, 1);
  EXPECT_EQ(b.rounds_planned, 1);
  EXPECT_EQ(b.rounds_visited, 0);
  const auto& a = rows[1];
  EXPECT_EQ(a.inspections, 2);
  EXPECT_EQ(a.last_inspected_at, 1500);
  EXPECT_EQ(a.hazards_found, 0);
  EXPECT_EQ(a.open_hazards, 1);
  EXPECT_EQ(a.rounds_planned, 1);
  EXPECT_EQ(a.rounds_visited, 1);
  const auto& c = rows[2];
  EXPECT_FALSE(c.last_inspected_at);
  EXPECT_EQ(c.hazards_found, 1);
  EXPECT_EQ(c.hazards_closed, 1);
  EXPECT_EQ(c.hazards_open, 0);
  EXPECT_EQ(c.open_hazards, 0);
  EXPECT_EQ(c.rounds_planned, 1);
  EXPECT_EQ(c.rounds_visited, 0);
}

TEST(SiteTally, TiesGoToTheLeastInspectedThenByName) {
  SiteTally t(0, 10);
  t.site(site("x", "b"));
  t.site(site("y", "a"));
  t.site(site("z", "c"));
  t.inspections("z", 3, 5);
  auto rows = t.take();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, "y");
  EXPECT_EQ(rows[1].id, "x");
  EXPECT_EQ(rows[2].id, "z");
}

TEST(SiteTally, OnlyVillagesAndBelowListSites) {
  EXPECT_TRUE(patrol::domain::overview_lists_sites("village"));
  EXPECT_TRUE(patrol::domain::overview_lists_sites("grid"));
  EXPECT_FALSE(patrol::domain::overview_lists_sites("town"));
  EXPECT_FALSE(patrol::domain::overview_lists_sites("city"));
}

}  // namespace
