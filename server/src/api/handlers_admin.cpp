// Users administration within the caller's subtree, never granting, editing
// or removing a role above the caller's own (domain/admin_rules.hpp). A new
// user gets a one-time password, shown once in the answer.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/admin_input.hpp"
#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "domain/admin_rules.hpp"
#include "domain/scope.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

json::object user_json(const store::User& u) {
  auto o = store::to_json(u);
  o["disabled"] = u.disabled;
  return o;
}

using admin::invalid;
using admin::text;

std::string valid_phone(std::string p) {
  bool ok = p.size() >= 5 && p.size() <= 20;
  for (std::size_t i = 0; ok && i < p.size(); ++i)
    ok = (p[i] >= '0' && p[i] <= '9') || (i == 0 && p[i] == '+');
  if (!ok) invalid("invalid_format", "phone", "digits, optionally a leading +");
  return p;
}

store::OrgUnit visible_org(Ctx& c, const json::value& v) {
  return admin::visible_org(c, v, "org_unit_id");
}

void require_grant(const Ctx& c, std::string_view role, std::string_view field) {
  if (!domain::is_known_role(role)) invalid("unknown_value", std::string(field), "unknown role");
  if (!domain::may_grant(c.me().role, role))
    throw ApiError(403, "forbidden", std::string(field),
                   "a " + c.me().role + " may not manage a " + std::string(role));
}

store::User visible_user(Ctx& c) {
  auto u = c.svc.store().user(c.param("id"));
  if (!u && u.error() != store::errc::not_found) throw_store(u.error());
  if (!u || !c.me().can_see(u->org_path)) throw ApiError(404, "not_found", "id", "no such user");
  return std::move(*u);
}

// A fresh one-time password and its stored hash (the KDF under admission).
std::pair<std::string, std::string> one_time_password(Ctx& c) {
  auto token = auth::new_token();
  if (!token) throw ApiError(500, "internal", "", "no randomness");
  std::string otp = token->substr(0, 12);
  auto ticket = c.svc.kdf.try_enter();
  if (!ticket)
    throw ApiError(429, "login_busy", "", "password hashing busy", {{"Retry-After", "1"}});
  auth::ScryptParams p;
  p.n = std::uint64_t{1} << c.svc.cfg.scrypt_log2_n;
  auto hash = auth::hash_password(otp, p);
  if (!hash) throw ApiError(500, "internal", "", "could not hash the password");
  return {otp, *hash};
}

}  // namespace

Response list_users(Ctx& c) {
  if (!domain::may_plan_rounds(c.me().role))
    throw ApiError(403, "forbidden", "", "volunteers do not list users");
  store::UserFilter f;
  f.scope_path = scope_path(c);
  f.role = str_param(c.req, "role");
  f.after = str_param(c.req, "after");
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().users(f));
  json::array items;
  for (const auto& u : page.items) items.push_back(user_json(u));
  return json_response(200, page_json(std::move(items), page.next));
}

Response create_user(Ctx& c) {
  if (!domain::may_administer(c.me().role))
    throw ApiError(403, "forbidden", "", "only admins create users");
  auto body = parse_json_body(c.req);
  if (!body.is_object()) invalid("invalid_type", "", "an object {phone,name,role,org_unit_id}");
  const auto& o = body.get_object();
  store::UserWrite w;
  w.user.phone = valid_phone(text(o, "phone", 20));
  w.user.name = text(o, "name", 100);
  w.user.role = text(o, "role", 32);
  require_grant(c, w.user.role, "role");
  auto* org = o.if_contains("org_unit_id");
  if (!org) invalid("required", "org_unit_id", "required");
  auto unit = visible_org(c, *org);
  w.user.org_unit_id = unit.id;
  w.user.org_path = unit.path;
  w.user.id = wire::make_uuid_v7();
  auto [otp, hash] = one_time_password(c);
  w.password_hash = hash;
  w.audit =
      audit_entry(c.me(), c.req, "user.create", "user", w.user.id, w.user.org_path,
                  {{"role", w.user.role}, {"org_unit_id", std::to_string(w.user.org_unit_id)}});
  auto r = c.svc.store().create_user(w, now_ms());
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "conflict", "phone", "a user with this phone exists");
  must(std::move(r));
  return json_response(201, json::object{{"user", user_json(w.user)}, {"one_time_password", otp}});
}

Response get_user(Ctx& c) {
  auto u = visible_user(c);
  if (u.id != c.me().user_id && !domain::may_plan_rounds(c.me().role))
    throw ApiError(404, "not_found", "id", "no such user");
  return json_response(200, user_json(u));
}

// {"name"?,"phone"?,"role"?,"org_unit_id"?,"disabled"?,"reset_password"?}
Response put_user(Ctx& c) {
  if (!domain::may_administer(c.me().role))
    throw ApiError(403, "forbidden", "", "only admins edit users");
  auto u = visible_user(c);
  require_grant(c, u.role, "id");
  auto body = parse_json_body(c.req);
  if (!body.is_object()) invalid("invalid_type", "", "an object");
  const auto& o = body.get_object();
  store::UserWrite w;
  w.user = u;
  w.disabled = u.disabled;
  if (o.contains("name")) w.user.name = text(o, "name", 100);
  if (o.contains("phone")) w.user.phone = valid_phone(text(o, "phone", 20));
  if (o.contains("role")) {
    w.user.role = text(o, "role", 32);
    require_grant(c, w.user.role, "role");
  }
  if (auto* org = o.if_contains("org_unit_id")) {
    auto unit = visible_org(c, *org);
    w.user.org_unit_id = unit.id;
    w.user.org_path = unit.path;
  }
  if (auto* d = o.if_contains("disabled")) {
    if (!d->is_bool()) invalid("invalid_type", "disabled", "a boolean");
    w.disabled = d->get_bool();
  }
  if (w.user.id == c.me().user_id && (w.disabled || w.user.role != u.role))
    throw ApiError(403, "forbidden", "id", "you may not disable yourself or change your own role");
  std::optional<std::string> otp;
  if (auto* rp = o.if_contains("reset_password"); rp && rp->is_bool() && rp->get_bool()) {
    auto [p, hash] = one_time_password(c);
    otp = p;
    w.password_hash = hash;
  }
  // What changed, by field name only (no names or phone numbers in the log).
  json::array fields;
  if (w.user.name != u.name) fields.emplace_back("name");
  if (w.user.phone != u.phone) fields.emplace_back("phone");
  if (w.user.role != u.role) fields.emplace_back("role");
  if (w.user.org_unit_id != u.org_unit_id) fields.emplace_back("org_unit_id");
  if (w.disabled != u.disabled) fields.emplace_back("disabled");
  const char* action = w.disabled != u.disabled ? (w.disabled ? "user.disable" : "user.enable")
                       : otp && fields.empty()  ? "user.password_reset"
                                                : "user.update";
  json::object details{{"fields", fields}, {"password_reset", otp.has_value()}};
  if (w.user.role != u.role) details["role"] = w.user.role;
  if (w.user.org_unit_id != u.org_unit_id)
    details["org_unit_id"] = std::to_string(w.user.org_unit_id);
  w.audit = audit_entry(c.me(), c.req, action, "user", w.user.id, w.user.org_path, details);
  auto r = c.svc.store().update_user(w);
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "conflict", "phone", "a user with this phone exists");
  must(std::move(r));
  w.user.disabled = w.disabled;
  json::object out{{"user", user_json(w.user)}};
  if (otp) out["one_time_password"] = *otp;
  return json_response(200, out);
}

// Disables (users are referenced by what they reported: never erased).
Response delete_user(Ctx& c) {
  if (!domain::may_administer(c.me().role))
    throw ApiError(403, "forbidden", "", "only admins remove users");
  auto u = visible_user(c);
  require_grant(c, u.role, "id");
  if (u.id == c.me().user_id) throw ApiError(403, "forbidden", "id", "you may not remove yourself");
  store::UserWrite w;
  w.user = u;
  w.disabled = true;
  w.audit = audit_entry(c.me(), c.req, "user.disable", "user", u.id, u.org_path,
                        {{"fields", json::array{"disabled"}}, {"password_reset", false}});
  must(c.svc.store().update_user(w));
  return no_content();
}

}  // namespace patrol::api::handlers
