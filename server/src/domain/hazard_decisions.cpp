#include "domain/hazard_decisions.hpp"

#include <algorithm>

namespace patrol::domain {

store::Hazard refresh_deadline(store::Hazard h, Ms now, const HazardPolicy& p) {
  auto state = parse_hazard_state(h.state).value_or(HazardState::open);
  if (!h.deadline) h.deadline = default_deadline(h.severity, h.first_found_at, p);
  h.overdue = is_overdue(state, h.deadline, now);
  auto prev = parse_escalation(h.escalation).value_or(Escalation::village);
  h.escalation = std::string(to_string(std::max(prev, escalation(state, h.deadline, now, p))));
  h.next_check_at = next_escalation_at(state, h.deadline, now, p);
  return h;
}

boost::system::result<store::HazardChange, TransitionRefusal> decide_transition(
    const store::Hazard& current, const Principal& who, const TransitionInput& in, Ms at,
    const HazardPolicy& p) {
  auto from = parse_hazard_state(current.state).value_or(HazardState::open);
  auto to = check_transition(who.role, from, in.req);
  if (!to) return to.error();
  store::Hazard next = current;
  next.state = std::string(to_string(*to));
  if (*to == HazardState::assigned) {
    if (in.req.assignee_id) next.assignee_id = in.req.assignee_id;
    if (in.req.deadline) next.deadline = in.req.deadline;
  }
  if (*to == HazardState::closed) next.closed_at = at;
  next.updated_at = at;
  next = refresh_deadline(std::move(next), at, p);
  store::HazardHistoryEntry e{at, who.user_id, current.state, next.state, in.note, in.photos};
  return store::HazardChange{std::move(next), std::move(e)};
}

std::optional<store::HazardChange> decide_timer(const store::Hazard& current, Ms now,
                                                const HazardPolicy& p) {
  store::Hazard next = refresh_deadline(current, now, p);
  if (next.deadline == current.deadline && next.overdue == current.overdue &&
      next.escalation == current.escalation && next.next_check_at == current.next_check_at)
    return std::nullopt;
  next.updated_at = now;
  store::HazardChange c{next, std::nullopt};
  if (next.escalation != current.escalation)
    c.history = store::HazardHistoryEntry{
        now, "system", current.state, next.state, "escalated to " + next.escalation, {}};
  return c;
}

}  // namespace patrol::domain
