// Routes beyond login/push/pull: attachments, paging, limits, static files.
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "api_test_util.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::test {
namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

class RoutesTest : public ApiFixture {
 protected:
  Response put_chunk(const std::string& sha, const std::string& data, std::size_t start,
                     std::size_t len, std::size_t total, const std::string& token) {
    Request r = make_request("PUT", "/api/v1/attachments/" + sha, "", token);
    r.headers.emplace_back("content-type", "application/octet-stream");
    r.headers.emplace_back("content-range", "bytes " + std::to_string(start) + "-" +
                                                std::to_string(start + len - 1) + "/" +
                                                std::to_string(total));
    r.body = data.substr(start, len);
    return api_->handle(r);
  }
  std::string header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return {};
  }
  std::string inspection_with_photo(const json::object& site, const std::string& sha) {
    json::object body{
        {"id", wire::make_uuid_v7()},
        {"site_id", site.at("id")},
        {"template_id", site.at("template_id")},
        {"template_version", 1},
        {"observed_at", "2026-11-28T19:05:00+08:00"},
        {"items", json::array{json::object{{"code", "flying_wire_charging"},
                                           {"result", "hazard"},
                                           {"photos", json::array{json::value(sha)}}}}}};
    return R"({"device_id":"d","ops":[)" +
           json::serialize(json::object{
               {"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", body}}) +
           "]}";
  }
};

TEST_F(RoutesTest, ChunkedUploadResumesVerifiesAndLinksThePhoto) {
  auto t = login("13900000002");
  auto site = get("/api/v1/sites?limit=1", t).at("items").at(0).as_object();
  std::string photo(100'000, '\0');
  for (std::size_t i = 0; i < photo.size(); ++i) photo[i] = static_cast<char>(i * 131 + 7);
  std::string sha = sha256_hex(photo);

  // The inspection arrives before its photo: accepted, hazard flagged.
  auto pushed = call_json("POST", "/api/v1/sync/push", inspection_with_photo(site, sha), t, 200);
  EXPECT_EQ(pushed.at("results").at(0).at("status").as_string(), "applied");
  auto hz = get("/api/v1/hazards", t).at("items").at(0);
  EXPECT_TRUE(hz.at("photo_missing").as_bool());

  EXPECT_EQ(call("HEAD", "/api/v1/attachments/" + sha, "", t).status, 404u);
  auto r = put_chunk(sha, photo, 0, 40'000, photo.size(), t);
  EXPECT_EQ(r.status, 202u) << r.body;
  r = call("HEAD", "/api/v1/attachments/" + sha, "", t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Upload-Offset"), "40000");
  EXPECT_TRUE(r.body.empty());
  // A chunk from the wrong offset is refused with where to resume.
  r = put_chunk(sha, photo, 50'000, 10'000, photo.size(), t);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(header(r, "Upload-Offset"), "40000");
  r = put_chunk(sha, photo, 40'000, 40'000, photo.size(), t);
  EXPECT_EQ(r.status, 202u);
  r = put_chunk(sha, photo, 80'000, 20'000, photo.size(), t);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto st = json::parse(r.body);
  EXPECT_TRUE(st.at("complete").as_bool());
  EXPECT_EQ(st.at("size").as_int64(), 100'000);
  // Stored content-addressed; the hazard is no longer missing its photo.
  std::ifstream f(dir_ / "attachments" / sha.substr(0, 2) / sha, std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(stored, photo);
  hz = get("/api/v1/hazards", t).at("items").at(0);
  EXPECT_FALSE(hz.at("photo_missing").as_bool());
  // Re-sending the last chunk is harmless.
  EXPECT_EQ(put_chunk(sha, photo, 80'000, 20'000, photo.size(), t).status, 200u);
}

TEST_F(RoutesTest, UploadWithWrongHashIsRejectedAndRestarts) {
  auto t = login("13900000002");
  std::string data = "not the photo you named";
  std::string sha = sha256_hex("something else");
  auto r = put_chunk(sha, data, 0, data.size(), data.size(), t);
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(r.body.find("hash_mismatch"), std::string::npos);
  EXPECT_EQ(call("HEAD", "/api/v1/attachments/" + sha, "", t).status, 404u);
  EXPECT_EQ(call("PUT", "/api/v1/attachments/NOTHEX", "x", t).status, 400u);
  Request bad = make_request("PUT", "/api/v1/attachments/" + sha, "", t);
  bad.headers.emplace_back("content-range", "bytes 5-1/10");
  bad.body = "x";
  EXPECT_EQ(api_->handle(bad).status, 400u);
}

// A complete file under its hash name whose bytes do not match (a torn
// crash-window file, disk damage) is never reported complete: HEAD and PUT
// remove it, so the device uploads it again from byte 0.
TEST_F(RoutesTest, CorruptCompleteFileWithoutRowIsDiscardedNotReportedComplete) {
  auto t = login("13900000002");
  const std::string photo = "the real photo bytes";
  const std::string sha = sha256_hex(photo);
  const auto final = dir_ / "attachments" / sha.substr(0, 2) / sha;
  auto plant = [&] {
    std::filesystem::create_directories(final.parent_path());
    std::ofstream(final, std::ios::binary) << "torn";
  };
  plant();
  // No inspection names it and this user did not upload it: 404 without
  // touching it (a HEAD must not make the server hash 32 MB for anyone).
  EXPECT_EQ(call("HEAD", "/api/v1/attachments/" + sha, "", t).status, 404u);
  auto r = put_chunk(sha, photo, 0, photo.size(), photo.size(), t);
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(header(r, "Upload-Offset"), "0");
  r = put_chunk(sha, photo, 0, photo.size(), photo.size(), t);
  EXPECT_EQ(r.status, 200u) << r.body;
  r = call("HEAD", "/api/v1/attachments/" + sha, "", t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Upload-Complete"), "?1");
}

TEST_F(RoutesTest, TrackPagesInTimeOrderAndLatestPositionWins) {
  auto t = login("13900000002");
  std::string ops;
  for (int i = 0; i < 5; ++i) {
    json::array pts;
    for (int k = 0; k < 3; ++k)
      pts.push_back(json::object{
          {"t", "2026-11-28T19:0" + std::to_string(i) + ":0" + std::to_string(k) + "+08:00"},
          {"lat", 28.85},
          {"lon", 121.14},
          {"accuracy_m", 5}});
    ops += (i ? "," : "") + json::serialize(json::object{{"op_id", wire::make_uuid_v7()},
                                                         {"type", "position.append"},
                                                         {"body", json::object{{"points", pts}}}});
  }
  call_json("POST", "/api/v1/sync/push", R"({"device_id":"d","ops":[)" + ops + "]}", t, 200);
  auto me = std::string(get("/api/v1/me", t).at("id").as_string());
  std::vector<std::string> times;
  std::string target = "/api/v1/users/" + me + "/track?limit=4";
  for (int guard = 0; guard < 10; ++guard) {
    auto page = get(target, t);
    for (const auto& p : page.at("items").as_array()) times.emplace_back(p.at("t").as_string());
    if (page.at("next").is_null()) break;
    target =
        "/api/v1/users/" + me + "/track?limit=4&after=" + std::string(page.at("next").as_string());
  }
  ASSERT_EQ(times.size(), 15u);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  auto window = get("/api/v1/users/" + me +
                        "/track?from=2026-11-28T19:01:00%2B08:00&to=2026-11-28T19:03:00%2B08:00",
                    t);
  EXPECT_EQ(window.at("items").as_array().size(), 6u);
  auto latest = get("/api/v1/positions/latest", t);
  ASSERT_EQ(latest.at("items").as_array().size(), 1u);
  EXPECT_EQ(latest.at("items").at(0).at("t").as_string(), "2026-11-28T11:04:02.000Z");
  get("/api/v1/users/" + me + "/track?from=yesterday", t, 400);
  get("/api/v1/users/" + me + "/track?after=zzz", t, 400);
}

TEST_F(RoutesTest, InspectionsPageNewestFirstAndFilter) {
  auto t = login("13900000002");
  auto sites = get("/api/v1/sites?limit=2", t);
  auto a = sites.at("items").at(0).as_object(), b = sites.at("items").at(1).as_object();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto& site = i < 3 ? a : b;
    std::string id = wire::make_uuid_v7();
    json::object body{
        {"id", id},
        {"site_id", site.at("id")},
        {"template_id", site.at("template_id")},
        {"template_version", 1},
        {"observed_at", "2026-11-28T19:0" + std::to_string(i) + ":00+08:00"},
        {"items", json::array{json::object{{"code", "corridor_clutter"}, {"result", "ok"}}}}};
    call_json(
        "POST", "/api/v1/sync/push",
        R"({"device_id":"d","ops":[)" +
            json::serialize(json::object{
                {"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", body}}) +
            "]}",
        t, 200);
    ids.push_back(id);
  }
  std::vector<std::string> seen;
  std::string target = "/api/v1/inspections?limit=2";
  for (int guard = 0; guard < 10; ++guard) {
    auto page = get(target, t);
    for (const auto& i : page.at("items").as_array()) seen.emplace_back(i.at("id").as_string());
    if (page.at("next").is_null()) break;
    target = "/api/v1/inspections?limit=2&after=" + std::string(page.at("next").as_string());
  }
  std::reverse(ids.begin(), ids.end());
  EXPECT_EQ(seen, ids) << "newest first, every one exactly once";
  auto by_site = get("/api/v1/inspections?site_id=" + std::string(b.at("id").as_string()), t);
  EXPECT_EQ(by_site.at("items").as_array().size(), 2u);
  auto window = get("/api/v1/inspections?since=2026-11-28T11:01:00Z&until=2026-11-28T11:03:00Z", t);
  EXPECT_EQ(window.at("items").as_array().size(), 2u);
  auto first = get("/api/v1/inspections?limit=1", t).at("items").at(0);
  EXPECT_EQ(first.at("items").at(0).at("code").as_string(), "corridor_clutter");
  EXPECT_EQ(first.at("observed_at").as_string(), "2026-11-28T19:04:00+08:00");
}

// A volunteer's long Chinese note: 1,400 characters are 4,200 UTF-8 bytes. The
// limit (2,000) counts characters as the schemas do, so the report is applied
// and comes back whole instead of ending as a dead letter.
TEST_F(RoutesTest, LongChineseNoteIsAppliedAndKeptWhole) {
  auto t = login("13900000002");
  auto site = get("/api/v1/sites?limit=1", t).at("items").at(0).as_object();
  std::string note;
  for (int i = 0; i < 350; ++i) note += "三楼飞线";  // 4 characters, 12 bytes
  ASSERT_EQ(note.size(), 4200u);
  std::string id = wire::make_uuid_v7();
  json::object body{
      {"id", id},
      {"site_id", site.at("id")},
      {"template_id", site.at("template_id")},
      {"template_version", 1},
      {"observed_at", "2026-11-28T19:05:00+08:00"},
      {"note", note},
      {"items", json::array{json::object{
                    {"code", "corridor_clutter"}, {"result", "hazard"}, {"note", note}}}}};
  auto res = call_json(
      "POST", "/api/v1/sync/push",
      R"({"device_id":"d","ops":[)" +
          json::serialize(json::object{
              {"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", body}}) +
          "]}",
      t, 200);
  EXPECT_EQ(res.at("results").at(0).at("status").as_string(), "applied") << res;
  auto got = get("/api/v1/inspections?limit=1", t).at("items").at(0);
  EXPECT_EQ(got.at("id").as_string(), id);
  EXPECT_EQ(got.at("note").as_string(), note);
  EXPECT_EQ(got.at("items").at(0).at("note").as_string(), note);
}

TEST_F(RoutesTest, ListLimitsAreChecked) {
  auto t = login("13900000002");
  auto p1 = get("/api/v1/sites?limit=5", t);
  EXPECT_EQ(p1.at("items").as_array().size(), 5u);
  ASSERT_TRUE(p1.at("next").is_string());
  auto p2 = get("/api/v1/sites?limit=5&after=" + std::string(p1.at("next").as_string()), t);
  EXPECT_NE(p2.at("items").at(0).at("id"), p1.at("items").at(0).at("id"));
  auto all = get("/api/v1/sites", t);
  EXPECT_TRUE(all.at("next").is_null());
  for (auto bad : {"limit=0", "limit=1001", "limit=abc", "category=castle"}) {
    auto r = call("GET", std::string("/api/v1/sites?") + bad, "", t);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_NE(r.body.find("\"field\":\""), std::string::npos) << r.body;
  }
}

TEST_F(RoutesTest, StatusCodesForBadRequests) {
  auto t = login("13900000002");
  EXPECT_EQ(call("GET", "/api/v1/nope", "", t).status, 404u);
  auto r = call("DELETE", "/api/v1/sites", "", t);
  EXPECT_EQ(r.status, 405u);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos);
  std::string ops;
  for (int i = 0; i < 501; ++i) ops += std::string(i ? "," : "") + "{}";
  r = call("POST", "/api/v1/sync/push", R"({"device_id":"d","ops":[)" + ops + "]}", t);
  EXPECT_EQ(r.status, 413u);
  EXPECT_NE(r.body.find("too_many_ops"), std::string::npos);
  r = call("POST", "/api/v1/sync/push", "[1,2", t);
  EXPECT_EQ(r.status, 400u);
  r = call("POST", "/api/v1/sync/push", R"({"ops":[]})", t);
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/live", "", t).status, 426u);
  EXPECT_EQ(call("POST", "/healthz").status, 405u);
}

// HEAD is answered wherever GET is (RFC 9110 §9.3.2) by the GET handler; the
// net layer drops the body and keeps its length.
TEST_F(RoutesTest, HeadIsServedByTheGetRoute) {
  auto t = login("13900000002");
  auto get = call("GET", "/api/v1/sites?limit=2", "", t);
  auto head = call("HEAD", "/api/v1/sites?limit=2", "", t);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.body, get.body);
  EXPECT_EQ(call("HEAD", "/healthz").status, 200u);
  EXPECT_EQ(call("HEAD", "/api/v1/sites").status, 401u) << "still authenticated";
  auto r = call("HEAD", "/api/v1/sync/push", "", t);
  EXPECT_EQ(r.status, 405u) << "no GET route there";
  r = call("DELETE", "/api/v1/inspections", "", t);
  ASSERT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD");
  r = call("DELETE", "/api/v1/sites", "", t);
  ASSERT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD, POST") << "sites are administered (POST)";
}

TEST_F(RoutesTest, RepeatedFailedLoginsAreThrottled) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(call("POST", "/api/v1/auth/login",
                   R"({"phone":"13900000001","password":"wrong","device_id":"d"})")
                  .status,
              401u);
  auto r = call("POST", "/api/v1/auth/login",
                R"({"phone":"13900000001","password":"patrol-demo","device_id":"d"})");
  EXPECT_EQ(r.status, 429u);
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After" && std::stoi(v) >= 1;
  EXPECT_TRUE(retry_after);
  // Other phones are unaffected.
  login("13900000002");
}

TEST_F(RoutesTest, LogoutRevokesTheToken) {
  auto t = login("13900000002");
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", "", t).status, 204u);
  EXPECT_EQ(call("GET", "/api/v1/me", "", t).status, 401u);
  EXPECT_FALSE(api_->authenticate("Bearer " + t).ok());
}

TEST_F(RoutesTest, HealthMetricsAndStaticFiles) {
  auto h = call("GET", "/healthz");
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.body, R"({"status":"ok"})");
  auto m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_NE(m.body.find("patrol_commit_ops"), std::string::npos);
  EXPECT_EQ(m.content_type.rfind("text/plain", 0), 0u);

  std::filesystem::create_directories(dir_ / "web" / "js");
  std::ofstream(dir_ / "web" / "index.html") << "<!doctype html><title>Patrol</title>";
  std::ofstream(dir_ / "web" / "js" / "app.js") << "console.log(1)";
  std::ofstream(dir_ / "secret.txt") << "secret";
  auto idx = call("GET", "/");
  EXPECT_EQ(idx.status, 200u);
  EXPECT_EQ(idx.content_type, "text/html; charset=utf-8");
  EXPECT_NE(idx.body.find("Patrol"), std::string::npos);
  EXPECT_EQ(idx.route, "/");
  auto js = call("GET", "/js/app.js");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  for (auto bad :
       {"/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt", "/.hidden", "/nope.html"}) {
    auto r = call("GET", bad);
    EXPECT_EQ(r.status, 404u) << bad;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << bad;
  }
  auto head = call("HEAD", "/");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.body, idx.body) << "the net layer sends only its Content-Length";
}

// sync/pull carries SOS alerts as /alerts shows them: a volunteer only their
// own, a leader everyone's in the village.
TEST_F(RoutesTest, PullCarriesSosAlertsAsAlertsShowsThem) {
  auto vol = login("13900000002");
  auto leader = login("13900000001");
  auto raise = [&](const std::string& token) {
    const std::string id = wire::make_uuid_v7();
    json::object op{{"op_id", wire::make_uuid_v7()},
                    {"type", "sos.raise"},
                    {"body", json::object{{"id", id}, {"raised_at", "2026-11-28T19:05:00+08:00"}}}};
    auto r = call_json("POST", "/api/v1/sync/push",
                       json::serialize(json::object{{"device_id", "d"}, {"ops", json::array{op}}}),
                       token, 200);
    EXPECT_EQ(r.at("results").at(0).at("status").as_string(), "applied");
    return id;
  };
  const auto own = raise(vol);
  const auto leaders = raise(leader);
  auto sos_ids = [&](const std::string& token) {
    std::set<std::string> ids;
    const auto pulled = get("/api/v1/sync/pull?limit=1000", token);
    for (const auto& ch : pulled.at("changes").as_array())
      if (ch.at("entity").as_string() == "sos") ids.insert(std::string(ch.at("id").as_string()));
    return ids;
  };
  EXPECT_EQ(sos_ids(vol), (std::set<std::string>{own}));
  EXPECT_EQ(sos_ids(leader), (std::set<std::string>{own, leaders}));
}

// The data directory holds reports, photos and the TLS key: owner only.
TEST_F(RoutesTest, DataFilesAreOwnerOnly) {
  namespace fs = std::filesystem;
  const auto mode = [](const fs::path& p) { return fs::status(p).permissions() & fs::perms::all; };
  const auto rw = fs::perms::owner_read | fs::perms::owner_write;
  EXPECT_EQ(mode(dir_ / "patrol.db"), rw);
  EXPECT_EQ(mode(dir_ / "attachments"), fs::perms::owner_all);
  auto t = login("13900000002");
  const std::string photo = "owner-only photo";
  const std::string sha = sha256_hex(photo);
  ASSERT_EQ(put_chunk(sha, photo, 0, photo.size(), photo.size(), t).status, 200u);
  EXPECT_EQ(mode(dir_ / "attachments" / sha.substr(0, 2)), fs::perms::owner_all);
  EXPECT_EQ(mode(dir_ / "attachments" / sha.substr(0, 2) / sha), rw);

  ApiConfig cfg;
  cfg.data_dir = dir_ / "fresh" / "data";
  metrics::Metrics m;
  auto fresh = Api::open(cfg, m);
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_EQ(mode(cfg.data_dir), fs::perms::owner_all);
  (*fresh)->shutdown();
}

}  // namespace
}  // namespace patrol::api::test
