// SqliteStore's AlertStore: acknowledging an SOS alert.
#include <string>

#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kAlertById =
    "SELECT " PATROL_ALERT_READ_COLS
    " FROM sos_alerts a JOIN users u ON u.id = a.user_id WHERE a.id = ?1";
constexpr std::string_view kAcknowledge =
    "UPDATE sos_alerts SET state = 'acknowledged', acknowledged_by = ?2, acknowledged_at = ?3 "
    "WHERE id = ?1";

}  // namespace

result<AlertStore::Acknowledged> SqliteStore::acknowledge_alert(std::string_view id,
                                                                std::string_view scope_path,
                                                                std::string_view by_user_id,
                                                                Ms at) {
  Acknowledged out;
  bool closed = false;
  auto ec = impl_->writer->write([&](Database& db) {
    out = {};
    closed = false;
    auto& s = q(db, kAlertById);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    SosAlert a = read_alert(s);
    s.reset();
    if (a.org_path.compare(0, scope_path.size(), scope_path) != 0) throw NotFound{};
    if (a.state == "closed") {
      closed = true;
      return;
    }
    if (a.state == "acknowledged") {
      out.alert = std::move(a);
      return;
    }
    auto& u = q(db, kAcknowledge);
    u.bind(1, id).bind(2, by_user_id).bind(3, at);
    run(u);
    a.state = "acknowledged";
    a.acknowledged_by = std::string(by_user_id);
    a.acknowledged_at = at;
    append_change(db, "sos", "upsert", a.id, a.org_path, to_json(a));
    out.alert = std::move(a);
    out.changed = true;
  });
  if (ec) return ec;
  if (closed) return errc::conflict;
  return out;
}

}  // namespace patrol::store
