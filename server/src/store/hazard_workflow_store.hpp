// patrol::store::HazardWorkflowStore — the hazard lifecycle after a hazard is
// found: one hazard with its history, transitions, and the deadline /
// overdue / escalation updates of the timer. Every change is a domain
// decision (domain/hazard_workflow.hpp) taken inside the write transaction on
// the current row, then persisted with a history entry and a change-log entry.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <boost/system/result.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "patrol/wire/field_error.hpp"
#include "store/audit_store.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

struct HazardChange {
  Hazard next;                                     // the hazard as it will be stored
  std::optional<HazardHistoryEntry> history;       // appended when set
  std::optional<AuditEntry> audit = std::nullopt;  // appended in the same transaction when set
};

// nullopt: refuse (nothing written; the caller remembers why) or no change.
using HazardDecider = std::function<std::optional<HazardChange>(const Hazard& current)>;

// The `hazard.transition` op of sync/push after domain validation, decided in
// the push's write transaction on the hazard's current row.
struct HazardOpWrite {
  std::string hazard_id;
  std::function<boost::system::result<HazardChange, wire::FieldError>(const Hazard&)> decide;
};

class HazardWorkflowStore {
 public:
  virtual ~HazardWorkflowStore() = default;

  [[nodiscard]] virtual result<Hazard> hazard(std::string_view id) = 0;
  // Oldest first.
  [[nodiscard]] virtual result<std::vector<HazardHistoryEntry>> hazard_history(
      std::string_view id) = 0;
  // Runs `decide` on the current row in one write transaction; returns the
  // stored hazard, or nullopt when `decide` returned nullopt. not_found when
  // the hazard does not exist.
  [[nodiscard]] virtual result<std::optional<Hazard>> change_hazard(std::string_view id,
                                                                    HazardDecider decide) = 0;
  // Hazards open or assigned that have no deadline yet, and hazards whose
  // next_check_at is at or before `due` (the timer's input), at most `limit`.
  [[nodiscard]] virtual result<std::vector<Hazard>> hazards_due(Ms due, int limit) = 0;
  // The earliest next_check_at (when the timer next has work).
  [[nodiscard]] virtual result<std::optional<Ms>> earliest_hazard_deadline() = 0;
  // change_hazard for many ids in one transaction; returns the hazards changed.
  [[nodiscard]] virtual result<std::vector<Hazard>> change_hazards(
      const std::vector<std::string>& ids, HazardDecider decide) = 0;
};

}  // namespace patrol::store
