// PgStore::seed — the demo's reference data in one transaction, each row with
// its change-log entry (same rows and entries as sqlite_seed.cpp).
#include <boost/json/array.hpp>
#include <string>

#include "patrol/wire/messages.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers
namespace json = boost::json;

namespace {

constexpr std::string_view kInsertOrgUnit =
    "INSERT INTO org_units(id, parent_id, kind, name, path) VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kInsertUser =
    "INSERT INTO users(id, phone, name, role, org_unit_id, password_hash, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr std::string_view kInsertTemplate =
    "INSERT INTO checklist_templates(id, version, name, categories, items) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kInsertSite =
    "INSERT INTO sites(id, org_unit_id, org_path, name, category, address, lat, lon, "
    "template_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kInsertTeam =
    "INSERT INTO teams(id, org_unit_id, org_path, name, leader_id) VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kInsertTeamMember =
    "INSERT INTO team_members(team_id, user_id, role) VALUES ($1, $2, $3)";
constexpr std::string_view kInsertSchedule =
    "INSERT INTO schedules(id, team_id, org_unit_id, org_path, name, weekdays, start_time, "
    "duration_min, tz, route, geofence_m, starts_on, ends_on, exceptions, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '[]', $14)";
constexpr std::string_view kInsertRound =
    "INSERT INTO rounds(id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, "
    "ends_at, state, route, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

}  // namespace

result<void> PgStore::seed(const SeedData& d) {
  Ms now = detail::now_ms();
  auto ec = impl_->writer->write([&d, now](PgTx& tx) {
    Conn& c = tx.conn;
    for (const auto& o : d.org_units) {
      c.exec(kInsertOrgUnit,
             Params().add(o.id).add(o.parent_id).add(o.kind).add(o.name).add(o.path));
      tx.append_change("org_unit", "upsert", id_string(o.id), o.path, to_text(to_json(o)));
    }
    for (const auto& u : d.users) {
      c.exec(kInsertUser, Params()
                              .add(u.user.id)
                              .add(u.user.phone)
                              .add(u.user.name)
                              .add(u.user.role)
                              .add(u.user.org_unit_id)
                              .add(u.password_hash)
                              .add(now));
    }
    for (const auto& t : d.templates) {
      json::array cats;
      for (const auto& x : t.categories) cats.emplace_back(x);
      c.exec(kInsertTemplate, Params()
                                  .add(t.id)
                                  .add(t.version)
                                  .add(t.name)
                                  .add(to_text(cats))
                                  .add(to_text(detail::template_items_json(t.items))));
      tx.append_change("checklist_template", "upsert", t.id + "@" + std::to_string(t.version), "/",
                       to_text(wire::to_json(t)));
    }
    for (const auto& x : d.sites) {
      c.exec(kInsertSite, Params()
                              .add(x.id)
                              .add(x.org_unit_id)
                              .add(x.org_path)
                              .add(x.name)
                              .add(x.category)
                              .add(x.address)
                              .add(x.lat)
                              .add(x.lon)
                              .add(x.template_id)
                              .add(now));
      Site copy = x;
      copy.updated_at = now;
      tx.append_change("site", "upsert", x.id, x.org_path, to_text(to_json(copy)));
    }
    for (const auto& t : d.teams) {
      c.exec(kInsertTeam,
             Params().add(t.id).add(t.org_unit_id).add(t.org_path).add(t.name).add(t.leader_id));
      for (const auto& m : t.members)
        c.exec(kInsertTeamMember, Params().add(t.id).add(m.user_id).add(m.role));
      tx.append_change("team", "upsert", t.id, t.org_path, to_text(to_json(t)));
    }
    for (const auto& x : d.schedules) {
      json::array days;
      for (int w : x.weekdays) days.emplace_back(w);
      c.exec(kInsertSchedule,
             Params()
                 .add(x.id)
                 .add(x.team_id)
                 .add(x.org_unit_id)
                 .add(x.org_path)
                 .add(x.name)
                 .add(to_text(days))
                 .add(x.start_time)
                 .add(x.duration_min)
                 .add(x.tz)
                 .add(detail::json_strings(x.route))
                 .add(x.geofence_m)
                 .add(x.starts_on.empty() ? std::string("1970-01-01") : x.starts_on)
                 .add(x.ends_on)
                 .add(x.updated_at));
      tx.append_change("schedule", "upsert", x.id, x.org_path, to_text(to_json(x)));
    }
    for (const auto& r : d.rounds) {
      c.exec(kInsertRound, Params()
                               .add(r.id)
                               .add(r.schedule_id)
                               .add(r.team_id)
                               .add(r.org_unit_id)
                               .add(r.org_path)
                               .add(r.date)
                               .add(r.starts_at)
                               .add(r.ends_at)
                               .add(r.state)
                               .add(detail::json_strings(r.route))
                               .add(r.updated_at));
      tx.append_change("round", "upsert", r.id, r.org_path, to_text(to_json(r)));
    }
  });
  impl_->sites.invalidate();  // only new sites (never cached as missing): for symmetry
  if (ec) return ec;
  return {};
}

}  // namespace patrol::store
