// SqliteStore's AuditStore: the append-only audit_log table (migration 4,
// whose triggers refuse UPDATE and DELETE), and detail::insert_audit, which
// the other writes call to append their entry in their own transaction.
#include <limits>

#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kInsert =
    "INSERT INTO audit_log(at, actor_id, actor_role, action, object_type, object_id, org_path, "
    "device_id, address, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// Each filter is optional (NULL matches everything); newest first by seq.
constexpr std::string_view kSelect =
    "SELECT seq, at, actor_id, actor_role, action, object_type, object_id, org_path, device_id, "
    "address, details FROM audit_log WHERE (?1 IS NULL OR actor_id = ?1) "
    "AND (?2 IS NULL OR object_type = ?2) AND (?3 IS NULL OR object_id = ?3) "
    "AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5) AND seq < ?6 "
    "ORDER BY seq DESC LIMIT ?7";

}  // namespace

void detail::insert_audit(Database& db, const AuditEntry& e) {
  auto& s = q(db, kInsert);
  s.bind(1, e.at).bind(2, e.actor_id).bind(3, e.actor_role).bind(4, e.action);
  s.bind(5, e.object_type).bind(6, e.object_id).bind(7, e.org_path).bind(8, e.device_id);
  s.bind(9, e.address).bind(10, e.details.empty() ? std::string("{}") : e.details);
  run(s);
}

result<void> SqliteStore::append_audit(const AuditEntry& e) {
  auto ec = impl_->writer->write([&](Database& db) { insert_audit(db, e); });
  if (ec) return ec;
  return {};
}

result<Page<AuditEntry>> SqliteStore::audit(const AuditFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kSelect);
    s.bind(1, f.actor_id).bind(2, f.object_type).bind(3, f.object_id);
    s.bind(4, f.from).bind(5, f.to);
    s.bind(6, f.before_seq.value_or(std::numeric_limits<std::int64_t>::max()));
    s.bind(7, f.limit + 1);
    Page<AuditEntry> page;
    while (step(s)) {
      AuditEntry e;
      e.seq = s.column_int64(0);
      e.at = s.column_int64(1);
      e.actor_id = s.column_text(2);
      e.actor_role = s.column_text(3);
      e.action = s.column_text(4);
      e.object_type = s.column_text(5);
      e.object_id = s.column_text(6);
      e.org_path = s.column_text(7);
      e.device_id = s.column_text(8);
      e.address = s.column_text(9);
      e.details = s.column_text(10);
      page.items.push_back(std::move(e));
    }
    s.reset();
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().seq);
    }
    return page;
  });
}

}  // namespace patrol::store
