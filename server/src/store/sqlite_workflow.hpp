// Internal to the SQLite store: the round and hazard ops of a push, applied
// by the push's write job (sqlite_sync_push.cpp) inside its transaction, with
// the row reader the other use cases share.
//
// Thread safety: the writer thread only.
#pragma once

#include <optional>

#include "patrol/wire/field_error.hpp"
#include "sqlite/database.hpp"
#include "store/hazard_workflow_store.hpp"
#include "store/round_store.hpp"

namespace patrol::store::detail {

// PATROL_ROUND_COLS (sqlite_rounds.cpp), in order.
Round read_round(sqlite::Statement& s);
// nullopt: applied (the round written when it changed, the check-in recorded);
// otherwise the op's rejection (not_found, or what the decider answered).
std::optional<wire::FieldError> apply_round_op(sqlite::Database& db, const RoundOpWrite& w);
std::optional<wire::FieldError> apply_hazard_op(sqlite::Database& db, const HazardOpWrite& w);

}  // namespace patrol::store::detail
