// The OsmAnd / Traccar Client decoder (see osmand.hpp); moved out of
// handlers_trackers.cpp so it can be fuzzed without a store.
#include "api/osmand.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <cmath>
#include <map>

#include "api/api_error.hpp"
#include "patrol/wire/time.hpp"

namespace patrol::api {
namespace json = boost::json;

namespace {

// 2000-01-01T00:00:00Z: anything older is a device without a clock fix.
constexpr std::int64_t kEarliest = 946684800000;

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
std::int64_t timestamp(std::string_view field, std::string_view text) {
  if (auto t = wire::parse_rfc3339(text))
    return std::chrono::duration_cast<std::chrono::milliseconds>(t->instant.time_since_epoch())
        .count();
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  // Past year 9999 (in ms, or in s) is no clock; it would also overflow the
  // conversion to integer milliseconds.
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || !std::isfinite(v) ||
      v < 0 || v >= 253402300800000.0)
    bad(field, "expected Unix seconds or an RFC 3339 time");
  return v > 1e11 ? static_cast<std::int64_t>(v)
                  : static_cast<std::int64_t>(std::llround(v * 1000));
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

OsmandReport decode_osmand(const std::vector<std::pair<std::string, std::string>>& query,
                           std::string_view body, std::string_view content_type,
                           std::int64_t now_ms) {
  Report r;
  for (const auto& [k, v] : query) r.p.emplace(k, v);
  if (!body.empty()) {
    if (content_type.substr(0, 16) == "application/json" || body[0] == '{') {
      boost::system::error_code ec;
      auto v = json::parse(body, ec);
      if (ec) throw ApiError(400, "malformed_json", "", "request body is not valid JSON");
      add_json(r, v);
    } else {
      add_query_form(r, body);
    }
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
  std::int64_t t = now_ms;
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

  OsmandReport out;
  out.id = std::string(*id);
  out.lat = lat;
  out.lon = lon;
  out.device_ms = t;
  out.accuracy_m = accuracy;
  out.gcj02 = crs == "gcj02";
  return out;
}

}  // namespace patrol::api
