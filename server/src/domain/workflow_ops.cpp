#include "domain/workflow_ops.hpp"

#include <boost/json/object.hpp>

namespace patrol::domain {
namespace json = boost::json;

namespace {

wire::FieldError err(std::string code, std::string field, std::string message) {
  return {std::move(code), std::move(field), std::move(message)};
}

std::optional<std::string> id_field(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  if (!v || !v->is_string() || v->get_string().empty() || v->get_string().size() > 64)
    return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

boost::system::result<std::optional<store::Round>, wire::FieldError> decide_round(
    const store::Round& current, RoundAction action, Ms device_t, Ms now, const RoundPolicy& p) {
  RoundTimes t{parse_round_state(current.state).value_or(RoundState::planned), current.starts_at,
               current.ends_at, current.started_at, current.finished_at};
  auto d = apply(t, action, device_t, p);
  if (!d) return d.error();
  if (!d->changed) return std::optional<store::Round>();
  store::Round next = current;
  next.state = std::string(to_string(d->next.state));
  next.started_at = d->next.started_at;
  next.finished_at = d->next.finished_at;
  next.updated_at = now;
  return std::optional<store::Round>(std::move(next));
}

store::result<std::variant<wire::FieldError, store::RoundOpWrite>> prepare_round_op(
    store::ReferenceStore& s, const Principal& who, std::string_view type, const json::value& body,
    Ms device_t, Ms now, const RoundPolicy& p) {
  using Out = std::variant<wire::FieldError, store::RoundOpWrite>;
  if (!body.is_object()) return Out(err("invalid_type", "body", "an object"));
  const auto& o = body.get_object();
  auto round_id = id_field(o, "round_id");
  if (!round_id) return Out(err("required", "body.round_id", "the round's id"));
  auto r = s.round(*round_id);
  if (!r && r.error() != store::errc::not_found) return r.error();
  if (!r || !who.can_see(r->org_path))
    return Out(err("not_found", "body.round_id", "no such round"));
  RoundAction action = type == "round.start"    ? RoundAction::start
                       : type == "round.finish" ? RoundAction::finish
                                                : RoundAction::checkin;
  store::RoundOpWrite w;
  w.round_id = *round_id;
  w.user_id = who.user_id;
  w.at = device_t;
  if (action == RoundAction::checkin) {
    auto site_id = id_field(o, "site_id");
    if (!site_id) return Out(err("required", "body.site_id", "the site checked in at"));
    auto site = s.site(*site_id);
    if (!site && site.error() != store::errc::not_found) return site.error();
    if (!site || !who.can_see(site->org_path))
      return Out(err("not_found", "body.site_id", "no such site"));
    w.checkin_site_id = *site_id;
  }
  w.decide = [action, device_t, now, p](const store::Round& cur) {
    return decide_round(cur, action, device_t, now, p);
  };
  return Out(std::move(w));
}

store::result<std::variant<wire::FieldError, store::HazardOpWrite>> prepare_hazard_op(
    store::HazardWorkflowStore& s, const Principal& who, const json::value& body, Ms device_t,
    const HazardPolicy& p, store::AuthStore* users) {
  using Out = std::variant<wire::FieldError, store::HazardOpWrite>;
  if (!body.is_object()) return Out(err("invalid_type", "body", "an object"));
  const auto& o = body.get_object();
  auto hazard_id = id_field(o, "hazard_id");
  if (!hazard_id) return Out(err("required", "body.hazard_id", "the hazard's id"));
  auto h = s.hazard(*hazard_id);
  if (!h && h.error() != store::errc::not_found) return h.error();
  if (!h || !who.can_see(h->org_path))
    return Out(err("not_found", "body.hazard_id", "no such hazard"));
  TransitionInput in;
  auto* to = o.if_contains("to");
  if (!to || !to->is_string()) return Out(err("required", "body.to", "the target state"));
  in.req.to = std::string(to->get_string());
  if (auto* n = o.if_contains("note"); n && n->is_string()) in.note = std::string(n->get_string());
  if (auto* ph = o.if_contains("photos"); ph && ph->is_array())
    for (const auto& x : ph->get_array())
      if (x.is_string()) in.photos.emplace_back(x.get_string());
  if (auto a = id_field(o, "assignee_id")) {
    if (users) {
      auto u = users->user(*a);
      if (!u && u.error() != store::errc::not_found) return u.error();
      if (!u || !who.can_see(u->org_path))
        return Out(err("not_found", "body.assignee_id", "no such user in your area"));
    }
    in.req.assignee_id = *a;
  }
  store::HazardOpWrite w;
  w.hazard_id = *hazard_id;
  w.decide = [who, in, device_t, p](const store::Hazard& cur)
      -> boost::system::result<store::HazardChange, wire::FieldError> {
    auto c = decide_transition(cur, who, in, device_t, p);
    if (!c) {
      auto e = c.error().error;
      e.field = "body." + e.field;
      return e;
    }
    return std::move(*c);
  };
  return Out(std::move(w));
}

}  // namespace patrol::domain
