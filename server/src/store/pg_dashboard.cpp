// PgStore's DashboardStore: the lists the dashboard shows, keyset-paginated
// and limited to an org path prefix (an index range), as sqlite_dashboard.cpp.
#include <limits>
#include <string>

#include "store/pg_store_impl.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kInspections =
    "SELECT seq, id, op_id, site_id, org_unit_id, org_path, user_id, device_id, template_id, "
    "template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, accuracy_m, "
    "note, items FROM inspections WHERE org_path >= $1 AND org_path < $2 "
    "AND ($3::text IS NULL OR site_id = $3::text) AND ($4::bigint IS NULL OR observed_ms >= "
    "$4::bigint) AND ($5::bigint IS NULL OR observed_ms < $5::bigint) "
    "AND ($6::bigint IS NULL OR seq < $6::bigint) "
    "AND ($8::text IS NULL OR user_id = $8::text) ORDER BY seq DESC LIMIT $7";
constexpr std::string_view kHazards =
    "SELECT " PATROL_PG_HAZARD_READ_COLS
    " FROM hazards WHERE org_path >= $1 AND org_path < $2 "
    "AND ($3::text IS NULL OR state = $3::text) AND id > $4 "
    "AND ($6::text IS NULL OR site_id = $6::text) ORDER BY id LIMIT $5";
constexpr std::string_view kLatestPositions =
    "SELECT p.user_id, u.name, p.org_unit_id, p.t, p.lat, p.lon, p.accuracy_m "
    "FROM latest_positions p JOIN users u ON u.id = p.user_id "
    "WHERE p.org_path >= $1 AND p.org_path < $2 AND p.user_id > $3 ORDER BY p.user_id LIMIT $4";
constexpr std::string_view kTrack =
    "SELECT seq, user_id, t, lat, lon, accuracy_m FROM positions WHERE user_id = $1 "
    "AND ($2::bigint IS NULL OR t >= $2::bigint) AND ($3::bigint IS NULL OR t < $3::bigint) "
    "AND (t > $4 OR (t = $4 AND seq > $5)) ORDER BY t, seq LIMIT $6";
constexpr std::string_view kAlerts =
    "SELECT " PATROL_PG_ALERT_READ_COLS
    " FROM sos_alerts a JOIN users u ON u.id = a.user_id "
    "WHERE a.org_path >= $1 AND a.org_path < $2 AND ($3::text IS NULL OR a.user_id = $3::text) "
    "AND ($4::bigint IS NULL OR a.seq < $4::bigint) ORDER BY a.seq DESC LIMIT $5";

}  // namespace

result<Page<Inspection>> PgStore::inspections(const InspectionFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kInspections, Params()
                                      .add(f.scope_path)
                                      .add(path_upper(f.scope_path))
                                      .add(f.site_id)
                                      .add(f.since)
                                      .add(f.until)
                                      .add(f.after)
                                      .add(f.limit + 1)
                                      .add(f.user_id));
    Page<Inspection> page;
    for (int k = 0; k < r.rows(); ++k) {
      Inspection i;
      i.seq = r.int64(k, 0);
      i.id = r.text(k, 1);
      i.op_id = r.text(k, 2);
      i.site_id = r.text(k, 3);
      i.org_unit_id = r.int64(k, 4);
      i.org_path = r.text(k, 5);
      i.user_id = r.text(k, 6);
      i.device_id = r.text(k, 7);
      i.template_id = r.text(k, 8);
      i.template_version = r.int64(k, 9);
      i.round_id = r.opt_text(k, 10);
      i.observed_at = r.text(k, 11);
      i.observed_ms = r.int64(k, 12);
      i.received_ms = r.int64(k, 13);
      i.position = read_geo(r, k, 14);
      i.note = r.text(k, 17);
      i.items = detail::read_items(r.text_view(k, 18));
      page.items.push_back(std::move(i));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().seq);
    }
    return page;
  });
}

result<Page<Hazard>> PgStore::hazards(const HazardFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kHazards, Params()
                                  .add(f.scope_path)
                                  .add(path_upper(f.scope_path))
                                  .add(f.state)
                                  .add(f.after.value_or(""))
                                  .add(f.limit + 1)
                                  .add(f.site_id));
    Page<Hazard> page;
    for (int i = 0; i < r.rows(); ++i) page.items.push_back(read_hazard(r, i));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    return page;
  });
}

result<Page<LatestPosition>> PgStore::latest_positions(std::string_view scope_path,
                                                       std::optional<std::string> after_user,
                                                       int limit) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kLatestPositions, Params()
                                          .add(scope_path)
                                          .add(path_upper(scope_path))
                                          .add(after_user.value_or(""))
                                          .add(limit + 1));
    Page<LatestPosition> page;
    for (int i = 0; i < r.rows(); ++i) {
      LatestPosition p;
      p.user_id = r.text(i, 0);
      p.user_name = r.text(i, 1);
      p.org_unit_id = r.int64(i, 2);
      p.t = r.int64(i, 3);
      p.lat = r.dbl(i, 4);
      p.lon = r.dbl(i, 5);
      p.accuracy_m = r.opt_dbl(i, 6);
      page.items.push_back(std::move(p));
    }
    if (static_cast<int>(page.items.size()) > limit) {
      page.items.pop_back();
      page.next = page.items.back().user_id;
    }
    return page;
  });
}

result<Page<TrackPoint>> PgStore::track(const TrackFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r =
        c.exec(kTrack, Params()
                           .add(f.user_id)
                           .add(f.from)
                           .add(f.to)
                           .add(f.after ? f.after->first : std::numeric_limits<std::int64_t>::min())
                           .add(f.after ? f.after->second : std::int64_t{0})
                           .add(f.limit + 1));
    Page<TrackPoint> page;
    for (int i = 0; i < r.rows(); ++i) {
      TrackPoint p;
      p.seq = r.int64(i, 0);
      p.user_id = r.text(i, 1);
      p.t = r.int64(i, 2);
      p.lat = r.dbl(i, 3);
      p.lon = r.dbl(i, 4);
      p.accuracy_m = r.opt_dbl(i, 5);
      page.items.push_back(std::move(p));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().t) + "." + std::to_string(page.items.back().seq);
    }
    return page;
  });
}

result<Page<SosAlert>> PgStore::alerts(const AlertFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kAlerts, Params()
                                 .add(f.scope_path)
                                 .add(path_upper(f.scope_path))
                                 .add(f.user_id)
                                 .add(f.after)
                                 .add(f.limit + 1));
    Page<SosAlert> page;
    for (int i = 0; i < r.rows(); ++i) {
      page.items.push_back(read_alert(r, i));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().seq);
    }
    return page;
  });
}

}  // namespace patrol::store
