// The audit log's reader (city admins) and a person's data under PIPL:
// export (everything held about them, as JSON) and erasure (positions gone,
// name and phone pseudonymised, sessions ended; what they reported is kept
// under the pseudonym), by an admin whose subtree and role cover them.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <limits>

#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "domain/admin_rules.hpp"
#include "domain/scope.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

json::object audit_json(const store::AuditEntry& e) {
  boost::system::error_code ec;
  auto details = json::parse(e.details, ec);
  if (ec) details = json::object{};
  return {{"seq", std::to_string(e.seq)}, {"at", store::format_ms(e.at)},
          {"actor_id", e.actor_id},       {"actor_role", e.actor_role},
          {"action", e.action},           {"object_type", e.object_type},
          {"object_id", e.object_id},     {"org_path", e.org_path},
          {"device_id", e.device_id},     {"address", e.address},
          {"details", std::move(details)}};
}

// The user {id} when the caller may handle their personal data: an admin
// (village_admin and up) whose subtree holds them and whose role is not
// below theirs (domain/admin_rules.hpp). 404 outside the subtree, 403 else.
store::User data_subject(Ctx& c) {
  const auto& me = c.me();
  auto u = c.svc.store().user(c.param("id"));
  if (!u && u.error() != store::errc::not_found) throw_store(u.error());
  if (!u || !me.can_see(u->org_path)) throw ApiError(404, "not_found", "id", "no such user");
  if (!domain::may_administer(me.role) || !domain::may_grant(me.role, u->role))
    throw ApiError(403, "forbidden", "id", "only an admin above this user handles their data");
  return std::move(*u);
}

std::int64_t seq_of(const std::string& s) {
  std::int64_t n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

// Every audit entry matching `f` (all pages).
json::array all_audit(Ctx& c, store::AuditFilter f) {
  json::array out;
  f.limit = 1000;
  for (;;) {
    auto page = must(c.svc.store().audit(f));
    for (const auto& e : page.items) out.push_back(audit_json(e));
    if (!page.next) return out;
    f.before_seq = seq_of(*page.next);
  }
}

}  // namespace

// GET /api/v1/audit?actor=&object_type=&object_id=&from=&to=&limit=&cursor=
Response list_audit(Ctx& c) {
  if (!domain::has_right(c.me().role, domain::Right::read_audit))
    throw ApiError(403, "forbidden", "", "the audit log is for city admins");
  store::AuditFilter f;
  f.actor_id = str_param(c.req, "actor");
  f.object_type = str_param(c.req, "object_type");
  f.object_id = str_param(c.req, "object_id");
  f.from = time_param(c.req, "from");
  f.to = time_param(c.req, "to");
  f.before_seq = int_param(c.req, "cursor", 1, std::numeric_limits<std::int64_t>::max());
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().audit(f));
  json::array items;
  for (const auto& e : page.items) items.push_back(audit_json(e));
  return json_response(200, page_json(std::move(items), page.next));
}

// GET /api/v1/users/{id}/export
Response export_user(Ctx& c) {
  auto u = data_subject(c);
  json::object profile = store::to_json(u);
  profile["disabled"] = u.disabled;

  json::array positions;
  store::TrackFilter tf;
  tf.user_id = u.id;
  tf.limit = 1000;
  for (;;) {
    auto page = must(c.svc.store().track(tf));
    for (const auto& p : page.items) positions.push_back(store::to_json(p));
    if (!page.next || page.items.empty()) break;
    // `next` is "<t>.<seq>": resume exactly after the last point.
    const auto& n = *page.next;
    auto dot = n.find('.');
    if (dot == std::string::npos) break;
    tf.after = std::make_pair(seq_of(n.substr(0, dot)), seq_of(n.substr(dot + 1)));
  }

  json::array inspections;
  store::InspectionFilter inf;
  inf.scope_path = "/";  // everything they authored, wherever it is
  inf.user_id = u.id;
  inf.limit = 1000;
  for (;;) {
    auto page = must(c.svc.store().inspections(inf));
    for (const auto& i : page.items) inspections.push_back(store::to_json(i));
    if (!page.next) break;
    inf.after = seq_of(*page.next);
  }

  store::AuditFilter about;
  about.object_type = "user";
  about.object_id = u.id;
  store::AuditFilter by;
  by.actor_id = u.id;

  // The export itself is audited (after its reads, before the answer).
  must(c.svc.store().append_audit(
      audit_entry(c.me(), c.req, "user.export", "user", u.id, u.org_path)));
  json::object out{{"user", std::move(profile)},
                   {"positions", std::move(positions)},
                   {"inspections", std::move(inspections)},
                   {"audit_about", all_audit(c, about)},
                   {"audit_by", all_audit(c, by)},
                   {"exported_at", store::format_ms(now_ms())}};
  auto r = json_response(200, out);
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"user-" + u.id + "-export.json\"");
  return r;
}

// POST /api/v1/users/{id}/erase
Response erase_user(Ctx& c) {
  auto u = data_subject(c);
  if (u.id == c.me().user_id) throw ApiError(403, "forbidden", "id", "you may not erase yourself");
  store::UserErasure e;
  e.user_id = u.id;
  // Stable and unique, and saying nothing about the person.
  e.pseudonym_name = "erased-" + u.id.substr(u.id.size() > 12 ? u.id.size() - 12 : 0);
  e.pseudonym_phone = "erased:" + u.id;
  e.audit = audit_entry(c.me(), c.req, "user.erase", "user", u.id, u.org_path,
                        {{"positions", "deleted"},
                         {"name", "pseudonymised"},
                         {"phone", "pseudonymised"},
                         {"sessions", "ended"}});
  must(c.svc.store().erase_user(e));
  auto after = must(c.svc.store().user(u.id));
  json::object o = store::to_json(after);
  o["disabled"] = true;
  return json_response(200, json::object{{"user", std::move(o)}});
}

}  // namespace patrol::api::handlers
