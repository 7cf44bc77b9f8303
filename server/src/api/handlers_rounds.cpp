// Schedules (CRUD by team leaders and admins within their subtree) and the
// rounds planned from them. A schedule write re-plans its rounds over the
// planning horizon in the same transaction (domain::plan_rounds).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "domain/admin_rules.hpp"
#include "domain/round_planner.hpp"
#include "domain/round_rules.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

[[noreturn]] void invalid(std::string field, std::string message,
                          std::string code = "invalid_value") {
  throw ApiError(422, std::move(code), std::move(field), std::move(message));
}

std::string req_string(const json::object& o, std::string_view k, std::size_t max = 256) {
  auto* v = o.if_contains(k);
  if (!v) invalid(std::string(k), "required", "required");
  if (!v->is_string()) invalid(std::string(k), "must be a string", "invalid_type");
  if (v->get_string().size() > max) invalid(std::string(k), "too long", "too_long");
  return std::string(v->get_string());
}

std::optional<std::string> opt_string(const json::object& o, std::string_view k,
                                      std::size_t max = 256) {
  auto* v = o.if_contains(k);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) invalid(std::string(k), "must be a string or null", "invalid_type");
  if (v->get_string().size() > max) invalid(std::string(k), "too long", "too_long");
  return std::string(v->get_string());
}

void require_planner(const Ctx& c) {
  if (!domain::may_plan_rounds(c.me().role))
    throw ApiError(403, "forbidden", "", "only team leaders and admins plan rounds");
}

// Decodes a Schedule body onto `s` (id, org and path are set by the caller).
void decode_schedule(Ctx& c, const json::object& o, store::Schedule& s) {
  s.team_id = req_string(o, "team_id");
  auto team = c.svc.store().team(s.team_id);
  if (!team && team.error() != store::errc::not_found) throw_store(team.error());
  if (!team || !c.me().can_see(team->org_path)) invalid("team_id", "no such team", "not_found");
  s.org_unit_id = team->org_unit_id;
  s.org_path = team->org_path;
  s.name = opt_string(o, "name").value_or("");
  s.weekdays.clear();
  auto* wd = o.if_contains("weekdays");
  if (!wd) invalid("weekdays", "required", "required");
  if (!wd->is_array()) invalid("weekdays", "an array of ISO weekdays", "invalid_type");
  for (std::size_t i = 0; i < wd->get_array().size(); ++i) {
    const auto& d = wd->get_array()[i];
    if (!d.is_int64()) invalid("weekdays[" + std::to_string(i) + "]", "an integer", "invalid_type");
    s.weekdays.push_back(static_cast<int>(std::clamp<std::int64_t>(d.get_int64(), -1, 99)));
  }
  s.start_time = req_string(o, "start_time", 5);
  auto* dur = o.if_contains("duration_min");
  if (!dur) invalid("duration_min", "required", "required");
  if (!dur->is_int64()) invalid("duration_min", "an integer", "invalid_type");
  s.duration_min = static_cast<int>(std::clamp<std::int64_t>(dur->get_int64(), -1, 100000));
  s.tz = opt_string(o, "tz", 64).value_or(std::string(domain::kDefaultTz));
  s.route.clear();
  if (auto* r = o.if_contains("route")) {
    if (!r->is_array()) invalid("route", "an array of site ids", "invalid_type");
    if (r->get_array().size() > 500) invalid("route", "at most 500 sites", "too_long");
    for (std::size_t i = 0; i < r->get_array().size(); ++i) {
      std::string f = "route[" + std::to_string(i) + "]";
      const auto& v = r->get_array()[i];
      if (!v.is_string()) invalid(f, "a site id", "invalid_type");
      auto site = c.svc.store().site(v.get_string());
      if (!site && site.error() != store::errc::not_found) throw_store(site.error());
      if (!site || !c.me().can_see(site->org_path)) invalid(f, "no such site", "not_found");
      s.route.emplace_back(v.get_string());
    }
  }
  s.geofence_m = 50;
  if (auto* g = o.if_contains("geofence_m"); g && !g->is_null()) {
    if (!g->is_number()) invalid("geofence_m", "a number of metres", "invalid_type");
    s.geofence_m = g->to_number<double>();
    if (!(s.geofence_m >= 1 && s.geofence_m <= 5000))
      invalid("geofence_m", "1 to 5000 metres", "out_of_range");
  }
  auto today = domain::utc_to_local_date(now_ms(), s.tz);
  s.starts_on = opt_string(o, "starts_on", 10)
                    .value_or(today ? domain::format_date(*today) : std::string("1970-01-01"));
  s.ends_on = opt_string(o, "ends_on", 10);
  s.exceptions.clear();
  if (auto* ex = o.if_contains("exceptions"); ex && !ex->is_null()) {
    if (!ex->is_array()) invalid("exceptions", "an array", "invalid_type");
    if (ex->get_array().size() > 1000) invalid("exceptions", "at most 1000", "too_long");
    for (std::size_t i = 0; i < ex->get_array().size(); ++i) {
      std::string f = "exceptions[" + std::to_string(i) + "]";
      const auto& v = ex->get_array()[i];
      if (!v.is_object()) invalid(f, "an object {date, action, start_time?}", "invalid_type");
      const auto& eo = v.get_object();
      store::ScheduleExceptionEntry e;
      auto* d = eo.if_contains("date");
      auto* a = eo.if_contains("action");
      if (!d || !d->is_string()) invalid(f + ".date", "a date YYYY-MM-DD", "required");
      if (!a || !a->is_string()) invalid(f + ".action", "cancel or move", "required");
      e.date = std::string(d->get_string());
      e.action = std::string(a->get_string());
      if (auto* t = eo.if_contains("start_time"); t && !t->is_null()) {
        if (!t->is_string()) invalid(f + ".start_time", "HH:MM", "invalid_type");
        e.start_time = std::string(t->get_string());
      }
      s.exceptions.push_back(std::move(e));
    }
  }
  // The rule itself (weekday range, time format, zone, dates) is the domain's.
  if (auto rule = domain::recurrence_of(s); !rule)
    throw ApiError(422, rule.error().code, rule.error().field, rule.error().message);
}

store::Schedule visible_schedule(Ctx& c) {
  auto s = c.svc.store().schedule(c.param("id"));
  if (!s && s.error() != store::errc::not_found) throw_store(s.error());
  if (!s || !c.me().can_see(s->org_path))
    throw ApiError(404, "not_found", "id", "no such schedule");
  return std::move(*s);
}

Response save(Ctx& c, const store::Schedule& s, unsigned status, const char* action) {
  store::Ms now = now_ms();
  store::Ms horizon = c.svc.cfg.round_horizon.count();
  auto plan = domain::plan_rounds(s, now, now + horizon, now);
  if (!plan) throw ApiError(422, plan.error().code, plan.error().field, plan.error().message);
  auto audit =
      audit_entry(c.me(), c.req, action, "schedule", s.id, s.org_path, {{"team_id", s.team_id}});
  must(c.svc.store().put_schedule(s, *plan, now, now + horizon, audit));
  return json_response(status, store::to_json(s));
}

}  // namespace

Response list_schedules(Ctx& c) {
  store::ScheduleFilter f;
  f.scope_path = scope_path(c);
  f.team_id = str_param(c.req, "team_id");
  f.after = str_param(c.req, "after");
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().schedules(f));
  json::array items;
  for (const auto& s : page.items) items.push_back(store::to_json(s));
  return json_response(200, page_json(std::move(items), page.next));
}

Response create_schedule(Ctx& c) {
  require_planner(c);
  auto body = parse_json_body(c.req);
  if (!body.is_object()) throw ApiError(422, "invalid_type", "", "a Schedule object");
  store::Schedule s;
  s.id = wire::make_uuid_v7();
  decode_schedule(c, body.get_object(), s);
  s.updated_at = now_ms();
  return save(c, s, 201, "schedule.create");
}

Response get_schedule(Ctx& c) {
  return json_response(200, store::to_json(visible_schedule(c)));
}

Response put_schedule(Ctx& c) {
  require_planner(c);
  auto old = visible_schedule(c);
  auto body = parse_json_body(c.req);
  if (!body.is_object()) throw ApiError(422, "invalid_type", "", "a Schedule object");
  store::Schedule s;
  s.id = old.id;
  decode_schedule(c, body.get_object(), s);
  s.updated_at = now_ms();
  return save(c, s, 200, "schedule.update");
}

Response delete_schedule(Ctx& c) {
  require_planner(c);
  auto s = visible_schedule(c);
  must(c.svc.store().delete_schedule(s.id, now_ms(),
                                     audit_entry(c.me(), c.req, "schedule.delete", "schedule", s.id,
                                                 s.org_path, {{"team_id", s.team_id}})));
  return no_content();
}

Response list_rounds(Ctx& c) {
  store::RoundFilter f;
  f.scope_path = scope_path(c);
  f.team_id = str_param(c.req, "team_id");
  // from/to: RFC 3339 instants or dates (local midnight in Asia/Shanghai).
  auto bound = [&](std::string_view name) -> std::optional<store::Ms> {
    auto v = str_param(c.req, name);
    if (!v) return std::nullopt;
    if (auto d = domain::parse_date(*v)) {
      if (name == "to") d = domain::add_days(*d, 1);  // a date `to` includes that day
      return domain::local_to_utc(*d, 0, domain::kDefaultTz);
    }
    return time_param(c.req, name);
  };
  f.from = bound("from");
  f.to = bound("to");
  f.state = str_param(c.req, "state");
  if (f.state && !domain::parse_round_state(*f.state))
    throw ApiError(400, "unknown_value", "state", "unknown round state");
  f.after = str_param(c.req, "after");
  if (f.after) {
    auto dot = f.after->find('.');
    bool ok = dot != std::string::npos && dot > 0 && dot < 20;
    for (std::size_t i = 0; ok && i < dot; ++i)
      ok = std::isdigit(static_cast<unsigned char>((*f.after)[i]));
    if (!ok) throw ApiError(400, "invalid_format", "after", "use the previous page's next");
  }
  f.limit = limit_param(c.req);
  auto page = must(c.svc.store().rounds(f));
  json::array items;
  for (const auto& r : page.items) items.push_back(store::to_json(r));
  return json_response(200, page_json(std::move(items), page.next));
}

Response get_round(Ctx& c) {
  auto r = c.svc.store().round(c.param("id"));
  if (!r && r.error() != store::errc::not_found) throw_store(r.error());
  if (!r || !c.me().can_see(r->org_path)) throw ApiError(404, "not_found", "id", "no such round");
  // Progress computed now (domain::progress_of, the rule the store applies
  // on every check-in, inspection naming the round and state change), so the
  // track walked since the last of those counts too.
  store::Ms now = now_ms();
  store::Ms from = r->started_at.value_or(r->starts_at);
  store::Ms to = r->finished_at.value_or(std::max(now, from));
  auto act = must(c.svc.store().round_activity(*r, from, to));
  double geofence = 50;
  if (auto s = c.svc.store().schedule(r->schedule_id)) geofence = s->geofence_m;
  auto p = domain::progress_of(*r, act, geofence, now);
  auto o = store::to_json(*r);
  o["progress"] = json::object{{"sites_planned", static_cast<std::int64_t>(r->route.size())},
                               {"sites_visited", p.sites_visited},
                               {"distance_m", p.distance_m}};
  json::array visited, members;
  for (const auto& v : p.visited) visited.emplace_back(v);
  for (const auto& m : p.members_present) members.emplace_back(m);
  o["visited_site_ids"] = std::move(visited);
  o["members_present"] = std::move(members);
  o["duration_s"] = p.duration_ms / 1000;
  return json_response(200, o);
}

}  // namespace patrol::api::handlers
