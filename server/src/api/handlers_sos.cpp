// POST /api/v1/sos/{id}/ack: a leader acknowledges an SOS alert on the
// server, so the banner clears on every leader's dashboard (the change goes
// out as a live `sos` event with the alert as stored), not only in the
// browser that tapped it. Who may: a role with the acknowledge_alerts right
// (team leader and above), for an alert inside their own subtree.
#include "api/handlers.hpp"
#include "domain/roles.hpp"

namespace patrol::api::handlers {

Response acknowledge_sos(Ctx& c) {
  const auto& me = c.me();
  if (!domain::has_right(me.role, domain::Right::acknowledge_alerts))
    throw ApiError(403, "forbidden", "role", "only team leaders and above acknowledge SOS alerts");
  // Any body is ignored (the route takes none); an alert outside the
  // caller's subtree is answered as if it did not exist.
  auto r = c.svc.store().acknowledge_alert(c.param("id"), me.org_path, me.user_id, now_ms());
  if (!r && r.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "no such SOS alert");
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "conflict", "state", "the alert is closed");
  if (!r) throw_store(r.error());
  return json_response(200, store::to_json(r->alert));
}

}  // namespace patrol::api::handlers
