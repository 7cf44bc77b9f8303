// PgStore::attachment_stored — a complete photo arrived: record it and clear
// photo_missing (domain::photo_arrived) on the hazards waiting for it.
#include <string>
#include <vector>

#include "domain/hazard_rules.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kInsertAttachment =
    "INSERT INTO attachments(sha256, size, received_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (sha256) DO NOTHING";
// Hazards one of whose sightings named this photo for the hazard's item;
// locked, since another node may be recording a sighting of them.
constexpr std::string_view kWaitingHazards =
    "SELECT " PATROL_PG_HAZARD_READ_COLS
    " FROM hazards WHERE photo_missing = 1 AND id IN ("
    "SELECT o.hazard_id FROM inspection_photos p "
    "JOIN hazard_occurrences o ON o.inspection_id = p.inspection_id "
    "JOIN hazards h ON h.id = o.hazard_id AND h.item_code = p.item_code "
    "WHERE p.sha256 = $1) ORDER BY id FOR UPDATE";
// A photo of a hazard transition is named in that hazard's history instead
// (as photo_scope.cpp): searched only when no inspection names it (a 64-hex
// name cannot match inside another one).
constexpr std::string_view kNamedInScope =
    "(SELECT 1 FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id "
    "WHERE p.sha256 = $1 AND i.org_path >= $2 AND i.org_path < $3 LIMIT 1) "
    "UNION ALL (SELECT 1 FROM hazard_history x JOIN hazards z ON z.id = x.hazard_id "
    "WHERE strpos(x.photos, $1) > 0 AND z.org_path >= $2 AND z.org_path < $3 LIMIT 1) LIMIT 1";
constexpr std::string_view kUpdatePhotoMissing =
    "UPDATE hazards SET photo_missing = $2, updated_at = $3 WHERE id = $1";

}  // namespace

result<AttachmentLinked> PgStore::attachment_stored(std::string_view sha256, std::int64_t size) {
  auto out = std::make_shared<AttachmentLinked>();
  std::string sha(sha256);
  Ms now = detail::now_ms();
  auto ec = impl_->writer->write([out, sha, size, now](PgTx& tx) {
    out->hazard_ids.clear();
    tx.conn.exec(kInsertAttachment, Params().add(sha).add(size).add(now));
    auto r = tx.conn.exec(kWaitingHazards, Params().add(sha));
    for (int i = 0; i < r.rows(); ++i) {
      Hazard h = read_hazard(r, i);
      if (!domain::photo_arrived(h, now)) continue;
      tx.conn.exec(kUpdatePhotoMissing, Params().add(h.id).add(h.photo_missing).add(h.updated_at));
      out->hazard_ids.push_back(h.id);
      tx.append_change("hazard", "upsert", h.id, h.org_path, to_text(to_json(h)));
    }
  });
  if (ec) return ec;
  return std::move(*out);
}

result<bool> PgStore::photo_named_in_scope(std::string_view sha256, std::string_view scope_path) {
  return impl_->readers.read([&](Conn& c) {
    return c.exec(kNamedInScope, Params().add(sha256).add(scope_path).add(path_upper(scope_path)))
               .rows() > 0;
  });
}

}  // namespace patrol::store
