#include "store/sqlite_rows.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "store/sqlite_support.hpp"

namespace patrol::store::detail {
namespace json = boost::json;

User read_user(sqlite::Statement& s) {
  User u;
  u.id = s.column_text(0);
  u.phone = s.column_text(1);
  u.name = s.column_text(2);
  u.role = s.column_text(3);
  u.org_unit_id = s.column_int64(4);
  u.org_path = s.column_text(5);
  return u;
}

Team read_team(sqlite::Statement& s) {
  Team t;
  t.id = s.column_text(0);
  t.org_unit_id = s.column_int64(1);
  t.org_path = s.column_text(2);
  t.name = s.column_text(3);
  t.leader_id = s.column_opt_text(4);
  return t;
}

Site read_site(sqlite::Statement& s) {
  Site x;
  x.id = s.column_text(0);
  x.org_unit_id = s.column_int64(1);
  x.org_path = s.column_text(2);
  x.name = s.column_text(3);
  x.category = s.column_text(4);
  x.address = s.column_text(5);
  x.lat = s.column_double(6);
  x.lon = s.column_double(7);
  x.template_id = s.column_text(8);
  x.updated_at = s.column_int64(9);
  return x;
}

Hazard read_hazard(sqlite::Statement& s) {
  Hazard h;
  h.id = s.column_text(0);
  h.site_id = s.column_text(1);
  h.org_unit_id = s.column_int64(2);
  h.org_path = s.column_text(3);
  h.item_code = s.column_text(4);
  h.severity = s.column_text(5);
  h.state = s.column_text(6);
  h.photo_missing = s.column_int64(7) != 0;
  h.occurrences = s.column_int64(8);
  h.first_found_at = s.column_int64(9);
  h.last_found_at = s.column_int64(10);
  h.first_inspection_id = s.column_text(11);
  h.last_inspection_id = s.column_text(12);
  h.note = s.column_text(13);
  h.updated_at = s.column_int64(14);
  h.assignee_id = s.column_opt_text(15);
  h.deadline = s.column_opt_int64(16);
  h.overdue = s.column_int64(17) != 0;
  h.escalation = s.column_text(18);
  h.closed_at = s.column_opt_int64(19);
  h.next_check_at = s.column_opt_int64(20);
  return h;
}

Round read_round(sqlite::Statement& s) {
  Round r;
  r.id = s.column_text(0);
  r.schedule_id = s.column_text(1);
  r.team_id = s.column_text(2);
  r.org_unit_id = s.column_int64(3);
  r.org_path = s.column_text(4);
  r.date = s.column_text(5);
  r.starts_at = s.column_int64(6);
  r.ends_at = s.column_int64(7);
  r.state = s.column_text(8);
  r.started_at = s.column_opt_int64(9);
  r.finished_at = s.column_opt_int64(10);
  r.route = string_array(s.column_text_view(11));
  r.sites_visited = static_cast<int>(s.column_int64(12));
  r.distance_m = s.column_double(13);
  r.open_hazard_ids = string_array(s.column_text_view(14));
  r.updated_at = s.column_int64(15);
  return r;
}

Inspection read_inspection(sqlite::Statement& s) {
  Inspection i;
  i.seq = s.column_int64(0);
  i.id = s.column_text(1);
  i.op_id = s.column_text(2);
  i.site_id = s.column_text(3);
  i.org_unit_id = s.column_int64(4);
  i.org_path = s.column_text(5);
  i.user_id = s.column_text(6);
  i.device_id = s.column_text(7);
  i.template_id = s.column_text(8);
  i.template_version = s.column_int64(9);
  i.round_id = s.column_opt_text(10);
  i.observed_at = s.column_text(11);
  i.observed_ms = s.column_int64(12);
  i.received_ms = s.column_int64(13);
  i.position = read_geo(s, 14);
  i.note = s.column_text(17);
  i.items = read_items(s.column_text_view(18));
  return i;
}

SosAlert read_alert(sqlite::Statement& s) {
  SosAlert a;
  a.seq = s.column_int64(0);
  a.id = s.column_text(1);
  a.user_id = s.column_text(2);
  a.user_name = s.column_text(3);
  a.org_unit_id = s.column_int64(4);
  a.org_path = s.column_text(5);
  a.raised_at = s.column_int64(6);
  a.received_at = s.column_int64(7);
  a.position = read_geo(s, 8);
  a.note = s.column_text(11);
  a.state = s.column_text(12);
  a.acknowledged_by = s.column_opt_text(13);
  a.acknowledged_at = s.column_opt_int64(14);
  return a;
}

std::optional<GeoPoint> read_geo(sqlite::Statement& s, int lat_col) {
  if (s.column_is_null(lat_col)) return std::nullopt;
  return GeoPoint{s.column_double(lat_col), s.column_double(lat_col + 1),
                  s.column_opt_double(lat_col + 2)};
}

std::vector<InspectionItem> read_items(std::string_view text) {
  std::vector<InspectionItem> out;
  auto v = json::parse(text);
  const auto& a = v.as_array();
  out.reserve(a.size());
  for (const auto& e : a) {
    const auto& o = e.as_object();
    InspectionItem it;
    it.code = o.at("code").as_string();
    it.result = o.at("result").as_string();
    if (const auto* n = o.if_contains("note")) it.note = n->as_string();
    if (const auto* ph = o.if_contains("photos"))
      for (const auto& p : ph->as_array()) it.photos.emplace_back(p.as_string());
    out.push_back(std::move(it));
  }
  return out;
}

json::value template_items_json(const std::vector<TemplateItem>& items) {
  json::array a;
  for (const auto& i : items)
    a.push_back(json::object{{"code", i.code},
                             {"label_zh", i.label_zh},
                             {"label_en", i.label_en},
                             {"severity", i.severity},
                             {"photo_required", i.photo_required}});
  return a;
}

std::vector<TemplateItem> read_template_items(std::string_view text) {
  std::vector<TemplateItem> out;
  auto items = json::parse(text);
  for (const auto& v : items.as_array()) {
    const auto& o = v.as_object();
    TemplateItem it;
    it.code = o.at("code").as_string();
    it.label_zh = o.at("label_zh").as_string();
    it.label_en = o.at("label_en").as_string();
    it.severity = o.at("severity").as_string();
    it.photo_required = o.at("photo_required").as_bool();
    out.push_back(std::move(it));
  }
  return out;
}

}  // namespace patrol::store::detail
