// SqliteLiveStore: LiveStore and TrackerStore on the same SQLite file as
// SqliteStore (DATA_DIR/patrol.db). It owns a small pool of read-only
// connections of its own (the live publisher tails on one, snapshots and
// tracker look-ups on the others) and writes through the SqliteStore's single
// writer (SqliteStore::run_on_writer), so there is still one writer.
//
// Kept apart from sqlite_store.cpp on purpose: the SQL of these use cases lives
// in sqlite_live.cpp and sqlite_trackers.cpp.
//
// Thread safety: all public functions are thread-safe. The SqliteStore must
// outlive this object.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "sqlite/database.hpp"
#include "store/live_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/tracker_store.hpp"

namespace patrol::store {

class SqliteLiveStore final : public LiveStore, public TrackerStore {
 public:
  // Opens `connections` read-only connections on db_path (migrated already by
  // SqliteStore::open). Fails with unavailable when a connection cannot open.
  [[nodiscard]] static result<std::unique_ptr<SqliteLiveStore>> open(
      const std::filesystem::path& db_path, SqliteStore& writer, std::size_t connections = 3);

  result<LiveCursors> live_head() override;
  result<LiveBatch> live_tail(const LiveCursors& from, int limit) override;
  result<std::vector<Round>> live_rounds(std::string_view scope_path, Ms from, Ms to) override;
  result<bool> photo_visible(std::string_view sha256, std::string_view scope_path) override;

  result<bool> register_tracker(std::string_view identifier, std::string_view user_id,
                                Ms now) override;
  result<User> tracker_owner(std::string_view identifier) override;

  // Runs fn on a pooled read-only connection; a detail::Failure it throws
  // becomes that store error (internal to the implementation files).
  [[nodiscard]] boost::system::error_code read(const std::function<void(sqlite::Database&)>& fn);
  SqliteStore& writer() { return writer_; }

 private:
  explicit SqliteLiveStore(SqliteStore& writer) : writer_(writer) {}
  std::unique_ptr<sqlite::Database> acquire();
  void release(std::unique_ptr<sqlite::Database> db);

  SqliteStore& writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<sqlite::Database>> free_;
};

}  // namespace patrol::store
