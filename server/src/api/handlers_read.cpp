// The dashboard's read routes. Every one is limited to the caller's subtree:
// an id outside it reads as 404, an org_unit_id outside it as 403.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>

#include "api/handlers.hpp"
#include "domain/scope.hpp"
#include "patrol/wire/messages.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

template <class T>
Response page_response(const store::Page<T>& page) {
  json::array items;
  items.reserve(page.items.size());
  for (const auto& x : page.items) items.push_back(store::to_json(x));
  return json_response(200, page_json(std::move(items), page.next));
}

// A site the caller may see, or 404.
store::Site visible_site(Ctx& c, std::string_view id, std::string_view field) {
  auto s = c.svc.store().site(id);
  if (!s && s.error() != store::errc::not_found) throw_store(s.error());
  if (!s || !c.me().can_see(s->org_path))
    throw ApiError(404, "not_found", std::string(field), "no such site");
  return std::move(*s);
}

}  // namespace

Response list_sites(Ctx& c) {
  store::SiteFilter f;
  f.scope_path = scope_path(c);
  f.category = str_param(c.req, "category");
  if (f.category && !wire::is_site_category(*f.category))
    throw ApiError(400, "unknown_value", "category", "unknown site category");
  f.after = str_param(c.req, "after");
  f.limit = limit_param(c.req);
  return page_response(must(c.svc.store().sites(f)));
}

Response get_site(Ctx& c) {
  auto s = visible_site(c, c.param("id"), "id");
  if (s.deleted) throw ApiError(404, "not_found", "id", "no such site");
  return json_response(200, store::to_json(s));
}

Response list_inspections(Ctx& c) {
  store::InspectionFilter f;
  f.scope_path = scope_path(c);
  f.site_id = str_param(c.req, "site_id");
  if (f.site_id) visible_site(c, *f.site_id, "site_id");
  f.user_id = str_param(c.req, "user_id");
  f.since = time_param(c.req, "since");
  f.until = time_param(c.req, "until");
  f.after = int_param(c.req, "after", 1, std::numeric_limits<std::int64_t>::max());
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().inspections(f));
  return page_response(page);
}

Response list_hazards(Ctx& c) {
  store::HazardFilter f;
  f.scope_path = scope_path(c);
  f.state = str_param(c.req, "state");
  if (f.state && *f.state != "open" && *f.state != "assigned" && *f.state != "rectified" &&
      *f.state != "verified" && *f.state != "closed")
    throw ApiError(400, "unknown_value", "state", "unknown hazard state");
  f.site_id = str_param(c.req, "site_id");
  if (f.site_id) visible_site(c, *f.site_id, "site_id");
  f.after = str_param(c.req, "after");
  f.limit = limit_param(c.req);
  return page_response(must(c.svc.store().hazards(f)));
}

Response latest_positions(Ctx& c) {
  auto path = scope_path(c);
  auto page =
      must(c.svc.store().latest_positions(path, str_param(c.req, "after"), limit_param(c.req)));
  return page_response(page);
}

Response user_track(Ctx& c) {
  const auto& me = c.me();
  auto u = c.svc.store().user(c.param("id"));
  if (!u && u.error() != store::errc::not_found) throw_store(u.error());
  if (!u || !me.can_see(u->org_path)) throw ApiError(404, "not_found", "id", "no such user");
  // PIPL: a full track is personal data. Volunteers see only their own
  // (teammates' latest positions stay on /positions/latest for safety);
  // roles that supervise the subtree see everyone's in it (domain/roles.hpp).
  if (!domain::sees_track_of(me, u->id))
    throw ApiError(403, "forbidden", "id", "you may see only your own track");
  store::TrackFilter f;
  f.user_id = u->id;
  f.from = time_param(c.req, "from");
  if (!f.from) f.from = time_param(c.req, "since");
  f.to = time_param(c.req, "to");
  if (!f.to) f.to = time_param(c.req, "until");
  if (auto after = str_param(c.req, "after")) {
    // "<t>.<seq>" as handed out in `next`.
    auto dot = after->find('.');
    std::int64_t t = 0, seq = 0;
    const char* b = after->data();
    const char* e = b + after->size();
    bool ok = dot != std::string::npos;
    if (ok) {
      auto r1 = std::from_chars(b, b + dot, t);
      auto r2 = std::from_chars(b + dot + 1, e, seq);
      ok = r1.ec == std::errc() && r1.ptr == b + dot && r2.ec == std::errc() && r2.ptr == e;
    }
    if (!ok) throw ApiError(400, "invalid_format", "after", "use the previous page's next");
    f.after = std::make_pair(t, seq);
  }
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().track(f));
  json::object o{{"user_id", u->id}};
  json::array items;
  for (const auto& p : page.items) items.push_back(store::to_json(p));
  o["items"] = std::move(items);
  o["next"] = page.next ? json::value(*page.next) : json::value(nullptr);
  return json_response(200, o);
}

Response list_alerts(Ctx& c) {
  const auto& me = c.me();
  store::AlertFilter f;
  f.scope_path = scope_path(c);
  if (!domain::sees_all_alerts(me)) f.user_id = me.user_id;
  f.after = int_param(c.req, "after", 1, std::numeric_limits<std::int64_t>::max());
  f.limit = limit_param(c.req);
  return page_response(must(c.svc.store().alerts(f)));
}

}  // namespace patrol::api::handlers
