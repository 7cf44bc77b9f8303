// PgStore::apply_ops — sync/push: each op claimed by its id (INSERT … ON
// CONFLICT DO NOTHING: idempotent), then its inspection, positions or SOS
// written with change-log entries, in one group commit. What a hazard item
// does to the site's hazard is decided by domain/hazard_rules.hpp exactly as
// in sqlite_sync_push.cpp; this file reads the current row (under a
// per-(site, item) advisory lock, since another node may be writing the same
// hazard) and persists the decision.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/hazard_rules.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/op_receipt.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers
namespace json = boost::json;

namespace {

constexpr std::string_view kOpById =
    "SELECT user_id, status, error, received_at FROM ops WHERE op_id = $1";
constexpr std::string_view kClaimOp =
    "INSERT INTO ops(op_id, user_id, device_id, type, status, error, received_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (op_id) DO NOTHING";
constexpr std::string_view kRejectOp =
    "UPDATE ops SET status = 'rejected', error = $2 WHERE op_id = $1";

constexpr std::string_view kInsertInspection =
    "INSERT INTO inspections(id, op_id, site_id, org_unit_id, org_path, user_id, device_id, "
    "template_id, template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, "
    "accuracy_m, note, items) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
    "$14, $15, $16, $17, $18) ON CONFLICT (id) DO NOTHING";
// All photos of an inspection in one statement: [[sha256, item_code], …].
constexpr std::string_view kInsertInspectionPhotos =
    "INSERT INTO inspection_photos(sha256, inspection_id, item_code) "
    "SELECT e->>0, $2, e->>1 FROM json_array_elements($1::json) e ON CONFLICT DO NOTHING";
constexpr std::string_view kAttachmentExists = "SELECT 1 FROM attachments WHERE sha256 = $1";

// Serializes writers of one (site, item) hazard across nodes until commit.
constexpr std::string_view kLockHazardKey =
    "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))";
constexpr std::string_view kOpenHazard =
    "SELECT " PATROL_PG_HAZARD_READ_COLS
    " FROM hazards WHERE site_id = $1 AND item_code = $2 AND state <> 'closed' FOR UPDATE";
constexpr std::string_view kInsertHazard =
    "INSERT INTO hazards(" PATROL_PG_HAZARD_COLS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
constexpr std::string_view kUpdateHazard =
    "UPDATE hazards SET severity = $6, state = $7, photo_missing = $8, occurrences = $9, "
    "first_found_at = $10, last_found_at = $11, first_inspection_id = $12, "
    "last_inspection_id = $13, note = $14, updated_at = $15 WHERE id = $1 "
    "AND site_id = $2 AND org_unit_id = $3 AND org_path = $4 AND item_code = $5";
constexpr std::string_view kInsertOccurrence =
    "INSERT INTO hazard_occurrences(hazard_id, inspection_id, found_at, photo_missing) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

constexpr std::string_view kUpsertLatest =
    "INSERT INTO latest_positions(user_id, org_unit_id, org_path, t, lat, lon, accuracy_m) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE SET "
    "org_unit_id = excluded.org_unit_id, org_path = excluded.org_path, t = excluded.t, "
    "lat = excluded.lat, lon = excluded.lon, accuracy_m = excluded.accuracy_m "
    "WHERE excluded.t >= latest_positions.t";

constexpr std::string_view kInsertSos =
    "INSERT INTO sos_alerts(id, user_id, org_unit_id, org_path, raised_at, received_at, lat, "
    "lon, accuracy_m, note, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open') "
    "ON CONFLICT (id) DO NOTHING RETURNING seq";

Params hazard_params(const Hazard& h) {
  Params p;
  p.add(h.id).add(h.site_id).add(h.org_unit_id).add(h.org_path).add(h.item_code);
  p.add(h.severity).add(h.state).add(h.photo_missing).add(h.occurrences);
  p.add(h.first_found_at).add(h.last_found_at).add(h.first_inspection_id);
  p.add(h.last_inspection_id).add(h.note).add(h.updated_at);
  return p;
}

void record_hazard(PgTx& tx, const Inspection& i, const HazardItem& item, Ms now) {
  Conn& c = tx.conn;
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
    return c.exec(kAttachmentExists, Params().add(sha)).rows() > 0;
  });

  c.exec(kLockHazardKey, Params().add(i.site_id).add(item.code));
  auto r = c.exec(kOpenHazard, Params().add(i.site_id).add(item.code));
  Hazard hz;
  if (r.rows() > 0) {
    hz = read_hazard(r, 0);
    domain::found_again(hz, s, now);
    c.exec(kUpdateHazard, hazard_params(hz));
  } else {
    hz = domain::open_hazard(s, wire::make_uuid_v7(), now);
    c.exec(kInsertHazard, hazard_params(hz));
  }
  c.exec(kInsertOccurrence, Params().add(hz.id).add(i.id).add(i.observed_ms).add(s.photo_missing));
  tx.append_change("hazard", "upsert", hz.id, hz.org_path, to_text(to_json(hz)));
}

bool write_inspection(PgTx& tx, InspectionWrite& w, const std::string& op_id, Ms now) {
  auto& i = w.inspection;
  if (w.items_json.empty()) w.items_json = items_json(i.items);
  Params p;
  p.add(i.id).add(op_id).add(i.site_id).add(i.org_unit_id).add(i.org_path).add(i.user_id);
  p.add(i.device_id).add(i.template_id).add(i.template_version).add(i.round_id);
  p.add(i.observed_at).add(i.observed_ms).add(now);
  if (i.position) {
    p.add(i.position->lat).add(i.position->lon).add(i.position->accuracy_m);
  } else {
    p.null().null().null();
  }
  p.add(i.note).add(w.items_json);
  if (tx.conn.exec(kInsertInspection, p).affected() == 0) return false;
  tx.inspections.push_back(i.id);  // numbered for the live feed at commit
  json::array photos;
  for (const auto& it : i.items)
    for (const auto& ph : it.photos) photos.push_back(json::array{ph, it.code});
  if (!photos.empty())
    tx.conn.exec(kInsertInspectionPhotos, Params().add(to_text(photos)).add(i.id));
  for (const auto& h : w.hazards) record_hazard(tx, i, h, now);
  if (i.round_id) refresh_round_progress(tx, *i.round_id, now);
  return true;
}

// The points are inserted at commit (PgTx::positions: commit-ordered seqs for
// the live feed), all of the group's in one statement; the latest marker now.
void write_positions(PgTx& tx, const PositionsWrite& w, Ms now) {
  if (w.points.empty()) return;
  const TrackPoint* latest = nullptr;
  tx.positions.reserve(tx.positions.size() + w.points.size());
  for (const auto& p : w.points) {
    tx.positions.push_back(
        {w.user_id, w.device_id, w.org_path, p.t, p.lat, p.lon, p.accuracy_m, now});
    if (!latest || p.t >= latest->t) latest = &p;
  }
  tx.conn.exec(kUpsertLatest, Params()
                                  .add(w.user_id)
                                  .add(w.org_unit_id)
                                  .add(w.org_path)
                                  .add(latest->t)
                                  .add(latest->lat)
                                  .add(latest->lon)
                                  .add(latest->accuracy_m));
}

bool write_sos(PgTx& tx, SosWrite& w, Ms now) {
  auto& a = w.alert;
  a.received_at = now;
  a.state = "open";
  Params p;
  p.add(a.id).add(a.user_id).add(a.org_unit_id).add(a.org_path).add(a.raised_at).add(now);
  if (a.position) {
    p.add(a.position->lat).add(a.position->lon).add(a.position->accuracy_m);
  } else {
    p.null().null().null();
  }
  p.add(a.note);
  auto r = tx.conn.exec(kInsertSos, p);
  if (r.rows() == 0) return false;
  a.seq = r.int64(0, 0);
  tx.append_change("sos", "upsert", a.id, a.org_path, to_text(to_json(a)));
  return true;
}

bool claim_op(PgTx& tx, const PreparedOp& op, const OpOutcome& out) {
  Params p;
  p.add(op.op_id).add(op.user_id).add(op.device_id).add(op.type);
  p.add(out.status == wire::OpStatus::rejected ? "rejected" : "applied");
  if (out.error) {
    p.add(to_text(wire::to_json(*out.error)));
  } else {
    p.null();
  }
  p.add(out.received_at);
  return tx.conn.exec(kClaimOp, p).affected() != 0;
}

void reject_op(PgTx& tx, const PreparedOp& op, OpOutcome& out, wire::FieldError err) {
  out.status = wire::OpStatus::rejected;
  out.error = std::move(err);
  tx.conn.exec(kRejectOp, Params().add(op.op_id).add(to_text(wire::to_json(*out.error))));
}

void previous_outcome(PgTx& tx, const PreparedOp& op, OpOutcome& out) {
  auto r = tx.conn.exec(kOpById, Params().add(op.op_id));
  if (r.rows() == 0) throw Failure{errc::internal, "", "claimed op vanished"};
  std::string user = r.text(0, 0);
  std::string status = r.text(0, 1);
  auto err = r.opt_text(0, 2);
  out.received_at = r.int64(0, 3);
  outcome_from_receipt(out, user, status, err, op.user_id, detail::now_ms());
}

// False when the op's entity id is already stored (nothing written). A round
// or hazard op the domain's decider refuses on the current row sets `refused`
// (nothing written).
bool write_action(PgTx& tx, PreparedOp& op, Ms now, std::optional<wire::FieldError>& refused) {
  if (auto* r = std::get_if<RoundOpWrite>(&op.action)) {
    refused = apply_round_op(tx, *r);
  } else if (auto* h = std::get_if<HazardOpWrite>(&op.action)) {
    refused = apply_hazard_op(tx, *h);
  } else if (auto* w = std::get_if<InspectionWrite>(&op.action)) {
    return write_inspection(tx, *w, op.op_id, now);
  } else if (auto* p = std::get_if<PositionsWrite>(&op.action)) {
    write_positions(tx, *p, now);
  } else if (auto* a = std::get_if<SosWrite>(&op.action)) {
    return write_sos(tx, *a, now);
  }
  return true;
}

// As in sqlite_sync_push.cpp: fast path without a savepoint; `careful` wraps
// the op's write in SAVEPOINT op so a failing op is rejected alone.
OpOutcome apply_one(PgTx& tx, PreparedOp& op, bool careful) {
  OpOutcome out;
  out.op_id = op.op_id;
  out.received_at = detail::now_ms();
  const auto* rej = std::get_if<wire::FieldError>(&op.action);
  if (rej) {
    out.status = wire::OpStatus::rejected;
    out.error = *rej;
  } else {
    out.status = wire::OpStatus::applied;
  }
  if (!claim_op(tx, op, out)) {
    previous_outcome(tx, op, out);
    return out;
  }
  if (rej) return out;
  auto mark = tx.mark();
  if (careful) tx.conn.exec("SAVEPOINT op");
  try {
    std::optional<wire::FieldError> refused;
    bool written = write_action(tx, op, out.received_at, refused);
    if (careful) tx.conn.exec("RELEASE SAVEPOINT op");
    if (refused)
      reject_op(tx, op, out, std::move(*refused));
    else if (!written)
      reject_op(tx, op, out,
                wire::FieldError{"conflict", "body.id", "id already used by another report"});
  } catch (const Failure& f) {
    if (!careful || f.ec != errc::conflict) throw;
    tx.conn.exec("ROLLBACK TO SAVEPOINT op");
    tx.conn.exec("RELEASE SAVEPOINT op");
    tx.rewind(mark);
    reject_op(tx, op, out,
              wire::FieldError{"conflict", "body",
                               "conflicts with stored data (reference gone or id reused)"});
  }
  return out;
}

}  // namespace

namespace {
// The writer job's body of apply_ops: every op in order, into `out`.
void apply_all(PgTx& tx, std::vector<PreparedOp>& ops, std::vector<OpOutcome>& out, bool careful) {
  out.clear();
  if (!careful) {
    for (auto& op : ops) out.push_back(apply_one(tx, op, false));
    return;
  }
  auto mark = tx.mark();
  tx.conn.exec("SAVEPOINT fast");
  try {
    for (auto& op : ops) out.push_back(apply_one(tx, op, false));
    tx.conn.exec("RELEASE SAVEPOINT fast");
  } catch (const Failure& f) {
    if (f.ec != errc::conflict) throw;
    // Undo this job's fast attempt and redo it op by op.
    tx.conn.exec("ROLLBACK TO SAVEPOINT fast");
    tx.conn.exec("RELEASE SAVEPOINT fast");
    tx.rewind(mark);
    out.clear();
    for (auto& op : ops) out.push_back(apply_one(tx, op, true));
  }
}

// The (site, item) hazard keys a push may touch (record_hazard's lock).
std::vector<std::string> hazard_keys(const std::vector<PreparedOp>& ops) {
  std::vector<std::string> keys;
  for (const auto& op : ops)
    if (const auto* w = std::get_if<InspectionWrite>(&op.action))
      for (const auto& h : w->hazards) keys.push_back(w->inspection.site_id + "/" + h.code);
  return keys;
}
}  // namespace

void PgStore::apply_ops_async(std::vector<PreparedOp> ops, OpsDone done) {
  struct State {
    std::vector<PreparedOp> ops;
    std::vector<OpOutcome> out;
  };
  auto st = std::make_shared<State>();
  st->ops = std::move(ops);
  auto job = std::make_unique<PgJob>();
  job->lock_keys = hazard_keys(st->ops);
  job->apply = guarded([st](PgTx& tx, bool careful) { apply_all(tx, st->ops, st->out, careful); });
  job->then = [st, done = std::move(done)](boost::system::error_code ec) {
    if (ec)
      done(ec, std::move(st->ops));
    else
      done(std::move(st->out), std::move(st->ops));
  };
  impl_->writer->submit_async(std::move(job));
}

}  // namespace patrol::store
