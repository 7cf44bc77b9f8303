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
#include "domain/hazard_workflow.hpp"

namespace patrol::api {

struct TransitionBody {
  domain::TransitionRequest req;
  std::string note;
  std::vector<std::string> photos;
  std::optional<std::string> assignee_id;  // == req.assignee_id
};

// {"to","note"?,"photos"?,"assignee_id"?,"deadline"?}; field names are
// prefixed with `prefix` ("body." for an op).
boost::system::result<TransitionBody, wire::FieldError> decode_transition(
    const boost::json::value& v, std::string_view prefix);

// The stored hazard, or why not (status 404/409/403/422/503 with the error).
boost::system::result<store::Hazard, domain::TransitionRefusal> apply_transition(
    Services& svc, const domain::Principal& who, const std::string& hazard_id,
    const TransitionBody& body, store::Ms at);

// What a hazard looks like after `now` under the policy: deadline filled in
// from the severity when missing, overdue and escalation recomputed
// (escalation never decreases). Used by transitions and the timer.
store::Hazard refresh_deadline(store::Hazard h, store::Ms now, const domain::HazardPolicy& p);

}  // namespace patrol::api
