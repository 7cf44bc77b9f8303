// patrol_bench_sqlite: the storage limit beside the server benchmark — the
// same inspection rows inserted straight into a SQLite file with the server's
// durability settings (WAL, synchronous=FULL), one transaction per batch, on
// one thread like the server's single writer. Prints one JSON line per batch size.
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "sqlite/database.hpp"

namespace json = boost::json;
using patrol::sqlite::Database;
using patrol::sqlite::Transaction;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE ops(op_id TEXT PRIMARY KEY, user_id TEXT, type TEXT, status TEXT, received_at TEXT);
CREATE TABLE inspections(id TEXT PRIMARY KEY, site_id TEXT, template_id TEXT, template_version INTEGER,
  user_id TEXT, observed_at TEXT, received_at TEXT, lat REAL, lon REAL, accuracy_m REAL, note TEXT);
CREATE TABLE inspection_items(inspection_id TEXT, code TEXT, result TEXT, note TEXT,
  PRIMARY KEY(inspection_id, code));
CREATE TABLE change_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT, op TEXT, id TEXT,
  org_path TEXT, data TEXT);
)sql";

double run(const std::filesystem::path& file, int batch, double seconds) {
  std::filesystem::remove(file);
  std::filesystem::remove(file.string() + "-wal");
  std::filesystem::remove(file.string() + "-shm");
  auto db = Database::open(file.string());
  if (!db || db->exec(kSchema)) throw std::runtime_error("cannot create baseline db");
  std::mt19937 rng(42);
  std::int64_t rows = 0;
  auto start = Clock::now();
  auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto now = patrol::wire::format_rfc3339(patrol::wire::now_millis(), 8 * 60);
  while (Clock::now() < until) {
    Transaction tx(*db);
    if (tx.begin_error()) throw std::runtime_error("begin failed");
    for (int i = 0; i < batch; ++i) {
      auto op_id = patrol::wire::make_uuid_v7();
      auto id = patrol::wire::make_uuid_v7();
      auto* op =
          db->cached("INSERT INTO ops VALUES(?1,'u2','inspection.create','applied',?2)").value();
      op->bind(1, op_id).bind(2, now);
      if (op->run()) throw std::runtime_error("insert failed");
      auto* ins =
          db->cached("INSERT INTO inspections VALUES(?1,'site-1','tpl-1',1,'u2',?2,?2,?3,?4,8,'')")
              .value();
      ins->bind(1, id).bind(2, now).bind(3, 28.85 + (rng() % 1000) * 1e-5).bind(4, 121.14);
      if (ins->run()) throw std::runtime_error("insert failed");
      for (int k = 0; k < 6; ++k) {
        auto* item = db->cached("INSERT INTO inspection_items VALUES(?1,?2,?3,'')").value();
        item->bind(1, id)
            .bind(2, "item_" + std::to_string(k))
            .bind(3, rng() % 20 ? "ok" : "hazard");
        if (item->run()) throw std::runtime_error("insert failed");
      }
      auto* ch = db->cached(
                       "INSERT INTO change_log(entity,op,id,org_path,data) "
                       "VALUES('inspection','upsert',?1,'/1/2/3/',?2)")
                     .value();
      ch->bind(1, id).bind(2, json::serialize(json::object{{"id", id}, {"observed_at", now}}));
      if (ch->run()) throw std::runtime_error("insert failed");
    }
    if (tx.commit()) throw std::runtime_error("commit failed");
    rows += batch;
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(rows) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  double seconds = argc > 2 ? std::stod(argv[2]) : 5;
  try {
    for (int batch : {1, 50, 1000}) {
      double rate = run(dir / "baseline.db", batch, seconds);
      std::cout << json::serialize(json::object{
                       {"bench", "sqlite_insert"}, {"batch", batch}, {"rows_per_s", rate}})
                << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "patrol_bench_sqlite: " << e.what() << "\n";
    return 1;
  }
}
