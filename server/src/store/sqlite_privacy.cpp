// SqliteStore's PrivacyStore: track retention and a person's erasure.
//
// Retention walks users and deletes each one's old points through
// positions_by_user_time (user_id, t, seq): a range per user, so the hot
// insert path needs no extra index on t.
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kUsersAfter = "SELECT id FROM users WHERE id > ?1 ORDER BY id LIMIT 500";
constexpr std::string_view kDeleteOld =
    "DELETE FROM positions WHERE seq IN (SELECT seq FROM positions WHERE user_id = ?1 AND t < ?2 "
    "LIMIT ?3)";
constexpr std::string_view kDeleteOldLatest = "DELETE FROM latest_positions WHERE t < ?1";
constexpr std::string_view kDeleteUserPositions = "DELETE FROM positions WHERE user_id = ?1";
constexpr std::string_view kDeleteUserLatest = "DELETE FROM latest_positions WHERE user_id = ?1";
constexpr std::string_view kDeleteUserTrackers = "DELETE FROM trackers WHERE user_id = ?1";
constexpr std::string_view kDeleteUserSessions = "DELETE FROM sessions WHERE user_id = ?1";
constexpr std::string_view kPseudonymise =
    "UPDATE users SET name = ?2, phone = ?3, disabled = 1, password_hash = '!' WHERE id = ?1";

}  // namespace

result<std::int64_t> SqliteStore::delete_positions_before(Ms cutoff, std::int64_t max_rows) {
  std::int64_t deleted = 0;
  auto ec = impl_->writer->write([&](Database& db) {
    deleted = 0;
    std::string after;
    bool more = true;
    while (more && deleted < max_rows) {
      std::vector<std::string> ids;
      auto& u = q(db, kUsersAfter);
      u.bind(1, after);
      while (step(u)) ids.push_back(u.column_text(0));
      u.reset();
      more = ids.size() == 500;
      for (const auto& id : ids) {
        auto& d = q(db, kDeleteOld);
        d.bind(1, id).bind(2, cutoff).bind(3, max_rows - deleted);
        run(d);
        deleted += db.changes();
        if (deleted >= max_rows) break;
      }
      if (!ids.empty()) after = ids.back();
    }
    auto& l = q(db, kDeleteOldLatest);
    l.bind(1, cutoff);
    run(l);
  });
  if (ec) return ec;
  return deleted;
}

result<void> SqliteStore::erase_user(const UserErasure& e) {
  auto ec = impl_->writer->write([&](Database& db) {
    auto& p = q(db, kPseudonymise);
    p.bind(1, e.user_id).bind(2, e.pseudonym_name).bind(3, e.pseudonym_phone);
    run(p);
    if (db.changes() == 0) throw NotFound{};
    for (auto sql :
         {kDeleteUserPositions, kDeleteUserLatest, kDeleteUserTrackers, kDeleteUserSessions}) {
      auto& d = q(db, sql);
      d.bind(1, e.user_id);
      run(d);
    }
    if (e.audit) insert_audit(db, *e.audit);
  });
  if (ec) return ec;
  return {};
}

}  // namespace patrol::store
