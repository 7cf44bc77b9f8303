// The site level of the overview (平安全景图): what one site's row of a
// village counts, and in which order the rows come. Every store feeds the
// rows it read into a SiteTally (the same decisions on SQLite and
// PostgreSQL); the SQL only narrows what it reads.
//
// A site's hazard counts mean what the node's do (found in the period; of
// those open, overdue, closed), so a village's sites add up to the village.
// `open_hazards` is the live map's badge: not closed now, whenever found;
// `overdue_hazards` those of them overdue now.
// A round counts as planning a site when it starts in the period, is not
// cancelled and has the site on its route; as visiting it when, in addition,
// an inspection or check-in of that round names the site (a track passing
// through the geofence only is not read here: that needs the track, see
// round_progress.hpp).
//
// Not thread-safe (one per read); pure otherwise. Part of patrol_domain_rules.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/overview_store.hpp"

namespace patrol::domain {

// True for the org kinds whose overview lists their sites: a village and
// what lies below it (grids). A town or the city lists its children only.
bool overview_lists_sites(std::string_view kind) noexcept;

class SiteTally {
 public:
  SiteTally(store::Ms from, store::Ms to) : from_(from), to_(to) {}

  // A site of the node (id, name, category, position; counts left zero).
  void site(store::OverviewSite s);
  // `in_period` inspections of the site observed in [from, to), and the
  // newest observed before `to` (whenever). Unknown sites are ignored.
  void inspections(std::string_view site_id, std::int64_t in_period, store::Ms last_before_to);
  // One hazard of the site, whenever found (those found after `to` and
  // closed before `from` change nothing).
  void hazard(std::string_view site_id, std::string_view state, bool overdue,
              store::Ms first_found_at);
  // One round of the node starting in [from, to), with its route.
  void round(std::string_view round_id, std::string_view state,
             const std::vector<std::string>& route);
  // An inspection or check-in of a round at a site (duplicates allowed).
  void visit(std::string_view round_id, std::string_view site_id);

  // The rows: most open hazards first, then most overdue now, then the least
  // inspected in the period, then by name (and id).
  std::vector<store::OverviewSite> take();

 private:
  store::OverviewSite* find(std::string_view site_id);

  store::Ms from_;
  store::Ms to_;
  std::vector<store::OverviewSite> sites_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, std::vector<std::string>, std::less<>> routes_;  // counted rounds
  std::set<std::pair<std::string, std::string>, std::less<>> visits_;    // (round, site)
};

}  // namespace patrol::domain
