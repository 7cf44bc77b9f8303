// SqliteStore::attachment_stored — a complete photo arrived: record it and
// clear photo_missing (domain::photo_arrived) on the hazards waiting for it.
#include <string>
#include <vector>

#include "domain/hazard_rules.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kInsertAttachment =
    "INSERT INTO attachments(sha256, size, received_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(sha256) DO NOTHING";
// Hazards one of whose sightings named this photo for the hazard's item.
constexpr std::string_view kWaitingHazards =
    "SELECT " PATROL_HAZARD_READ_COLS
    " FROM hazards WHERE photo_missing = 1 AND id IN ("
    "SELECT o.hazard_id FROM inspection_photos p "
    "JOIN hazard_occurrences o ON o.inspection_id = p.inspection_id "
    "JOIN hazards h ON h.id = o.hazard_id AND h.item_code = p.item_code "
    "WHERE p.sha256 = ?1)";
constexpr std::string_view kUpdatePhotoMissing =
    "UPDATE hazards SET photo_missing = ?2, updated_at = ?3 WHERE id = ?1";

}  // namespace

result<AttachmentLinked> SqliteStore::attachment_stored(std::string_view sha256,
                                                        std::int64_t size) {
  auto out = std::make_shared<AttachmentLinked>();
  std::string sha(sha256);
  Ms now = now_ms();
  auto ec = impl_->writer->write([out, sha, size, now](Database& db) {
    out->hazard_ids.clear();
    auto& s = q(db, kInsertAttachment);
    s.bind(1, sha).bind(2, size).bind(3, now);
    run(s);
    auto& l = q(db, kWaitingHazards);
    l.bind(1, sha);
    std::vector<Hazard> waiting;
    while (step(l)) waiting.push_back(read_hazard(l));
    l.reset();
    for (auto& h : waiting) {
      if (!domain::photo_arrived(h, now)) continue;
      auto& u = q(db, kUpdatePhotoMissing);
      u.bind(1, h.id).bind(2, h.photo_missing ? 1 : 0).bind(3, h.updated_at);
      run(u);
      out->hazard_ids.push_back(h.id);
      append_change(db, "hazard", "upsert", h.id, h.org_path, to_json(h));
    }
  });
  if (ec) return from_sqlite(ec);
  return std::move(*out);
}

}  // namespace patrol::store
