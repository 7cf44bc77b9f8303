// SqliteStore's lifecycle: open (configure, migrate, reader pool, writer and
// checkpointer threads), is_empty, ping, shutdown, run_on_writer. The use
// cases are in sqlite_<use case>.cpp.
#include "store/sqlite_store.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "store/sqlite_schema.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using boost::system::error_code;
using detail::q;
using detail::step;
using sqlite::Database;

namespace {

constexpr std::string_view kCountOrgUnits = "SELECT count(*) FROM org_units";

error_code configure_writer(Database& db, const SqliteStoreOptions& o) {
  if (auto ec = db.exec("PRAGMA journal_mode=WAL")) return ec;
  if (auto ec = db.exec("PRAGMA synchronous=FULL")) return ec;
  if (auto ec = db.exec("PRAGMA foreign_keys=ON")) return ec;
  // A large page cache keeps the hot b-tree pages of a growing database in
  // memory (the writer is the throughput limit).
  if (auto ec = db.exec("PRAGMA cache_size=-65536")) return ec;
  // Savepoint sub-journals in memory, not in temp files.
  if (auto ec = db.exec("PRAGMA temp_store=MEMORY")) return ec;
  // The checkpointer thread checkpoints on its own schedule (WAL hook, interval).
  if (auto ec = db.exec("PRAGMA wal_autocheckpoint=0")) return ec;
  return db.exec("PRAGMA journal_size_limit=" + std::to_string(o.journal_size_limit));
}

error_code migrate(Database& db) {
  auto v = db.scalar_int64("PRAGMA user_version");
  if (!v) return v.error();
  auto all = schema::migrations();
  if (*v > static_cast<std::int64_t>(all.size())) return errc::internal;  // newer schema
  if (static_cast<std::size_t>(*v) == all.size()) return {};
  // A migration may rebuild a table (SQLite cannot alter a CHECK): foreign
  // keys are off while migrations run (the pragma is a no-op inside a
  // transaction) and checked before each commit instead.
  if (auto ec = db.exec("PRAGMA foreign_keys=OFF")) return ec;
  for (std::size_t i = static_cast<std::size_t>(*v); i < all.size(); ++i) {
    sqlite::Transaction tx(db);
    if (auto ec = tx.begin_error()) return ec;
    if (auto ec = db.exec(all[i])) return ec;
    auto violations = db.scalar_int64("SELECT count(*) FROM pragma_foreign_key_check");
    if (!violations) return violations.error();
    if (*violations != 0) return errc::internal;
    if (auto ec = db.exec("PRAGMA user_version=" + std::to_string(i + 1))) return ec;
    if (auto ec = tx.commit()) return ec;
  }
  return db.exec("PRAGMA foreign_keys=ON");
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() {
  shutdown();
}

int SqliteStore::schema_version() {
  return static_cast<int>(schema::migrations().size());
}

result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& opts) {
  // No global allocation statistics: they put a process-wide mutex around
  // every SQLite malloc. Only possible before SQLite initializes; harmless
  // (SQLITE_MISUSE, ignored) when something else already used SQLite.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  auto db = Database::open(opts.db_path.string());
  if (!db)
    return from_sqlite(db.error()) == errc::internal ? errc::unavailable : from_sqlite(db.error());
  Database writer_db = std::move(*db);
  if (auto ec = configure_writer(writer_db, opts)) return from_sqlite(ec);
  if (auto ec = migrate(writer_db)) return from_sqlite(ec);
  std::size_t n = std::max<std::size_t>(1, opts.read_connections);
  for (std::size_t i = 0; i < n; ++i) {
    sqlite::OpenOptions ro;
    ro.read_only = true;
    auto r = Database::open(opts.db_path.string(), ro);
    if (!r) return from_sqlite(r.error());
    impl->readers.add(std::make_unique<Database>(std::move(*r)));
  }
  auto ck = Database::open(opts.db_path.string());
  if (!ck) return from_sqlite(ck.error());
  if (auto ec = ck->exec("PRAGMA synchronous=FULL")) return from_sqlite(ec);
  detail::CheckpointerOptions co;
  co.wal_path = opts.db_path;
  co.wal_path += "-wal";
  co.checkpoint_pages = opts.checkpoint_pages;
  co.interval = opts.checkpoint_interval;
  co.truncate_threshold = opts.wal_truncate_threshold;
  impl->checkpointer = std::make_unique<detail::SqliteCheckpointer>(std::move(*ck), co);
  detail::SqliteCheckpointer* ckpt = impl->checkpointer.get();
  impl->writer = std::make_unique<detail::SqliteWriter>(
      std::move(writer_db), opts.max_jobs_per_commit, opts.metrics,
      [ckpt, notify = opts.on_commit](int pages) {
        ckpt->on_wal_commit(pages);
        if (notify) notify();  // after the COMMIT: readers see it (the live feed tails it)
      });
  impl->writer->start();
  impl->checkpointer->start();
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

void SqliteStore::shutdown() {
  if (!impl_->writer->stop()) return;
  impl_->checkpointer->stop();
  impl_->readers.close();
  Database& db = impl_->writer->db();
  detail::reset_all(db);
  (void)sqlite3_wal_checkpoint_v2(db.native(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                  nullptr);
  db = Database();
}

error_code SqliteStore::run_on_writer(std::function<error_code(Database&)> fn) {
  auto job = std::make_unique<detail::WriteJob>();
  job->apply = [fn = std::move(fn)](Database& db, bool) { return fn(db); };
  job->exclusive = true;
  return impl_->writer->submit(std::move(job));
}

result<bool> SqliteStore::is_empty() {
  return impl_->readers.read([](Database& db) {
    auto& s = q(db, kCountOrgUnits);
    step(s);
    return s.column_int64(0) == 0;
  });
}

result<void> SqliteStore::ping() {
  if (impl_->writer->stopping()) return errc::shutting_down;
  auto r = impl_->readers.read([](Database& db) {
    auto& s = q(db, "SELECT 1");
    step(s);
    return true;
  });
  if (!r) return r.error();
  return {};
}

}  // namespace patrol::store
