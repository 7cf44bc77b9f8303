// The authorisation matrix (issue 9), against a real patrold over TLS on
// 127.0.0.1: every route of the server's route table (api::route_table()) and
// the live feed's subscribe message, for every role of domain/roles.hpp, on an
// object in the caller's scope (village A, 大田刘村, inside every demo role's
// subtree) and one outside it (village B, 东溪单村 of another town: outside
// every role's subtree but the city's), read and write, asserted against the
// expected table below and printed. A route without a row fails the test, so a
// new route cannot ship without its rights being written down.
//
// Adding a route: append ONE row to kMatrix (method and pattern exactly as in
// api.cpp's make_router, a label, the target and body with {placeholders}, and
// the expected cells for volunteer, team_leader, village_admin, town_staff,
// city_admin on A then on B: Y allowed, N refused, - not probed). Placeholders
// (resolve() below) stand for the village's object of that kind; {fresh_*}
// ones create a new object for each cell, so a write never depends on an
// earlier cell. Public routes (no token) are listed in kPublic.
//
// A second test checks mass assignment: ids, owners, org units, states and
// server-set times in bodies are ignored or refused, never stored.
#include <gtest/gtest.h>

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "domain/roles.hpp"
#include "patrol/wire/uuid.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/test_values.hpp"
#include "test_support/wss_client.hpp"

using namespace patrol;
namespace json = boost::json;
using test::HttpResponse;
using test::HttpsClient;
using test::now_ms;
using test::rfc3339;
using test::sha256_hex;
using test::str;
using test::TestServer;

namespace {

// ---------------------------------------------------------------------------
// The expected table. Cells: volunteer, team_leader, village_admin,
// town_staff, city_admin. "in" = village A's object, "out" = village B's.
// Allowed means 2xx (a push op `applied`; with `mention`, the answer also
// contains that object); refused means 401/403/404, a 422 `not_found` naming
// the out-of-scope reference, a push op `rejected` as not_found/forbidden, a
// live subscription answered `forbidden`, or (with `mention`) a 2xx answer
// that does not contain the object. Anything else fails the cell.
struct Row {
  const char* method;
  const char* route;  // the pattern as in the route table
  const char* label;
  const char* target;  // "ws:" = the live feed: subscribe to the org after "ws:"
  const char* body;
  const char* in;
  const char* out;
  const char* mention = "";  // a placeholder whose value a 2xx answer must contain
};

#define OP(type, body)                                                                            \
  R"({"device_id":"matrix","ops":[{"op_id":"{uuid}","type":")" type R"(","device_time":"{now}",)" \
  R"("body":)" body "}]}"

const std::vector<Row> kMatrix = {
    // clang-format off
    {"POST", "/api/v1/auth/logout", "own session (fresh login)", "/api/v1/auth/logout", "", "YYYYY", "-----"},
    {"GET", "/api/v1/me", "oneself", "/api/v1/me", "", "YYYYY", "-----"},
    {"POST", "/api/v1/sync/push", "inspection.create at site", "/api/v1/sync/push",
     OP("inspection.create", R"({"id":"{uuid}","site_id":"{site}","template_id":"{template}","template_version":1,"observed_at":"{now}","items":[{"code":"corridor_clutter","result":"ok"}]})"),
     "YYYYY", "NNNNY"},
    {"POST", "/api/v1/sync/push", "position.append (own)", "/api/v1/sync/push",
     OP("position.append", R"({"points":[{"t":"{now}","lat":28.85,"lon":121.14,"accuracy_m":5}]})"), "YYYYY", "-----"},
    {"POST", "/api/v1/sync/push", "hazard.transition op", "/api/v1/sync/push",
     OP("hazard.transition", R"({"hazard_id":"{hazard}","to":"{flip}"})"), "YYYYY", "NNNNY"},
    {"POST", "/api/v1/sync/push", "round.checkin op", "/api/v1/sync/push",
     OP("round.checkin", R"({"round_id":"{round}","site_id":"{site}","position":{"lat":28.85,"lon":121.14,"accuracy_m":5}})"),
     "YYYYY", "NNNNY"},
    {"GET", "/api/v1/sync/pull", "changes (all pages)", "/api/v1/sync/pull?limit=1000", "", "YYYYY", "NNNNY", "{hazard}"},
    {"GET", "/api/v1/sites", "list by org", "/api/v1/sites?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/sites/{id}", "one site", "/api/v1/sites/{site}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/inspections", "list by org", "/api/v1/inspections?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/hazards", "list by org", "/api/v1/hazards?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/positions/latest", "list by org", "/api/v1/positions/latest?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/users/{id}/track", "a colleague's track", "/api/v1/users/{user}/track", "", "NYYYY", "NNNNY"},
    {"GET", "/api/v1/alerts", "a colleague's SOS", "/api/v1/alerts?limit=1000&org_unit_id={org}", "", "NYYYY", "NNNNY", "{alert}"},
    {"POST", "/api/v1/sos/{id}/ack", "acknowledge a colleague's SOS", "/api/v1/sos/{alert}/ack", "", "NYYYY", "NNNNY"},
    {"HEAD", "/api/v1/attachments/{sha256}", "a photo of the village", "/api/v1/attachments/{sha}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/attachments/{sha256}", "a photo of the village", "/api/v1/attachments/{sha}", "", "YYYYY", "NNNNY"},
    {"PUT", "/api/v1/attachments/{sha256}", "a new photo (own upload)", "/api/v1/attachments/{fresh_sha}", "{fresh_bytes}", "YYYYY", "-----"},
    {"GET", "/api/v1/live", "subscribe", "ws:{org}", "", "YYYYY", "NNNNY"},
    {"POST", "/api/v1/trackers", "register own tracker", "/api/v1/trackers", R"({"identifier":"{fresh_tracker}"})", "YYYYY", "-----"},
    {"GET", "/api/v1/schedules", "list by org", "/api/v1/schedules?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"POST", "/api/v1/schedules", "for the village's team", "/api/v1/schedules",
     R"({"team_id":"{team}","name":"matrix","weekdays":[1,2,3,4,5,6,7],"start_time":"19:00","duration_min":60,"route":["{site}"]})",
     "NYYYY", "NNNNY"},
    {"GET", "/api/v1/schedules/{id}", "one schedule", "/api/v1/schedules/{schedule}", "", "YYYYY", "NNNNY"},
    {"PUT", "/api/v1/schedules/{id}", "edit", "/api/v1/schedules/{fresh_schedule}",
     R"({"team_id":"{team}","name":"edited","weekdays":[2,4],"start_time":"19:30","duration_min":60,"route":["{site}"]})",
     "NYYYY", "NNNNY"},
    {"DELETE", "/api/v1/schedules/{id}", "remove", "/api/v1/schedules/{fresh_schedule}", "", "NYYYY", "NNNNY"},
    {"GET", "/api/v1/rounds", "list by org", "/api/v1/rounds?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/rounds/{id}", "one round", "/api/v1/rounds/{round}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/rounds/{id}/track.gpx", "a colleague's track in it", "/api/v1/rounds/{round}/track.gpx", "", "NYYYY", "NNNNY", "{user}"},
    {"GET", "/api/v1/hazards/{id}", "one hazard", "/api/v1/hazards/{hazard}", "", "YYYYY", "NNNNY"},
    {"POST", "/api/v1/hazards/{id}/transitions", "assigned<->rectified", "/api/v1/hazards/{hazard}/transitions", R"({"to":"{flip}"})", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/users", "list by org", "/api/v1/users?org_unit_id={org}", "", "NYYYY", "NNNNY"},
    {"POST", "/api/v1/users", "a volunteer in the org", "/api/v1/users",
     R"({"phone":"{fresh_phone}","name":"Matrix","role":"volunteer","org_unit_id":"{org}"})", "NNYYY", "NNNNY"},
    {"GET", "/api/v1/users/{id}", "a colleague", "/api/v1/users/{user}", "", "NYYYY", "NNNNY"},
    {"PUT", "/api/v1/users/{id}", "rename a volunteer", "/api/v1/users/{fresh_user}", R"({"name":"Renamed"})", "NNYYY", "NNNNY"},
    {"DELETE", "/api/v1/users/{id}", "disable a volunteer", "/api/v1/users/{fresh_user}", "", "NNYYY", "NNNNY"},
    {"GET", "/api/v1/overview", "of the org", "/api/v1/overview?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/exports/inspections.csv", "of the org", "/api/v1/exports/inspections.csv?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/exports/hazards.csv", "of the org", "/api/v1/exports/hazards.csv?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/exports/sites.geojson", "of the org", "/api/v1/exports/sites.geojson?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/exports/hazards.geojson", "of the org", "/api/v1/exports/hazards.geojson?org_unit_id={org}", "", "YYYYY", "NNNNY"},
    {"GET", "/api/v1/audit", "the audit log (global)", "/api/v1/audit?limit=5", "", "NNNNY", "-----"},
    {"GET", "/api/v1/users/{id}/export", "a volunteer's data (PIPL)", "/api/v1/users/{user}/export", "", "NNYYY", "NNNNY"},
    {"POST", "/api/v1/users/{id}/erase", "a volunteer (PIPL)", "/api/v1/users/{fresh_user}/erase", "", "NNYYY", "NNNNY"},
    {"GET", "/api/v1/teams", "list by org", "/api/v1/teams?limit=1000&org_unit_id={org}", "", "YYYYY", "NNNNY", "{team}"},
    {"POST", "/api/v1/teams", "a team in the org", "/api/v1/teams",
     R"({"name":"matrix team","org_unit_id":"{org}","members":["{user}"]})", "NNYYY", "NNNNY"},
    {"GET", "/api/v1/teams/{id}", "the village's team", "/api/v1/teams/{team}", "", "YYYYY", "NNNNY"},
    {"PUT", "/api/v1/teams/{id}", "rename, add a volunteer", "/api/v1/teams/{fresh_team}",
     R"({"name":"renamed team","add_members":["{user}"]})", "NNYYY", "NNNNY"},
    {"DELETE", "/api/v1/teams/{id}", "remove", "/api/v1/teams/{fresh_team}", "", "NNYYY", "NNNNY"},
    {"POST", "/api/v1/sites", "a site in the org", "/api/v1/sites",
     R"({"name":"matrix site","category":"shop","lat":28.85,"lon":121.14,"org_unit_id":"{org}"})", "NNYYY", "NNNNY"},
    {"PUT", "/api/v1/sites/{id}", "rename", "/api/v1/sites/{fresh_site}", R"({"name":"renamed site"})", "NNYYY", "NNNNY"},
    {"DELETE", "/api/v1/sites/{id}", "remove", "/api/v1/sites/{fresh_site}", "", "NNYYY", "NNNNY"},
    // clang-format on
};

// Routes served without a bearer token (login, tracking apps, the dashboard's
// config, health and metrics): they must be exactly the table's needs_auth=false rows.
const std::set<std::pair<std::string, std::string>> kPublic = {
    {"POST", "/api/v1/auth/login"}, {"GET", "/osmand"},  {"POST", "/osmand"},
    {"GET", "/config.json"},        {"GET", "/healthz"}, {"GET", "/metrics"},
};

constexpr std::array<const char*, 5> kRolePhones = {
    "13900000002",  // volunteer, 大田刘村 (A)
    "13900000001",  // team_leader, A
    "13900000007",  // village_admin, A
    "13900000004",  // town_staff, 大田街道 (above A)
    "13900000000",  // city_admin, 临海市
};
constexpr const char* kColleagueA = "13900000005";  // another volunteer of A
constexpr const char* kVolunteerB = "13900000003";  // volunteer of 东溪单村 (B)

// ---------------------------------------------------------------------------

json::value parse(const std::string& s) {
  return test::parse_json(s);
}

TestServer& server() {
  // hundreds of requests per role, back to back
  static TestServer s(test::without_request_rate_limits());
  return s;
}

struct Session {
  std::string phone;
  std::string token;
  std::string id;
  std::string org;
  std::string org_path;
};

Session login_as(const std::string& phone) {
  test::LoggedIn u(server().port(), phone, "matrix-" + phone);
  return {phone, u.token, u.id, u.org_unit_id, u.org_path};
}

// One kept-alive connection per token (hundreds of cells: no handshake each).
HttpResponse call(const std::string& token, const std::string& method, const std::string& target,
                  const std::string& body = {}, std::string content_type = "application/json",
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  static std::map<std::string, std::unique_ptr<HttpsClient>> clients;
  auto& c = clients[token];
  if (!c) {
    c = std::make_unique<HttpsClient>(server().port());
    if (!token.empty()) c->set_bearer(token);
  }
  auto r = c->request(method, target, body, body.empty() ? "" : content_type, headers);
  if (!r.keep_alive) c.reset();
  return r;
}

json::value call_json(const std::string& token, const std::string& method,
                      const std::string& target, const std::string& body, unsigned want) {
  auto r = call(token, method, target, body);
  EXPECT_EQ(r.status, want) << method << " " << target << " " << body << " -> " << r.body;
  return parse(r.body);
}

json::array push(const std::string& token, json::array ops) {
  auto v = call_json(token, "POST", "/api/v1/sync/push",
                     json::serialize(json::object{{"device_id", "matrix"}, {"ops", ops}}), 200);
  return v.is_object() ? v.at("results").as_array() : json::array{};
}

json::object op(const std::string& type, json::object body, std::int64_t t = now_ms()) {
  return {{"op_id", wire::make_uuid_v7()},
          {"type", type},
          {"device_time", rfc3339(t)},
          {"body", std::move(body)}};
}

// One village's objects, made by its own people through the API.
struct Village {
  std::string org, org_path;
  std::string site, template_id, team, schedule, round, hazard, sha, alert, inspection;
  std::string user;  // a volunteer of the village (not one of the probing roles)
  std::string user_token;
};

class Matrix {
 public:
  Matrix() {
    for (const char* p : kRolePhones) roles_.push_back(login_as(p));
    city_ = roles_[4];
    auto colleague = login_as(kColleagueA);
    auto vb = login_as(kVolunteerB);
    a_ = make_village(colleague, "");
    b_ = make_village(vb, create_team(vb.org, "B team", {vb.id}));
  }

  const Session& role(std::size_t i) const { return roles_[i]; }
  const Session& city() const { return city_; }
  const Village& village(bool in) const { return in ? a_ : b_; }

  // Replaces every {name} in `text` for a cell (role i, village in/out);
  // `cell` keeps what a {fresh_*} made so the body can refer to it.
  std::string resolve(std::string text, const Village& v,
                      std::map<std::string, std::string>& cell) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      auto open = text.find('{', i);
      auto close = open == std::string::npos ? open : text.find('}', open);
      if (close == std::string::npos) {
        out += text.substr(i);
        break;
      }
      std::string name = text.substr(open + 1, close - open - 1);
      if (name.empty() ||
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
        out += text.substr(i, open + 1 - i);  // JSON, not a placeholder
        i = open + 1;
        continue;
      }
      out += text.substr(i, open - i) + value(name, v, cell);
      i = close + 1;
    }
    return out;
  }

 private:
  std::string value(const std::string& name, const Village& v,
                    std::map<std::string, std::string>& cell) {
    if (auto it = cell.find(name); it != cell.end()) return it->second;
    std::string x;
    if (name == "org")
      x = v.org;
    else if (name == "site")
      x = v.site;
    else if (name == "template")
      x = v.template_id;
    else if (name == "team")
      x = v.team;
    else if (name == "schedule")
      x = v.schedule;
    else if (name == "round")
      x = v.round;
    else if (name == "hazard")
      x = v.hazard;
    else if (name == "sha")
      x = v.sha;
    else if (name == "alert")
      x = v.alert;
    else if (name == "user")
      x = v.user;
    else if (name == "uuid")
      x = wire::make_uuid_v7();
    else if (name == "now")
      x = rfc3339(now_ms());
    else if (name == "flip") {
      // The hazard's other state on the assigned <-> rectified edge (both
      // edges are open to every role): each cell moves it one step.
      auto h = call_json(city_.token, "GET", "/api/v1/hazards/" + v.hazard, "", 200);
      x = str(h.at("state")) == "assigned" ? "rectified" : "assigned";
    } else if (name == "fresh_phone") {
      x = "138" + std::to_string(10000000 + ++serial_);
    } else if (name == "fresh_user") {
      x = create_user(v.org);
    } else if (name == "fresh_schedule") {
      x = create_schedule(v, "fresh");
    } else if (name == "fresh_team") {
      x = create_team(v.org, "Fresh team", {});
    } else if (name == "fresh_site") {
      auto site = call_json(city_.token, "POST", "/api/v1/sites",
                            json::serialize(json::object{{"name", "Fresh site"},
                                                         {"category", "shop"},
                                                         {"lat", 28.85},
                                                         {"lon", 121.14},
                                                         {"org_unit_id", v.org}}),
                            201);
      x = site.is_object() ? str(site.at("id")) : "";
    } else if (name == "fresh_tracker") {
      x = "matrix-tracker-" + std::to_string(++serial_);
    } else if (name == "fresh_sha" || name == "fresh_bytes") {
      cell["fresh_bytes"] = "matrix photo " + wire::make_uuid_v7();
      cell["fresh_sha"] = sha256_hex(cell["fresh_bytes"]);
      return cell[name];
    } else {
      ADD_FAILURE() << "unknown placeholder {" << name << "}";
    }
    cell[name] = x;
    return x;
  }

  std::string create_user(const std::string& org) {
    auto v = call_json(
        city_.token, "POST", "/api/v1/users",
        json::serialize(json::object{{"phone", "137" + std::to_string(10000000 + ++serial_)},
                                     {"name", "Fresh"},
                                     {"role", "volunteer"},
                                     {"org_unit_id", org}}),
        201);
    return v.is_object() ? str(v.at("user").at("id")) : "";
  }

  // A daily schedule starting in two minutes, so today's round can be
  // started now (the start window opens an hour before).
  std::string create_schedule(const Village& v, const std::string& name) {
    std::int64_t local = now_ms() + 8 * 3600'000LL + 120'000;  // Asia/Shanghai, no DST
    std::int64_t minute_of_day = (local / 60'000) % (24 * 60);
    char hhmm[8];
    std::snprintf(hhmm, sizeof hhmm, "%02d:%02d", static_cast<int>(minute_of_day / 60),
                  static_cast<int>(minute_of_day % 60));
    auto s = call_json(city_.token, "POST", "/api/v1/schedules",
                       json::serialize(json::object{{"team_id", v.team},
                                                    {"name", name},
                                                    {"weekdays", json::array{1, 2, 3, 4, 5, 6, 7}},
                                                    {"start_time", hhmm},
                                                    {"duration_min", 120},
                                                    {"route", json::array{json::value(v.site)}}}),
                       201);
    return s.is_object() ? str(s.at("id")) : "";
  }

  // A team in `org` made by the city admin through POST /api/v1/teams (the
  // demo has none in village B).
  std::string create_team(const std::string& org, const std::string& name,
                          const std::vector<std::string>& members) {
    json::array ids;
    for (const auto& m : members) ids.push_back(json::value(m));
    auto t = call_json(
        city_.token, "POST", "/api/v1/teams",
        json::serialize(json::object{{"name", name}, {"org_unit_id", org}, {"members", ids}}), 201);
    return t.is_object() ? str(t.at("id")) : "";
  }

  // Everything a village needs, made by `member` (its volunteer) and the city admin.
  Village make_village(const Session& member, std::string team) {
    Village v;
    v.org = member.org;
    v.org_path = member.org_path;
    v.user = member.id;
    v.user_token = member.token;
    auto sites = call_json(member.token, "GET", "/api/v1/sites?category=shop&limit=1", "", 200);
    const auto& site = sites.at("items").at(0);
    v.site = str(site.at("id"));
    v.template_id = str(site.at("template_id"));
    if (team.empty()) {
      auto sch = call_json(member.token, "GET", "/api/v1/schedules?org_unit_id=" + v.org, "", 200);
      team = str(sch.at("items").at(0).at("team_id"));
    }
    v.team = team;
    v.schedule = create_schedule(v, "matrix");
    auto rounds = call_json(city_.token, "GET",
                            "/api/v1/rounds?limit=1000&team_id=" + v.team +
                                "&from=" + rfc3339(now_ms() - 86400'000) +
                                "&to=" + rfc3339(now_ms() + 86400'000),
                            "", 200);
    for (const auto& r : rounds.at("items").as_array())
      if (str(r.at("schedule_id")) == v.schedule && v.round.empty()) v.round = str(r.at("id"));
    EXPECT_FALSE(v.round.empty()) << json::serialize(rounds);
    // A photo, an inspection naming it with a hazard, the round started, a
    // position in it and an SOS: all by the village's own volunteer.
    const std::string photo = "matrix village photo " + wire::make_uuid_v7();
    v.sha = sha256_hex(photo);
    EXPECT_EQ(
        call(member.token, "PUT", "/api/v1/attachments/" + v.sha, photo, "application/octet-stream")
            .status,
        200u);
    v.inspection = wire::make_uuid_v7();
    v.alert = wire::make_uuid_v7();
    auto t = now_ms();
    auto res = push(
        member.token,
        json::array{
            op("round.start", json::object{{"round_id", v.round}}, t - 10'000),
            op("inspection.create",
               json::object{{"id", v.inspection},
                            {"site_id", v.site},
                            {"template_id", v.template_id},
                            {"template_version", 1},
                            {"observed_at", rfc3339(t)},
                            {"items", json::array{json::object{
                                          {"code", "flying_wire_charging"},
                                          {"result", "hazard"},
                                          {"photos", json::array{json::value(v.sha)}}}}}}),
            op("position.append",
               json::object{{"points", json::array{json::object{{"t", rfc3339(t)},
                                                                {"lat", 28.85},
                                                                {"lon", 121.14},
                                                                {"accuracy_m", 5}}}}}),
            op("sos.raise",
               json::object{{"id", v.alert}, {"raised_at", rfc3339(t)}, {"note", "m"}}),
        });
    for (const auto& r : res) EXPECT_EQ(str(r.at("status")), "applied") << json::serialize(r);
    auto hz =
        call_json(member.token, "GET", "/api/v1/hazards?limit=1000&site_id=" + v.site, "", 200);
    for (const auto& h : hz.at("items").as_array())
      if (str(h.at("item_code")) == "flying_wire_charging") v.hazard = str(h.at("id"));
    EXPECT_FALSE(v.hazard.empty());
    // Assigned, so every role has an edge to take (assigned <-> rectified).
    auto h = call_json(city_.token, "GET", "/api/v1/hazards/" + v.hazard, "", 200);
    if (str(h.at("state")) == "open")
      call_json(city_.token, "POST", "/api/v1/hazards/" + v.hazard + "/transitions",
                json::serialize(json::object{{"to", "assigned"}, {"assignee_id", member.id}}), 200);
    h = call_json(city_.token, "GET", "/api/v1/hazards/" + v.hazard, "", 200);
    EXPECT_TRUE(str(h.at("state")) == "assigned" || str(h.at("state")) == "rectified")
        << json::serialize(h);
    return v;
  }

  std::vector<Session> roles_;
  Session city_;
  Village a_, b_;
  int serial_ = 0;
};

Matrix& matrix() {
  static Matrix m;
  return m;
}

// What the server answered, as a cell: 'Y', 'N' or '?' (+ why).
char classify(const HttpResponse& r, const std::string& mention, std::string& why) {
  why = std::to_string(r.status);
  if (r.status >= 200 && r.status < 300) {
    auto v = parse(r.body);
    if (const auto* o = v.if_object(); o && o->contains("results")) {
      const auto& res = o->at("results").as_array().at(0).as_object();
      auto st = str(res.at("status"));
      why += " " + st;
      if (st == "applied" || st == "duplicate") return 'Y';
      auto code = str(res.at("error").at("code"));
      why += " " + code + " " + str(res.at("error").at("field"));
      return code == "not_found" || code == "forbidden" ? 'N' : '?';
    }
    if (!mention.empty()) return r.body.find(mention) != std::string::npos ? 'Y' : 'N';
    return 'Y';
  }
  auto e = parse(r.body);
  std::string code;
  if (const auto* o = e.if_object(); o && o->contains("error"))
    code = str(o->at("error").at("code")),
    why += " " + code + " " + str(o->at("error").at("field"));
  if (r.status == 401 || r.status == 403 || r.status == 404) return 'N';
  if (r.status == 422 && code == "not_found") return 'N';
  return '?';
}

std::string content_type(const Row& row) {
  return std::string(row.route).find("/attachments/") != std::string::npos
             ? "application/octet-stream"
             : "application/json";
}

char probe_live(const std::string& token, const std::string& org, std::string& why) {
  test::WssClient ws(server().port(), "/api/v1/live?access_token=" + token);
  if (!ws.accepted()) {
    why = "declined " + std::to_string(ws.declined_status());
    return ws.declined_status() == 401 || ws.declined_status() == 403 ? 'N' : '?';
  }
  auto hello = ws.read();
  ws.write(json::serialize(json::object{{"type", "subscribe"}, {"org_unit_id", org}}));
  for (int i = 0; i < 5; ++i) {
    auto m = ws.read();
    if (!m) break;
    auto v = parse(*m);
    auto type = v.is_object() ? str(v.at("type")) : "";
    if (type == "snapshot") {
      why = "snapshot";
      return str(v.at("org_unit_id")) == org ? 'Y' : '?';
    }
    if (type == "error") {
      why = "error " + str(v.at("error").at("code"));
      return str(v.at("error").at("code")) == "forbidden" ? 'N' : '?';
    }
  }
  why = "no answer";
  return '?';
}

}  // namespace

// Every route of the table has a row (or is public), and every row names a
// route of the table: the matrix can neither miss a route nor test a ghost.
TEST(AuthzMatrix, CoversEveryRouteOfTheRouteTable) {
  std::set<std::pair<std::string, std::string>> rows;
  for (const auto& r : kMatrix) rows.insert({r.method, r.route});
  std::set<std::pair<std::string, std::string>> table;
  for (const auto& r : api::route_table()) {
    table.insert({r.method, r.pattern});
    std::pair<std::string, std::string> key{r.method, r.pattern};
    if (!r.needs_auth) {
      EXPECT_TRUE(kPublic.count(key))
          << r.method << " " << r.pattern << " is served without a token but is not in kPublic";
      continue;
    }
    EXPECT_TRUE(rows.count(key)) << r.method << " " << r.pattern
                                 << " has no row in the authorisation matrix (kMatrix)";
  }
  for (const auto& k : rows)
    EXPECT_TRUE(table.count(k)) << k.first << " " << k.second << " is not in the route table";
  for (const auto& k : kPublic)
    EXPECT_TRUE(table.count(k)) << k.first << " " << k.second << " is not in the route table";
}

// The matrix itself: every row × every role × village A and B, plus no token.
TEST(AuthzMatrix, EveryRoleInAndOutOfScopeReadAndWrite) {
  auto& m = matrix();
  // The roles probed are exactly the role table's.
  for (std::size_t i = 0; i < kRolePhones.size(); ++i)
    ASSERT_EQ(std::string(domain::role_name(static_cast<domain::Role>(i))), [&] {
      auto me = parse(call(m.role(i).token, "GET", "/api/v1/me").body);
      return str(me.at("role"));
    }()) << kRolePhones[i];

  std::ostringstream table;
  table << "\nAuthorisation matrix (Y allowed, N refused, - not probed; expected/observed)\n"
        << "A = 大田刘村 (in every demo role's subtree), B = 东溪单村 (only the city's)\n"
        << "roles: volunteer team_leader village_admin town_staff city_admin\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-7s %-36s %-28s %-11s %-11s %s\n", "method", "route", "case",
                "A:VLATC", "B:VLATC", "anon");
  table << line;
  int failures = 0;
  for (const auto& row : kMatrix) {
    std::string observed[2] = {"-----", "-----"};
    for (int scope = 0; scope < 2; ++scope) {
      const char* expect = scope == 0 ? row.in : row.out;
      const Village& v = m.village(scope == 0);
      for (std::size_t i = 0; i < 5; ++i) {
        if (expect[i] == '-') continue;
        std::map<std::string, std::string> cell;
        std::string why;
        std::string token = m.role(i).token;
        std::string target = m.resolve(row.target, v, cell);
        char got = '?';
        if (target.rfind("ws:", 0) == 0) {
          got = probe_live(token, target.substr(3), why);
        } else {
          if (std::string(row.route) == "/api/v1/auth/logout")
            token = login_as(m.role(i).phone).token;  // a session of its own to end
          std::string body = m.resolve(row.body, v, cell);
          std::string mention = m.resolve(row.mention, v, cell);
          HttpResponse r;
          if (std::string(row.route) == "/api/v1/sync/pull") {
            // Every page: the object must (not) be anywhere in the log.
            std::int64_t cursor = 0;
            for (int page = 0; page < 100; ++page) {
              auto p = call(token, "GET", target + "&cursor=" + std::to_string(cursor));
              r.status = p.status;
              r.body += p.body;
              auto pv = parse(p.body);
              if (p.status != 200 || !pv.at("has_more").as_bool()) break;
              cursor = pv.at("cursor").to_number<std::int64_t>();
            }
          } else {
            r = call(token, row.method, target, body, content_type(row));
          }
          got = classify(r, mention, why);
          if (got != expect[i]) why += " " + r.body.substr(0, 200);
        }
        observed[scope][i] = got;
        if (got != expect[i]) {
          ++failures;
          ADD_FAILURE() << row.method << " " << row.route << " [" << row.label << "] as "
                        << domain::role_name(static_cast<domain::Role>(i)) << " on village "
                        << (scope == 0 ? "A" : "B") << ": expected " << expect[i] << ", got " << got
                        << " (" << why << ")";
        }
      }
    }
    // No token: 401 on every route that needs one (the live feed declines the upgrade).
    std::string anon = "-";
    if (std::string(row.target).rfind("ws:", 0) == 0) {
      test::WssClient ws(server().port(), "/api/v1/live");
      anon = !ws.accepted() && ws.declined_status() == 401 ? "N" : "?";
    } else {
      std::map<std::string, std::string> cell;
      auto target = m.resolve(row.target, m.village(true), cell);
      auto r = call("", row.method, target, m.resolve(row.body, m.village(true), cell),
                    content_type(row));
      anon = r.status == 401 ? "N" : "?(" + std::to_string(r.status) + ")";
    }
    EXPECT_EQ(anon, "N") << row.method << " " << row.route << " without a token";
    std::string a = std::string(row.in) + "/" + observed[0];
    std::string b = std::string(row.out) + "/" + observed[1];
    std::snprintf(line, sizeof line, "%-7s %-36s %-28s %-11s %-11s %s\n", row.method, row.route,
                  row.label, a.c_str(), b.c_str(), anon.c_str());
    table << line;
  }
  table << "public (no token): ";
  for (const auto& [meth, route] : kPublic) table << meth << " " << route << "; ";
  table << "\n" << failures << " cell(s) differ from the expected table\n";
  std::cout << table.str();
}

// Mass assignment: what the server sets (ids, owners, org units, states,
// times) is ignored or refused when a body names it, never stored; and a
// role or org above the caller is refused.
TEST(AuthzMatrix, MassAssignmentIsIgnoredOrRefused) {
  auto& m = matrix();
  const auto& vol = m.role(0);
  const auto& leader = m.role(1);
  const auto& admin = m.role(2);
  const auto& a = m.village(true);
  const auto& b = m.village(false);
  auto ok = [](const HttpResponse& r, unsigned want, const char* what) {
    EXPECT_EQ(r.status, want) << what << " -> " << r.body;
    return parse(r.body);
  };
  using test::error_field;

  // Users: server-set fields in a create are ignored.
  auto created = ok(call(admin.token, "POST", "/api/v1/users",
                         json::serialize(json::object{{"phone", "13566660001"},
                                                      {"name", "Mass"},
                                                      {"role", "volunteer"},
                                                      {"org_unit_id", a.org},
                                                      {"id", "chosen-id"},
                                                      {"user_id", "chosen-id"},
                                                      {"disabled", true},
                                                      {"created_at", "2000-01-01T00:00:00Z"},
                                                      {"org_path", "/"}})),
                    201, "create with server-set fields");
  const auto uid = str(created.at("user").at("id"));
  EXPECT_NE(uid, "chosen-id");
  EXPECT_EQ(call(m.city().token, "GET", "/api/v1/users/chosen-id").status, 404u);
  auto got = ok(call(m.city().token, "GET", "/api/v1/users/" + uid), 200, "get");
  EXPECT_FALSE(got.at("disabled").as_bool());
  EXPECT_EQ(str(got.at("org_unit_id")), a.org);
  // A role above one's own, an org outside one's subtree: refused.
  auto r = call(
      admin.token, "POST", "/api/v1/users",
      R"({"phone":"13566660002","name":"x","role":"city_admin","org_unit_id":")" + a.org + "\"}");
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_field(r), "role");
  r = call(
      admin.token, "POST", "/api/v1/users",
      R"({"phone":"13566660003","name":"x","role":"volunteer","org_unit_id":")" + b.org + "\"}");
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_field(r), "org_unit_id");
  // Edits: the path's id wins over a body id; no promotion above oneself;
  // no move out of one's subtree; a volunteer edits nobody, not even themselves.
  auto edited = ok(call(admin.token, "PUT", "/api/v1/users/" + uid,
                        R"({"id":"other-id","name":"Renamed","created_at":0})"),
                   200, "edit with an id");
  EXPECT_EQ(str(edited.at("user").at("id")), uid);
  r = call(admin.token, "PUT", "/api/v1/users/" + uid, R"({"role":"town_staff"})");
  EXPECT_EQ(r.status, 403u) << r.body;
  r = call(admin.token, "PUT", "/api/v1/users/" + uid, R"({"org_unit_id":")" + b.org + "\"}");
  EXPECT_EQ(r.status, 403u) << r.body;
  r = call(vol.token, "PUT", "/api/v1/users/" + vol.id, R"({"role":"city_admin"})");
  EXPECT_EQ(r.status, 403u) << r.body;
  got = ok(call(m.city().token, "GET", "/api/v1/users/" + uid), 200, "get");
  EXPECT_EQ(str(got.at("role")), "volunteer");
  EXPECT_EQ(str(got.at("org_unit_id")), a.org);

  // Push: the reporter, org and receive time come from the session and the
  // site, never from the body.
  const std::string ins_id = wire::make_uuid_v7();
  const std::string alert_id = wire::make_uuid_v7();
  auto res =
      push(vol.token,
           json::array{
               op("inspection.create",
                  json::object{{"id", ins_id},
                               {"site_id", a.site},
                               {"template_id", a.template_id},
                               {"template_version", 1},
                               {"observed_at", rfc3339(now_ms())},
                               {"items", json::array{json::object{{"code", "corridor_clutter"},
                                                                  {"result", "ok"}}}},
                               {"user_id", a.user},
                               {"org_unit_id", b.org},
                               {"org_path", b.org_path},
                               {"received_at", "2000-01-01T00:00:00Z"},
                               {"device_id", "someone-else"}}),
               op("sos.raise", json::object{{"id", alert_id},
                                            {"raised_at", rfc3339(now_ms())},
                                            {"user_id", a.user},
                                            {"org_unit_id", b.org},
                                            {"state", "closed"}}),
           });
  for (const auto& x : res) EXPECT_EQ(str(x.at("status")), "applied") << json::serialize(x);
  auto list = ok(call(m.city().token, "GET", "/api/v1/inspections?limit=1000&site_id=" + a.site),
                 200, "inspections");
  bool found = false;
  for (const auto& i : list.at("items").as_array()) {
    if (str(i.at("id")) != ins_id) continue;
    found = true;
    EXPECT_EQ(str(i.at("user_id")), vol.id);
    EXPECT_EQ(str(i.at("org_unit_id")), a.org);
    EXPECT_NE(str(i.at("received_at")).substr(0, 4), "2000");
  }
  EXPECT_TRUE(found);
  auto alerts = ok(call(m.city().token, "GET", "/api/v1/alerts?limit=1000&org_unit_id=" + a.org),
                   200, "alerts");
  found = false;
  for (const auto& al : alerts.at("items").as_array()) {
    if (str(al.at("id")) != alert_id) continue;
    found = true;
    EXPECT_EQ(str(al.at("user_id")), vol.id);
    EXPECT_EQ(str(al.at("org_unit_id")), a.org);
    EXPECT_EQ(str(al.at("state")), "open");
  }
  EXPECT_TRUE(found);
  // Someone else's track cannot be written through a body's user_id.
  auto before =
      ok(call(m.city().token, "GET", "/api/v1/users/" + a.user + "/track?limit=1000"), 200, "track")
          .at("items")
          .as_array()
          .size();
  res =
      push(vol.token,
           json::array{op("position.append",
                          json::object{{"user_id", a.user},
                                       {"points", json::array{json::object{{"t", rfc3339(now_ms())},
                                                                           {"lat", 28.8},
                                                                           {"lon", 121.1}}}}})});
  EXPECT_EQ(str(res.at(0).at("status")), "applied");
  EXPECT_EQ(
      ok(call(m.city().token, "GET", "/api/v1/users/" + a.user + "/track?limit=1000"), 200, "track")
          .at("items")
          .as_array()
          .size(),
      before);

  // Hazards: a transition's body cannot set the state, the author or the org.
  std::map<std::string, std::string> cell;
  const auto to = m.resolve("{flip}", a, cell);
  auto h = ok(call(leader.token, "POST", "/api/v1/hazards/" + a.hazard + "/transitions",
                   json::serialize(json::object{{"to", to},
                                                {"state", "closed"},
                                                {"id", "other"},
                                                {"by", a.user},
                                                {"org_unit_id", b.org},
                                                {"escalation", "city"},
                                                {"closed_at", "2000-01-01T00:00:00Z"}})),
              200, "transition with extras");
  EXPECT_EQ(str(h.at("state")), to);
  EXPECT_EQ(str(h.at("id")), a.hazard);
  EXPECT_EQ(str(h.at("org_unit_id")), a.org);
  EXPECT_TRUE(h.at("closed_at").is_null());
  EXPECT_EQ(str(h.at("history").as_array().back().at("by")), leader.id);
  // An assignee outside the caller's area: refused over REST and as an op
  // (regression: the op assigned anyone whose id it was given).
  cell.clear();
  const auto to2 = m.resolve("{flip}", a, cell);
  r = call(leader.token, "POST", "/api/v1/hazards/" + a.hazard + "/transitions",
           json::serialize(json::object{{"to", to2}, {"assignee_id", b.user}}));
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(error_field(r), "assignee_id");
  res = push(
      leader.token,
      json::array{op("hazard.transition",
                     json::object{{"hazard_id", a.hazard}, {"to", to2}, {"assignee_id", b.user}})});
  EXPECT_EQ(str(res.at(0).at("status")), "rejected") << json::serialize(res);
  if (str(res.at(0).at("status")) == "rejected") {
    EXPECT_EQ(str(res.at(0).at("error").at("field")), "body.assignee_id");
  }
  auto after = ok(call(m.city().token, "GET", "/api/v1/hazards/" + a.hazard), 200, "hazard");
  EXPECT_NE(str(after.at("assignee_id")), b.user);

  // Schedules: id and org come from the server and the team.
  auto s = ok(call(leader.token, "POST", "/api/v1/schedules",
                   json::serialize(json::object{{"team_id", a.team},
                                                {"weekdays", json::array{1}},
                                                {"start_time", "19:00"},
                                                {"duration_min", 60},
                                                {"id", "chosen-schedule"},
                                                {"org_unit_id", b.org},
                                                {"org_path", "/"},
                                                {"updated_at", "2000-01-01T00:00:00Z"}})),
              201, "schedule with extras");
  EXPECT_NE(str(s.at("id")), "chosen-schedule");
  EXPECT_EQ(str(s.at("org_unit_id")), a.org);
  r = call(leader.token, "PUT", "/api/v1/schedules/" + str(s.at("id")),
           json::serialize(json::object{{"team_id", b.team},
                                        {"weekdays", json::array{1}},
                                        {"start_time", "19:00"},
                                        {"duration_min", 60}}));
  EXPECT_EQ(r.status, 422u) << "moved to another village's team: " << r.body;
  EXPECT_EQ(error_field(r), "team_id");

  // Trackers: registered to the caller whatever user_id the body names.
  auto t =
      ok(call(vol.token, "POST", "/api/v1/trackers",
              json::serialize(json::object{{"identifier", "mass-tracker-1"}, {"user_id", a.user}})),
         201, "tracker");
  EXPECT_EQ(str(t.at("user_id")), vol.id);

  // Teams (admin7's routes): id and org path come from the server; a team
  // stays in its org unit; no member from outside the subtree.
  auto audit_actions = [&](const std::string& type, const std::string& id) {
    auto page = ok(call(m.city().token, "GET",
                        "/api/v1/audit?limit=50&object_type=" + type + "&object_id=" + id),
                   200, "audit");
    std::vector<std::string> actions;  // oldest first
    for (const auto& e : page.at("items").as_array()) {
      EXPECT_EQ(str(e.at("actor_id")), admin.id) << json::serialize(e);
      EXPECT_EQ(str(e.at("actor_role")), "village_admin") << json::serialize(e);
      actions.insert(actions.begin(), str(e.at("action")));
    }
    return actions;
  };
  auto team = ok(call(admin.token, "POST", "/api/v1/teams",
                      json::serialize(json::object{{"name", "Mass team"},
                                                   {"org_unit_id", a.org},
                                                   {"members", json::array{json::value(a.user)}},
                                                   {"id", "chosen-team"},
                                                   {"org_path", "/"},
                                                   {"deleted", true}})),
                 201, "team with extras");
  const auto tid = str(team.at("id"));
  EXPECT_NE(tid, "chosen-team");
  EXPECT_EQ(str(team.at("org_unit_id")), a.org);
  EXPECT_EQ(call(m.city().token, "GET", "/api/v1/teams/chosen-team").status, 404u);
  r = call(admin.token, "PUT", "/api/v1/teams/" + tid, R"({"org_unit_id":")" + b.org + R"("})");
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(error_field(r), "org_unit_id");
  r = call(admin.token, "PUT", "/api/v1/teams/" + tid, R"({"add_members":[")" + b.user + R"("]})");
  EXPECT_EQ(r.status, 422u) << "a member from another village: " << r.body;
  EXPECT_EQ(error_field(r), "members");
  auto renamed = ok(call(admin.token, "PUT", "/api/v1/teams/" + tid,
                         R"({"id":"other-team","name":"Mass renamed"})"),
                    200, "team edit with an id");
  EXPECT_EQ(str(renamed.at("id")), tid);
  EXPECT_EQ(call(admin.token, "DELETE", "/api/v1/teams/" + tid).status, 204u);
  EXPECT_EQ(audit_actions("team", tid),
            (std::vector<std::string>{"team.create", "team.update", "team.delete"}))
      << "refused edits leave no entry; each write one, by the village admin";

  // Sites: the same, and no move out of the subtree.
  auto site = ok(call(admin.token, "POST", "/api/v1/sites",
                      json::serialize(json::object{{"name", "Mass site"},
                                                   {"category", "shop"},
                                                   {"lat", 28.85},
                                                   {"lon", 121.14},
                                                   {"org_unit_id", a.org},
                                                   {"id", "chosen-site"},
                                                   {"org_path", "/"},
                                                   {"deleted", true},
                                                   {"open_hazards", 9},
                                                   {"updated_at", "2000-01-01T00:00:00Z"}})),
                 201, "site with extras");
  const auto sid = str(site.at("id"));
  EXPECT_NE(sid, "chosen-site");
  EXPECT_EQ(str(site.at("org_unit_id")), a.org);
  EXPECT_EQ(call(m.city().token, "GET", "/api/v1/sites/chosen-site").status, 404u);
  auto fetched = ok(call(m.city().token, "GET", "/api/v1/sites/" + sid), 200, "site");
  EXPECT_NE(str(fetched.at("updated_at")).substr(0, 4), "2000");
  r = call(admin.token, "PUT", "/api/v1/sites/" + sid, R"({"org_unit_id":")" + b.org + R"("})");
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(error_field(r), "org_unit_id");
  auto site2 = ok(call(admin.token, "PUT", "/api/v1/sites/" + sid,
                       R"({"id":"other-site","name":"Mass site renamed"})"),
                  200, "site edit with an id");
  EXPECT_EQ(str(site2.at("id")), sid);
  EXPECT_EQ(call(admin.token, "DELETE", "/api/v1/sites/" + sid).status, 204u);
  EXPECT_EQ(audit_actions("site", sid),
            (std::vector<std::string>{"site.create", "site.update", "site.delete"}));
}
