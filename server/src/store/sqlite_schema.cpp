#include "store/sqlite_schema.hpp"

#include <array>

namespace patrol::store::schema {
namespace {

// Times are INTEGER milliseconds since the Unix epoch (UTC). JSON columns hold
// JSON1 text. org_path is the materialized path of the owning org unit
// ("/1/4/37/"), copied onto every scoped row so scope checks are prefix
// comparisons on one indexed column.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE org_units (
  id        INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES org_units(id),
  kind      TEXT NOT NULL CHECK (kind IN ('city','town','village','grid')),
  name      TEXT NOT NULL,
  path      TEXT NOT NULL UNIQUE
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  phone         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN
                  ('volunteer','team_leader','village_admin','town_staff','city_admin')),
  org_unit_id   INTEGER NOT NULL REFERENCES org_units(id),
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device_id  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE teams (
  id          TEXT PRIMARY KEY,
  org_unit_id INTEGER NOT NULL REFERENCES org_units(id),
  org_path    TEXT NOT NULL,
  name        TEXT NOT NULL,
  leader_id   TEXT REFERENCES users(id)
);

CREATE TABLE team_members (
  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id),
  role    TEXT NOT NULL CHECK (role IN ('leader','member')),
  PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;

CREATE TABLE checklist_templates (
  id         TEXT NOT NULL,
  version    INTEGER NOT NULL CHECK (version >= 1),
  name       TEXT NOT NULL,
  categories TEXT NOT NULL CHECK (json_valid(categories)),
  items      TEXT NOT NULL CHECK (json_valid(items)),
  PRIMARY KEY (id, version)
) WITHOUT ROWID;

CREATE TABLE sites (
  id          TEXT PRIMARY KEY,
  org_unit_id INTEGER NOT NULL REFERENCES org_units(id),
  org_path    TEXT NOT NULL,
  name        TEXT NOT NULL,
  category    TEXT NOT NULL,
  address     TEXT NOT NULL DEFAULT '',
  lat         REAL NOT NULL,
  lon         REAL NOT NULL,
  template_id TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX sites_by_path ON sites(org_path, id);

CREATE TABLE schedules (
  id           TEXT PRIMARY KEY,
  team_id      TEXT NOT NULL REFERENCES teams(id),
  org_unit_id  INTEGER NOT NULL REFERENCES org_units(id),
  org_path     TEXT NOT NULL,
  name         TEXT NOT NULL,
  weekdays     TEXT NOT NULL CHECK (json_valid(weekdays)),
  start_time   TEXT NOT NULL,
  duration_min INTEGER NOT NULL,
  tz           TEXT NOT NULL,
  route        TEXT NOT NULL CHECK (json_valid(route))
);

CREATE TABLE rounds (
  id          TEXT PRIMARY KEY,
  schedule_id TEXT NOT NULL REFERENCES schedules(id),
  team_id     TEXT NOT NULL REFERENCES teams(id),
  org_unit_id INTEGER NOT NULL REFERENCES org_units(id),
  org_path    TEXT NOT NULL,
  date        TEXT NOT NULL,
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('planned','in_progress','completed','missed')),
  UNIQUE (schedule_id, date)
);

CREATE TABLE inspections (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  op_id            TEXT NOT NULL,
  site_id          TEXT NOT NULL REFERENCES sites(id),
  org_unit_id      INTEGER NOT NULL,
  org_path         TEXT NOT NULL,
  user_id          TEXT NOT NULL REFERENCES users(id),
  device_id        TEXT NOT NULL,
  template_id      TEXT NOT NULL,
  template_version INTEGER NOT NULL,
  round_id         TEXT REFERENCES rounds(id),
  observed_at      TEXT NOT NULL,
  observed_ms      INTEGER NOT NULL,
  received_ms      INTEGER NOT NULL,
  lat              REAL,
  lon              REAL,
  accuracy_m       REAL,
  note             TEXT NOT NULL DEFAULT '',
  -- The item results, a JSON array of {code, result, note?, photos?} in
  -- report order (store::items_json(), serialized on the request's worker
  -- thread). One column instead of a row per item: items are only ever read
  -- with their inspection, and a row each was most of what the single writer
  -- wrote per report. JSON1 still queries them (json_each(items)). No
  -- json_valid CHECK: it would re-parse every report on the writer, and only
  -- our own serializer writes this column.
  items            TEXT NOT NULL DEFAULT '[]',
  FOREIGN KEY (template_id, template_version) REFERENCES checklist_templates(id, version)
);
CREATE INDEX inspections_by_path ON inspections(org_path, seq);
CREATE INDEX inspections_by_site ON inspections(site_id, seq);

-- Photos named by inspection items, so an attachment that arrives later is
-- linked to what named it.
CREATE TABLE inspection_photos (
  sha256        TEXT NOT NULL,
  inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
  item_code     TEXT NOT NULL,
  PRIMARY KEY (sha256, inspection_id, item_code)
) WITHOUT ROWID;

-- At most one hazard per (site, item) that is not closed: found again while
-- open, the existing one is updated (UPSERT) and the finding linked.
CREATE TABLE hazards (
  id                  TEXT PRIMARY KEY,
  site_id             TEXT NOT NULL REFERENCES sites(id),
  org_unit_id         INTEGER NOT NULL,
  org_path            TEXT NOT NULL,
  item_code           TEXT NOT NULL,
  severity            TEXT NOT NULL,
  state               TEXT NOT NULL DEFAULT 'open',
  photo_missing       INTEGER NOT NULL DEFAULT 0,
  occurrences         INTEGER NOT NULL DEFAULT 1,
  first_found_at      INTEGER NOT NULL,
  last_found_at       INTEGER NOT NULL,
  first_inspection_id TEXT NOT NULL,
  last_inspection_id  TEXT NOT NULL,
  note                TEXT NOT NULL DEFAULT '',
  updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX hazards_one_open ON hazards(site_id, item_code) WHERE state <> 'closed';
CREATE INDEX hazards_by_path ON hazards(org_path, id);

-- Keyed by the inspection first: inspection ids are UUIDv7 (time ordered),
-- so a push appends at the end of this b-tree instead of touching one leaf
-- page per open hazard (keyed by hazard id, every commit dirtied a page per
-- hazard found). It is read by inspection (photo linking). No index by
-- hazard: hazards are closed, never deleted, and never change their id, so
-- the cascade never has to find a hazard's rows.
CREATE TABLE hazard_occurrences (
  inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
  hazard_id     TEXT NOT NULL REFERENCES hazards(id) ON DELETE CASCADE,
  found_at      INTEGER NOT NULL,
  photo_missing INTEGER NOT NULL,
  PRIMARY KEY (inspection_id, hazard_id)
) WITHOUT ROWID;

CREATE TABLE positions (
  seq         INTEGER PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id),
  device_id   TEXT NOT NULL,
  org_path    TEXT NOT NULL,
  t           INTEGER NOT NULL,
  lat         REAL NOT NULL,
  lon         REAL NOT NULL,
  accuracy_m  REAL,
  received_ms INTEGER NOT NULL
);
CREATE INDEX positions_by_user_time ON positions(user_id, t, seq);

CREATE TABLE latest_positions (
  user_id     TEXT PRIMARY KEY REFERENCES users(id),
  org_unit_id INTEGER NOT NULL,
  org_path    TEXT NOT NULL,
  t           INTEGER NOT NULL,
  lat         REAL NOT NULL,
  lon         REAL NOT NULL,
  accuracy_m  REAL
);
CREATE INDEX latest_positions_by_path ON latest_positions(org_path);

CREATE TABLE sos_alerts (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  user_id     TEXT NOT NULL REFERENCES users(id),
  org_unit_id INTEGER NOT NULL,
  org_path    TEXT NOT NULL,
  raised_at   INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  lat         REAL,
  lon         REAL,
  accuracy_m  REAL,
  note        TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX sos_alerts_by_path ON sos_alerts(org_path, seq);

CREATE TABLE attachments (
  sha256      TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The dedupe record of sync/push: the FIRST outcome of every op id.
CREATE TABLE ops (
  op_id       TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  type        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('applied','rejected')),
  error       TEXT CHECK (error IS NULL OR json_valid(error)),
  received_at INTEGER NOT NULL
) WITHOUT ROWID;

-- What devices pull: written in the same transaction as the change itself.
-- A pull is one range scan of the seq primary key (seq > cursor) filtered by
-- org_path prefix. Every change is appended (a hazard found again appends its
-- new state; the puller applies entries in seq order). No index by entity:
-- nothing looks entries up by entity, and one keyed by hazard id dirtied a
-- leaf page per hazard found in every commit.
CREATE TABLE change_log (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  entity   TEXT NOT NULL,
  op       TEXT NOT NULL CHECK (op IN ('upsert','delete')),
  id       TEXT NOT NULL,
  org_path TEXT NOT NULL,
  data     TEXT NOT NULL CHECK (json_valid(data))
);
)sql";

constexpr std::string_view kV2 = R"sql(
-- v2: schedules with dates, exceptions and a geofence; rounds that can be
-- cancelled, with their start/finish, route and progress; check-ins; the
-- hazard workflow (assignee, deadline, escalation, history); disabled users.
ALTER TABLE schedules ADD COLUMN geofence_m REAL NOT NULL DEFAULT 50;
ALTER TABLE schedules ADD COLUMN starts_on TEXT NOT NULL DEFAULT '1970-01-01';
ALTER TABLE schedules ADD COLUMN ends_on TEXT;
ALTER TABLE schedules ADD COLUMN exceptions TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(exceptions));
ALTER TABLE schedules ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE schedules ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- rounds.state gains 'cancelled': SQLite cannot alter a CHECK, so the table
-- is rebuilt (migrations run with foreign_keys off, checked before commit).
CREATE TABLE rounds_v2 (
  id              TEXT PRIMARY KEY,
  schedule_id     TEXT NOT NULL REFERENCES schedules(id),
  team_id         TEXT NOT NULL REFERENCES teams(id),
  org_unit_id     INTEGER NOT NULL REFERENCES org_units(id),
  org_path        TEXT NOT NULL,
  date            TEXT NOT NULL,
  starts_at       INTEGER NOT NULL,
  ends_at         INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN
                    ('planned','in_progress','completed','missed','cancelled')),
  started_at      INTEGER,
  finished_at     INTEGER,
  route           TEXT NOT NULL DEFAULT '[]',
  sites_visited   INTEGER NOT NULL DEFAULT 0,
  distance_m      REAL NOT NULL DEFAULT 0,
  open_hazard_ids TEXT NOT NULL DEFAULT '[]',
  updated_at      INTEGER NOT NULL DEFAULT 0,
  UNIQUE (schedule_id, date)
);
INSERT INTO rounds_v2(id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, ends_at,
                      state)
  SELECT id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, ends_at, state
  FROM rounds;
DROP TABLE rounds;
ALTER TABLE rounds_v2 RENAME TO rounds;
CREATE INDEX rounds_by_path_start ON rounds(org_path, starts_at, id);
CREATE INDEX rounds_planned_by_start ON rounds(starts_at) WHERE state = 'planned';
CREATE INDEX inspections_by_round ON inspections(round_id) WHERE round_id IS NOT NULL;

CREATE TABLE round_checkins (
  round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  site_id  TEXT NOT NULL REFERENCES sites(id),
  user_id  TEXT NOT NULL REFERENCES users(id),
  at       INTEGER NOT NULL,
  PRIMARY KEY (round_id, site_id, user_id)
) WITHOUT ROWID;

ALTER TABLE hazards ADD COLUMN assignee_id TEXT;
ALTER TABLE hazards ADD COLUMN deadline INTEGER;
ALTER TABLE hazards ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hazards ADD COLUMN escalation TEXT NOT NULL DEFAULT 'village';
ALTER TABLE hazards ADD COLUMN closed_at INTEGER;
ALTER TABLE hazards ADD COLUMN next_check_at INTEGER;
-- The timer's work list: hazards not given a deadline yet, and those whose
-- next escalation is due (next_check_at, set from the domain's rule).
CREATE INDEX hazards_undated ON hazards(first_found_at)
  WHERE deadline IS NULL AND state IN ('open','assigned');
CREATE INDEX hazards_by_next_check ON hazards(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX hazards_by_path_found ON hazards(org_path, first_found_at);

CREATE TABLE hazard_history (
  seq       INTEGER PRIMARY KEY,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  at        INTEGER NOT NULL,
  by        TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state  TEXT NOT NULL,
  note      TEXT NOT NULL DEFAULT '',
  photos    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX hazard_history_by_hazard ON hazard_history(hazard_id, seq);

ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_by_org ON users(org_unit_id);
CREATE INDEX inspections_by_path_observed ON inspections(org_path, observed_ms);
)sql";

// 3: tracker identifiers of tracking apps (Traccar Client / OsmAnd), each
// registered to one user (store/tracker_store.hpp).
constexpr std::string_view kV3 = R"sql(
CREATE TABLE trackers (
  identifier TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX trackers_by_user ON trackers(user_id);
)sql";

// 4: the audit log (issue 9, store/audit_store.hpp): append-only, enforced
// by triggers so no code path (nor a mistaken maintenance query through the
// server) can rewrite or remove an entry. Indexes serve the filters of
// GET /api/v1/audit (actor, object) newest first.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor_id    TEXT NOT NULL,
  actor_role  TEXT NOT NULL,
  action      TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id   TEXT NOT NULL,
  org_path    TEXT NOT NULL DEFAULT '',
  device_id   TEXT NOT NULL DEFAULT '',
  address     TEXT NOT NULL DEFAULT '',
  details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_by_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_by_object ON audit_log(object_type, object_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql";

// 5: sites and teams administered over REST (DELETE keeps the row, which
// inspections, hazards and past rounds name, and tells phones through a
// change-log delete); covering indexes for the overview's one grouped pass
// over a subtree (no table lookup per round or inspection).
constexpr std::string_view kV5 = R"sql(
ALTER TABLE sites ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX teams_by_path ON teams(org_path, id);
CREATE INDEX team_members_by_user ON team_members(user_id);
CREATE INDEX rounds_overview ON rounds(org_path, starts_at, state);
CREATE INDEX inspections_overview ON inspections(org_path, observed_ms, site_id);
)sql";

// 6: an SOS alert is acknowledged on the server, once, by a leader in scope
// (POST /api/v1/sos/{id}/ack): who and when; its state becomes 'acknowledged'.
constexpr std::string_view kV6 = R"sql(
ALTER TABLE sos_alerts ADD COLUMN acknowledged_by TEXT REFERENCES users(id);
ALTER TABLE sos_alerts ADD COLUMN acknowledged_at INTEGER;
)sql";

constexpr std::array<std::string_view, 6> kMigrations = {kV1, kV2, kV3, kV4, kV5, kV6};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

}  // namespace patrol::store::schema
