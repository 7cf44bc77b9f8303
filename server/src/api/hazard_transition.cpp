#include "api/hazard_transition.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "api/attachments.hpp"
#include "patrol/wire/time.hpp"

namespace patrol::api {
namespace json = boost::json;

boost::system::result<TransitionBody, wire::FieldError> decode_transition(const json::value& v,
                                                                          std::string_view prefix) {
  std::string p(prefix);
  if (!v.is_object()) return wire::FieldError{"invalid_type", p, "an object {to, note?, …}"};
  const auto& o = v.get_object();
  TransitionBody b;
  auto* to = o.if_contains("to");
  if (!to) return wire::FieldError{"required", p + "to", "the target state"};
  if (!to->is_string()) return wire::FieldError{"invalid_type", p + "to", "a string"};
  b.req.to = std::string(to->get_string());
  if (auto* n = o.if_contains("note"); n && !n->is_null()) {
    if (!n->is_string()) return wire::FieldError{"invalid_type", p + "note", "a string"};
    if (n->get_string().size() > 4000)
      return wire::FieldError{"too_long", p + "note", "at most 4000 bytes"};
    b.note = std::string(n->get_string());
  }
  if (auto* ph = o.if_contains("photos"); ph && !ph->is_null()) {
    if (!ph->is_array()) return wire::FieldError{"invalid_type", p + "photos", "an array"};
    if (ph->get_array().size() > 20)
      return wire::FieldError{"too_long", p + "photos", "at most 20 photos"};
    for (std::size_t i = 0; i < ph->get_array().size(); ++i) {
      const auto& x = ph->get_array()[i];
      if (!x.is_string() || !is_sha256_hex(x.get_string()))
        return wire::FieldError{"invalid_format", p + "photos[" + std::to_string(i) + "]",
                                "lower-case hex SHA-256"};
      b.photos.emplace_back(x.get_string());
    }
  }
  if (auto* a = o.if_contains("assignee_id"); a && !a->is_null()) {
    if (!a->is_string() || a->get_string().empty() || a->get_string().size() > 64)
      return wire::FieldError{"invalid_type", p + "assignee_id", "a user id"};
    b.req.assignee_id = std::string(a->get_string());
  }
  if (auto* d = o.if_contains("deadline"); d && !d->is_null()) {
    auto t = d->is_string() ? wire::parse_rfc3339(d->get_string()) : std::nullopt;
    if (!t) return wire::FieldError{"invalid_format", p + "deadline", "an RFC 3339 time"};
    b.req.deadline = t->instant.time_since_epoch().count();
  }
  return b;
}

boost::system::result<store::Hazard, domain::TransitionRefusal> apply_transition(
    Services& svc, const domain::Principal& who, const std::string& hazard_id,
    const TransitionBody& body, store::Ms at, std::optional<store::AuditEntry> audit) {
  std::optional<domain::TransitionRefusal> refusal;
  auto decide = [&](const store::Hazard& cur) -> std::optional<store::HazardChange> {
    auto c = domain::decide_transition(cur, who, body, at, svc.hazard_policy);
    if (!c) {
      refusal = c.error();
      return std::nullopt;
    }
    if (audit) add_transition_audit(*c, cur, *audit);
    return std::move(*c);
  };
  auto r = svc.store().change_hazard(hazard_id, decide);
  if (!r) {
    if (r.error() == store::errc::not_found)
      return domain::TransitionRefusal{404, {"not_found", "hazard_id", "no such hazard"}};
    bool busy = r.error() == store::errc::unavailable || r.error() == store::errc::shutting_down;
    return domain::TransitionRefusal{busy ? 503 : 500,
                                     {busy ? "unavailable" : "internal", "", r.error().message()}};
  }
  if (refusal) return *refusal;
  if (!*r) return domain::TransitionRefusal{500, {"internal", "", "transition not stored"}};
  return std::move(**r);
}

void add_transition_audit(store::HazardChange& change, const store::Hazard& current,
                          store::AuditEntry audit) {
  json::object d{{"from", current.state}, {"to", change.next.state}};
  if (change.next.assignee_id && change.next.assignee_id != current.assignee_id)
    d["assignee_id"] = *change.next.assignee_id;
  audit.details = json::serialize(d);
  audit.object_type = "hazard";
  audit.object_id = current.id;
  audit.org_path = current.org_path;
  change.audit = std::move(audit);
}

}  // namespace patrol::api
