// Sites administered within the caller's subtree (village admins and up):
// name, category, position, org unit, address, checklist template. Phones
// see every change as a `site` change of sync/pull (a moved site is also
// deleted at its old org unit). GET /sites and /sites/{id}: handlers_read.cpp.
#include <boost/json/object.hpp>
#include <cmath>

#include "api/admin_input.hpp"
#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "domain/demo_seed.hpp"
#include "domain/geo.hpp"
#include "patrol/wire/messages.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;
using admin::invalid;

namespace {

store::Site live_visible_site(Ctx& c) {
  auto s = c.svc.store().site(c.param("id"));
  if (!s && s.error() != store::errc::not_found) throw_store(s.error());
  if (!s || s->deleted || !c.me().can_see(s->org_path))
    throw ApiError(404, "not_found", "id", "no such site");
  return std::move(*s);
}

double coordinate(const json::value& v, const std::string& field, double limit) {
  if (!v.is_number()) invalid("invalid_type", field, "a number");
  double d = v.to_number<double>();
  if (!std::isfinite(d) || d < -limit || d > limit)
    invalid("out_of_range", field,
            "between -" + std::to_string(static_cast<int>(limit)) + " and " +
                std::to_string(static_cast<int>(limit)));
  return d;
}

// The builtin checklist template for a category (domain::builtin_templates).
std::string template_for(std::string_view category) {
  for (const auto& t : domain::builtin_templates())
    for (const auto& c : t.categories)
      if (c == category) return t.id;
  return "tpl-small-premises";
}

// Applies the fields present in `o` to `s`; `create` requires the mandatory ones.
void apply_site(Ctx& c, store::Site& s, const json::object& o, bool create) {
  if (create || o.contains("name")) s.name = admin::text(o, "name", 200);
  if (create || o.contains("category")) {
    auto cat = admin::text(o, "category", 32);
    if (!wire::is_site_category(cat)) invalid("unknown_value", "category", "unknown site category");
    if (cat != s.category && !o.contains("template_id")) s.template_id = template_for(cat);
    s.category = cat;
  }
  if (auto* a = o.if_contains("address")) {
    if (!a->is_string()) invalid("invalid_type", "address", "a string");
    s.address = a->get_string().empty() ? std::string() : admin::text(o, "address", 500);
  }
  // The position: "lat"/"lon" at the top, or "position":{"lat","lon","crs"?}
  // (GCJ-02 from a Chinese map SDK is stored as WGS84).
  const json::object* pos = &o;
  std::string prefix;
  bool gcj = false;
  if (auto* p = o.if_contains("position")) {
    if (!p->is_object()) invalid("invalid_type", "position", "an object {lat,lon,crs?}");
    pos = &p->get_object();
    prefix = "position.";
    if (auto* crs = pos->if_contains("crs")) {
      if (!crs->is_string() || (crs->get_string() != "wgs84" && crs->get_string() != "gcj02"))
        invalid("unknown_value", "position.crs", "wgs84 or gcj02");
      gcj = crs->get_string() == "gcj02";
    }
  }
  bool has_lat = pos->contains("lat"), has_lon = pos->contains("lon");
  if (create || has_lat || has_lon) {
    if (!has_lat) invalid("required", prefix + "lat", "required");
    if (!has_lon) invalid("required", prefix + "lon", "required");
    domain::LatLon p{coordinate(pos->at("lat"), prefix + "lat", 90),
                     coordinate(pos->at("lon"), prefix + "lon", 180)};
    if (gcj) p = domain::gcj02_to_wgs84(p);
    s.lat = p.lat;
    s.lon = p.lon;
  }
  if (auto* t = o.if_contains("template_id")) {
    if (!t->is_string() || t->get_string().empty())
      invalid("invalid_type", "template_id", "a template id");
    auto tpl = c.svc.store().checklist_template(t->get_string(), 1);
    if (!tpl && tpl.error() != store::errc::not_found) throw_store(tpl.error());
    if (!tpl) invalid("not_found", "template_id", "no such checklist template");
    s.template_id = std::string(t->get_string());
  }
  if (create || o.contains("org_unit_id")) {
    auto* org = o.if_contains("org_unit_id");
    if (!org) invalid("required", "org_unit_id", "required");
    auto unit = admin::visible_org(c, *org, "org_unit_id");
    s.org_unit_id = unit.id;
    s.org_path = unit.path;
  }
}

}  // namespace

// {"name","category","lat","lon" | "position":{…},"org_unit_id","address"?,"template_id"?}
Response create_site(Ctx& c) {
  admin::require_admin(c, "create sites");
  auto body = parse_json_body(c.req);
  if (!body.is_object())
    invalid("invalid_type", "", "an object {name,category,lat,lon,org_unit_id,address?}");
  store::Site s;
  s.id = wire::make_uuid_v7();
  apply_site(c, s, body.get_object(), true);
  s.updated_at = now_ms();
  must(c.svc.store().put_site(s, audit_entry(c.me(), c.req, "site.create", "site", s.id, s.org_path,
                                             {{"category", s.category}})));
  return json_response(201, store::to_json(s));
}

Response put_site(Ctx& c) {
  admin::require_admin(c, "edit sites");
  auto s = live_visible_site(c);
  auto body = parse_json_body(c.req);
  if (!body.is_object()) invalid("invalid_type", "", "an object");
  const auto before_path = s.org_path;
  apply_site(c, s, body.get_object(), false);
  s.updated_at = now_ms();
  json::array fields;
  for (const auto& kv : body.get_object()) fields.push_back(json::string(kv.key()));
  json::object details{{"fields", std::move(fields)}};
  if (before_path != s.org_path) details["moved_from"] = before_path;
  auto r = c.svc.store().put_site(
      s, audit_entry(c.me(), c.req, "site.update", "site", s.id, s.org_path, details));
  if (!r && r.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "no such site");
  must(std::move(r));
  return json_response(200, store::to_json(s));
}

Response delete_site(Ctx& c) {
  admin::require_admin(c, "delete sites");
  auto s = live_visible_site(c);
  auto r = c.svc.store().delete_site(
      s.id, now_ms(), audit_entry(c.me(), c.req, "site.delete", "site", s.id, s.org_path));
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "in_use", "id",
                   "a schedule's route still names this site: take it off the route first");
  if (!r && r.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "no such site");
  must(std::move(r));
  return no_content();
}

}  // namespace patrol::api::handlers
