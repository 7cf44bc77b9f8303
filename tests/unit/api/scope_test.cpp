// The scope rule on every route: a user of 大田刘村 can neither read nor write
// anything of 东溪单村 (and vice versa), while their town and city can.
#include "api_test_util.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::test {
namespace {

constexpr const char* kLiuVolunteer = "13900000002";
constexpr const char* kLiuLeader = "13900000001";
constexpr const char* kShanVolunteer = "13900000003";
constexpr const char* kDatianStaff = "13900000004";
constexpr const char* kCityAdmin = "13900000000";

class ScopeTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    liu_ = login(kLiuVolunteer);
    shan_ = login(kShanVolunteer);
    liu_site_ = get("/api/v1/sites?limit=1", liu_).at("items").at(0).as_object();
    shan_site_ = get("/api/v1/sites?limit=1", shan_).at("items").at(0).as_object();
    shan_user_ = std::string(get("/api/v1/me", shan_).at("id").as_string());
    // 东溪单村's volunteer reports a hazard, walks, and raises an SOS.
    push(shan_, inspection(shan_site_));
    push(shan_, position());
    push(shan_, sos());
  }

  std::string inspection(const json::object& site) {
    json::object body{
        {"id", wire::make_uuid_v7()},
        {"site_id", site.at("id")},
        {"template_id", site.at("template_id")},
        {"template_version", 1},
        {"observed_at", "2026-11-28T19:05:00+08:00"},
        {"items", json::array{json::object{{"code", "corridor_clutter"}, {"result", "hazard"}}}}};
    return json::serialize(json::object{
        {"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", body}});
  }
  std::string position() {
    return json::serialize(json::object{
        {"op_id", wire::make_uuid_v7()},
        {"type", "position.append"},
        {"body",
         json::object{{"points", json::array{json::object{{"t", "2026-11-28T19:06:00+08:00"},
                                                          {"lat", 28.881},
                                                          {"lon", 121.053}}}}}}});
  }
  std::string sos() {
    return json::serialize(
        json::object{{"op_id", wire::make_uuid_v7()},
                     {"type", "sos.raise"},
                     {"body", json::object{{"id", wire::make_uuid_v7()},
                                           {"raised_at", "2026-11-28T19:07:00+08:00"},
                                           {"note", "有人落水"}}}});
  }
  json::value push(const std::string& token, const std::string& op) {
    return call_json("POST", "/api/v1/sync/push", R"({"device_id":"d","ops":[)" + op + "]}", token,
                     200);
  }
  std::size_t count(const std::string& target, const std::string& token) {
    return get(target, token).at("items").as_array().size();
  }

  std::string liu_, shan_, shan_user_;
  json::object liu_site_, shan_site_;
};

TEST_F(ScopeTest, EveryAuthenticatedRouteNeedsAToken) {
  for (auto [m, t] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/auth/logout"},
           {"GET", "/api/v1/me"},
           {"POST", "/api/v1/sync/push"},
           {"GET", "/api/v1/sync/pull"},
           {"GET", "/api/v1/sites"},
           {"GET", "/api/v1/sites/x"},
           {"GET", "/api/v1/inspections"},
           {"GET", "/api/v1/hazards"},
           {"GET", "/api/v1/positions/latest"},
           {"GET", "/api/v1/users/x/track"},
           {"GET", "/api/v1/alerts"},
           {"PUT", "/api/v1/attachments/" + std::string(64, 'a')},
           {"HEAD", "/api/v1/attachments/" + std::string(64, 'a')},
           {"GET", "/api/v1/live"}}) {
    EXPECT_EQ(call(m, t).status, 401u) << m << " " << t;
    EXPECT_EQ(call(m, t, "", "not-a-token").status, 401u) << m << " " << t;
  }
}

TEST_F(ScopeTest, SitesOfAnotherVillageAreInvisible) {
  auto sites = get("/api/v1/sites?limit=1000", liu_);
  for (const auto& s : sites.at("items").as_array())
    EXPECT_EQ(s.at("org_unit_id").as_string(), "21") << s;
  EXPECT_GE(sites.at("items").as_array().size(), 20u);
  get("/api/v1/sites/" + std::string(shan_site_.at("id").as_string()), liu_, 404);
  get("/api/v1/sites/" + std::string(liu_site_.at("id").as_string()), liu_, 200);
  get("/api/v1/sites?org_unit_id=22", liu_, 403);
  get("/api/v1/sites?org_unit_id=9999", liu_, 404);
  EXPECT_GT(count("/api/v1/sites?org_unit_id=22&limit=1000", login(kCityAdmin)), 0u);
  get("/api/v1/sites?org_unit_id=22", login(kDatianStaff), 403);
}

TEST_F(ScopeTest, InspectionsHazardsPositionsOfAnotherVillageAreInvisible) {
  EXPECT_EQ(count("/api/v1/inspections", liu_), 0u);
  EXPECT_EQ(count("/api/v1/inspections", shan_), 1u);
  get("/api/v1/inspections?site_id=" + std::string(shan_site_.at("id").as_string()), liu_, 404);
  get("/api/v1/inspections?org_unit_id=22", liu_, 403);
  EXPECT_EQ(count("/api/v1/hazards", liu_), 0u);
  EXPECT_EQ(count("/api/v1/hazards", shan_), 1u);
  get("/api/v1/hazards?org_unit_id=22", liu_, 403);
  get("/api/v1/hazards?site_id=" + std::string(shan_site_.at("id").as_string()), liu_, 404);
  EXPECT_EQ(count("/api/v1/positions/latest", liu_), 0u);
  EXPECT_EQ(count("/api/v1/positions/latest", shan_), 1u);
  get("/api/v1/positions/latest?org_unit_id=22", liu_, 403);
  get("/api/v1/users/" + shan_user_ + "/track", liu_, 404);
  EXPECT_EQ(count("/api/v1/users/" + shan_user_ + "/track", shan_), 1u);
  // The town of 大田 sees nothing of 东塍's villages; the city sees all of it.
  auto staff = login(kDatianStaff);
  EXPECT_EQ(count("/api/v1/inspections", staff), 0u);
  get("/api/v1/users/" + shan_user_ + "/track", staff, 404);
  auto city = login(kCityAdmin);
  EXPECT_EQ(count("/api/v1/inspections", city), 1u);
  EXPECT_EQ(count("/api/v1/hazards?org_unit_id=22", city), 1u);
  EXPECT_EQ(count("/api/v1/users/" + shan_user_ + "/track", city), 1u);
}

TEST_F(ScopeTest, AlertsGoToLeadersOfTheVillageAndTownOnly) {
  EXPECT_EQ(count("/api/v1/alerts", shan_), 1u) << "a volunteer sees their own";
  EXPECT_EQ(count("/api/v1/alerts", login(kLiuLeader)), 0u);
  EXPECT_EQ(count("/api/v1/alerts", login(kDatianStaff)), 0u);
  get("/api/v1/alerts?org_unit_id=22", liu_, 403);
  auto city = get("/api/v1/alerts", login(kCityAdmin));
  ASSERT_EQ(city.at("items").as_array().size(), 1u);
  EXPECT_EQ(city.at("items").at(0).at("note").as_string(), "有人落水");
  // A 大田刘村 SOS reaches its leader and its town, not the other village.
  push(liu_, sos());
  EXPECT_EQ(count("/api/v1/alerts", login(kLiuLeader)), 1u);
  EXPECT_EQ(count("/api/v1/alerts", login(kDatianStaff)), 1u);
  EXPECT_EQ(count("/api/v1/alerts", shan_), 1u);
  EXPECT_EQ(count("/api/v1/alerts", login("13900000005")), 0u)
      << "another volunteer of the village is not a leader";
}

TEST_F(ScopeTest, CannotWriteIntoAnotherVillage) {
  auto r = push(liu_, inspection(shan_site_));
  auto& res = r.at("results").at(0);
  EXPECT_EQ(res.at("status").as_string(), "rejected");
  EXPECT_EQ(res.at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(res.at("error").at("field").as_string(), "body.site_id");
  EXPECT_EQ(count("/api/v1/inspections", login(kCityAdmin)), 1u) << "nothing written";
}

TEST_F(ScopeTest, PullCarriesOnlyTheCallersSubtree) {
  auto v = get("/api/v1/sync/pull?limit=1000", liu_);
  bool saw_template = false, saw_own_site = false;
  for (const auto& c : v.at("changes").as_array()) {
    auto entity = c.at("entity").as_string();
    if (entity == "checklist_template") saw_template = true;
    if (entity == "site") {
      EXPECT_EQ(c.at("data").at("org_unit_id").as_string(), "21");
      saw_own_site = true;
    }
    if (entity == "hazard" || entity == "sos")
      ADD_FAILURE() << "东溪单村's " << entity << " leaked into 大田刘村's pull";
    if (entity == "org_unit") {
      auto path = std::string(c.at("data").at("path").as_string());
      EXPECT_TRUE(std::string("/1/2/21/").rfind(path, 0) == 0 || path.rfind("/1/2/21/", 0) == 0)
          << path;
    }
  }
  EXPECT_TRUE(saw_template);
  EXPECT_TRUE(saw_own_site);
  bool shan_sees_hazard = false;
  auto shan_pull = get("/api/v1/sync/pull?limit=1000", shan_);
  for (const auto& c : shan_pull.at("changes").as_array())
    shan_sees_hazard |= c.at("entity").as_string() == "hazard";
  EXPECT_TRUE(shan_sees_hazard);
}

}  // namespace
}  // namespace patrol::api::test
