#include "store/entities.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <string_view>

#include "patrol/wire/json_text.hpp"
#include "patrol/wire/time.hpp"

namespace patrol::store {
namespace json = boost::json;

namespace {

json::value opt_num(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value opt_str(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::array str_array(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
json::value geo(const std::optional<GeoPoint>& p) {
  if (!p) return nullptr;
  return json::object{{"lat", p->lat}, {"lon", p->lon}, {"accuracy_m", opt_num(p->accuracy_m)}};
}

}  // namespace

std::string id_string(std::int64_t id) {
  return std::to_string(id);
}

// Written as text (it ran on every inspection of every push): the same bytes
// as json::serialize of [{"code","result","note"?,"photos"?},...], which the
// live feed and the REST readers splice as stored (inspection_text).
std::string items_json(const std::vector<InspectionItem>& items) {
  std::size_t room = 2;
  for (const auto& it : items)
    room += 32 + it.code.size() + it.result.size() + it.note.size() + 67 * it.photos.size();
  std::string out;
  out.reserve(room);
  out += '[';
  for (std::size_t k = 0; k < items.size(); ++k) {
    const auto& it = items[k];
    if (k != 0) out += ',';
    out += "{\"code\":";
    wire::append_json_string(out, it.code);
    out += ",\"result\":";
    wire::append_json_string(out, it.result);
    if (!it.note.empty()) {
      out += ",\"note\":";
      wire::append_json_string(out, it.note);
    }
    if (!it.photos.empty()) {
      out += ",\"photos\":[";
      for (std::size_t j = 0; j < it.photos.size(); ++j) {
        if (j != 0) out += ',';
        wire::append_json_string(out, it.photos[j]);
      }
      out += ']';
    }
    out += '}';
  }
  out += ']';
  return out;
}

std::string format_ms(Ms t) {
  return wire::format_rfc3339(wire::Millis(std::chrono::milliseconds(t)));
}

json::object to_json(const OrgUnit& o) {
  return {{"id", id_string(o.id)},
          {"parent_id", o.parent_id ? json::value(id_string(*o.parent_id)) : json::value(nullptr)},
          {"kind", o.kind},
          {"name", o.name},
          {"path", o.path}};
}

json::object to_json(const User& u) {
  return {{"id", u.id},
          {"name", u.name},
          {"role", u.role},
          {"org_unit_id", id_string(u.org_unit_id)},
          {"phone", u.phone}};
}

json::object to_json(const Team& t) {
  json::array members;
  for (const auto& m : t.members)
    members.push_back(json::object{{"user_id", m.user_id}, {"name", m.name}, {"role", m.role}});
  return {{"id", t.id},
          {"org_unit_id", id_string(t.org_unit_id)},
          {"name", t.name},
          {"leader_id", opt_str(t.leader_id)},
          {"members", std::move(members)}};
}

json::object to_json(const Site& s) {
  return {{"id", s.id},
          {"org_unit_id", id_string(s.org_unit_id)},
          {"name", s.name},
          {"category", s.category},
          {"address", s.address},
          {"lat", s.lat},
          {"lon", s.lon},
          {"template_id", s.template_id},
          {"updated_at", format_ms(s.updated_at)}};
}

json::object to_json(const Schedule& s) {
  json::array days;
  for (int d : s.weekdays) days.emplace_back(d);
  json::array ex;
  for (const auto& e : s.exceptions) {
    json::object o{{"date", e.date}, {"action", e.action}};
    if (e.start_time) o["start_time"] = *e.start_time;
    ex.push_back(std::move(o));
  }
  return {{"id", s.id},
          {"team_id", s.team_id},
          {"org_unit_id", id_string(s.org_unit_id)},
          {"name", s.name},
          {"weekdays", std::move(days)},
          {"start_time", s.start_time},
          {"duration_min", s.duration_min},
          {"tz", s.tz},
          {"route", str_array(s.route)},
          {"geofence_m", s.geofence_m},
          {"starts_on", s.starts_on},
          {"ends_on", opt_str(s.ends_on)},
          {"exceptions", std::move(ex)},
          {"updated_at", format_ms(s.updated_at)}};
}

json::object to_json(const Round& r) {
  return {{"id", r.id},
          {"schedule_id", r.schedule_id},
          {"team_id", r.team_id},
          {"org_unit_id", id_string(r.org_unit_id)},
          {"date", r.date},
          {"starts_at", format_ms(r.starts_at)},
          {"ends_at", format_ms(r.ends_at)},
          {"state", r.state},
          {"started_at", r.started_at ? json::value(format_ms(*r.started_at)) : nullptr},
          {"finished_at", r.finished_at ? json::value(format_ms(*r.finished_at)) : nullptr},
          {"route", str_array(r.route)},
          {"progress", json::object{{"sites_planned", static_cast<std::int64_t>(r.route.size())},
                                    {"sites_visited", r.sites_visited},
                                    {"distance_m", r.distance_m}}},
          {"open_hazard_ids", str_array(r.open_hazard_ids)},
          {"updated_at", format_ms(r.updated_at)}};
}

json::object to_json(const Inspection& i) {
  json::array items;
  items.reserve(i.items.size());
  for (const auto& it : i.items)
    items.push_back(json::object{{"code", it.code},
                                 {"result", it.result},
                                 {"note", it.note},
                                 {"photos", str_array(it.photos)}});
  return {{"id", i.id},
          {"op_id", i.op_id},
          {"site_id", i.site_id},
          {"org_unit_id", id_string(i.org_unit_id)},
          {"user_id", i.user_id},
          {"device_id", i.device_id},
          {"template_id", i.template_id},
          {"template_version", i.template_version},
          {"round_id", opt_str(i.round_id)},
          {"observed_at", i.observed_at},
          {"observed_at_corrected", format_ms(i.observed_ms)},
          {"received_at", format_ms(i.received_ms)},
          {"position", geo(i.position)},
          {"note", i.note},
          {"items", std::move(items)}};
}

json::object to_json(const Hazard& h) {
  return {{"id", h.id},
          {"site_id", h.site_id},
          {"org_unit_id", id_string(h.org_unit_id)},
          {"item_code", h.item_code},
          {"severity", h.severity},
          {"state", h.state},
          {"photo_missing", h.photo_missing},
          {"occurrences", h.occurrences},
          {"first_found_at", format_ms(h.first_found_at)},
          {"last_found_at", format_ms(h.last_found_at)},
          {"first_inspection_id", h.first_inspection_id},
          {"last_inspection_id", h.last_inspection_id},
          {"note", h.note},
          {"updated_at", format_ms(h.updated_at)},
          {"assignee_id", opt_str(h.assignee_id)},
          {"deadline", h.deadline ? json::value(format_ms(*h.deadline)) : nullptr},
          {"overdue", h.overdue},
          {"escalation", h.escalation},
          {"closed_at", h.closed_at ? json::value(format_ms(*h.closed_at)) : nullptr}};
}

json::object to_json(const HazardHistoryEntry& e) {
  return {{"at", format_ms(e.at)}, {"by", e.by},
          {"from", e.from},        {"to", e.to},
          {"note", e.note},        {"photos", str_array(e.photos)}};
}

json::object to_json(const TrackPoint& p) {
  return {
      {"t", format_ms(p.t)}, {"lat", p.lat}, {"lon", p.lon}, {"accuracy_m", opt_num(p.accuracy_m)}};
}

json::object to_json(const LatestPosition& p) {
  return {{"user_id", p.user_id},
          {"name", p.user_name},
          {"org_unit_id", id_string(p.org_unit_id)},
          {"t", format_ms(p.t)},
          {"lat", p.lat},
          {"lon", p.lon},
          {"accuracy_m", opt_num(p.accuracy_m)}};
}

json::object to_json(const SosAlert& a) {
  return {{"id", a.id},
          {"user_id", a.user_id},
          {"name", a.user_name},
          {"org_unit_id", id_string(a.org_unit_id)},
          {"raised_at", format_ms(a.raised_at)},
          {"received_at", format_ms(a.received_at)},
          {"position", geo(a.position)},
          {"note", a.note},
          {"state", a.state},
          {"acknowledged_by", opt_str(a.acknowledged_by)},
          {"acknowledged_at",
           a.acknowledged_at ? json::value(format_ms(*a.acknowledged_at)) : json::value(nullptr)}};
}

}  // namespace patrol::store
