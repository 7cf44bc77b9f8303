#pragma once
// The answer to an op whose id is already stored (a retried push), shared by
// the SQLite and PostgreSQL push paths so both give the same decision.

#include <optional>
#include <string>

#include "store/sync_store.hpp"

namespace patrol::store {

// Sets `out` from the stored receipt of the op id: another user's op id is a
// `conflict` (its outcome is neither revealed nor reused, received_at = now),
// an applied op answers `duplicate`, a rejected one its stored error again.
void outcome_from_receipt(OpOutcome& out, const std::string& stored_user,
                          const std::string& stored_status,
                          const std::optional<std::string>& stored_error,
                          const std::string& op_user, Ms now);

}  // namespace patrol::store
