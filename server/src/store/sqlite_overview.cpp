// SqliteStore's OverviewStore: the counts of one org node and period, each an
// indexed range over org_path (and time) — no scan of other nodes' rows.
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kRoundsByState =
    "SELECT state, count(*) FROM rounds WHERE org_path >= ?1 AND org_path < ?2 "
    "AND starts_at >= ?3 AND starts_at < ?4 GROUP BY state";
constexpr std::string_view kSites =
    "SELECT count(*) FROM sites WHERE org_path >= ?1 AND org_path < ?2";
constexpr std::string_view kInspections =
    "SELECT count(*), count(DISTINCT site_id) FROM inspections WHERE org_path >= ?1 "
    "AND org_path < ?2 AND observed_ms >= ?3 AND observed_ms < ?4";
constexpr std::string_view kHazards =
    "SELECT item_code, state, overdue, first_found_at, closed_at FROM hazards "
    "WHERE org_path >= ?1 AND org_path < ?2 AND first_found_at >= ?3 AND first_found_at < ?4";

}  // namespace

result<OverviewCounts> SqliteStore::overview_counts(std::string_view scope_path, Ms from, Ms to) {
  return impl_->readers.read([&](Database& db) {
    OverviewCounts c;
    std::string upper = path_upper(scope_path);
    {
      auto& s = q(db, kRoundsByState);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s)) c.rounds_by_state[s.column_text(0)] = s.column_int64(1);
    }
    {
      auto& s = q(db, kSites);
      s.bind(1, scope_path).bind(2, upper);
      step(s);
      c.sites = s.column_int64(0);
      s.reset();
    }
    {
      auto& s = q(db, kInspections);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      step(s);
      c.inspections = s.column_int64(0);
      c.sites_covered = s.column_int64(1);
      s.reset();
    }
    {
      auto& s = q(db, kHazards);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s)) {
        ++c.hazards_found;
        ++c.hazards_by_item[s.column_text(0)];
        std::string state = s.column_text(1);
        if (state == "closed") {
          ++c.hazards_closed;
          if (auto closed = s.column_opt_int64(4))
            c.close_hours.push_back(static_cast<double>(*closed - s.column_int64(3)) / 3.6e6);
        } else {
          ++c.hazards_open;
        }
        if (state == "verified" || state == "closed") ++c.hazards_rectified;
        if (s.column_int64(2) != 0) ++c.hazards_overdue;
      }
    }
    return c;
  });
}

}  // namespace patrol::store
