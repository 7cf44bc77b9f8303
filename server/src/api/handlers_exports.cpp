// Exports for spreadsheets and GIS tools, built from the same paged store
// reads as the list routes (so scope and filters are the same):
//   inspections.csv, hazards.csv  UTF-8 with a BOM (Excel opens Chinese text
//                                 correctly only with it), RFC 4180 quoting,
//                                 CRLF; a cell starting with = + - @ gets a
//                                 leading ' (no formula injection)
//   sites.geojson, hazards.geojson  RFC 7946 FeatureCollections (WGS84 lon,lat)
//   rounds/{id}/track.gpx           GPX 1.1, one track segment per member
// At most kMaxRows rows per export (413 beyond: narrow the filter).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <map>
#include <type_traits>

#include "api/handlers.hpp"
#include "domain/scope.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxRows = 200'000;

std::string csv_cell(std::string_view v) {
  std::string s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) s = "'";
  s.append(v);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

void csv_row(std::string& out, std::initializer_list<std::string_view> cells) {
  bool first = true;
  for (auto c : cells) {
    if (!first) out += ',';
    first = false;
    out += csv_cell(c);
  }
  out += "\r\n";
}

Response file(std::string body, std::string type, std::string name) {
  Response r;
  r.body = std::move(body);
  r.content_type = std::move(type);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  return r;
}

void too_many() {
  throw ApiError(413, "too_many_rows", "", "more than 200000 rows: narrow the filter");
}

// Every page of a paged read, up to kMaxRows items.
template <class T, class Filter, class Read>
std::vector<T> all_pages(Filter f, Read read) {
  std::vector<T> out;
  f.limit = 1000;
  for (;;) {
    auto page = must(read(f));
    out.insert(out.end(), page.items.begin(), page.items.end());
    if (out.size() > kMaxRows) too_many();
    if (!page.next) break;
    if constexpr (std::is_same_v<decltype(f.after), std::optional<std::int64_t>>)
      f.after = std::stoll(*page.next);
    else
      f.after = page.next;
  }
  return out;
}

std::vector<store::Hazard> scoped_hazards(Ctx& c) {
  store::HazardFilter f;
  f.scope_path = scope_path(c);
  f.state = str_param(c.req, "state");
  return all_pages<store::Hazard>(
      f, [&](const store::HazardFilter& x) { return c.svc.store().hazards(x); });
}

json::object point(double lon, double lat) {
  return {{"type", "Point"}, {"coordinates", json::array{lon, lat}}};
}

std::string xml_escape(std::string_view s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += ch;
    }
  }
  return o;
}

}  // namespace

Response export_inspections_csv(Ctx& c) {
  store::InspectionFilter f;
  f.scope_path = scope_path(c);
  f.since = time_param(c.req, "since");
  f.until = time_param(c.req, "until");
  auto rows = all_pages<store::Inspection>(
      f, [&](const store::InspectionFilter& x) { return c.svc.store().inspections(x); });
  std::string out = "\xEF\xBB\xBF";
  csv_row(out, {"id", "observed_at", "site_id", "org_unit_id", "user_id", "round_id", "item_code",
                "result", "item_note", "photos", "lat", "lon", "note"});
  for (const auto& i : rows) {
    std::string lat = i.position ? std::to_string(i.position->lat) : "";
    std::string lon = i.position ? std::to_string(i.position->lon) : "";
    std::string org = store::id_string(i.org_unit_id);
    for (const auto& it : i.items) {
      std::string photos;
      for (const auto& p : it.photos) photos += (photos.empty() ? "" : " ") + p;
      csv_row(out, {i.id, i.observed_at, i.site_id, org, i.user_id, i.round_id.value_or(""),
                    it.code, it.result, it.note, photos, lat, lon, i.note});
    }
  }
  return file(std::move(out), "text/csv; charset=utf-8", "inspections.csv");
}

Response export_hazards_csv(Ctx& c) {
  std::string out = "\xEF\xBB\xBF";
  csv_row(out, {"id", "site_id", "org_unit_id", "item_code", "severity", "state", "occurrences",
                "first_found_at", "last_found_at", "assignee_id", "deadline", "overdue",
                "escalation", "closed_at", "note"});
  for (const auto& h : scoped_hazards(c))
    csv_row(out, {h.id, h.site_id, store::id_string(h.org_unit_id), h.item_code, h.severity,
                  h.state, std::to_string(h.occurrences), store::format_ms(h.first_found_at),
                  store::format_ms(h.last_found_at), h.assignee_id.value_or(""),
                  h.deadline ? store::format_ms(*h.deadline) : "", h.overdue ? "true" : "false",
                  h.escalation, h.closed_at ? store::format_ms(*h.closed_at) : "", h.note});
  return file(std::move(out), "text/csv; charset=utf-8", "hazards.csv");
}

Response export_sites_geojson(Ctx& c) {
  store::SiteFilter f;
  f.scope_path = scope_path(c);
  auto sites =
      all_pages<store::Site>(f, [&](const store::SiteFilter& x) { return c.svc.store().sites(x); });
  json::array features;
  for (const auto& s : sites)
    features.push_back(json::object{{"type", "Feature"},
                                    {"id", s.id},
                                    {"geometry", point(s.lon, s.lat)},
                                    {"properties", store::to_json(s)}});
  return file(json::serialize(
                  json::object{{"type", "FeatureCollection"}, {"features", std::move(features)}}),
              "application/geo+json", "sites.geojson");
}

Response export_hazards_geojson(Ctx& c) {
  auto hazards = scoped_hazards(c);
  std::map<std::string, std::optional<store::Site>> sites;
  json::array features;
  for (const auto& h : hazards) {
    auto it = sites.find(h.site_id);
    if (it == sites.end()) {
      auto s = c.svc.store().site(h.site_id);
      if (!s && s.error() != store::errc::not_found) throw_store(s.error());
      it = sites.emplace(h.site_id, s ? std::optional<store::Site>(*s) : std::nullopt).first;
    }
    if (!it->second) continue;
    features.push_back(json::object{{"type", "Feature"},
                                    {"id", h.id},
                                    {"geometry", point(it->second->lon, it->second->lat)},
                                    {"properties", store::to_json(h)}});
  }
  return file(json::serialize(
                  json::object{{"type", "FeatureCollection"}, {"features", std::move(features)}}),
              "application/geo+json", "hazards.geojson");
}

Response export_round_gpx(Ctx& c) {
  auto r = c.svc.store().round(c.param("id"));
  if (!r && r.error() != store::errc::not_found) throw_store(r.error());
  if (!r || !c.me().can_see(r->org_path)) throw ApiError(404, "not_found", "id", "no such round");
  store::Ms from = r->started_at.value_or(r->starts_at);
  store::Ms to = r->finished_at.value_or(std::max(r->ends_at, now_ms()));
  auto act = must(c.svc.store().round_activity(*r, from, to));
  std::map<std::string, std::vector<store::TrackPoint>> by_user;
  // PIPL: full tracks only of whom the caller may see (a volunteer: their
  // own), as on /users/{id}/track (domain/roles.hpp).
  for (const auto& [u, p] : act.track)
    if (domain::sees_track_of(c.me(), u)) by_user[u].push_back(p);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<gpx version=\"1.1\" creator=\"patrold\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
      "<metadata><name>" +
      xml_escape("round " + r->date) + "</name></metadata>\n";
  for (const auto& s : act.route_sites) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "<wpt lat=\"%.7f\" lon=\"%.7f\">", s.lat, s.lon);
    out += buf + std::string("<name>") + xml_escape(s.name) + "</name></wpt>\n";
  }
  for (const auto& [user, pts] : by_user) {
    out += "<trk><name>" + xml_escape(user) + "</name><trkseg>\n";
    for (const auto& p : pts) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "<trkpt lat=\"%.7f\" lon=\"%.7f\">", p.lat, p.lon);
      out += buf + std::string("<time>") + store::format_ms(p.t) + "</time></trkpt>\n";
    }
    out += "</trkseg></trk>\n";
  }
  out += "</gpx>\n";
  return file(std::move(out), "application/gpx+xml", "round-" + r->date + ".gpx");
}

}  // namespace patrol::api::handlers
