// patrol::store::OverviewStore — the counts behind the overview (平安全景图)
// of one org node and period. Rates and medians are computed from them in
// domain/overview_math.hpp.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

// One week of the trend: rounds starting in it by outcome, inspections
// observed in it, hazards first found in it, hazards closed in it (whenever
// found). Only what falls inside the overview's period counts.
struct OverviewWeek {
  Ms week_start = 0;
  std::int64_t rounds_completed = 0;
  std::int64_t rounds_missed = 0;
  std::int64_t inspections = 0;
  std::int64_t hazards_found = 0;
  std::int64_t hazards_closed = 0;
};

struct OverviewCounts {
  std::map<std::string, std::int64_t> rounds_by_state;  // rounds starting in [from, to)
  std::int64_t sites = 0;                               // sites of the node now
  std::int64_t sites_covered = 0;                       // distinct sites inspected in [from, to)
  std::int64_t inspections = 0;                         // observed in [from, to)
  std::int64_t hazards_found = 0;                       // first found in [from, to)
  std::int64_t hazards_open = 0;                        // of those, not closed
  std::int64_t hazards_overdue = 0;                     // of those, overdue
  std::int64_t hazards_closed = 0;                      // of those, closed
  std::int64_t hazards_rectified = 0;                   // of those, verified or closed
  std::map<std::string, std::int64_t> hazards_by_item;
  std::map<std::string, std::int64_t> hazards_by_category;  // the site's category
  std::vector<double> close_hours;   // first_found_at → closed_at of the closed ones
  std::vector<OverviewWeek> weekly;  // overview_tree's node only: one per week start
};

// A node's counts and each child's, from one pass over the node's subtree.
struct OverviewTree {
  OverviewCounts node;                   // with `weekly`
  std::vector<OverviewCounts> children;  // in the order of `child_paths`, without `weekly`
};

// One site of a village: the drill-down's last level (city → town → village
// → site). Counted by domain/site_overview.hpp's SiteTally from the rows a
// store reads; the hazard counts mean what OverviewCounts' do, so a village's
// sites add up to the village.
struct OverviewSite {
  std::string id;
  std::string name;
  std::string category;
  double lat = 0;
  double lon = 0;
  std::int64_t inspections = 0;         // observed in [from, to)
  std::optional<Ms> last_inspected_at;  // the newest observed before `to`, whenever
  std::int64_t hazards_found = 0;       // first found in [from, to)
  std::int64_t hazards_open = 0;        // of those, not closed
  std::int64_t hazards_overdue = 0;     // of those, overdue
  std::int64_t hazards_closed = 0;      // of those, closed
  std::int64_t open_hazards = 0;        // not closed now, whenever found (the live map's badge)
  std::int64_t overdue_hazards = 0;     // of those, overdue now
  std::int64_t rounds_planned = 0;      // rounds starting in [from, to), not cancelled, routed here
  std::int64_t rounds_visited = 0;      // of those, with an inspection or check-in here
};

class OverviewStore {
 public:
  virtual ~OverviewStore() = default;
  // The counts of one node for [from, to) (weekly left empty).
  [[nodiscard]] virtual result<OverviewCounts> overview_counts(std::string_view scope_path, Ms from,
                                                               Ms to) = 0;
  // The counts of the node at `scope_path` and of each of `child_paths` (its
  // children's paths, each below it) for [from, to), with the node's weekly
  // trend over `week_starts` (ascending; week i is [week_starts[i],
  // week_starts[i+1]), the last ends at `to`). Each child's numbers equal
  // overview_counts() of that child; the node's those of the node.
  [[nodiscard]] virtual result<OverviewTree> overview_tree(
      std::string_view scope_path, const std::vector<std::string>& child_paths, Ms from, Ms to,
      const std::vector<Ms>& week_starts) = 0;
  // The sites (not deleted) of the subtree at `scope_path` (a village) with
  // their numbers for [from, to), in domain::SiteTally's order (most open
  // hazards first). Reads only that subtree's rows (indexed by org_path), in
  // one snapshot.
  [[nodiscard]] virtual result<std::vector<OverviewSite>> overview_sites(
      std::string_view scope_path, Ms from, Ms to) = 0;
};

}  // namespace patrol::store
