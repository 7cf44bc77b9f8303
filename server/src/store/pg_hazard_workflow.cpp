// PgStore's HazardWorkflowStore: one hazard with its history, transitions and
// the timer's deadline / escalation updates (decided in domain/), as in
// sqlite_hazard_workflow.cpp. The current row is read FOR UPDATE: another
// node's transition (or a push finding the hazard again) waits for this
// commit, then decides on what this one wrote.
#include "store/pg_store_impl.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kHazard =
    "SELECT " PATROL_PG_HAZARD_READ_COLS " FROM hazards WHERE id = $1";
constexpr std::string_view kHazardForUpdate =
    "SELECT " PATROL_PG_HAZARD_READ_COLS " FROM hazards WHERE id = $1 FOR UPDATE";
constexpr std::string_view kHistory =
    "SELECT at, by, from_state, to_state, note, photos FROM hazard_history WHERE hazard_id = $1 "
    "ORDER BY seq";
constexpr std::string_view kWriteHazard =
    "UPDATE hazards SET state = $2, note = $3, updated_at = $4, assignee_id = $5, deadline = $6, "
    "overdue = $7, escalation = $8, closed_at = $9, next_check_at = $10 WHERE id = $1";
constexpr std::string_view kAddHistory =
    "INSERT INTO hazard_history(hazard_id, at, by, from_state, to_state, note, photos) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr std::string_view kDue =
    "(SELECT " PATROL_PG_HAZARD_READ_COLS
    " FROM hazards WHERE deadline IS NULL AND state IN ('open','assigned')) "
    "UNION ALL (SELECT " PATROL_PG_HAZARD_READ_COLS
    " FROM hazards WHERE next_check_at <= $1 AND deadline IS NOT NULL) LIMIT $2";
constexpr std::string_view kEarliestDeadline =
    "SELECT min(next_check_at) FROM hazards WHERE next_check_at IS NOT NULL";

std::optional<Hazard> hazard_for_update(Conn& c, std::string_view id) {
  auto r = c.exec(kHazardForUpdate, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  return read_hazard(r, 0);
}

void persist(PgTx& tx, const Hazard& before, const HazardChange& ch) {
  const Hazard& h = ch.next;
  Params p;
  p.add(before.id).add(h.state).add(h.note).add(h.updated_at).add(h.assignee_id).add(h.deadline);
  p.add(h.overdue).add(h.escalation).add(h.closed_at).add(h.next_check_at);
  tx.conn.exec(kWriteHazard, p);
  if (ch.history) {
    Params x;
    x.add(before.id).add(ch.history->at).add(ch.history->by).add(ch.history->from);
    x.add(ch.history->to).add(ch.history->note).add(detail::json_strings(ch.history->photos));
    tx.conn.exec(kAddHistory, x);
  }
  tx.append_change("hazard", "upsert", before.id, before.org_path, to_text(to_json(h)));
  if (ch.audit) insert_audit(tx.conn, *ch.audit);
}

}  // namespace

std::optional<wire::FieldError> pg::apply_hazard_op(PgTx& tx, const HazardOpWrite& w) {
  auto cur = hazard_for_update(tx.conn, w.hazard_id);
  if (!cur) return wire::FieldError{"not_found", "body.hazard_id", "no such hazard"};
  auto c = w.decide(*cur);
  if (!c) return c.error();
  persist(tx, *cur, *c);
  return std::nullopt;
}

result<Hazard> PgStore::hazard(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kHazard, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    return read_hazard(r, 0);
  });
}

result<std::vector<HazardHistoryEntry>> PgStore::hazard_history(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kHistory, Params().add(id));
    std::vector<HazardHistoryEntry> out;
    for (int i = 0; i < r.rows(); ++i) {
      HazardHistoryEntry e;
      e.at = r.int64(i, 0);
      e.by = r.text(i, 1);
      e.from = r.text(i, 2);
      e.to = r.text(i, 3);
      e.note = r.text(i, 4);
      e.photos = detail::string_array(r.text_view(i, 5));
      out.push_back(std::move(e));
    }
    return out;
  });
}

result<std::optional<Hazard>> PgStore::change_hazard(std::string_view id, HazardDecider decide) {
  std::optional<Hazard> stored;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    stored.reset();
    auto cur = hazard_for_update(tx.conn, id);
    if (!cur) throw NotFound{};
    auto c = decide(*cur);
    if (!c) return;
    c->next.id = cur->id;
    c->next.org_path = cur->org_path;
    persist(tx, *cur, *c);
    stored = c->next;
  });
  if (ec) return ec;
  return stored;
}

result<std::vector<Hazard>> PgStore::hazards_due(Ms due, int limit) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kDue, Params().add(due).add(limit));
    std::vector<Hazard> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_hazard(r, i));
    return out;
  });
}

result<std::optional<Ms>> PgStore::earliest_hazard_deadline() {
  return impl_->readers.read(
      [&](Conn& c) { return c.exec(kEarliestDeadline, Params()).opt_int64(0, 0); });
}

result<std::vector<Hazard>> PgStore::change_hazards(const std::vector<std::string>& ids,
                                                    HazardDecider decide) {
  std::vector<Hazard> changed;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    changed.clear();
    for (const auto& id : ids) {
      auto cur = hazard_for_update(tx.conn, id);
      if (!cur) continue;
      auto c = decide(*cur);
      if (!c) continue;
      c->next.id = cur->id;
      c->next.org_path = cur->org_path;
      persist(tx, *cur, *c);
      changed.push_back(c->next);
    }
  });
  if (ec) return ec;
  return changed;
}

}  // namespace patrol::store
