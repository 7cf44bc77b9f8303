// SqliteStore::apply_ops — sync/push: each op claimed by its id (idempotent),
// then its inspection, positions or SOS written with change-log entries, in
// one group commit. What a hazard item does to the site's hazard is decided
// by domain/hazard_rules.hpp; this file reads the current row and persists
// the decision.
#include <boost/json/parse.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/hazard_rules.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/op_receipt.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"
#include "store/sqlite_workflow.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
namespace json = boost::json;
using sqlite::Database;

namespace {

constexpr std::string_view kOpById =
    "SELECT user_id, status, error, received_at FROM ops WHERE op_id = ?1";
// The op's record goes in first (one b-tree descent both checks for a
// duplicate and claims the id); a write that then turns out to conflict
// downgrades it with kRejectOp.
constexpr std::string_view kClaimOp =
    "INSERT INTO ops(op_id, user_id, device_id, type, status, error, received_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(op_id) DO NOTHING";
constexpr std::string_view kRejectOp =
    "UPDATE ops SET status = 'rejected', error = ?2 WHERE op_id = ?1";

constexpr std::string_view kInsertInspection =
    "INSERT INTO inspections(id, op_id, site_id, org_unit_id, org_path, user_id, device_id, "
    "template_id, template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, "
    "accuracy_m, note, items) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
    "?14, ?15, ?16, ?17, ?18) ON CONFLICT(id) DO NOTHING";
constexpr std::string_view kInsertInspectionPhoto =
    "INSERT OR IGNORE INTO inspection_photos(sha256, inspection_id, item_code) "
    "VALUES (?1, ?2, ?3)";
constexpr std::string_view kAttachmentExists = "SELECT 1 FROM attachments WHERE sha256 = ?1";

// The site's hazard for an item that is not closed (at most one: the partial
// unique index hazards_one_open, which also serves this lookup).
constexpr std::string_view kOpenHazard =
    "SELECT " PATROL_HAZARD_READ_COLS
    " FROM hazards WHERE site_id = ?1 AND item_code = ?2 AND state <> 'closed'";
constexpr std::string_view kInsertHazard =
    "INSERT INTO hazards(" PATROL_HAZARD_COLS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
constexpr std::string_view kUpdateHazard =
    "UPDATE hazards SET severity = ?6, state = ?7, photo_missing = ?8, occurrences = ?9, "
    "first_found_at = ?10, last_found_at = ?11, first_inspection_id = ?12, "
    "last_inspection_id = ?13, note = ?14, updated_at = ?15 WHERE id = ?1";
constexpr std::string_view kInsertOccurrence =
    "INSERT OR IGNORE INTO hazard_occurrences(hazard_id, inspection_id, found_at, "
    "photo_missing) VALUES (?1, ?2, ?3, ?4)";

constexpr std::string_view kInsertPosition =
    "INSERT INTO positions(user_id, device_id, org_path, t, lat, lon, accuracy_m, received_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr std::string_view kUpsertLatest =
    "INSERT INTO latest_positions(user_id, org_unit_id, org_path, t, lat, lon, accuracy_m) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(user_id) DO UPDATE SET "
    "org_unit_id = excluded.org_unit_id, org_path = excluded.org_path, t = excluded.t, "
    "lat = excluded.lat, lon = excluded.lon, accuracy_m = excluded.accuracy_m "
    "WHERE excluded.t >= latest_positions.t";

constexpr std::string_view kInsertSos =
    "INSERT INTO sos_alerts(id, user_id, org_unit_id, org_path, raised_at, received_at, lat, "
    "lon, accuracy_m, note, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open') "
    "ON CONFLICT(id) DO NOTHING";

std::string op_status_text(wire::OpStatus s) {
  return s == wire::OpStatus::rejected ? "rejected" : "applied";
}

// Binds every PATROL_HAZARD_COLS column of `h` as ?1…?15 (kInsertHazard, kUpdateHazard).
void bind_hazard(sqlite::Statement& s, const Hazard& h) {
  bind_ref(s, 1, h.id);
  bind_ref(s, 2, h.site_id);
  s.bind(3, h.org_unit_id);
  bind_ref(s, 4, h.org_path);
  bind_ref(s, 5, h.item_code);
  bind_ref(s, 6, h.severity);
  bind_ref(s, 7, h.state);
  s.bind(8, h.photo_missing ? 1 : 0).bind(9, h.occurrences);
  s.bind(10, h.first_found_at).bind(11, h.last_found_at);
  bind_ref(s, 12, h.first_inspection_id);
  bind_ref(s, 13, h.last_inspection_id);
  bind_ref(s, 14, h.note);
  s.bind(15, h.updated_at);
}

// One hazard item of a stored inspection: the domain decides what it does to
// the site's hazard for the item (new, or found again); this persists it.
void record_hazard(Database& db, const Inspection& i, const HazardItem& item, Ms now) {
  domain::HazardSighting s;
  s.inspection_id = i.id;
  s.observed_ms = i.observed_ms;
  s.site_id = i.site_id;
  s.org_unit_id = i.org_unit_id;
  s.org_path = i.org_path;
  s.item_code = item.code;
  s.severity = item.severity;
  s.note = item.note;
  s.photo_missing = domain::photo_missing(item.photo_required, item.photos, [&](const auto& sha) {
    auto& sa = q(db, kAttachmentExists);
    sa.bind(1, sha);
    bool arrived = step(sa);
    sa.reset();
    return arrived;
  });

  auto& so = q(db, kOpenHazard);
  bind_ref(so, 1, i.site_id);
  bind_ref(so, 2, item.code);
  std::optional<Hazard> current;
  if (step(so)) current = read_hazard(so);
  so.reset();

  Hazard hz;
  if (current) {
    hz = std::move(*current);
    domain::found_again(hz, s, now);
    auto& su = q(db, kUpdateHazard);
    bind_hazard(su, hz);
    run(su);
  } else {
    hz = domain::open_hazard(s, wire::make_uuid_v7(), now);
    auto& si = q(db, kInsertHazard);
    bind_hazard(si, hz);
    run(si);
  }
  auto& oc = q(db, kInsertOccurrence);
  oc.bind(1, hz.id).bind(2, i.id).bind(3, i.observed_ms).bind(4, s.photo_missing ? 1 : 0);
  run(oc);
  append_change(db, "hazard", "upsert", hz.id, hz.org_path, to_json(hz));
}

// False (nothing written) when the inspection id is already stored.
bool write_inspection(Database& db, InspectionWrite& w, const std::string& op_id, Ms now) {
  auto& i = w.inspection;
  auto& s = q(db, kInsertInspection);
  bind_ref(s, 1, i.id);
  bind_ref(s, 2, op_id);
  bind_ref(s, 3, i.site_id);
  s.bind(4, i.org_unit_id);
  bind_ref(s, 5, i.org_path);
  bind_ref(s, 6, i.user_id);
  bind_ref(s, 7, i.device_id);
  bind_ref(s, 8, i.template_id);
  s.bind(9, i.template_version);
  s.bind(10, i.round_id);
  bind_ref(s, 11, i.observed_at);
  s.bind(12, i.observed_ms).bind(13, now);
  if (i.position) {
    s.bind(14, i.position->lat).bind(15, i.position->lon).bind(16, i.position->accuracy_m);
  }
  bind_ref(s, 17, i.note);
  if (w.items_json.empty()) w.items_json = items_json(i.items);
  bind_ref(s, 18, w.items_json);
  run(s);
  if (db.changes() == 0) return false;
  for (const auto& it : i.items) {
    for (const auto& p : it.photos) {
      auto& sp = q(db, kInsertInspectionPhoto);
      sp.bind(1, p).bind(2, i.id).bind(3, it.code);
      run(sp);
    }
  }
  for (const auto& h : w.hazards) record_hazard(db, i, h, now);
  if (i.round_id) refresh_round_progress(db, *i.round_id, now);
  return true;
}

void write_positions(Database& db, const PositionsWrite& w, Ms now) {
  const TrackPoint* latest = nullptr;
  for (const auto& p : w.points) {
    auto& s = q(db, kInsertPosition);
    s.bind(1, w.user_id).bind(2, w.device_id).bind(3, w.org_path).bind(4, p.t);
    s.bind(5, p.lat).bind(6, p.lon).bind(7, p.accuracy_m).bind(8, now);
    run(s);
    if (!latest || p.t >= latest->t) latest = &p;
  }
  if (latest) {
    auto& s = q(db, kUpsertLatest);
    s.bind(1, w.user_id).bind(2, w.org_unit_id).bind(3, w.org_path).bind(4, latest->t);
    s.bind(5, latest->lat).bind(6, latest->lon).bind(7, latest->accuracy_m);
    run(s);
  }
}

// False (nothing written) when the alert id is already stored.
bool write_sos(Database& db, SosWrite& w, Ms now) {
  auto& a = w.alert;
  a.received_at = now;
  a.state = "open";
  auto& s = q(db, kInsertSos);
  s.bind(1, a.id).bind(2, a.user_id).bind(3, a.org_unit_id).bind(4, a.org_path);
  s.bind(5, a.raised_at).bind(6, now);
  if (a.position)
    s.bind(7, a.position->lat).bind(8, a.position->lon).bind(9, a.position->accuracy_m);
  s.bind(10, a.note);
  run(s);
  if (db.changes() == 0) return false;
  a.seq = db.last_insert_rowid();
  append_change(db, "sos", "upsert", a.id, a.org_path, to_json(a));
  return true;
}

// Inserts the op's record unless its id is already there; true when inserted.
bool claim_op(Database& db, const PreparedOp& op, const OpOutcome& out) {
  auto& s = q(db, kClaimOp);
  bind_ref(s, 1, op.op_id);
  bind_ref(s, 2, op.user_id);
  bind_ref(s, 3, op.device_id);
  bind_ref(s, 4, op.type);
  s.bind(5, op_status_text(out.status));
  if (out.error) s.bind(6, to_text(wire::to_json(*out.error)));
  s.bind(7, out.received_at);
  run(s);
  return db.changes() != 0;
}

// The claimed op turned out rejected: its record says so.
void reject_op(Database& db, const PreparedOp& op, OpOutcome& out, wire::FieldError err) {
  out.status = wire::OpStatus::rejected;
  out.error = std::move(err);
  auto& s = q(db, kRejectOp);
  bind_ref(s, 1, op.op_id);
  s.bind(2, to_text(wire::to_json(*out.error)));
  run(s);
}

// The first outcome recorded under an op id that is already stored.
void previous_outcome(Database& db, const PreparedOp& op, OpOutcome& out) {
  auto& s = q(db, kOpById);
  bind_ref(s, 1, op.op_id);
  if (!step(s)) fail(errc::internal);  // claimed moments ago in this transaction
  std::string user = s.column_text(0);
  std::string status = s.column_text(1);
  auto err = s.column_opt_text(2);
  out.received_at = s.column_int64(3);
  s.reset();
  outcome_from_receipt(out, user, status, err, op.user_id, now_ms());
}

// False when the op's entity id is already stored (nothing written). A round
// or hazard op the domain's decider refuses on the current row sets `refused`
// (nothing written).
bool write_action(Database& db, PreparedOp& op, Ms now, std::optional<wire::FieldError>& refused) {
  if (auto* r = std::get_if<RoundOpWrite>(&op.action)) {
    refused = apply_round_op(db, *r);
  } else if (auto* h = std::get_if<HazardOpWrite>(&op.action)) {
    refused = apply_hazard_op(db, *h);
  } else if (auto* w = std::get_if<InspectionWrite>(&op.action)) {
    return write_inspection(db, *w, op.op_id, now);
  } else if (auto* p = std::get_if<PositionsWrite>(&op.action)) {
    write_positions(db, *p, now);
  } else if (auto* a = std::get_if<SosWrite>(&op.action)) {
    return write_sos(db, *a, now);
  }
  return true;
}

// Applies one op (see SyncStore::apply_ops). `careful` wraps the write in its
// own savepoint so a failing op is rejected alone.
OpOutcome apply_one(Database& db, PreparedOp& op, bool careful) {
  OpOutcome out;
  out.op_id = op.op_id;
  out.received_at = now_ms();
  const auto* rej = std::get_if<wire::FieldError>(&op.action);
  if (rej) {
    out.status = wire::OpStatus::rejected;
    out.error = *rej;
  } else {
    out.status = wire::OpStatus::applied;
  }
  if (!claim_op(db, op, out)) {
    previous_outcome(db, op, out);
    return out;
  }
  if (rej) return out;
  // Fast path: no per-op savepoint (each one makes SQLite copy every page
  // the op touches into a sub-journal). An id already stored under another
  // op is the one conflict a valid op can meet; the entity's INSERT … ON
  // CONFLICT DO NOTHING is its first write, so it is detected with nothing
  // to undo. Any other failure is unexpected; the caller then redoes the
  // whole job carefully, one savepoint per op (the op's record stays, it
  // was claimed before the savepoint).
  if (careful) run(q(db, "SAVEPOINT op"));
  try {
    std::optional<wire::FieldError> refused;
    bool written = write_action(db, op, out.received_at, refused);
    if (careful) run(q(db, "RELEASE op"));
    if (refused)
      reject_op(db, op, out, std::move(*refused));
    else if (!written)
      reject_op(db, op, out,
                wire::FieldError{"conflict", "body.id", "id already used by another report"});
  } catch (const Failure& f) {
    if (!careful || sqlite::is_transient(f.ec)) throw;
    reset_all(db);
    run(q(db, "ROLLBACK TO op"));
    run(q(db, "RELEASE op"));
    reject_op(db, op, out,
              wire::FieldError{"conflict", "body",
                               "conflicts with stored data (reference gone or id reused)"});
  }
  return out;
}

}  // namespace

namespace {
// The writer job's body of apply_ops: every op in order, into `out`.
void apply_all(Database& db, std::vector<PreparedOp>& ops, std::vector<OpOutcome>& out,
               bool careful) {
  out.clear();
  if (!careful) {
    // Fast pass: an unexpected failure throws and the writer redoes the
    // group with savepoints.
    for (auto& op : ops) out.push_back(apply_one(db, op, false));
    return;
  }
  try {
    for (auto& op : ops) out.push_back(apply_one(db, op, false));
  } catch (const Failure& f) {
    if (sqlite::is_transient(f.ec)) throw;
    // Inside SAVEPOINT job: undo this job and redo it op by op.
    reset_all(db);
    run(q(db, "ROLLBACK TO job"));
    out.clear();
    for (auto& op : ops) out.push_back(apply_one(db, op, true));
  }
}
}  // namespace

void SqliteStore::apply_ops_async(std::vector<PreparedOp> ops, OpsDone done) {
  struct State {
    std::vector<PreparedOp> ops;
    std::vector<OpOutcome> out;
  };
  auto st = std::make_shared<State>();
  st->ops = std::move(ops);
  auto job = std::make_unique<detail::WriteJob>();
  job->ops = st->ops.size();
  job->apply = detail::guarded(
      [st](Database& db, bool careful) { apply_all(db, st->ops, st->out, careful); });
  job->then = [st, done = std::move(done)](boost::system::error_code ec) {
    if (ec)
      done(from_sqlite(ec), std::move(st->ops));
    else
      done(std::move(st->out), std::move(st->ops));
  };
  impl_->writer->submit_async(std::move(job));
}

}  // namespace patrol::store
