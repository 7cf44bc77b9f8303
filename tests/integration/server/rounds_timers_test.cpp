// The timers on a real patrold (TLS on 127.0.0.1, a real SQLite file) with
// --round-grace 2s: a round not started turns missed, and a hazard past its
// deadline turns overdue and escalates to the town, each within 15 s of its
// due time (DESIGN part 2) and visible to phones through sync/pull.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "domain/local_time.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::HttpsClient;
using test::TestServer;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

std::int64_t ms_of(const json::value& v) {
  auto t = wire::parse_rfc3339(str(v));
  return t ? t->instant.time_since_epoch().count() : 0;
}

TestServer& grace_server() {
  static TestServer server([] {
    test::TestServerOptions o;
    o.configure = [](net::ServerConfig& c) { c.api.round_grace = 2s; };
    return o;
  }());
  return server;
}

HttpsClient client_for(const std::string& phone) {
  HttpsClient c(grace_server().port());
  c.set_bearer(test::login(c, phone));
  return c;
}

json::array push_ops(HttpsClient& c, json::array ops) {
  auto r = c.post_json("/api/v1/sync/push",
                       json::serialize(json::object{{"device_id", "round-phone"}, {"ops", ops}}));
  EXPECT_EQ(r.status, 200u) << r.body;
  return json::parse(r.body).at("results").as_array();
}

json::object op(std::string_view type, json::object body, std::int64_t device_ms,
                std::string op_id = wire::make_uuid_v7()) {
  return {{"op_id", op_id},
          {"type", type},
          {"device_time", wire::format_rfc3339(wire::Millis(std::chrono::milliseconds(device_ms)))},
          {"body", std::move(body)}};
}

}  // namespace

TEST(RoundTimers, UnstartedRoundTurnsMissedWithinFifteenSecondsOfItsGrace) {
  auto admin = client_for("13900000007");
  auto seeded = json::parse(admin.get("/api/v1/schedules").body).at("items").at(0);
  // A schedule whose round starts at the next whole minute (China time), so
  // its due time (start + 2 s grace) is still ahead when it is created.
  std::int64_t start = (now_ms() / 60000 + 1) * 60000;
  auto today = *domain::utc_to_local_date(start, "Asia/Shanghai");
  int minute = static_cast<int>(((start / 60000) + 8 * 60) % (24 * 60));
  json::object s{{"team_id", seeded.at("team_id")},
                 {"name", "即时巡防"},
                 {"weekdays", json::array{domain::iso_weekday(today)}},
                 {"start_time", domain::format_hhmm(minute)},
                 {"duration_min", 60},
                 {"starts_on", domain::format_date(today)},
                 {"route", seeded.at("route")}};
  auto created = admin.post_json("/api/v1/schedules", json::serialize(s));
  ASSERT_EQ(created.status, 201u) << created.body;
  std::string sid = str(json::parse(created.body).at("id"));

  auto rounds =
      json::parse(admin
                      .get("/api/v1/rounds?limit=1000&from=" + domain::format_date(today) +
                           "&to=" + domain::format_date(today))
                      .body);
  std::string rid;
  std::int64_t starts_at = 0;
  for (const auto& r : rounds.at("items").as_array())
    if (str(r.at("schedule_id")) == sid) {
      rid = str(r.at("id"));
      starts_at = ms_of(r.at("starts_at"));
    }
  ASSERT_FALSE(rid.empty()) << rounds;
  ASSERT_EQ(starts_at, start);
  std::int64_t due = starts_at + 2000;
  ASSERT_GT(due, now_ms());

  std::string state;
  std::int64_t seen_at = 0;
  while (now_ms() < due + 16'000) {
    auto r = json::parse(admin.get("/api/v1/rounds/" + rid).body);
    state = str(r.at("state"));
    if (state == "missed") {
      seen_at = now_ms();
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(state, "missed") << "not missed 15 s after starts_at + grace";
  EXPECT_LE(seen_at - due, 15'000);
  EXPECT_GE(seen_at, due) << "never before the grace ends";
  std::cout << "round missed " << seen_at - due << " ms after starts_at + grace\n";

  // A phone sees it through sync/pull.
  auto phone = client_for("13900000002");
  auto pull = json::parse(phone.get("/api/v1/sync/pull?cursor=0&limit=1000").body);
  std::string last;
  for (;;) {
    for (const auto& c : pull.at("changes").as_array())
      if (str(c.at("entity")) == "round" && str(c.at("id")) == rid)
        last = str(c.at("data").at("state"));
    if (!pull.at("has_more").as_bool()) break;
    pull = json::parse(phone
                           .get("/api/v1/sync/pull?limit=1000&cursor=" +
                                std::to_string(pull.at("cursor").as_int64()))
                           .body);
  }
  EXPECT_EQ(last, "missed");

  // A phone that started the round on time but was offline: its late start
  // is judged by its device time and revives the round.
  auto late =
      push_ops(phone, json::array{op("round.start", {{"round_id", rid}}, starts_at + 1000)});
  EXPECT_EQ(str(late.at(0).at("status")), "applied") << late;
  auto revived = json::parse(admin.get("/api/v1/rounds/" + rid).body);
  EXPECT_EQ(str(revived.at("state")), "in_progress");
  EXPECT_EQ(ms_of(revived.at("started_at")), starts_at + 1000);
}

TEST(HazardTimers, OverdueHazardEscalatesToTheTownWithinFifteenSeconds) {
  auto phone = client_for("13900000002");
  auto site = json::parse(phone.get("/api/v1/sites?category=shop&limit=1").body).at("items").at(0);
  json::object body{
      {"id", wire::make_uuid_v7()},
      {"site_id", site.at("id")},
      {"template_id", site.at("template_id")},
      {"template_version", 1},
      {"observed_at", wire::format_rfc3339(wire::now_millis())},
      {"items", json::array{json::object{{"code", "gas_misuse"}, {"result", "hazard"}}}},
      {"note", ""}};
  json::object push{{"device_id", "timer-test"},
                    {"ops", json::array{json::object{{"op_id", wire::make_uuid_v7()},
                                                     {"type", "inspection.create"},
                                                     {"body", body}}}}};
  auto pushed = phone.post_json("/api/v1/sync/push", json::serialize(push));
  ASSERT_EQ(pushed.status, 200u) << pushed.body;
  auto hz = json::parse(phone.get("/api/v1/hazards?state=open&site_id=" + str(site.at("id"))).body);
  std::string hid;
  for (const auto& h : hz.at("items").as_array())
    if (str(h.at("item_code")) == "gas_misuse") hid = str(h.at("id"));
  ASSERT_FALSE(hid.empty()) << hz;

  auto leader = client_for("13900000001");
  auto me = json::parse(phone.get("/api/v1/me").body);
  std::int64_t deadline = now_ms() + 2000;
  json::object t{
      {"to", "assigned"},
      {"assignee_id", me.at("id")},
      {"deadline", wire::format_rfc3339(wire::Millis(std::chrono::milliseconds(deadline)))}};
  auto assigned = leader.post_json("/api/v1/hazards/" + hid + "/transitions", json::serialize(t));
  ASSERT_EQ(assigned.status, 200u) << assigned.body;
  EXPECT_EQ(str(json::parse(assigned.body).at("escalation")), "village");

  json::value h;
  std::int64_t seen_at = 0;
  while (now_ms() < deadline + 15'000) {
    h = json::parse(leader.get("/api/v1/hazards/" + hid).body);
    if (h.at("overdue").as_bool() && str(h.at("escalation")) == "town") {
      seen_at = now_ms();
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(seen_at, 0) << "not escalated 15 s after its deadline: " << h;
  std::cout << "hazard escalated " << seen_at - deadline << " ms after its deadline\n";
  EXPECT_GE(seen_at, deadline);
  // The escalation is in the history, by the system.
  const auto& hist = h.at("history").as_array();
  ASSERT_GE(hist.size(), 2u) << h;
  EXPECT_EQ(str(hist.back().at("by")), "system");
  // The town sees it in its list of overdue hazards' area; rectifying stops the clock.
  auto rect = phone.post_json("/api/v1/hazards/" + hid + "/transitions", R"({"to":"rectified"})");
  ASSERT_EQ(rect.status, 200u) << rect.body;
  auto after = json::parse(rect.body);
  EXPECT_FALSE(after.at("overdue").as_bool());
  EXPECT_EQ(str(after.at("escalation")), "town") << "escalation never decreases";
}

TEST(RoundOps, StartCheckinFinishThroughSyncPushAreIdempotent) {
  auto admin = client_for("13900000007");
  auto seeded = json::parse(admin.get("/api/v1/schedules").body).at("items").at(0);
  // Every day at the minute two minutes from now (China time): the start
  // window (an hour before the planned start) is open.
  std::int64_t target = now_ms() + 2 * 60'000;
  auto day = *domain::utc_to_local_date(target, "Asia/Shanghai");
  int minute = static_cast<int>(((target / 60000) + 8 * 60) % (24 * 60));
  json::object s{{"team_id", seeded.at("team_id")},
                 {"name", "每日"},
                 {"weekdays", json::array{1, 2, 3, 4, 5, 6, 7}},
                 {"start_time", domain::format_hhmm(minute)},
                 {"duration_min", 60},
                 {"starts_on", domain::format_date(domain::add_days(day, -1))},
                 {"route", seeded.at("route")}};
  auto created = admin.post_json("/api/v1/schedules", json::serialize(s));
  ASSERT_EQ(created.status, 201u) << created.body;
  std::string sid = str(json::parse(created.body).at("id"));
  auto rounds = json::parse(admin.get("/api/v1/rounds?limit=1000").body);
  std::string rid, tomorrow;
  for (const auto& r : rounds.at("items").as_array()) {
    if (str(r.at("schedule_id")) != sid) continue;
    auto t = ms_of(r.at("starts_at"));
    if (t > now_ms() && t <= target + 60'000) rid = str(r.at("id"));
    if (t > target + 20 * 3600'000LL && tomorrow.empty()) tomorrow = str(r.at("id"));
  }
  ASSERT_FALSE(rid.empty()) << rounds;
  ASSERT_FALSE(tomorrow.empty());
  std::string site = str(seeded.at("route").at(0));

  auto phone = client_for("13900000002");
  // Device times in the past (a device time ahead of the server is clamped).
  std::int64_t t0 = now_ms() - 30'000;
  auto start = op("round.start", {{"round_id", rid}}, t0);
  auto res = push_ops(
      phone,
      json::array{start, op("round.checkin", {{"round_id", rid}, {"site_id", site}}, t0 + 1000),
                  op("round.start", {{"round_id", tomorrow}}, t0)});
  EXPECT_EQ(str(res.at(0).at("status")), "applied") << res;
  EXPECT_EQ(str(res.at(1).at("status")), "applied") << res;
  EXPECT_EQ(str(res.at(2).at("status")), "rejected") << res;
  EXPECT_EQ(str(res.at(2).at("error").at("code")), "too_early") << res;
  auto r = json::parse(phone.get("/api/v1/rounds/" + rid).body);
  EXPECT_EQ(str(r.at("state")), "in_progress") << r;
  EXPECT_EQ(r.at("progress").at("sites_visited").as_int64(), 1) << r;
  EXPECT_EQ(str(r.at("visited_site_ids").at(0)), site);

  // The same op again is a duplicate; a second phone's start is a no-op.
  res = push_ops(phone, json::array{start, op("round.start", {{"round_id", rid}}, t0 + 5000),
                                    op("round.finish", {{"round_id", rid}}, t0 + 10'000)});
  EXPECT_EQ(str(res.at(0).at("status")), "duplicate") << res;
  EXPECT_EQ(str(res.at(1).at("status")), "applied") << res;
  EXPECT_EQ(str(res.at(2).at("status")), "applied") << res;
  r = json::parse(phone.get("/api/v1/rounds/" + rid).body);
  EXPECT_EQ(str(r.at("state")), "completed") << r;
  EXPECT_EQ(ms_of(r.at("started_at")), t0) << "the earliest start is kept";
  EXPECT_EQ(r.at("duration_s").as_int64(), 10) << r;
  // Finishing a round that never started is refused, naming the state.
  res = push_ops(phone, json::array{op("round.finish", {{"round_id", tomorrow}}, t0)});
  EXPECT_EQ(str(res.at(0).at("error").at("code")), "invalid_transition") << res;
  // Another village cannot touch it.
  auto other = client_for("13900000003");
  res = push_ops(other, json::array{op("round.start", {{"round_id", rid}}, t0)});
  EXPECT_EQ(str(res.at(0).at("error").at("code")), "not_found") << res;
}

TEST(HazardOps, TransitionOpFollowsTheRoleTable) {
  auto phone = client_for("13900000002");
  auto site =
      json::parse(phone.get("/api/v1/sites?category=eatery&limit=1").body).at("items").at(0);
  json::object body{
      {"id", wire::make_uuid_v7()},
      {"site_id", site.at("id")},
      {"template_id", site.at("template_id")},
      {"template_version", 1},
      {"observed_at", wire::format_rfc3339(wire::now_millis())},
      {"items", json::array{json::object{{"code", "corridor_clutter"}, {"result", "hazard"}}}},
      {"note", ""}};
  auto res = push_ops(
      phone, json::array{json::object{
                 {"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", body}}});
  ASSERT_EQ(str(res.at(0).at("status")), "applied") << res;
  auto hz = json::parse(phone.get("/api/v1/hazards?state=open&site_id=" + str(site.at("id"))).body);
  std::string hid = str(hz.at("items").at(0).at("id"));
  std::int64_t t = now_ms();
  // The assignee must be a user of the caller's area (issue 9: the op
  // assigned any id): the volunteer themselves.
  const std::string me = str(json::parse(phone.get("/api/v1/me").body).at("id"));
  // A volunteer may not assign (the op is rejected with the 403's code).
  res = push_ops(phone,
                 json::array{op("hazard.transition",
                                {{"hazard_id", hid}, {"to", "assigned"}, {"assignee_id", me}}, t)});
  EXPECT_EQ(str(res.at(0).at("error").at("code")), "forbidden") << res;
  auto leader = client_for("13900000001");
  res = push_ops(leader,
                 json::array{op("hazard.transition",
                                {{"hazard_id", hid}, {"to", "assigned"}, {"assignee_id", me}}, t)});
  EXPECT_EQ(str(res.at(0).at("status")), "applied") << res;
  // Rectified, then the volunteer verifies at the next round (offline, later pushed).
  res = push_ops(
      phone,
      json::array{op("hazard.transition", {{"hazard_id", hid}, {"to", "rectified"}}, t + 1000),
                  op("hazard.transition",
                     {{"hazard_id", hid}, {"to", "verified"}, {"note", "已整改"}}, t + 2000),
                  op("hazard.transition", {{"hazard_id", hid}, {"to", "open"}}, t + 3000)});
  EXPECT_EQ(str(res.at(0).at("status")), "applied") << res;
  EXPECT_EQ(str(res.at(1).at("status")), "applied") << res;
  EXPECT_EQ(str(res.at(2).at("error").at("code")), "invalid_transition") << res;
  auto h = json::parse(phone.get("/api/v1/hazards/" + hid).body);
  EXPECT_EQ(str(h.at("state")), "verified");
  ASSERT_EQ(h.at("history").as_array().size(), 3u) << h;
  EXPECT_EQ(str(h.at("history").at(2).at("note")), "已整改");
}
