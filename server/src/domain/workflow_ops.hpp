// The round and hazard ops of sync/push, for phones that walk a round
// offline: round.start {"round_id"}, round.finish {"round_id"},
// round.checkin {"round_id","site_id","position"?}, hazard.transition
// {"hazard_id","to","note"?,"photos"?,"assignee_id"?,"deadline"?}.
//
// prepare_* checks what can be checked before the write (the body's shape,
// that the round / site / hazard exists in the caller's subtree) and returns
// the write with its decider: the state rule (round_rules.hpp, hazard
// lifecycle) runs on the current row inside the push's transaction, by the
// op's corrected DEVICE time, so a late op (a phone offline all evening) is
// judged by when it happened. Field names in errors are relative to the op
// ("body.round_id").
//
// Thread safety: call from the request's thread; the deciders are pure.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>
#include <variant>

#include "domain/hazard_decisions.hpp"
#include "domain/principal.hpp"
#include "domain/round_rules.hpp"
#include "store/store.hpp"

namespace patrol::domain {

// The round as `action` at `device_t` leaves it (updated_at = `now`), or the rejection.
boost::system::result<std::optional<store::Round>, wire::FieldError> decide_round(
    const store::Round& current, RoundAction action, Ms device_t, Ms now, const RoundPolicy& p);

// Fails only when the store cannot be read (the push answers 503).
store::result<std::variant<wire::FieldError, store::RoundOpWrite>> prepare_round_op(
    store::ReferenceStore& s, const Principal& who, std::string_view type,
    const boost::json::value& body, Ms device_t, Ms now, const RoundPolicy& p);

// `users`, when given, checks that an assignee exists in the caller's subtree
// (as the REST route does): otherwise the op is rejected not_found naming
// body.assignee_id, and nobody is assigned a hazard outside their area.
store::result<std::variant<wire::FieldError, store::HazardOpWrite>> prepare_hazard_op(
    store::HazardWorkflowStore& s, const Principal& who, const boost::json::value& body,
    Ms device_t, const HazardPolicy& p, store::AuthStore* users = nullptr);

}  // namespace patrol::domain
