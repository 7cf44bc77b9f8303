// PgStore's RoundStore: schedules, the rounds planned from them, check-ins
// (the same rows and change-log entries as sqlite_rounds.cpp). A round's
// read-decide-write reads the current row FOR UPDATE: another node may be
// deciding the same round, and waits for this commit instead of writing over
// it from a stale read.
#include <algorithm>

#include "domain/round_progress.hpp"
#include "store/pg_store_impl.hpp"
#include "store/schedule_columns.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

#define PATROL_PG_SCHEDULE_COLS                                                        \
  "id, team_id, org_unit_id, org_path, name, weekdays, start_time, duration_min, tz, " \
  "route, geofence_m, starts_on, ends_on, exceptions, updated_at"

constexpr std::string_view kSchedule =
    "SELECT " PATROL_PG_SCHEDULE_COLS " FROM schedules WHERE id = $1 AND deleted = 0";
constexpr std::string_view kSchedules =
    "SELECT " PATROL_PG_SCHEDULE_COLS
    " FROM schedules WHERE deleted = 0 AND org_path >= $1 AND org_path < $2 "
    "AND ($3::text IS NULL OR team_id = $3::text) AND id > $4 ORDER BY id LIMIT $5";
constexpr std::string_view kAllSchedules =
    "SELECT " PATROL_PG_SCHEDULE_COLS " FROM schedules WHERE deleted = 0 ORDER BY id";
constexpr std::string_view kUpsertSchedule =
    "INSERT INTO schedules(id, team_id, org_unit_id, org_path, name, weekdays, start_time, "
    "duration_min, tz, route, geofence_m, starts_on, ends_on, exceptions, updated_at, deleted) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0) "
    "ON CONFLICT (id) DO UPDATE SET team_id = excluded.team_id, org_unit_id = "
    "excluded.org_unit_id, org_path = excluded.org_path, name = excluded.name, weekdays = "
    "excluded.weekdays, start_time = excluded.start_time, duration_min = excluded.duration_min, "
    "tz = excluded.tz, route = excluded.route, geofence_m = excluded.geofence_m, starts_on = "
    "excluded.starts_on, ends_on = excluded.ends_on, exceptions = excluded.exceptions, "
    "updated_at = excluded.updated_at, deleted = 0";
constexpr std::string_view kTeam =
    "SELECT id, org_unit_id, org_path, name, leader_id FROM teams WHERE id = $1 AND deleted = 0";
constexpr std::string_view kDeleteSchedule =
    "UPDATE schedules SET deleted = 1, updated_at = $2 WHERE id = $1 AND deleted = 0 "
    "RETURNING org_path";

constexpr std::string_view kRoundById = "SELECT " PATROL_PG_ROUND_COLS " FROM rounds WHERE id = $1";
constexpr std::string_view kRoundByIdForUpdate =
    "SELECT " PATROL_PG_ROUND_COLS " FROM rounds WHERE id = $1 FOR UPDATE";
constexpr std::string_view kRounds =
    "SELECT " PATROL_PG_ROUND_COLS
    " FROM rounds WHERE org_path >= $1 AND org_path < $2 "
    "AND ($3::text IS NULL OR team_id = $3::text) "
    "AND ($4::bigint IS NULL OR starts_at >= $4::bigint) "
    "AND ($5::bigint IS NULL OR starts_at < $5::bigint) "
    "AND ($6::text IS NULL OR state = $6::text) "
    "AND (starts_at > $7 OR (starts_at = $7 AND id > $8)) ORDER BY starts_at, id LIMIT $9";
constexpr std::string_view kScheduleRoundsInWindow =
    "SELECT " PATROL_PG_ROUND_COLS
    " FROM rounds WHERE schedule_id = $1 AND starts_at < $3 AND ends_at > $2 "
    "AND state IN ('planned','cancelled') FOR UPDATE";
constexpr std::string_view kScheduleOpenRounds =
    "SELECT id, org_path FROM rounds WHERE schedule_id = $1 AND state IN ('planned','cancelled') "
    "FOR UPDATE";
constexpr std::string_view kInsertRound =
    "INSERT INTO rounds(" PATROL_PG_ROUND_COLS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
    "ON CONFLICT (id) DO NOTHING";
constexpr std::string_view kUpdateRound =
    "UPDATE rounds SET starts_at = $2, ends_at = $3, state = $4, started_at = $5, "
    "finished_at = $6, route = $7, sites_visited = $8, distance_m = $9, open_hazard_ids = $10, "
    "updated_at = $11 WHERE id = $1";
constexpr std::string_view kDeleteRound = "DELETE FROM rounds WHERE id = $1";
constexpr std::string_view kRoundExists = "SELECT 1 FROM rounds WHERE id = $1";
constexpr std::string_view kPlannedBefore =
    "SELECT " PATROL_PG_ROUND_COLS
    " FROM rounds WHERE state = 'planned' AND starts_at <= $1 ORDER BY starts_at LIMIT $2";
constexpr std::string_view kEarliestPlanned =
    "SELECT min(starts_at) FROM rounds WHERE state = 'planned'";
constexpr std::string_view kOpenHazardsAtSites =
    "SELECT h.id FROM hazards h WHERE h.site_id IN "
    "(SELECT json_array_elements_text($1::json)) AND h.state <> 'closed' ORDER BY h.id";
constexpr std::string_view kRouteSites =
    "SELECT s.id, s.org_unit_id, s.org_path, s.name, s.category, s.address, s.lat, s.lon, "
    "s.template_id, s.updated_at FROM json_array_elements_text($1::json) WITH ORDINALITY "
    "AS r(value, key) JOIN sites s ON s.id = r.value ORDER BY r.key";
constexpr std::string_view kVisits =
    "SELECT site_id, user_id FROM round_checkins WHERE round_id = $1 "
    "UNION SELECT site_id, user_id FROM inspections WHERE round_id = $1";
constexpr std::string_view kTeamTrack =
    "SELECT p.user_id, p.seq, p.t, p.lat, p.lon, p.accuracy_m FROM team_members m "
    "JOIN positions p ON p.user_id = m.user_id AND p.t >= $2 AND p.t <= $3 "
    "WHERE m.team_id = $1 ORDER BY p.user_id, p.t, p.seq";
constexpr std::string_view kGeofence = "SELECT geofence_m FROM schedules WHERE id = $1";
constexpr std::string_view kCheckin =
    "INSERT INTO round_checkins(round_id, site_id, user_id, at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (round_id, site_id, user_id) DO UPDATE SET "
    "at = least(round_checkins.at, excluded.at)";

Schedule read_schedule(const Result& r, int i) {
  Schedule x;
  x.id = r.text(i, 0);
  x.team_id = r.text(i, 1);
  x.org_unit_id = r.int64(i, 2);
  x.org_path = r.text(i, 3);
  x.name = r.text(i, 4);
  x.weekdays = parse_weekdays(r.text_view(i, 5));
  x.start_time = r.text(i, 6);
  x.duration_min = static_cast<int>(r.int64(i, 7));
  x.tz = r.text(i, 8);
  x.route = detail::string_array(r.text_view(i, 9));
  x.geofence_m = r.dbl(i, 10);
  x.starts_on = r.text(i, 11);
  x.ends_on = r.opt_text(i, 12);
  x.exceptions = parse_exceptions(r.text_view(i, 13));
  x.updated_at = r.int64(i, 14);
  return x;
}

std::vector<std::string> open_hazards_at(Conn& c, const std::vector<std::string>& route) {
  auto r = c.exec(kOpenHazardsAtSites, Params().add(detail::json_strings(route)));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

// True when inserted (false: the id exists).
bool insert_round(Conn& c, const Round& x) {
  Params p;
  p.add(x.id).add(x.schedule_id).add(x.team_id).add(x.org_unit_id).add(x.org_path).add(x.date);
  p.add(x.starts_at).add(x.ends_at).add(x.state).add(x.started_at).add(x.finished_at);
  p.add(detail::json_strings(x.route)).add(x.sites_visited).add(x.distance_m);
  p.add(detail::json_strings(x.open_hazard_ids)).add(x.updated_at);
  return c.exec(kInsertRound, p).affected() != 0;
}

void write_round(Conn& c, const Round& x) {
  Params p;
  p.add(x.id).add(x.starts_at).add(x.ends_at).add(x.state).add(x.started_at).add(x.finished_at);
  p.add(detail::json_strings(x.route)).add(x.sites_visited).add(x.distance_m);
  p.add(detail::json_strings(x.open_hazard_ids)).add(x.updated_at);
  c.exec(kUpdateRound, p);
}

std::optional<Round> round_for_update(Conn& c, std::string_view id) {
  auto r = c.exec(kRoundByIdForUpdate, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  return read_round(r, 0);
}

RoundActivity read_activity(Conn& c, const Round& round, Ms from, Ms to) {
  RoundActivity a;
  {
    auto r = c.exec(kRouteSites, Params().add(detail::json_strings(round.route)));
    for (int i = 0; i < r.rows(); ++i) a.route_sites.push_back(read_site(r, i));
  }
  {
    auto r = c.exec(kVisits, Params().add(round.id));
    for (int i = 0; i < r.rows(); ++i) {
      a.visited_site_ids.push_back(r.text(i, 0));
      a.member_ids.push_back(r.text(i, 1));
    }
  }
  {
    auto r = c.exec(kTeamTrack, Params().add(round.team_id).add(from).add(to));
    for (int i = 0; i < r.rows(); ++i) {
      TrackPoint p;
      p.user_id = r.text(i, 0);
      p.seq = r.int64(i, 1);
      p.t = r.int64(i, 2);
      p.lat = r.dbl(i, 3);
      p.lon = r.dbl(i, 4);
      p.accuracy_m = r.opt_dbl(i, 5);
      a.track.emplace_back(p.user_id, std::move(p));
    }
  }
  return a;
}

// `r` with its progress as domain::with_progress computes it now (the team's
// track only while the round ran), as sqlite_rounds.cpp. True in `changed`
// when it moved. Positions of the same transaction are inserted at commit
// (pg_engine.hpp), so they count from the next refresh on.
Round with_current_progress(Conn& c, const Round& r, Ms now, bool& changed) {
  double geofence = 50;
  {
    auto g = c.exec(kGeofence, Params().add(r.schedule_id));
    if (g.rows() != 0) geofence = g.dbl(0, 0);
  }
  RoundActivity a;
  if (r.started_at) {
    Ms to = r.finished_at.value_or(std::max(now, *r.started_at));
    a = read_activity(c, r, *r.started_at, to);
  } else {
    a = read_activity(c, r, 0, -1);  // no track before the start
  }
  return domain::with_progress(r, a, geofence, now, &changed);
}

}  // namespace

std::optional<wire::FieldError> pg::apply_round_op(PgTx& tx, const RoundOpWrite& w) {
  auto cur = round_for_update(tx.conn, w.round_id);
  if (!cur) return wire::FieldError{"not_found", "body.round_id", "no such round"};
  auto d = w.decide(*cur);
  if (!d) return d.error();
  if (w.checkin_site_id)
    tx.conn.exec(kCheckin,
                 Params().add(w.round_id).add(*w.checkin_site_id).add(w.user_id).add(w.at));
  bool decided = d->has_value();
  Round next = decided ? **d : *cur;
  bool progressed = false;
  Ms now = detail::now_ms();
  next = with_current_progress(tx.conn, next, now, progressed);
  if (decided || progressed) {
    if (!decided) next.updated_at = now;
    write_round(tx.conn, next);
    tx.append_change("round", "upsert", next.id, next.org_path, to_text(to_json(next)));
  }
  return std::nullopt;
}

void pg::refresh_round_progress(PgTx& tx, std::string_view round_id, Ms now) {
  auto cur = round_for_update(tx.conn, round_id);
  if (!cur) return;
  bool progressed = false;
  Round next = with_current_progress(tx.conn, *cur, now, progressed);
  if (!progressed) return;
  next.updated_at = now;
  write_round(tx.conn, next);
  tx.append_change("round", "upsert", next.id, next.org_path, to_text(to_json(next)));
}

result<Round> PgStore::round(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kRoundById, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    return read_round(r, 0);
  });
}

result<Team> PgStore::team(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kTeam, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    Team t;
    t.id = r.text(0, 0);
    t.org_unit_id = r.int64(0, 1);
    t.org_path = r.text(0, 2);
    t.name = r.text(0, 3);
    t.leader_id = r.opt_text(0, 4);
    return t;
  });
}

result<Schedule> PgStore::schedule(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kSchedule, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    return read_schedule(r, 0);
  });
}

result<Page<Schedule>> PgStore::schedules(const ScheduleFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kSchedules, Params()
                                    .add(f.scope_path)
                                    .add(path_upper(f.scope_path))
                                    .add(f.team_id)
                                    .add(f.after.value_or(""))
                                    .add(f.limit + 1));
    Page<Schedule> page;
    for (int i = 0; i < r.rows(); ++i) page.items.push_back(read_schedule(r, i));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    return page;
  });
}

result<std::vector<Schedule>> PgStore::all_schedules() {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kAllSchedules, Params());
    std::vector<Schedule> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_schedule(r, i));
    return out;
  });
}

result<void> PgStore::put_schedule(const Schedule& x, const std::vector<Round>& plan, Ms plan_from,
                                   Ms plan_to, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    Conn& c = tx.conn;
    Params p;
    p.add(x.id).add(x.team_id).add(x.org_unit_id).add(x.org_path).add(x.name);
    p.add(weekdays_json(x.weekdays)).add(x.start_time).add(x.duration_min).add(x.tz);
    p.add(detail::json_strings(x.route)).add(x.geofence_m).add(x.starts_on).add(x.ends_on);
    p.add(exceptions_json(x.exceptions)).add(x.updated_at);
    c.exec(kUpsertSchedule, p);
    tx.append_change("schedule", "upsert", x.id, x.org_path, to_text(to_json(x)));

    std::vector<Round> existing;
    {
      auto r = c.exec(kScheduleRoundsInWindow, Params().add(x.id).add(plan_from).add(plan_to));
      for (int i = 0; i < r.rows(); ++i) existing.push_back(read_round(r, i));
    }
    auto hazards = open_hazards_at(c, x.route);
    for (const auto& planned : plan) {
      Round r = planned;
      r.open_hazard_ids = hazards;
      auto cur = std::find_if(existing.begin(), existing.end(),
                              [&](const Round& e) { return e.id == r.id; });
      if (cur != existing.end()) {
        write_round(c, r);
        existing.erase(cur);
      } else {
        if (c.exec(kRoundExists, Params().add(r.id)).rows() > 0) continue;  // history
        insert_round(c, r);
      }
      tx.append_change("round", "upsert", r.id, r.org_path, to_text(to_json(r)));
    }
    for (const auto& gone : existing) {
      c.exec(kDeleteRound, Params().add(gone.id));
      tx.append_change("round", "delete", gone.id, gone.org_path, "null");
    }
    if (audit) insert_audit(c, *audit);
  });
  if (ec) return ec;
  return {};
}

result<void> PgStore::delete_schedule(std::string_view id, Ms now,
                                      const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    Conn& c = tx.conn;
    auto s = c.exec(kDeleteSchedule, Params().add(id).add(now));
    if (s.rows() == 0) throw NotFound{};
    tx.append_change("schedule", "delete", id, s.text(0, 0), "null");
    auto r = c.exec(kScheduleOpenRounds, Params().add(id));
    for (int i = 0; i < r.rows(); ++i) {
      c.exec(kDeleteRound, Params().add(r.text(i, 0)));
      tx.append_change("round", "delete", r.text(i, 0), r.text(i, 1), "null");
    }
    if (audit) insert_audit(c, *audit);
  });
  if (ec) return ec;
  return {};
}

result<std::vector<Round>> PgStore::add_rounds(const std::vector<Round>& plan) {
  std::vector<Round> added;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    added.clear();  // a careful redo runs the job again
    for (const auto& planned : plan) {
      Round r = planned;
      r.open_hazard_ids = open_hazards_at(tx.conn, r.route);
      if (!insert_round(tx.conn, r)) continue;
      tx.append_change("round", "upsert", r.id, r.org_path, to_text(to_json(r)));
      added.push_back(std::move(r));
    }
  });
  if (ec) return ec;
  return added;
}

result<Page<Round>> PgStore::rounds(const RoundFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto after = parse_round_cursor(f.after);
    Params p;
    p.add(f.scope_path).add(path_upper(f.scope_path)).add(f.team_id).add(f.from).add(f.to);
    p.add(f.state).add(after.t).add(after.id).add(f.limit + 1);
    auto r = c.exec(kRounds, p);
    Page<Round> page;
    for (int i = 0; i < r.rows(); ++i) page.items.push_back(read_round(r, i));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = round_cursor(page.items.back());
    }
    return page;
  });
}

result<std::vector<Round>> PgStore::planned_rounds_starting_before(Ms starts_before, int limit) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kPlannedBefore, Params().add(starts_before).add(limit));
    std::vector<Round> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_round(r, i));
    return out;
  });
}

result<std::optional<Ms>> PgStore::earliest_planned_start() {
  return impl_->readers.read(
      [&](Conn& c) { return c.exec(kEarliestPlanned, Params()).opt_int64(0, 0); });
}

result<std::vector<Round>> PgStore::update_rounds(const std::vector<std::string>& ids,
                                                  RoundDecider decide) {
  std::vector<Round> changed;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    changed.clear();
    for (const auto& id : ids) {
      auto cur = round_for_update(tx.conn, id);
      if (!cur) continue;
      auto next = decide(*cur);
      if (!next) continue;
      next->id = cur->id;  // the decider may not move a round elsewhere
      next->org_path = cur->org_path;
      write_round(tx.conn, *next);
      tx.append_change("round", "upsert", next->id, next->org_path, to_text(to_json(*next)));
      changed.push_back(std::move(*next));
    }
  });
  if (ec) return ec;
  return changed;
}

result<RoundActivity> PgStore::round_activity(const Round& round, Ms from, Ms to) {
  return impl_->readers.read([&](Conn& c) { return read_activity(c, round, from, to); });
}

result<void> PgStore::add_checkin(std::string_view round_id, std::string_view site_id,
                                  std::string_view user_id, Ms at) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    tx.conn.exec(kCheckin, Params().add(round_id).add(site_id).add(user_id).add(at));
  });
  if (ec) return ec;
  return {};
}

}  // namespace patrol::store
