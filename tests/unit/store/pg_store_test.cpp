// PgStore-only behaviour: the sync/pull cursor and the live tails with
// writers on several nodes.
//
// PostgreSQL sequence order is not commit order: with a change log numbered
// by a sequence at INSERT time, node A's transaction can take seq N, stall,
// while node B takes N+1 and commits; a pull then answers cursor N+1 and A's
// change N, committed later, is never pulled. PgStore keys the log by the
// writing transaction's id (not in commit order either) and hands out only
// keys of transactions older than the oldest one still running. The first
// test makes A's transaction write a change and then stall (on a row lock
// held by a third connection) while B commits: B's change gets the larger
// key, so a naive `seq > cursor` pull taken after B's commit would skip A's;
// PgStore's pull and live tail hold B's back until A has ended, then return
// both, A's first, each exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
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

PreparedOp inspection_op(const User& u, const Site& site) {
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
  i.items = {{"flying_wire_charging", "ok", "", {}}};
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

  auto start = b->changes("/", 0, 100000);
  ASSERT_TRUE(start);
  ASSERT_FALSE(start->has_more);
  const std::int64_t cursor = start->cursor;
  auto head = b->live_head();
  ASSERT_TRUE(head);

  // A third connection locks the site's row, so node A's transaction stalls
  // at its inspection (the foreign key check) after it wrote its SOS.
  auto x = pg::Conn::open(db.conninfo());
  ASSERT_TRUE(x);
  (*x)->exec("BEGIN");
  (*x)->exec("SELECT id FROM sites WHERE id = $1 FOR UPDATE", pg::Params().add(site->id));

  std::vector<PreparedOp> a_ops;
  a_ops.push_back(sos_op(*vol));
  const std::string a_alert = std::get<SosWrite>(a_ops.back().action).alert.id;
  a_ops.push_back(inspection_op(*vol, *site));
  auto a_done = std::async(std::launch::async, [&] { return a->apply_ops(std::move(a_ops)); });
  // Wait until A's writer is blocked inside its transaction.
  auto watch = pg::Conn::open(db.conninfo());
  ASSERT_TRUE(watch);
  for (int i = 0;; ++i) {
    auto r = (*watch)->exec("SELECT count(*) FROM pg_locks WHERE NOT granted", pg::Params());
    if (r.int64(0, 0) > 0) break;
    ASSERT_LT(i, 500) << "node A never reached the row lock";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(a_done.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);

  // Node B commits a change while A's is still uncommitted.
  auto b_ops = std::vector<PreparedOp>{sos_op(*vol)};
  const std::string b_alert = std::get<SosWrite>(b_ops.back().action).alert.id;
  auto b_out = b->apply_ops(std::move(b_ops));
  ASSERT_TRUE(b_out);
  ASSERT_EQ(b_out->at(0).status, wire::OpStatus::applied);
  // What a naive `seq > cursor` reader would take as the log's end now: B's
  // entry, committed and visible.
  const std::int64_t naive_end =
      (*watch)->exec("SELECT max(seq) FROM change_log", pg::Params()).int64(0, 0);
  EXPECT_GT(naive_end, cursor);

  // A viewer pulls: B's change is held back (A is older and still running),
  // and the cursor it gets stays below A's keys.
  auto mid = b->changes("/", cursor, 10000);
  ASSERT_TRUE(mid);
  EXPECT_TRUE(mid->changes.empty());
  EXPECT_LT(mid->cursor, naive_end);
  auto mid_live = b->live_tail(*head, 1000);
  ASSERT_TRUE(mid_live);
  EXPECT_TRUE(mid_live->changes.empty() && mid_live->inspections.empty());
  EXPECT_TRUE(mid_live->pending);

  // A commits last.
  (*x)->exec("COMMIT");
  auto a_out = a_done.get();
  ASSERT_TRUE(a_out) << a_out.error().message();
  ASSERT_EQ(a_out->size(), 2u);
  EXPECT_EQ(a_out->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(a_out->at(1).status, wire::OpStatus::applied);

  // Pulling on from the viewer's cursor returns both: nothing skipped.
  auto after = a->changes("/", mid->cursor, 10000);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->changes.size(), 2u);
  EXPECT_EQ(after->changes[0].id, a_alert);
  EXPECT_EQ(after->changes[1].id, b_alert);
  EXPECT_EQ(after->changes[1].seq, naive_end);
  // A's entry is keyed below B's, which was visible first: a naive pull
  // from naive_end would never have returned it.
  EXPECT_LT(after->changes[0].seq, naive_end);
  EXPECT_GE(after->cursor, naive_end);

  // The whole log, pulled in one go, is exactly the two pulls together.
  auto all = a->changes("/", cursor, 10000);
  ASSERT_TRUE(all);
  std::set<std::int64_t> pulled;
  for (const auto& c : mid->changes) pulled.insert(c.seq);
  for (const auto& c : after->changes) pulled.insert(c.seq);
  std::set<std::int64_t> logged;
  for (const auto& c : all->changes) logged.insert(c.seq);
  EXPECT_EQ(pulled, logged);

  // The live tail, from where it stood, now hands out A's SOS and inspection
  // then B's SOS, with event numbers in that order (the same on every node).
  std::vector<std::pair<std::int64_t, std::string>> events;  // (event, what)
  LiveCursors at = mid_live->upto;
  for (int i = 0; i < 10; ++i) {
    auto t = b->live_tail(at, 1000);
    ASSERT_TRUE(t);
    for (const auto& i : t->inspections) events.emplace_back(i.event, "inspection");
    for (const auto& c : t->changes) events.emplace_back(c.event, c.id);
    at = t->upto;
    if (!t->more) break;
  }
  std::sort(events.begin(), events.end());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].second, "inspection");
  EXPECT_EQ(events[1].second, a_alert);
  EXPECT_EQ(events[2].second, b_alert);
  EXPECT_GT(events[0].first, head->events);
  auto again = a->live_tail(mid_live->upto, 1000);  // node A numbers them alike
  ASSERT_TRUE(again);
  ASSERT_EQ(again->changes.size(), 2u);
  EXPECT_EQ(again->changes[0].event, events[1].first);
  EXPECT_EQ(again->changes[1].event, events[2].first);
  a->shutdown();
  b->shutdown();
}

TEST(PgStore, ManyConcurrentWritersOnTwoNodesMissNothing) {
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
  std::vector<std::int64_t> seen;
  // A viewer pulls while 4 writers on 2 nodes push; every seq it is given
  // must be above its cursor (never a repeat), and in the end it must have
  // been given every entry the writers made (never a skip).
  auto viewer = std::async(std::launch::async, [&] {
    while (!stop) {
      auto p = b->changes("/", cursor, 7);
      if (!p) return false;
      for (const auto& c : p->changes) {
        if (c.seq <= cursor) return false;
        cursor = c.seq;
        seen.push_back(c.seq);
      }
      if (p->cursor < cursor) return false;
      cursor = p->cursor;
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
  for (;;) {
    auto rest = b->changes("/", cursor, 1000);
    ASSERT_TRUE(rest);
    for (const auto& c : rest->changes) seen.push_back(c.seq);
    cursor = rest->cursor;
    if (!rest->has_more) break;
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), 100u);
  auto all = a->changes("/", base->cursor, 100000);
  ASSERT_TRUE(all);
  std::vector<std::int64_t> logged;
  for (const auto& c : all->changes) logged.push_back(c.seq);
  EXPECT_EQ(seen, logged) << "every entry, in the log's order";
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

// Migration 4's triggers, as on SQLite (sqlite_store_test: AuditLogIsAppendOnly):
// the audit log refuses UPDATE, DELETE and TRUNCATE from any connection (the
// test's role owns the database, as the server's does); INSERT still works.
TEST(PgStore, AuditLogIsAppendOnly) {
  if (!PgTestDb::configured()) GTEST_SKIP() << "no PostgreSQL test cluster";
  PgTestDb db;
  auto s = open_node(db);
  ASSERT_TRUE(s);
  AuditEntry e;
  e.at = now();
  e.actor_id = "admin";
  e.actor_role = "city_admin";
  e.action = "user.create";
  e.object_type = "user";
  e.object_id = "u1";
  ASSERT_TRUE(s->append_audit(e));
  auto c = pg::Conn::open(db.conninfo());
  ASSERT_TRUE(c);
  for (const char* sql : {"UPDATE audit_log SET actor_id = 'someone'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log"}) {
    std::string state;
    try {
      (*c)->exec(sql);
    } catch (const pg::Failure& f) {
      state = f.sqlstate;
    }
    EXPECT_EQ(state, "23000") << sql << " was not refused";
  }
  auto page = s->audit(AuditFilter{});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].actor_id, "admin");
  EXPECT_EQ(page->items[0].object_id, "u1");
  s->shutdown();
}

// Another node's site write empties this node's site cache (NOTIFY
// patrol_sites at its commit): a push validated here from the cache must not
// see the site where it was.
TEST(PgStore, AnotherNodesSiteWriteEmptiesThisNodesSiteCache) {
  if (!PgTestDb::configured()) GTEST_SKIP() << "no PostgreSQL test cluster";
  PgTestDb db;
  auto a = open_node(db);
  auto b = open_node(db);
  ASSERT_TRUE(a && b);
  auto seed = domain::demo_seed(now(), [](std::string_view) { return std::string("scrypt$x"); });
  ASSERT_TRUE(a->seed(seed));
  const Site* site = nullptr;
  for (const auto& s : seed.sites)
    if (s.org_unit_id == domain::kDatianLiuVillageId) site = &s;
  ASSERT_TRUE(site);
  SiteCache* cache = b->site_cache();
  ASSERT_TRUE(cache && cache->enabled());
  // put() drops an entry whose generation moved on meanwhile (PostgreSQL:
  // the NOTIFY of a write, this node's own too, arrives a moment later).
  auto fill = [&] {
    for (int i = 0; i < 100 && !cache->get(site->id); ++i) {
      const auto gen = cache->generation();
      auto s = b->site(site->id);
      ASSERT_TRUE(s);
      cache->put(*s, gen);
      if (!cache->get(site->id)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_NE(cache->get(site->id), nullptr);
  };
  auto emptied_within_2s = [&] {
    for (int i = 0; i < 200; ++i) {
      if (!cache->get(site->id)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  fill();
  auto other = a->org_unit(domain::kDongxiShanVillageId);
  ASSERT_TRUE(other);
  Site moved = *site;
  moved.org_unit_id = other->id;
  moved.org_path = other->path;
  ASSERT_TRUE(a->put_site(moved));  // on node A
  EXPECT_TRUE(emptied_within_2s()) << "node B still holds the site where it was";
  fill();
  EXPECT_EQ(cache->get(site->id)->org_path, other->path);

  // A team write elsewhere empties it too (team and user writes notify).
  auto team = a->teams(TeamFilter{"/", std::nullopt, 1});
  ASSERT_TRUE(team && !team->items.empty());
  ASSERT_TRUE(a->put_team(team->items.front()));
  EXPECT_TRUE(emptied_within_2s());

  // Without any notification (a listener dead unseen), an entry still
  // expires after its 2 s.
  fill();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(cache->get(site->id), nullptr);
}

}  // namespace
}  // namespace patrol::store
