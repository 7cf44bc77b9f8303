// PgStore::changes — sync/pull: one index range scan of the change log
// filtered by org path prefix, in one snapshot. Correct with writers on
// several nodes because seqs are numbered at commit, in commit order (see
// pg_engine.hpp): every seq below the largest visible one is visible too.
#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kChanges =
    "SELECT seq, entity, op, id, data FROM change_log WHERE seq > $1 AND ("
    "(org_path >= $2 AND org_path < $3) OR "
    "(entity IN ('org_unit', 'checklist_template') AND "
    "substr($2::text, 1, length(org_path)) = org_path)) ORDER BY seq LIMIT $4";
constexpr std::string_view kMaxSeq = "SELECT coalesce(max(seq), 0) FROM change_log";

}  // namespace

result<ChangePage> PgStore::changes(std::string_view scope_path, std::int64_t cursor, int limit) {
  return impl_->readers.read([&](Conn& c) {
    // One snapshot for the page and the log's end.
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    ChangePage page;
    auto r = c.exec(
        kChanges, Params().add(cursor).add(scope_path).add(path_upper(scope_path)).add(limit + 1));
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
      page.cursor = c.exec(kMaxSeq, Params()).int64(0, 0);
    }
    c.exec("COMMIT");
    return page;
  });
}

}  // namespace patrol::store
