// PgStore's AdminStore: users, teams and sites within a subtree, org children
// (as sqlite_admin.cpp). Team and site writes lock the row they change (FOR
// UPDATE) so two nodes deciding on the same team or site take turns.
#include "store/pg_store_impl.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kUsers =
    "SELECT " PATROL_PG_USER_COLS
    ", u.disabled FROM users u JOIN org_units o ON o.id = u.org_unit_id "
    "WHERE o.path >= $1 AND o.path < $2 AND ($3::text IS NULL OR u.role = $3::text) "
    "AND u.id > $4 ORDER BY u.id LIMIT $5";
constexpr std::string_view kInsertUser =
    "INSERT INTO users(id, phone, name, role, org_unit_id, password_hash, created_at, disabled) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr std::string_view kUpdateUser =
    "UPDATE users SET phone = $2, name = $3, role = $4, org_unit_id = $5, disabled = $6, "
    "password_hash = coalesce($7::text, password_hash) WHERE id = $1";
constexpr std::string_view kEndSessions = "DELETE FROM sessions WHERE user_id = $1";
constexpr std::string_view kOrgExists = "SELECT 1 FROM org_units WHERE id = $1";
constexpr std::string_view kTeams =
    "SELECT id, org_unit_id, org_path, name, leader_id FROM teams WHERE deleted = 0 "
    "AND org_path >= $1 AND org_path < $2 AND id > $3 ORDER BY id LIMIT $4";
constexpr std::string_view kTeamById =
    "SELECT id, org_unit_id, org_path, name, leader_id FROM teams WHERE id = $1 AND deleted = 0";
constexpr std::string_view kTeamState = "SELECT deleted FROM teams WHERE id = $1 FOR UPDATE";
constexpr std::string_view kMembers =
    "SELECT m.user_id, u.name, m.role FROM team_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.team_id = $1 ORDER BY m.role <> 'leader', m.user_id";
constexpr std::string_view kUpsertTeam =
    "INSERT INTO teams(id, org_unit_id, org_path, name, leader_id, deleted) "
    "VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (id) DO UPDATE SET org_unit_id = "
    "excluded.org_unit_id, org_path = excluded.org_path, name = excluded.name, leader_id = "
    "excluded.leader_id";
constexpr std::string_view kClearMembers = "DELETE FROM team_members WHERE team_id = $1";
constexpr std::string_view kAddMember =
    "INSERT INTO team_members(team_id, user_id, role) VALUES ($1, $2, $3) "
    "ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role";
constexpr std::string_view kUserExists = "SELECT 1 FROM users WHERE id = $1";
constexpr std::string_view kTeamScheduled =
    "SELECT 1 FROM schedules WHERE team_id = $1 AND deleted = 0 LIMIT 1";
constexpr std::string_view kDeleteTeam =
    "UPDATE teams SET deleted = 1 WHERE id = $1 AND deleted = 0 RETURNING org_path";
constexpr std::string_view kSiteState =
    "SELECT org_path, deleted FROM sites WHERE id = $1 FOR UPDATE";
constexpr std::string_view kUpsertSite =
    "INSERT INTO sites(id, org_unit_id, org_path, name, category, address, lat, lon, template_id, "
    "updated_at, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0) "
    "ON CONFLICT (id) DO UPDATE SET org_unit_id = excluded.org_unit_id, org_path = "
    "excluded.org_path, name = excluded.name, category = excluded.category, address = "
    "excluded.address, lat = excluded.lat, lon = excluded.lon, template_id = "
    "excluded.template_id, updated_at = excluded.updated_at";
constexpr std::string_view kSiteOnRoute =
    "SELECT 1 FROM schedules s, json_array_elements_text(s.route::json) r(value) "
    "WHERE s.deleted = 0 AND r.value = $1 LIMIT 1";
constexpr std::string_view kDeleteSite =
    "UPDATE sites SET deleted = 1, updated_at = $2 WHERE id = $1 AND deleted = 0 "
    "RETURNING org_path";
constexpr std::string_view kChildren =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE parent_id = $1 ORDER BY id";

// Tells every node's site cache (site_cache.hpp) at this transaction's
// commit: PostgreSQL delivers a NOTIFY only if and when the commit happens.
void notify_sites(Conn& c) {
  c.exec("SELECT pg_notify('patrol_sites', '')", Params());
}

void require_org(Conn& c, std::int64_t id) {
  if (c.exec(kOrgExists, Params().add(id)).rows() == 0) throw NotFound{};
}

bool exists(Conn& c, std::string_view sql, std::string_view id) {
  return c.exec(sql, Params().add(id)).rows() != 0;
}

void read_members(Conn& c, Team& t) {
  auto r = c.exec(kMembers, Params().add(t.id));
  for (int i = 0; i < r.rows(); ++i)
    t.members.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2)});
}

std::optional<Team> team_by_id(Conn& c, std::string_view id) {
  auto r = c.exec(kTeamById, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  Team t = read_team(r, 0);
  read_members(c, t);
  return t;
}

}  // namespace

result<Page<User>> PgStore::users(const UserFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kUsers, Params()
                                .add(f.scope_path)
                                .add(path_upper(f.scope_path))
                                .add(f.role)
                                .add(f.after.value_or(""))
                                .add(f.limit + 1));
    Page<User> page;
    for (int i = 0; i < r.rows(); ++i) {
      User u = read_user(r, i);
      u.disabled = r.boolean(i, 6);
      page.items.push_back(std::move(u));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    return page;
  });
}

result<void> PgStore::create_user(const UserWrite& w, Ms now) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    require_org(tx.conn, w.user.org_unit_id);
    Params p;
    p.add(w.user.id).add(w.user.phone).add(w.user.name).add(w.user.role);
    p.add(w.user.org_unit_id).add(w.password_hash.value_or("!")).add(now).add(w.disabled);
    tx.conn.exec(kInsertUser, p);
    if (w.audit) insert_audit(tx.conn, *w.audit);
  });
  if (ec) return ec;
  return {};
}

result<void> PgStore::update_user(const UserWrite& w) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    require_org(tx.conn, w.user.org_unit_id);
    Params p;
    p.add(w.user.id).add(w.user.phone).add(w.user.name).add(w.user.role);
    p.add(w.user.org_unit_id).add(w.disabled).add(w.password_hash);
    if (tx.conn.exec(kUpdateUser, p).affected() == 0) throw NotFound{};
    if (w.disabled || w.password_hash) tx.conn.exec(kEndSessions, Params().add(w.user.id));
    notify_sites(tx.conn);
    if (w.audit) insert_audit(tx.conn, *w.audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<Page<Team>> PgStore::teams(const TeamFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    // One snapshot for the teams and their members.
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
    auto r = c.exec(kTeams, Params()
                                .add(f.scope_path)
                                .add(path_upper(f.scope_path))
                                .add(f.after.value_or(""))
                                .add(f.limit + 1));
    Page<Team> page;
    for (int i = 0; i < r.rows(); ++i) page.items.push_back(read_team(r, i));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    for (auto& t : page.items) read_members(c, t);
    return page;
  });
}

result<Team> PgStore::team_with_members(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto t = team_by_id(c, id);
    if (!t) throw NotFound{};
    return *t;
  });
}

result<void> PgStore::put_team(const Team& t, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    auto& c = tx.conn;
    require_org(c, t.org_unit_id);
    {
      auto st = c.exec(kTeamState, Params().add(t.id));
      if (st.rows() != 0 && st.boolean(0, 0)) throw NotFound{};
    }
    c.exec(kUpsertTeam,
           Params().add(t.id).add(t.org_unit_id).add(t.org_path).add(t.name).add(t.leader_id));
    c.exec(kClearMembers, Params().add(t.id));
    auto add = [&](const std::string& user_id, const char* role) {
      if (!exists(c, kUserExists, user_id)) throw NotFound{};
      c.exec(kAddMember, Params().add(t.id).add(user_id).add(role));
    };
    for (const auto& m : t.members)
      if (m.user_id != t.leader_id) add(m.user_id, "member");
    if (t.leader_id) add(*t.leader_id, "leader");
    auto stored = team_by_id(c, t.id);
    if (!stored) throw Failure{errc::internal, "", "the team written was not read back"};
    tx.append_change("team", "upsert", t.id, t.org_path, to_text(to_json(*stored)));
    notify_sites(c);
    if (audit) insert_audit(c, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<void> PgStore::delete_team(std::string_view id, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    auto& c = tx.conn;
    {
      auto st = c.exec(kTeamState, Params().add(id));
      if (st.rows() == 0 || st.boolean(0, 0)) throw NotFound{};
    }
    if (exists(c, kTeamScheduled, id))
      throw Failure{errc::conflict, "", "a live schedule names the team"};
    auto r = c.exec(kDeleteTeam, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    tx.append_change("team", "delete", id, r.text(0, 0), "null");
    notify_sites(c);
    if (audit) insert_audit(c, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<void> PgStore::put_site(const Site& x, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    auto& c = tx.conn;
    require_org(c, x.org_unit_id);
    std::optional<std::string> old_path;
    {
      auto st = c.exec(kSiteState, Params().add(x.id));
      if (st.rows() != 0) {
        if (st.boolean(0, 1)) throw NotFound{};
        old_path = st.text(0, 0);
      }
    }
    Params p;
    p.add(x.id).add(x.org_unit_id).add(x.org_path).add(x.name).add(x.category).add(x.address);
    p.add(x.lat).add(x.lon).add(x.template_id).add(x.updated_at);
    c.exec(kUpsertSite, p);
    if (old_path && *old_path != x.org_path)
      tx.append_change("site", "delete", x.id, *old_path, "null");
    Site stored = x;
    stored.deleted = false;
    tx.append_change("site", "upsert", x.id, x.org_path, to_text(to_json(stored)));
    notify_sites(c);
    if (audit) insert_audit(c, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<void> PgStore::delete_site(std::string_view id, Ms now,
                                  const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    auto& c = tx.conn;
    {
      auto st = c.exec(kSiteState, Params().add(id));
      if (st.rows() == 0 || st.boolean(0, 1)) throw NotFound{};
    }
    if (exists(c, kSiteOnRoute, id))
      throw Failure{errc::conflict, "", "a live schedule's route names the site"};
    auto r = c.exec(kDeleteSite, Params().add(id).add(now));
    if (r.rows() == 0) throw NotFound{};
    tx.append_change("site", "delete", id, r.text(0, 0), "null");
    notify_sites(c);
    if (audit) insert_audit(c, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<std::vector<OrgUnit>> PgStore::org_children(std::int64_t id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kChildren, Params().add(id));
    std::vector<OrgUnit> out;
    for (int i = 0; i < r.rows(); ++i) {
      OrgUnit o;
      o.id = r.int64(i, 0);
      o.parent_id = r.opt_int64(i, 1);
      o.kind = r.text(i, 2);
      o.name = r.text(i, 3);
      o.path = r.text(i, 4);
      out.push_back(std::move(o));
    }
    return out;
  });
}

}  // namespace patrol::store
