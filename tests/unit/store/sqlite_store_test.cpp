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

TEST_F(StoreTest, ManyThreadsManyCommitsAllDurable) {
  const User& u = user("13900000002");
  constexpr int kThreads = 8, kCalls = 40;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      for (int k = 0; k < kCalls; ++k) {
        auto r = store_->apply_ops({positions_op(u, 1, 1'000'000 + i * 1000 + k)});
        if (r && r->at(0).status == wire::OpStatus::applied) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok, kThreads * kCalls);
  store_.reset();  // close and reopen: everything answered is there
  open();
  auto track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 1000});
  ASSERT_TRUE(track);
  EXPECT_EQ(track->items.size(), static_cast<std::size_t>(kThreads * kCalls));
}

TEST_F(StoreTest, DuplicateOpReturnsTheFirstOutcome) {
  const User& u = user("13900000002");
  auto op = positions_op(u, 2, now() - 5000);
  auto first = store_->apply_ops({op});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->at(0).status, wire::OpStatus::applied);
  auto second = store_->apply_ops({op});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->at(0).status, wire::OpStatus::duplicate);
  EXPECT_EQ(second->at(0).received_at, first->at(0).received_at);
  auto track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 100});
  EXPECT_EQ(track->items.size(), 2u) << "nothing written twice";

  // A first rejection stays the answer even when a later push would be valid.
  PreparedOp rej{wire::make_uuid_v7(), u.id, "dev", "inspection.create",
                 wire::FieldError{"not_found", "body.site_id", "no such site"}};
  auto r1 = store_->apply_ops({rej});
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->at(0).status, wire::OpStatus::rejected);
  auto valid = positions_op(u, 1, now());
  valid.op_id = rej.op_id;
  auto r2 = store_->apply_ops({valid});
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->at(0).status, wire::OpStatus::rejected);
  ASSERT_TRUE(r2->at(0).error);
  EXPECT_EQ(r2->at(0).error->code, "not_found");
  EXPECT_EQ(r2->at(0).error->field, "body.site_id");

  // The same op twice in one batch: applied, then duplicate.
  auto dup = positions_op(u, 1, now());
  auto r3 = store_->apply_ops({dup, dup});
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(r3->at(1).status, wire::OpStatus::duplicate);
}

TEST_F(StoreTest, AnOpThatFailsInTheWriteIsRejectedAloneAndOthersApply) {
  const User& u = user("13900000002");
  const Site& site = seed_.sites.front();
  auto inspection = [&](std::string site_id, std::string id) {
    InspectionWrite w;
    auto& i = w.inspection;
    i.id = std::move(id);
    i.site_id = std::move(site_id);
    i.org_unit_id = site.org_unit_id;
    i.org_path = site.org_path;
    i.user_id = u.id;
    i.device_id = "dev";
    i.template_id = site.template_id;
    i.template_version = 1;
    i.observed_at = "2026-11-28T19:05:00+08:00";
    i.observed_ms = now();
    i.items = {{"corridor_clutter", "ok", "", {}}};
    return PreparedOp{wire::make_uuid_v7(), u.id, "dev", "inspection.create", w};
  };
  std::string reused = wire::make_uuid_v7();
  // A site that vanished (foreign key) fails inside the write; a reused
  // inspection id is caught before it. Both are rejected alone.
  auto r = store_->apply_ops({positions_op(u, 1, now()), inspection("gone", wire::make_uuid_v7()),
                              inspection(site.id, reused), inspection(site.id, reused),
                              positions_op(u, 1, now())});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ(r->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(r->at(1).status, wire::OpStatus::rejected);
  EXPECT_EQ(r->at(1).error->code, "conflict");
  EXPECT_EQ(r->at(2).status, wire::OpStatus::applied);
  EXPECT_EQ(r->at(3).status, wire::OpStatus::rejected);
  EXPECT_EQ(r->at(3).error->field, "body.id");
  EXPECT_EQ(r->at(4).status, wire::OpStatus::applied);
  InspectionFilter f;
  f.scope_path = "/";
  auto page = store_->inspections(f);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);
  auto track = store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 100});
  EXPECT_EQ(track->items.size(), 2u);
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

TEST_F(StoreTest, ChangeLogIsOrderedAndScoped) {
  std::string liu = "/1/2/21/", shan = "/1/3/22/";
  auto all = store_->changes(liu, 0, 1000);
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->has_more);
  std::int64_t last = 0;
  int sites = 0, templates = 0, org_units = 0;
  for (const auto& c : all->changes) {
    EXPECT_GT(c.seq, last);
    last = c.seq;
    if (c.entity == "site") {
      ++sites;
      EXPECT_EQ(c.data.find("东溪"), std::string::npos) << "no site of another village";
    }
    templates += c.entity == "checklist_template";
    org_units += c.entity == "org_unit";
  }
  EXPECT_GE(sites, 20);
  EXPECT_EQ(templates, 3);
  EXPECT_EQ(org_units, 5) << "city, town, village and its two grids";
  auto other = store_->changes(shan, 0, 1000);
  ASSERT_TRUE(other);
  for (const auto& c : other->changes) EXPECT_EQ(c.data.find("大田刘村中街"), std::string::npos);

  // Paging: the cursor continues exactly where the page ended.
  auto p1 = store_->changes(liu, 0, 10);
  ASSERT_TRUE(p1);
  EXPECT_TRUE(p1->has_more);
  auto p2 = store_->changes(liu, p1->cursor, 10);
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->changes.front().seq, all->changes[10].seq);
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

TEST_F(StoreTest, HazardFoundAgainIsLinkedNotDuplicated) {
  const User& u = user("13900000002");
  const Site* site = nullptr;
  for (const auto& s : seed_.sites)
    if (s.org_unit_id == domain::kDatianLiuVillageId) {
      site = &s;
      break;
    }
  ASSERT_NE(site, nullptr);
  auto make = [&](std::vector<std::string> photos) {
    InspectionWrite w;
    auto& i = w.inspection;
    i.id = wire::make_uuid_v7();
    i.site_id = site->id;
    i.org_unit_id = site->org_unit_id;
    i.org_path = site->org_path;
    i.user_id = u.id;
    i.device_id = "dev";
    i.template_id = site->template_id;
    i.template_version = 1;
    i.observed_at = "2026-11-28T19:05:00+08:00";
    i.observed_ms = now();
    i.items = {{"flying_wire_charging", "hazard", "", photos}};
    w.hazards = {{"flying_wire_charging", "critical", true, photos, "飞线"}};
    return PreparedOp{wire::make_uuid_v7(), u.id, "dev", "inspection.create", w};
  };
  std::string sha(64, 'a');
  ASSERT_TRUE(store_->apply_ops({make({})}));
  ASSERT_TRUE(store_->apply_ops({make({sha})}));
  HazardFilter f;
  f.scope_path = "/1/2/21/";
  auto hz = store_->hazards(f);
  ASSERT_TRUE(hz);
  ASSERT_EQ(hz->items.size(), 1u);
  EXPECT_EQ(hz->items[0].occurrences, 2);
  EXPECT_TRUE(hz->items[0].photo_missing) << "the named photo has not arrived yet";
  auto linked = store_->attachment_stored(sha, 1234);
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->hazard_ids.size(), 1u);
  hz = store_->hazards(f);
  EXPECT_FALSE(hz->items[0].photo_missing);
}

}  // namespace
}  // namespace patrol::store
