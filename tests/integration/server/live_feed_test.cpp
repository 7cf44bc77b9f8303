// The live feed (server/src/live) on a real patrold over TLS: snapshot then
// events, events made from committed rows (also rows no request made), scope
// refusal, `since` from the ring and its reset, logout and expiry close.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/local_time.hpp"
#include "live/publisher.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/store.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/wss_client.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::HttpsClient;
using test::TestServer;
using test::WssClient;

namespace {

struct Login {
  std::string token, user_id, org_unit_id, org_path;
};

Login login(std::uint16_t port, const std::string& phone) {
  HttpsClient c(port);
  auto r = c.post_json("/api/v1/auth/login",
                       R"({"phone":")" + phone + R"(","password":"patrol-demo","device_id":"t"})");
  EXPECT_EQ(r.status, 200u) << r.body;
  auto v = json::parse(r.body);
  Login l;
  l.token = std::string(v.at("token").as_string());
  l.user_id = std::string(v.at("user").at("id").as_string());
  l.org_unit_id = std::string(v.at("user").at("org_unit_id").as_string());
  return l;
}

json::object position_op(double lat, double lon, std::string t = "") {
  if (t.empty()) t = wire::format_rfc3339(wire::now_millis());
  return {
      {"op_id", wire::make_uuid_v7()},
      {"type", "position.append"},
      {"body",
       json::object{{"points", json::array{json::object{{"t", t}, {"lat", lat}, {"lon", lon}}}}}}};
}

void push(std::uint16_t port, const std::string& token, json::array ops) {
  HttpsClient c(port);
  c.set_bearer(token);
  auto r = c.post_json("/api/v1/sync/push",
                       json::serialize(json::object{{"device_id", "t"}, {"ops", std::move(ops)}}));
  ASSERT_EQ(r.status, 200u) << r.body;
}

// Reads until a message satisfying `pred` (or nullopt on close/timeout).
std::optional<json::object> read_until(WssClient& ws, auto pred, unsigned timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = ws.read(timeout_ms);
    if (!m) return std::nullopt;
    auto v = json::parse(*m).as_object();
    if (pred(v)) return v;
  }
  return std::nullopt;
}

bool is(const json::object& m, std::string_view type, std::string_view kind = {}) {
  if (m.at("type").as_string() != type) return false;
  return kind.empty() || m.at("kind").as_string() == kind;
}

std::unique_ptr<WssClient> open_live(std::uint16_t port, const Login& l) {
  auto ws = std::make_unique<WssClient>(
      port, "/api/v1/live",
      std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + l.token}});
  EXPECT_TRUE(ws->accepted());
  auto hello = read_until(*ws, [](auto& m) { return is(m, "hello"); });
  EXPECT_TRUE(hello);
  return ws;
}

void subscribe(WssClient& ws, const std::string& org, std::optional<std::int64_t> since = {}) {
  json::object o{{"type", "subscribe"}, {"org_unit_id", org}};
  if (since) o["since"] = *since;
  ws.write(json::serialize(o));
}

// Resumes with `since` on a new socket: expects "subscribed" (the ring covers
// it), then the missed events in seq order up to the volunteer's latest
// position, whose latitude must be `lat`. `last` is the last seq read, 0 when
// it failed (reported).
struct Resumed {
  std::unique_ptr<WssClient> ws;
  std::int64_t last = 0;
};
Resumed resume_until_position(std::uint16_t port, const Login& l, std::int64_t since, double lat) {
  Resumed r{open_live(port, l), since};
  subscribe(*r.ws, l.org_unit_id, since);
  auto ack = read_until(*r.ws, [](auto& m) { return is(m, "subscribed") || is(m, "snapshot"); });
  if (!ack || !is(*ack, "subscribed")) {
    ADD_FAILURE() << "since " << since << " was not resumed";
    return {std::move(r.ws), 0};
  }
  for (;;) {
    auto ev = read_until(
        *r.ws, [](auto& m) { return is(m, "event"); }, 3000);
    if (!ev) {
      ADD_FAILURE() << "missed events not replayed";
      return {std::move(r.ws), 0};
    }
    EXPECT_GT(ev->at("seq").as_int64(), r.last);
    r.last = ev->at("seq").as_int64();
    if (is(*ev, "event", "position")) {
      EXPECT_DOUBLE_EQ(ev->at("data").at("lat").as_double(), lat);
      return r;
    }
  }
}

}  // namespace

TEST(LiveFeed, SnapshotThenEventsOfCommittedRows) {
  TestServer s;
  auto leader = login(s.port(), "13900000001");
  auto volunteer = login(s.port(), "13900000002");
  auto ws = open_live(s.port(), leader);
  subscribe(*ws, leader.org_unit_id);
  auto snap = read_until(*ws, [](auto& m) { return is(m, "snapshot"); });
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->at("org_unit_id").as_string(), leader.org_unit_id);
  EXPECT_FALSE(snap->at("sites").as_array().empty());
  for (const auto& site : snap->at("sites").as_array())
    EXPECT_TRUE(site.as_object().contains("open_hazards"));

  push(s.port(), volunteer.token, json::array{position_op(28.8571, 121.1432)});
  auto ev = read_until(*ws, [](auto& m) { return is(m, "event", "position"); });
  ASSERT_TRUE(ev);
  EXPECT_GT(ev->at("seq").as_int64(), snap->at("seq").as_int64());
  EXPECT_EQ(ev->at("data").at("user_id").as_string(), volunteer.user_id);

  // A row committed without any request (straight through the store) is an
  // event too: the feed is made from what was committed.
  store::PositionsWrite w;
  auto auth = s.api().authenticate("Bearer " + volunteer.token);
  ASSERT_TRUE(auth.ok());
  const auto* who = &auth.who;
  w.user_id = who->user_id;
  w.device_id = "direct";
  w.org_unit_id = std::stoll(who->org_unit_id);
  w.org_path = who->org_path;
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  w.points.push_back(store::TrackPoint{0, w.user_id, now_ms + 5, 28.8599, 121.1499, 3.0});
  std::vector<store::PreparedOp> ops;
  ops.push_back(store::PreparedOp{wire::make_uuid_v7(), w.user_id, "direct", "position.append", w});
  ASSERT_TRUE(s.api().store().apply_ops(std::move(ops)));
  auto direct = read_until(*ws, [](auto& m) {
    return is(m, "event", "position") && m.at("data").at("lat").as_double() == 28.8599;
  });
  ASSERT_TRUE(direct);
  EXPECT_GT(direct->at("seq").as_int64(), ev->at("seq").as_int64());
}

TEST(LiveFeed, OutsideTheSubtreeIsForbidden) {
  TestServer s;
  auto other = login(s.port(), "13900000003");   // 东溪单村
  auto leader = login(s.port(), "13900000001");  // 大田刘村
  auto ws = open_live(s.port(), other);
  for (std::string org : {leader.org_unit_id, std::string("1"), std::string("999999")}) {
    subscribe(*ws, org);
    auto err = read_until(*ws, [](auto& m) { return is(m, "error"); });
    ASSERT_TRUE(err) << org;
    EXPECT_EQ(err->at("error").at("code").as_string(), "forbidden") << org;
    EXPECT_EQ(err->at("error").at("field").as_string(), "org_unit_id");
  }
  ws->write(R"({"type":"subscribe","org_unit_id":"x1"})");
  auto bad = read_until(*ws, [](auto& m) { return is(m, "error"); });
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->at("error").at("code").as_string(), "invalid_format");
  // Nothing of 大田刘村 arrives afterwards.
  push(s.port(), leader.token, json::array{position_op(28.85, 121.14)});
  EXPECT_FALSE(read_until(
      *ws, [](auto&) { return true; }, 700));
}

TEST(LiveFeed, SinceReplaysTheRingOrResetsWhenTooOld) {
  test::TestServerOptions o;
  o.live_options.ring_events = 16;
  // Each commit read as it happens even while nobody watches (by default the
  // 20 commits below would be read in one go, one volunteer's positions
  // reduced to one marker: no overflow to test).
  o.live_options.idle_tail_interval = 0ms;
  TestServer s(o);
  auto leader = login(s.port(), "13900000001");
  auto volunteer = login(s.port(), "13900000002");
  std::int64_t last = 0;
  {
    auto ws = open_live(s.port(), leader);
    subscribe(*ws, leader.org_unit_id);
    ASSERT_TRUE(read_until(*ws, [](auto& m) { return is(m, "snapshot"); }));
    push(s.port(), volunteer.token, json::array{position_op(28.80, 121.10)});
    auto ev = read_until(*ws, [](auto& m) { return is(m, "event", "position"); });
    ASSERT_TRUE(ev);
    last = ev->at("seq").as_int64();
  }
  // Three positions missed, one commit each (each is its own event).
  for (int i = 1; i <= 3; ++i)
    push(s.port(), volunteer.token, json::array{position_op(28.80 + i * 0.001, 121.10)});
  std::this_thread::sleep_for(300ms);
  {
    // The missed events follow in order; one volunteer's positions are
    // coalesced to the latest marker (as in any queue of this feed).
    auto r = resume_until_position(s.port(), leader, last, 28.803);
    ASSERT_NE(r.last, 0);
    last = r.last;
  }
  // More than the ring holds (16) happen while away: a snapshot with reset.
  for (int i = 0; i < 20; ++i)
    push(s.port(), volunteer.token, json::array{position_op(28.9, 121.1 + i * 0.001)});
  std::this_thread::sleep_for(300ms);
  auto ws = open_live(s.port(), leader);
  subscribe(*ws, leader.org_unit_id, last);
  auto snap = read_until(*ws, [](auto& m) { return is(m, "snapshot") || is(m, "subscribed"); });
  ASSERT_TRUE(snap);
  ASSERT_TRUE(is(*snap, "snapshot"));
  EXPECT_TRUE(snap->at("reset").as_bool());
}

// Nobody subscribed: the publisher reads the committed rows only every
// idle_tail_interval (here: never by the clock), and a subscribe request
// first reads what it deferred, so `since` still gets exactly what was missed.
TEST(LiveFeed, UnwatchedCommitsAreReadWhenSomeoneSubscribesWithoutAGap) {
  test::TestServerOptions o;
  o.live_options.idle_tail_interval = std::chrono::hours(1);
  TestServer s(o);
  auto leader = login(s.port(), "13900000001");
  auto volunteer = login(s.port(), "13900000002");
  std::int64_t last = 0;
  {
    auto ws = open_live(s.port(), leader);
    subscribe(*ws, leader.org_unit_id);
    ASSERT_TRUE(read_until(*ws, [](auto& m) { return is(m, "snapshot"); }));
    push(s.port(), volunteer.token, json::array{position_op(28.80, 121.10)});
    // The push also brings the volunteer online: that presence event comes
    // from the sync itself (not from a tail), so it is awaited here, or it
    // could be published after the count below is taken.
    bool position = false, online = false;
    while (!position || !online) {
      auto ev = read_until(
          *ws, [](auto& m) { return is(m, "event", "position") || is(m, "event", "presence"); });
      ASSERT_TRUE(ev) << "position " << position << ", presence " << online;
      last = std::max(last, ev->at("seq").as_int64());
      (is(*ev, "event", "position") ? position : online) = true;
    }
  }
  auto* pub = s.publisher();
  ASSERT_NE(pub, nullptr);
  for (int i = 0; i < 250 && pub->stats().subscribed > 0; ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(pub->stats().subscribed, 0u);
  const auto events = pub->stats().events;
  for (int i = 1; i <= 3; ++i)
    push(s.port(), volunteer.token, json::array{position_op(28.80 + i * 0.001, 121.10)});
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(pub->stats().events, events) << "read while nobody watched";
  auto r = resume_until_position(s.port(), leader, last, 28.803);
  ASSERT_NE(r.last, 0);
  auto& ws = r.ws;
  const std::int64_t prev = r.last;
  // Watched again: a commit is published at once, not after the interval.
  push(s.port(), volunteer.token, json::array{position_op(28.81, 121.10)});
  auto ev = read_until(
      *ws, [](auto& m) { return is(m, "event", "position"); }, 5000);
  ASSERT_TRUE(ev);
  EXPECT_GT(ev->at("seq").as_int64(), prev);
  EXPECT_DOUBLE_EQ(ev->at("data").at("lat").as_double(), 28.81);
}

// The bytes a viewer receives for an inspection are what the feed sent
// before its tail kept the items text unparsed: the envelope around
// boost::json::serialize(to_json(Inspection)) of the row as the store reads
// it, for text with Chinese, quotes, backslashes, control characters and a
// 4-byte character; with empty items, items with and without notes and
// photos. Both ways an event's text is made: replayed after a commit nobody
// watched (`since`), and published while watched.
TEST(LiveFeed, InspectionEventsAreTheSerialisedRowByteForByte) {
  TestServer s;
  auto leader = login(s.port(), "13900000001");
  auto volunteer = login(s.port(), "13900000002");
  auto auth = s.api().authenticate("Bearer " + volunteer.token);
  ASSERT_TRUE(auth.ok());
  store::SiteFilter sf;
  sf.scope_path = auth.who.org_path;
  auto sites = s.api().store().sites(sf);
  ASSERT_TRUE(sites && !sites->items.empty());
  const auto& site = sites->items.front();
  const std::string tricky = "电线私拉乱接 \"充电\" \\ 路径\n第二行\t\x01\x1f\x7f 😀 </script>";
  auto commit = [&](const std::string& note, std::vector<store::InspectionItem> items) {
    store::InspectionWrite w;
    auto& i = w.inspection;
    i.id = wire::make_uuid_v7();
    i.site_id = site.id;
    i.org_unit_id = site.org_unit_id;
    i.org_path = site.org_path;
    i.user_id = auth.who.user_id;
    i.device_id = "direct";
    i.template_id = site.template_id;
    i.template_version = 1;
    i.observed_at = "2026-11-28T19:05:00.5+08:00";
    i.observed_ms = wire::now_millis().time_since_epoch().count();
    i.position = store::GeoPoint{28.851234, 121.14, std::nullopt};
    i.note = note;
    i.items = std::move(items);
    std::vector<store::PreparedOp> ops;
    ops.push_back(
        store::PreparedOp{wire::make_uuid_v7(), i.user_id, "direct", "inspection.create", w});
    auto r = s.api().store().apply_ops(std::move(ops));
    EXPECT_TRUE(r && r->at(0).status == wire::OpStatus::applied);
    return i.id;
  };
  // The raw text of the next inspection event; checks it against the row.
  auto expect_row_text = [&](WssClient& ws, const std::string& id) {
    for (;;) {
      auto m = ws.read(10000);
      ASSERT_TRUE(m) << "no event for " << id;
      if (m->find(R"("kind":"inspection")") == std::string::npos) continue;
      const auto seq = json::parse(*m).at("seq").as_int64();
      store::InspectionFilter f;
      f.scope_path = site.org_path;
      f.limit = 1000;
      auto page = s.api().store().inspections(f);
      ASSERT_TRUE(page);
      for (const auto& i : page->items)
        if (i.id == id) {
          EXPECT_EQ(*m, R"({"type":"event","seq":)" + std::to_string(seq) +
                            R"(,"kind":"inspection","data":)" + json::serialize(store::to_json(i)) +
                            "}");
          return;
        }
      FAIL() << "inspection " << id << " not read back";
    }
  };
  std::int64_t since = 0;
  {
    auto ws = open_live(s.port(), leader);
    subscribe(*ws, leader.org_unit_id);
    auto snap = read_until(*ws, [](auto& m) { return is(m, "snapshot"); });
    ASSERT_TRUE(snap);
    since = snap->at("seq").as_int64();
  }
  auto* pub = s.publisher();
  ASSERT_NE(pub, nullptr);
  for (int i = 0; i < 250 && pub->stats().subscribed > 0; ++i) std::this_thread::sleep_for(20ms);
  const std::string sha(64, 'c');
  // Nobody watches: its text is made when the ring replays it.
  const auto unwatched = commit(tricky, {{"corridor_clutter", "ok", "", {}},
                                         {"flying_wire_charging", "not_applicable", tricky, {}},
                                         {"fire_exit_blocked", "ok", "", {sha, sha}}});
  auto ws = open_live(s.port(), leader);
  subscribe(*ws, leader.org_unit_id, since);
  ASSERT_TRUE(read_until(*ws, [](auto& m) { return is(m, "subscribed"); }));
  expect_row_text(*ws, unwatched);
  // Watched: made as it is published.
  expect_row_text(*ws, commit("楼道堆物，已劝离。", {}));
  expect_row_text(*ws, commit("", {{"extinguisher_missing", "ok", "备注 \"x\"", {sha}}}));
}

TEST(LiveFeed, LogoutClosesTheSocket) {
  TestServer s;
  auto leader = login(s.port(), "13900000001");
  auto ws = open_live(s.port(), leader);
  subscribe(*ws, leader.org_unit_id);
  ASSERT_TRUE(read_until(*ws, [](auto& m) { return is(m, "snapshot"); }));
  HttpsClient c(s.port());
  c.set_bearer(leader.token);
  EXPECT_EQ(c.request("POST", "/api/v1/auth/logout").status, 204u);
  EXPECT_FALSE(read_until(
      *ws, [](auto&) { return false; }, 5000));
  EXPECT_EQ(ws->close_code(), 4001u);
}

// The snapshot's rounds are the REST routes' Round (state and progress), read
// through the same row mapping: tonight's round shows its check-in.
TEST(LiveFeed, SnapshotRoundsCarryStateAndProgress) {
  TestServer s;
  auto admin = login(s.port(), "13900000007");
  HttpsClient a(s.port());
  a.set_bearer(admin.token);
  auto seeded = json::parse(a.get("/api/v1/schedules").body).at("items").at(0);
  // A daily schedule starting two minutes from now (China time): its start window is open.
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::int64_t target = now + 2 * 60'000;
  int minute = static_cast<int>(((target / 60000) + 8 * 60) % (24 * 60));
  json::object sch{{"team_id", seeded.at("team_id")},
                   {"name", "每日"},
                   {"weekdays", json::array{1, 2, 3, 4, 5, 6, 7}},
                   {"start_time", domain::format_hhmm(minute)},
                   {"duration_min", 60},
                   {"starts_on", "2020-01-01"},
                   {"route", seeded.at("route")}};
  auto created = a.post_json("/api/v1/schedules", json::serialize(sch));
  ASSERT_EQ(created.status, 201u) << created.body;
  std::string sid(json::parse(created.body).at("id").as_string());
  std::string rid;
  auto listed = json::parse(a.get("/api/v1/rounds?limit=1000").body);
  for (const auto& r : listed.at("items").as_array()) {
    auto t = wire::parse_rfc3339(std::string(r.at("starts_at").as_string()));
    auto ms = t ? t->instant.time_since_epoch().count() : 0;
    if (r.at("schedule_id").as_string() == sid && ms > now && ms <= target + 60'000)
      rid = std::string(r.at("id").as_string());
  }
  ASSERT_FALSE(rid.empty());
  std::string site(seeded.at("route").at(0).as_string());

  auto volunteer = login(s.port(), "13900000002");
  auto t0 = wire::format_rfc3339(wire::Millis(std::chrono::milliseconds(now - 1000)));
  push(s.port(), volunteer.token,
       json::array{json::object{{"op_id", wire::make_uuid_v7()},
                                {"type", "round.checkin"},
                                {"device_time", t0},
                                {"body", json::object{{"round_id", rid}, {"site_id", site}}}}});

  auto leader = login(s.port(), "13900000001");
  auto ws = open_live(s.port(), leader);
  subscribe(*ws, leader.org_unit_id);
  auto snap = read_until(*ws, [](auto& m) { return is(m, "snapshot"); });
  ASSERT_TRUE(snap);
  const json::object* round = nullptr;
  for (const auto& r : snap->at("rounds").as_array())
    if (r.at("id").as_string() == rid) round = &r.as_object();
  ASSERT_TRUE(round) << json::serialize(snap->at("rounds"));
  EXPECT_EQ(round->at("state").as_string(), "in_progress") << json::serialize(*round);
  EXPECT_EQ(round->at("progress").at("sites_visited").as_int64(), 1) << json::serialize(*round);
  EXPECT_EQ(round->at("progress").at("sites_planned").as_int64(),
            static_cast<std::int64_t>(seeded.at("route").as_array().size()));
  EXPECT_EQ(round->at("route").as_array().size(), seeded.at("route").as_array().size());
  EXPECT_FALSE(round->at("started_at").is_null());
}

// Issue 6: an SOS acknowledged by one leader (POST /api/v1/sos/{id}/ack)
// reaches another leader's socket as a `sos` event with the alert as stored,
// so every banner clears; volunteers may not acknowledge, other villages see
// no such alert, and a second acknowledgement keeps the first.
TEST(LiveFeed, SosAcknowledgedByOneLeaderReachesAnother) {
  TestServer s;
  auto leader = login(s.port(), "13900000001");  // team_leader, 大田刘村
  auto admin = login(s.port(), "13900000007");   // village_admin, 大田刘村
  auto volunteer = login(s.port(), "13900000002");
  auto outsider = login(s.port(), "13900000003");  // volunteer, 东溪单村
  auto ws = open_live(s.port(), admin);
  subscribe(*ws, admin.org_unit_id);
  ASSERT_TRUE(read_until(*ws, [](auto& m) { return is(m, "snapshot"); }));

  const std::string id = wire::make_uuid_v7();
  push(s.port(), volunteer.token,
       json::array{json::object{
           {"op_id", wire::make_uuid_v7()},
           {"type", "sos.raise"},
           {"body", json::object{{"id", id},
                                 {"raised_at", wire::format_rfc3339(wire::now_millis())},
                                 {"note", "ankle"}}}}});
  auto raised = read_until(*ws, [&](auto& m) {
    return is(m, "event", "sos") && m.at("data").at("id").as_string() == id;
  });
  ASSERT_TRUE(raised);
  EXPECT_EQ(raised->at("data").at("state").as_string(), "open");
  EXPECT_TRUE(raised->at("data").at("acknowledged_by").is_null());

  const std::string path = "/api/v1/sos/" + id + "/ack";
  {
    HttpsClient c(s.port());
    c.set_bearer(volunteer.token);
    EXPECT_EQ(c.post_json(path, "{}").status, 403u) << "a volunteer does not acknowledge";
    c.set_bearer(outsider.token);
    EXPECT_EQ(c.post_json(path, "{}").status, 403u);
    HttpsClient l(s.port());
    l.set_bearer(leader.token);
    EXPECT_EQ(l.post_json("/api/v1/sos/" + wire::make_uuid_v7() + "/ack", "{}").status, 404u);
  }
  HttpsClient c(s.port());
  c.set_bearer(leader.token);
  auto r = c.post_json(path, "");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto stored = json::parse(r.body).as_object();
  EXPECT_EQ(stored.at("state").as_string(), "acknowledged");
  EXPECT_EQ(stored.at("acknowledged_by").as_string(), leader.user_id);
  EXPECT_TRUE(stored.at("acknowledged_at").is_string());

  auto acked = read_until(*ws, [&](auto& m) {
    return is(m, "event", "sos") && m.at("data").at("id").as_string() == id;
  });
  ASSERT_TRUE(acked) << "the other leader's socket hears of the acknowledgement";
  EXPECT_EQ(acked->at("data").at("state").as_string(), "acknowledged");
  EXPECT_EQ(acked->at("data").at("acknowledged_by").as_string(), leader.user_id);

  // The village admin acknowledging again keeps the first acknowledgement.
  HttpsClient a(s.port());
  a.set_bearer(admin.token);
  auto again = a.post_json(path, "{}");
  ASSERT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(json::parse(again.body).at("acknowledged_by").as_string(), leader.user_id);
  // And the list says so too.
  auto list = json::parse(a.get("/api/v1/alerts").body);
  bool found = false;
  for (const auto& al : list.at("items").as_array()) {
    if (al.at("id").as_string() != id) continue;
    found = true;
    EXPECT_EQ(al.at("state").as_string(), "acknowledged");
  }
  EXPECT_TRUE(found);
}
