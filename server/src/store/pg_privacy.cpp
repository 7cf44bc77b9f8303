// PgStore's PrivacyStore: track retention and a person's erasure (as
// sqlite_privacy.cpp).
//
// Retention walks users and deletes each one's old points through
// positions_by_user_time (user_id, t, seq): a range per user, so the hot
// insert path needs no extra index on t.
//
// Points are inserted at commit (PgTx::positions, pg_engine.hpp), so an
// erasure also drops the points of that user which earlier jobs of the same
// group commit have queued: nothing of theirs is written after the erasure.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "store/pg_store_impl.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::size_t kUsersPerPass = 500;  // the LIMIT below
constexpr std::string_view kUsersAfter = "SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT 500";
constexpr std::string_view kDeleteOld =
    "DELETE FROM positions WHERE seq IN (SELECT seq FROM positions WHERE user_id = $1 AND t < $2 "
    "LIMIT $3)";
constexpr std::string_view kDeleteOldLatest = "DELETE FROM latest_positions WHERE t < $1";
constexpr std::string_view kDeleteUserPositions = "DELETE FROM positions WHERE user_id = $1";
constexpr std::string_view kDeleteUserLatest = "DELETE FROM latest_positions WHERE user_id = $1";
constexpr std::string_view kDeleteUserTrackers = "DELETE FROM trackers WHERE user_id = $1";
constexpr std::string_view kDeleteUserSessions = "DELETE FROM sessions WHERE user_id = $1";
constexpr std::string_view kPseudonymise =
    "UPDATE users SET name = $2, phone = $3, disabled = 1, password_hash = '!' WHERE id = $1";

}  // namespace

result<std::int64_t> PgStore::delete_positions_before(Ms cutoff, std::int64_t max_rows) {
  std::int64_t deleted = 0;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    auto& c = tx.conn;
    deleted = 0;
    std::string after;
    bool more = true;
    while (more && deleted < max_rows) {
      std::vector<std::string> ids;
      auto u = c.exec(kUsersAfter, Params().add(after));
      for (int i = 0; i < u.rows(); ++i) ids.push_back(u.text(i, 0));
      more = ids.size() == kUsersPerPass;
      for (const auto& id : ids) {
        auto d = c.exec(kDeleteOld, Params().add(id).add(cutoff).add(max_rows - deleted));
        deleted += d.affected();
        if (deleted >= max_rows) break;
      }
      if (!ids.empty()) after = ids.back();
    }
    c.exec(kDeleteOldLatest, Params().add(cutoff));
  });
  if (ec) return ec;
  return deleted;
}

result<void> PgStore::erase_user(const UserErasure& e) {
  auto ec = impl_->writer->write([&](PgTx& tx) {
    auto& c = tx.conn;
    auto p =
        c.exec(kPseudonymise, Params().add(e.user_id).add(e.pseudonym_name).add(e.pseudonym_phone));
    if (p.affected() == 0) throw NotFound{};
    for (auto sql :
         {kDeleteUserPositions, kDeleteUserLatest, kDeleteUserTrackers, kDeleteUserSessions})
      c.exec(sql, Params().add(e.user_id));
    if (e.audit) insert_audit(c, *e.audit);
    // Last, once nothing of this job can fail (a rewind restores sizes only).
    std::erase_if(tx.positions, [&](const PositionRow& r) { return r.user_id == e.user_id; });
  });
  if (ec) return ec;
  return {};
}

}  // namespace patrol::store
