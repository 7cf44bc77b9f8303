// PgStore's AdminStore: users within a subtree, org children (as sqlite_admin.cpp).
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
constexpr std::string_view kChildren =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE parent_id = $1 ORDER BY id";

void require_org(Conn& c, std::int64_t id) {
  if (c.exec(kOrgExists, Params().add(id)).rows() == 0) throw NotFound{};
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
  });
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
