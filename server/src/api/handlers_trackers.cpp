// Positions from tracking apps: POST /api/v1/trackers registers an identifier
// to the caller; GET|POST /osmand takes the Traccar Client / OsmAnd protocol
// (query or form parameters, or Traccar Client's JSON body) and stores the
// point as the tracker owner's position, through the same single writer as a
// phone's position.append op.
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <cmath>
#include <map>

#include "api/handlers.hpp"
#include "domain/clock.hpp"
#include "domain/geo.hpp"
#include "patrol/wire/time.hpp"
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

// 2000-01-01T00:00:00Z: anything older is a device without a clock fix.
constexpr store::Ms kEarliest = 946684800000;

[[noreturn]] void bad(std::string_view field, std::string msg) {
  throw ApiError(400, "invalid_format", std::string(field), std::move(msg));
}

double number(std::string_view field, std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || !std::isfinite(v))
    bad(field, "expected a number, got '" + std::string(text.substr(0, 40)) + "'");
  return v;
}

// Unix seconds (integer or with a fraction; milliseconds when > 1e11) or RFC 3339.
store::Ms timestamp(std::string_view field, std::string_view text) {
  if (auto t = wire::parse_rfc3339(text))
    return std::chrono::duration_cast<std::chrono::milliseconds>(t->instant.time_since_epoch())
        .count();
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || !std::isfinite(v) ||
      v < 0)
    bad(field, "expected Unix seconds or an RFC 3339 time");
  return v > 1e11 ? static_cast<store::Ms>(v) : static_cast<store::Ms>(std::llround(v * 1000));
}

// What one report says, whatever form it came in (text values, as in a query).
struct Report {
  std::map<std::string, std::string, std::less<>> p;
  std::optional<std::string_view> get(std::string_view k) const {
    auto it = p.find(k);
    if (it == p.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

void add_query_form(Report& r, std::string_view text) {
  auto q = boost::urls::parse_query(text);
  if (!q) bad("body", "malformed form body");
  for (auto param : boost::urls::params_view(*q)) {
    if (param.has_value) r.p.emplace(std::string(param.key), std::string(param.value));
  }
}

std::string text_of(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

// Traccar Client's JSON: {"device_id", "location":{"timestamp", "coords":{
// "latitude","longitude","accuracy","speed","heading","altitude"},
// "battery":{"level"}}}; a flat {"id","lat","lon",…} object is taken too.
void add_json(Report& r, const json::value& body) {
  const auto* o = body.if_object();
  if (!o) bad("body", "expected a JSON object");
  for (const auto& [k, v] : *o)
    if (!v.is_object() && !v.is_array()) r.p.emplace(std::string(k), text_of(v));
  if (const auto* d = o->if_contains("device_id")) r.p.insert_or_assign("id", text_of(*d));
  const auto* loc = o->if_contains("location");
  if (!loc) return;
  if (!loc->is_object()) bad("location", "expected an object");
  const auto& l = loc->as_object();
  if (const auto* t = l.if_contains("timestamp")) r.p.insert_or_assign("timestamp", text_of(*t));
  if (const auto* c = l.if_contains("crs")) r.p.insert_or_assign("crs", text_of(*c));
  if (const auto* c = l.if_contains("coords"); c && c->is_object()) {
    static constexpr std::pair<const char*, const char*> kMap[] = {
        {"latitude", "lat"}, {"longitude", "lon"},   {"accuracy", "accuracy"},
        {"speed", "speed"},  {"heading", "bearing"}, {"altitude", "altitude"}};
    for (auto [from, to] : kMap)
      if (const auto* v = c->as_object().if_contains(from)) r.p.insert_or_assign(to, text_of(*v));
  }
  if (const auto* b = l.if_contains("battery"); b && b->is_object())
    if (const auto* lv = b->as_object().if_contains("level"))
      r.p.insert_or_assign("batt", text_of(*lv));
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
  auto r = c.svc.trackers->register_tracker(ident, who.user_id, now_ms());
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "conflict", "identifier", "this identifier is registered to someone else");
  bool created = must(std::move(r));
  return json_response(created ? 201 : 200,
                       json::object{{"identifier", ident}, {"user_id", who.user_id}});
}

Response osmand(Ctx& c) {
  Report r;
  for (const auto& [k, v] : c.req.query) r.p.emplace(k, v);
  if (!c.req.body.empty()) {
    auto ct = c.req.header("content-type").value_or("");
    if (ct.substr(0, 16) == "application/json" || (!c.req.body.empty() && c.req.body[0] == '{'))
      add_json(r, parse_json_body(c.req));
    else
      add_query_form(r, c.req.body);
  }
  auto id = r.get("id");
  if (!id) id = r.get("deviceid");
  if (!id || id->empty())
    throw ApiError(400, "required", "id", "the tracker identifier is required");
  auto lat_s = r.get("lat");
  auto lon_s = r.get("lon");
  if (!lat_s || !lon_s) {
    // Some clients send location=LAT,LON.
    if (auto loc = r.get("location")) {
      auto comma = loc->find(',');
      if (comma == std::string_view::npos) bad("location", "expected LAT,LON");
      lat_s = loc->substr(0, comma);
      lon_s = loc->substr(comma + 1);
    }
  }
  if (!lat_s) throw ApiError(400, "required", "lat", "lat is required");
  if (!lon_s) throw ApiError(400, "required", "lon", "lon is required");
  double lat = number("lat", *lat_s);
  double lon = number("lon", *lon_s);
  if (lat < -90 || lat > 90) bad("lat", "latitude must be within [-90, 90]");
  if (lon < -180 || lon > 180) bad("lon", "longitude must be within [-180, 180]");
  const store::Ms now = now_ms();
  store::Ms t = now;
  if (auto ts = r.get("timestamp")) {
    t = timestamp("timestamp", *ts);
    if (t < kEarliest) bad("timestamp", "before 2000-01-01: the device clock is not set");
  }
  std::optional<double> accuracy;
  if (auto a = r.get("accuracy")) {
    accuracy = number("accuracy", *a);
    if (*accuracy < 0) bad("accuracy", "must be >= 0");
  }
  // Checked for well-formedness (a bad value is a broken client), not stored:
  // the track keeps position and accuracy only.
  for (std::string_view f : {"speed", "bearing", "heading", "altitude", "batt", "hdop"})
    if (auto v = r.get(f)) (void)number(f, *v);
  std::string crs(r.get("crs").value_or("wgs84"));
  if (crs != "wgs84" && crs != "gcj02") bad("crs", "expected wgs84 or gcj02");

  auto owner = c.svc.trackers->tracker_owner(*id);
  if (!owner && owner.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "unknown tracker identifier; register it first");
  auto u = must(std::move(owner));

  domain::LatLon ll{lat, lon};
  if (crs == "gcj02") ll = domain::gcj02_to_wgs84(ll);
  store::PositionsWrite w;
  w.user_id = u.id;
  w.device_id = "tracker:" + std::string(*id);
  w.org_unit_id = u.org_unit_id;
  w.org_path = u.org_path;
  store::TrackPoint tp;
  tp.user_id = u.id;
  tp.t = domain::correct_device_time(t, std::nullopt, now);
  tp.lat = ll.lat;
  tp.lon = ll.lon;
  tp.accuracy_m = accuracy;
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
