// The OsmAnd / Traccar Client report decoder: what GET|POST /osmand says,
// whatever form it came in (query parameters, a form body, or Traccar
// Client's JSON body), checked and normalised. Pure: no store, no clock but
// the `now` it is given; fuzzed on its own (tests/fuzz/osmand_fuzz.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace patrol::api {

struct OsmandReport {
  std::string id;  // tracker identifier (`id` or `deviceid`)
  double lat = 0;  // as sent, in `crs`
  double lon = 0;
  std::int64_t device_ms = 0;  // the report's time (Unix ms), `now` when absent
  std::optional<double> accuracy_m;
  bool gcj02 = false;  // crs=gcj02: the caller converts to WGS84
};

// Decodes one report from the request's decoded query parameters and body
// (form-encoded, or JSON when `content_type` says so or the body starts with
// '{'). Throws ApiError 400 (`required` / `invalid_format`, naming the field)
// for anything missing, malformed or out of range; never anything else.
OsmandReport decode_osmand(const std::vector<std::pair<std::string, std::string>>& query,
                           std::string_view body, std::string_view content_type,
                           std::int64_t now_ms);

}  // namespace patrol::api
