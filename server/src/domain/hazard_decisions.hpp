// The hazard lifecycle applied to a stored hazard: what a transition or the
// passing of time makes of the current row. Shared by the REST route, the
// `hazard.transition` op and the timer, and run inside the store's write on
// the current row (HazardDecider), so concurrent changes are decided in order.
//
// Pure, thread-safe.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <vector>

#include "domain/hazard_workflow.hpp"
#include "domain/principal.hpp"
#include "store/entities.hpp"
#include "store/hazard_workflow_store.hpp"

namespace patrol::domain {

struct TransitionInput {
  TransitionRequest req;  // to, assignee_id, deadline
  std::string note;
  std::vector<std::string> photos;
};

// Deadline filled in from the severity when missing, overdue and escalation
// recomputed at `now` (escalation never decreases), next_check_at set to the
// next instant escalation can change (unset when it cannot).
store::Hazard refresh_deadline(store::Hazard h, Ms now, const HazardPolicy& p);

// The hazard after `who` moves it as asked at `at`, with its history entry;
// or the refusal (422 / 409 invalid_transition / 403) from check_transition.
boost::system::result<store::HazardChange, TransitionRefusal> decide_transition(
    const store::Hazard& current, const Principal& who, const TransitionInput& in, Ms at,
    const HazardPolicy& p);

// What the timer makes of a hazard at `now`: nullopt when nothing changes; an
// escalation adds a history entry by "system".
std::optional<store::HazardChange> decide_timer(const store::Hazard& current, Ms now,
                                                const HazardPolicy& p);

}  // namespace patrol::domain
