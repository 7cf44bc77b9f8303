// Internal to the SQLite store: a thread with its own connection that keeps
// the WAL bounded without stalling the writer. PASSIVE when the WAL passes
// `checkpoint_pages` (reported by the writer's WAL hook through
// on_wal_commit) or every `interval` after commits; TRUNCATE (never waiting)
// when the file grows past `truncate_threshold`.
//
// Thread safety: on_wal_commit() from the writer thread; start()/stop() from
// the owner; stop() is idempotent.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sqlite/database.hpp"

namespace patrol::store::detail {

struct CheckpointerOptions {
  std::filesystem::path wal_path;
  int checkpoint_pages = 4096;
  std::chrono::milliseconds interval{1000};
  std::int64_t truncate_threshold = 32 << 20;
};

class SqliteCheckpointer {
 public:
  // `db`: a read-write connection of its own (never waits on locks: a busy
  // checkpoint is simply retried later).
  SqliteCheckpointer(sqlite::Database db, CheckpointerOptions opts);
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Starts the thread ("patrol-ckpt").
  void start();
  // Writer thread, after each commit: `pages` in the WAL.
  void on_wal_commit(int pages);
  // Joins the thread and closes the connection.
  void stop();

 private:
  void loop();
  void checkpoint();

  sqlite::Database db_;
  CheckpointerOptions opts_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::atomic<bool> dirty_{false};
};

}  // namespace patrol::store::detail
