#include "store/sqlite_checkpointer.hpp"

#include <pthread.h>
#include <system_error>
#include <utility>

namespace patrol::store::detail {

SqliteCheckpointer::SqliteCheckpointer(sqlite::Database db, CheckpointerOptions opts)
    : db_(std::move(db)), opts_(std::move(opts)) {
  sqlite3_busy_timeout(db_.native(), 0);
}

SqliteCheckpointer::~SqliteCheckpointer() {
  stop();
}

void SqliteCheckpointer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "patrol-ckpt");
    loop();
  });
}

void SqliteCheckpointer::on_wal_commit(int pages) {
  dirty_ = true;
  if (pages >= opts_.checkpoint_pages) {
    {
      std::lock_guard lk(mu_);
      wanted_ = true;
    }
    cv_.notify_one();
  }
}

void SqliteCheckpointer::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  db_ = sqlite::Database();
}

void SqliteCheckpointer::loop() {
  for (;;) {
    bool wanted;
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, opts_.interval, [&] { return wanted_ || stop_; });
      if (stop_) return;
      wanted = std::exchange(wanted_, false);
    }
    bool dirty = dirty_.exchange(false);
    if (wanted || dirty) checkpoint();
  }
}

// PASSIVE copies what no reader still needs into the database without
// blocking the writer; TRUNCATE is only tried (never waited for) when the
// WAL file has grown large, e.g. after a long reader held it.
void SqliteCheckpointer::checkpoint() {
  int log = 0, done = 0;
  sqlite3_wal_checkpoint_v2(db_.native(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  std::error_code fec;
  auto size = std::filesystem::file_size(opts_.wal_path, fec);
  if (!fec && static_cast<std::int64_t>(size) > opts_.truncate_threshold) {
    sqlite3_wal_checkpoint_v2(db_.native(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  }
}

}  // namespace patrol::store::detail
