// patrol::store::AuditStore — the audit log (issue 9): who did what to which
// object, from which device and address, and when, for every admin action
// (users, schedules, teams, sites: create/update/delete, password reset,
// disable, PIPL export/erase) and every hazard transition (REST and the
// hazard.transition op). Append-only: entries are never changed or removed
// (the SQLite table refuses UPDATE and DELETE with triggers).
//
// Where a write can carry its entry (UserWrite::audit, HazardChange::audit,
// UserErasure::audit) the store appends it in the same transaction as the
// action, so an action is never committed without its entry; other actions
// call append_audit() right after their own commit.
//
// Entries hold ids, never names or phone numbers (PIPL: erasing a person
// pseudonymises the users row; the log keeps only the id).
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/page.hpp"

namespace patrol::store {

struct AuditEntry {
  std::int64_t seq = 0;     // assigned by the store on append, increasing; ignored on append
  Ms at = 0;                // when the action was taken (server time)
  std::string actor_id;     // user id of who acted
  std::string actor_role;   // their role then
  std::string action;       // e.g. "user.create", "hazard.transition" (docs/design-notes.md)
  std::string object_type;  // "user", "schedule", "hazard", "team", "site"
  std::string object_id;
  std::string org_path;   // the object's org path ("/1/4/37/"), "" when it has none
  std::string device_id;  // the session's (or push's) device
  std::string address;    // the caller's IP address, without the port
  std::string details =
      "{}";  // a JSON object: what changed (field names, states), no personal data
};

struct AuditFilter {
  std::optional<std::string> actor_id;
  std::optional<std::string> object_type;
  std::optional<std::string> object_id;
  std::optional<Ms> from;                  // at >= from
  std::optional<Ms> to;                    // at < to
  std::optional<std::int64_t> before_seq;  // paging: entries with seq < this
  int limit = 100;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Appends one entry (its seq is assigned); returns after it is durable.
  [[nodiscard]] virtual result<void> append_audit(const AuditEntry& e) = 0;
  // Entries matching every given filter, newest first (seq descending);
  // `next` is the last entry's seq as a decimal string when more remain.
  [[nodiscard]] virtual result<Page<AuditEntry>> audit(const AuditFilter& f) = 0;
};

}  // namespace patrol::store
