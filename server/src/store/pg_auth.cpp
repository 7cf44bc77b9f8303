// PgStore's AuthStore: credentials, users, sessions.
#include <string>

#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kCredentialsByPhone =
    "SELECT " PATROL_PG_USER_COLS
    ", u.password_hash, u.disabled FROM users u JOIN org_units o ON o.id = u.org_unit_id "
    "WHERE u.phone = $1";
constexpr std::string_view kUserById =
    "SELECT " PATROL_PG_USER_COLS
    ", u.disabled FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = $1";
constexpr std::string_view kPurgeSessions =
    "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2";
constexpr std::string_view kInsertSession =
    "INSERT INTO sessions(token_hash, user_id, device_id, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kSession =
    "SELECT " PATROL_PG_USER_COLS
    ", s.device_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
    "JOIN org_units o ON o.id = u.org_unit_id WHERE s.token_hash = $1 AND s.expires_at > $2";
constexpr std::string_view kDeleteSession = "DELETE FROM sessions WHERE token_hash = $1";

}  // namespace

result<Credentials> PgStore::credentials_by_phone(std::string_view phone) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kCredentialsByPhone, Params().add(phone));
    if (r.rows() == 0) throw NotFound{};
    Credentials cr;
    cr.user = read_user(r, 0);
    cr.password_hash = r.text(0, 6);
    cr.user.disabled = r.boolean(0, 7);
    return cr;
  });
}

result<User> PgStore::user(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kUserById, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    User u = read_user(r, 0);
    u.disabled = r.boolean(0, 6);
    return u;
  });
}

result<void> PgStore::create_session(const NewSession& n) {
  auto ec = impl_->writer->write([&n](PgTx& tx) {
    tx.conn.exec(kPurgeSessions, Params().add(n.user_id).add(n.created_at));
    tx.conn.exec(kInsertSession, Params()
                                     .add(n.token_hash)
                                     .add(n.user_id)
                                     .add(n.device_id)
                                     .add(n.created_at)
                                     .add(n.expires_at));
  });
  if (ec) return ec;
  return {};
}

result<SessionInfo> PgStore::session(std::string_view token_hash, Ms now) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kSession, Params().add(token_hash).add(now));
    if (r.rows() == 0) throw NotFound{};
    SessionInfo i;
    i.user = read_user(r, 0);
    i.device_id = r.text(0, 6);
    i.expires_at = r.int64(0, 7);
    return i;
  });
}

result<void> PgStore::delete_session(std::string_view token_hash) {
  std::string h(token_hash);
  auto ec = impl_->writer->write([h](PgTx& tx) { tx.conn.exec(kDeleteSession, Params().add(h)); });
  if (ec) return ec;
  return {};
}

}  // namespace patrol::store
