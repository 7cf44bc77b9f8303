// Teams and their members within the caller's subtree. Village admins and up
// create, edit and delete them; a member must live in the team's subtree and
// may not hold a role above the caller's own (domain/admin_rules.hpp).
// Phones see every change as a `team` change of sync/pull.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <set>

#include "api/admin_input.hpp"
#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "domain/admin_rules.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;
using admin::invalid;

namespace {

store::Team visible_team(Ctx& c) {
  auto t = c.svc.store().team_with_members(c.param("id"));
  if (!t && t.error() != store::errc::not_found) throw_store(t.error());
  if (!t || !c.me().can_see(t->org_path)) throw ApiError(404, "not_found", "id", "no such team");
  return std::move(*t);
}

// A user id from a JSON value, or 422 naming `field`.
std::string user_id_at(const json::value& v, const std::string& field) {
  if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 64)
    invalid("invalid_type", field, "a user id");
  return std::string(v.get_string());
}

// Checks a member the caller puts on team `t`: a user in the team's subtree,
// not disabled, whose role is not above the caller's.
void check_member(Ctx& c, const store::Team& t, const std::string& user_id,
                  const std::string& field) {
  auto u = c.svc.store().user(user_id);
  if (!u && u.error() != store::errc::not_found) throw_store(u.error());
  if (!u || !c.me().can_see(u->org_path)) invalid("not_found", field, "no such user");
  if (u->org_path.substr(0, t.org_path.size()) != t.org_path)
    invalid("outside_team", field, "the user does not belong to the team's org unit");
  if (u->disabled) invalid("disabled", field, "the user is disabled");
  if (!domain::may_grant(c.me().role, u->role))
    throw ApiError(403, "forbidden", field,
                   "a " + c.me().role + " may not manage a " + u->role + "'s team membership");
}

// The keys of body `o` the caller sent (audit details: what was changed).
json::array fields_of(const json::object& o) {
  json::array a;
  for (const auto& kv : o) a.push_back(json::string(kv.key()));
  return a;
}

// Applies `members` (the whole list), `add_members`, `remove_members` and
// `leader_id` of body `o` to `t`, checking every user added.
void apply_members(Ctx& c, store::Team& t, const json::object& o) {
  std::vector<std::string> ids;
  for (const auto& m : t.members) ids.push_back(m.user_id);
  auto list = [&](std::string_view key) -> const json::array* {
    auto* v = o.if_contains(key);
    if (!v) return nullptr;
    if (!v->is_array()) invalid("invalid_type", std::string(key), "an array of user ids");
    if (v->get_array().size() > 1000) invalid("too_long", std::string(key), "at most 1000");
    return &v->get_array();
  };
  std::set<std::string> before(ids.begin(), ids.end());
  if (const auto* a = list("members")) {
    ids.clear();
    for (std::size_t i = 0; i < a->size(); ++i)
      ids.push_back(user_id_at((*a)[i], "members[" + std::to_string(i) + "]"));
  }
  if (const auto* a = list("add_members"))
    for (std::size_t i = 0; i < a->size(); ++i)
      ids.push_back(user_id_at((*a)[i], "add_members[" + std::to_string(i) + "]"));
  if (const auto* a = list("remove_members"))
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto id = user_id_at((*a)[i], "remove_members[" + std::to_string(i) + "]");
      std::erase(ids, id);
      if (t.leader_id == id) t.leader_id.reset();
    }
  if (auto* l = o.if_contains("leader_id")) {
    if (l->is_null()) {
      t.leader_id.reset();
    } else {
      t.leader_id = user_id_at(*l, "leader_id");
      if (std::find(ids.begin(), ids.end(), *t.leader_id) == ids.end()) ids.push_back(*t.leader_id);
    }
  }
  if (t.leader_id && std::find(ids.begin(), ids.end(), *t.leader_id) == ids.end())
    t.leader_id.reset();  // removed by a new member list
  // Everyone added (or changed into leader) is checked; removing someone
  // above the caller's role is refused too.
  std::set<std::string> after;
  std::vector<store::TeamMember> members;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!after.insert(ids[i]).second) continue;
    if (!before.count(ids[i]) || ids[i] == t.leader_id) check_member(c, t, ids[i], "members");
    members.push_back({ids[i], "", ids[i] == t.leader_id ? "leader" : "member"});
  }
  for (const auto& id : before)
    if (!after.count(id)) {
      auto u = c.svc.store().user(id);
      if (u && !domain::may_grant(c.me().role, u->role))
        throw ApiError(403, "forbidden", "members",
                       "a " + c.me().role + " may not remove a " + u->role + " from a team");
    }
  t.members = std::move(members);
}

store::Team stored(Ctx& c, const std::string& id) {
  return must(c.svc.store().team_with_members(id));
}

}  // namespace

Response list_teams(Ctx& c) {
  store::TeamFilter f;
  f.scope_path = scope_path(c);
  f.after = str_param(c.req, "after");
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().teams(f));
  json::array items;
  for (const auto& t : page.items) items.push_back(store::to_json(t));
  return json_response(200, page_json(std::move(items), page.next));
}

Response get_team(Ctx& c) {
  return json_response(200, store::to_json(visible_team(c)));
}

// {"name","org_unit_id","leader_id"?,"members"?:[user ids]}
Response create_team(Ctx& c) {
  admin::require_admin(c, "create teams");
  auto body = parse_json_body(c.req);
  if (!body.is_object()) invalid("invalid_type", "", "an object {name,org_unit_id,members?}");
  const auto& o = body.get_object();
  store::Team t;
  t.name = admin::text(o, "name", 100);
  auto* org = o.if_contains("org_unit_id");
  if (!org) invalid("required", "org_unit_id", "required");
  auto unit = admin::visible_org(c, *org, "org_unit_id");
  t.org_unit_id = unit.id;
  t.org_path = unit.path;
  t.id = wire::make_uuid_v7();
  apply_members(c, t, o);
  auto r = c.svc.store().put_team(t, audit_entry(c.me(), c.req, "team.create", "team", t.id,
                                                 t.org_path, {{"members", t.members.size()}}));
  if (!r && r.error() == store::errc::not_found)
    invalid("not_found", "members", "a member does not exist");
  must(std::move(r));
  return json_response(201, store::to_json(stored(c, t.id)));
}

// {"name"?,"leader_id"?|null,"members"?,"add_members"?,"remove_members"?}
Response put_team(Ctx& c) {
  admin::require_admin(c, "edit teams");
  auto t = visible_team(c);
  auto body = parse_json_body(c.req);
  if (!body.is_object()) invalid("invalid_type", "", "an object");
  const auto& o = body.get_object();
  if (auto* org = o.if_contains("org_unit_id");
      org && !(org->is_string() && org->get_string() == store::id_string(t.org_unit_id)))
    invalid("read_only", "org_unit_id", "a team stays in its org unit (create a new one)");
  if (o.contains("name")) t.name = admin::text(o, "name", 100);
  apply_members(c, t, o);
  auto r = c.svc.store().put_team(t, audit_entry(c.me(), c.req, "team.update", "team", t.id,
                                                 t.org_path, {{"fields", fields_of(o)}}));
  if (!r && r.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "no such team");
  must(std::move(r));
  return json_response(200, store::to_json(stored(c, t.id)));
}

Response delete_team(Ctx& c) {
  admin::require_admin(c, "delete teams");
  auto t = visible_team(c);
  for (const auto& m : t.members) {
    auto u = c.svc.store().user(m.user_id);
    if (u && !domain::may_grant(c.me().role, u->role))
      throw ApiError(403, "forbidden", "id",
                     "the team has a " + u->role + ", above a " + c.me().role);
  }
  auto r = c.svc.store().delete_team(
      t.id, audit_entry(c.me(), c.req, "team.delete", "team", t.id, t.org_path));
  if (!r && r.error() == store::errc::conflict)
    throw ApiError(409, "in_use", "id", "a schedule still names this team: delete it first");
  if (!r && r.error() == store::errc::not_found)
    throw ApiError(404, "not_found", "id", "no such team");
  must(std::move(r));
  return no_content();
}

}  // namespace patrol::api::handlers
