#include "store/overview_tally.hpp"

namespace patrol::store {

void count_hazard(OverviewCounts& c, std::string_view item, std::string_view category,
                  std::string_view state, bool overdue, Ms found, std::optional<Ms> closed) {
  ++c.hazards_found;
  ++c.hazards_by_item[std::string(item)];
  ++c.hazards_by_category[std::string(category)];
  if (state == "closed") {
    ++c.hazards_closed;
    if (closed) c.close_hours.push_back(static_cast<double>(*closed - found) / 3.6e6);
  } else {
    ++c.hazards_open;
  }
  if (state == "verified" || state == "closed") ++c.hazards_rectified;
  if (overdue) ++c.hazards_overdue;
}

}  // namespace patrol::store
