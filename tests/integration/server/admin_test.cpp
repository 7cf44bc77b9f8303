// Teams and sites administration on a real patrold over TLS: CRUD within the
// caller's subtree, never above the caller's own role, JSON errors naming the
// field, and every change reaching phones through sync/pull.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <string>

#include "domain/geo.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/test_values.hpp"

using namespace patrol;
namespace json = boost::json;
using test::HttpsClient;
using test::str;
using test::TestServer;

namespace {

constexpr const char* kVillageAdmin = "13900000007";  // 大田刘村 (org 21)
constexpr const char* kLeader = "13900000001";        // team_leader 大田刘村
constexpr const char* kVolunteer = "13900000002";     // volunteer 大田刘村
constexpr const char* kOther = "13900000003";         // volunteer 东溪单村 (org 22)
constexpr const char* kCity = "13900000000";

TestServer& server() {
  static TestServer s;  // TestServer already hashes with scrypt N = 2^10
  return s;
}

HttpsClient as(const char* phone) {
  return test::client_as(server().port(), phone);
}

json::value body(const test::HttpResponse& r) {
  return test::parse_json(r.body);
}

// A phone's pull from `cursor` to the end: (entity/op/id → last data), new cursor.
struct Pulled {
  std::vector<json::object> changes;
  std::int64_t cursor = 0;
  const json::object* find(std::string_view entity, std::string_view id) const {
    const json::object* out = nullptr;
    for (const auto& c : changes)
      if (c.at("entity").as_string() == entity && c.at("id").as_string() == id) out = &c;
    return out;
  }
};
Pulled pull(HttpsClient& phone, std::int64_t cursor) {
  Pulled p;
  p.cursor = cursor;
  for (int i = 0; i < 100; ++i) {
    auto r = phone.get("/api/v1/sync/pull?cursor=" + std::to_string(p.cursor) + "&limit=1000");
    EXPECT_EQ(r.status, 200u) << r.body;
    auto v = json::parse(r.body);
    for (const auto& c : v.at("changes").as_array()) p.changes.push_back(c.as_object());
    p.cursor = v.at("cursor").to_number<std::int64_t>();
    if (!v.at("has_more").as_bool()) break;
  }
  return p;
}

std::string first_site_of(const char* phone) {
  auto c = as(phone);
  return str(body(c.get("/api/v1/sites?limit=1")).at("items").at(0).at("id"));
}

}  // namespace

TEST(SitesAdmin, CrudWithinScopeReachesPhonesThroughPull) {
  auto admin = as(kVillageAdmin);
  auto phone = as(kVolunteer);
  auto start = pull(phone, 0).cursor;

  json::object site{{"name", "刘村小超市"}, {"category", "shop"},  {"lat", 28.8575},
                    {"lon", 121.1435},      {"org_unit_id", "21"}, {"address", "大田刘村 12 号"}};
  auto created = admin.post_json("/api/v1/sites", json::serialize(site));
  ASSERT_EQ(created.status, 201u) << created.body;
  auto s = body(created);
  std::string id = str(s.at("id"));
  EXPECT_EQ(str(s.at("template_id")), "tpl-small-premises");
  EXPECT_EQ(str(s.at("org_unit_id")), "21");
  EXPECT_DOUBLE_EQ(s.at("lat").as_double(), 28.8575);

  auto p = pull(phone, start);
  auto* up = p.find("site", id);
  ASSERT_TRUE(up) << "the new site reaches the village's phones";
  EXPECT_EQ(str(up->at("op")), "upsert");
  EXPECT_EQ(str(up->at("data").at("name")), "刘村小超市");
  auto other_phone = as(kOther);
  EXPECT_FALSE(pull(other_phone, 0).find("site", id)) << "another village's phones never see it";

  // Edit: name, category (its template follows), position as GCJ-02.
  auto put = admin.request(
      "PUT", "/api/v1/sites/" + id,
      R"({"name":"刘村便民店","category":"rental_housing","position":{"lat":28.8546,"lon":121.1480,"crs":"gcj02"}})");
  ASSERT_EQ(put.status, 200u) << put.body;
  auto edited = body(admin.get("/api/v1/sites/" + id));
  EXPECT_EQ(str(edited.at("name")), "刘村便民店");
  EXPECT_EQ(str(edited.at("template_id")), "tpl-rental-housing");
  // Stored as WGS84: a few hundred metres off the GCJ-02 input, which it maps back to.
  domain::LatLon wgs{edited.at("lat").as_double(), edited.at("lon").as_double()};
  EXPECT_GT(std::abs(wgs.lon - 121.1480), 1e-4);
  EXPECT_LT(std::abs(wgs.lon - 121.1480), 0.01);
  auto back = domain::wgs84_to_gcj02(wgs);
  EXPECT_NEAR(back.lat, 28.8546, 1e-6);
  EXPECT_NEAR(back.lon, 121.1480, 1e-6);
  p = pull(phone, p.cursor);
  ASSERT_TRUE(p.find("site", id));
  EXPECT_EQ(str(p.find("site", id)->at("data").at("name")), "刘村便民店");

  // Delete: gone from lists and GET, a delete for phones.
  auto del = admin.request("DELETE", "/api/v1/sites/" + id);
  EXPECT_EQ(del.status, 204u) << del.body;
  EXPECT_EQ(admin.get("/api/v1/sites/" + id).status, 404u);
  EXPECT_EQ(admin.request("DELETE", "/api/v1/sites/" + id).status, 404u);
  auto listed = body(admin.get("/api/v1/sites?limit=1000"));
  for (const auto& x : listed.at("items").as_array()) EXPECT_NE(str(x.at("id")), id);
  p = pull(phone, p.cursor);
  ASSERT_TRUE(p.find("site", id));
  EXPECT_EQ(str(p.find("site", id)->at("op")), "delete");

  // A site on a schedule's route cannot be deleted.
  auto sch = body(admin.get("/api/v1/schedules")).at("items").at(0);
  std::string on_route = str(sch.at("route").at(0));
  auto busy = admin.request("DELETE", "/api/v1/sites/" + on_route);
  EXPECT_EQ(busy.status, 409u) << busy.body;
  EXPECT_EQ(str(body(busy).at("error").at("code")), "in_use");
}

TEST(SitesAdmin, ScopeRolesAndFieldErrors) {
  auto admin = as(kVillageAdmin);
  std::string theirs = first_site_of(kOther);  // 东溪单村's site
  // 大田刘村's admin cannot read, edit or delete 东溪单村's sites: 404 as for users.
  EXPECT_EQ(admin.get("/api/v1/sites/" + theirs).status, 404u);
  EXPECT_EQ(admin.request("PUT", "/api/v1/sites/" + theirs, R"({"name":"x"})").status, 404u);
  EXPECT_EQ(admin.request("DELETE", "/api/v1/sites/" + theirs).status, 404u);
  auto still = as(kCity).get("/api/v1/sites/" + theirs);
  ASSERT_EQ(still.status, 200u);
  EXPECT_NE(str(body(still).at("name")), "x");

  json::object ok{
      {"name", "n"}, {"category", "shop"}, {"lat", 28.85}, {"lon", 121.14}, {"org_unit_id", "21"}};
  struct Case {
    const char* what;
    const char* key;
    json::value value;  // null: remove the key
    unsigned status;
    const char* field;
  } cases[] = {
      {"into 东溪单村", "org_unit_id", "22", 403, "org_unit_id"},
      {"above own node", "org_unit_id", "2", 403, "org_unit_id"},
      {"unknown org", "org_unit_id", "999999", 422, "org_unit_id"},
      {"no name", "name", nullptr, 422, "name"},
      {"bad category", "category", "palace", 422, "category"},
      {"lat out of range", "lat", 91.0, 422, "lat"},
      {"lon not a number", "lon", "east", 422, "lon"},
      {"unknown template", "template_id", "tpl-nope", 422, "template_id"},
  };
  for (const auto& c : cases) {
    json::object b = ok;
    if (c.value.is_null())
      b.erase(c.key);
    else
      b[c.key] = c.value;
    auto r = admin.post_json("/api/v1/sites", json::serialize(b));
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    EXPECT_EQ(test::error_field(r), c.field) << c.what << ": " << r.body;
  }
  // Leaders and volunteers do not administer sites.
  for (const char* phone : {kLeader, kVolunteer}) {
    auto r = as(phone).post_json("/api/v1/sites", json::serialize(ok));
    EXPECT_EQ(r.status, 403u) << phone << ": " << r.body;
  }
  EXPECT_EQ(admin.post_json("/api/v1/sites", "[1]").status, 422u);
  EXPECT_EQ(admin.post_json("/api/v1/sites", "{").status, 400u);
}

TEST(TeamsAdmin, MembersWithinScopeNeverAboveOwnRole) {
  auto admin = as(kVillageAdmin);
  auto city = as(kCity);
  auto phone = as(kVolunteer);
  auto start = pull(phone, 0).cursor;
  auto me = [&](const char* p) { return str(body(as(p).get("/api/v1/me")).at("id")); };
  std::string volunteer = me(kVolunteer), leader = me(kLeader), other = me(kOther);

  auto seeded = body(admin.get("/api/v1/teams"));
  ASSERT_EQ(seeded.at("items").as_array().size(), 1u) << seeded;
  EXPECT_EQ(str(seeded.at("items").at(0).at("name")), "奋进平安巡防队");
  std::string seeded_id = str(seeded.at("items").at(0).at("id"));

  json::object t{{"name", "夜巡二队"},
                 {"org_unit_id", "21"},
                 {"leader_id", leader},
                 {"members", json::array{volunteer}}};
  auto created = admin.post_json("/api/v1/teams", json::serialize(t));
  ASSERT_EQ(created.status, 201u) << created.body;
  auto team = body(created);
  std::string id = str(team.at("id"));
  ASSERT_EQ(team.at("members").as_array().size(), 2u) << team;
  EXPECT_EQ(str(team.at("members").at(0).at("user_id")), leader);
  EXPECT_EQ(str(team.at("members").at(0).at("role")), "leader");
  EXPECT_EQ(str(team.at("members").at(1).at("role")), "member");
  EXPECT_FALSE(str(team.at("members").at(1).at("name")).empty());
  auto p = pull(phone, start);
  ASSERT_TRUE(p.find("team", id)) << "phones get the new team";

  // Members: only users of the team's subtree the caller may see, never above the caller's role.
  auto r = admin.request("PUT", "/api/v1/teams/" + id,
                         json::serialize(json::object{{"add_members", json::array{other}}}));
  EXPECT_EQ(r.status, 422u) << "东溪单村's volunteer: " << r.body;
  EXPECT_EQ(test::error_field(r), "members");
  auto boss = city.post_json("/api/v1/users", R"({"phone":"13955550001","name":"镇里来的",
      "role":"town_staff","org_unit_id":"21"})");
  ASSERT_EQ(boss.status, 201u) << boss.body;
  std::string boss_id = str(body(boss).at("user").at("id"));
  r = admin.request("PUT", "/api/v1/teams/" + id,
                    json::serialize(json::object{{"add_members", json::array{boss_id}}}));
  EXPECT_EQ(r.status, 403u) << "a town_staff is above a village_admin: " << r.body;
  EXPECT_EQ(test::error_field(r), "members");
  r = admin.request("PUT", "/api/v1/teams/" + id, R"({"members":"all"})");
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(test::error_field(r), "members");
  r = admin.request("PUT", "/api/v1/teams/" + id, R"({"org_unit_id":"22"})");
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(test::error_field(r), "org_unit_id");

  // Remove the volunteer, rename: phones see the new member list.
  r = admin.request("PUT", "/api/v1/teams/" + id,
                    json::serialize(json::object{{"name", "夜巡二队（调整）"},
                                                 {"remove_members", json::array{volunteer}}}));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(body(r).at("members").as_array().size(), 1u);
  p = pull(phone, p.cursor);
  ASSERT_TRUE(p.find("team", id));
  EXPECT_EQ(p.find("team", id)->at("data").at("members").as_array().size(), 1u);
  EXPECT_EQ(str(p.find("team", id)->at("data").at("name")), "夜巡二队（调整）");

  // Another village's team is invisible; a leader cannot administer teams.
  auto theirs = city.post_json("/api/v1/teams", R"({"name":"东溪队","org_unit_id":"22"})");
  ASSERT_EQ(theirs.status, 201u) << theirs.body;
  std::string their_id = str(body(theirs).at("id"));
  EXPECT_EQ(admin.get("/api/v1/teams/" + their_id).status, 404u);
  EXPECT_EQ(admin.request("PUT", "/api/v1/teams/" + their_id, R"({"name":"x"})").status, 404u);
  EXPECT_EQ(admin.request("DELETE", "/api/v1/teams/" + their_id).status, 404u);
  EXPECT_EQ(admin.post_json("/api/v1/teams", R"({"name":"x","org_unit_id":"22"})").status, 403u);
  EXPECT_EQ(as(kLeader).post_json("/api/v1/teams", R"({"name":"x","org_unit_id":"21"})").status,
            403u);
  auto teams = body(admin.get("/api/v1/teams?limit=1000"));
  for (const auto& x : teams.at("items").as_array()) EXPECT_EQ(str(x.at("org_unit_id")), "21") << x;

  // Delete: refused while a schedule names the team; otherwise gone, and phones told.
  auto busy = admin.request("DELETE", "/api/v1/teams/" + seeded_id);
  EXPECT_EQ(busy.status, 409u) << busy.body;
  EXPECT_EQ(str(body(busy).at("error").at("code")), "in_use");
  EXPECT_EQ(admin.request("DELETE", "/api/v1/teams/" + id).status, 204u);
  EXPECT_EQ(admin.get("/api/v1/teams/" + id).status, 404u);
  p = pull(phone, p.cursor);
  ASSERT_TRUE(p.find("team", id));
  EXPECT_EQ(str(p.find("team", id)->at("op")), "delete");
}
