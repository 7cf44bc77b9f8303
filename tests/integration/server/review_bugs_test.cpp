// Review: bugs found in issue 2's promises, each as a small failing test
// (kept out of main until fixed). Real patrold over TLS on 127.0.0.1.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::HttpResponse;
using test::HttpsClient;
using test::TestServer;

namespace {

[[maybe_unused]] TestServer& shared_server() {
  static TestServer server;
  return server;
}

[[maybe_unused]] std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

struct Site {
  std::string id;
  std::string template_id;
};

[[maybe_unused]] Site own_shop(HttpsClient& c) {
  auto v = json::parse(c.get("/api/v1/sites?category=shop&limit=1").body);
  const auto& s = v.at("items").as_array().at(0);
  return {str(s.at("id")), str(s.at("template_id"))};
}

[[maybe_unused]] json::object inspection_op(const Site& site, json::array items,
                                            std::string observed_at = "2026-11-28T19:05:00+08:00",
                                            std::string op_id = {}, std::string id = {}) {
  json::object body{{"id", id.empty() ? wire::make_uuid_v7() : id},
                    {"site_id", site.id},
                    {"template_id", site.template_id},
                    {"template_version", 1},
                    {"observed_at", std::move(observed_at)},
                    {"items", std::move(items)},
                    {"note", ""}};
  return {{"op_id", op_id.empty() ? wire::make_uuid_v7() : op_id},
          {"type", "inspection.create"},
          {"body", std::move(body)}};
}

[[maybe_unused]] json::array push(HttpsClient& c, json::array ops) {
  auto r =
      c.post_json("/api/v1/sync/push",
                  json::serialize(json::object{{"device_id", "review"}, {"ops", std::move(ops)}}));
  EXPECT_EQ(r.status, 200u) << r.body;
  return json::parse(r.body).at("results").as_array();
}

}  // namespace

// burst of 32 parallel guesses gets far more than 10 password checks (401s).
TEST(ReviewBug, ParallelWrongPasswordsAreThrottledAtTheLimit) {
  test::TestServerOptions o;
  o.workers = 16;
  // A realistic KDF cost makes the check-then-record window wide.
  o.configure = [](net::ServerConfig& cfg) { cfg.api.scrypt_log2_n = 14; };
  TestServer server(o);
  std::atomic<int> checked{0}, throttled{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 32; ++i) {
    ts.emplace_back([&, i] {
      HttpsClient c(server.port());
      auto r = c.post_json("/api/v1/auth/login", R"({"phone":"13900000000","password":"guess)" +
                                                     std::to_string(i) + R"(","device_id":"x"})");
      if (r.status == 401) ++checked;
      if (r.status == 429) ++throttled;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_LE(checked.load(), 10) << "password guesses evaluated in one burst (limit 10/min)";
  EXPECT_EQ(checked.load() + throttled.load(), 32);
}

// scrypt ran on the worker pool with an unbounded wait for its 2 slots, so a
// flood of logins (unknown phones cost a KDF too) held every worker and a
// 1-op push waited seconds. Beyond max_pending_logins a login is now refused
// at once (429 + Retry-After); the push sent during the flood is answered.
TEST(ReviewBug, LoginFloodIsRefusedBeyondTheKdfQueue) {
  test::TestServerOptions o;
  o.workers = 16;
  o.configure = [](net::ServerConfig& cfg) {
    cfg.api.scrypt_log2_n = 14;
    cfg.api.max_pending_logins = 2;
  };
  TestServer server(o);
  HttpsClient pusher(server.port());
  pusher.set_bearer(test::login(pusher, "13900000003"));
  Site site = own_shop(pusher);

  constexpr int kLogins = 14;
  std::vector<std::unique_ptr<HttpsClient>> clients;
  for (int i = 0; i < kLogins; ++i) {
    clients.push_back(std::make_unique<HttpsClient>(server.port()));
    clients.back()->connect();  // handshakes first: the logins then arrive together
  }
  std::atomic<int> ready{0}, checked{0}, busy{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int i = 0; i < kLogins; ++i) {
    ts.emplace_back([&, i] {
      ++ready;
      while (!go) std::this_thread::yield();
      std::string phone = std::to_string(13800000000LL + i);  // unknown phones
      auto r = clients[i]->post_json(
          "/api/v1/auth/login",
          R"({"phone":")" + phone + R"(","password":"flood","device_id":"flood"})");
      if (r.status == 401)
        ++checked;
      else if (r.status == 429 && r.header("retry-after"))
        ++busy;
      else
        ++other;
    });
  }
  while (ready < kLogins) std::this_thread::yield();
  go = true;
  auto res =
      push(pusher, json::array{inspection_op(
                       site, {json::object{{"code", "window_throwing"}, {"result", "ok"}}})});
  for (auto& t : ts) t.join();
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(str(res[0].at("status")), "applied");
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(busy.load(), 0) << "logins beyond the KDF queue must be refused, not queued";
  EXPECT_EQ(checked.load() + busy.load(), kLogins);
}

// Each login costs a password KDF: beyond --login-rate-burst logins from one
// address (refilled at --login-rate-limit per second) the net layer answers
// 429 rate_limited with Retry-After before any KDF runs; other routes are not
// affected.
TEST(ReviewBug, LoginsArePerAddressRateLimited) {
  test::TestServerOptions o;
  o.configure = [](net::ServerConfig& cfg) {
    cfg.limits.login_rate_per_ip = 0.1;
    cfg.limits.login_burst_per_ip = 3;
  };
  TestServer server(o);
  HttpsClient c(server.port());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c.post_json("/api/v1/auth/login",
                          R"({"phone":"13800000000","password":"x","device_id":"d"})")
                  .status,
              401u)
        << i;
  auto r = c.post_json("/api/v1/auth/login",
                       R"({"phone":"13800000000","password":"x","device_id":"d"})");
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_NE(r.body.find("rate_limited"), std::string::npos) << r.body;
  EXPECT_TRUE(r.header("retry-after"));
  EXPECT_EQ(c.get("/healthz").status, 200u);
}

// rename does.
TEST(ReviewBug, PhotoFileWithoutItsRowIsNotReportedComplete) {
  HttpsClient c(shared_server().port());
  c.set_bearer(test::login(c, "13900000003"));
  Site site = own_shop(c);
  const std::string photo = "photo renamed, row never committed " + wire::make_uuid_v7();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(photo.data()), photo.size(), md);
  std::string sha;
  for (unsigned char b : md) {
    sha += "0123456789abcdef"[b >> 4];
    sha += "0123456789abcdef"[b & 15];
  }
  const auto dir = shared_server().data_dir() / "attachments" / sha.substr(0, 2);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / sha, std::ios::binary) << photo;

  auto res = push(c, json::array{inspection_op(
                         site, {json::object{{"code", "improvised_wiring"},
                                             {"result", "hazard"},
                                             {"photos", json::array{json::value(sha)}}}})});
  ASSERT_EQ(str(res.at(0).at("status")), "applied");
  auto head = c.request("HEAD", "/api/v1/attachments/" + sha, "", "");
  const bool complete = head.status == 200 && head.header("upload-complete").value_or("") == "?1";
  auto v = json::parse(c.get("/api/v1/hazards?limit=1000&site_id=" + site.id).body);
  bool missing = false;
  for (const auto& h : v.at("items").as_array())
    if (str(h.at("item_code")) == "improvised_wiring") missing = h.at("photo_missing").as_bool();
  EXPECT_FALSE(complete && missing)
      << "HEAD says the upload is complete (the SDK will not send it again) while the hazard "
         "stays photo_missing";
}

// not the report accepted. Either reject it (naming the field) or keep it whole.
TEST(ReviewBug, ItemNoteWithNulIsKeptWholeOrRejected) {
  HttpsClient c(shared_server().port());
  c.set_bearer(test::login(c, "13900000003"));
  Site site = own_shop(c);
  const std::string note("abc\0def", 7);
  auto res = push(
      c, json::array{inspection_op(
             site,
             {json::object{{"code", "window_throwing"}, {"result", "hazard"}, {"note", note}}})});
  ASSERT_EQ(res.size(), 1u);
  if (str(res[0].at("status")) == "rejected") {
    EXPECT_EQ(str(res[0].at("error").at("field")), "body.items[0].note");
    return;
  }
  auto v = json::parse(c.get("/api/v1/inspections?limit=1&site_id=" + site.id).body);
  const auto& item = v.at("items").as_array().at(0).at("items").as_array().at(0);
  EXPECT_EQ(str(item.at("note")), note) << "stored: " << json::serialize(item.at("note"));
}

// RFC 3339 (the wire contract's time format): clients cannot parse it.
TEST(ReviewBug, AcceptedDeviceTimesComeBackAsValidRfc3339) {
  HttpsClient c(shared_server().port());
  c.set_bearer(test::login(c, "13900000003"));
  Site site = own_shop(c);
  const std::string t = "0000-01-01T00:00:00+08:00";
  json::object pos{
      {"op_id", wire::make_uuid_v7()},
      {"type", "position.append"},
      {"body", json::object{{"points",
                             json::array{json::object{{"t", t}, {"lat", 28.8}, {"lon", 121.1}}}}}}};
  auto res = push(
      c, json::array{
             inspection_op(site, {json::object{{"code", "window_throwing"}, {"result", "ok"}}}, t),
             pos});
  ASSERT_EQ(res.size(), 2u);
  if (str(res[0].at("status")) == "applied") {
    auto v = json::parse(c.get("/api/v1/inspections?limit=1&site_id=" + site.id).body);
    auto corrected = str(v.at("items").as_array().at(0).at("observed_at_corrected"));
    EXPECT_TRUE(wire::parse_rfc3339(corrected)) << corrected;
  }
  if (str(res[1].at("status")) == "applied") {
    auto me = json::parse(c.get("/api/v1/me").body);
    auto v = json::parse(c.get("/api/v1/users/" + str(me.at("id")) + "/track?limit=1").body);
    auto first = str(v.at("items").as_array().at(0).at("t"));
    EXPECT_TRUE(wire::parse_rfc3339(first)) << first;
  }
}

// op written twice.
TEST(ReviewBug, OpIdsDifferingOnlyInCaseAreOneOp) {
  HttpsClient c(shared_server().port());
  c.set_bearer(test::login(c, "13900000003"));
  Site site = own_shop(c);
  const std::string op_id = wire::make_uuid_v7();
  const std::string id = wire::make_uuid_v7();
  auto upper = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  };
  json::array items{json::object{{"code", "corridor_clutter"}, {"result", "ok"}}};
  auto res = push(c, json::array{inspection_op(site, items, "2026-11-28T19:05:00+08:00", op_id, id),
                                 inspection_op(site, items, "2026-11-28T19:05:00+08:00",
                                               upper(op_id), upper(id))});
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(str(res[0].at("status")), "applied");
  EXPECT_NE(str(res[1].at("status")), "applied") << json::serialize(res[1]);
}

// make the JSON error itself invalid (as do access-log lines for such paths).
TEST(ReviewBug, ErrorBodiesAreValidUtf8Json) {
  test::RawConnection raw(shared_server().port());
  ASSERT_TRUE(
      raw.write("POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: text/\xff\xfe\r\n"
                "Content-Length: 2\r\nConnection: close\r\n\r\n{}"));
  auto got = raw.read_until_close(5000);
  auto at = got.data.find("\r\n\r\n");
  ASSERT_NE(at, std::string::npos) << got.data;
  const std::string body = got.data.substr(at + 4);
  boost::system::error_code ec;
  // Boost.JSON's parser validates UTF-8.
  (void)json::parse(body, ec);
  EXPECT_FALSE(ec) << "not valid UTF-8 JSON: " << body;
}

// routes answer 405.
TEST(ReviewBug, HeadIsAllowedOnGetRoutes) {
  HttpsClient c(shared_server().port());
  c.set_bearer(test::login(c, "13900000002"));
  EXPECT_EQ(c.request("HEAD", "/api/v1/sites", "", "").status, 200u);
  EXPECT_EQ(c.request("HEAD", "/healthz", "", "").status, 200u);
}

// but sync/pull hands them everyone's SOS of the village.
TEST(ReviewBug, VolunteerPullCarriesOnlyOwnSos) {
  HttpsClient leader(shared_server().port());
  leader.set_bearer(test::login(leader, "13900000001"));
  HttpsClient volunteer(shared_server().port());
  volunteer.set_bearer(test::login(volunteer, "13900000002"));
  const std::string id = wire::make_uuid_v7();
  auto res = push(leader, json::array{json::object{
                              {"op_id", wire::make_uuid_v7()},
                              {"type", "sos.raise"},
                              {"body", json::object{{"id", id},
                                                    {"raised_at", "2026-11-28T19:05:00+08:00"},
                                                    {"note", "leader in trouble"}}}}});
  ASSERT_EQ(str(res.at(0).at("status")), "applied");
  auto alerts = json::parse(volunteer.get("/api/v1/alerts?limit=1000").body);
  for (const auto& a : alerts.at("items").as_array()) ASSERT_NE(str(a.at("id")), id);
  std::int64_t cursor = 0;
  for (int page = 0; page < 1000; ++page) {
    auto v = json::parse(
        volunteer.get("/api/v1/sync/pull?limit=1000&cursor=" + std::to_string(cursor)).body);
    for (const auto& ch : v.at("changes").as_array())
      EXPECT_NE(str(ch.at("id")), id) << "the leader's SOS reached a volunteer through pull";
    cursor = v.at("cursor").to_number<std::int64_t>();
    if (!v.at("has_more").as_bool()) break;
  }
}

// backup never receives anything again. It should be refused (or reset).
TEST(ReviewBug, PullCursorBeyondTheLogIsNotEchoedBack) {
  HttpsClient c(shared_server().port());
  c.set_bearer(test::login(c, "13900000002"));
  auto r = c.get("/api/v1/sync/pull?cursor=9000000000000000000");
  if (r.status == 200) {
    auto v = json::parse(r.body);
    EXPECT_LT(v.at("cursor").to_number<std::int64_t>(), 9000000000000000000)
        << "future cursor accepted: " << r.body;
  } else {
    EXPECT_EQ(r.status, 409u) << r.body;
  }
}
