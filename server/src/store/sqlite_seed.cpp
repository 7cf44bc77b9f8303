// SqliteStore::seed — the demo's reference data in one transaction, each row
// with its change-log entry.
#include <boost/json/array.hpp>
#include <string>

#include "patrol/wire/messages.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
namespace json = boost::json;
using sqlite::Database;

namespace {

constexpr std::string_view kInsertOrgUnit =
    "INSERT INTO org_units(id, parent_id, kind, name, path) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kInsertUser =
    "INSERT INTO users(id, phone, name, role, org_unit_id, password_hash, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr std::string_view kInsertTemplate =
    "INSERT INTO checklist_templates(id, version, name, categories, items) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kInsertSite =
    "INSERT INTO sites(id, org_unit_id, org_path, name, category, address, lat, lon, "
    "template_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view kInsertTeam =
    "INSERT INTO teams(id, org_unit_id, org_path, name, leader_id) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kInsertTeamMember =
    "INSERT INTO team_members(team_id, user_id, role) VALUES (?1, ?2, ?3)";
constexpr std::string_view kInsertSchedule =
    "INSERT INTO schedules(id, team_id, org_unit_id, org_path, name, weekdays, start_time, "
    "duration_min, tz, route, geofence_m, starts_on, ends_on, exceptions, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
constexpr std::string_view kInsertRound =
    "INSERT INTO rounds(id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, "
    "ends_at, state, route, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

}  // namespace

result<void> SqliteStore::seed(const SeedData& d) {
  Ms now = now_ms();
  auto ec = impl_->writer->write([&d, now](Database& db) {
    for (const auto& o : d.org_units) {
      auto& s = q(db, kInsertOrgUnit);
      s.bind(1, o.id).bind(2, o.parent_id).bind(3, o.kind).bind(4, o.name).bind(5, o.path);
      run(s);
      append_change(db, "org_unit", "upsert", id_string(o.id), o.path, to_json(o));
    }
    for (const auto& u : d.users) {
      auto& s = q(db, kInsertUser);
      s.bind(1, u.user.id).bind(2, u.user.phone).bind(3, u.user.name).bind(4, u.user.role);
      s.bind(5, u.user.org_unit_id).bind(6, u.password_hash).bind(7, now);
      run(s);
    }
    for (const auto& t : d.templates) {
      json::array cats;
      for (const auto& c : t.categories) cats.emplace_back(c);
      auto& s = q(db, kInsertTemplate);
      s.bind(1, t.id).bind(2, t.version).bind(3, t.name).bind(4, to_text(cats));
      s.bind(5, to_text(template_items_json(t.items)));
      run(s);
      append_change(db, "checklist_template", "upsert", t.id + "@" + std::to_string(t.version), "/",
                    wire::to_json(t));
    }
    for (const auto& x : d.sites) {
      auto& s = q(db, kInsertSite);
      s.bind(1, x.id).bind(2, x.org_unit_id).bind(3, x.org_path).bind(4, x.name);
      s.bind(5, x.category).bind(6, x.address).bind(7, x.lat).bind(8, x.lon);
      s.bind(9, x.template_id).bind(10, now);
      run(s);
      Site copy = x;
      copy.updated_at = now;
      append_change(db, "site", "upsert", x.id, x.org_path, to_json(copy));
    }
    for (const auto& t : d.teams) {
      auto& s = q(db, kInsertTeam);
      s.bind(1, t.id).bind(2, t.org_unit_id).bind(3, t.org_path).bind(4, t.name);
      s.bind(5, t.leader_id);
      run(s);
      for (const auto& m : t.members) {
        auto& sm = q(db, kInsertTeamMember);
        sm.bind(1, t.id).bind(2, m.user_id).bind(3, m.role);
        run(sm);
      }
      append_change(db, "team", "upsert", t.id, t.org_path, to_json(t));
    }
    for (const auto& x : d.schedules) {
      json::array days;
      for (int w : x.weekdays) days.emplace_back(w);
      auto& s = q(db, kInsertSchedule);
      s.bind(1, x.id).bind(2, x.team_id).bind(3, x.org_unit_id).bind(4, x.org_path);
      s.bind(5, x.name).bind(6, to_text(days)).bind(7, x.start_time).bind(8, x.duration_min);
      s.bind(9, x.tz).bind(10, json_strings(x.route)).bind(11, x.geofence_m);
      s.bind(12, x.starts_on.empty() ? std::string("1970-01-01") : x.starts_on).bind(13, x.ends_on);
      s.bind(14, "[]").bind(15, x.updated_at);
      run(s);
      append_change(db, "schedule", "upsert", x.id, x.org_path, to_json(x));
    }
    for (const auto& r : d.rounds) {
      auto& s = q(db, kInsertRound);
      s.bind(1, r.id).bind(2, r.schedule_id).bind(3, r.team_id).bind(4, r.org_unit_id);
      s.bind(5, r.org_path).bind(6, r.date).bind(7, r.starts_at).bind(8, r.ends_at);
      s.bind(9, r.state).bind(10, json_strings(r.route)).bind(11, r.updated_at);
      run(s);
      append_change(db, "round", "upsert", r.id, r.org_path, to_json(r));
    }
  });
  impl_->sites.invalidate();  // only new sites (never cached as missing): for symmetry
  if (ec) return from_sqlite(ec);
  return {};
}

}  // namespace patrol::store
