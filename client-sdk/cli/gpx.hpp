// Reads track points from a GPX file (trkpt, rtept or wpt elements), for
// `patrolctl track --gpx`. Tolerant by design: attributes in any order, any
// namespace prefix; points without <time> get consecutive seconds ending now.
#pragma once

#include <string>
#include <vector>

#include "patrol/client.hpp"

namespace patrol::cli {

// Fails with invalid_argument when the text holds no point or a point has a
// bad lat/lon/time.
Result<std::vector<TrackPoint>> parse_gpx(const std::string& text);

}  // namespace patrol::cli
