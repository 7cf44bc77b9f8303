// PgStore's OverviewStore: the counts of one org node and period, each an
// indexed range over org_path (and time), as sqlite_overview.cpp.
#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kRoundsByState =
    "SELECT state, count(*) FROM rounds WHERE org_path >= $1 AND org_path < $2 "
    "AND starts_at >= $3 AND starts_at < $4 GROUP BY state";
constexpr std::string_view kSites =
    "SELECT count(*) FROM sites WHERE org_path >= $1 AND org_path < $2";
constexpr std::string_view kInspections =
    "SELECT count(*), count(DISTINCT site_id) FROM inspections WHERE org_path >= $1 "
    "AND org_path < $2 AND observed_ms >= $3 AND observed_ms < $4";
constexpr std::string_view kHazards =
    "SELECT item_code, state, overdue, first_found_at, closed_at FROM hazards "
    "WHERE org_path >= $1 AND org_path < $2 AND first_found_at >= $3 AND first_found_at < $4";

}  // namespace

result<OverviewCounts> PgStore::overview_counts(std::string_view scope_path, Ms from, Ms to) {
  return impl_->readers.read([&](Conn& c) {
    OverviewCounts out;
    std::string upper = path_upper(scope_path);
    // One snapshot for the four counts (a consistent picture under writes).
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    struct End {
      Conn& c;
      ~End() {
        try {
          c.exec("COMMIT");
        } catch (const Failure&) {
        }
      }
    } end{c};
    {
      auto r = c.exec(kRoundsByState, Params().add(scope_path).add(upper).add(from).add(to));
      for (int i = 0; i < r.rows(); ++i) out.rounds_by_state[r.text(i, 0)] = r.int64(i, 1);
    }
    out.sites = c.exec(kSites, Params().add(scope_path).add(upper)).int64(0, 0);
    {
      auto r = c.exec(kInspections, Params().add(scope_path).add(upper).add(from).add(to));
      out.inspections = r.int64(0, 0);
      out.sites_covered = r.int64(0, 1);
    }
    auto r = c.exec(kHazards, Params().add(scope_path).add(upper).add(from).add(to));
    for (int i = 0; i < r.rows(); ++i) {
      ++out.hazards_found;
      ++out.hazards_by_item[r.text(i, 0)];
      std::string state = r.text(i, 1);
      if (state == "closed") {
        ++out.hazards_closed;
        if (auto closed = r.opt_int64(i, 4))
          out.close_hours.push_back(static_cast<double>(*closed - r.int64(i, 3)) / 3.6e6);
      } else {
        ++out.hazards_open;
      }
      if (state == "verified" || state == "closed") ++out.hazards_rectified;
      if (r.boolean(i, 2)) ++out.hazards_overdue;
    }
    return out;
  });
}

}  // namespace patrol::store
