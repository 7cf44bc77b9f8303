// Schedules, rounds, the hazard lifecycle over REST, users admin and the
// overview, through Api::handle on a real SQLite file with the demo seed.
#include <boost/json.hpp>

#include "api_test_util.hpp"
#include "domain/local_time.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::test {
namespace {

constexpr const char* kAdmin = "13900000007";      // village_admin 大田刘村
constexpr const char* kLeader = "13900000001";     // team_leader 大田刘村
constexpr const char* kVolunteer = "13900000002";  // volunteer 大田刘村
constexpr const char* kOther = "13900000003";      // volunteer 东溪单村
constexpr const char* kTown = "13900000004";       // town_staff 大田街道
constexpr const char* kCity = "13900000000";       // city_admin

class RoundsApiTest : public ApiFixture {
 protected:
  void customize(ApiConfig& cfg) override { cfg.timers = false; }

  json::object seeded_schedule(const std::string& t) {
    auto v = get("/api/v1/schedules", t);
    return v.at("items").as_array().at(0).as_object();
  }

  // A hazard of 大田刘村 found by the volunteer; its id.
  std::string new_hazard() {
    auto t = login(kVolunteer);
    auto site = get("/api/v1/sites?category=shop&limit=1", t).at("items").as_array().at(0);
    json::object body{{"id", wire::make_uuid_v7()},
                      {"site_id", site.at("id")},
                      {"template_id", site.at("template_id")},
                      {"template_version", 1},
                      {"observed_at", "2026-11-28T19:05:00+08:00"},
                      {"items", json::array{json::object{{"code", "flying_wire_charging"},
                                                         {"result", "hazard"}}}},
                      {"note", ""}};
    json::object push{{"device_id", "d"},
                      {"ops", json::array{json::object{{"op_id", wire::make_uuid_v7()},
                                                       {"type", "inspection.create"},
                                                       {"body", body}}}}};
    auto r = call_json("POST", "/api/v1/sync/push", json::serialize(push), t, 200);
    EXPECT_EQ(r.at("results").at(0).at("status"), "applied") << r;
    auto hz = get("/api/v1/hazards?site_id=" + std::string(site.at("id").as_string()), t);
    return std::string(hz.at("items").at(0).at("id").as_string());
  }

  unsigned transition(const std::string& id, const std::string& phone, json::object body,
                      json::value* out = nullptr) {
    auto r =
        call("POST", "/api/v1/hazards/" + id + "/transitions", json::serialize(body), login(phone));
    if (out) *out = json::parse(r.body);
    return r.status;
  }
};

TEST_F(RoundsApiTest, ScheduleCrudReplansRoundsWithinScope) {
  auto admin = login(kAdmin);
  auto seeded = seeded_schedule(admin);
  json::object s{
      {"team_id", seeded.at("team_id")},
      {"name", "周二四"},
      {"weekdays", json::array{2, 4}},
      {"start_time", "20:00"},
      {"duration_min", 90},
      {"route", seeded.at("route")},
      {"geofence_m", 40},
      {"exceptions", json::array{json::object{{"date", "2030-01-01"}, {"action", "cancel"}}}}};
  auto created = call_json("POST", "/api/v1/schedules", json::serialize(s), admin, 201);
  std::string id(created.at("id").as_string());
  EXPECT_EQ(created.at("tz"), "Asia/Shanghai");
  EXPECT_EQ(created.at("geofence_m").to_number<double>(), 40);
  EXPECT_EQ(created.at("org_unit_id"), "21");

  auto rounds =
      get("/api/v1/rounds?team_id=" + std::string(seeded.at("team_id").as_string()) + "&limit=1000",
          admin);
  int mine = 0;
  for (const auto& r : rounds.at("items").as_array()) {
    if (r.at("schedule_id") != json::value(id)) continue;
    ++mine;
    auto d = domain::parse_date(r.at("date").as_string());
    ASSERT_TRUE(d);
    int w = domain::iso_weekday(*d);
    EXPECT_TRUE(w == 2 || w == 4) << r;
    EXPECT_EQ(r.at("state"), "planned");
    EXPECT_EQ(r.at("progress").at("sites_planned").as_int64(),
              static_cast<std::int64_t>(seeded.at("route").as_array().size()));
  }
  EXPECT_GE(mine, 3) << "two weeks ahead";

  // Read, update (the plan follows), delete (its planned rounds go).
  EXPECT_EQ(get("/api/v1/schedules/" + id, admin).at("name"), "周二四");
  s["weekdays"] = json::array{6};
  auto put = call_json("PUT", "/api/v1/schedules/" + id, json::serialize(s), admin, 200);
  EXPECT_EQ(put.at("weekdays"), (json::array{6}));
  rounds = get("/api/v1/rounds?limit=1000", admin);
  for (const auto& r : rounds.at("items").as_array())
    if (r.at("schedule_id") == json::value(id)) {
      EXPECT_EQ(domain::iso_weekday(*domain::parse_date(r.at("date").as_string())), 6) << r;
    }
  // The phone sees it through sync/pull.
  auto pull = get("/api/v1/sync/pull?cursor=0&limit=1000", login(kVolunteer));
  bool schedule_seen = false;
  for (const auto& c : pull.at("changes").as_array())
    schedule_seen |= c.at("entity") == "schedule" && c.at("id") == json::value(id);
  EXPECT_TRUE(schedule_seen);

  EXPECT_EQ(call("DELETE", "/api/v1/schedules/" + id, "", admin).status, 204u);
  EXPECT_EQ(call("GET", "/api/v1/schedules/" + id, "", admin).status, 404u);
  rounds = get("/api/v1/rounds?limit=1000", admin);
  for (const auto& r : rounds.at("items").as_array())
    EXPECT_NE(r.at("schedule_id"), json::value(id));
}

TEST_F(RoundsApiTest, ScheduleInputAndScopeErrors) {
  auto admin = login(kAdmin);
  auto seeded = seeded_schedule(admin);
  json::object good{{"team_id", seeded.at("team_id")},
                    {"weekdays", json::array{1}},
                    {"start_time", "19:00"},
                    {"duration_min", 60}};
  struct Case {
    const char* key;
    json::value value;
    const char* field;
  } cases[] = {
      {"weekdays", json::array{8}, "weekdays[0]"},
      {"weekdays", json::array{}, "weekdays"},
      {"start_time", "25:00", "start_time"},
      {"duration_min", 0, "duration_min"},
      {"tz", "Mars/Base", "tz"},
      {"starts_on", "2026-02-30", "starts_on"},
      {"team_id", "no-such-team", "team_id"},
      {"route", json::array{"no-such-site"}, "route[0]"},
      {"exceptions", json::array{json::object{{"date", "2026-12-01"}, {"action", "move"}}},
       "exceptions[0].start_time"},
  };
  for (const auto& c : cases) {
    auto body = good;
    body[c.key] = c.value;
    auto r = call("POST", "/api/v1/schedules", json::serialize(body), admin);
    EXPECT_EQ(r.status, 422u) << c.key << " = " << c.value << ": " << r.body;
    EXPECT_NE(r.body.find(std::string("\"field\":\"") + c.field + "\""), std::string::npos)
        << c.key << ": " << r.body;
  }
  // A volunteer may not plan; another village cannot see this team.
  EXPECT_EQ(call("POST", "/api/v1/schedules", json::serialize(good), login(kVolunteer)).status,
            403u);
  auto other = call("POST", "/api/v1/schedules", json::serialize(good), login(kOther));
  EXPECT_EQ(other.status, 403u) << other.body;
  std::string sid(seeded.at("id").as_string());
  EXPECT_EQ(call("GET", "/api/v1/schedules/" + sid, "", login(kOther)).status, 404u);
  EXPECT_EQ(get("/api/v1/rounds", login(kOther)).at("items").as_array().size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/rounds?state=done", "", admin).status, 400u);
}

TEST_F(RoundsApiTest, RoundDetailHasProgress) {
  auto t = login(kVolunteer);
  // A round that has not begun yet: today's seeded round is `missed` once its
  // start plus the grace has passed (a Monday evening in China time).
  const auto later = wire::format_rfc3339(wire::now_millis() + std::chrono::hours(1));
  auto rounds = get("/api/v1/rounds?state=planned&limit=1&from=" + later, t);
  ASSERT_EQ(rounds.at("items").as_array().size(), 1u);
  std::string id(rounds.at("items").at(0).at("id").as_string());
  auto r = get("/api/v1/rounds/" + id, t);
  EXPECT_EQ(r.at("state"), "planned");
  EXPECT_EQ(r.at("progress").at("sites_visited"), 0);
  EXPECT_EQ(r.at("duration_s"), 0);
  EXPECT_EQ(call("GET", "/api/v1/rounds/" + id, "", login(kOther)).status, 404u);
}

TEST_F(RoundsApiTest, HazardLifecycleByRoleWithHistory) {
  auto id = new_hazard();
  auto volunteer_id = std::string(get("/api/v1/me", login(kVolunteer)).at("id").as_string());
  json::value out;
  // Volunteers cannot assign; nothing goes from open straight to closed.
  EXPECT_EQ(transition(id, kVolunteer, {{"to", "assigned"}, {"assignee_id", volunteer_id}}), 403u);
  EXPECT_EQ(transition(id, kCity, {{"to", "closed"}}, &out), 409u);
  EXPECT_EQ(out.at("error").at("code"), "invalid_transition");
  std::string msg(out.at("error").at("message").as_string());
  EXPECT_NE(msg.find("open"), std::string::npos) << msg;
  EXPECT_NE(msg.find("closed"), std::string::npos) << msg;
  EXPECT_EQ(transition(id, kLeader, {{"to", "assigned"}}, &out), 422u) << "needs an assignee";
  EXPECT_EQ(transition(id, kLeader, {{"to", "fixed"}}), 422u);
  EXPECT_EQ(transition(id, kOther, {{"to", "assigned"}}), 404u) << "other village";

  ASSERT_EQ(transition(id, kLeader,
                       {{"to", "assigned"},
                        {"assignee_id", volunteer_id},
                        {"deadline", "2030-01-01T00:00:00Z"},
                        {"note", "限期整改"}},
                       &out),
            200u)
      << out;
  EXPECT_EQ(out.at("state"), "assigned");
  EXPECT_EQ(out.at("assignee_id"), json::value(volunteer_id));
  EXPECT_EQ(out.at("deadline"), "2030-01-01T00:00:00.000Z");
  EXPECT_EQ(out.at("escalation"), "village");
  EXPECT_EQ(transition(id, kVolunteer,
                       {{"to", "rectified"}, {"photos", json::array{std::string(64, 'a')}}}),
            200u);
  EXPECT_EQ(transition(id, kVolunteer, {{"to", "assigned"}, {"note", "复查未通过"}}), 200u);
  EXPECT_EQ(transition(id, kVolunteer, {{"to", "rectified"}}), 200u);
  EXPECT_EQ(transition(id, kVolunteer, {{"to", "verified"}}), 200u);
  EXPECT_EQ(transition(id, kVolunteer, {{"to", "closed"}}), 403u);
  EXPECT_EQ(transition(id, kLeader, {{"to", "closed"}}), 403u);
  ASSERT_EQ(transition(id, kAdmin, {{"to", "closed"}}, &out), 200u) << out;
  EXPECT_EQ(out.at("state"), "closed");
  EXPECT_TRUE(out.at("closed_at").is_string());

  auto h = get("/api/v1/hazards/" + id, login(kTown));
  const auto& hist = h.at("history").as_array();
  ASSERT_EQ(hist.size(), 6u) << h;
  const char* path[][2] = {{"open", "assigned"},      {"assigned", "rectified"},
                           {"rectified", "assigned"}, {"assigned", "rectified"},
                           {"rectified", "verified"}, {"verified", "closed"}};
  for (std::size_t i = 0; i < hist.size(); ++i) {
    EXPECT_EQ(hist[i].at("from"), path[i][0]) << i;
    EXPECT_EQ(hist[i].at("to"), path[i][1]) << i;
  }
  EXPECT_EQ(hist[0].at("note"), "限期整改");
  EXPECT_EQ(hist[1].at("photos").at(0), json::value(std::string(64, 'a')));
  EXPECT_EQ(hist[2].at("by"), json::value(volunteer_id));
  EXPECT_EQ(call("GET", "/api/v1/hazards/" + id, "", login(kOther)).status, 404u);
}

TEST_F(RoundsApiTest, UsersAdminNeverAboveOwnRole) {
  auto admin = login(kAdmin);
  json::object u{
      {"phone", "13912345678"}, {"name", "新队员"}, {"role", "volunteer"}, {"org_unit_id", "21"}};
  auto created = call_json("POST", "/api/v1/users", json::serialize(u), admin, 201);
  std::string otp(created.at("one_time_password").as_string());
  EXPECT_GE(otp.size(), 10u);
  EXPECT_EQ(created.at("user").at("role"), "volunteer");
  std::string uid(created.at("user").at("id").as_string());
  // The one-time password logs in.
  EXPECT_FALSE(login("13912345678", otp).empty());
  EXPECT_EQ(call("POST", "/api/v1/users", json::serialize(u), admin).status, 409u) << "phone taken";

  struct Case {
    const char* caller;
    const char* role;
    const char* org;
    unsigned status;
  } cases[] = {
      {kAdmin, "town_staff", "21", 403},     // above own role
      {kAdmin, "village_admin", "21", 201},  // own role is fine
      {kAdmin, "volunteer", "22", 403},      // another village
      {kAdmin, "volunteer", "2", 403},       // above own node
      {kLeader, "volunteer", "21", 403},     // leaders do not administer users
      {kVolunteer, "volunteer", "21", 403},
      {kTown, "village_admin", "22", 403},  // 东溪单村 is not in 大田街道
      {kTown, "town_staff", "2", 201},
      {kCity, "city_admin", "1", 201},
      {kAdmin, "emperor", "21", 422},
  };
  int n = 0;
  for (const auto& c : cases) {
    json::object b{{"phone", "1380000" + std::to_string(1000 + n++)},
                   {"name", "x"},
                   {"role", c.role},
                   {"org_unit_id", c.org}};
    auto r = call("POST", "/api/v1/users", json::serialize(b), login(c.caller));
    EXPECT_EQ(r.status, c.status) << c.caller << " creates " << c.role << " in " << c.org << ": "
                                  << r.body;
  }

  // Edit, reset, disable; a disabled user cannot log in.
  auto put = call_json("PUT", "/api/v1/users/" + uid,
                       json::serialize(json::object{{"name", "改名"}, {"reset_password", true}}),
                       admin, 200);
  EXPECT_EQ(put.at("user").at("name"), "改名");
  std::string otp2(put.at("one_time_password").as_string());
  EXPECT_EQ(call("PUT", "/api/v1/users/" + uid,
                 json::serialize(json::object{{"role", "city_admin"}}), admin)
                .status,
            403u);
  auto town_id = std::string(get("/api/v1/me", login(kTown)).at("id").as_string());
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + town_id, "", admin).status, 404u) << "above: unseen";
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + uid, "", admin).status, 204u);
  auto back = get("/api/v1/users/" + uid, admin);
  EXPECT_EQ(back.at("disabled"), true);
  auto denied = call("POST", "/api/v1/auth/login",
                     json::serialize(json::object{
                         {"phone", "13912345678"}, {"password", otp2}, {"device_id", "d"}}));
  EXPECT_EQ(denied.status, 401u) << denied.body;

  auto list = get("/api/v1/users?limit=1000", admin);
  for (const auto& x : list.at("items").as_array())
    EXPECT_EQ(std::string(x.at("org_unit_id").as_string()).substr(0, 1), "2") << x;
  EXPECT_EQ(call("GET", "/api/v1/users", "", login(kVolunteer)).status, 403u);
}

TEST_F(RoundsApiTest, OverviewCountsAndDrillsDown) {
  new_hazard();
  auto city = get("/api/v1/overview", login(kCity));
  EXPECT_EQ(city.at("org_unit_id"), "1");
  EXPECT_EQ(city.at("children").as_array().size(), 19u);
  EXPECT_EQ(city.at("hazards").at("found"), 1);
  EXPECT_EQ(city.at("hazards").at("by_item").at("flying_wire_charging"), 1);
  EXPECT_EQ(city.at("inspections"), 1);
  EXPECT_TRUE(city.at("rectification_rate").is_number());
  EXPECT_TRUE(city.at("median_close_hours").is_null());
  std::int64_t child_found = 0;
  for (const auto& c : city.at("children").as_array())
    child_found += c.at("hazards").at("found").as_int64();
  EXPECT_EQ(child_found, 1);
  // Hazards by the site's category (new_hazard() reports at a shop).
  EXPECT_EQ(city.at("hazards").at("by_category").at("shop"), 1) << city.at("hazards");
  // The week-by-week trend: Mondays (Asia/Shanghai) covering the period, adding up.
  const auto& weekly = city.at("weekly").as_array();
  ASSERT_GE(weekly.size(), 5u);
  std::int64_t inspections = 0, found = 0;
  for (const auto& w : weekly) {
    auto d = domain::parse_date(std::string(w.at("week_start").as_string()));
    ASSERT_TRUE(d) << w;
    EXPECT_EQ(domain::iso_weekday(*d), 1) << w;
    inspections += w.at("inspections").as_int64();
    found += w.at("hazards_found").as_int64();
    EXPECT_GE(w.at("rounds_completed").as_int64(), 0);
    EXPECT_GE(w.at("rounds_missed").as_int64(), 0);
    EXPECT_GE(w.at("hazards_closed").as_int64(), 0);
  }
  EXPECT_EQ(inspections, 1);
  EXPECT_EQ(found, 1);
  EXPECT_LE(std::string(weekly.at(0).at("week_start").as_string()),
            std::string(city.at("from").as_string()));
  auto village =
      get("/api/v1/overview?org_unit_id=21&from=2026-01-01&to=2030-12-31", login(kAdmin));
  EXPECT_EQ(village.at("from"), "2026-01-01");
  EXPECT_GT(village.at("sites").as_int64(), 0);
  EXPECT_GT(village.at("rounds").at("planned").as_int64(), 0);
  EXPECT_EQ(call("GET", "/api/v1/overview?org_unit_id=1", "", login(kAdmin)).status, 403u);
  EXPECT_EQ(call("GET", "/api/v1/overview?from=yesterday", "", login(kAdmin)).status, 400u);
}

}  // namespace
}  // namespace patrol::api::test
