// Internal to the PostgreSQL store: what every pg_<use case>.cpp reaches
// through PgStore::impl_ (readers.read for queries, writer->write for writes),
// and the row readers they share.
#pragma once

#include <memory>
#include <string>

#include "store/pg_engine.hpp"
#include "store/pg_store.hpp"
#include "store/pg_support.hpp"

namespace patrol::store {

struct PgStore::Impl {
  PgStoreOptions opts;
  pg::PgReaders readers;
  std::unique_ptr<pg::PgWriter> writer;
};

namespace pg {

// Column lists the row readers expect, in order.
#define PATROL_PG_USER_COLS "u.id, u.phone, u.name, u.role, u.org_unit_id, o.path"
#define PATROL_PG_SITE_COLS \
  "id, org_unit_id, org_path, name, category, address, lat, lon, template_id, updated_at"
#define PATROL_PG_HAZARD_COLS                                                             \
  "id, site_id, org_unit_id, org_path, item_code, severity, state, photo_missing, "       \
  "occurrences, first_found_at, last_found_at, first_inspection_id, last_inspection_id, " \
  "note, updated_at"

User read_user(const Result& r, int row);
Site read_site(const Result& r, int row);
Hazard read_hazard(const Result& r, int row);
std::optional<GeoPoint> read_geo(const Result& r, int row, int lat_col);
std::string to_text(const boost::json::value& v);

}  // namespace pg
}  // namespace patrol::store
