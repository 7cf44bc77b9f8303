// SqliteStore's AdminStore: users, teams and sites within a subtree, org children.
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kUsers =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path, u.disabled FROM users u "
    "JOIN org_units o ON o.id = u.org_unit_id WHERE o.path >= ?1 AND o.path < ?2 "
    "AND (?3 IS NULL OR u.role = ?3) AND u.id > ?4 ORDER BY u.id LIMIT ?5";
constexpr std::string_view kInsertUser =
    "INSERT INTO users(id, phone, name, role, org_unit_id, password_hash, created_at, disabled) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr std::string_view kUpdateUser =
    "UPDATE users SET phone = ?2, name = ?3, role = ?4, org_unit_id = ?5, disabled = ?6, "
    "password_hash = coalesce(?7, password_hash) WHERE id = ?1";
constexpr std::string_view kEndSessions = "DELETE FROM sessions WHERE user_id = ?1";
constexpr std::string_view kOrgExists = "SELECT 1 FROM org_units WHERE id = ?1";
constexpr std::string_view kTeams =
    "SELECT id, org_unit_id, org_path, name, leader_id FROM teams WHERE deleted = 0 "
    "AND org_path >= ?1 AND org_path < ?2 AND id > ?3 ORDER BY id LIMIT ?4";
constexpr std::string_view kTeamById =
    "SELECT id, org_unit_id, org_path, name, leader_id FROM teams WHERE id = ?1 AND deleted = 0";
constexpr std::string_view kTeamDeleted = "SELECT deleted FROM teams WHERE id = ?1";
constexpr std::string_view kMembers =
    "SELECT m.user_id, u.name, m.role FROM team_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.team_id = ?1 ORDER BY m.role <> 'leader', m.user_id";
constexpr std::string_view kUpsertTeam =
    "INSERT INTO teams(id, org_unit_id, org_path, name, leader_id, deleted) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT(id) DO UPDATE SET org_unit_id = "
    "excluded.org_unit_id, org_path = excluded.org_path, name = excluded.name, leader_id = "
    "excluded.leader_id";
constexpr std::string_view kClearMembers = "DELETE FROM team_members WHERE team_id = ?1";
constexpr std::string_view kAddMember =
    "INSERT INTO team_members(team_id, user_id, role) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO UPDATE SET role = excluded.role";
constexpr std::string_view kUserExists = "SELECT 1 FROM users WHERE id = ?1";
constexpr std::string_view kTeamScheduled =
    "SELECT 1 FROM schedules WHERE team_id = ?1 AND deleted = 0 LIMIT 1";
constexpr std::string_view kDeleteTeam =
    "UPDATE teams SET deleted = 1 WHERE id = ?1 AND deleted = 0 RETURNING org_path";
constexpr std::string_view kSiteState = "SELECT org_path, deleted FROM sites WHERE id = ?1";
constexpr std::string_view kUpsertSite =
    "INSERT INTO sites(id, org_unit_id, org_path, name, category, address, lat, lon, template_id, "
    "updated_at, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0) "
    "ON CONFLICT(id) DO UPDATE SET org_unit_id = excluded.org_unit_id, org_path = "
    "excluded.org_path, name = excluded.name, category = excluded.category, address = "
    "excluded.address, lat = excluded.lat, lon = excluded.lon, template_id = "
    "excluded.template_id, updated_at = excluded.updated_at";
constexpr std::string_view kSiteOnRoute =
    "SELECT 1 FROM schedules s, json_each(s.route) r WHERE s.deleted = 0 AND r.value = ?1 "
    "LIMIT 1";
constexpr std::string_view kDeleteSite =
    "UPDATE sites SET deleted = 1, updated_at = ?2 WHERE id = ?1 AND deleted = 0 "
    "RETURNING org_path";
constexpr std::string_view kChildren =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE parent_id = ?1 ORDER BY id";

void require_org(Database& db, std::int64_t id) {
  auto& s = q(db, kOrgExists);
  s.bind(1, id);
  bool ok = step(s);
  s.reset();
  if (!ok) throw NotFound{};
}

bool exists(Database& db, std::string_view sql, std::string_view id) {
  auto& s = q(db, sql);
  s.bind(1, id);
  bool found = step(s);
  s.reset();
  return found;
}

void read_members(Database& db, Team& t) {
  auto& s = q(db, kMembers);
  s.bind(1, t.id);
  while (step(s)) t.members.push_back({s.column_text(0), s.column_text(1), s.column_text(2)});
  s.reset();
}

std::optional<Team> team_by_id(Database& db, std::string_view id) {
  auto& s = q(db, kTeamById);
  s.bind(1, id);
  if (!step(s)) return std::nullopt;
  Team t = read_team(s);
  s.reset();
  read_members(db, t);
  return t;
}

}  // namespace

result<Page<User>> SqliteStore::users(const UserFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kUsers);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.role);
    s.bind(4, f.after.value_or("")).bind(5, f.limit + 1);
    Page<User> page;
    while (step(s)) {
      User u = read_user(s);
      u.disabled = s.column_int64(6) != 0;
      page.items.push_back(std::move(u));
    }
    end_page(page, f.limit, [](const auto& x) { return x.id; });
    return page;
  });
}

result<void> SqliteStore::create_user(const UserWrite& w, Ms now) {
  auto ec = impl_->writer->write([&](Database& db) {
    require_org(db, w.user.org_unit_id);
    auto& s = q(db, kInsertUser);
    s.bind(1, w.user.id).bind(2, w.user.phone).bind(3, w.user.name).bind(4, w.user.role);
    s.bind(5, w.user.org_unit_id).bind(6, w.password_hash.value_or("!"));
    s.bind(7, now).bind(8, w.disabled ? 1 : 0);
    run(s);
    if (w.audit) insert_audit(db, *w.audit);
  });
  if (ec) return ec;
  return {};
}

result<void> SqliteStore::update_user(const UserWrite& w) {
  auto ec = impl_->writer->write([&](Database& db) {
    require_org(db, w.user.org_unit_id);
    auto& s = q(db, kUpdateUser);
    s.bind(1, w.user.id).bind(2, w.user.phone).bind(3, w.user.name).bind(4, w.user.role);
    s.bind(5, w.user.org_unit_id).bind(6, w.disabled ? 1 : 0).bind(7, w.password_hash);
    run(s);
    if (db.changes() == 0) throw NotFound{};
    if (w.disabled || w.password_hash) {
      auto& e = q(db, kEndSessions);
      e.bind(1, w.user.id);
      run(e);
    }
    if (w.audit) insert_audit(db, *w.audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<Page<Team>> SqliteStore::teams(const TeamFilter& f) {
  return impl_->readers.read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);  // one snapshot
    if (tx.begin_error()) fail(tx.begin_error());
    auto& s = q(db, kTeams);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.after.value_or(""));
    s.bind(4, f.limit + 1);
    Page<Team> page;
    while (step(s)) page.items.push_back(read_team(s));
    s.reset();
    end_page(page, f.limit, [](const auto& x) { return x.id; });
    for (auto& t : page.items) read_members(db, t);
    return page;
  });
}

result<Team> SqliteStore::team_with_members(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto t = team_by_id(db, id);
    if (!t) throw NotFound{};
    return *t;
  });
}

result<void> SqliteStore::put_team(const Team& t, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](Database& db) {
    require_org(db, t.org_unit_id);
    {
      auto& d = q(db, kTeamDeleted);
      d.bind(1, t.id);
      bool gone = step(d) && d.column_int64(0) != 0;
      d.reset();
      if (gone) throw NotFound{};
    }
    auto& s = q(db, kUpsertTeam);
    s.bind(1, t.id).bind(2, t.org_unit_id).bind(3, t.org_path).bind(4, t.name);
    s.bind(5, t.leader_id);
    run(s);
    auto& c = q(db, kClearMembers);
    c.bind(1, t.id);
    run(c);
    auto add = [&](const std::string& user_id, const char* role) {
      if (!exists(db, kUserExists, user_id)) throw NotFound{};
      auto& m = q(db, kAddMember);
      m.bind(1, t.id).bind(2, user_id).bind(3, role);
      run(m);
    };
    for (const auto& m : t.members)
      if (m.user_id != t.leader_id) add(m.user_id, "member");
    if (t.leader_id) add(*t.leader_id, "leader");
    auto stored = team_by_id(db, t.id);
    if (!stored) fail(errc::internal);
    append_change(db, "team", "upsert", t.id, t.org_path, to_json(*stored));
    if (audit) insert_audit(db, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<void> SqliteStore::delete_team(std::string_view id, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](Database& db) {
    if (!team_by_id(db, id)) throw NotFound{};
    if (exists(db, kTeamScheduled, id)) fail(errc::conflict);
    auto& s = q(db, kDeleteTeam);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    std::string path = s.column_text(0);
    s.reset();
    append_change(db, "team", "delete", id, path, nullptr);
    if (audit) insert_audit(db, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<void> SqliteStore::put_site(const Site& x, const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](Database& db) {
    require_org(db, x.org_unit_id);
    std::optional<std::string> old_path;
    {
      auto& st = q(db, kSiteState);
      st.bind(1, x.id);
      if (step(st)) {
        if (st.column_int64(1) != 0) throw NotFound{};
        old_path = st.column_text(0);
      }
      st.reset();
    }
    auto& s = q(db, kUpsertSite);
    s.bind(1, x.id).bind(2, x.org_unit_id).bind(3, x.org_path).bind(4, x.name);
    s.bind(5, x.category).bind(6, x.address).bind(7, x.lat).bind(8, x.lon);
    s.bind(9, x.template_id).bind(10, x.updated_at);
    run(s);
    if (old_path && *old_path != x.org_path)
      append_change(db, "site", "delete", x.id, *old_path, nullptr);
    Site stored = x;
    stored.deleted = false;
    append_change(db, "site", "upsert", x.id, x.org_path, to_json(stored));
    if (audit) insert_audit(db, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<void> SqliteStore::delete_site(std::string_view id, Ms now,
                                      const std::optional<AuditEntry>& audit) {
  auto ec = impl_->writer->write([&](Database& db) {
    {
      auto& st = q(db, kSiteState);
      st.bind(1, id);
      bool live = step(st) && st.column_int64(1) == 0;
      st.reset();
      if (!live) throw NotFound{};
    }
    if (exists(db, kSiteOnRoute, id)) fail(errc::conflict);
    auto& s = q(db, kDeleteSite);
    s.bind(1, id).bind(2, now);
    if (!step(s)) throw NotFound{};
    std::string path = s.column_text(0);
    s.reset();
    append_change(db, "site", "delete", id, path, nullptr);
    if (audit) insert_audit(db, *audit);
  });
  impl_->sites.invalidate();  // committed or not: site lookups read the store again
  if (ec) return ec;
  return {};
}

result<std::vector<OrgUnit>> SqliteStore::org_children(std::int64_t id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kChildren);
    s.bind(1, id);
    std::vector<OrgUnit> out;
    while (step(s)) {
      OrgUnit o;
      o.id = s.column_int64(0);
      o.parent_id = s.column_opt_int64(1);
      o.kind = s.column_text(2);
      o.name = s.column_text(3);
      o.path = s.column_text(4);
      out.push_back(std::move(o));
    }
    return out;
  });
}

}  // namespace patrol::store
