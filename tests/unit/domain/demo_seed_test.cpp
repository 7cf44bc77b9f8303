#include "domain/demo_seed.hpp"

#include <gtest/gtest.h>

#include <set>

#include "domain/recurrence.hpp"
#include "patrol/wire/messages.hpp"

namespace patrol::domain {
namespace {

TEST(DemoSeed, HasTheDesignDocumentsOrgUsersAndSites) {
  // 2026-11-28 12:00 UTC, a Saturday.
  store::Ms now = 1795867200000;
  auto d = demo_seed(now, [](std::string_view pw) { return "hash:" + std::string(pw); });
  std::set<std::string> names;
  for (const auto& o : d.org_units) names.insert(o.name);
  for (auto n : {"临海市", "大田街道", "东塍镇", "大田刘村", "东溪单村"})
    EXPECT_TRUE(names.count(n)) << n;
  int towns = 0;
  for (const auto& o : d.org_units) towns += o.kind == "town";
  EXPECT_EQ(towns, 19);

  std::set<std::pair<std::string, std::string>> logins;
  for (const auto& u : d.users) {
    logins.insert({u.user.phone, u.user.role});
    EXPECT_EQ(u.password_hash, "hash:patrol-demo");
  }
  EXPECT_TRUE(logins.count({"13900000000", "city_admin"}));
  EXPECT_TRUE(logins.count({"13900000001", "team_leader"}));
  EXPECT_TRUE(logins.count({"13900000002", "volunteer"}));
  EXPECT_TRUE(logins.count({"13900000003", "volunteer"}));
  EXPECT_TRUE(logins.count({"13900000004", "town_staff"}));

  int liu = 0;
  std::set<std::string> cats;
  for (const auto& s : d.sites) {
    if (s.org_unit_id == kDatianLiuVillageId) ++liu;
    cats.insert(s.category);
    EXPECT_NEAR(s.lat, 28.86, 0.05);
    EXPECT_NEAR(s.lon, 121.1, 0.1);
  }
  EXPECT_GE(liu, 20);
  for (auto c : wire::kSiteCategories) EXPECT_TRUE(cats.count(std::string(c))) << c;

  ASSERT_EQ(d.teams.size(), 1u);
  EXPECT_EQ(d.teams[0].name, "奋进平安巡防队");
  EXPECT_GE(d.teams[0].members.size(), 4u);
}

TEST(DemoSeed, TemplatesHaveTheCoreItemsInBothLanguages) {
  auto ts = builtin_templates();
  ASSERT_EQ(ts.size(), 3u);
  for (const auto& t : ts) {
    EXPECT_GE(t.items.size(), 10u) << t.id;
    std::set<std::string> codes;
    for (const auto& i : t.items) {
      codes.insert(i.code);
      EXPECT_FALSE(i.label_zh.empty());
      EXPECT_FALSE(i.label_en.empty());
    }
    for (auto c : {"window_throwing", "flying_wire_charging", "corridor_clutter"})
      EXPECT_TRUE(codes.count(c)) << t.id << " " << c;
  }
}

TEST(DemoSeed, PlansMonWedFriRoundsAt1900Shanghai) {
  store::Ms now = 1795867200000;  // Saturday 2026-11-28 20:00 in Shanghai
  auto d = demo_seed(now, [](std::string_view) { return std::string("h"); });
  ASSERT_EQ(d.schedules.size(), 1u);
  EXPECT_EQ(d.schedules[0].weekdays, (std::vector<int>{1, 3, 5}));
  ASSERT_EQ(d.rounds.size(), 9u);             // three weeks ahead
  EXPECT_EQ(d.rounds[0].date, "2026-11-30");  // the next Monday
  EXPECT_EQ(d.rounds[1].date, "2026-12-02");
  EXPECT_EQ(d.rounds[2].date, "2026-12-04");
  // 19:00 +08:00 = 11:00 UTC.
  EXPECT_EQ(d.rounds[0].starts_at % 86'400'000, 11 * 3'600'000);
  EXPECT_EQ(d.rounds[0].ends_at - d.rounds[0].starts_at, 2 * 3'600'000);
  for (const auto& r : d.rounds) {
    EXPECT_GT(r.starts_at, now);
    EXPECT_EQ(r.state, "planned");
    EXPECT_EQ(r.route, d.schedules[0].route);
    // Deterministic: planning again yields the same ids.
    EXPECT_EQ(r.id, round_id(d.schedules[0].id, *parse_date(r.date))) << r.date;
  }
}

TEST(DemoSeed, HasTheVillageAdminOfDatianLiu) {
  auto d = demo_seed(1795867200000, [](std::string_view) { return std::string("h"); });
  const store::User* admin = nullptr;
  for (const auto& u : d.users)
    if (u.user.phone == "13900000007") admin = &u.user;
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->role, "village_admin");
  EXPECT_EQ(admin->org_unit_id, kDatianLiuVillageId);
  for (const auto& m : d.teams[0].members) EXPECT_NE(m.user_id, admin->id);
}

}  // namespace
}  // namespace patrol::domain
