// The overview's last drill-down level (village → site) on a real patrold
// over TLS: GET /api/v1/overview of a village lists its sites
// (`site_details`) with numbers this test computes itself from what it
// pushed — inspections in the period and the last one, hazards found / open /
// overdue / closed in the period, open now, rounds that planned and visited
// each site — and the sites add up to the village's own numbers. A town
// lists no sites; the village's `sites` stays the count it was.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/test_values.hpp"

using namespace patrol;
namespace json = boost::json;
using test::HttpsClient;
using test::now_ms;
using test::str;
using test::TestServer;

namespace {

constexpr std::int64_t kDay = 24LL * 3600 * 1000;
constexpr std::int64_t kChina = 8LL * 3600 * 1000;  // Asia/Shanghai: UTC+8, no DST

TestServer& server() {
  static TestServer s;  // TestServer already hashes with scrypt N = 2^10
  return s;
}

HttpsClient as(const char* phone) {
  return test::client_as(server().port(), phone);
}

std::int64_t ms_of(const json::value& v) {
  auto t = wire::parse_rfc3339(str(v));
  return t ? t->instant.time_since_epoch().count() : -1;
}

// As a phone in China writes it (+08:00).
std::string china_time(std::int64_t ms) {
  return wire::format_rfc3339(wire::Millis(std::chrono::milliseconds(ms)), 480);
}

// "YYYY-MM-DD" of the China day `days` since the epoch.
std::string date_of(std::int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[32];  // room for any int year: -Wformat-truncation at -O2 counts them
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

json::array push(HttpsClient& c, json::array ops) {
  auto r =
      c.post_json("/api/v1/sync/push",
                  json::serialize(json::object{{"device_id", "overview-sites"}, {"ops", ops}}));
  EXPECT_EQ(r.status, 200u) << r.body;
  auto results = json::parse(r.body).at("results").as_array();
  for (const auto& x : results) EXPECT_EQ(str(x.at("status")), "applied") << x;
  return results;
}

json::object op(std::string_view type, json::object body, std::int64_t device_ms) {
  return {{"op_id", wire::make_uuid_v7()},
          {"type", type},
          {"device_time", china_time(device_ms)},
          {"body", std::move(body)}};
}

struct Want {
  std::int64_t inspections = 0, found = 0, open = 0, overdue = 0, closed = 0, open_now = 0,
               overdue_now = 0, planned = 0, visited = 0;
  std::optional<std::int64_t> last;
};

}  // namespace

TEST(OverviewSites, AVillageListsItsSitesWithNumbersTheTestComputes) {
  auto admin = as("13900000007");  // village_admin of 大田刘村 (org 21)
  auto leader = as("13900000001");
  auto phone = as("13900000002");
  std::string me = str(json::parse(phone.get("/api/v1/me").body).at("id"));

  // The village's sites and their checklists, as a phone has them.
  json::array changes;
  for (std::int64_t cursor = 0;;) {
    auto v = json::parse(
        phone.get("/api/v1/sync/pull?cursor=" + std::to_string(cursor) + "&limit=1000").body);
    for (auto& c : v.at("changes").as_array()) changes.push_back(c);
    cursor = v.at("cursor").to_number<std::int64_t>();
    if (!v.at("has_more").as_bool()) break;
  }
  std::map<std::string, json::object> templates;
  std::vector<json::object> sites;
  for (const auto& c : changes) {
    const auto& d = c.at("data");
    if (str(c.at("entity")) == "checklist_template") templates[str(d.at("id"))] = d.as_object();
  }
  for (const auto& c : changes)
    if (str(c.at("entity")) == "site" && str(c.at("op")) == "upsert" &&
        str(c.at("data").at("org_unit_id")) == "21" &&
        templates.count(str(c.at("data").at("template_id"))))
      sites.push_back(c.at("data").as_object());
  ASSERT_GE(sites.size(), 5u);

  std::int64_t now = now_ms();
  std::int64_t today = (now + kChina) / kDay;  // days since the epoch, China time
  std::string from = date_of(today - 6), to = date_of(today + 7);  // rounds ahead count too
  std::int64_t t0 = (today - 6) * kDay - kChina, t1 = (today + 8) * kDay - kChina;

  auto inspection = [&](const json::object& site, std::int64_t at, bool hazard,
                        std::optional<std::string> round_id = std::nullopt) {
    const auto& tpl = templates.at(str(site.at("template_id")));
    json::array items;
    bool first = true;
    for (const auto& i : tpl.at("items").as_array()) {
      items.push_back(
          json::object{{"code", i.at("code")}, {"result", hazard && first ? "hazard" : "ok"}});
      first = false;
    }
    json::object body{{"id", wire::make_uuid_v7()},    {"site_id", site.at("id")},
                      {"template_id", tpl.at("id")},   {"template_version", tpl.at("version")},
                      {"observed_at", china_time(at)}, {"items", items},
                      {"note", "overview sites"}};
    if (round_id) body["round_id"] = *round_id;
    return op("inspection.create", body, at);
  };
  std::map<std::string, Want> want;
  for (const auto& s : sites) want[str(s.at("id"))];
  auto inspected = [&](const json::object& s, std::int64_t at) {
    auto& w = want[str(s.at("id"))];
    if (at >= t0 && at < t1) ++w.inspections;
    if (!w.last || *w.last < at) w.last = at;
  };
  auto id = [](const json::object& s) { return str(s.at("id")); };

  // Site 0: two inspections in the period and one 40 days ago. Site 1: a
  // hazard found now, open and overdue. Site 2: a hazard found and closed. Site 3: a
  // hazard found 40 days ago, still open.
  push(phone, json::array{inspection(sites[0], now - 40 * kDay, false),
                          inspection(sites[0], now - 2 * kDay, false),
                          inspection(sites[0], now - 3600'000, false),
                          inspection(sites[1], now - 60'000, true),
                          inspection(sites[2], now - 60'000, true),
                          inspection(sites[3], now - 40 * kDay, true)});
  inspected(sites[0], now - 40 * kDay);
  inspected(sites[0], now - 2 * kDay);
  inspected(sites[0], now - 3600'000);
  inspected(sites[1], now - 60'000);
  inspected(sites[2], now - 60'000);
  inspected(sites[3], now - 40 * kDay);
  want[id(sites[1])].found = want[id(sites[1])].open = want[id(sites[1])].open_now = 1;
  want[id(sites[1])].overdue = want[id(sites[1])].overdue_now = 1;  // made overdue below
  want[id(sites[2])].found = want[id(sites[2])].closed = 1;
  want[id(sites[3])].open_now = 1;

  auto hazard_of = [&](const json::object& site) {
    auto hz = json::parse(admin.get("/api/v1/hazards?site_id=" + id(site)).body);
    EXPECT_EQ(hz.at("items").as_array().size(), 1u) << hz;
    return str(hz.at("items").at(0).at("id"));
  };
  auto transition = [&](HttpsClient& who, const std::string& hid, json::object t) {
    auto r = who.post_json("/api/v1/hazards/" + hid + "/transitions", json::serialize(t));
    ASSERT_EQ(r.status, 200u) << r.body;
  };
  // Site 2's hazard goes the whole way: assigned, rectified, verified, closed.
  std::string closed_id = hazard_of(sites[2]);
  transition(leader, closed_id, {{"to", "assigned"}, {"assignee_id", me}});
  transition(phone, closed_id, {{"to", "rectified"}});
  transition(phone, closed_id, {{"to", "verified"}});
  transition(admin, closed_id, {{"to", "closed"}});
  // Site 1's is assigned with a deadline 1.5 s ahead: the timer makes it
  // overdue (within 15 s of its due time).
  std::string late_id = hazard_of(sites[1]);
  transition(leader, late_id,
             {{"to", "assigned"}, {"assignee_id", me}, {"deadline", china_time(now_ms() + 1500)}});
  bool overdue = false;
  for (auto until = now_ms() + 20'000; !overdue && now_ms() < until;) {
    overdue = json::parse(admin.get("/api/v1/hazards/" + late_id).body).at("overdue").as_bool();
    if (!overdue) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(overdue) << "the timer marks the hazard overdue";
  // Site 3's hazard, found 40 days ago, gets its deadline by severity from
  // the same timer (likely past already): what it decided is read back.
  std::string old_id = hazard_of(sites[3]);
  json::value old;
  for (auto until = now_ms() + 20'000; now_ms() < until;) {
    old = json::parse(admin.get("/api/v1/hazards/" + old_id).body);
    if (!old.at("deadline").is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_FALSE(old.at("deadline").is_null()) << old;
  want[id(sites[3])].overdue_now = old.at("overdue").as_bool() ? 1 : 0;

  // The rounds of the period plan their route's sites; an inspection naming
  // one of them at its second route site is a visit.
  auto rounds = json::parse(admin.get("/api/v1/rounds?org_unit_id=21&limit=1000").body);
  std::string visited_round, visited_site;
  for (const auto& r : rounds.at("items").as_array()) {
    auto at = ms_of(r.at("starts_at"));
    if (at < t0 || at >= t1 || str(r.at("state")) == "cancelled") continue;
    std::set<std::string> route;
    for (const auto& s : r.at("route").as_array()) route.insert(str(s));
    for (const auto& s : route)
      if (want.count(s)) ++want[s].planned;
    if (visited_round.empty() && r.at("route").as_array().size() >= 2) {
      visited_round = str(r.at("id"));
      visited_site = str(r.at("route").at(1));
    }
  }
  ASSERT_FALSE(visited_round.empty()) << "a round of 大田刘村 in the period: " << rounds;
  const json::object* vs = nullptr;
  for (const auto& s : sites)
    if (id(s) == visited_site) vs = &s;
  ASSERT_NE(vs, nullptr);
  push(phone, json::array{inspection(*vs, now - 30'000, false, visited_round)});
  inspected(*vs, now - 30'000);
  ++want[visited_site].visited;

  auto r = admin.get("/api/v1/overview?org_unit_id=21&from=" + from + "&to=" + to);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto ov = json::parse(r.body);
  ASSERT_TRUE(ov.at("sites").is_int64()) << "`sites` stays the count";
  ASSERT_TRUE(ov.as_object().contains("site_details")) << ov;
  const auto& list = ov.at("site_details").as_array();
  EXPECT_EQ(list.size(), static_cast<std::size_t>(ov.at("sites").as_int64()));
  EXPECT_EQ(list.size(), sites.size());
  std::int64_t sum_inspections = 0, sum_found = 0, sum_open = 0, sum_closed = 0, sum_overdue = 0;
  std::int64_t prev_open = INT64_MAX;
  for (const auto& v : list) {
    const auto& s = v.as_object();
    std::string sid = str(s.at("id"));
    ASSERT_TRUE(want.count(sid)) << "a site of 大田刘村: " << s;
    const auto& w = want[sid];
    EXPECT_EQ(s.at("inspections").as_int64(), w.inspections) << s;
    if (w.last)
      EXPECT_EQ(ms_of(s.at("last_inspected_at")), *w.last) << s;
    else
      EXPECT_TRUE(s.at("last_inspected_at").is_null()) << s;
    const auto& h = s.at("hazards").as_object();
    EXPECT_EQ(h.at("found").as_int64(), w.found) << s;
    EXPECT_EQ(h.at("open").as_int64(), w.open) << s;
    EXPECT_EQ(h.at("overdue").as_int64(), w.overdue) << s;
    EXPECT_EQ(h.at("closed").as_int64(), w.closed) << s;
    EXPECT_EQ(s.at("open_hazards").as_int64(), w.open_now) << s;
    EXPECT_EQ(s.at("overdue_hazards").as_int64(), w.overdue_now) << s;
    EXPECT_EQ(s.at("rounds").at("planned").as_int64(), w.planned) << s;
    EXPECT_EQ(s.at("rounds").at("visited").as_int64(), w.visited) << s;
    for (const auto& x : sites)
      if (id(x) == sid) {
        EXPECT_EQ(s.at("name"), x.at("name"));
        EXPECT_EQ(s.at("category"), x.at("category"));
        EXPECT_DOUBLE_EQ(s.at("lat").to_number<double>(), x.at("lat").to_number<double>());
        EXPECT_DOUBLE_EQ(s.at("lon").to_number<double>(), x.at("lon").to_number<double>());
      }
    EXPECT_LE(s.at("open_hazards").as_int64(), prev_open) << "most open hazards first";
    prev_open = s.at("open_hazards").as_int64();
    sum_inspections += s.at("inspections").as_int64();
    sum_found += h.at("found").as_int64();
    sum_open += h.at("open").as_int64();
    sum_closed += h.at("closed").as_int64();
    sum_overdue += h.at("overdue").as_int64();
  }
  // The sites add up to the village.
  EXPECT_EQ(sum_inspections, ov.at("inspections").as_int64());
  EXPECT_EQ(sum_found, ov.at("hazards").at("found").as_int64());
  EXPECT_EQ(sum_open, ov.at("hazards").at("open").as_int64());
  EXPECT_EQ(sum_closed, ov.at("hazards").at("closed").as_int64());
  EXPECT_EQ(sum_overdue, ov.at("hazards").at("overdue").as_int64());
  EXPECT_EQ(ov.at("hazards").at("found").as_int64(), 2);
  EXPECT_EQ(ov.at("inspections").as_int64(), 5);

  // The leader's own overview (no org_unit_id) is the village's: sites too.
  auto own = json::parse(leader.get("/api/v1/overview?from=" + from + "&to=" + to).body);
  EXPECT_EQ(own.at("site_details").as_array().size(), list.size());
  // A town lists its villages, no sites.
  auto city = as("13900000000");
  auto town =
      json::parse(city.get("/api/v1/overview?org_unit_id=2&from=" + from + "&to=" + to).body);
  EXPECT_FALSE(town.as_object().contains("site_details")) << town;
  EXPECT_FALSE(town.at("children").as_array().empty());
  // Another village's volunteer sees none of it.
  auto other = as("13900000003");
  EXPECT_EQ(other.get("/api/v1/overview?org_unit_id=21").status, 403u);
}
