// Positions from tracking apps: POST /api/v1/trackers registers an identifier
// to the caller; GET|POST /osmand takes the Traccar Client / OsmAnd protocol
// (query or form parameters, or Traccar Client's JSON body) and stores the
// point as the tracker owner's position, through the same single writer as a
// phone's position.append op.
#include <boost/json/object.hpp>
#include <cctype>

#include "api/handlers.hpp"
#include "api/osmand.hpp"
#include "domain/clock.hpp"
#include "domain/geo.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

// Identifiers as Traccar Client makes them (digits, letters, - _ . :).
bool valid_identifier(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char ch : s)
    if (!(std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == ':')) return false;
  return true;
}

}  // namespace

Response register_tracker(Ctx& c) {
  const auto& who = c.me();
  auto body = parse_json_body(c.req);
  const auto* o = body.if_object();
  const auto* id = o ? o->if_contains("identifier") : nullptr;
  if (!id || !id->is_string())
    throw ApiError(422, "required", "identifier", "identifier (a string) is required");
  std::string ident(id->as_string());
  if (!valid_identifier(ident))
    throw ApiError(422, "invalid_format", "identifier",
                   "1 to 128 letters, digits, '-', '_', '.' or ':'");
  auto r = c.svc.live->register_tracker(ident, who.user_id, now_ms());
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "conflict", "identifier", "this identifier is registered to someone else");
  bool created = must(std::move(r));
  return json_response(created ? 201 : 200,
                       json::object{{"identifier", ident}, {"user_id", who.user_id}});
}

Response osmand(Ctx& c) {
  const store::Ms now = now_ms();
  const auto r =
      decode_osmand(c.req.query, c.req.body, c.req.header("content-type").value_or(""), now);
  const std::string_view id = r.id;
  auto owner = c.svc.live->tracker_owner(id);
  if (!owner && owner.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "unknown tracker identifier; register it first");
  auto u = must(std::move(owner));

  domain::LatLon ll{r.lat, r.lon};
  if (r.gcj02) ll = domain::gcj02_to_wgs84(ll);
  store::PositionsWrite w;
  w.user_id = u.id;
  w.device_id = "tracker:" + r.id;
  w.org_unit_id = u.org_unit_id;
  w.org_path = u.org_path;
  store::TrackPoint tp;
  tp.user_id = u.id;
  tp.t = domain::correct_device_time(r.device_ms, std::nullopt, now);
  tp.lat = ll.lat;
  tp.lon = ll.lon;
  tp.accuracy_m = r.accuracy_m;
  w.points.push_back(tp);
  store::PreparedOp op;
  op.op_id = wire::make_uuid_v7();
  op.user_id = u.id;
  op.device_id = w.device_id;
  op.type = "position.append";
  op.action = std::move(w);
  std::vector<store::PreparedOp> ops;
  ops.push_back(std::move(op));
  (void)must(c.svc.store().apply_ops(std::move(ops)));
  if (auto* obs = c.svc.observer.load()) {
    domain::Principal p;
    p.user_id = u.id;
    p.name = u.name;
    p.role = u.role;
    p.org_unit_id = store::id_string(u.org_unit_id);
    p.org_path = u.org_path;
    obs->device_active(p, now);
  }
  Response res;
  res.status = 200;
  res.content_type.clear();
  res.user_id = u.id;
  return res;
}

}  // namespace patrol::api::handlers
