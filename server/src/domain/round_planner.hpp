// Turns a stored schedule into its rounds: the bridge between the store's
// Schedule (strings as on the wire) and domain::Recurrence.
//
// Pure, thread-safe.
#pragma once

#include <vector>

#include "domain/recurrence.hpp"
#include "store/entities.hpp"

namespace patrol::domain {

// The rule of a schedule; fails with the schedule's field named (start_time,
// starts_on, exceptions[i].date, …) when a string does not parse or the rule
// is invalid (validate()).
checked<Recurrence> recurrence_of(const store::Schedule& s);

// The rounds of `s` overlapping [from, to): deterministic ids (round_id), state
// planned (cancelled for a cancelled date), the schedule's route. `now` is
// their updated_at.
checked<std::vector<store::Round>> plan_rounds(const store::Schedule& s, Ms from, Ms to, Ms now);

}  // namespace patrol::domain
