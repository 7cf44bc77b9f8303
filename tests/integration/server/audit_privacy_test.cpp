// Issue 9 on a real patrold over TLS on 127.0.0.1: the audit log records
// every admin action and hazard transition (who, what, which object, device,
// address, when) and only city admins read it; track retention deletes old
// positions and keeps inspections (the patrold binary with a short
// --track-retention); a person's data is exported and erased (PIPL) by an
// admin above them, audited.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "patrol/wire/uuid.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/test_values.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::HttpResponse;
using test::HttpsClient;
using test::now_ms;
using test::rfc3339;
using test::str;
using test::TestServer;

namespace {

constexpr const char* kVolunteer = "13900000002";
constexpr const char* kColleague = "13900000005";
constexpr const char* kLeader = "13900000001";
constexpr const char* kVillageAdmin = "13900000007";
constexpr const char* kTown = "13900000004";
constexpr const char* kCity = "13900000000";

json::value parse(const HttpResponse& r) {
  auto v = test::parse_json(r.body);
  EXPECT_FALSE(v.is_null()) << "not JSON: " << r.body;
  return v;
}

TestServer& server() {
  static TestServer s(test::without_request_rate_limits());
  return s;
}

// A logged-in user (client, id, org_unit_id) with the calls these tests make.
struct As : test::LoggedIn {
  using LoggedIn::LoggedIn;
  json::value call(const std::string& method, const std::string& target, const std::string& body,
                   unsigned want) {
    auto r = client.request(method, target, body, body.empty() ? "" : "application/json");
    EXPECT_EQ(r.status, want) << method << " " << target << " " << body << " -> " << r.body;
    return r.body.empty() ? json::value() : parse(r);
  }
  json::array push(json::array ops) {
    auto v =
        call("POST", "/api/v1/sync/push",
             json::serialize(json::object{{"device_id", "phone-of-" + id}, {"ops", ops}}), 200);
    return v.is_object() ? v.at("results").as_array() : json::array{};
  }
};

json::object op(const std::string& type, json::object body) {
  return {{"op_id", wire::make_uuid_v7()},
          {"type", type},
          {"device_time", rfc3339(now_ms())},
          {"body", std::move(body)}};
}

json::object inspection(const json::value& site, std::int64_t t, const char* code,
                        const char* result) {
  return {{"id", wire::make_uuid_v7()},
          {"site_id", site.at("id")},
          {"template_id", site.at("template_id")},
          {"template_version", 1},
          {"observed_at", rfc3339(t)},
          {"items", json::array{json::object{{"code", code}, {"result", result}}}}};
}

json::object points(std::vector<std::int64_t> ts) {
  json::array pts;
  for (auto t : ts)
    pts.push_back(
        json::object{{"t", rfc3339(t)}, {"lat", 28.85}, {"lon", 121.14}, {"accuracy_m", 5}});
  return {{"points", std::move(pts)}};
}

// Every audit entry for the query, walking the pages with `cursor`.
std::vector<json::object> audit(As& city, const std::string& query, int limit = 2) {
  std::vector<json::object> out;
  std::string cursor;
  for (int pages = 0; pages < 500; ++pages) {
    auto v = city.call("GET",
                       "/api/v1/audit?limit=" + std::to_string(limit) + query +
                           (cursor.empty() ? "" : "&cursor=" + cursor),
                       "", 200);
    if (!v.is_object()) break;
    for (const auto& e : v.at("items").as_array()) out.push_back(e.as_object());
    if (v.at("next").is_null()) break;
    cursor = str(v.at("next"));
  }
  return out;
}

std::string fresh_phone() {
  static int n = 0;
  return "136" + std::to_string(10000000 + (now_ms() % 1000000) * 10 + ++n);
}

}  // namespace

TEST(AuditLog, RecordsAdminActionsAndHazardTransitionsForCityAdminsOnly) {
  const auto t0 = now_ms();
  As admin(server().port(), kVillageAdmin, "admin-laptop");
  As leader(server().port(), kLeader, "leader-phone");
  As vol(server().port(), kVolunteer, "vol-phone");
  As city(server().port(), kCity, "city-desk");

  // Users: create, rename, reset the password, disable.
  auto created = admin.call("POST", "/api/v1/users",
                            json::serialize(json::object{{"phone", fresh_phone()},
                                                         {"name", "审计对象"},
                                                         {"role", "volunteer"},
                                                         {"org_unit_id", admin.org_unit_id}}),
                            201);
  const std::string uid = str(created.at("user").at("id"));
  admin.call("PUT", "/api/v1/users/" + uid, R"({"name":"改名"})", 200);
  admin.call("PUT", "/api/v1/users/" + uid, R"({"reset_password":true})", 200);
  admin.call("DELETE", "/api/v1/users/" + uid, "", 204);

  // Schedules: create, update, delete by the team leader.
  auto sch = leader.call("GET", "/api/v1/schedules?org_unit_id=" + leader.org_unit_id, "", 200);
  const auto team = str(sch.at("items").at(0).at("team_id"));
  const std::string body = json::serialize(json::object{{"team_id", team},
                                                        {"weekdays", json::array{2, 4}},
                                                        {"start_time", "19:00"},
                                                        {"duration_min", 60}});
  auto s = leader.call("POST", "/api/v1/schedules", body, 201);
  const auto sid = str(s.at("id"));
  leader.call("PUT", "/api/v1/schedules/" + sid, body, 200);
  leader.call("DELETE", "/api/v1/schedules/" + sid, "", 204);

  // A hazard: found by the volunteer, assigned over REST by the leader,
  // rectified by the volunteer's phone through the hazard.transition op.
  auto sites = vol.call("GET", "/api/v1/sites?category=shop&limit=1", "", 200);
  const auto& site = sites.at("items").at(0);
  auto r = vol.push({op("inspection.create", inspection(site, now_ms(), "gas_misuse", "hazard"))});
  ASSERT_EQ(str(r.at(0).at("status")), "applied");
  std::string hid;
  auto hz = vol.call("GET", "/api/v1/hazards?limit=1000&site_id=" + str(site.at("id")), "", 200);
  for (const auto& h : hz.at("items").as_array())
    if (str(h.at("item_code")) == "gas_misuse") hid = str(h.at("id"));
  ASSERT_FALSE(hid.empty());
  leader.call("POST", "/api/v1/hazards/" + hid + "/transitions",
              json::serialize(json::object{{"to", "assigned"}, {"assignee_id", vol.id}}), 200);
  r = vol.push({op("hazard.transition", json::object{{"hazard_id", hid}, {"to", "rectified"}})});
  ASSERT_EQ(str(r.at(0).at("status")), "applied") << json::serialize(r);
  // A refused transition (a volunteer may not close) is not audited.
  r = vol.push({op("hazard.transition", json::object{{"hazard_id", hid}, {"to", "closed"}})});
  EXPECT_EQ(str(r.at(0).at("status")), "rejected");

  const auto t1 = now_ms();
  auto about_user = audit(city, "&object_type=user&object_id=" + uid);
  std::vector<std::string> actions;
  for (const auto& e : about_user) actions.push_back(str(e.at("action")));
  EXPECT_EQ(actions, (std::vector<std::string>{"user.disable", "user.password_reset", "user.update",
                                               "user.create"}));
  for (const auto& e : about_user) {
    EXPECT_EQ(str(e.at("actor_id")), admin.id);
    EXPECT_EQ(str(e.at("actor_role")), "village_admin");
    EXPECT_EQ(str(e.at("device_id")), "admin-laptop");
    EXPECT_EQ(str(e.at("address")), "127.0.0.1");
    EXPECT_EQ(str(e.at("object_type")), "user");
    auto at = str(e.at("at"));
    EXPECT_GE(at, rfc3339(t0 - 1000)) << at;
    EXPECT_LE(at, rfc3339(t1 + 1000)) << at;
    // No names or phone numbers in the log (PIPL).
    EXPECT_EQ(json::serialize(e).find("改名"), std::string::npos);
  }
  EXPECT_EQ(json::serialize(about_user[2].at("details").at("fields")), R"(["name"])");

  auto about_schedule = audit(city, "&object_id=" + sid);
  actions.clear();
  for (const auto& e : about_schedule) actions.push_back(str(e.at("action")));
  EXPECT_EQ(actions,
            (std::vector<std::string>{"schedule.delete", "schedule.update", "schedule.create"}));
  for (const auto& e : about_schedule) EXPECT_EQ(str(e.at("actor_id")), leader.id);

  auto about_hazard = audit(city, "&object_type=hazard&object_id=" + hid);
  ASSERT_EQ(about_hazard.size(), 2u);
  EXPECT_EQ(str(about_hazard[0].at("actor_id")), vol.id);
  EXPECT_EQ(str(about_hazard[0].at("device_id")), "phone-of-" + vol.id) << "the push's device";
  EXPECT_EQ(str(about_hazard[0].at("details").at("from")), "assigned");
  EXPECT_EQ(str(about_hazard[0].at("details").at("to")), "rectified");
  EXPECT_EQ(str(about_hazard[1].at("actor_id")), leader.id);
  EXPECT_EQ(str(about_hazard[1].at("device_id")), "leader-phone");
  EXPECT_EQ(str(about_hazard[1].at("details").at("from")), "open");
  EXPECT_EQ(str(about_hazard[1].at("details").at("assignee_id")), vol.id);

  // Filters: by actor, and a time window that ends before everything.
  auto by_leader = audit(city, "&actor=" + leader.id, 100);
  std::set<std::string> leader_objects;
  for (const auto& e : by_leader) leader_objects.insert(str(e.at("object_id")));
  EXPECT_TRUE(leader_objects.count(sid) && leader_objects.count(hid));
  EXPECT_FALSE(leader_objects.count(uid));
  EXPECT_TRUE(audit(city, "&to=" + rfc3339(t0 - 60'000)).empty());
  EXPECT_GE(audit(city, "&from=" + rfc3339(t0 - 1000) + "&object_id=" + uid, 100).size(), 4u);

  // City admins only; bad parameters are 400 naming them.
  for (auto* who : {&admin, &leader, &vol}) {
    auto d = who->client.get("/api/v1/audit");
    EXPECT_EQ(d.status, 403u) << d.body;
  }
  As town(server().port(), kTown, "town-desk");
  EXPECT_EQ(town.client.get("/api/v1/audit").status, 403u);
  EXPECT_EQ(city.client.get("/api/v1/audit?cursor=x").status, 400u);
  EXPECT_EQ(city.client.get("/api/v1/audit?from=yesterday").status, 400u);
  EXPECT_EQ(city.client.get("/api/v1/audit?limit=0").status, 400u);
}

TEST(Privacy, AnAdminAboveExportsAndErasesAPersonsData) {
  As admin(server().port(), kVillageAdmin, "admin-laptop");
  As city(server().port(), kCity, "city-desk");
  // A person of the village with a track and a report.
  auto created = admin.call("POST", "/api/v1/users",
                            json::serialize(json::object{{"phone", fresh_phone()},
                                                         {"name", "张三丰"},
                                                         {"role", "volunteer"},
                                                         {"org_unit_id", admin.org_unit_id}}),
                            201);
  const std::string uid = str(created.at("user").at("id"));
  const std::string phone = str(created.at("user").at("phone"));
  As person(server().port(), phone, "person-phone", str(created.at("one_time_password")));
  auto sites = person.call("GET", "/api/v1/sites?category=shop&limit=1", "", 200);
  const auto& site = sites.at("items").at(0);
  auto r =
      person.push({op("position.append", points({now_ms() - 2000, now_ms() - 1000})),
                   op("inspection.create", inspection(site, now_ms(), "corridor_clutter", "ok"))});
  for (const auto& x : r) ASSERT_EQ(str(x.at("status")), "applied") << json::serialize(x);

  // Export: who may.
  for (const char* phone_of : {kVolunteer, kLeader}) {
    As other(server().port(), phone_of, "x");
    EXPECT_EQ(other.client.get("/api/v1/users/" + uid + "/export").status, 403u) << phone_of;
  }
  As town(server().port(), kTown, "town-desk");
  EXPECT_EQ(town.client.get("/api/v1/users/" + uid + "/export").status, 200u);
  EXPECT_EQ(admin.client.get("/api/v1/users/" + town.id + "/export").status, 404u)
      << "outside the village admin's subtree";
  // A town staff member placed in the village: inside the subtree, role above.
  auto senior = city.call("POST", "/api/v1/users",
                          json::serialize(json::object{{"phone", fresh_phone()},
                                                       {"name", "上级"},
                                                       {"role", "town_staff"},
                                                       {"org_unit_id", admin.org_unit_id}}),
                          201);
  EXPECT_EQ(admin.client.get("/api/v1/users/" + str(senior.at("user").at("id")) + "/export").status,
            403u)
      << "a village admin may not handle a town staff's data";
  As outsider(server().port(), "13900000003", "x");
  EXPECT_EQ(outsider.client.get("/api/v1/users/" + uid + "/export").status, 404u);

  auto ex = admin.call("GET", "/api/v1/users/" + uid + "/export", "", 200);
  ASSERT_TRUE(ex.is_object());
  EXPECT_EQ(str(ex.at("user").at("phone")), phone);
  EXPECT_EQ(str(ex.at("user").at("name")), "张三丰");
  EXPECT_EQ(ex.at("positions").as_array().size(), 2u);
  ASSERT_EQ(ex.at("inspections").as_array().size(), 1u);
  EXPECT_EQ(str(ex.at("inspections").at(0).at("user_id")), uid);
  bool created_entry = false;
  for (const auto& e : ex.at("audit_about").as_array())
    created_entry = created_entry || str(e.at("action")) == "user.create";
  EXPECT_TRUE(created_entry) << json::serialize(ex.at("audit_about"));

  // Erase: who may, then what it does.
  As vol(server().port(), kVolunteer, "x");
  EXPECT_EQ(vol.client.request("POST", "/api/v1/users/" + uid + "/erase", "", "").status, 403u);
  EXPECT_EQ(admin.client.request("POST", "/api/v1/users/" + admin.id + "/erase", "", "").status,
            403u)
      << "nobody erases themselves";
  auto er = admin.call("POST", "/api/v1/users/" + uid + "/erase", "", 200);
  EXPECT_NE(str(er.at("user").at("name")), "张三丰");
  EXPECT_NE(str(er.at("user").at("phone")), phone);
  // Sessions ended and the login gone.
  EXPECT_EQ(person.client.get("/api/v1/me").status, 401u);
  HttpsClient again(server().port());
  auto login = again.post_json(
      "/api/v1/auth/login",
      json::serialize(json::object{{"phone", phone},
                                   {"password", str(created.at("one_time_password"))},
                                   {"device_id", "d"}}));
  EXPECT_EQ(login.status, 401u) << login.body;
  // Track gone; the report kept under the pseudonym.
  auto track = city.call("GET", "/api/v1/users/" + uid + "/track", "", 200);
  EXPECT_TRUE(track.at("items").as_array().empty());
  auto ins = city.call("GET", "/api/v1/inspections?user_id=" + uid, "", 200);
  EXPECT_EQ(ins.at("items").as_array().size(), 1u);
  auto profile = city.call("GET", "/api/v1/users/" + uid, "", 200);
  EXPECT_EQ(str(profile.at("name")), str(er.at("user").at("name")));
  EXPECT_TRUE(profile.at("disabled").as_bool());
  auto export_after = city.call("GET", "/api/v1/users/" + uid + "/export", "", 200);
  EXPECT_EQ(json::serialize(export_after).find("张三丰"), std::string::npos);
  EXPECT_TRUE(export_after.at("positions").as_array().empty());
  // Audited: the exports and the erasure, by whom.
  std::vector<std::string> actions;
  for (const auto& e : audit(city, "&object_type=user&object_id=" + uid, 100))
    actions.push_back(str(e.at("action")) + " by " + str(e.at("actor_role")));
  EXPECT_EQ(actions,
            (std::vector<std::string>{"user.export by city_admin", "user.erase by village_admin",
                                      "user.export by village_admin", "user.export by town_staff",
                                      "user.create by village_admin"}));
}

// --track-retention on the patrold binary: positions older than it are
// deleted by the background job; inspections and newer positions stay.
TEST(Retention, TheBackgroundJobDeletesOldPositionsOnly) {
  test::TempDir dir("patrol-retention");
  test::PatroldProcess p(dir.path(), true, {"--track-retention=20s"});
  As vol(p.port(), kVolunteer, "vol-phone");
  As city(p.port(), kCity, "city-desk");
  const auto now = now_ms();
  auto sites = vol.call("GET", "/api/v1/sites?category=shop&limit=1", "", 200);
  const auto& site = sites.at("items").at(0);
  const std::int64_t old_t = now - 3600'000;  // an hour ago: past the 20 s retention
  auto r =
      vol.push({op("position.append", points({old_t, old_t + 1000, old_t + 2000})),
                op("position.append", points({now})),
                op("inspection.create", inspection(site, old_t, "window_throwing", "hazard"))});
  for (const auto& x : r) ASSERT_EQ(str(x.at("status")), "applied") << json::serialize(x);

  const std::string track = "/api/v1/users/" + vol.id + "/track?limit=1000";
  std::size_t left = 0;
  const auto deadline = std::chrono::steady_clock::now() + 12s;  // the job runs every 2 s
  do {
    std::this_thread::sleep_for(500ms);
    left = city.call("GET", track, "", 200).at("items").as_array().size();
  } while (left != 1 && std::chrono::steady_clock::now() < deadline);
  auto items = city.call("GET", track, "", 200).at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << json::serialize(items);
  EXPECT_EQ(str(items[0].at("t")), rfc3339(now));
  auto ins = city.call("GET", "/api/v1/inspections?user_id=" + vol.id, "", 200);
  EXPECT_EQ(ins.at("items").as_array().size(), 1u) << "inspections are kept";
  auto hz = city.call("GET", "/api/v1/hazards?site_id=" + str(site.at("id")), "", 200);
  bool kept = false;
  for (const auto& h : hz.at("items").as_array())
    kept = kept || str(h.at("item_code")) == "window_throwing";
  EXPECT_TRUE(kept) << "hazards are kept";
  EXPECT_EQ(p.terminate(), 0);
}
