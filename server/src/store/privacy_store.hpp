// patrol::store::PrivacyStore — personal data (PIPL, issue 9): track
// retention (positions older than --track-retention are deleted by a
// background job; inspections, hazards and alerts are kept) and a person's
// erasure by an admin (positions deleted, name and phone pseudonymised,
// sessions ended; what they reported is kept under the pseudonym).
//
// A person's export needs no function of its own: it reads AuthStore::user,
// DashboardStore::track / inspections and AuditStore::audit.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/audit_store.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

struct UserErasure {
  std::string user_id;
  std::string pseudonym_name;   // replaces the name everywhere it is read from the users row
  std::string pseudonym_phone;  // unique and never a real number (the login is gone)
  std::optional<AuditEntry> audit = std::nullopt;  // appended in the same transaction when set
};

class PrivacyStore {
 public:
  virtual ~PrivacyStore() = default;

  // Deletes track points whose time is before `cutoff` (and latest positions
  // older than it), at most about `max_rows` per call so the single writer is
  // never held long; returns how many were deleted (call again while it
  // reaches max_rows). Nothing else is touched.
  [[nodiscard]] virtual result<std::int64_t> delete_positions_before(Ms cutoff,
                                                                     std::int64_t max_rows) = 0;
  // In one transaction: the user's positions, latest position and trackers
  // deleted, sessions ended, name and phone replaced by the pseudonym, the
  // account disabled, the audit entry appended. not_found: no such user.
  [[nodiscard]] virtual result<void> erase_user(const UserErasure& e) = 0;
};

}  // namespace patrol::store
