// A round's progress (sites visited, distance walked, duration, members
// present), one rule for every place that shows it: the round's detail route,
// and the progress every store writes onto the round row after a check-in,
// an inspection naming the round, or a state change (so lists, sync/pull and
// the live feed's snapshot and `round` events carry it).
//
// A route site counts as visited when an inspection or check-in of the round
// names it, or when a track point of a team member taken while the round ran
// lies within the schedule's `geofence_m` of it. Distance is the longest
// member's walk (consecutive points summed per user).
//
// Pure, thread-safe. Part of patrol_domain_rules (stores link it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/entities.hpp"
#include "store/round_store.hpp"

namespace patrol::domain {

struct SitePoint {
  std::string site_id;
  double lat = 0;
  double lon = 0;
};

struct TrackSample {
  std::string user_id;
  store::Ms t = 0;
  double lat = 0;
  double lon = 0;
};

struct RoundProgress {
  int sites_planned = 0;
  int sites_visited = 0;
  std::vector<std::string> visited;          // route order
  double distance_m = 0;                     // the longest member's walk during the round
  store::Ms duration_ms = 0;                 // started → finished (or → now while in progress)
  std::vector<std::string> members_present;  // sorted user ids seen during the round
};

// Great-circle distance in metres (haversine, mean Earth radius 6 371 008.8 m).
double haversine_m(double lat1, double lon1, double lat2, double lon2) noexcept;

// The round ran over [started_at, finished_at | max(now, started_at)]; not
// started: no track counts (visits still do). Track samples outside that
// window are ignored; the input need not be sorted. `members` adds users
// known present by other means (check-ins, inspections).
RoundProgress progress_between(std::optional<store::Ms> started_at,
                               std::optional<store::Ms> finished_at,
                               const std::vector<SitePoint>& route, double geofence_m,
                               const std::vector<std::string>& visits,
                               std::vector<TrackSample> track,
                               const std::vector<std::string>& members, store::Ms now);

// The progress of `r` from what a store read for it (RoundStore::round_activity).
RoundProgress progress_of(const store::Round& r, const store::RoundActivity& a, double geofence_m,
                          store::Ms now);

// `r` with sites_visited and distance_m set from progress_of(); what a store
// writes. True in `changed` when either differs from `r`'s.
store::Round with_progress(store::Round r, const store::RoundActivity& a, double geofence_m,
                           store::Ms now, bool* changed = nullptr);

}  // namespace patrol::domain
