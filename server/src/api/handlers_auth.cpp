// Login, logout, me.
#include <boost/json/object.hpp>
#include <chrono>

#include "api/handlers.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "domain/scope.hpp"
#include "patrol/wire/messages.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

Response login(Ctx& c) {
  auto body = parse_json_body(c.req);
  auto req = wire::decode_login_request(body);
  if (!req) throw ApiError(422, req.error().code, req.error().field, req.error().message);

  auto& throttle = c.svc.throttle;
  auto now = auth::LoginThrottle::Clock::now();
  // Check and reserve in one step: checks still running count against the
  // limit, so parallel guesses cannot all slip past it.
  std::chrono::seconds wait{1};
  auto attempt = throttle.begin(req->phone, now, wait);
  if (!attempt)
    throw ApiError(429, "too_many_attempts", "phone", "too many failed logins, retry later",
                   {{"Retry-After", std::to_string(wait.count())}});

  // The KDF is the expensive part: refuse at once when enough callers are
  // already running or waiting for it (the reservation above is released).
  auto kdf_ticket = c.svc.kdf.try_enter();
  if (!kdf_ticket)
    throw ApiError(429, "login_busy", "", "too many logins in progress, retry shortly",
                   {{"Retry-After", "1"}});

  auto creds = c.svc.store().credentials_by_phone(req->phone);
  bool ok = false;
  if (creds) {
    // A disabled user pays the KDF too (no telling disabled from wrong password).
    ok = auth::verify_password(req->password, creds->password_hash) && !creds->user.disabled;
  } else if (creds.error() == store::errc::not_found) {
    auth::burn_password_time(req->password);  // same cost as a known phone
  } else {
    throw_store(creds.error());
  }
  if (!ok) {
    attempt->failed(auth::LoginThrottle::Clock::now());
    throw ApiError(401, "invalid_credentials", "password", "wrong phone or password");
  }
  attempt->succeeded();
  // A role the server does not know has no rights (domain/roles.hpp): no
  // session for it, so no request of its ever gets as far as a handler.
  if (!domain::is_known_role(creds->user.role))
    throw ApiError(403, "forbidden", "role", "this account's role is not recognised");

  auto token = auth::new_token();
  if (!token) throw ApiError(500, "internal", "", "could not create a token");
  store::Ms created = now_ms();
  store::Ms expires =
      created + std::chrono::duration_cast<std::chrono::milliseconds>(c.svc.cfg.token_ttl).count();
  must(c.svc.store().create_session(
      {auth::hash_token(*token), creds->user.id, req->device_id, created, expires}));

  wire::LoginResponse out;
  out.token = *token;
  out.expires_at = store::format_ms(expires);
  out.user = {creds->user.id, creds->user.name, creds->user.role,
              store::id_string(creds->user.org_unit_id)};
  Response r = json_response(200, wire::to_json(out));
  r.user_id = creds->user.id;
  return r;
}

Response logout(Ctx& c) {
  must(c.svc.store().delete_session(c.me().token_hash));
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response me(Ctx& c) {
  const auto& who = c.me();
  auto u = must(c.svc.store().user(who.user_id));
  auto org = must(c.svc.store().org_unit(u.org_unit_id));
  json::object o = store::to_json(u);
  o["org_unit_name"] = org.name;
  o["org_path"] = org.path;
  return json_response(200, o);
}

}  // namespace patrol::api::handlers
