#include "store/pg_schema.hpp"

#include <array>

namespace patrol::store::pg_schema {
namespace {

// The SQLite schema (sqlite_schema.cpp) in PostgreSQL terms; the same tables,
// columns and meanings. Differences and why:
//  - ctext (text COLLATE "C") for every key and path: keyset pages and the
//    org-path prefix ranges compare bytes, as SQLite does, whatever the
//    database's default collation.
//  - change_log.seq has no default: it is assigned at commit, in commit order,
//    under an advisory lock (pg_writer.cpp), so a pull never passes a change
//    that commits later with a smaller seq.
//  - Times are bigint milliseconds; JSON columns are text written by our own
//    serializer (nothing queries inside them).
constexpr std::string_view kV1 = R"sql(
CREATE DOMAIN ctext AS text COLLATE "C";

CREATE TABLE org_units (
  id        bigint PRIMARY KEY,
  parent_id bigint REFERENCES org_units(id),
  kind      ctext NOT NULL CHECK (kind IN ('city','town','village','grid')),
  name      text NOT NULL,
  path      ctext NOT NULL UNIQUE
);

CREATE TABLE users (
  id            ctext PRIMARY KEY,
  phone         ctext NOT NULL UNIQUE,
  name          text NOT NULL,
  role          ctext NOT NULL CHECK (role IN
                  ('volunteer','team_leader','village_admin','town_staff','city_admin')),
  org_unit_id   bigint NOT NULL REFERENCES org_units(id),
  password_hash text NOT NULL,
  created_at    bigint NOT NULL
);

CREATE TABLE sessions (
  token_hash ctext PRIMARY KEY,
  user_id    ctext NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device_id  text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE teams (
  id          ctext PRIMARY KEY,
  org_unit_id bigint NOT NULL REFERENCES org_units(id),
  org_path    ctext NOT NULL,
  name        text NOT NULL,
  leader_id   ctext REFERENCES users(id)
);

CREATE TABLE team_members (
  team_id ctext NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id ctext NOT NULL REFERENCES users(id),
  role    ctext NOT NULL CHECK (role IN ('leader','member')),
  PRIMARY KEY (team_id, user_id)
);

CREATE TABLE checklist_templates (
  id         ctext NOT NULL,
  version    bigint NOT NULL CHECK (version >= 1),
  name       text NOT NULL,
  categories text NOT NULL,
  items      text NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE sites (
  id          ctext PRIMARY KEY,
  org_unit_id bigint NOT NULL REFERENCES org_units(id),
  org_path    ctext NOT NULL,
  name        text NOT NULL,
  category    ctext NOT NULL,
  address     text NOT NULL DEFAULT '',
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  template_id ctext NOT NULL,
  updated_at  bigint NOT NULL
);
CREATE INDEX sites_by_path ON sites(org_path, id);

CREATE TABLE schedules (
  id           ctext PRIMARY KEY,
  team_id      ctext NOT NULL REFERENCES teams(id),
  org_unit_id  bigint NOT NULL REFERENCES org_units(id),
  org_path     ctext NOT NULL,
  name         text NOT NULL,
  weekdays     text NOT NULL,
  start_time   text NOT NULL,
  duration_min integer NOT NULL,
  tz           text NOT NULL,
  route        text NOT NULL
);

CREATE TABLE rounds (
  id          ctext PRIMARY KEY,
  schedule_id ctext NOT NULL REFERENCES schedules(id),
  team_id     ctext NOT NULL REFERENCES teams(id),
  org_unit_id bigint NOT NULL REFERENCES org_units(id),
  org_path    ctext NOT NULL,
  date        ctext NOT NULL,
  starts_at   bigint NOT NULL,
  ends_at     bigint NOT NULL,
  state       ctext NOT NULL CHECK (state IN ('planned','in_progress','completed','missed')),
  UNIQUE (schedule_id, date)
);

CREATE TABLE inspections (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               ctext NOT NULL UNIQUE,
  op_id            ctext NOT NULL,
  site_id          ctext NOT NULL REFERENCES sites(id),
  org_unit_id      bigint NOT NULL,
  org_path         ctext NOT NULL,
  user_id          ctext NOT NULL REFERENCES users(id),
  device_id        text NOT NULL,
  template_id      ctext NOT NULL,
  template_version bigint NOT NULL,
  round_id         ctext REFERENCES rounds(id),
  observed_at      text NOT NULL,
  observed_ms      bigint NOT NULL,
  received_ms      bigint NOT NULL,
  lat              double precision,
  lon              double precision,
  accuracy_m       double precision,
  note             text NOT NULL DEFAULT '',
  items            text NOT NULL DEFAULT '[]',
  FOREIGN KEY (template_id, template_version) REFERENCES checklist_templates(id, version)
);
CREATE INDEX inspections_by_path ON inspections(org_path, seq);
CREATE INDEX inspections_by_site ON inspections(site_id, seq);

CREATE TABLE inspection_photos (
  sha256        ctext NOT NULL,
  inspection_id ctext NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
  item_code     ctext NOT NULL,
  PRIMARY KEY (sha256, inspection_id, item_code)
);

CREATE TABLE hazards (
  id                  ctext PRIMARY KEY,
  site_id             ctext NOT NULL REFERENCES sites(id),
  org_unit_id         bigint NOT NULL,
  org_path            ctext NOT NULL,
  item_code           ctext NOT NULL,
  severity            ctext NOT NULL,
  state               ctext NOT NULL DEFAULT 'open',
  photo_missing       integer NOT NULL DEFAULT 0,
  occurrences         bigint NOT NULL DEFAULT 1,
  first_found_at      bigint NOT NULL,
  last_found_at       bigint NOT NULL,
  first_inspection_id ctext NOT NULL,
  last_inspection_id  ctext NOT NULL,
  note                text NOT NULL DEFAULT '',
  updated_at          bigint NOT NULL
);
CREATE UNIQUE INDEX hazards_one_open ON hazards(site_id, item_code) WHERE state <> 'closed';
CREATE INDEX hazards_by_path ON hazards(org_path, id);

CREATE TABLE hazard_occurrences (
  inspection_id ctext NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
  hazard_id     ctext NOT NULL REFERENCES hazards(id) ON DELETE CASCADE,
  found_at      bigint NOT NULL,
  photo_missing integer NOT NULL,
  PRIMARY KEY (inspection_id, hazard_id)
);

CREATE TABLE positions (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     ctext NOT NULL REFERENCES users(id),
  device_id   text NOT NULL,
  org_path    ctext NOT NULL,
  t           bigint NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  accuracy_m  double precision,
  received_ms bigint NOT NULL
);
CREATE INDEX positions_by_user_time ON positions(user_id, t, seq);

CREATE TABLE latest_positions (
  user_id     ctext PRIMARY KEY REFERENCES users(id),
  org_unit_id bigint NOT NULL,
  org_path    ctext NOT NULL,
  t           bigint NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  accuracy_m  double precision
);
CREATE INDEX latest_positions_by_path ON latest_positions(org_path);

CREATE TABLE sos_alerts (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id          ctext NOT NULL UNIQUE,
  user_id     ctext NOT NULL REFERENCES users(id),
  org_unit_id bigint NOT NULL,
  org_path    ctext NOT NULL,
  raised_at   bigint NOT NULL,
  received_at bigint NOT NULL,
  lat         double precision,
  lon         double precision,
  accuracy_m  double precision,
  note        text NOT NULL DEFAULT '',
  state       ctext NOT NULL DEFAULT 'open'
);
CREATE INDEX sos_alerts_by_path ON sos_alerts(org_path, seq);

CREATE TABLE attachments (
  sha256      ctext PRIMARY KEY,
  size        bigint NOT NULL,
  received_at bigint NOT NULL
);

CREATE TABLE ops (
  op_id       ctext PRIMARY KEY,
  user_id     ctext NOT NULL,
  device_id   text NOT NULL,
  type        ctext NOT NULL,
  status      ctext NOT NULL CHECK (status IN ('applied','rejected')),
  error       text,
  received_at bigint NOT NULL
);

CREATE TABLE change_log (
  seq      bigint PRIMARY KEY,
  entity   ctext NOT NULL,
  op       ctext NOT NULL CHECK (op IN ('upsert','delete')),
  id       ctext NOT NULL,
  org_path ctext NOT NULL,
  data     text NOT NULL
);
)sql";

constexpr std::array<std::string_view, 1> kMigrations = {kV1};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

}  // namespace patrol::store::pg_schema
