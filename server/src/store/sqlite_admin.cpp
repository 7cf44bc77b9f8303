// SqliteStore's AdminStore: users within a subtree, org children.
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
constexpr std::string_view kChildren =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE parent_id = ?1 ORDER BY id";

void require_org(Database& db, std::int64_t id) {
  auto& s = q(db, kOrgExists);
  s.bind(1, id);
  bool ok = step(s);
  s.reset();
  if (!ok) throw NotFound{};
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
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
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
