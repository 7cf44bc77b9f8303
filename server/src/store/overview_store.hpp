// patrol::store::OverviewStore — the counts behind the overview (平安全景图)
// of one org node and period. Rates and medians are computed from them in
// domain/overview_math.hpp.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <map>
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
};

}  // namespace patrol::store
