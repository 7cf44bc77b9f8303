// SQLite-specific behaviour of SqliteStore: migrations, group commit, the
// savepoint fallback, the WAL checkpointer, disk full. What every store must
// do is in conformance/ (run against SqliteStore by
// patrol_store_conformance_tests).
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "domain/demo_seed.hpp"
#include "metrics/metrics.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::store {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  std::random_device rd;
  auto p =
      fs::temp_directory_path() / ("patrol-store-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(p);
  return p;
}

Ms now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads "<name> <value>" from the Prometheus text.
double metric(const metrics::Metrics& m, const std::string& name) {
  auto text = m.render_prometheus();
  auto pos = text.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + name.size() + 2));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    open();
    // The password hash is irrelevant to the store: no KDF here.
    seed_ = domain::demo_seed(now(), [](std::string_view) { return std::string("scrypt$x"); });
    ASSERT_TRUE(store_->seed(seed_));
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void open(SqliteStoreOptions o = {}) {
    o.db_path = dir_ / "patrol.db";
    o.metrics = &metrics_;
    auto s = SqliteStore::open(o);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }
  const User& user(const std::string& phone) {
    for (const auto& u : seed_.users)
      if (u.user.phone == phone) return u.user;
    throw std::runtime_error("no user");
  }
  PreparedOp positions_op(const User& u, int n, Ms t0) {
    PositionsWrite w;
    w.user_id = u.id;
    w.device_id = "dev";
    w.org_unit_id = u.org_unit_id;
    w.org_path = u.org_path;
    for (int i = 0; i < n; ++i)
      w.points.push_back({0, u.id, t0 + i * 1000, 28.85 + i * 1e-5, 121.14, 5.0});
    return {wire::make_uuid_v7(), u.id, "dev", "position.append", w};
  }

  fs::path dir_;
  metrics::Metrics metrics_;
  std::unique_ptr<SqliteStore> store_;
  SeedData seed_;
};

TEST_F(StoreTest, MigratesToCurrentVersionAndReopens) {
  auto v = store_->run_on_writer([](sqlite::Database& db) {
    auto n = db.scalar_int64("PRAGMA user_version");
    return n && *n == SqliteStore::schema_version() ? boost::system::error_code{}
                                                    : make_error_code(errc::internal);
  });
  EXPECT_FALSE(v);
  store_.reset();
  open();
  auto empty = store_->is_empty();
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty) << "seed survived the reopen";
}

// Migration 4's triggers: the audit log refuses UPDATE and DELETE, whoever
// runs them (issue 9: append-only); INSERT still works.
TEST_F(StoreTest, AuditLogIsAppendOnly) {
  AuditEntry e;
  e.at = now();
  e.actor_id = "admin";
  e.actor_role = "city_admin";
  e.action = "user.create";
  e.object_type = "user";
  e.object_id = "u1";
  ASSERT_TRUE(store_->append_audit(e));
  auto update = store_->run_on_writer(
      [](sqlite::Database& db) { return db.exec("UPDATE audit_log SET actor_id = 'someone'"); });
  EXPECT_TRUE(update) << "UPDATE of the audit log was allowed";
  auto del =
      store_->run_on_writer([](sqlite::Database& db) { return db.exec("DELETE FROM audit_log"); });
  EXPECT_TRUE(del) << "DELETE from the audit log was allowed";
  auto page = store_->audit(AuditFilter{});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].actor_id, "admin");
}

TEST_F(StoreTest, RefusesADatabaseFromTheFuture) {
  ASSERT_FALSE(store_->run_on_writer(
      [](sqlite::Database& db) { return db.exec("PRAGMA user_version=999"); }));
  store_.reset();
  SqliteStoreOptions o;
  o.db_path = dir_ / "patrol.db";
  auto s = SqliteStore::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::internal);
}

TEST_F(StoreTest, GroupCommitsManyCallersInOneTransaction) {
  // Hold the writer busy so that every caller's job queues up behind it.
  std::atomic<bool> release{false}, holding{false};
  std::thread blocker([&] {
    (void)store_->run_on_writer([&](sqlite::Database&) {
      holding = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return boost::system::error_code{};
    });
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double commits_before = metric(metrics_, "patrol_commit_requests_count");
  constexpr int kThreads = 16;
  std::vector<std::thread> callers;
  std::atomic<int> applied{0};
  const User& u = user("13900000002");
  for (int i = 0; i < kThreads; ++i) {
    callers.emplace_back([&, i] {
      auto r = store_->apply_ops({positions_op(u, 3, now() - 10000 + i)});
      if (r && r->at(0).status == wire::OpStatus::applied) ++applied;
    });
  }
  for (int spin = 0; spin < 5000 && metric(metrics_, "patrol_writer_queue_depth") < kThreads;
       ++spin)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(metric(metrics_, "patrol_writer_queue_depth"), kThreads);
  release = true;
  for (auto& t : callers) t.join();
  blocker.join();
  EXPECT_EQ(applied, kThreads);
  EXPECT_EQ(metric(metrics_, "patrol_commit_requests_count") - commits_before, 1)
      << "all 16 callers answered by one COMMIT";
  auto track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 1000});
  ASSERT_TRUE(track);
  EXPECT_EQ(track->items.size(), kThreads * 3u);
}

TEST_F(StoreTest, AFailingJobInAGroupDoesNotFailTheOthers) {
  const User& u = user("13900000002");
  std::atomic<bool> release{false}, holding{false};
  std::thread blocker([&] {
    (void)store_->run_on_writer([&](sqlite::Database&) {
      holding = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return boost::system::error_code{};
    });
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // A session for a user that does not exist violates a foreign key: that
  // caller fails, the positions queued beside it in the same group commit.
  std::atomic<int> applied{0};
  std::thread good([&] {
    auto r = store_->apply_ops({positions_op(u, 2, now())});
    if (r && r->at(0).status == wire::OpStatus::applied) ++applied;
  });
  boost::system::error_code bad_ec;
  std::thread bad([&] {
    auto r = store_->create_session({"hash", "no-such-user", "dev", now(), now() + 1000});
    if (!r) bad_ec = r.error();
  });
  while (metric(metrics_, "patrol_writer_queue_depth") < 2)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  release = true;
  good.join();
  bad.join();
  blocker.join();
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(bad_ec, errc::conflict);
  auto track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 100});
  ASSERT_TRUE(track);
  EXPECT_EQ(track->items.size(), 2u);
}

TEST_F(StoreTest, WalStaysBoundedUnderSustainedWrites) {
  store_.reset();
  SqliteStoreOptions o;
  o.journal_size_limit = 256 << 10;
  o.wal_truncate_threshold = 1 << 20;
  o.checkpoint_pages = 64;
  o.checkpoint_interval = std::chrono::milliseconds(50);
  open(o);
  const User& u = user("13900000002");
  std::atomic<bool> stop{false};
  // A reader running all the time must not make the WAL grow without bound.
  std::thread reader([&] {
    while (!stop) (void)store_->latest_positions("/1/", std::nullopt, 100);
  });
  auto wal = dir_ / "patrol.db-wal";
  std::uintmax_t max_wal = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = store_->apply_ops({positions_op(u, 100, 2'000'000 + i * 100'000)});
    ASSERT_TRUE(r);
    std::error_code ec;
    max_wal = std::max(max_wal, fs::file_size(wal, ec));
  }
  stop = true;
  reader.join();
  // 30,000 points went through a WAL that stayed small (without checkpoints
  // this run grows it past 16 MiB).
  EXPECT_LT(max_wal, 8u << 20) << "WAL peaked at " << max_wal;
  std::error_code ec;
  EXPECT_GT(fs::file_size(dir_ / "patrol.db", ec), 1u << 20);
}

TEST_F(StoreTest, DiskFullIsUnavailableAndRecovers) {
  const User& u = user("13900000002");
  ASSERT_TRUE(store_->apply_ops({positions_op(u, 5, 3'000'000)}));
  // Make the database file unable to grow: the next big write hits SQLITE_FULL.
  ASSERT_FALSE(store_->run_on_writer([](sqlite::Database& db) {
    auto pages = db.scalar_int64("PRAGMA page_count");
    if (!pages) return pages.error();
    return db.exec("PRAGMA max_page_count=" + std::to_string(*pages));
  }));
  double errors_before = metric(metrics_, "patrol_storage_errors_total");
  auto full = store_->apply_ops({positions_op(u, 2000, 4'000'000)});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error(), errc::unavailable);
  EXPECT_GT(metric(metrics_, "patrol_storage_errors_total"), errors_before);
  // Nothing of the failed call is visible; what was committed before is intact.
  auto track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 5000});
  ASSERT_TRUE(track);
  EXPECT_EQ(track->items.size(), 5u);
  // Space returns: the writer is still running and accepts the same op.
  ASSERT_FALSE(store_->run_on_writer(
      [](sqlite::Database& db) { return db.exec("PRAGMA max_page_count=1073741823"); }));
  auto ok = store_->apply_ops({positions_op(u, 2000, 4'000'000)});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->at(0).status, wire::OpStatus::applied);
  track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 5000});
  EXPECT_EQ(track->items.size(), 2005u);
}

}  // namespace
}  // namespace patrol::store
