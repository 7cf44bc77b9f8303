// SqliteStore's DashboardStore: the lists the dashboard shows, each one
// keyset-paginated and limited to an org path prefix (an index range).
#include <limits>
#include <string>

#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kInspections =
    "SELECT " PATROL_INSPECTION_COLS
    " FROM inspections WHERE org_path >= ?1 AND org_path < ?2 "
    "AND (?3 IS NULL OR site_id = ?3) AND (?4 IS NULL OR observed_ms >= ?4) "
    "AND (?5 IS NULL OR observed_ms < ?5) AND (?6 IS NULL OR seq < ?6) "
    "AND (?8 IS NULL OR user_id = ?8) ORDER BY seq DESC LIMIT ?7";
constexpr std::string_view kHazards =
    "SELECT " PATROL_HAZARD_READ_COLS
    " FROM hazards WHERE org_path >= ?1 AND org_path < ?2 AND (?3 IS NULL OR state = ?3) "
    "AND id > ?4 AND (?6 IS NULL OR site_id = ?6) ORDER BY id LIMIT ?5";
constexpr std::string_view kLatestPositions =
    "SELECT p.user_id, u.name, p.org_unit_id, p.t, p.lat, p.lon, p.accuracy_m "
    "FROM latest_positions p JOIN users u ON u.id = p.user_id "
    "WHERE p.org_path >= ?1 AND p.org_path < ?2 AND p.user_id > ?3 ORDER BY p.user_id LIMIT ?4";
constexpr std::string_view kTrack =
    "SELECT seq, user_id, t, lat, lon, accuracy_m FROM positions WHERE user_id = ?1 "
    "AND (?2 IS NULL OR t >= ?2) AND (?3 IS NULL OR t < ?3) "
    "AND (t > ?4 OR (t = ?4 AND seq > ?5)) ORDER BY t, seq LIMIT ?6";
constexpr std::string_view kAlerts =
    "SELECT " PATROL_ALERT_READ_COLS
    " FROM sos_alerts a JOIN users u ON u.id = a.user_id "
    "WHERE a.org_path >= ?1 AND a.org_path < ?2 AND (?3 IS NULL OR a.user_id = ?3) "
    "AND (?4 IS NULL OR a.seq < ?4) ORDER BY a.seq DESC LIMIT ?5";

}  // namespace

result<Page<Inspection>> SqliteStore::inspections(const InspectionFilter& f) {
  return impl_->readers.read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);
    if (tx.begin_error()) fail(tx.begin_error());
    Page<Inspection> page;
    auto& s = q(db, kInspections);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.site_id);
    s.bind(4, f.since).bind(5, f.until).bind(6, f.after).bind(7, f.limit + 1).bind(8, f.user_id);
    while (step(s)) page.items.push_back(read_inspection(s));
    s.reset();
    end_page(page, f.limit, [](const auto& x) { return std::to_string(x.seq); });
    return page;
  });
}

result<Page<Hazard>> SqliteStore::hazards(const HazardFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kHazards);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.state);
    s.bind(4, f.after.value_or("")).bind(5, f.limit + 1).bind(6, f.site_id);
    Page<Hazard> page;
    while (step(s)) page.items.push_back(read_hazard(s));
    end_page(page, f.limit, [](const auto& x) { return x.id; });
    return page;
  });
}

result<Page<LatestPosition>> SqliteStore::latest_positions(std::string_view scope_path,
                                                           std::optional<std::string> after_user,
                                                           int limit) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kLatestPositions);
    s.bind(1, scope_path).bind(2, path_upper(scope_path)).bind(3, after_user.value_or(""));
    s.bind(4, limit + 1);
    Page<LatestPosition> page;
    while (step(s)) {
      LatestPosition p;
      p.user_id = s.column_text(0);
      p.user_name = s.column_text(1);
      p.org_unit_id = s.column_int64(2);
      p.t = s.column_int64(3);
      p.lat = s.column_double(4);
      p.lon = s.column_double(5);
      p.accuracy_m = s.column_opt_double(6);
      page.items.push_back(std::move(p));
    }
    end_page(page, limit, [](const auto& x) { return x.user_id; });
    return page;
  });
}

result<Page<TrackPoint>> SqliteStore::track(const TrackFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kTrack);
    s.bind(1, f.user_id).bind(2, f.from).bind(3, f.to);
    s.bind(4, f.after ? f.after->first : std::numeric_limits<std::int64_t>::min());
    s.bind(5, f.after ? f.after->second : std::int64_t{0}).bind(6, f.limit + 1);
    Page<TrackPoint> page;
    while (step(s)) {
      TrackPoint p;
      p.seq = s.column_int64(0);
      p.user_id = s.column_text(1);
      p.t = s.column_int64(2);
      p.lat = s.column_double(3);
      p.lon = s.column_double(4);
      p.accuracy_m = s.column_opt_double(5);
      page.items.push_back(std::move(p));
    }
    end_page(page, f.limit,
             [](const auto& x) { return std::to_string(x.t) + "." + std::to_string(x.seq); });
    return page;
  });
}

result<Page<SosAlert>> SqliteStore::alerts(const AlertFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kAlerts);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.user_id);
    s.bind(4, f.after).bind(5, f.limit + 1);
    Page<SosAlert> page;
    while (step(s)) {
      SosAlert a = read_alert(s);
      page.items.push_back(std::move(a));
    }
    end_page(page, f.limit, [](const auto& x) { return std::to_string(x.seq); });
    return page;
  });
}

}  // namespace patrol::store
