// The sync engine's thread against app threads: enqueues, online/offline,
// sync_now, status, events and close, all at once, through the real Beast/TLS
// transport to a scripted HTTPS server on 127.0.0.1 (tests/integration/sdk/
// bad_server: push answers "applied", pull an empty page, a photo PUT 201). Built in
// every SDK preset, and the reason the sdk-tsan preset exists: ThreadSanitizer
// watches the engine, the client's locks and the callbacks here. The SDK
// against the real patrold is tests/integration/sdk.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bad_server.hpp"
#include "device_db.hpp"
#include "patrol/client.hpp"
#include "patrol/wire/uuid.hpp"
#include "wait_until.hpp"

namespace patrol {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Dir {
  fs::path p = fs::temp_directory_path() / ("patrol-engine-" + wire::make_uuid_v7());
  ~Dir() {
    std::error_code ec;
    fs::remove_all(p, ec);
  }
};

// A push/pull server that remembers every op id it was sent.
struct FakeServer {
  test::BadServer tls;
  std::mutex mu;
  std::multiset<std::string> pushed;  // every op id in every push, repeats included
  std::set<std::string> applied;

  FakeServer() {
    tls.set_handler([this](const test::RawRequest& r) -> std::string {
      if (r.target == "/api/v1/auth/login")
        return test::BadServer::response(
            200, R"({"token":"t0k","expires_at":"2099-01-01T00:00:00Z",)"
                 R"("user":{"id":"u1","name":"Vol","role":"volunteer","org_unit_id":"1"}})");
      if (r.target.rfind("/api/v1/sync/pull", 0) == 0)
        return test::BadServer::response(200, R"({"cursor":0,"has_more":false,"changes":[]})");
      if (r.target.rfind("/api/v1/attachments/", 0) == 0)  // nothing held; one PUT completes
        return r.method == "HEAD" ? test::BadServer::response(404, "")
                                  : test::BadServer::response(201, "{}");
      if (r.target != "/api/v1/sync/push") return test::BadServer::response(404, "{}");
      boost::system::error_code ec;
      auto v = boost::json::parse(r.body, ec);
      if (ec) return test::BadServer::response(400, R"({"error":{"code":"bad_json"}})");
      std::string results;
      std::lock_guard lk(mu);
      for (const auto& op : v.at("ops").as_array()) {
        const std::string id(op.at("op_id").as_string());
        pushed.insert(id);
        const bool fresh = applied.insert(id).second;
        results += std::string(results.empty() ? "" : ",") + R"({"op_id":")" + id +
                   R"(","status":")" + (fresh ? "applied" : "duplicate") + R"("})";
      }
      return test::BadServer::response(
          200, R"({"results":[)" + results + R"(],"server_time":"2026-11-28T12:00:00Z"})");
    });
  }
  std::size_t applied_count() {
    std::lock_guard lk(mu);
    return applied.size();
  }
};

std::unique_ptr<Client> open(const Dir& d, std::uint16_t port) {
  ClientOptions o;
  o.data_dir = d.p.string();
  o.server_url = "https://127.0.0.1:" + std::to_string(port);
  o.insecure = true;
  o.background_sync = true;
  o.backoff_initial = 20ms;
  o.backoff_max = 200ms;
  o.batch_max_ops = 16;  // many exchanges, so that app calls land in the middle of them
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

// Four app threads enqueue reports, tracks and SOS alerts while a fifth
// toggles online/offline and asks for syncs, a sixth reads status and events,
// and the engine sends. Every op reaches the server; none is lost.
TEST(SyncEngine, AppThreadsAndTheEngineShareTheClient) {
  std::signal(SIGPIPE, SIG_IGN);
  FakeServer srv;
  Dir d;
  auto c = open(d, srv.tls.port());
  ASSERT_TRUE(c);
  std::atomic<int> events{0};
  c->set_event_callback([&](const Event&) { ++events; });
  ASSERT_TRUE(c->login("13900000002", "pw"));

  constexpr int kThreads = 4, kEach = 30;
  std::atomic<std::int64_t> ops{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> app;
  for (int t = 0; t < kThreads; ++t)
    app.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (c->enqueue_inspection(draft())) ++ops;
        const auto now = std::chrono::system_clock::now();
        if (auto n =
                c->enqueue_positions({{now - 1s, 28.85, 121.14, 5.0}, {now, 28.86, 121.15, {}}}))
          ops += *n;
        if (i % 10 == t) {
          if (c->raise_sos(GeoPoint{28.86, 121.15, 4.0, "wgs84"}, "")) ++ops;
        }
      }
    });
  std::thread toggler([&] {
    for (int i = 0; !done; ++i) {
      (void)c->set_online(i % 3 != 0);
      if (i % 2 == 0) c->sync_now();
      std::this_thread::sleep_for(5ms);
    }
  });
  std::thread reader([&] {
    while (!done) {
      auto s = c->status();
      EXPECT_TRUE(s);
      (void)c->receipts(5);
      (void)c->dead_letters();
      while (c->poll_event()) {
      }
      std::this_thread::sleep_for(2ms);
    }
  });
  for (auto& t : app) t.join();
  done = true;
  toggler.join();
  reader.join();
  ASSERT_TRUE(c->set_online(true));
  ASSERT_TRUE(patrol::test::wait_until([&] { return c->status()->pending == 0; }, 60s))
      << c->status()->pending << " left: " << c->status()->last_error;
  EXPECT_EQ(static_cast<std::int64_t>(srv.applied_count()), ops.load());
  EXPECT_EQ(c->status()->dead_letters, 0);
  EXPECT_GT(events.load(), 0);
}

// Closing the client while the engine is in the middle of sending: the
// exchange is cancelled, the thread joined, and what was not acknowledged is
// still there for the next start.
TEST(SyncEngine, CloseWhileSendingKeepsWhatWasNotAcknowledged) {
  std::signal(SIGPIPE, SIG_IGN);
  FakeServer srv;
  Dir d;
  std::int64_t total = 0;
  {
    auto c = open(d, srv.tls.port());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->login("13900000002", "pw"));
    ASSERT_TRUE(c->set_online(false));
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(c->enqueue_inspection(draft()));
    total = 200;
    ASSERT_TRUE(c->set_online(true));
    ASSERT_TRUE(patrol::test::wait_until([&] { return srv.applied_count() > 0; }, 20s));
  }  // closed mid-backlog (or just after)
  auto c = open(d, srv.tls.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(patrol::test::wait_until([&] { return c->status()->pending == 0; }, 60s))
      << c->status()->last_error;
  EXPECT_EQ(static_cast<std::int64_t>(srv.applied_count()), total);
}

// A transport that lets three pushes be in flight at once (as the default one
// does with three connections) and records, for every push, how many others
// were in flight beside it. Each exchange takes a little while, so batches
// overlap when the engine lets them.
class OverlapTransport final : public Transport {
 public:
  Result<HttpResponse> send(const HttpRequest& req) override {
    HttpResponse res;
    res.status = 200;
    if (req.target == "/api/v1/auth/login") {
      res.body = R"({"token":"t0k","expires_at":"2099-01-01T00:00:00Z",)"
                 R"("user":{"id":"u1","name":"Vol","role":"volunteer","org_unit_id":"1"}})";
      return res;
    }
    if (req.target.rfind("/api/v1/sync/pull", 0) == 0) {
      res.body = R"({"cursor":0,"has_more":false,"changes":[]})";
      return res;
    }
    if (req.target != "/api/v1/sync/push") {
      res.status = 404;
      return res;
    }
    auto v = boost::json::parse(req.body);
    std::vector<std::pair<std::string, std::string>> ops;  // id, type
    for (const auto& op : v.at("ops").as_array())
      ops.emplace_back(op.at("op_id").as_string(), op.at("type").as_string());
    bool ordered = false;
    for (const auto& [id, type] : ops) ordered = ordered || type.rfind("inspection", 0) != 0;
    {
      std::lock_guard lk(mu);
      if (ordered && in_flight > 0) ++ordered_beside_others;
      if (ordered_in_flight) ++sent_beside_ordered;
      ++in_flight;
      ordered_in_flight = ordered_in_flight || ordered;
      peak = std::max(peak, in_flight);
      for (const auto& [id, type] : ops) arrival.push_back(id);
    }
    std::this_thread::sleep_for(15ms);
    std::string results;
    {
      std::lock_guard lk(mu);
      --in_flight;
      if (ordered) ordered_in_flight = false;
      for (const auto& [id, type] : ops)
        results += std::string(results.empty() ? "" : ",") + R"({"op_id":")" + id +
                   R"(","status":"applied"})";
    }
    res.body = R"({"results":[)" + results + R"(],"server_time":"2026-11-28T12:00:00Z"})";
    return res;
  }
  std::size_t max_concurrent_sends() const noexcept override { return 3; }

  std::mutex mu;
  int in_flight = 0, peak = 0;
  bool ordered_in_flight = false;
  int ordered_beside_others = 0;     // a round/hazard push sent while another was in flight
  int sent_beside_ordered = 0;       // a push sent while a round/hazard push was in flight
  std::vector<std::string> arrival;  // op ids in the order their pushes reached the server
};

// A backlog goes out several batches at once where the transport allows it,
// but a batch holding a round or hazard op travels alone: everything queued
// before it has been answered when it is sent, and nothing queued after it is
// sent before its answer. Every op arrives exactly once.
TEST(SyncEngine, ConcurrentPushKeepsRoundAndHazardOpsInOrder) {
  Dir d;
  auto t = std::make_unique<OverlapTransport>();
  OverlapTransport* tp = t.get();
  ClientOptions o;
  o.data_dir = d.p.string();
  o.transport = std::move(t);
  o.background_sync = false;
  o.batch_max_ops = 20;
  auto c = Client::open(std::move(o));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE((*c)->login("13900000002", "pw"));
  ASSERT_TRUE((*c)->set_online(false));
  std::string round_op, hazard_op;
  for (int part = 0; part < 3; ++part) {
    for (int i = 0; i < 150; ++i) ASSERT_TRUE((*c)->enqueue_inspection(draft()));
    if (part == 0) {
      auto rc = (*c)->enqueue_round_op("start", "r1");
      ASSERT_TRUE(rc);
      round_op = rc->op_id;
    }
    if (part == 1) {
      auto rc = (*c)->enqueue_hazard_transition("h1", "rectified", "fixed");
      ASSERT_TRUE(rc);
      hazard_op = rc->op_id;
    }
  }
  ASSERT_TRUE((*c)->set_online(true));
  auto r = (*c)->sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pushed, 452);
  EXPECT_EQ((*c)->status()->pending, 0);
  std::lock_guard lk(tp->mu);
  EXPECT_GT(tp->peak, 1) << "batches never overlapped";
  EXPECT_LE(tp->peak, 3);
  EXPECT_EQ(tp->ordered_beside_others, 0);
  EXPECT_EQ(tp->sent_beside_ordered, 0);
  std::set<std::string> unique(tp->arrival.begin(), tp->arrival.end());
  EXPECT_EQ(unique.size(), tp->arrival.size()) << "an op was sent twice";
  EXPECT_EQ(unique.size(), 452u);
  // Exactly the ops queued before each arrived before it.
  auto at = [&](const std::string& id) {
    return std::find(tp->arrival.begin(), tp->arrival.end(), id) - tp->arrival.begin();
  };
  EXPECT_EQ(at(round_op), 150);
  EXPECT_EQ(at(hazard_op), 301);
}

// A month of daily rounds (40 reports, an evening's track, a photo), synced
// each evening: the device database does not keep growing with history.
TEST(SyncEngine, DeviceDatabaseStaysBoundedOverAMonthOfRounds) {
  std::signal(SIGPIPE, SIG_IGN);
  FakeServer srv;
  Dir d;
  ClientOptions o;
  o.data_dir = d.p.string();
  o.server_url = "https://127.0.0.1:" + std::to_string(srv.tls.port());
  o.insecure = true;
  o.background_sync = false;
  auto opened = Client::open(std::move(o));
  ASSERT_TRUE(opened) << opened.error().message;
  auto& c = *opened;
  ASSERT_TRUE(c->login("13900000002", "pw"));
  auto disk = [&] {
    std::uintmax_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(d.p))
      if (e.is_regular_file()) total += e.file_size();
    return total;
  };
  std::uintmax_t after_week = 0;
  for (int day = 0; day < 30; ++day) {
    ASSERT_TRUE(c->set_online(false));  // walking the round
    const fs::path photo = d.p / "camera.jpg";
    {
      std::ofstream f(photo, std::ios::binary);
      f << std::string(64 * 1024, static_cast<char>('a' + day % 26)) << day;
    }
    auto sha = c->attach_photo(photo.string());
    ASSERT_TRUE(sha) << sha.error().message;
    fs::remove(photo);
    for (int i = 0; i < 40; ++i) {
      auto dr = draft();
      if (i == 0) dr.items[0].photos.push_back(*sha);
      ASSERT_TRUE(c->enqueue_inspection(dr));
    }
    std::vector<TrackPoint> track;
    const auto t0 = std::chrono::system_clock::now() - 2h;
    for (int i = 0; i < 600; ++i) track.push_back({t0 + i * 10s, 28.85 + i * 1e-5, 121.14, 5.0});
    ASSERT_TRUE(c->enqueue_positions(track));
    ASSERT_TRUE(c->set_online(true));  // home, on wifi
    auto r = c->sync();
    ASSERT_TRUE(r) << "day " << day << ": " << r.error().message;
    EXPECT_EQ(c->status()->pending, 0);
    if (day == 6) after_week = disk();
  }
  const auto after_month = disk();
  std::cout << "[ size ] device data dir: " << after_week << " bytes after a week, " << after_month
            << " after a month\n";
  // 1,200 reports: receipts are capped at 1,000, photos leave the device once
  // uploaded, and the WAL is reused; what remains is the bounded history.
  EXPECT_EQ(c->receipts(5000)->size(), static_cast<std::size_t>(sdk::DeviceDb::kKeptReceipts));
  EXPECT_LT(after_month, after_week * 2) << after_week << " after a week, " << after_month;
  EXPECT_LT(after_month, 8u << 20) << after_month;
}

}  // namespace
}  // namespace patrol
