// Issue 9 (1-op push speed): a push is answered from the writer's completion
// (no worker thread waits on the commit) and the phones' sync routes reuse
// the connection's last token check. What must not change: the answer comes
// only after the commit is on disk (a failed commit is 503 and nothing of it
// is stored), every concurrent push is answered once, and a logout or a
// disabled user takes effect at once, on the same connection and on others.
// Real patrold over TLS on 127.0.0.1, real SQLite files, storage faults from
// the fault-injecting VFS (test_support/fault_vfs.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "patrol/wire/uuid.hpp"
#include "test_support/fault_vfs.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/test_values.hpp"

using namespace patrol;
namespace json = boost::json;
using test::FaultVfs;
using test::HttpsClient;
using test::str;
using test::TestServer;

using test::error_code_of;

namespace {

constexpr const char* kVolunteer = "13900000002";
constexpr const char* kVillageAdmin = "13900000007";

// A 1-op push body: one position.append with one point.
std::string position_push(const std::string& op_id, const std::string& device = "completion") {
  json::object point{
      {"t", "2026-11-28T19:05:00+08:00"}, {"lat", 28.8571}, {"lon", 121.1432}, {"accuracy_m", 6}};
  json::object op{{"op_id", op_id},
                  {"type", "position.append"},
                  {"body", json::object{{"points", json::array{point}}}}};
  return json::serialize(json::object{{"device_id", device}, {"ops", json::array{op}}});
}

// The status of the push's single result ("" when the answer is not a 200).
std::string single_status(const test::HttpResponse& r) {
  if (r.status != 200) return "";
  auto v = json::parse(r.body);
  const auto& results = v.at("results").as_array();
  if (results.size() != 1) return "(" + std::to_string(results.size()) + " results)";
  return str(results.at(0).at("status"));
}

}  // namespace

// The commit of a push fails (every write and sync of the database fails):
// the push is answered 503 + Retry-After in the JSON error shape, the
// connection stays usable, and nothing of it was stored: the same push once
// the disk is back is `applied` (not `duplicate`), and then `duplicate`.
TEST(PushCompletion, AFailedCommitIs503AndNothingIsStored) {
  auto& vfs = FaultVfs::install();  // before the server opens its database
  test::DisarmOnExit disarm{vfs};
  TestServer server(test::without_request_rate_limits());
  HttpsClient c(server.port());
  c.set_bearer(test::login(c, kVolunteer));
  ASSERT_EQ(single_status(c.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()))),
            "applied");

  const auto op_id = wire::make_uuid_v7();
  const auto body = position_push(op_id);
  vfs.fail_all(FaultVfs::kWrite | FaultVfs::kSync);
  auto r = c.post_json("/api/v1/sync/push", body);
  vfs.disarm();
  EXPECT_GT(vfs.failures(), 0u) << "the fault never reached SQLite: the test proves nothing";
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(error_code_of(r.body), "unavailable") << r.body;
  EXPECT_TRUE(r.header("retry-after"));

  EXPECT_EQ(single_status(c.post_json("/api/v1/sync/push", body)), "applied")
      << "the failed commit stored the op anyway";
  EXPECT_EQ(single_status(c.post_json("/api/v1/sync/push", body)), "duplicate");
  EXPECT_EQ(c.connects(), 1u) << "the 503 closed the connection";
}

// 8 connections pushing 1-op pushes at once: every push answered once, in
// order on its connection, each op applied exactly once (a re-push of all
// of them is all `duplicate`).
TEST(PushCompletion, ConcurrentOneOpPushesAreEachAnsweredOnce) {
  TestServer server(test::without_request_rate_limits());
  constexpr int kConnections = 8;
  constexpr int kPushes = 40;
  std::vector<std::vector<std::string>> ids(kConnections);
  std::atomic<int> applied{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      HttpsClient c(server.port());
      c.set_bearer(test::login(c, kVolunteer, "patrol-demo", "dev-" + std::to_string(t)));
      for (int i = 0; i < kPushes; ++i) {
        ids[t].push_back(wire::make_uuid_v7());
        auto r = c.post_json("/api/v1/sync/push", position_push(ids[t].back()));
        auto v = r.status == 200 ? json::parse(r.body) : json::value();
        if (r.status == 200 && str(v.at("results").at(0).at("op_id")) == ids[t].back() &&
            str(v.at("results").at(0).at("status")) == "applied")
          ++applied;
        else
          ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(applied.load(), kConnections * kPushes);
  EXPECT_EQ(wrong.load(), 0);

  HttpsClient c(server.port());
  c.set_bearer(test::login(c, kVolunteer));
  for (const auto& per : ids)
    for (const auto& id : per)
      ASSERT_EQ(single_status(c.post_json("/api/v1/sync/push", position_push(id))), "duplicate")
          << id;
}

// The token check a connection reuses for sync/push and sync/pull never
// outlives a logout: not on the connection that logged out (its next push is
// 401 at once, well inside the cache's 1 s), not on another connection with
// the same token (it had just pushed, so its check was cached).
TEST(PushCompletion, CachedTokenCheckHonoursLogoutAtOnce) {
  TestServer server(test::without_request_rate_limits());
  HttpsClient a(server.port());
  const auto token = test::login(a, kVolunteer);
  a.set_bearer(token);
  HttpsClient b(server.port());
  b.set_bearer(token);
  ASSERT_EQ(single_status(a.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()))),
            "applied");
  ASSERT_EQ(single_status(b.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()))),
            "applied");
  ASSERT_EQ(b.get("/api/v1/sync/pull?cursor=0&limit=1").status, 200u);

  ASSERT_EQ(a.post_json("/api/v1/auth/logout", "").status, 204u);
  auto r = a.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()));
  EXPECT_EQ(r.status, 401u) << "same connection after logout: " << r.body;
  EXPECT_EQ(error_code_of(r.body), "unauthorized");
  r = b.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()));
  EXPECT_EQ(r.status, 401u) << "other connection after logout: " << r.body;
  EXPECT_EQ(b.get("/api/v1/sync/pull?cursor=0&limit=1").status, 401u);
  EXPECT_EQ(a.connects(), 1u);
  EXPECT_EQ(b.connects(), 1u);

  // A fresh login on the same connection is served (the cache follows the header).
  a.set_bearer(test::login(a, kVolunteer));
  EXPECT_EQ(single_status(a.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()))),
            "applied");
}

// An admin disabling the user ends their sessions: the connection that had
// just pushed (its check cached) is refused at once.
TEST(PushCompletion, CachedTokenCheckHonoursADisabledUser) {
  TestServer server(test::without_request_rate_limits());
  test::LoggedIn vol(server.port(), kVolunteer);
  test::LoggedIn admin(server.port(), kVillageAdmin, "admin-laptop");
  ASSERT_EQ(
      single_status(vol.client.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()))),
      "applied");
  auto d = admin.client.request("PUT", "/api/v1/users/" + vol.id, R"({"disabled":true})");
  ASSERT_EQ(d.status, 200u) << d.body;
  auto r = vol.client.post_json("/api/v1/sync/push", position_push(wire::make_uuid_v7()));
  EXPECT_EQ(r.status, 401u) << r.body;
}

// Pushes are validated on the connection's I/O thread from the store's site
// cache (store/site_cache.hpp). The cache must never outlive a write that
// changes what the volunteer may see: a site moved out of their village, or
// the volunteer moved to another village, refuses the next inspection on the
// same keep-alive connection at once; moved back, it is accepted again.
namespace {

constexpr const char* kTownStaff = "13900000004";  // 大田街道: both villages below
constexpr const char* kOtherVillage = "23";        // 下涨村, same town (the volunteer's is 21)

struct ShopSite {
  std::string id;
  std::string template_id;
};

ShopSite first_shop(HttpsClient& c) {
  auto r = c.get("/api/v1/sites?category=shop&limit=1");
  EXPECT_EQ(r.status, 200u) << r.body;
  const auto v = json::parse(r.body);
  const auto& s = v.at("items").as_array().at(0);
  return {str(s.at("id")), str(s.at("template_id"))};
}

// A 1-op push of an inspection of `site`.
std::string inspection_push(const ShopSite& site) {
  json::object body{{"id", wire::make_uuid_v7()},
                    {"site_id", site.id},
                    {"template_id", site.template_id},
                    {"template_version", 1},
                    {"round_id", nullptr},
                    {"observed_at", "2026-11-28T19:05:00+08:00"},
                    {"items", json::array{json::object{{"code", "gas_misuse"}, {"result", "ok"}}}},
                    {"note", ""}};
  json::object op{
      {"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", std::move(body)}};
  return json::serialize(json::object{{"device_id", "completion"}, {"ops", json::array{op}}});
}

// "applied", or the rejection's code and field ("not_found body.site_id").
std::string inspection_outcome(HttpsClient& c, const ShopSite& site) {
  auto r = c.post_json("/api/v1/sync/push", inspection_push(site));
  if (r.status != 200) return "HTTP " + std::to_string(r.status) + " " + r.body;
  const auto v = json::parse(r.body);
  const auto& res = v.at("results").as_array().at(0).as_object();
  if (str(res.at("status")) != "rejected") return str(res.at("status"));
  return str(res.at("error").at("code")) + " " + str(res.at("error").at("field"));
}

}  // namespace

TEST(PushCompletion, CachedSiteMovedOutOfScopeIsRefusedAtOnce) {
  TestServer server(test::without_request_rate_limits());
  test::LoggedIn vol(server.port(), kVolunteer);
  test::LoggedIn town(server.port(), kTownStaff, "town-laptop");
  const auto site = first_shop(vol.client);
  // The first push fills the cache, the next ones are validated from it.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(inspection_outcome(vol.client, site), "applied") << i;

  auto moved = town.client.request("PUT", "/api/v1/sites/" + site.id,
                                   std::string(R"({"org_unit_id":")") + kOtherVillage + "\"}");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  EXPECT_EQ(inspection_outcome(vol.client, site), "not_found body.site_id")
      << "the site left the volunteer's village";

  auto back = town.client.request("PUT", "/api/v1/sites/" + site.id,
                                  R"({"org_unit_id":")" + vol.org_unit_id + "\"}");
  ASSERT_EQ(back.status, 200u) << back.body;
  EXPECT_EQ(inspection_outcome(vol.client, site), "applied") << "back in the village";
  EXPECT_EQ(vol.client.connects(), 1u) << "all on one keep-alive connection";
}

TEST(PushCompletion, VolunteerMovedToAnotherVillageIsRefusedTheCachedSiteAtOnce) {
  TestServer server(test::without_request_rate_limits());
  test::LoggedIn vol(server.port(), kVolunteer);
  test::LoggedIn town(server.port(), kTownStaff, "town-laptop");
  const auto site = first_shop(vol.client);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(inspection_outcome(vol.client, site), "applied") << i;

  auto moved = town.client.request("PUT", "/api/v1/users/" + vol.id,
                                   std::string(R"({"org_unit_id":")") + kOtherVillage + "\"}");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  EXPECT_EQ(inspection_outcome(vol.client, site), "not_found body.site_id")
      << "the volunteer left the site's village";

  auto back = town.client.request("PUT", "/api/v1/users/" + vol.id,
                                  R"({"org_unit_id":")" + vol.org_unit_id + "\"}");
  ASSERT_EQ(back.status, 200u) << back.body;
  EXPECT_EQ(inspection_outcome(vol.client, site), "applied");
  EXPECT_EQ(vol.client.connects(), 1u);
}
