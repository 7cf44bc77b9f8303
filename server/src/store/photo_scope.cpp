#include "store/photo_scope.hpp"

namespace patrol::store {

namespace {
// inspection_photos' primary key starts with sha256: one index range per photo.
// A photo of a hazard transition (the dashboard's upload, the phones'
// hazard.transition op) is named in that hazard's history instead: the
// history's JSON array of hashes is searched only when no inspection names
// it (a 64-hex name cannot match inside another one).
constexpr std::string_view kNamedInScope =
    "SELECT 1 FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id "
    "WHERE p.sha256 = ?1 AND substr(i.org_path, 1, length(?2)) = ?2 "
    "UNION ALL "
    "SELECT 1 FROM hazard_history x JOIN hazards z ON z.id = x.hazard_id "
    "WHERE instr(x.photos, ?1) > 0 AND substr(z.org_path, 1, length(?2)) = ?2 LIMIT 1";
}  // namespace

result<std::unique_ptr<PhotoScope>> PhotoScope::open(const std::filesystem::path& db_path) {
  sqlite::OpenOptions o;
  o.read_only = true;
  auto db = sqlite::Database::open(db_path.string(), o);
  if (!db) return from_sqlite(db.error());
  return std::unique_ptr<PhotoScope>(new PhotoScope(std::move(*db)));
}

result<bool> PhotoScope::named_in_scope(std::string_view sha256, std::string_view scope_path) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(kNamedInScope);
  if (!st) return result<bool>(boost::system::in_place_error, from_sqlite(st.error()));
  (*st)->bind(1, sha256).bind(2, scope_path);
  auto row = (*st)->step();
  const bool found = row && *row;
  auto err = row ? boost::system::error_code{} : row.error();
  (*st)->reset();
  if (err) return result<bool>(boost::system::in_place_error, from_sqlite(err));
  return found;
}

}  // namespace patrol::store
