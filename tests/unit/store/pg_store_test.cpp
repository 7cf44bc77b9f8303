// PgStore-only behaviour: the sync/pull cursor with writers on several nodes.
//
// PostgreSQL sequence order is not commit order: with a change log numbered
// by a sequence at INSERT time, node A's transaction can take seq N, stall,
// while node B takes N+1 and commits; a pull then answers cursor N+1 and A's
// change N, committed later, is never pulled. PgStore numbers the log at
// commit under an advisory lock instead; this test makes A's transaction
// write a change first and commit last (it waits on a hazard lock held by a
// third connection) while B commits in between, and checks that the pulls
// around it return every change exactly once, in commit order.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "domain/demo_seed.hpp"
#include "patrol/wire/uuid.hpp"
#include "pg_test_db.hpp"
#include "store/pg_listener.hpp"
#include "store/pg_store.hpp"
#include "store/pg_support.hpp"

namespace patrol::store {
namespace {

Ms now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<PgStore> open_node(const PgTestDb& db) {
  PgStoreOptions o;
  o.conninfo = db.conninfo();
  o.read_connections = 1;
  std::string why;
  auto s = PgStore::open(o, &why);
  EXPECT_TRUE(s) << why;
  return s ? std::move(*s) : nullptr;
}

PreparedOp sos_op(const User& u) {
  SosWrite w;
  w.alert.id = wire::make_uuid_v7();
  w.alert.user_id = u.id;
  w.alert.org_unit_id = u.org_unit_id;
  w.alert.org_path = u.org_path;
  w.alert.raised_at = now();
  return {wire::make_uuid_v7(), u.id, "dev", "sos.raise", w};
}

PreparedOp hazard_op(const User& u, const Site& site) {
  InspectionWrite w;
  auto& i = w.inspection;
  i.id = wire::make_uuid_v7();
  i.site_id = site.id;
  i.org_unit_id = site.org_unit_id;
  i.org_path = site.org_path;
  i.user_id = u.id;
  i.device_id = "dev";
  i.template_id = site.template_id;
  i.template_version = 1;
  i.observed_at = "2026-11-28T19:05:00+08:00";
  i.observed_ms = now();
  i.items = {{"flying_wire_charging", "hazard", "", {}}};
  w.hazards = {{"flying_wire_charging", "critical", false, {}, ""}};
  return {wire::make_uuid_v7(), u.id, "dev", "inspection.create", std::move(w)};
}

TEST(PgStore, PullSkipsNothingWhenCommitsLandOutOfOrder) {
  if (!PgTestDb::configured()) GTEST_SKIP() << "no PostgreSQL test cluster";
  PgTestDb db;
  auto a = open_node(db);  // two nodes on one database
  auto b = open_node(db);
  ASSERT_TRUE(a && b);
  auto seed = domain::demo_seed(now(), [](std::string_view) { return std::string("scrypt$x"); });
  ASSERT_TRUE(a->seed(seed));
  const User* vol = nullptr;
  for (const auto& u : seed.users)
    if (u.user.phone == "13900000002") vol = &u.user;
  ASSERT_TRUE(vol);
  const Site* site = nullptr;
  for (const auto& s : seed.sites)
    if (s.org_unit_id == domain::kDatianLiuVillageId) site = &s;
  ASSERT_TRUE(site);

  auto start = b->changes("/", 0, 10000);
  ASSERT_TRUE(start);
  std::int64_t cursor = start->cursor;

  // A third connection holds the (site, item) hazard lock, so node A's
  // transaction stalls after it wrote its SOS change and before it commits.
  auto x = pg::Conn::open(db.conninfo());
  ASSERT_TRUE(x);
  (*x)->exec("BEGIN");
  (*x)->exec("SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))",
             pg::Params().add(site->id).add("flying_wire_charging"));

  std::vector<PreparedOp> a_ops;
  a_ops.push_back(sos_op(*vol));
  a_ops.push_back(hazard_op(*vol, *site));
  auto a_done = std::async(std::launch::async, [&] { return a->apply_ops(std::move(a_ops)); });
  // Wait until A's writer is blocked inside its transaction.
  auto watch = pg::Conn::open(db.conninfo());
  ASSERT_TRUE(watch);
  for (int i = 0;; ++i) {
    auto r = (*watch)->exec(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", pg::Params());
    if (r.int64(0, 0) > 0) break;
    ASSERT_LT(i, 500) << "node A never reached the hazard lock";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(a_done.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);

  // Node B commits a change while A's is still uncommitted, and a viewer pulls.
  auto b_out = b->apply_ops({sos_op(*vol)});
  ASSERT_TRUE(b_out);
  ASSERT_EQ(b_out->at(0).status, wire::OpStatus::applied);
  auto mid = b->changes("/", cursor, 10000);
  ASSERT_TRUE(mid);
  ASSERT_EQ(mid->changes.size(), 1u);  // B's SOS only: A has not committed
  EXPECT_EQ(mid->changes[0].entity, "sos");

  // A commits last.
  (*x)->exec("COMMIT");
  auto a_out = a_done.get();
  ASSERT_TRUE(a_out) << a_out.error().message();
  ASSERT_EQ(a_out->size(), 2u);
  EXPECT_EQ(a_out->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(a_out->at(1).status, wire::OpStatus::applied);

  // Pulling on from the viewer's cursor returns A's two changes: nothing skipped.
  auto after = a->changes("/", mid->cursor, 10000);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->changes.size(), 2u);
  EXPECT_EQ(after->changes[0].entity, "sos");
  EXPECT_EQ(after->changes[1].entity, "hazard");
  EXPECT_GT(after->changes[0].seq, mid->changes[0].seq);  // numbered in commit order

  // The whole log, pulled in one go, is exactly the two pulls together.
  auto all = a->changes("/", cursor, 10000);
  ASSERT_TRUE(all);
  std::set<std::int64_t> pulled;
  for (const auto& c : mid->changes) pulled.insert(c.seq);
  for (const auto& c : after->changes) pulled.insert(c.seq);
  std::set<std::int64_t> logged;
  for (const auto& c : all->changes) logged.insert(c.seq);
  EXPECT_EQ(pulled, logged);
  a->shutdown();
  b->shutdown();
}

TEST(PgStore, ManyConcurrentWritersOnTwoNodesLeaveAGaplessLog) {
  if (!PgTestDb::configured()) GTEST_SKIP() << "no PostgreSQL test cluster";
  PgTestDb db;
  auto a = open_node(db);
  auto b = open_node(db);
  ASSERT_TRUE(a && b);
  auto seed = domain::demo_seed(now(), [](std::string_view) { return std::string("scrypt$x"); });
  ASSERT_TRUE(a->seed(seed));
  const User& u = seed.users.front().user;
  auto base = a->changes("/", 0, 100000);
  ASSERT_TRUE(base);
  std::int64_t cursor = base->cursor;
  std::atomic<bool> stop{false};
  std::set<std::int64_t> seen;
  // A viewer pulls while 4 writers on 2 nodes push; every seq it is given
  // must be new and contiguous with what it saw before.
  auto viewer = std::async(std::launch::async, [&] {
    while (!stop) {
      auto p = b->changes("/", cursor, 1000);
      if (!p) return false;
      for (const auto& c : p->changes) {
        if (c.seq != cursor + 1) return false;  // a gap: something would be skipped
        cursor = c.seq;
        seen.insert(c.seq);
      }
      if (!p->has_more) cursor = std::max(cursor, p->cursor);
    }
    return true;
  });
  std::vector<std::future<void>> writers;
  for (int w = 0; w < 4; ++w)
    writers.push_back(std::async(std::launch::async, [&, w] {
      PgStore& node = w % 2 ? *b : *a;
      for (int i = 0; i < 25; ++i) {
        auto r = node.apply_ops({sos_op(u)});
        EXPECT_TRUE(r);
      }
    }));
  for (auto& f : writers) f.get();
  stop = true;
  EXPECT_TRUE(viewer.get());
  auto rest = b->changes("/", cursor, 100000);
  ASSERT_TRUE(rest);
  for (const auto& c : rest->changes) seen.insert(c.seq);
  EXPECT_EQ(seen.size(), 100u);
}

TEST(PgStore, ANodeHearsWhatAnotherCommittedThroughNotify) {
  if (!PgTestDb::configured()) GTEST_SKIP() << "no PostgreSQL test cluster";
  PgTestDb db;
  auto a = open_node(db);
  auto b = open_node(db);
  ASSERT_TRUE(a && b);
  auto seed = domain::demo_seed(now(), [](std::string_view) { return std::string("scrypt$x"); });
  ASSERT_TRUE(a->seed(seed));
  auto base = b->changes("/", 0, 100000);
  ASSERT_TRUE(base);

  std::mutex mu;
  std::condition_variable cv;
  std::int64_t heard = 0;
  auto listener = PgChangeListener::start(db.conninfo(), [&](std::int64_t seq) {
    std::lock_guard lk(mu);
    heard = std::max(heard, seq);
    cv.notify_all();
  });
  ASSERT_TRUE(listener);

  auto t0 = std::chrono::steady_clock::now();
  auto r = a->apply_ops({sos_op(seed.users.front().user)});
  ASSERT_TRUE(r);
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(5), [&] { return heard > base->cursor; }));
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  std::printf("push on node A to notification on node B: %.1f ms\n", ms.count());
  // Node B reads the rest from the log: exactly the SOS node A committed.
  auto page = b->changes("/", base->cursor, 100);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->changes.size(), 1u);
  EXPECT_EQ(page->changes[0].entity, "sos");
  EXPECT_EQ(page->changes[0].seq, heard);
}

}  // namespace
}  // namespace patrol::store
