#include "store/pg_schema.hpp"

#include <array>

namespace patrol::store::pg_schema {
namespace {

// The SQLite schema (sqlite_schema.cpp) in PostgreSQL terms; the same tables,
// columns and meanings. Differences and why:
//  - ctext (text COLLATE "C") for every key and path: keyset pages and the
//    org-path prefix ranges compare bytes, as SQLite does, whatever the
//    database's default collation.
//  - change_log.seq has no default: the writer assigns xid << 24 | n at
//    commit (pg_engine.hpp), and readers hand out only keys below the oldest
//    running transaction, so a pull never passes a change that commits later.
//    (Until issue 10's last step they were numbered max+1 under a lock: such
//    old entries stay below every new key.)
//  - The live feed tails inspections and positions by keys of the same kind
//    (store/live_store.hpp): positions are inserted at commit with
//    seq = xid << 24 | n (OVERRIDING SYSTEM VALUE), inspections get live_seq
//    there (their identity seq is taken mid-transaction). The sequence
//    inspections_live_seq below is no longer used.
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
CREATE SEQUENCE inspections_live_seq;
ALTER TABLE inspections ADD COLUMN live_seq bigint;
CREATE UNIQUE INDEX inspections_by_live_seq ON inspections(live_seq);
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

// 2 (as SQLite's 2): schedules with dates, exceptions and a geofence; rounds
// that can be cancelled, with their start/finish, route and progress;
// check-ins; the hazard workflow (assignee, deadline, escalation, history);
// disabled users.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE schedules ADD COLUMN geofence_m double precision NOT NULL DEFAULT 50;
ALTER TABLE schedules ADD COLUMN starts_on text NOT NULL DEFAULT '1970-01-01';
ALTER TABLE schedules ADD COLUMN ends_on text;
ALTER TABLE schedules ADD COLUMN exceptions text NOT NULL DEFAULT '[]';
ALTER TABLE schedules ADD COLUMN updated_at bigint NOT NULL DEFAULT 0;
ALTER TABLE schedules ADD COLUMN deleted integer NOT NULL DEFAULT 0;

ALTER TABLE rounds DROP CONSTRAINT rounds_state_check;
ALTER TABLE rounds ADD CONSTRAINT rounds_state_check CHECK (state IN
  ('planned','in_progress','completed','missed','cancelled'));
ALTER TABLE rounds ADD COLUMN started_at bigint;
ALTER TABLE rounds ADD COLUMN finished_at bigint;
ALTER TABLE rounds ADD COLUMN route text NOT NULL DEFAULT '[]';
ALTER TABLE rounds ADD COLUMN sites_visited integer NOT NULL DEFAULT 0;
ALTER TABLE rounds ADD COLUMN distance_m double precision NOT NULL DEFAULT 0;
ALTER TABLE rounds ADD COLUMN open_hazard_ids text NOT NULL DEFAULT '[]';
ALTER TABLE rounds ADD COLUMN updated_at bigint NOT NULL DEFAULT 0;
CREATE INDEX rounds_by_path_start ON rounds(org_path, starts_at, id);
CREATE INDEX rounds_planned_by_start ON rounds(starts_at) WHERE state = 'planned';
CREATE INDEX inspections_by_round ON inspections(round_id) WHERE round_id IS NOT NULL;

CREATE TABLE round_checkins (
  round_id ctext NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  site_id  ctext NOT NULL REFERENCES sites(id),
  user_id  ctext NOT NULL REFERENCES users(id),
  at       bigint NOT NULL,
  PRIMARY KEY (round_id, site_id, user_id)
);

ALTER TABLE hazards ADD COLUMN assignee_id ctext;
ALTER TABLE hazards ADD COLUMN deadline bigint;
ALTER TABLE hazards ADD COLUMN overdue integer NOT NULL DEFAULT 0;
ALTER TABLE hazards ADD COLUMN escalation ctext NOT NULL DEFAULT 'village';
ALTER TABLE hazards ADD COLUMN closed_at bigint;
ALTER TABLE hazards ADD COLUMN next_check_at bigint;
CREATE INDEX hazards_undated ON hazards(first_found_at)
  WHERE deadline IS NULL AND state IN ('open','assigned');
CREATE INDEX hazards_by_next_check ON hazards(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX hazards_by_path_found ON hazards(org_path, first_found_at);

CREATE TABLE hazard_history (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hazard_id  ctext NOT NULL REFERENCES hazards(id),
  at         bigint NOT NULL,
  by         ctext NOT NULL,
  from_state ctext NOT NULL,
  to_state   ctext NOT NULL,
  note       text NOT NULL DEFAULT '',
  photos     text NOT NULL DEFAULT '[]'
);
CREATE INDEX hazard_history_by_hazard ON hazard_history(hazard_id, seq);

ALTER TABLE users ADD COLUMN disabled integer NOT NULL DEFAULT 0;
CREATE INDEX users_by_org ON users(org_unit_id);
CREATE INDEX inspections_by_path_observed ON inspections(org_path, observed_ms);
)sql";

// 3 (as SQLite's 3): tracker identifiers of tracking apps (Traccar Client /
// OsmAnd), each registered to one user (store/tracker_store.hpp).
constexpr std::string_view kV3 = R"sql(
CREATE TABLE trackers (
  identifier ctext PRIMARY KEY,
  user_id    ctext NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL
);
CREATE INDEX trackers_by_user ON trackers(user_id);
)sql";

// 4 (as SQLite's 4): the audit log (store/audit_store.hpp), append-only:
// triggers refuse UPDATE, DELETE and TRUNCATE, so no code path (nor a
// mistaken query through the server's role) rewrites or removes an entry.
// Indexes serve GET /api/v1/audit's filters (actor, object) newest first.
// json_valid() as SQLite's, so malformed details fail the CHECK (conflict),
// not the cast (internal).
// A database made with the placeholder 4 (`SELECT 1`) lacks the table:
// development data only, as on SQLite.
constexpr std::string_view kV4 = R"sql(
CREATE FUNCTION json_valid(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM t::json;
  RETURN true;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;
CREATE TABLE audit_log (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          bigint NOT NULL,
  actor_id    ctext NOT NULL,
  actor_role  ctext NOT NULL,
  action      ctext NOT NULL,
  object_type ctext NOT NULL,
  object_id   ctext NOT NULL,
  org_path    ctext NOT NULL DEFAULT '',
  device_id   text NOT NULL DEFAULT '',
  address     text NOT NULL DEFAULT '',
  details     text NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_by_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_by_object ON audit_log(object_type, object_id, seq);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
)sql";

// 5 (as SQLite's 5): sites and teams deleted over REST keep their rows
// (inspections, hazards and past rounds name them); indexes for the admin
// lists and the overview's pass over a subtree.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE sites ADD COLUMN deleted integer NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN deleted integer NOT NULL DEFAULT 0;
CREATE INDEX teams_by_path ON teams(org_path, id);
CREATE INDEX team_members_by_user ON team_members(user_id);
CREATE INDEX rounds_overview ON rounds(org_path, starts_at, state);
CREATE INDEX inspections_overview ON inspections(org_path, observed_ms, site_id);
)sql";

// 6 (as SQLite's 6): an SOS alert acknowledged on the server, once, by a
// leader in scope (POST /api/v1/sos/{id}/ack): who and when.
constexpr std::string_view kV6 = R"sql(
ALTER TABLE sos_alerts ADD COLUMN acknowledged_by ctext REFERENCES users(id);
ALTER TABLE sos_alerts ADD COLUMN acknowledged_at bigint;
)sql";

constexpr std::array<std::string_view, 6> kMigrations = {kV1, kV2, kV3, kV4, kV5, kV6};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

}  // namespace patrol::store::pg_schema
