// PgStore's AuditStore: the append-only audit_log table (migration 4, whose
// triggers refuse UPDATE, DELETE and TRUNCATE), and pg::insert_audit, which
// the other writes call to append their entry in their own transaction (as
// sqlite_audit.cpp).
#include <limits>

#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kInsert =
    "INSERT INTO audit_log(at, actor_id, actor_role, action, object_type, object_id, org_path, "
    "device_id, address, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
// Each filter is optional (NULL matches everything); newest first by seq.
constexpr std::string_view kSelect =
    "SELECT seq, at, actor_id, actor_role, action, object_type, object_id, org_path, device_id, "
    "address, details FROM audit_log WHERE ($1::text IS NULL OR actor_id = $1::text) "
    "AND ($2::text IS NULL OR object_type = $2::text) "
    "AND ($3::text IS NULL OR object_id = $3::text) "
    "AND ($4::bigint IS NULL OR at >= $4::bigint) AND ($5::bigint IS NULL OR at < $5::bigint) "
    "AND seq < $6 ORDER BY seq DESC LIMIT $7";

}  // namespace

void pg::insert_audit(Conn& c, const AuditEntry& e) {
  Params p;
  p.add(e.at).add(e.actor_id).add(e.actor_role).add(e.action);
  p.add(e.object_type).add(e.object_id).add(e.org_path).add(e.device_id);
  p.add(e.address).add(e.details.empty() ? std::string("{}") : e.details);
  c.exec(kInsert, p);
}

result<void> PgStore::append_audit(const AuditEntry& e) {
  auto ec = impl_->writer->write([&](PgTx& tx) { insert_audit(tx.conn, e); });
  if (ec) return ec;
  return {};
}

result<Page<AuditEntry>> PgStore::audit(const AuditFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r =
        c.exec(kSelect, Params()
                            .add(f.actor_id)
                            .add(f.object_type)
                            .add(f.object_id)
                            .add(f.from)
                            .add(f.to)
                            .add(f.before_seq.value_or(std::numeric_limits<std::int64_t>::max()))
                            .add(f.limit + 1));
    Page<AuditEntry> page;
    for (int i = 0; i < r.rows(); ++i) {
      AuditEntry e;
      e.seq = r.int64(i, 0);
      e.at = r.int64(i, 1);
      e.actor_id = r.text(i, 2);
      e.actor_role = r.text(i, 3);
      e.action = r.text(i, 4);
      e.object_type = r.text(i, 5);
      e.object_id = r.text(i, 6);
      e.org_path = r.text(i, 7);
      e.device_id = r.text(i, 8);
      e.address = r.text(i, 9);
      e.details = r.text(i, 10);
      page.items.push_back(std::move(e));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().seq);
    }
    return page;
  });
}

}  // namespace patrol::store
