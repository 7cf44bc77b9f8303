// AdminStore and OverviewStore conformance.
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
}

}  // namespace
}  // namespace patrol::store::conformance
