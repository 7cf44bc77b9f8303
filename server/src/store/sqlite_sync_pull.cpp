// SqliteStore::changes — sync/pull: one indexed range scan of the change log
// filtered by org path prefix.
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

// Everything at or below the caller's path, plus the org units and templates
// above it (ancestors' paths are prefixes of the caller's; templates sit at "/").
constexpr std::string_view kChanges =
    "SELECT seq, entity, op, id, data FROM change_log WHERE seq > ?1 AND ("
    "(org_path >= ?2 AND org_path < ?3) OR "
    "(entity IN ('org_unit', 'checklist_template') AND substr(?2, 1, length(org_path)) = "
    "org_path)) ORDER BY seq LIMIT ?4";
constexpr std::string_view kMaxSeq = "SELECT coalesce(max(seq), 0) FROM change_log";

}  // namespace

result<ChangePage> SqliteStore::changes(std::string_view scope_path, std::int64_t cursor,
                                        int limit) {
  return impl_->readers.read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);
    if (tx.begin_error()) fail(tx.begin_error());
    ChangePage page;
    auto& s = q(db, kChanges);
    s.bind(1, cursor).bind(2, scope_path).bind(3, path_upper(scope_path)).bind(4, limit + 1);
    while (step(s)) {
      ChangeEntry c;
      c.seq = s.column_int64(0);
      c.entity = s.column_text(1);
      c.op = s.column_text(2);
      c.id = s.column_text(3);
      c.data = s.column_text(4);
      page.changes.push_back(std::move(c));
    }
    s.reset();
    if (static_cast<int>(page.changes.size()) > limit) {
      page.changes.pop_back();
      page.has_more = true;
      page.cursor = page.changes.back().seq;
    } else {
      // Nothing more in scope up to the log's end: skip past what others changed.
      auto& m = q(db, kMaxSeq);
      step(m);
      // The log's end, even when below `cursor`: a cursor beyond the end (a
      // database restored from a backup) must not be echoed back (the API
      // answers cursor_reset).
      page.cursor = m.column_int64(0);
    }
    return page;
  });
}

}  // namespace patrol::store
