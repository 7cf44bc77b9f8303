// PgStore's AlertStore: acknowledging an SOS alert (as sqlite_alerts.cpp).
// The row is locked (FOR UPDATE) so two nodes acknowledging at once take
// turns: the first writes, the second finds it acknowledged.
#include <string>

#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kAlertById =
    "SELECT " PATROL_PG_ALERT_READ_COLS
    " FROM sos_alerts a JOIN users u ON u.id = a.user_id WHERE a.id = $1 FOR UPDATE OF a";
constexpr std::string_view kAcknowledge =
    "UPDATE sos_alerts SET state = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3 "
    "WHERE id = $1";

}  // namespace

result<AlertStore::Acknowledged> PgStore::acknowledge_alert(std::string_view id,
                                                            std::string_view scope_path,
                                                            std::string_view by_user_id, Ms at) {
  Acknowledged out;
  bool closed = false;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    out = {};
    closed = false;
    auto r = tx.conn.exec(kAlertById, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    SosAlert a = read_alert(r, 0);
    if (a.org_path.compare(0, scope_path.size(), scope_path) != 0) throw NotFound{};
    if (a.state == "closed") {
      closed = true;
      return;
    }
    if (a.state == "acknowledged") {
      out.alert = std::move(a);
      return;
    }
    tx.conn.exec(kAcknowledge, Params().add(id).add(by_user_id).add(at));
    a.state = "acknowledged";
    a.acknowledged_by = std::string(by_user_id);
    a.acknowledged_at = at;
    tx.append_change("sos", "upsert", a.id, a.org_path, to_text(to_json(a)));
    out.alert = std::move(a);
    out.changed = true;
  });
  if (ec) return ec;
  if (closed) return errc::conflict;
  return out;
}

}  // namespace patrol::store
