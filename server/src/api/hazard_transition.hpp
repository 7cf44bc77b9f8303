// A hazard transition as both the REST route and the `hazard.transition` op
// make it: decode the request, then decide (domain) and persist (store) in one
// write, on the hazard's current row.
//
// Thread safety: call from a worker thread (blocks on the writer).
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <vector>

#include "api/context.hpp"
#include "domain/hazard_decisions.hpp"

namespace patrol::api {

using TransitionBody = domain::TransitionInput;

// {"to","note"?,"photos"?,"assignee_id"?,"deadline"?}; field names are
// prefixed with `prefix` ("body." for an op).
boost::system::result<TransitionBody, wire::FieldError> decode_transition(
    const boost::json::value& v, std::string_view prefix);

// The stored hazard, or why not (status 404/409/403/422/503 with the error).
boost::system::result<store::Hazard, domain::TransitionRefusal> apply_transition(
    Services& svc, const domain::Principal& who, const std::string& hazard_id,
    const TransitionBody& body, store::Ms at, std::optional<store::AuditEntry> audit = {});

// Adds `audit` to a transition's change, with the states it moved between
// (details {"from","to","assignee_id"?}); the store appends it in the same
// transaction. Shared by the REST route and the hazard.transition op.
void add_transition_audit(store::HazardChange& change, const store::Hazard& current,
                          store::AuditEntry audit);

}  // namespace patrol::api
