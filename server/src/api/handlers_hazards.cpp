// One hazard with its history, and its transitions (隐患整改) over REST. The
// rule (which state, which role, the deadline, escalation) is the domain's
// (domain/hazard_workflow.hpp), decided on the current row inside the write.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "api/hazard_transition.hpp"
#include "patrol/wire/time.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

store::Hazard visible_hazard(Ctx& c) {
  auto h = c.svc.store().hazard(c.param("id"));
  if (!h && h.error() != store::errc::not_found) throw_store(h.error());
  if (!h || !c.me().can_see(h->org_path)) throw ApiError(404, "not_found", "id", "no such hazard");
  return std::move(*h);
}

json::object with_history(Ctx& c, const store::Hazard& h) {
  auto o = store::to_json(h);
  json::array hist;
  for (const auto& e : must(c.svc.store().hazard_history(h.id))) hist.push_back(store::to_json(e));
  o["history"] = std::move(hist);
  return o;
}

}  // namespace

Response get_hazard(Ctx& c) {
  return json_response(200, with_history(c, visible_hazard(c)));
}

Response transition_hazard(Ctx& c) {
  auto h = visible_hazard(c);
  auto body = parse_json_body(c.req);
  auto req = decode_transition(body, "");
  if (!req) throw ApiError(422, req.error().code, req.error().field, req.error().message);
  if (req->req.assignee_id) {
    auto u = c.svc.store().user(*req->req.assignee_id);
    if (!u && u.error() != store::errc::not_found) throw_store(u.error());
    if (!u || !c.me().can_see(u->org_path))
      throw ApiError(422, "not_found", "assignee_id", "no such user in your area");
  }
  auto out =
      apply_transition(c.svc, c.me(), h.id, *req, now_ms(),
                       audit_entry(c.me(), c.req, "hazard.transition", "hazard", h.id, h.org_path));
  if (!out)
    throw ApiError(out.error().status, out.error().error.code, out.error().error.field,
                   out.error().error.message);
  return json_response(200, with_history(c, *out));
}

}  // namespace patrol::api::handlers
