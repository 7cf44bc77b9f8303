// SqliteStore's HazardWorkflowStore: one hazard with its history, transitions
// and the timer's deadline / escalation updates (decided in domain/).
#include <boost/json/array.hpp>

#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"
#include "store/sqlite_workflow.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kHazard =
    "SELECT " PATROL_HAZARD_READ_COLS " FROM hazards WHERE id = ?1";
constexpr std::string_view kHistory =
    "SELECT at, by, from_state, to_state, note, photos FROM hazard_history WHERE hazard_id = ?1 "
    "ORDER BY seq";
constexpr std::string_view kWriteHazard =
    "UPDATE hazards SET state = ?2, note = ?3, updated_at = ?4, assignee_id = ?5, deadline = ?6, "
    "overdue = ?7, escalation = ?8, closed_at = ?9, next_check_at = ?10 WHERE id = ?1";
constexpr std::string_view kAddHistory =
    "INSERT INTO hazard_history(hazard_id, at, by, from_state, to_state, note, photos) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// Two index ranges: hazards without a deadline yet, and those due a check.
constexpr std::string_view kDue =
    "SELECT " PATROL_HAZARD_READ_COLS
    " FROM hazards WHERE deadline IS NULL AND state IN ('open','assigned') "
    "UNION ALL SELECT " PATROL_HAZARD_READ_COLS
    " FROM hazards WHERE next_check_at <= ?1 AND deadline IS NOT NULL LIMIT ?2";
constexpr std::string_view kEarliestDeadline =
    "SELECT min(next_check_at) FROM hazards WHERE next_check_at IS NOT NULL";

std::optional<Hazard> hazard_by_id(Database& db, std::string_view id) {
  auto& s = q(db, kHazard);
  s.bind(1, id);
  if (!step(s)) return std::nullopt;
  return read_hazard(s);
}

void persist(Database& db, const Hazard& before, const HazardChange& c) {
  const Hazard& h = c.next;
  auto& s = q(db, kWriteHazard);
  s.bind(1, before.id).bind(2, h.state).bind(3, h.note).bind(4, h.updated_at);
  s.bind(5, h.assignee_id).bind(6, h.deadline).bind(7, h.overdue ? 1 : 0);
  s.bind(8, h.escalation).bind(9, h.closed_at).bind(10, h.next_check_at);
  run(s);
  if (c.history) {
    auto& x = q(db, kAddHistory);
    x.bind(1, before.id).bind(2, c.history->at).bind(3, c.history->by);
    x.bind(4, c.history->from).bind(5, c.history->to).bind(6, c.history->note);
    x.bind(7, json_strings(c.history->photos));
    run(x);
  }
  append_change(db, "hazard", "upsert", before.id, before.org_path, to_json(h));
  if (c.audit) insert_audit(db, *c.audit);
}

}  // namespace

std::optional<wire::FieldError> detail::apply_hazard_op(Database& db, const HazardOpWrite& w) {
  auto cur = hazard_by_id(db, w.hazard_id);
  if (!cur) return wire::FieldError{"not_found", "body.hazard_id", "no such hazard"};
  auto c = w.decide(*cur);
  if (!c) return c.error();
  persist(db, *cur, *c);
  return std::nullopt;
}

result<Hazard> SqliteStore::hazard(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto h = hazard_by_id(db, id);
    if (!h) throw NotFound{};
    return *h;
  });
}

result<std::vector<HazardHistoryEntry>> SqliteStore::hazard_history(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kHistory);
    s.bind(1, id);
    std::vector<HazardHistoryEntry> out;
    while (step(s)) {
      HazardHistoryEntry e;
      e.at = s.column_int64(0);
      e.by = s.column_text(1);
      e.from = s.column_text(2);
      e.to = s.column_text(3);
      e.note = s.column_text(4);
      e.photos = string_array(s.column_text_view(5));
      out.push_back(std::move(e));
    }
    return out;
  });
}

result<std::optional<Hazard>> SqliteStore::change_hazard(std::string_view id,
                                                         HazardDecider decide) {
  std::optional<Hazard> stored;
  auto ec = impl_->writer->write([&](Database& db) {
    stored.reset();
    auto cur = hazard_by_id(db, id);
    if (!cur) throw NotFound{};
    auto c = decide(*cur);
    if (!c) return;
    c->next.id = cur->id;
    c->next.org_path = cur->org_path;
    persist(db, *cur, *c);
    stored = c->next;
  });
  if (ec) return ec;
  return stored;
}

result<std::vector<Hazard>> SqliteStore::hazards_due(Ms due, int limit) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kDue);
    s.bind(1, due).bind(2, limit);
    std::vector<Hazard> out;
    while (step(s)) out.push_back(read_hazard(s));
    return out;
  });
}

result<std::optional<Ms>> SqliteStore::earliest_hazard_deadline() {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kEarliestDeadline);
    step(s);
    return s.column_opt_int64(0);
  });
}

result<std::vector<Hazard>> SqliteStore::change_hazards(const std::vector<std::string>& ids,
                                                        HazardDecider decide) {
  std::vector<Hazard> changed;
  auto ec = impl_->writer->write(
      [&](Database& db) {
        changed.clear();
        for (const auto& id : ids) {
          auto cur = hazard_by_id(db, id);
          if (!cur) continue;
          auto c = decide(*cur);
          if (!c) continue;
          c->next.id = cur->id;
          c->next.org_path = cur->org_path;
          persist(db, *cur, *c);
          changed.push_back(c->next);
        }
      },
      ids.size());
  if (ec) return ec;
  return changed;
}

}  // namespace patrol::store
