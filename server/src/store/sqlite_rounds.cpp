// SqliteStore's RoundStore: schedules, the rounds planned from them, check-ins.

#include "domain/round_progress.hpp"
#include "store/schedule_columns.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"
#include "store/sqlite_workflow.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

#define PATROL_SCHEDULE_COLS                                                           \
  "id, team_id, org_unit_id, org_path, name, weekdays, start_time, duration_min, tz, " \
  "route, geofence_m, starts_on, ends_on, exceptions, updated_at"

constexpr std::string_view kSchedule =
    "SELECT " PATROL_SCHEDULE_COLS " FROM schedules WHERE id = ?1 AND deleted = 0";
constexpr std::string_view kSchedules =
    "SELECT " PATROL_SCHEDULE_COLS
    " FROM schedules WHERE deleted = 0 AND org_path >= ?1 AND org_path < ?2 "
    "AND (?3 IS NULL OR team_id = ?3) AND id > ?4 ORDER BY id LIMIT ?5";
constexpr std::string_view kAllSchedules =
    "SELECT " PATROL_SCHEDULE_COLS " FROM schedules WHERE deleted = 0 ORDER BY id";
constexpr std::string_view kUpsertSchedule =
    "INSERT INTO schedules(id, team_id, org_unit_id, org_path, name, weekdays, start_time, "
    "duration_min, tz, route, geofence_m, starts_on, ends_on, exceptions, updated_at, deleted) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0) "
    "ON CONFLICT(id) DO UPDATE SET team_id = excluded.team_id, org_unit_id = "
    "excluded.org_unit_id, org_path = excluded.org_path, name = excluded.name, weekdays = "
    "excluded.weekdays, start_time = excluded.start_time, duration_min = excluded.duration_min, "
    "tz = excluded.tz, route = excluded.route, geofence_m = excluded.geofence_m, starts_on = "
    "excluded.starts_on, ends_on = excluded.ends_on, exceptions = excluded.exceptions, "
    "updated_at = excluded.updated_at, deleted = 0";
constexpr std::string_view kTeam =
    "SELECT id, org_unit_id, org_path, name, leader_id FROM teams WHERE id = ?1 AND deleted = 0";
constexpr std::string_view kDeleteSchedule =
    "UPDATE schedules SET deleted = 1, updated_at = ?2 WHERE id = ?1 AND deleted = 0 "
    "RETURNING org_path";

}  // namespace

namespace {

constexpr std::string_view kRoundById = "SELECT " PATROL_ROUND_COLS " FROM rounds WHERE id = ?1";
constexpr std::string_view kRounds =
    "SELECT " PATROL_ROUND_COLS
    " FROM rounds WHERE org_path >= ?1 AND org_path < ?2 AND (?3 IS NULL OR team_id = ?3) "
    "AND (?4 IS NULL OR starts_at >= ?4) AND (?5 IS NULL OR starts_at < ?5) "
    "AND (?6 IS NULL OR state = ?6) AND (starts_at > ?7 OR (starts_at = ?7 AND id > ?8)) "
    "ORDER BY starts_at, id LIMIT ?9";
constexpr std::string_view kScheduleRoundsInWindow =
    "SELECT " PATROL_ROUND_COLS
    " FROM rounds WHERE schedule_id = ?1 AND starts_at < ?3 AND ends_at > ?2 "
    "AND state IN ('planned','cancelled')";
constexpr std::string_view kScheduleOpenRounds =
    "SELECT id, org_path FROM rounds WHERE schedule_id = ?1 AND state IN ('planned','cancelled')";
constexpr std::string_view kInsertRound =
    "INSERT INTO rounds(" PATROL_ROUND_COLS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
    "ON CONFLICT(id) DO NOTHING";
constexpr std::string_view kUpdateRound =
    "UPDATE rounds SET starts_at = ?2, ends_at = ?3, state = ?4, started_at = ?5, "
    "finished_at = ?6, route = ?7, sites_visited = ?8, distance_m = ?9, open_hazard_ids = ?10, "
    "updated_at = ?11 WHERE id = ?1";
constexpr std::string_view kDeleteRound = "DELETE FROM rounds WHERE id = ?1";
constexpr std::string_view kRoundExists = "SELECT 1 FROM rounds WHERE id = ?1";
constexpr std::string_view kPlannedBefore =
    "SELECT " PATROL_ROUND_COLS
    " FROM rounds WHERE state = 'planned' AND starts_at <= ?1 ORDER BY starts_at LIMIT ?2";
constexpr std::string_view kEarliestPlanned =
    "SELECT min(starts_at) FROM rounds WHERE state = 'planned'";
constexpr std::string_view kOpenHazardsAtSites =
    "SELECT h.id FROM hazards h JOIN json_each(?1) r ON h.site_id = r.value "
    "WHERE h.state <> 'closed' ORDER BY h.id";
constexpr std::string_view kRouteSites =
    "SELECT s.id, s.org_unit_id, s.org_path, s.name, s.category, s.address, s.lat, s.lon, "
    "s.template_id, s.updated_at FROM json_each(?1) r JOIN sites s ON s.id = r.value "
    "ORDER BY r.key";
constexpr std::string_view kVisits =
    "SELECT site_id, user_id FROM round_checkins WHERE round_id = ?1 "
    "UNION SELECT site_id, user_id FROM inspections WHERE round_id = ?1";
constexpr std::string_view kTeamTrack =
    "SELECT p.user_id, p.seq, p.t, p.lat, p.lon, p.accuracy_m FROM team_members m "
    "JOIN positions p ON p.user_id = m.user_id AND p.t >= ?2 AND p.t <= ?3 "
    "WHERE m.team_id = ?1 ORDER BY p.user_id, p.t, p.seq";
constexpr std::string_view kGeofence = "SELECT geofence_m FROM schedules WHERE id = ?1";
constexpr std::string_view kCheckin =
    "INSERT INTO round_checkins(round_id, site_id, user_id, at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT DO UPDATE SET at = min(at, excluded.at)";

Schedule read_schedule(sqlite::Statement& s) {
  Schedule x;
  x.id = s.column_text(0);
  x.team_id = s.column_text(1);
  x.org_unit_id = s.column_int64(2);
  x.org_path = s.column_text(3);
  x.name = s.column_text(4);
  x.weekdays = parse_weekdays(s.column_text_view(5));
  x.start_time = s.column_text(6);
  x.duration_min = static_cast<int>(s.column_int64(7));
  x.tz = s.column_text(8);
  x.route = string_array(s.column_text_view(9));
  x.geofence_m = s.column_double(10);
  x.starts_on = s.column_text(11);
  x.ends_on = s.column_opt_text(12);
  x.exceptions = parse_exceptions(s.column_text_view(13));
  x.updated_at = s.column_int64(14);
  return x;
}

std::vector<std::string> open_hazards_at(Database& db, const std::vector<std::string>& route) {
  auto& s = q(db, kOpenHazardsAtSites);
  s.bind(1, json_strings(route));
  std::vector<std::string> out;
  while (step(s)) out.push_back(s.column_text(0));
  return out;
}

void insert_round(Database& db, const Round& r) {
  auto& s = q(db, kInsertRound);
  s.bind(1, r.id).bind(2, r.schedule_id).bind(3, r.team_id).bind(4, r.org_unit_id);
  s.bind(5, r.org_path).bind(6, r.date).bind(7, r.starts_at).bind(8, r.ends_at).bind(9, r.state);
  s.bind(10, r.started_at).bind(11, r.finished_at).bind(12, json_strings(r.route));
  s.bind(13, r.sites_visited).bind(14, r.distance_m).bind(15, json_strings(r.open_hazard_ids));
  s.bind(16, r.updated_at);
  run(s);
}

void write_round(Database& db, const Round& r) {
  auto& s = q(db, kUpdateRound);
  s.bind(1, r.id).bind(2, r.starts_at).bind(3, r.ends_at).bind(4, r.state);
  s.bind(5, r.started_at).bind(6, r.finished_at).bind(7, json_strings(r.route));
  s.bind(8, r.sites_visited).bind(9, r.distance_m).bind(10, json_strings(r.open_hazard_ids));
  s.bind(11, r.updated_at);
  run(s);
}

std::optional<Round> round_by_id(Database& db, std::string_view id) {
  auto& s = q(db, kRoundById);
  s.bind(1, id);
  if (!step(s)) return std::nullopt;
  return read_round(s);
}

RoundActivity read_activity(Database& db, const Round& round, Ms from, Ms to) {
  RoundActivity a;
  {
    auto& s = q(db, kRouteSites);
    s.bind(1, json_strings(round.route));
    while (step(s)) a.route_sites.push_back(read_site(s));
  }
  {
    auto& s = q(db, kVisits);
    s.bind(1, round.id);
    while (step(s)) {
      a.visited_site_ids.push_back(s.column_text(0));
      a.member_ids.push_back(s.column_text(1));
    }
  }
  {
    auto& s = q(db, kTeamTrack);
    s.bind(1, round.team_id).bind(2, from).bind(3, to);
    while (step(s)) {
      TrackPoint p;
      p.user_id = s.column_text(0);
      p.seq = s.column_int64(1);
      p.t = s.column_int64(2);
      p.lat = s.column_double(3);
      p.lon = s.column_double(4);
      p.accuracy_m = s.column_opt_double(5);
      a.track.emplace_back(p.user_id, std::move(p));
    }
  }
  return a;
}

// `r` with its progress as domain::with_progress computes it now (the team's
// track only while the round ran). True in `changed` when it moved.
Round with_current_progress(Database& db, const Round& r, Ms now, bool& changed) {
  double geofence = 50;
  {
    auto& g = q(db, kGeofence);
    g.bind(1, r.schedule_id);
    if (step(g)) geofence = g.column_double(0);
    g.reset();
  }
  RoundActivity a;
  if (r.started_at) {
    Ms to = r.finished_at.value_or(std::max(now, *r.started_at));
    a = read_activity(db, r, *r.started_at, to);
  } else {
    a = read_activity(db, r, 0, -1);  // no track before the start
  }
  return domain::with_progress(r, a, geofence, now, &changed);
}

}  // namespace

namespace detail {
std::optional<wire::FieldError> apply_round_op(Database& db, const RoundOpWrite& w) {
  auto cur = round_by_id(db, w.round_id);
  if (!cur) return wire::FieldError{"not_found", "body.round_id", "no such round"};
  auto d = w.decide(*cur);
  if (!d) return d.error();
  if (w.checkin_site_id) {
    auto& s = q(db, kCheckin);
    s.bind(1, w.round_id).bind(2, *w.checkin_site_id).bind(3, w.user_id).bind(4, w.at);
    run(s);
  }
  bool decided = d->has_value();
  Round next = decided ? **d : *cur;
  bool progressed = false;
  Ms now = now_ms();
  next = with_current_progress(db, next, now, progressed);
  if (decided || progressed) {
    if (!decided) next.updated_at = now;
    write_round(db, next);
    append_change(db, "round", "upsert", next.id, next.org_path, to_json(next));
  }
  return std::nullopt;
}

void refresh_round_progress(Database& db, std::string_view round_id, Ms now) {
  auto cur = round_by_id(db, round_id);
  if (!cur) return;
  bool progressed = false;
  Round next = with_current_progress(db, *cur, now, progressed);
  if (!progressed) return;
  next.updated_at = now;
  write_round(db, next);
  append_change(db, "round", "upsert", next.id, next.org_path, to_json(next));
}
}  // namespace detail

result<Round> SqliteStore::round(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto r = round_by_id(db, id);
    if (!r) throw NotFound{};
    return *r;
  });
}

result<Team> SqliteStore::team(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kTeam);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    return read_team(s);
  });
}

result<Schedule> SqliteStore::schedule(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kSchedule);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    return read_schedule(s);
  });
}

result<Page<Schedule>> SqliteStore::schedules(const ScheduleFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kSchedules);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.team_id);
    s.bind(4, f.after.value_or("")).bind(5, f.limit + 1);
    Page<Schedule> page;
    while (step(s)) page.items.push_back(read_schedule(s));
    end_page(page, f.limit, [](const auto& x) { return x.id; });
    return page;
  });
}

result<std::vector<Schedule>> SqliteStore::all_schedules() {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kAllSchedules);
    std::vector<Schedule> out;
    while (step(s)) out.push_back(read_schedule(s));
    return out;
  });
}

result<void> SqliteStore::put_schedule(const Schedule& x, const std::vector<Round>& plan,
                                       Ms plan_from, Ms plan_to,
                                       const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](Database& db) {
    auto& s = q(db, kUpsertSchedule);
    s.bind(1, x.id).bind(2, x.team_id).bind(3, x.org_unit_id).bind(4, x.org_path);
    s.bind(5, x.name).bind(6, weekdays_json(x.weekdays)).bind(7, x.start_time);
    s.bind(8, x.duration_min).bind(9, x.tz).bind(10, json_strings(x.route));
    s.bind(11, x.geofence_m).bind(12, x.starts_on).bind(13, x.ends_on);
    s.bind(14, exceptions_json(x.exceptions)).bind(15, x.updated_at);
    run(s);
    append_change(db, "schedule", "upsert", x.id, x.org_path, to_json(x));

    // The plan's rounds still open to change in the window.
    std::vector<Round> existing;
    {
      auto& w = q(db, kScheduleRoundsInWindow);
      w.bind(1, x.id).bind(2, plan_from).bind(3, plan_to);
      while (step(w)) existing.push_back(read_round(w));
    }
    auto hazards = open_hazards_at(db, x.route);
    for (const auto& planned : plan) {
      Round r = planned;
      r.open_hazard_ids = hazards;
      auto cur = std::find_if(existing.begin(), existing.end(),
                              [&](const Round& e) { return e.id == r.id; });
      if (cur != existing.end()) {
        write_round(db, r);
        existing.erase(cur);
      } else {
        auto& e = q(db, kRoundExists);
        e.bind(1, r.id);
        bool started = step(e);
        e.reset();
        if (started) continue;  // started, completed or missed: history, left alone
        insert_round(db, r);
      }
      append_change(db, "round", "upsert", r.id, r.org_path, to_json(r));
    }
    for (const auto& gone : existing) {
      auto& d = q(db, kDeleteRound);
      d.bind(1, gone.id);
      run(d);
      append_change(db, "round", "delete", gone.id, gone.org_path, nullptr);
    }
    if (audit) insert_audit(db, *audit);
  });
  if (ec) return ec;
  return {};
}

result<void> SqliteStore::delete_schedule(std::string_view id, Ms now,
                                          const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](Database& db) {
    auto& s = q(db, kDeleteSchedule);
    s.bind(1, id).bind(2, now);
    if (!step(s)) throw NotFound{};
    std::string path = s.column_text(0);
    s.reset();
    append_change(db, "schedule", "delete", id, path, nullptr);
    std::vector<std::pair<std::string, std::string>> open;
    auto& r = q(db, kScheduleOpenRounds);
    r.bind(1, id);
    while (step(r)) open.emplace_back(r.column_text(0), r.column_text(1));
    r.reset();
    for (const auto& [rid, rpath] : open) {
      auto& d = q(db, kDeleteRound);
      d.bind(1, rid);
      run(d);
      append_change(db, "round", "delete", rid, rpath, nullptr);
    }
    if (audit) insert_audit(db, *audit);
  });
  if (ec) return ec;
  return {};
}

result<std::vector<Round>> SqliteStore::add_rounds(const std::vector<Round>& plan) {
  std::vector<Round> added;
  auto ec = impl_->writer->write(
      [&](Database& db) {
        added.clear();  // a careful redo runs the job again
        for (const auto& planned : plan) {
          Round r = planned;
          r.open_hazard_ids = open_hazards_at(db, r.route);
          insert_round(db, r);
          if (db.changes() == 0) continue;
          append_change(db, "round", "upsert", r.id, r.org_path, to_json(r));
          added.push_back(std::move(r));
        }
      },
      plan.size());
  if (ec) return ec;
  return added;
}

result<Page<Round>> SqliteStore::rounds(const RoundFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto after = parse_round_cursor(f.after);
    auto& s = q(db, kRounds);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.team_id);
    s.bind(4, f.from).bind(5, f.to).bind(6, f.state).bind(7, after.t).bind(8, after.id);
    s.bind(9, f.limit + 1);
    Page<Round> page;
    while (step(s)) page.items.push_back(read_round(s));
    end_page(page, f.limit, [](const auto& x) { return round_cursor(x); });
    return page;
  });
}

result<std::vector<Round>> SqliteStore::planned_rounds_starting_before(Ms starts_before,
                                                                       int limit) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kPlannedBefore);
    s.bind(1, starts_before).bind(2, limit);
    std::vector<Round> out;
    while (step(s)) out.push_back(read_round(s));
    return out;
  });
}

result<std::optional<Ms>> SqliteStore::earliest_planned_start() {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kEarliestPlanned);
    step(s);
    return s.column_opt_int64(0);
  });
}

result<std::vector<Round>> SqliteStore::update_rounds(const std::vector<std::string>& ids,
                                                      RoundDecider decide) {
  std::vector<Round> changed;
  auto ec = impl_->writer->write(
      [&](Database& db) {
        changed.clear();
        for (const auto& id : ids) {
          auto cur = round_by_id(db, id);
          if (!cur) continue;
          auto next = decide(*cur);
          if (!next) continue;
          next->id = cur->id;  // the decider may not move a round elsewhere
          next->org_path = cur->org_path;
          write_round(db, *next);
          append_change(db, "round", "upsert", next->id, next->org_path, to_json(*next));
          changed.push_back(std::move(*next));
        }
      },
      ids.size());
  if (ec) return ec;
  return changed;
}

result<RoundActivity> SqliteStore::round_activity(const Round& round, Ms from, Ms to) {
  return impl_->readers.read([&](Database& db) { return read_activity(db, round, from, to); });
}

result<void> SqliteStore::add_checkin(std::string_view round_id, std::string_view site_id,
                                      std::string_view user_id, Ms at) {
  auto ec = impl_->writer->write([&](Database& db) {
    auto& s = q(db, kCheckin);
    s.bind(1, round_id).bind(2, site_id).bind(3, user_id).bind(4, at);
    run(s);
  });
  if (ec) return ec;
  return {};
}

}  // namespace patrol::store
