// The store implementations the conformance suite runs against, one factory
// each. A factory is default-constructible and owns what its store needs (a
// temp directory, a database); open() returns a store on that data, and may
// be called again after the previous store was destroyed (a reopen must find
// everything committed); `static constexpr const char* kName` names it in
// the test names; an optional `static bool available()` skips its tests when
// its backend is absent. live(store) gives the live feed's reads and the
// tracker identifiers over the store open() returned (LiveAndTrackers: valid
// while that store lives). The PostgreSQL store adds its factory to
// `Implementations` (available() when a test database is configured).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>

#include "pg_test_db.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_live_store.hpp"
#include "store/sqlite_store.hpp"

namespace patrol::store::conformance {

// LiveStore and TrackerStore of one store (SQLite: an object of their own;
// PostgreSQL: the store itself).
struct LiveAndTrackers {
  std::unique_ptr<LiveStore> owned;
  LiveStore* live = nullptr;
  TrackerStore* trackers = nullptr;
};

// SqliteStore on a real file in a fresh temp directory.
class SqliteFactory {
 public:
  static constexpr const char* kName = "sqlite";

  SqliteFactory() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("patrol-conformance-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  ~SqliteFactory() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SqliteFactory(const SqliteFactory&) = delete;
  SqliteFactory& operator=(const SqliteFactory&) = delete;

  // Null (with a gtest failure) when the store cannot be opened.
  std::unique_ptr<Store> open() {
    SqliteStoreOptions o;
    o.db_path = dir_ / "patrol.db";
    auto s = SqliteStore::open(o);
    EXPECT_TRUE(s) << s.error().message();
    if (!s) return nullptr;
    return std::move(*s);
  }

  LiveAndTrackers live(Store& store) {
    auto l = SqliteLiveStore::open(dir_ / "patrol.db", dynamic_cast<SqliteStore&>(store));
    EXPECT_TRUE(l);
    LiveAndTrackers out;
    if (!l) return out;
    out.live = l->get();
    out.trackers = l->get();
    out.owned = std::move(*l);
    return out;
  }

 private:
  std::filesystem::path dir_;
};

// PgStore on a fresh database of the throwaway PostgreSQL cluster that ctest
// starts (fixture `pg`, scripts/pg-throwaway.sh); see pg_test_db.hpp.
class PgFactory {
 public:
  static constexpr const char* kName = "postgresql";
  static bool available() { return PgTestDb::configured(); }

  std::unique_ptr<Store> open() {
    if (!db_) db_ = std::make_unique<PgTestDb>();
    PgStoreOptions o;
    o.conninfo = db_->conninfo();
    o.read_connections = 2;
    std::string why;
    auto s = PgStore::open(o, &why);
    EXPECT_TRUE(s) << s.error().message() << ": " << why;
    if (!s) return nullptr;
    return std::move(*s);
  }

  LiveAndTrackers live(Store& store) {
    auto& pg = dynamic_cast<PgStore&>(store);
    return {nullptr, &pg, &pg};
  }

 private:
  std::unique_ptr<PgTestDb> db_;
};

using Implementations = ::testing::Types<SqliteFactory, PgFactory>;

// Test names end in the implementation's name ("…/sqlite").
struct ImplementationName {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};

}  // namespace patrol::store::conformance
