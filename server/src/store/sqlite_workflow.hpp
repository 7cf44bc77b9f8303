// Internal to the SQLite store: the round and hazard ops of a push, applied
// by the push's write job (sqlite_sync_push.cpp) inside its transaction, with
// the row readers of sqlite_rows.hpp.
//
// Thread safety: the writer thread only.
#pragma once

#include <optional>

#include "patrol/wire/field_error.hpp"
#include "sqlite/database.hpp"
#include "store/hazard_workflow_store.hpp"
#include "store/round_store.hpp"

namespace patrol::store::detail {

// nullopt: applied (the round written when it changed, the check-in recorded);
// otherwise the op's rejection (not_found, or what the decider answered).
std::optional<wire::FieldError> apply_round_op(sqlite::Database& db, const RoundOpWrite& w);
// Recomputes the stored progress of a round (domain::with_progress) after
// something it counts was written (an inspection naming it); a change-log
// entry when it moved. Unknown ids are ignored.
void refresh_round_progress(sqlite::Database& db, std::string_view round_id, Ms now);
std::optional<wire::FieldError> apply_hazard_op(sqlite::Database& db, const HazardOpWrite& w);

}  // namespace patrol::store::detail
