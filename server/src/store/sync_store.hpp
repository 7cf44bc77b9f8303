// patrol::store::SyncStore — the two halves of sync: apply a push's validated
// ops (idempotent by op id) and pull the change log since a cursor.
//
// What an inspection's hazard items do to the site's hazards (found again,
// photo_missing, which fields a late report may change) is decided by
// domain/hazard_rules.hpp; an implementation reads the current hazard in its
// write transaction, asks those functions, and persists their answer.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "patrol/wire/field_error.hpp"
#include "patrol/wire/messages.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/hazard_workflow_store.hpp"
#include "store/round_store.hpp"

namespace patrol::store {

// ---------- sync/push ----------

// A hazard item of an inspection, with what the template says about it.
struct HazardItem {
  std::string code;
  std::string severity;
  bool photo_required = false;
  std::vector<std::string> photos;
  std::string note;
};

struct InspectionWrite {
  Inspection inspection;            // received_ms is set by the store
  std::vector<HazardItem> hazards;  // items with result "hazard"
  // inspection.items as the JSON array [{code,result,note?,photos?},…] that the
  // store keeps as the inspection's items column; built by the caller (off the
  // writer thread) with items_json(), or by the store when empty.
  std::string items_json;
};

struct PositionsWrite {
  std::string user_id;
  std::string device_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::vector<TrackPoint> points;
};

struct SosWrite {
  SosAlert alert;  // received_at is set by the store
};

// One op of a push after domain validation: either what to write, or why it
// is rejected (the rejection is recorded too, so a re-push returns it again).
struct PreparedOp {
  std::string op_id;
  std::string user_id;
  std::string device_id;
  std::string type;
  std::variant<wire::FieldError, InspectionWrite, PositionsWrite, SosWrite, RoundOpWrite,
               HazardOpWrite>
      action;
};

struct OpOutcome {
  std::string op_id;
  wire::OpStatus status = wire::OpStatus::applied;
  std::optional<wire::FieldError> error;  // when rejected (now or the first time)
  Ms received_at = 0;                     // when the op was first seen
};

// ---------- sync/pull ----------

struct ChangeEntry {
  std::int64_t seq = 0;
  std::string entity;
  std::string op;  // upsert | delete
  std::string id;
  std::string data;  // JSON text ("null" for delete)
};

struct ChangePage {
  std::vector<ChangeEntry> changes;
  std::int64_t cursor = 0;  // pass back as the next cursor
  bool has_more = false;
};

class SyncStore {
 public:
  virtual ~SyncStore() = default;

  // Applies a push's ops in one group commit, in order. For each op: if its
  // op_id was seen before, the first outcome is returned (status duplicate when
  // it was applied; rejected with the first error when it was rejected) and
  // nothing is written; otherwise the action is written (or the rejection
  // recorded) together with the op record and change-log entries. An op whose
  // write conflicts (e.g. an inspection id reused, a site gone) is rejected
  // alone. Whole-call failure (unavailable) means nothing of this call was
  // committed.
  // The calling thread waits for the commit; one write path with
  // apply_ops_async (this is apply_ops_async and a wait), so the two cannot
  // drift. The ops are freed on the calling thread.
  [[nodiscard]] result<std::vector<OpOutcome>> apply_ops(std::vector<PreparedOp> ops);
  // apply_ops without waiting for the commit: the same writes, outcomes and
  // errors, handed to `done` exactly once: on the writer thread after the
  // commit holding the ops returned (so an answer built from them is sent
  // only once it is on disk), or on the calling thread when the store is
  // shutting down (nothing written). `done` must not block (it posts the rest
  // of the answer to where it is sent from); it gets the ops back so their
  // many strings can be freed there, off the single writer thread. No thread
  // waits meanwhile: a push answers from the writer's completion instead of
  // parking a worker thread on the commit.
  using OpsDone =
      std::function<void(result<std::vector<OpOutcome>> outcomes, std::vector<PreparedOp> ops)>;
  virtual void apply_ops_async(std::vector<PreparedOp> ops, OpsDone done) = 0;
  // Changes visible to a caller at `scope_path` after `cursor`, oldest first:
  // everything at or below the path, plus org units and templates above it.
  // page.cursor < cursor means the cursor is beyond the log's end.
  [[nodiscard]] virtual result<ChangePage> changes(std::string_view scope_path, std::int64_t cursor,
                                                   int limit) = 0;
};

}  // namespace patrol::store
