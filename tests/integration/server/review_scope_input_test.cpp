// Review tests of issue 2's promises, against a real patrold over TLS on
// 127.0.0.1: the village scope rule on every route, bad input answered with
// a JSON error naming the field (and nothing accepted is harmed), re-push
// answers, hazard linking and photo_missing, sync/pull paging under
// concurrent writes, logout and token expiry.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/test_values.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::HttpResponse;
using test::HttpsClient;
using test::sha256_hex;
using test::str;
using test::TestServer;

namespace {

constexpr const char* kVillageA = "13900000002";  // volunteer, 大田刘村
constexpr const char* kVillageB = "13900000003";  // volunteer, 东溪单村
constexpr const char* kTown = "13900000004";      // town_staff, 大田街道
constexpr const char* kCity = "13900000000";      // city_admin

TestServer& shared_server() {
  // The per-user and per-address request limits off: the paging stress test
  // drives one user from four connections on one address as fast as they go,
  // which passes 100 requests/s on a quiet machine (limits: hardening_test.cpp).
  static TestServer server(test::without_request_rate_limits());
  return server;
}

json::value body_json(const HttpResponse& r) {
  auto v = test::parse_json(r.body);
  EXPECT_FALSE(v.is_null()) << "not JSON: " << r.body;
  return v;
}

// The error object of a JSON error answer ({} when there is none).
json::object error_of(const HttpResponse& r) {
  auto v = body_json(r);
  if (const auto* o = v.if_object())
    if (const auto* e = o->if_contains("error"); e && e->is_object()) return e->as_object();
  ADD_FAILURE() << "no error object in " << r.body;
  return {};
}

// A logged-in user of the shared server.
struct User : test::LoggedIn {
  explicit User(const char* phone) : LoggedIn(shared_server().port(), phone) {}
};

struct Site {
  std::string id;
  std::string template_id;
  std::int64_t template_version = 1;
};

// A site of the caller's own village whose template has `code`.
Site own_site(HttpsClient& c) {
  auto v = body_json(c.get("/api/v1/sites?category=shop&limit=1"));
  const auto& s = v.at("items").as_array().at(0);
  return {str(s.at("id")), str(s.at("template_id")), 1};
}

json::object inspection_body(const Site& site, json::array items, std::string id = {}) {
  return {{"id", id.empty() ? wire::make_uuid_v7() : id},
          {"site_id", site.id},
          {"template_id", site.template_id},
          {"template_version", site.template_version},
          {"round_id", nullptr},
          {"observed_at", "2026-11-28T19:05:00+08:00"},
          {"position", json::object{{"lat", 28.8571}, {"lon", 121.1432}, {"accuracy_m", 8}}},
          {"items", std::move(items)},
          {"note", ""}};
}

json::object op(std::string type, json::object body, std::string op_id = {}) {
  return {{"op_id", op_id.empty() ? wire::make_uuid_v7() : op_id},
          {"type", std::move(type)},
          {"device_time", "2026-11-28T19:05:03+08:00"},
          {"body", std::move(body)}};
}

json::object position_body(std::string t = "2026-11-28T19:05:00+08:00") {
  return {
      {"points", json::array{json::object{
                     {"t", std::move(t)}, {"lat", 28.85}, {"lon", 121.14}, {"accuracy_m", 5}}}}};
}

// Pushes the ops; returns the results array (fails the test unless 200).
json::array push(HttpsClient& c, json::array ops) {
  auto r =
      c.post_json("/api/v1/sync/push",
                  json::serialize(json::object{{"device_id", "review"}, {"ops", std::move(ops)}}));
  EXPECT_EQ(r.status, 200u) << r.body;
  auto v = body_json(r);
  if (!v.is_object() || !v.as_object().contains("results")) return {};
  return v.at("results").as_array();
}

std::string status_of(const json::array& results, std::size_t i) {
  return i < results.size() ? str(results[i].at("status")) : "<missing>";
}

std::size_t count_items(HttpsClient& c, const std::string& target) {
  auto v = body_json(c.get(target));
  return v.is_object() && v.as_object().contains("items") ? v.at("items").as_array().size() : 0;
}

}  // namespace

// Village A's volunteer gets 403/404 for everything of village B, on every
// route, and cannot write to B's sites; B's data stays out of A's pull.
TEST(ReviewScope, VillageVolunteerNeitherReadsNorWritesAnotherVillage) {
  User a(kVillageA);
  User b(kVillageB);
  Site site_b = own_site(b.client);
  // Give B data on every route: an inspection with a hazard, a position, an SOS.
  auto res = push(
      b.client,
      json::array{
          op("inspection.create",
             inspection_body(site_b, {json::object{{"code", "gas_misuse"}, {"result", "hazard"}}})),
          op("position.append", position_body()),
          op("sos.raise", json::object{{"id", wire::make_uuid_v7()},
                                       {"raised_at", "2026-11-28T19:05:00+08:00"},
                                       {"note", "review"}})});
  ASSERT_EQ(res.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(status_of(res, i), "applied") << i;

  const std::string ob = "org_unit_id=" + b.org_unit_id;
  struct Case {
    std::string target;
    unsigned status;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"/api/v1/sites/" + site_b.id, 404, "id"},
      {"/api/v1/sites?" + ob, 403, "org_unit_id"},
      {"/api/v1/inspections?site_id=" + site_b.id, 404, "site_id"},
      {"/api/v1/inspections?" + ob, 403, "org_unit_id"},
      {"/api/v1/hazards?" + ob, 403, "org_unit_id"},
      {"/api/v1/hazards?site_id=" + site_b.id, 404, "site_id"},
      {"/api/v1/positions/latest?" + ob, 403, "org_unit_id"},
      {"/api/v1/users/" + b.id + "/track", 404, "id"},
      {"/api/v1/alerts?" + ob, 403, "org_unit_id"},
      // The parent town and the city are outside a village too.
      {"/api/v1/sites?org_unit_id=1", 403, "org_unit_id"},
      {"/api/v1/sites?org_unit_id=999999", 404, "org_unit_id"},
  };
  for (const auto& c : cases) {
    auto r = a.client.get(c.target);
    EXPECT_EQ(r.status, c.status) << c.target << " -> " << r.body;
    EXPECT_EQ(str(error_of(r)["field"]), c.field) << c.target;
  }
  // Unfiltered lists of A hold nothing of B.
  EXPECT_EQ(count_items(a.client, "/api/v1/inspections?user_id=" + b.id), 0u);
  for (const char* t : {"/api/v1/inspections?limit=1000", "/api/v1/hazards?limit=1000",
                        "/api/v1/positions/latest", "/api/v1/alerts", "/api/v1/sites?limit=1000"}) {
    auto v = body_json(a.client.get(t));
    for (const auto& it : v.at("items").as_array()) {
      const auto& o = it.as_object();
      if (const auto* u = o.if_contains("org_unit_id")) {
        EXPECT_NE(str(*u), b.org_unit_id) << t;
      }
      if (const auto* s = o.if_contains("site_id")) {
        EXPECT_NE(str(*s), site_b.id) << t;
      }
    }
  }
  // Writing to B's site is rejected as "no such site", nothing written.
  auto w = push(a.client,
                json::array{op("inspection.create",
                               inspection_body(site_b, {json::object{{"code", "window_throwing"},
                                                                     {"result", "hazard"}}}))});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(status_of(w, 0), "rejected");
  EXPECT_EQ(str(w[0].at("error").at("field")), "body.site_id");
  auto hz = body_json(b.client.get("/api/v1/hazards?site_id=" + site_b.id));
  for (const auto& h : hz.at("items").as_array())
    EXPECT_NE(str(h.at("item_code")), "window_throwing");
  // A's pull: nothing at or below B's org unit.
  std::int64_t cursor = 0;
  for (int page = 0; page < 200; ++page) {
    auto v = body_json(a.client.get("/api/v1/sync/pull?limit=50&cursor=" + std::to_string(cursor)));
    for (const auto& ch : v.at("changes").as_array()) {
      const auto& d = ch.at("data").as_object();
      if (const auto* u = d.if_contains("org_unit_id"); u && u->is_string()) {
        EXPECT_NE(str(*u), b.org_unit_id) << json::serialize(ch);
      }
      EXPECT_NE(str(ch.at("id")), b.org_unit_id) << json::serialize(ch);
    }
    cursor = v.at("cursor").to_number<std::int64_t>();
    if (!v.at("has_more").as_bool()) break;
  }
  // The town above A and the city see A's village; the town does not see B.
  User town(kTown);
  User city(kCity);
  EXPECT_EQ(town.client.get("/api/v1/sites/" + site_b.id).status, 404u);
  EXPECT_EQ(town.client.get("/api/v1/users/" + b.id + "/track").status, 404u);
  EXPECT_EQ(town.client.get("/api/v1/hazards?" + ob).status, 403u);
  EXPECT_EQ(city.client.get("/api/v1/sites/" + site_b.id).status, 200u);
  EXPECT_EQ(city.client.get("/api/v1/users/" + b.id + "/track").status, 200u);
  EXPECT_EQ(town.client.get("/api/v1/hazards?org_unit_id=" + a.org_unit_id).status, 200u);
}

// Malformed query parameters: 400 with a JSON error naming the parameter.
TEST(ReviewInput, BadQueryParametersNameTheParameter) {
  User a(kVillageA);
  struct Case {
    std::string target;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"/api/v1/sites?limit=0", "limit"},
      {"/api/v1/sites?limit=-1", "limit"},
      {"/api/v1/sites?limit=1001", "limit"},
      {"/api/v1/sites?limit=99999999999999999999", "limit"},
      {"/api/v1/sites?limit=1e3", "limit"},
      {"/api/v1/sites?limit=abc", "limit"},
      {"/api/v1/sites?category=bogus", "category"},
      {"/api/v1/inspections?after=-5", "after"},
      {"/api/v1/inspections?after=x", "after"},
      {"/api/v1/inspections?since=yesterday", "since"},
      {"/api/v1/inspections?until=2026-13-01T00:00:00Z", "until"},
      {"/api/v1/hazards?state=bogus", "state"},
      {"/api/v1/sync/pull?cursor=-1", "cursor"},
      {"/api/v1/sync/pull?cursor=99999999999999999999", "cursor"},
      {"/api/v1/sync/pull?cursor=1.5", "cursor"},
      {"/api/v1/sync/pull?limit=100000", "limit"},
      {"/api/v1/users/" + a.id + "/track?after=garbage", "after"},
      {"/api/v1/users/" + a.id + "/track?from=no", "from"},
  };
  for (const auto& c : cases) {
    auto r = a.client.get(c.target);
    EXPECT_EQ(r.status, 400u) << c.target << " -> " << r.body;
    EXPECT_EQ(str(error_of(r)["field"]), c.field) << c.target;
    EXPECT_EQ(r.header("content-type").value_or(""), "application/json") << c.target;
  }
}

// Broken push bodies get a JSON error (400/415/422) and never disturb what
// was accepted before; the server keeps answering.
TEST(ReviewInput, BrokenPushBodiesGetJsonErrorsAndHarmNothing) {
  User b(kVillageB);
  Site site = own_site(b.client);
  auto first = push(
      b.client,
      json::array{op(
          "inspection.create",
          inspection_body(site, {json::object{{"code", "corridor_clutter"}, {"result", "ok"}}}))});
  ASSERT_EQ(status_of(first, 0), "applied");
  const std::string list = "/api/v1/inspections?limit=1000&site_id=" + site.id;
  const auto before = count_items(b.client, list);

  struct Case {
    std::string body;
    std::string content_type;
    unsigned status;
    const char* field;  // nullptr: any
  };
  const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
  std::string deep_object;
  for (int i = 0; i < 5000; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(5000, '}');
  const std::vector<Case> cases = {
      {"{\"device_id\":", "application/json", 400, ""},
      {"{\"device_id\":\"d\",\"ops\":[]}xyz", "application/json", 400, ""},
      {deep_array, "application/json", 400, ""},
      {deep_object, "application/json", 400, ""},
      {"{\"device_id\":\"\xff\xfe\",\"ops\":[]}", "application/json", 400, ""},
      {"[]", "application/json", 422, ""},
      {"{\"device_id\":5,\"ops\":[]}", "application/json", 422, "device_id"},
      {"{\"device_id\":\"d\",\"ops\":{}}", "application/json", 422, "ops"},
      {"{\"device_id\":\"" + std::string(100000, 'x') + "\",\"ops\":[]}", "application/json", 422,
       "device_id"},
      {"{\"device_id\":\"d\",\"clock_offset_ms\":1e300,\"ops\":[]}", "application/json", 422,
       "clock_offset_ms"},
      {"{\"device_id\":\"d\",\"ops\":[]}", "text/plain", 415, "content-type"},
  };
  for (const auto& c : cases) {
    auto r = b.client.request("POST", "/api/v1/sync/push", c.body, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 80) << " -> " << r.body;
    auto e = error_of(r);
    EXPECT_FALSE(str(e["code"]).empty()) << r.body;
    if (c.field) {
      EXPECT_EQ(str(e["field"]), c.field) << c.body.substr(0, 80);
    }
  }
  // Per-op problems are answered per op, each naming its field.
  json::object bad_result =
      inspection_body(site, {json::object{{"code", "window_throwing"}, {"result", "bogus"}}});
  json::object huge_lat = position_body();
  huge_lat["points"].as_array()[0].as_object()["lat"] = 1e308;
  json::object wrong_type = inspection_body(site, {});
  wrong_type["template_version"] = "1";
  json::object unknown_code =
      inspection_body(site, {json::object{{"code", "no_such_item"}, {"result", "ok"}}});
  auto res =
      push(b.client,
           json::array{op("inspection.create", bad_result), op("position.append", huge_lat),
                       op("inspection.create", wrong_type), op("inspection.create", unknown_code),
                       op("no.such.type", json::object{})});
  ASSERT_EQ(res.size(), 5u);
  const char* fields[] = {"body.items[0].result", "body.points[0].lat", "body.template_version",
                          "body.items[0].code", "type"};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(status_of(res, i), "rejected") << i;
    EXPECT_EQ(str(res[i].at("error").at("field")), fields[i]) << json::serialize(res[i]);
  }
  EXPECT_EQ(count_items(b.client, list), before);
  EXPECT_EQ(b.client.get("/healthz").status, 200u);
}

// No way out of the web root, whatever the encoding.
TEST(ReviewInput, StaticFilesNeverEscapeTheWebRoot) {
  HttpsClient c(shared_server().port());
  for (const char* t : {"/..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
                        "/..%5c..%5cetc%5cpasswd", "/%2fetc/passwd", "//etc/passwd", "/.git/config",
                        "/index.html/..", "/./index.html"}) {
    auto r = c.get(t);
    EXPECT_EQ(r.status, 404u) << t;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << t;
    EXPECT_FALSE(str(error_of(r)["code"]).empty()) << t;
  }
  for (const char* t : {"/api/v1/sites/%2e%2e", "/api/v1/sites/.."}) {
    HttpsClient a(shared_server().port());
    a.set_bearer(test::login(a, kVillageA));
    EXPECT_EQ(a.get(t).status, 404u) << t;
  }
}

// Re-push answers the first outcome, also inside one batch; a hazard found
// again while open is linked, not duplicated; photo_missing clears when the
// photo arrives.
TEST(ReviewDurability, RepushHazardLinkingAndPhotoMissing) {
  User b(kVillageB);
  Site site = own_site(b.client);
  // Same op id twice in one batch, the first one invalid: both rejected alike.
  const std::string bad_id = wire::make_uuid_v7();
  json::object bad =
      inspection_body(site, {json::object{{"code", "fire_exit_blocked"}, {"result", "maybe"}}});
  json::object good =
      inspection_body(site, {json::object{{"code", "fire_exit_blocked"}, {"result", "hazard"}}});
  auto r1 = push(b.client, json::array{op("inspection.create", bad, bad_id),
                                       op("inspection.create", good, bad_id)});
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(status_of(r1, 0), "rejected");
  EXPECT_EQ(status_of(r1, 1), "rejected");
  EXPECT_EQ(json::serialize(r1[0].at("error")), json::serialize(r1[1].at("error")));
  auto hz = body_json(b.client.get("/api/v1/hazards?limit=1000&site_id=" + site.id));
  for (const auto& h : hz.at("items").as_array())
    EXPECT_NE(str(h.at("item_code")), "fire_exit_blocked") << "the second copy was written";

  // A hazard with a photo that has not arrived yet.
  const std::string photo = "review photo bytes " + wire::make_uuid_v7();
  const std::string sha = sha256_hex(photo);
  const std::string op1 = wire::make_uuid_v7();
  json::object with_photo = inspection_body(site, {json::object{{"code", "flying_wire_charging"},
                                                                {"result", "hazard"},
                                                                {"photos", json::array{sha}}}});
  auto r2 = push(b.client, json::array{op("inspection.create", with_photo, op1)});
  ASSERT_EQ(status_of(r2, 0), "applied");
  auto hazard = [&]() -> json::object {
    auto v = body_json(b.client.get("/api/v1/hazards?site_id=" + site.id));
    for (const auto& h : v.at("items").as_array())
      if (str(h.at("item_code")) == "flying_wire_charging") return h.as_object();
    ADD_FAILURE() << "no hazard";
    return {};
  };
  auto h1 = hazard();
  EXPECT_TRUE(h1["photo_missing"].as_bool());
  const auto occ = h1["occurrences"].to_number<std::int64_t>();

  // Re-push: duplicate with the first received_at, nothing counted twice.
  auto r3 = push(b.client, json::array{op("inspection.create", with_photo, op1)});
  EXPECT_EQ(status_of(r3, 0), "duplicate");
  EXPECT_EQ(str(r3[0].at("received_at")), str(r2[0].at("received_at")));
  EXPECT_EQ(hazard()["occurrences"].to_number<std::int64_t>(), occ);

  // Found again (new report): linked to the same hazard.
  auto r4 = push(
      b.client, json::array{op("inspection.create",
                               inspection_body(site, {json::object{{"code", "flying_wire_charging"},
                                                                   {"result", "hazard"}}}))});
  ASSERT_EQ(status_of(r4, 0), "applied");
  auto h2 = hazard();
  EXPECT_EQ(str(h2["id"]), str(h1["id"]));
  EXPECT_EQ(h2["occurrences"].to_number<std::int64_t>(), occ + 1);
  EXPECT_TRUE(h2["photo_missing"].as_bool());

  // The photo arrives in two chunks: flag cleared.
  const auto half = photo.size() / 2;
  auto put = [&](std::size_t from, std::size_t to) {
    return b.client.request(
        "PUT", "/api/v1/attachments/" + sha, photo.substr(from, to - from),
        "application/octet-stream",
        {{"Content-Range", "bytes " + std::to_string(from) + "-" + std::to_string(to - 1) + "/" +
                               std::to_string(photo.size())}});
  };
  EXPECT_EQ(put(0, half).status, 202u);
  EXPECT_EQ(put(half, photo.size()).status, 200u);
  EXPECT_FALSE(hazard()["photo_missing"].as_bool());
  EXPECT_EQ(b.client.request("HEAD", "/api/v1/attachments/" + sha, "", "").status, 200u);
}

// Pull pages taken while three writers push never skip or repeat a change:
// after the writers stop, what was pulled is exactly the current state.
TEST(ReviewSync, PullPagingUnderConcurrentWritesSkipsNothing) {
  User b(kVillageB);
  Site site = own_site(b.client);
  std::int64_t cursor = 0;
  for (int page = 0; page < 1000; ++page) {
    auto v =
        body_json(b.client.get("/api/v1/sync/pull?limit=1000&cursor=" + std::to_string(cursor)));
    cursor = v.at("cursor").to_number<std::int64_t>();
    if (!v.at("has_more").as_bool()) break;
  }
  const char* codes[] = {"window_throwing", "corridor_clutter", "ebike_indoor", "improvised_wiring",
                         "three_in_one"};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      HttpsClient c(shared_server().port());
      c.set_bearer(test::login(c, kVillageB, "patrol-demo", "writer" + std::to_string(w)));
      for (int n = 0; !stop.load(); ++n) {
        json::array ops;
        for (int k = 0; k < 3; ++k)
          ops.push_back(op("inspection.create",
                           inspection_body(site, {json::object{{"code", codes[(n + k + w) % 5]},
                                                               {"result", "hazard"}}})));
        auto r = c.post_json("/api/v1/sync/push",
                             json::serialize(json::object{{"device_id", "w"}, {"ops", ops}}));
        EXPECT_EQ(r.status, 200u) << r.body;
      }
    });
  }
  std::map<std::string, json::object> latest;  // hazard id -> data
  std::int64_t last_seq = cursor;
  auto pull_page = [&](int limit) {
    auto v = body_json(b.client.get("/api/v1/sync/pull?limit=" + std::to_string(limit) +
                                    "&cursor=" + std::to_string(cursor)));
    for (const auto& ch : v.at("changes").as_array()) {
      auto seq = ch.at("seq").to_number<std::int64_t>();
      EXPECT_GT(seq, last_seq) << "repeated or out of order";
      last_seq = seq;
      if (str(ch.at("entity")) == "hazard") latest[str(ch.at("id"))] = ch.at("data").as_object();
    }
    auto next = v.at("cursor").to_number<std::int64_t>();
    EXPECT_GE(next, cursor);
    cursor = next;
    return v.at("has_more").as_bool();
  };
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) pull_page(2);
  stop = true;
  for (auto& t : writers) t.join();
  while (pull_page(100)) {
  }
  auto v = body_json(b.client.get("/api/v1/hazards?limit=1000&site_id=" + site.id));
  std::size_t checked = 0;
  for (const auto& h : v.at("items").as_array()) {
    const auto id = str(h.at("id"));
    if (!latest.count(id)) continue;  // not touched since the start cursor
    ++checked;
    EXPECT_EQ(json::serialize(latest[id]), json::serialize(h)) << "pulled state is stale";
  }
  for (const char* code : codes) {
    bool seen = false;
    for (const auto& [id, d] : latest) seen = seen || str(d.at("item_code")) == code;
    EXPECT_TRUE(seen) << code;
  }
  EXPECT_GE(checked, 5u);
}

// Logout revokes at once; a token past its lifetime is refused.
TEST(ReviewSecurity, LogoutRevokesAndExpiredTokensAreRefused) {
  {
    HttpsClient c(shared_server().port());
    c.set_bearer(test::login(c, kVillageA));
    EXPECT_EQ(c.get("/api/v1/me").status, 200u);
    EXPECT_EQ(c.request("POST", "/api/v1/auth/logout", "", "").status, 204u);
    auto r = c.get("/api/v1/me");
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(str(error_of(r)["field"]), "authorization");
    EXPECT_EQ(c.get("/api/v1/sync/pull").status, 401u);
  }
  test::TestServerOptions o;
  o.configure = [](net::ServerConfig& cfg) { cfg.api.token_ttl = std::chrono::seconds(1); };
  TestServer short_lived(o);
  HttpsClient c(short_lived.port());
  c.set_bearer(test::login(c, kVillageA));
  EXPECT_EQ(c.get("/api/v1/me").status, 200u);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(c.get("/api/v1/me").status, 401u);
  EXPECT_EQ(c.get("/api/v1/sites").status, 401u);
}
