// AdminStore and OverviewStore conformance.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using AdminConformance = StoreConformance<F>;
TYPED_TEST_SUITE(AdminConformance, Implementations, ImplementationName);

TYPED_TEST(AdminConformance, CreateListUpdateDisable) {
  UserWrite w;
  w.user = {wire::make_uuid_v7(),        "13911112222", "新队员", "volunteer",
            domain::kDatianLiuVillageId, "/1/2/21/"};
  w.password_hash = "scrypt$new";
  ASSERT_TRUE(this->store_->create_user(w, now_ms()));
  UserWrite dup = w;
  dup.user.id = wire::make_uuid_v7();
  EXPECT_EQ(this->store_->create_user(dup, now_ms()).error(), errc::conflict) << "phone taken";
  UserWrite nowhere = w;
  nowhere.user.id = wire::make_uuid_v7();
  nowhere.user.phone = "13911113333";
  nowhere.user.org_unit_id = 999999;
  EXPECT_EQ(this->store_->create_user(nowhere, now_ms()).error(), errc::not_found);

  UserFilter f;
  f.scope_path = "/1/2/21/";
  f.limit = 2;
  std::set<std::string> phones;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = this->store_->users(f);
    ASSERT_TRUE(page);
    for (const auto& u : page->items) phones.insert(u.phone);
    if (!page->next) break;
    f.after = page->next;
  }
  EXPECT_TRUE(phones.count("13911112222"));
  EXPECT_TRUE(phones.count("13900000007"));
  EXPECT_FALSE(phones.count("13900000003")) << "another village";

  ASSERT_TRUE(this->store_->create_session({"tok", w.user.id, "dev", now_ms(), now_ms() + 60'000}));
  w.disabled = true;
  w.password_hash.reset();
  ASSERT_TRUE(this->store_->update_user(w));
  EXPECT_FALSE(this->store_->session("tok", now_ms())) << "disabling ends sessions";
  UserFilter all;
  all.scope_path = "/1/2/21/";
  all.limit = 100;
  bool flagged = false;
  auto listed = this->store_->users(all);
  ASSERT_TRUE(listed);
  for (const auto& u : listed->items)
    if (u.id == w.user.id) flagged = u.disabled;
  EXPECT_TRUE(flagged);
  UserWrite ghost = w;
  ghost.user.id = "nope";
  ghost.user.phone = "13911114444";
  EXPECT_EQ(this->store_->update_user(ghost).error(), errc::not_found);
}

TYPED_TEST(AdminConformance, OrgChildren) {
  auto kids = this->store_->org_children(domain::kLinhaiId);
  ASSERT_TRUE(kids);
  EXPECT_EQ(kids->size(), 19u);
  auto none = this->store_->org_children(999999);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(AdminConformance, TeamsWithMembersPutListDelete) {
  const User& leader = this->user("13900000001");
  const User& v = this->volunteer();
  auto start = this->store_->changes("/1/2/21/", 0, 100000);
  ASSERT_TRUE(start);
  Team t;
  t.id = wire::make_uuid_v7();
  t.org_unit_id = domain::kDatianLiuVillageId;
  t.org_path = "/1/2/21/";
  t.name = "夜巡二队";
  t.leader_id = leader.id;
  t.members = {{v.id, "", "member"}};  // the leader is added
  ASSERT_TRUE(this->store_->put_team(t));
  auto got = this->store_->team_with_members(t.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "夜巡二队");
  ASSERT_EQ(got->members.size(), 2u);
  EXPECT_EQ(got->members[0].user_id, leader.id);
  EXPECT_EQ(got->members[0].role, "leader");
  EXPECT_EQ(got->members[1].user_id, v.id);
  EXPECT_EQ(got->members[1].name, v.name);
  EXPECT_EQ(got->members[1].role, "member");

  TeamFilter f;
  f.scope_path = "/1/2/21/";
  f.limit = 1;
  std::set<std::string> ids;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = this->store_->teams(f);
    ASSERT_TRUE(page);
    for (const auto& x : page->items) {
      ids.insert(x.id);
      EXPECT_FALSE(x.members.empty()) << "listed with members";
    }
    if (!page->next) break;
    f.after = page->next;
  }
  EXPECT_EQ(ids.size(), 2u) << "the seeded team and the new one";
  f.scope_path = "/1/3/22/";
  f.after.reset();
  EXPECT_TRUE(this->store_->teams(f)->items.empty()) << "another village";

  // Replacing the member list; an unknown member or org unit is not_found.
  t.members = {};
  t.leader_id.reset();
  ASSERT_TRUE(this->store_->put_team(t));
  EXPECT_TRUE(this->store_->team_with_members(t.id)->members.empty());
  Team bad = t;
  bad.members = {{"no-such-user", "", "member"}};
  EXPECT_EQ(this->store_->put_team(bad).error(), errc::not_found);
  bad = t;
  bad.org_unit_id = 999999;
  EXPECT_EQ(this->store_->put_team(bad).error(), errc::not_found);

  // A scheduled team cannot go; another one can, once.
  EXPECT_EQ(this->store_->delete_team(this->seed_.schedules[0].team_id).error(), errc::conflict);
  ASSERT_TRUE(this->store_->delete_team(t.id));
  EXPECT_EQ(this->store_->team_with_members(t.id).error(), errc::not_found);
  EXPECT_EQ(this->store_->delete_team(t.id).error(), errc::not_found);
  EXPECT_EQ(this->store_->put_team(t).error(), errc::not_found) << "deleted stays deleted";

  // Phones: an upsert per write, then a delete.
  auto log = this->store_->changes("/1/2/21/", start->cursor, 1000);
  ASSERT_TRUE(log);
  std::vector<std::string> ops;
  for (const auto& c : log->changes)
    if (c.entity == "team" && c.id == t.id) ops.push_back(c.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"upsert", "upsert", "delete"}));
}

TYPED_TEST(AdminConformance, SitesPutMoveDelete) {
  auto start = this->store_->changes("/", 0, 100000);
  ASSERT_TRUE(start);
  Site s;
  s.id = wire::make_uuid_v7();
  s.org_unit_id = domain::kDatianLiuVillageId;
  s.org_path = "/1/2/21/";
  s.name = "新店";
  s.category = "shop";
  s.address = "1 号";
  s.lat = 28.85;
  s.lon = 121.14;
  s.template_id = "tpl-small-premises";
  s.updated_at = now_ms();
  ASSERT_TRUE(this->store_->put_site(s));
  auto got = this->store_->site(s.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "新店");
  EXPECT_EQ(got->address, "1 号");
  EXPECT_FALSE(got->deleted);

  // Moved to 东溪单村: a delete at the old path, an upsert at the new.
  s.org_unit_id = 22;
  s.org_path = "/1/3/22/";
  s.name = "新店（迁）";
  ASSERT_TRUE(this->store_->put_site(s));
  auto liu = this->store_->changes("/1/2/21/", start->cursor, 1000);
  auto shan = this->store_->changes("/1/3/22/", start->cursor, 1000);
  ASSERT_TRUE(liu && shan);
  std::vector<std::string> liu_ops, shan_ops;
  for (const auto& c : liu->changes)
    if (c.entity == "site" && c.id == s.id) liu_ops.push_back(c.op);
  for (const auto& c : shan->changes)
    if (c.entity == "site" && c.id == s.id) shan_ops.push_back(c.op);
  EXPECT_EQ(liu_ops, (std::vector<std::string>{"upsert", "delete"}));
  EXPECT_EQ(shan_ops, (std::vector<std::string>{"upsert"}));

  Site nowhere = s;
  nowhere.org_unit_id = 999999;
  EXPECT_EQ(this->store_->put_site(nowhere).error(), errc::not_found);

  // On a schedule's route: conflict. Otherwise deleted: not listed, not
  // counted, still found (flagged) for late reports.
  EXPECT_EQ(this->store_->delete_site(this->seed_.schedules[0].route[0], now_ms()).error(),
            errc::conflict);
  SiteFilter f;
  f.scope_path = "/1/3/22/";
  f.limit = 1000;
  auto before = this->store_->sites(f);
  ASSERT_TRUE(before);
  ASSERT_TRUE(this->store_->delete_site(s.id, now_ms()));
  auto after = this->store_->sites(f);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->items.size() + 1, before->items.size());
  auto flagged = this->store_->site(s.id);
  ASSERT_TRUE(flagged);
  EXPECT_TRUE(flagged->deleted);
  EXPECT_EQ(this->store_->delete_site(s.id, now_ms()).error(), errc::not_found);
  EXPECT_EQ(this->store_->put_site(s).error(), errc::not_found);
  auto k = this->store_->overview_counts("/1/3/22/", 0, now_ms() + 1);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->sites, static_cast<std::int64_t>(after->items.size()));
}

template <class F>
using OverviewConformance = StoreConformance<F>;
TYPED_TEST_SUITE(OverviewConformance, Implementations, ImplementationName);

// The counts against a dataset whose answers the test computes itself.
TYPED_TEST(OverviewConformance, CountsMatchTheDataset) {
  Ms now = now_ms();
  std::vector<const Site*> liu;
  for (const auto& s : this->seed_.sites)
    if (s.org_unit_id == domain::kDatianLiuVillageId) liu.push_back(&s);
  ASSERT_GE(liu.size(), 4u);
  // 3 ok inspections at sites 0,1,1; hazards at sites 2 and 3.
  this->apply(this->inspection_op(*liu[0], now - 1000));
  this->apply(this->inspection_op(*liu[1], now - 1000));
  this->apply(this->inspection_op(*liu[1], now - 1000));
  this->apply(this->inspection_op(*liu[2], now - 1000, std::vector<std::string>{}));
  this->apply(this->inspection_op(*liu[3], now - 1000, std::vector<std::string>{}));
  // An inspection outside the period does not count.
  this->apply(this->inspection_op(*liu[0], now - 40LL * 24 * 3600 * 1000));
  auto hz = this->hazards_at(*liu[3]);
  ASSERT_EQ(hz.size(), 1u);
  ASSERT_TRUE(this->store_->change_hazard(hz[0].id, [&](const Hazard& cur) {
    HazardChange c{cur, std::nullopt};
    c.next.state = "closed";
    c.next.closed_at = cur.first_found_at + 36LL * 3600 * 1000;
    return std::optional<HazardChange>(c);
  }));
  Ms from = now - 7LL * 24 * 3600 * 1000, to = now + 1;
  auto k = this->store_->overview_counts("/1/2/21/", from, to);
  ASSERT_TRUE(k);
  std::int64_t liu_sites = static_cast<std::int64_t>(liu.size());
  EXPECT_EQ(k->sites, liu_sites);
  EXPECT_EQ(k->inspections, 5);
  EXPECT_EQ(k->sites_covered, 4);
  EXPECT_EQ(k->hazards_found, 2);
  EXPECT_EQ(k->hazards_open, 1);
  EXPECT_EQ(k->hazards_closed, 1);
  EXPECT_EQ(k->hazards_rectified, 1);
  EXPECT_EQ(k->hazards_by_item["flying_wire_charging"], 2);
  std::map<std::string, std::int64_t> by_category;  // computed from the sites themselves
  ++by_category[liu[2]->category];
  ++by_category[liu[3]->category];
  EXPECT_EQ(k->hazards_by_category, by_category);
  ASSERT_EQ(k->close_hours.size(), 1u);
  EXPECT_DOUBLE_EQ(k->close_hours[0], 36.0);
  // Rounds in the window by state: the seeded ones ahead are planned.
  std::int64_t planned = 0;
  for (const auto& r : this->seed_.rounds) planned += r.starts_at >= from && r.starts_at < to;
  EXPECT_EQ(k->rounds_by_state["planned"], planned);
  // Another village sees none of it.
  auto shan = this->store_->overview_counts("/1/3/22/", from, to);
  ASSERT_TRUE(shan);
  EXPECT_EQ(shan->inspections, 0);
  EXPECT_EQ(shan->hazards_found, 0);

  // The tree in one pass: the town 大田街道 with its villages equals
  // overview_counts() of each; weekly splits the node's period.
  auto kids = this->store_->org_children(2);
  ASSERT_TRUE(kids);
  std::vector<std::string> paths;
  for (const auto& c : *kids) paths.push_back(c.path);
  constexpr Ms kWeek = 7LL * 24 * 3600 * 1000;
  std::vector<Ms> weeks = {from - kWeek / 2, from + kWeek / 2};  // `now` lies in the second
  auto tree = this->store_->overview_tree("/1/2/", paths, from, to, weeks);
  ASSERT_TRUE(tree);
  ASSERT_EQ(tree->children.size(), paths.size());
  auto same = [](const OverviewCounts& a, const OverviewCounts& b, const std::string& what) {
    EXPECT_EQ(a.rounds_by_state, b.rounds_by_state) << what;
    EXPECT_EQ(a.sites, b.sites) << what;
    EXPECT_EQ(a.sites_covered, b.sites_covered) << what;
    EXPECT_EQ(a.inspections, b.inspections) << what;
    EXPECT_EQ(a.hazards_found, b.hazards_found) << what;
    EXPECT_EQ(a.hazards_open, b.hazards_open) << what;
    EXPECT_EQ(a.hazards_closed, b.hazards_closed) << what;
    EXPECT_EQ(a.hazards_overdue, b.hazards_overdue) << what;
    EXPECT_EQ(a.hazards_rectified, b.hazards_rectified) << what;
    EXPECT_EQ(a.hazards_by_item, b.hazards_by_item) << what;
    EXPECT_EQ(a.hazards_by_category, b.hazards_by_category) << what;
    EXPECT_EQ(a.close_hours, b.close_hours) << what;
  };
  same(tree->node, *this->store_->overview_counts("/1/2/", from, to), "node");
  for (std::size_t i = 0; i < paths.size(); ++i)
    same(tree->children[i], *this->store_->overview_counts(paths[i], from, to), paths[i]);
  ASSERT_EQ(tree->node.weekly.size(), 2u);
  EXPECT_EQ(tree->node.weekly[0].week_start, weeks[0]);
  // Everything this test wrote lies in the second week (observed `now - 1000`).
  EXPECT_EQ(tree->node.weekly[0].inspections, 0);
  EXPECT_EQ(tree->node.weekly[1].inspections, 5);
  EXPECT_EQ(tree->node.weekly[1].hazards_found, 2);
  // The hazard closed 36 h after it was found: in the period only if that is before `to`.
  std::int64_t closed_in_period = 0;
  for (const auto& w : tree->node.weekly) closed_in_period += w.hazards_closed;
  auto closed_at = hz[0].first_found_at + 36LL * 3600 * 1000;
  EXPECT_EQ(closed_in_period, closed_at < to ? 1 : 0);
  std::int64_t completed = 0;
  for (const auto& w : tree->node.weekly) completed += w.rounds_completed + w.rounds_missed;
  EXPECT_EQ(completed,
            tree->node.rounds_by_state["completed"] + tree->node.rounds_by_state["missed"]);
}

// The site level (drill-down village → site) against the dataset, computed
// here: inspections, hazards open / closed / overdue, open now, rounds that
// planned and visited each site; the sites add up to the village.
TYPED_TEST(OverviewConformance, SitesMatchTheDataset) {
  constexpr Ms kDay = 24LL * 3600 * 1000;
  Ms now = now_ms();
  Ms from = now - 7 * kDay, to = now + 8 * kDay;  // the seeded rounds ahead lie in it
  std::vector<const Site*> liu;
  for (const auto& s : this->seed_.sites)
    if (s.org_unit_id == domain::kDatianLiuVillageId) liu.push_back(&s);
  ASSERT_GE(liu.size(), 5u);
  const Round* round = nullptr;  // a round of the period, on the village's route
  for (const auto& r : this->seed_.rounds)
    if (r.org_path == "/1/2/21/" && r.starts_at >= from && r.starts_at < to &&
        r.route.size() >= 2) {
      round = &r;
      break;
    }
  ASSERT_NE(round, nullptr);

  // Site 0: two inspections in the period, one long before (not counted; the
  // newest is the last inspected). Site 1: a hazard found now, left open and
  // made overdue. Site 2: a hazard found and closed. Site 3: a hazard found
  // 40 days ago, still open (open now, not found in the period).
  this->apply(this->inspection_op(*liu[0], now - 40 * kDay));
  this->apply(this->inspection_op(*liu[0], now - 3 * kDay));
  this->apply(this->inspection_op(*liu[0], now - 2000));
  this->apply(this->inspection_op(*liu[1], now - 1000, std::vector<std::string>{}));
  this->apply(this->inspection_op(*liu[2], now - 1000, std::vector<std::string>{}));
  this->apply(this->inspection_op(*liu[3], now - 40 * kDay, std::vector<std::string>{}));
  auto change = [&](const Site& s, std::function<void(Hazard&)> f) {
    auto hz = this->hazards_at(s);
    ASSERT_EQ(hz.size(), 1u);
    ASSERT_TRUE(this->store_->change_hazard(hz[0].id, [&](const Hazard& cur) {
      HazardChange c{cur, std::nullopt};
      f(c.next);
      return std::optional<HazardChange>(c);
    }));
  };
  change(*liu[1], [](Hazard& h) { h.overdue = true; });
  change(*liu[2], [&](Hazard& h) {
    h.state = "closed";
    h.closed_at = now;
  });
  // The round: a check-in at its first route site, an inspection naming it at
  // its second, and one naming it at a site off its route (not a visit).
  const User& v = this->volunteer();
  ASSERT_TRUE(this->store_->add_checkin(round->id, round->route[0], v.id, round->starts_at + 1000));
  const Site* off_route = nullptr;
  for (const auto* s : liu)
    if (std::find(round->route.begin(), round->route.end(), s->id) == round->route.end())
      off_route = s;
  auto named = [&](const Site& s) {
    auto op = this->inspection_op(s, now - 500);
    std::get<InspectionWrite>(op.action).inspection.round_id = round->id;
    this->apply(std::move(op));
  };
  const Site* second = nullptr;
  for (const auto* s : liu)
    if (s->id == round->route[1]) second = s;
  ASSERT_NE(second, nullptr);
  named(*second);
  if (off_route) named(*off_route);
  // A deleted site is not listed; another village's site never is.
  Site gone = *liu[4];
  gone.id = wire::make_uuid_v7();
  gone.name = "已删场所";
  ASSERT_TRUE(this->store_->put_site(gone));
  ASSERT_TRUE(this->store_->delete_site(gone.id, now));

  // The expected numbers, from the writes above and the seed.
  struct Want {
    std::int64_t inspections = 0, found = 0, open = 0, overdue = 0, closed = 0, open_now = 0,
                 overdue_now = 0, planned = 0, visited = 0;
    std::optional<Ms> last;
  };
  std::map<std::string, Want> want;
  for (const auto* s : liu) want[s->id];
  auto inspected = [&](const Site& s, Ms at) {
    auto& w = want[s.id];
    if (at >= from && at < to) ++w.inspections;
    if (!w.last || *w.last < at) w.last = at;
  };
  inspected(*liu[0], now - 40 * kDay);
  inspected(*liu[0], now - 3 * kDay);
  inspected(*liu[0], now - 2000);
  inspected(*liu[1], now - 1000);
  inspected(*liu[2], now - 1000);
  inspected(*liu[3], now - 40 * kDay);
  inspected(*second, now - 500);
  if (off_route) inspected(*off_route, now - 500);
  want[liu[1]->id].found = 1, want[liu[1]->id].open = 1, want[liu[1]->id].overdue = 1;
  want[liu[1]->id].open_now = 1;
  want[liu[1]->id].overdue_now = 1;
  want[liu[2]->id].found = 1, want[liu[2]->id].closed = 1;
  want[liu[3]->id].open_now = 1;
  for (const auto& r : this->seed_.rounds) {
    if (r.org_path != "/1/2/21/" || r.starts_at < from || r.starts_at >= to) continue;
    std::set<std::string> on(r.route.begin(), r.route.end());
    for (const auto& id : on) ++want[id].planned;
  }
  ++want[round->route[0]].visited;
  ++want[round->route[1]].visited;

  auto got = this->store_->overview_sites("/1/2/21/", from, to);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), liu.size()) << "the village's sites, not the deleted one";
  OverviewSite sum;
  for (const auto& s : *got) {
    ASSERT_TRUE(want.count(s.id)) << s.id;
    const auto& w = want[s.id];
    EXPECT_EQ(s.inspections, w.inspections) << s.name;
    EXPECT_EQ(s.last_inspected_at, w.last) << s.name;
    EXPECT_EQ(s.hazards_found, w.found) << s.name;
    EXPECT_EQ(s.hazards_open, w.open) << s.name;
    EXPECT_EQ(s.hazards_overdue, w.overdue) << s.name;
    EXPECT_EQ(s.hazards_closed, w.closed) << s.name;
    EXPECT_EQ(s.open_hazards, w.open_now) << s.name;
    EXPECT_EQ(s.overdue_hazards, w.overdue_now) << s.name;
    EXPECT_EQ(s.rounds_planned, w.planned) << s.name;
    EXPECT_EQ(s.rounds_visited, w.visited) << s.name;
    sum.inspections += s.inspections;
    sum.hazards_found += s.hazards_found;
    sum.hazards_open += s.hazards_open;
    sum.hazards_closed += s.hazards_closed;
    sum.hazards_overdue += s.hazards_overdue;
  }
  for (const auto* s : liu) {
    auto it = std::find_if(got->begin(), got->end(), [&](const auto& x) { return x.id == s->id; });
    ASSERT_NE(it, got->end());
    EXPECT_EQ(it->name, s->name);
    EXPECT_EQ(it->category, s->category);
    EXPECT_DOUBLE_EQ(it->lat, s->lat);
    EXPECT_DOUBLE_EQ(it->lon, s->lon);
  }
  // Most open hazards first: the two sites with one open now lead.
  ASSERT_GE(got->size(), 2u);
  EXPECT_EQ((*got)[0].open_hazards, 1);
  EXPECT_EQ((*got)[0].id, liu[1]->id) << "open and overdue before open only";
  EXPECT_EQ((*got)[1].id, liu[3]->id);
  // The sites add up to the village's own counts.
  auto k = this->store_->overview_counts("/1/2/21/", from, to);
  ASSERT_TRUE(k);
  EXPECT_EQ(sum.inspections, k->inspections);
  EXPECT_EQ(sum.hazards_found, k->hazards_found);
  EXPECT_EQ(sum.hazards_open, k->hazards_open);
  EXPECT_EQ(sum.hazards_closed, k->hazards_closed);
  EXPECT_EQ(sum.hazards_overdue, k->hazards_overdue);
  // Another village: its own sites, none of these numbers.
  auto shan = this->store_->overview_sites("/1/3/22/", from, to);
  ASSERT_TRUE(shan);
  for (const auto& s : *shan) {
    EXPECT_FALSE(want.count(s.id));
    EXPECT_EQ(s.inspections, 0);
    EXPECT_EQ(s.open_hazards, 0);
  }
}

}  // namespace
}  // namespace patrol::store::conformance
