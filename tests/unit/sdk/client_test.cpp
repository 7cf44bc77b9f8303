// patrol::Client without a server: durable writes, lanes, validation, the
// cached reference-data queries and the persisted flags.
#include "patrol/client.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "device_db.hpp"
#include "gpx.hpp"
#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Dir {
  fs::path p = fs::temp_directory_path() / ("patrol-client-" + wire::make_uuid_v7());
  ~Dir() {
    std::error_code ec;
    fs::remove_all(p, ec);
  }
};

std::unique_ptr<Client> open(const Dir& d) {
  ClientOptions o;
  o.data_dir = d.p.string();
  o.background_sync = false;  // no server here
  auto c = Client::open(std::move(o));
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? std::move(*c) : nullptr;
}

InspectionDraft draft() {
  InspectionDraft d;
  d.site_id = "s1";
  d.template_id = "tpl";
  d.template_version = 1;
  d.items.push_back({"corridor_clutter", ItemResult::ok, "", {}});
  return d;
}

// The outbox in send order, as the engine will read it.
std::vector<std::string> send_order(const Dir& d) {
  auto db = sdk::DeviceDb::open((d.p / "device.db").string());
  EXPECT_TRUE(db);
  std::vector<std::string> types;
  auto ops = db->outbox(1000);
  EXPECT_TRUE(ops);
  for (const auto& op : *ops) types.push_back(op.type);
  return types;
}

TEST(Client, NewDeviceStartsOnlineAndFlagsPersist) {
  Dir d;
  std::string device;
  {
    auto c = open(d);
    auto s = c->status();
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->online);
    EXPECT_FALSE(s->logged_in);
    EXPECT_EQ(s->device_id.size(), 36u);
    device = s->device_id;
    ASSERT_TRUE(c->set_online(false));
    ASSERT_TRUE(c->enqueue_inspection(draft()));
  }
  auto c = open(d);
  auto s = c->status();
  EXPECT_FALSE(s->online);
  EXPECT_EQ(s->pending, 1);
  EXPECT_EQ(s->device_id, device);  // the device id never changes
  auto r = c->sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::offline);
}

TEST(Client, SosAndTheNewestPositionJumpTheBacklog) {
  Dir d;
  auto c = open(d);
  const auto t = std::chrono::system_clock::now() - 1h;
  ASSERT_TRUE(c->enqueue_inspection(draft()));
  // An hour of track: 2500 points -> 3 backlog ops + the newest point, urgent.
  std::vector<TrackPoint> pts;
  for (int i = 0; i < 2500; ++i) pts.push_back({t + std::chrono::seconds(i), 28.8, 121.1, 5.0});
  auto n = c->enqueue_positions(pts);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4);
  ASSERT_TRUE(c->enqueue_inspection(draft()));
  ASSERT_TRUE(c->raise_sos(GeoPoint{28.8, 121.1, 5.0, "wgs84"}, "help"));
  ASSERT_TRUE(c->enqueue_positions({{t + 3000s, 28.9, 121.2, 4.0}}));
  // SOS, then the newest position; the old newest point waits in the backlog.
  EXPECT_EQ(send_order(d),
            (std::vector<std::string>{"sos.raise", "position.append", "inspection.create",
                                      "position.append", "position.append", "position.append",
                                      "position.append", "inspection.create"}));
  EXPECT_EQ(c->status()->pending, 8);
}

TEST(Client, RefusesReportsTheServerCouldNeverAccept) {
  Dir d;
  auto c = open(d);
  auto no_items = draft();
  no_items.items.clear();
  EXPECT_EQ(c->enqueue_inspection(no_items).error().code, ErrorCode::invalid_argument);
  auto bad_pos = draft();
  bad_pos.position = GeoPoint{123.0, 0.0, std::nullopt, "wgs84"};
  auto r = c->enqueue_inspection(bad_pos);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message.find("position"), std::string::npos) << r.error().message;
  auto dup = draft();
  dup.items.push_back(dup.items[0]);  // codes must be unique
  EXPECT_EQ(c->enqueue_inspection(dup).error().code, ErrorCode::invalid_argument);
  auto uncached = draft();
  uncached.template_id.reset();
  EXPECT_EQ(c->enqueue_inspection(uncached).error().code, ErrorCode::not_found);
  EXPECT_EQ(c->enqueue_positions({{std::chrono::system_clock::now(), 91, 0, {}}}).error().code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(c->status()->pending, 0);
  EXPECT_EQ(c->attach_photo((d.p / "missing.jpg").string()).error().code,
            ErrorCode::invalid_argument);
}

TEST(Client, ReceiptSaysSavedUntilTheServerAnswers) {
  Dir d;
  auto c = open(d);
  auto r = c->enqueue_inspection(draft());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ReceiptState::saved);
  EXPECT_EQ(r->kind, "inspection");
  EXPECT_FALSE(r->saved_at.empty());
  auto again = c->receipt(r->report_id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->op_id, r->op_id);
  EXPECT_EQ(c->receipt("nope").error().code, ErrorCode::not_found);
  EXPECT_EQ(c->receipts()->size(), 1u);
}

// The op text enqueue writes (its envelope written by hand around the
// serialised body) is exactly what the wire library writes for that op, and
// the report's observed time, the op's device time and the receipt's saved
// time are one and the same stamp.
TEST(Client, OpJsonIsTheWireLibrarysTextForTheSameOp) {
  Dir d;
  auto c = open(d);
  auto sos = c->raise_sos(GeoPoint{28.86, 121.15, 5.0, "wgs84"}, "引号\"和\\反斜杠");
  ASSERT_TRUE(sos);
  auto r = c->enqueue_inspection(draft());
  ASSERT_TRUE(r);
  auto db = sdk::DeviceDb::open((d.p / "device.db").string());
  auto ops = db->outbox(10);
  ASSERT_EQ(ops->size(), 2u);
  for (const auto& o : *ops) {
    auto v = boost::json::parse(o.op_json);
    auto op = wire::decode_op(v, "");
    ASSERT_TRUE(op) << o.op_json;
    EXPECT_EQ(boost::json::serialize(wire::to_json(*op)), o.op_json);
    EXPECT_EQ(op->op_id, o.op_id);
  }
  auto insp = boost::json::parse(ops->back().op_json).as_object();
  EXPECT_EQ(insp.at("device_time"), insp.at("body").at("observed_at"));
  EXPECT_EQ(insp.at("device_time").as_string(), r->saved_at);
  EXPECT_EQ(c->receipt(r->report_id)->saved_at, r->saved_at);
  auto s = boost::json::parse(ops->front().op_json).as_object();
  EXPECT_EQ(s.at("device_time"), s.at("body").at("raised_at"));
  EXPECT_EQ(s.at("device_time").as_string(), sos->saved_at);
}

TEST(Client, ReferenceQueriesReadTheCache) {
  Dir d;
  auto c = open(d);
  const auto now = wire::now_millis();
  const std::string start = wire::format_rfc3339(now + std::chrono::hours(2));
  const std::string end = wire::format_rfc3339(now + std::chrono::hours(4));
  {
    auto db = sdk::DeviceDb::open((d.p / "device.db").string());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->apply_changes(
        {{"site", "s1", false,
          R"({"id":"s1","name":"刘村便民超市","category":"shop","lat":28.85,"lon":121.14,"template_id":"tpl"})",
          1},
         {"site", "s2", false,
          R"({"id":"s2","name":"大田客栈","category":"inn","template_id":"tpl"})", 2},
         {"checklist_template", "tpl@1", false,
          R"({"id":"tpl","version":1,"items":[{"code":"a","label_zh":"甲","severity":"low"}]})", 3},
         {"checklist_template", "tpl@2", false,
          R"({"id":"tpl","version":2,"items":[{"code":"a"},{"code":"b","photo_required":true}]})",
          4},
         {"schedule", "sch", false, R"({"id":"sch","route":["s2","s1"]})", 5},
         {"round", "r-old", false,
          R"({"id":"r-old","schedule_id":"sch","date":"2020-01-01","state":"completed"})", 6},
         {"round", "r-tonight", false,
          R"({"id":"r-tonight","schedule_id":"sch","date":"x","state":"planned","starts_at":")" +
              start + R"(","ends_at":")" + end + R"("})",
          7}},
        7));
  }
  auto sites = c->sites();
  ASSERT_TRUE(sites);
  ASSERT_EQ(sites->size(), 2u);
  EXPECT_EQ(sites->front().name, "刘村便民超市");
  EXPECT_DOUBLE_EQ(sites->front().lat, 28.85);
  auto t = c->template_for_site("s1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->version, 2);  // the newest version
  ASSERT_EQ(t->items.size(), 2u);
  EXPECT_TRUE(t->items[1].photo_required);
  auto tonight = c->tonights_round();
  ASSERT_TRUE(tonight) << tonight.error().message;
  EXPECT_EQ(tonight->id, "r-tonight");
  EXPECT_EQ(tonight->site_ids, (std::vector<std::string>{"s2", "s1"}));  // the schedule's route
  auto rs = c->round_sites("r-tonight");
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->size(), 2u);
  EXPECT_EQ((*rs)[0].id, "s2");
  EXPECT_EQ(c->status()->cursor, 7);
  // Without a template id the draft takes the site's template, newest version.
  auto dr = draft();
  dr.template_id.reset();
  dr.template_version.reset();
  dr.items = {{"b", ItemResult::hazard, "", {}}};
  ASSERT_TRUE(c->enqueue_inspection(dr));
  auto db = sdk::DeviceDb::open((d.p / "device.db").string());
  const auto op = db->outbox(1)->front().op_json;
  EXPECT_NE(op.find(R"("template_version":2)"), std::string::npos) << op;
  // Enqueue keeps the site's template and its version between reports; a pull
  // through another connection (as the engine's) that moves the site to
  // another template, or brings a newer version, is seen by the next report.
  ASSERT_TRUE(c->enqueue_inspection(dr));
  ASSERT_TRUE(
      db->apply_changes({{"site", "s1", false, R"({"id":"s1","name":"x","template_id":"tpl2"})", 8},
                         {"checklist_template", "tpl2@5", false,
                          R"({"id":"tpl2","version":5,"items":[{"code":"b"}]})", 9}},
                        9));
  ASSERT_TRUE(c->enqueue_inspection(dr));
  ASSERT_TRUE(db->apply_changes({{"checklist_template", "tpl2@6", false,
                                  R"({"id":"tpl2","version":6,"items":[{"code":"b"}]})", 10}},
                                10));
  ASSERT_TRUE(c->enqueue_inspection(dr));
  auto ops = db->outbox(10);
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 4u);
  EXPECT_NE((*ops)[1].op_json.find(R"("template_id":"tpl","template_version":2)"),
            std::string::npos)
      << (*ops)[1].op_json;
  EXPECT_NE((*ops)[2].op_json.find(R"("template_id":"tpl2","template_version":5)"),
            std::string::npos)
      << (*ops)[2].op_json;
  EXPECT_NE((*ops)[3].op_json.find(R"("template_id":"tpl2","template_version":6)"),
            std::string::npos)
      << (*ops)[3].op_json;
}

TEST(Client, EventsAreQueuedForPollingAndSentToTheCallback) {
  Dir d;
  auto c = open(d);
  int called = 0;
  c->set_event_callback([&](const Event&) { ++called; });
  ASSERT_FALSE(c->sync());  // not logged in: started + failed
  std::vector<EventType> types;
  while (auto e = c->poll_event()) types.push_back(e->type);
  EXPECT_EQ(types, (std::vector<EventType>{EventType::sync_started, EventType::sync_failed}));
  EXPECT_EQ(called, 2);
}

TEST(Gpx, ReadsTrackPointsWithAndWithoutTimes) {
  auto pts = cli::parse_gpx(R"(<gpx><trk><trkseg>
    <trkpt lat="28.8571" lon="121.1432"><ele>5</ele><time>2026-11-28T11:05:00Z</time></trkpt>
    <trkpt lon='121.1433' lat='28.8572'><time>2026-11-28T19:05:10+08:00</time></trkpt>
    <gpx:trkpt lat="28.8573" lon="121.1434"/>
  </trkseg></trk></gpx>)");
  ASSERT_TRUE(pts) << pts.error().message;
  ASSERT_EQ(pts->size(), 3u);
  EXPECT_DOUBLE_EQ((*pts)[1].lat, 28.8572);
  EXPECT_DOUBLE_EQ((*pts)[1].lon, 121.1433);
  EXPECT_EQ((*pts)[1].t - (*pts)[0].t, 10s);
  EXPECT_FALSE(cli::parse_gpx("<gpx></gpx>"));
  EXPECT_FALSE(cli::parse_gpx(R"(<trkpt lat="99" lon="1"/>)"));
  EXPECT_FALSE(cli::parse_gpx(R"(<trkpt lat="1" lon="1"><time>yesterday</time></trkpt>)"));
}

}  // namespace
}  // namespace patrol
