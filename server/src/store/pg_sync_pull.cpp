// PgStore::changes — sync/pull: one index range scan of the change log
// filtered by org path prefix, in one snapshot. Correct with writers on
// several nodes without a lock between them: seqs are xid << kXidShift | n
// (pg_engine.hpp), not in commit order, so a page only holds seqs below the
// snapshot's horizon (pg_horizon.hpp: every transaction of this database
// below it has ended and its entries are visible); a transaction still running, or starting
// later, writes seqs above it, after any cursor handed out here. The read
// first waits for the transactions running when it was called
// (pg_horizon.hpp), so a pull returns every change committed before it.
#include "store/pg_horizon.hpp"
#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kChanges =
    "SELECT seq, entity, op, id, data FROM change_log WHERE seq > $1 AND ("
    "(org_path >= $2 AND org_path < $3) OR "
    "(entity IN ('org_unit', 'checklist_template') AND "
    "substr($2::text, 1, length(org_path)) = org_path)) AND seq < $5 ORDER BY seq LIMIT $4";
constexpr std::string_view kMaxSeq = "SELECT coalesce(max(seq), 0) FROM change_log WHERE seq < $1";

}  // namespace

result<ChangePage> PgStore::changes(std::string_view scope_path, std::int64_t cursor, int limit) {
  return impl_->readers.read([&](Conn& c) {
    // One snapshot for the page and the log's end.
    const std::int64_t below = begin_past_running(c, std::chrono::seconds(1)).xmin << kXidShift;
    ChangePage page;
    auto r = c.exec(
        kChanges,
        Params().add(cursor).add(scope_path).add(path_upper(scope_path)).add(limit + 1).add(below));
    for (int i = 0; i < r.rows(); ++i) {
      ChangeEntry e;
      e.seq = r.int64(i, 0);
      e.entity = r.text(i, 1);
      e.op = r.text(i, 2);
      e.id = r.text(i, 3);
      e.data = r.text(i, 4);
      page.changes.push_back(std::move(e));
    }
    if (static_cast<int>(page.changes.size()) > limit) {
      page.changes.pop_back();
      page.has_more = true;
      page.cursor = page.changes.back().seq;
    } else {
      // The log's end, even below `cursor` (the API then answers cursor_reset).
      page.cursor = c.exec(kMaxSeq, Params().add(below)).int64(0, 0);
    }
    c.exec("COMMIT");
    return page;
  });
}

}  // namespace patrol::store
