// SqliteStore's AuthStore: credentials, users, sessions.
#include <string>

#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kCredentialsByPhone =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path, u.password_hash, u.disabled "
    "FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.phone = ?1";
constexpr std::string_view kUserById =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path, u.disabled "
    "FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = ?1";
constexpr std::string_view kInsertSession =
    "INSERT INTO sessions(token_hash, user_id, device_id, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kPurgeSessions =
    "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2";
constexpr std::string_view kSession =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path, s.device_id, s.expires_at "
    "FROM sessions s JOIN users u ON u.id = s.user_id JOIN org_units o ON o.id = u.org_unit_id "
    "WHERE s.token_hash = ?1 AND s.expires_at > ?2";
constexpr std::string_view kDeleteSession = "DELETE FROM sessions WHERE token_hash = ?1";

}  // namespace

result<Credentials> SqliteStore::credentials_by_phone(std::string_view phone) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kCredentialsByPhone);
    s.bind(1, phone);
    if (!step(s)) throw NotFound{};
    Credentials c;
    c.user = read_user(s);
    c.password_hash = s.column_text(6);
    c.user.disabled = s.column_int64(7) != 0;
    return c;
  });
}

result<User> SqliteStore::user(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kUserById);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    User u = read_user(s);
    u.disabled = s.column_int64(6) != 0;
    return u;
  });
}

result<void> SqliteStore::create_session(const NewSession& n) {
  auto ec = impl_->writer->write([&n](Database& db) {
    auto& p = q(db, kPurgeSessions);
    p.bind(1, n.user_id).bind(2, n.created_at);
    run(p);
    auto& s = q(db, kInsertSession);
    s.bind(1, n.token_hash).bind(2, n.user_id).bind(3, n.device_id).bind(4, n.created_at);
    s.bind(5, n.expires_at);
    run(s);
  });
  if (ec) return from_sqlite(ec);
  return {};
}

result<SessionInfo> SqliteStore::session(std::string_view token_hash, Ms now) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kSession);
    s.bind(1, token_hash).bind(2, now);
    if (!step(s)) throw NotFound{};
    SessionInfo i;
    i.user = read_user(s);
    i.device_id = s.column_text(6);
    i.expires_at = s.column_int64(7);
    return i;
  });
}

result<void> SqliteStore::delete_session(std::string_view token_hash) {
  std::string h(token_hash);
  auto ec = impl_->writer->write([h](Database& db) {
    auto& s = q(db, kDeleteSession);
    s.bind(1, h);
    run(s);
  });
  if (ec) return from_sqlite(ec);
  return {};
}

}  // namespace patrol::store
