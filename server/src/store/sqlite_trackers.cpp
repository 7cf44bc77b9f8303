// TrackerStore on SQLite: the trackers table (migration 2).
#include "store/sqlite_live_store.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace detail;
using sqlite::Database;

namespace {

constexpr std::string_view kOwner =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path FROM trackers t "
    "JOIN users u ON u.id = t.user_id JOIN org_units o ON o.id = u.org_unit_id "
    "WHERE t.identifier = ?1";
constexpr std::string_view kInsert =
    "INSERT INTO trackers(identifier, user_id, created_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(identifier) DO NOTHING";
constexpr std::string_view kUserOf = "SELECT user_id FROM trackers WHERE identifier = ?1";

}  // namespace

result<User> SqliteLiveStore::tracker_owner(std::string_view identifier) {
  User u;
  bool found = false;
  auto ec = read([&](Database& db) {
    auto& s = q(db, kOwner);
    s.bind(1, identifier);
    if (step(s)) {
      found = true;
      u.id = s.column_text(0);
      u.phone = s.column_text(1);
      u.name = s.column_text(2);
      u.role = s.column_text(3);
      u.org_unit_id = s.column_int64(4);
      u.org_path = s.column_text(5);
    }
    s.reset();
  });
  if (ec) return {boost::system::in_place_error, ec};
  if (!found) return {boost::system::in_place_error, errc::not_found};
  return u;
}

result<bool> SqliteLiveStore::register_tracker(std::string_view identifier,
                                               std::string_view user_id, Ms now) {
  // A rare write: one exclusive job on the single writer, in its own
  // transaction (synchronous=FULL, as every write).
  bool created = false;
  bool conflict = false;
  auto ec = writer_.run_on_writer([&](Database& db) -> boost::system::error_code {
    try {
      sqlite::Transaction tx(db);
      if (tx.begin_error()) return tx.begin_error();
      auto& s = q(db, kInsert);
      s.bind(1, identifier).bind(2, user_id).bind(3, now);
      run(s);
      created = db.changes() != 0;
      if (!created) {
        auto& o = q(db, kUserOf);
        o.bind(1, identifier);
        if (step(o)) conflict = o.column_text_view(0) != user_id;
        o.reset();
      }
      return tx.commit();
    } catch (const Failure& e) {
      return e.ec;
    }
  });
  if (ec) return {boost::system::in_place_error, from_sqlite(ec)};
  if (conflict) return {boost::system::in_place_error, errc::conflict};
  return created;
}

}  // namespace patrol::store
