#include "domain/round_progress.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace patrol::domain {

double haversine_m(double lat1, double lon1, double lat2, double lon2) noexcept {
  constexpr double kR = 6371008.8;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(lat1 * kRad) *
                                                           std::cos(lat2 * kRad) *
                                                           std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kR * std::asin(std::min(1.0, std::sqrt(a)));
}

RoundProgress progress_between(std::optional<store::Ms> started_at,
                               std::optional<store::Ms> finished_at,
                               const std::vector<SitePoint>& route, double geofence_m,
                               const std::vector<std::string>& visits,
                               std::vector<TrackSample> track,
                               const std::vector<std::string>& members, store::Ms now) {
  RoundProgress out;
  out.sites_planned = static_cast<int>(route.size());
  std::set<std::string> seen(visits.begin(), visits.end());
  std::set<std::string> present(members.begin(), members.end());
  if (started_at) {
    store::Ms from = *started_at;
    store::Ms to = finished_at.value_or(std::max(now, from));
    out.duration_ms = to - from;
    std::erase_if(track, [&](const TrackSample& s) { return s.t < from || s.t > to; });
    std::stable_sort(track.begin(), track.end(), [](const TrackSample& a, const TrackSample& b) {
      return a.user_id != b.user_id ? a.user_id < b.user_id : a.t < b.t;
    });
    std::map<std::string, double> walked;
    for (std::size_t i = 0; i < track.size(); ++i) {
      const auto& s = track[i];
      present.insert(s.user_id);
      if (i > 0 && track[i - 1].user_id == s.user_id)
        walked[s.user_id] += haversine_m(track[i - 1].lat, track[i - 1].lon, s.lat, s.lon);
      for (const auto& site : route)
        if (!seen.count(site.site_id) &&
            haversine_m(s.lat, s.lon, site.lat, site.lon) <= geofence_m)
          seen.insert(site.site_id);
    }
    for (const auto& [u, m] : walked) out.distance_m = std::max(out.distance_m, m);
  }
  for (const auto& site : route)
    if (seen.count(site.site_id) &&
        std::find(out.visited.begin(), out.visited.end(), site.site_id) == out.visited.end())
      out.visited.push_back(site.site_id);
  out.sites_visited = static_cast<int>(out.visited.size());
  out.members_present.assign(present.begin(), present.end());
  return out;
}

RoundProgress progress_of(const store::Round& r, const store::RoundActivity& a, double geofence_m,
                          store::Ms now) {
  std::vector<SitePoint> route;
  route.reserve(a.route_sites.size());
  for (const auto& s : a.route_sites) route.push_back({s.id, s.lat, s.lon});
  std::vector<TrackSample> track;
  track.reserve(a.track.size());
  for (const auto& [u, p] : a.track) track.push_back({u, p.t, p.lat, p.lon});
  auto p = progress_between(r.started_at, r.finished_at, route, geofence_m, a.visited_site_ids,
                            std::move(track), a.member_ids, now);
  // Planned sites are the round's route (a site deleted since still counts).
  p.sites_planned = static_cast<int>(r.route.size());
  return p;
}

store::Round with_progress(store::Round r, const store::RoundActivity& a, double geofence_m,
                           store::Ms now, bool* changed) {
  auto p = progress_of(r, a, geofence_m, now);
  bool diff = p.sites_visited != r.sites_visited || p.distance_m != r.distance_m;
  r.sites_visited = p.sites_visited;
  r.distance_m = p.distance_m;
  if (changed) *changed = diff;
  return r;
}

}  // namespace patrol::domain
