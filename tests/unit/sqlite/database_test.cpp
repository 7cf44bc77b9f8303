#include "sqlite/database.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace patrol::sqlite {
namespace {

TEST(Database, OpensInMemoryAndRunsStatements) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().message();
  ASSERT_FALSE(db->exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)"));
  auto ins = db->cached("INSERT INTO t(b) VALUES (?1)");
  ASSERT_TRUE(ins);
  (*ins)->bind(1, "x");
  EXPECT_FALSE((*ins)->run());
  auto again = db->cached("INSERT INTO t(b) VALUES (?1)");
  ASSERT_TRUE(again);
  EXPECT_EQ(*ins, *again) << "cached statements are reused";
  (*again)->bind(1, std::optional<std::string>{});
  EXPECT_FALSE((*again)->run());
  auto n = db->scalar_int64("SELECT count(*) FROM t WHERE b IS NULL");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
}

TEST(Database, ReportsConstraintViolationAsValue) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_FALSE(db->exec("CREATE TABLE t(a TEXT PRIMARY KEY)"));
  ASSERT_FALSE(db->exec("INSERT INTO t VALUES ('k')"));
  auto ec = db->exec("INSERT INTO t VALUES ('k')");
  EXPECT_TRUE(is_constraint(ec)) << ec.message();
  EXPECT_FALSE(is_transient(ec));
}

TEST(Transaction, RollsBackUnlessCommitted) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_FALSE(db->exec("CREATE TABLE t(a INTEGER)"));
  {
    Transaction tx(*db);
    ASSERT_FALSE(tx.begin_error());
    ASSERT_FALSE(db->exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(*db->scalar_int64("SELECT count(*) FROM t"), 0);
  {
    Transaction tx(*db);
    ASSERT_FALSE(db->exec("INSERT INTO t VALUES (1)"));
    ASSERT_FALSE(tx.commit());
  }
  EXPECT_EQ(*db->scalar_int64("SELECT count(*) FROM t"), 1);
}

TEST(Database, OpenFailsCleanlyOnMissingDirectory) {
  auto db = Database::open("/nonexistent-dir-for-patrol/x.db");
  EXPECT_FALSE(db);
}

TEST(Database, ReadOnlyConnectionCannotWrite) {
  auto dir = std::filesystem::temp_directory_path() / "patrol_sqlite_ro_test.db";
  std::filesystem::remove(dir);
  {
    auto rw = Database::open(dir.string());
    ASSERT_TRUE(rw);
    ASSERT_FALSE(rw->exec("CREATE TABLE t(a)"));
  }
  auto ro = Database::open(dir.string(), {.read_only = true});
  ASSERT_TRUE(ro);
  EXPECT_TRUE(ro->exec("INSERT INTO t VALUES (1)"));
  std::filesystem::remove(dir);
}

}  // namespace
}  // namespace patrol::sqlite
