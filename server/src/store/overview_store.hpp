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
  std::vector<double> close_hours;  // first_found_at → closed_at of the closed ones
};

class OverviewStore {
 public:
  virtual ~OverviewStore() = default;
  [[nodiscard]] virtual result<OverviewCounts> overview_counts(std::string_view scope_path, Ms from,
                                                               Ms to) = 0;
};

}  // namespace patrol::store
