// Internal to the SQLite store: row readers and JSON column renderers shared
// by several use cases. Each reader's column order is stated beside it; the
// SQL selecting the columns lives in the use case's file.
//
// Thread safety: pure functions over a statement owned by the caller.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "sqlite/database.hpp"
#include "store/entities.hpp"
#include "store/page.hpp"

// The hazards columns read_hazard() expects, in order (for SELECT / RETURNING).
#define PATROL_HAZARD_COLS                                                                       \
  "id, site_id, org_unit_id, org_path, item_code, severity, state, photo_missing, occurrences, " \
  "first_found_at, last_found_at, first_inspection_id, last_inspection_id, note, updated_at"

// What read_hazard() expects: PATROL_HAZARD_COLS, then the workflow's columns
// (migration 2), which the push's insert and found-again update leave alone.
#define PATROL_HAZARD_READ_COLS \
  PATROL_HAZARD_COLS ", assignee_id, deadline, overdue, escalation, closed_at, next_check_at"

// The rounds columns read_round() expects, in order.
#define PATROL_ROUND_COLS                                                              \
  "id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, ends_at, state, " \
  "started_at, finished_at, route, sites_visited, distance_m, open_hazard_ids, updated_at"

// The inspections columns read_inspection() expects, in order.
#define PATROL_INSPECTION_COLS                                                                \
  "seq, id, op_id, site_id, org_unit_id, org_path, user_id, device_id, template_id, "         \
  "template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, accuracy_m, " \
  "note, items"

// sos_alerts a JOIN users u (read_alert).
#define PATROL_ALERT_READ_COLS                                                      \
  "a.seq, a.id, a.user_id, u.name, a.org_unit_id, a.org_path, a.raised_at, "        \
  "a.received_at, a.lat, a.lon, a.accuracy_m, a.note, a.state, a.acknowledged_by, " \
  "a.acknowledged_at"

namespace patrol::store::detail {

// id, phone, name, role, org_unit_id, org path (columns 0–5).
User read_user(sqlite::Statement& s);
// id, org_unit_id, org_path, name, leader_id (members not read).
Team read_team(sqlite::Statement& s);
// id, org_unit_id, org_path, name, category, address, lat, lon, template_id, updated_at.
Site read_site(sqlite::Statement& s);
// PATROL_HAZARD_READ_COLS.
Hazard read_hazard(sqlite::Statement& s);
// PATROL_ROUND_COLS: one mapping for the REST routes, sync/pull and the live feed.
Round read_round(sqlite::Statement& s);
// PATROL_INSPECTION_COLS.
Inspection read_inspection(sqlite::Statement& s);

// PATROL_ALERT_READ_COLS.
SosAlert read_alert(sqlite::Statement& s);
// lat, lon, accuracy_m from `lat_col`; nullopt when lat is NULL.
std::optional<GeoPoint> read_geo(sqlite::Statement& s, int lat_col);
// The inverse of items_json() (inspections.items).
std::vector<InspectionItem> read_items(std::string_view text);
// checklist_templates.items.
boost::json::value template_items_json(const std::vector<TemplateItem>& items);
std::vector<TemplateItem> read_template_items(std::string_view text);

// Ends a keyset page read with LIMIT limit + 1: when the extra row came,
// drops it and sets `next` to key(last item kept).
template <class T, class Key>
void end_page(Page<T>& page, int limit, Key key) {
  if (static_cast<int>(page.items.size()) <= limit) return;
  page.items.pop_back();
  page.next = key(page.items.back());
}

}  // namespace patrol::store::detail
