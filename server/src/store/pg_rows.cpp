// Row readers shared by the PostgreSQL store's use cases.
#include <boost/json/serialize.hpp>

#include "store/pg_store_impl.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store::pg {

User read_user(const Result& r, int i) {
  User u;
  u.id = r.text(i, 0);
  u.phone = r.text(i, 1);
  u.name = r.text(i, 2);
  u.role = r.text(i, 3);
  u.org_unit_id = r.int64(i, 4);
  u.org_path = r.text(i, 5);
  return u;
}

SosAlert read_alert(const Result& r, int i) {
  SosAlert a;
  a.seq = r.int64(i, 0);
  a.id = r.text(i, 1);
  a.user_id = r.text(i, 2);
  a.user_name = r.text(i, 3);
  a.org_unit_id = r.int64(i, 4);
  a.org_path = r.text(i, 5);
  a.raised_at = r.int64(i, 6);
  a.received_at = r.int64(i, 7);
  a.position = read_geo(r, i, 8);
  a.note = r.text(i, 11);
  a.state = r.text(i, 12);
  a.acknowledged_by = r.opt_text(i, 13);
  a.acknowledged_at = r.opt_int64(i, 14);
  return a;
}

Team read_team(const Result& r, int i) {
  Team t;
  t.id = r.text(i, 0);
  t.org_unit_id = r.int64(i, 1);
  t.org_path = r.text(i, 2);
  t.name = r.text(i, 3);
  t.leader_id = r.opt_text(i, 4);
  return t;
}

Site read_site(const Result& r, int i) {
  Site x;
  x.id = r.text(i, 0);
  x.org_unit_id = r.int64(i, 1);
  x.org_path = r.text(i, 2);
  x.name = r.text(i, 3);
  x.category = r.text(i, 4);
  x.address = r.text(i, 5);
  x.lat = r.dbl(i, 6);
  x.lon = r.dbl(i, 7);
  x.template_id = r.text(i, 8);
  x.updated_at = r.int64(i, 9);
  return x;
}

Hazard read_hazard(const Result& r, int i) {
  Hazard h;
  h.id = r.text(i, 0);
  h.site_id = r.text(i, 1);
  h.org_unit_id = r.int64(i, 2);
  h.org_path = r.text(i, 3);
  h.item_code = r.text(i, 4);
  h.severity = r.text(i, 5);
  h.state = r.text(i, 6);
  h.photo_missing = r.boolean(i, 7);
  h.occurrences = r.int64(i, 8);
  h.first_found_at = r.int64(i, 9);
  h.last_found_at = r.int64(i, 10);
  h.first_inspection_id = r.text(i, 11);
  h.last_inspection_id = r.text(i, 12);
  h.note = r.text(i, 13);
  h.updated_at = r.int64(i, 14);
  h.assignee_id = r.opt_text(i, 15);
  h.deadline = r.opt_int64(i, 16);
  h.overdue = r.boolean(i, 17);
  h.escalation = r.text(i, 18);
  h.closed_at = r.opt_int64(i, 19);
  h.next_check_at = r.opt_int64(i, 20);
  return h;
}

Round read_round(const Result& r, int i) {
  Round x;
  x.id = r.text(i, 0);
  x.schedule_id = r.text(i, 1);
  x.team_id = r.text(i, 2);
  x.org_unit_id = r.int64(i, 3);
  x.org_path = r.text(i, 4);
  x.date = r.text(i, 5);
  x.starts_at = r.int64(i, 6);
  x.ends_at = r.int64(i, 7);
  x.state = r.text(i, 8);
  x.started_at = r.opt_int64(i, 9);
  x.finished_at = r.opt_int64(i, 10);
  x.route = detail::string_array(r.text_view(i, 11));
  x.sites_visited = static_cast<int>(r.int64(i, 12));
  x.distance_m = r.dbl(i, 13);
  x.open_hazard_ids = detail::string_array(r.text_view(i, 14));
  x.updated_at = r.int64(i, 15);
  return x;
}

std::optional<GeoPoint> read_geo(const Result& r, int i, int c) {
  if (r.null(i, c)) return std::nullopt;
  return GeoPoint{r.dbl(i, c), r.dbl(i, c + 1), r.opt_dbl(i, c + 2)};
}

std::string to_text(const boost::json::value& v) {
  return boost::json::serialize(v);
}

}  // namespace patrol::store::pg
