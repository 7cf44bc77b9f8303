// Internal to the PostgreSQL store: what every pg_<use case>.cpp reaches
// through PgStore::impl_ (readers.read for queries, writer->write for writes),
// and the row readers they share.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "patrol/wire/field_error.hpp"

#include "store/pg_engine.hpp"
#include "store/pg_listener.hpp"
#include "store/pg_store.hpp"
#include "store/pg_support.hpp"
#include "store/site_cache.hpp"

namespace patrol::store {

struct PgStore::Impl {
  PgStoreOptions opts;
  pg::PgReaders readers;
  std::unique_ptr<pg::PgWriter> writer;
  std::unique_ptr<PgChangeListener> listener;  // with opts.listen
  SiteCache sites;  // invalidated after every site/team/user write, here or on another node
  std::unique_ptr<PgChangeListener> sites_listener;  // LISTEN patrol_sites
};

namespace pg {

// Column lists the row readers expect, in order.
#define PATROL_PG_USER_COLS "u.id, u.phone, u.name, u.role, u.org_unit_id, o.path"
#define PATROL_PG_SITE_COLS \
  "id, org_unit_id, org_path, name, category, address, lat, lon, template_id, updated_at"
#define PATROL_PG_HAZARD_COLS                                                             \
  "id, site_id, org_unit_id, org_path, item_code, severity, state, photo_missing, "       \
  "occurrences, first_found_at, last_found_at, first_inspection_id, last_inspection_id, " \
  "note, updated_at"
// What read_hazard() expects: PATROL_PG_HAZARD_COLS, then the workflow's
// columns (migration 2), which the push's insert and found-again update leave alone.
#define PATROL_PG_HAZARD_READ_COLS \
  PATROL_PG_HAZARD_COLS ", assignee_id, deadline, overdue, escalation, closed_at, next_check_at"
#define PATROL_PG_ROUND_COLS                                                           \
  "id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, ends_at, state, " \
  "started_at, finished_at, route, sites_visited, distance_m, open_hazard_ids, updated_at"

// sos_alerts a JOIN users u (read_alert), as SQLite's PATROL_ALERT_READ_COLS.
#define PATROL_PG_ALERT_READ_COLS                                                   \
  "a.seq, a.id, a.user_id, u.name, a.org_unit_id, a.org_path, a.raised_at, "        \
  "a.received_at, a.lat, a.lon, a.accuracy_m, a.note, a.state, a.acknowledged_by, " \
  "a.acknowledged_at"

User read_user(const Result& r, int row);
SosAlert read_alert(const Result& r, int row);  // PATROL_PG_ALERT_READ_COLS
// Appends one audit entry in the current transaction (pg_audit.cpp).
void insert_audit(Conn& c, const AuditEntry& e);
Site read_site(const Result& r, int row);
Hazard read_hazard(const Result& r, int row);  // PATROL_PG_HAZARD_READ_COLS
Round read_round(const Result& r, int row);    // PATROL_PG_ROUND_COLS
Team read_team(const Result& r, int row);      // id, org_unit_id, org_path, name, leader_id
// The push's round and hazard ops (pg_rounds.cpp, pg_hazard_workflow.cpp),
// applied in the push's transaction: nullopt when applied, else the rejection.
std::optional<wire::FieldError> apply_round_op(PgTx& tx, const RoundOpWrite& w);
std::optional<wire::FieldError> apply_hazard_op(PgTx& tx, const HazardOpWrite& w);
// Recomputes a round's stored progress (domain::with_progress) after something
// it counts was written (an inspection naming it), locking the row; a
// change-log entry when it moved. Unknown ids are ignored.
void refresh_round_progress(PgTx& tx, std::string_view round_id, Ms now);
std::optional<GeoPoint> read_geo(const Result& r, int row, int lat_col);
std::string to_text(const boost::json::value& v);

}  // namespace pg
}  // namespace patrol::store
