#include <boost/json.hpp>

#include "api_test_util.hpp"
#include "patrol/wire/uuid.hpp"
#include "sqlite/database.hpp"

namespace patrol::api::test {
namespace {

using ApiTest = ApiFixture;

// The first site of a village as a user of it sees it.
json::object first_site(ApiFixture& f, const json::value& sites) {
  (void)f;
  return sites.at("items").as_array().at(0).as_object();
}

std::string inspection_op(const std::string& op_id, const json::object& site,
                          const std::string& code, const std::string& result,
                          std::vector<std::string> photos = {}) {
  json::array ph;
  for (auto& p : photos) ph.emplace_back(p);
  json::object body{
      {"id", wire::make_uuid_v7()},
      {"site_id", site.at("id")},
      {"template_id", site.at("template_id")},
      {"template_version", 1},
      {"round_id", nullptr},
      {"observed_at", "2026-11-28T19:05:00+08:00"},
      {"position",
       json::object{{"lat", 28.8571}, {"lon", 121.1432}, {"accuracy_m", 8}, {"crs", "wgs84"}}},
      {"items",
       json::array{
           json::object{
               {"code", code}, {"result", result}, {"note", "三楼窗口飞线"}, {"photos", ph}},
           json::object{{"code", "corridor_clutter"}, {"result", "ok"}}}},
      {"note", ""}};
  json::object op{{"op_id", op_id},
                  {"type", "inspection.create"},
                  {"device_time", "2026-11-28T19:05:03+08:00"},
                  {"body", body}};
  return json::serialize(op);
}

std::string push_body(const std::vector<std::string>& ops) {
  std::string s = R"({"device_id":"dev-1","ops":[)";
  for (std::size_t i = 0; i < ops.size(); ++i) s += (i ? "," : "") + ops[i];
  return s + "]}";
}

TEST_F(ApiTest, LoginSucceedsWithDemoPassword) {
  auto r = call("POST", "/api/v1/auth/login",
                R"({"phone":"13900000002","password":"patrol-demo","device_id":"d1"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("token").as_string().size(), 43u);
  EXPECT_EQ(v.at("user").at("role").as_string(), "volunteer");
  EXPECT_FALSE(v.at("expires_at").as_string().empty());
  EXPECT_EQ(r.route, "/api/v1/auth/login");
  EXPECT_FALSE(r.user_id.empty());
  auto me = get("/api/v1/me", std::string(v.at("token").as_string()));
  EXPECT_EQ(me.at("name").as_string(), "刘小燕");
  EXPECT_EQ(me.at("org_unit_name").as_string(), "大田刘村");
}

TEST_F(ApiTest, LoginRejectsWrongPasswordAndUnknownPhone) {
  auto r = call("POST", "/api/v1/auth/login",
                R"({"phone":"13900000002","password":"nope","device_id":"d1"})");
  EXPECT_EQ(r.status, 401u);
  EXPECT_NE(r.body.find("invalid_credentials"), std::string::npos);
  r = call("POST", "/api/v1/auth/login",
           R"({"phone":"13999999999","password":"patrol-demo","device_id":"d1"})");
  EXPECT_EQ(r.status, 401u);
  r = call("POST", "/api/v1/auth/login", R"({"phone":"13900000002"})");
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_NE(r.body.find("\"field\""), std::string::npos);
  r = call("POST", "/api/v1/auth/login", "{not json");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("malformed_json"), std::string::npos);
}

TEST_F(ApiTest, PushMixedBatchAnswersEachOp) {
  auto t = login("13900000002");
  auto sites = get("/api/v1/sites?limit=5", t);
  auto site = first_site(*this, sites);
  std::string good = wire::make_uuid_v7();
  std::string bad = wire::make_uuid_v7();
  std::string bad_item = inspection_op(bad, site, "no_such_item", "hazard");
  auto v = call_json("POST", "/api/v1/sync/push",
                     push_body({inspection_op(good, site, "flying_wire_charging", "hazard"),
                                bad_item, R"({"op_id":"x","type":"inspection.create","body":{}})"}),
                     t, 200);
  auto& res = v.at("results").as_array();
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].at("status").as_string(), "applied");
  EXPECT_EQ(res[1].at("status").as_string(), "rejected");
  EXPECT_EQ(res[1].at("error").at("code").as_string(), "unknown_item");
  EXPECT_EQ(res[1].at("error").at("field").as_string(), "body.items[0].code");
  EXPECT_EQ(res[2].at("status").as_string(), "rejected");
  EXPECT_TRUE(v.at("server_time").is_string());

  // Re-push: the first outcome again, nothing written twice.
  auto again = call_json("POST", "/api/v1/sync/push",
                         push_body({inspection_op(good, site, "flying_wire_charging", "hazard"),
                                    inspection_op(bad, site, "corridor_clutter", "ok")}),
                         t, 200);
  auto& res2 = again.at("results").as_array();
  EXPECT_EQ(res2[0].at("status").as_string(), "duplicate");
  EXPECT_EQ(res2[0].at("received_at"), res[0].at("received_at"));
  EXPECT_EQ(res2[1].at("status").as_string(), "rejected") << "the first outcome, not a re-check";
  EXPECT_EQ(res2[1].at("error").at("code").as_string(), "unknown_item");

  auto insp = get("/api/v1/inspections", t);
  EXPECT_EQ(insp.at("items").as_array().size(), 1u);
  auto hz = get("/api/v1/hazards?state=open", t);
  ASSERT_EQ(hz.at("items").as_array().size(), 1u);
  EXPECT_EQ(hz.at("items").at(0).at("item_code").as_string(), "flying_wire_charging");
  EXPECT_TRUE(hz.at("items").at(0).at("photo_missing").as_bool());
}

TEST_F(ApiTest, PullPagesThroughChangesWithCursor) {
  auto t = login("13900000002");
  std::int64_t cursor = 0;
  int pages = 0;
  std::size_t total = 0;
  std::int64_t last_seq = 0;
  for (;;) {
    auto v = get("/api/v1/sync/pull?cursor=" + std::to_string(cursor) + "&limit=7", t);
    for (const auto& c : v.at("changes").as_array()) {
      EXPECT_GT(c.at("seq").as_int64(), last_seq);
      last_seq = c.at("seq").as_int64();
      ++total;
    }
    cursor = v.at("cursor").as_int64();
    ++pages;
    if (!v.at("has_more").as_bool()) break;
    ASSERT_LT(pages, 100);
  }
  EXPECT_GT(pages, 2);
  EXPECT_GT(total, 25u);
  auto v = get("/api/v1/sync/pull?cursor=" + std::to_string(cursor), t);
  EXPECT_TRUE(v.at("changes").as_array().empty());
  EXPECT_FALSE(v.at("has_more").as_bool());
}

TEST_F(ApiTest, PushAnswers503WhenStorageIsUnavailableAndRecovers) {
  auto t = login("13900000002");
  auto site = first_site(*this, get("/api/v1/sites?limit=1", t));
  // Another process holds the database's write lock: the writer's BEGIN
  // gives up after its busy timeout (5 s) and the whole push is 503.
  auto other = sqlite::Database::open((dir_ / "patrol.db").string());
  ASSERT_TRUE(other);
  ASSERT_FALSE(other->exec("BEGIN IMMEDIATE"));
  std::string op = wire::make_uuid_v7();
  auto r = call("POST", "/api/v1/sync/push",
                push_body({inspection_op(op, site, "window_throwing", "hazard")}), t);
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_NE(r.body.find("\"unavailable\""), std::string::npos);
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After";
  EXPECT_TRUE(retry_after);
  ASSERT_FALSE(other->exec("ROLLBACK"));
  // Nothing was committed: the same op now applies (not "duplicate").
  auto v = call_json("POST", "/api/v1/sync/push",
                     push_body({inspection_op(op, site, "window_throwing", "hazard")}), t, 200);
  EXPECT_EQ(v.at("results").at(0).at("status").as_string(), "applied") << v;
  EXPECT_EQ(call("GET", "/healthz").status, 200u);
}

}  // namespace
}  // namespace patrol::api::test
